"""A member of staff's own password by e-mail (issue 17): "Lupa kata sandi" for staff (their username or e-mail, behind
the applicants' challenge and throttles), and the page a one-time link opens to set the new password (the same link an
administrator's reset or a new account sends). Services: gateway/services/staff_passwords.py."""

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response

from gateway.api.applicants import get_notifier
from gateway.deps import SessionDep, SettingsDep
from gateway.errors import DomainError, status_of
from gateway.pages.framework import SameOrigin, _field, _field_errors, _redirect, _render, _with_flash
from gateway.services import applicants as applicant_service
from gateway.services import staff_passwords as service
from gateway.services.throttle import client_ip
from store.settings import Settings

router = APIRouter(include_in_schema=False)

LABELS = {"identifier": "Nama pengguna atau email", "challenge_answer": "Pertanyaan keamanan", "new_password": "Kata sandi baru",
          "new_password2": "Ulangi kata sandi baru", "token": "Tautan"}


def _challenge(settings: Settings, form: Any = None, *, keep: bool = True) -> dict[str, Any]:
    if form is not None and keep:
        token, answer = _field(form, "challenge_token", 2000), _field(form, "challenge_answer", 20)
        if applicant_service.challenge_ok(settings, token, answer):
            return {"question": applicant_service.challenge_question(settings, token), "token": token, "answer": answer}
    c = applicant_service.new_challenge(settings)
    return {"question": c.question, "token": c.token, "answer": ""}


@router.get("/lupa-password/pegawai")
async def forgot_page(request: Request, settings: SettingsDep) -> Response:
    return await _render(request, "pages/staff_password/forgot.html", {"identifier": "", "field_errors": {}, "error": None, "labels": LABELS,
                                                                       "challenge": _challenge(settings), "sent": None})


@router.post("/lupa-password/pegawai")
async def forgot(request: Request, session: SessionDep, settings: SettingsDep, background: BackgroundTasks, _: SameOrigin) -> Response:
    form = await request.form()
    identifier = _field(form, "identifier", 200)
    try:
        pending = await service.request_self_reset(session, settings, identifier=identifier, challenge_token=_field(form, "challenge_token", 2000),
                                                   challenge_answer=_field(form, "challenge_answer", 20), client_ip=client_ip(request))
    except DomainError as exc:
        errors = _field_errors(exc)
        return await _render(request, "pages/staff_password/forgot.html", {
            "identifier": identifier, "field_errors": errors, "error": None if errors else exc.detail, "labels": LABELS, "sent": None,
            "challenge": _challenge(settings, form, keep="challenge_answer" not in errors)}, status_code=status_of(exc))
    if pending is not None:
        background.add_task(service.deliver_quietly, get_notifier(request), pending)
    # The same page whether or not an account matched.
    return await _render(request, "pages/staff_password/forgot.html", {"identifier": "", "field_errors": {}, "error": None, "labels": LABELS,
                                                                       "challenge": _challenge(settings), "sent": service.MSG_SELF_SENT})


@router.get("/atur-sandi")
async def set_page(request: Request, session: SessionDep, settings: SettingsDep, token: str = "") -> Response:
    account = await service.link_account(session, settings, token=token[:200])
    return await _render(request, "pages/staff_password/set.html", {"token": token[:200], "account": account, "field_errors": {}, "error": None,
                                                                    "labels": LABELS, "invalid": service.MSG_LINK_INVALID if account is None else None},
                         status_code=200 if account is not None else 410)


@router.post("/atur-sandi")
async def set_password(request: Request, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    form = await request.form()
    # In the body, not the address: nothing of the link reaches a log line or a trace.
    token = _field(form, "token", 200)
    new_password, repeat = _field(form, "new_password", 200), _field(form, "new_password2", 200)
    errors: dict[str, str] = {}
    top, status_code = None, 422
    if new_password != repeat:
        errors["new_password2"] = "Ulangan kata sandi baru tidak sama."
    if not errors:
        try:
            await service.set_password(session, settings, token=token[:200], new_password=new_password, client_ip=client_ip(request))
        except DomainError as exc:
            errors, status_code = _field_errors(exc), status_of(exc)
            top = None if errors else exc.detail
        else:
            return _redirect(_with_flash("/masuk", "password-diubah"))
    account = await service.link_account(session, settings, token=token[:200]) if "token" not in errors else None
    invalid = errors.pop("token", None) or (service.MSG_LINK_INVALID if account is None and not top else None)
    return await _render(request, "pages/staff_password/set.html", {"token": token[:200], "account": account, "field_errors": errors,
                                                                    "error": top, "labels": LABELS, "invalid": invalid}, status_code=status_code)
