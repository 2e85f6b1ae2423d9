"""The pages people use, one module per area, on the page framework (gateway/pages/framework.py: templates,
formatting, sign-in, forms and error pages).

`page_routers()` lists them in the order their routes are matched; a module is imported when the app is built, after
the services it uses."""

from fastapi import APIRouter


def page_routers() -> list[APIRouter]:
    from gateway.pages import (  # noqa: PLC0415 - when the app is built, after the services (see above)
        account,
        admin,
        applicants,
        audit,
        catalog,
        chat,
        complaints,
        dashboards,
        files,
        inbox,
        leave,
        letters,
        notifications,
        offices,
        permits,
        plh,
        queue,
        runs,
        siramasakan,
        staff_password,
        survey,
        verify,
        walk_ins,
        whatsapp,
    )

    return [module.router for module in (
        complaints, siramasakan, account, leave, inbox, plh, notifications, verify, applicants,
        catalog, files, permits, chat, survey, queue, letters, whatsapp, walk_ins, dashboards, audit, runs, offices, admin,
        staff_password,
    )]
