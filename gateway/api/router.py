"""The JSON API as one router: app.py includes `api_router` once, where the API routers stood. Apart from the
package's __init__, so that importing one API module (its schemas, a dependency) does not import them all.

The order below is the order app.py used to include them in; Starlette takes the first route that matches,
so a new router goes where its paths cannot shadow (or be shadowed by) another's. tests/unit/test_routes.py
checks that no API route and page route can answer the same request, so that the pages may be included
after all of the API."""

from fastapi import APIRouter

from gateway.api import (
    admin,
    applicants,
    auth,
    catalog,
    chat,
    complaints,
    dashboards,
    documents,
    files,
    leave,
    letters,
    offices,
    people,
    permits,
    queue,
    runs,
    siramasakan,
    survey,
    system,
    tasks,
    walk_ins,
    whatsapp,
)
from gateway.api import audit as audit_api

api_router = APIRouter()
for _module in (complaints, siramasakan, system, auth, applicants, leave, tasks, people, documents, permits, catalog, files, chat, survey,
                walk_ins, queue, letters, whatsapp, dashboards, audit_api, runs, offices, admin):
    api_router.include_router(_module.router)
