"""Process owners' and auditors' pages (issue 6), in Bahasa Indonesia:

- `/proses` — every run of every process, filtered by process, status, start dates, business key and the person
  involved, newest first, paged by cursor;
- `/proses/{workflow_id}` — one run: its current state, its open tasks with the owner's actions (reassign,
  remind, cancel; process owners only), the auditor's replay and downloads, and its history as readable lines.

The pages call the same service functions as /api/v1/runs, so both refuse the same things with the same words.
"""

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from gateway.deps import PROCESS_OWNER_ROLES, ProcessOwner, RunReader, SessionDep, SettingsDep
from gateway.errors import ApiError, DomainError, status_of
from gateway.pages.framework import FLASH, SameOrigin, _field, _field_errors, _redirect, _render, _temporal, _with_flash
from gateway.services import runs as service
from store.models import User
from store.settings import Settings

router = APIRouter(include_in_schema=False)

FILTER_FIELDS = ("process", "status", "started_from", "started_to", "key", "person")
FLASH.update({
    "run-dialihkan": "Tugas telah dialihkan. Pemegang baru sudah diberi tahu, dan pengalihan tercatat pada riwayat proses.",
    "run-diingatkan": "Pengingat telah dikirim kepada pemegang tugas dan tercatat pada riwayat proses.",
    "run-dibatalkan": "Pembatalan telah dikirim. Tugas yang terbuka ditutup dan proses berakhir dengan status Dibatalkan.",
})


# --- the list ----------------------------------------------------------------------------------------------


@router.get("/proses")
async def runs_page(request: Request, user: RunReader, session: SessionDep) -> Response:
    values: dict[str, Any] = {name: request.query_params.get(name, "")[:160] for name in FILTER_FIELDS}
    cursor = request.query_params.get("cursor", "")[:400]
    error, field_errors, result = None, {}, None
    try:
        filters = await service.parse_filter(session, **values, cursor=cursor or None)
        result = await service.list_runs(session, filters=filters)
    except DomainError as exc:
        if status_of(exc) != 422:
            raise
        error, field_errors = exc.detail, _field_errors(exc)
    query = {k: v for k, v in values.items() if v}
    next_url = f"/proses?{urlencode({**query, 'cursor': result['next_cursor']})}" if result and result["next_cursor"] else None
    return await _render(request, "pages/runs/list.html", {
        "values": values, "error": error, "field_errors": field_errors, "result": result, "paged": bool(cursor),
        "first_url": f"/proses?{urlencode(query)}" if query else "/proses", "next_url": next_url,
        "processes": service.process_choices(), "statuses": {s: service.STATUS_LABELS[s] for s in service.FILTER_STATUSES},
        "tones": service.STATUS_TONES, "active": "proses"}, session=session, user=user, status_code=422 if error else 200)


# --- one run --------------------------------------------------------------------------------------------------


async def _staff(session: AsyncSession, office_id: int | None) -> list[dict[str, Any]]:
    rows = await session.execute(select(User.username, User.full_name).where(User.kind == "staff", User.is_active.is_(True),
                                                                              User.office_id == office_id).order_by(User.full_name))
    return [{"username": u, "full_name": n} for u, n in rows]


async def _run_page(request: Request, session: AsyncSession, settings: Settings, user: User, workflow_id: str, *, error: str | None = None,
                    field_errors: dict | None = None, form: dict | None = None, status_code: int = 200) -> Response:
    run = await service.get_run(session, await _temporal(request), settings, user=user, workflow_id=workflow_id)
    owner = bool(set(user.role_names) & PROCESS_OWNER_ROLES)
    return await _render(request, "pages/runs/detail.html", {
        "run": run, "is_owner": owner, "is_auditor": "auditor" in user.role_names,
        "staff": await _staff(session, user.office_id) if owner and run["owner_actions"] and run["pending_tasks"] else [],
        "roles": service.role_choices(), "tones": service.STATUS_TONES,
        "error": error, "field_errors": field_errors or {}, "form": form or {}, "active": "proses"},
        session=session, user=user, status_code=status_code)


@router.get("/proses/{workflow_id}")
async def run_page(request: Request, workflow_id: str, user: RunReader, session: SessionDep, settings: SettingsDep) -> Response:
    return await _run_page(request, session, settings, user, workflow_id)


async def _act(request: Request, session: AsyncSession, settings: Settings, user: User, workflow_id: str, form: dict,
               action: Callable[[Client], Awaitable[object]], flash: str) -> Response:
    """Runs an owner action; a refusal re-renders the run page with the message and what was typed."""
    try:
        await action(await _temporal(request))
    except DomainError as exc:
        if status_of(exc) >= 500 or status_of(exc) in (401, 403, 404):
            raise
        return await _run_page(request, session, settings, user, workflow_id, error=exc.detail, field_errors=_field_errors(exc), form=form,
                               status_code=status_of(exc))
    return _redirect(_with_flash(f"/proses/{workflow_id}", flash))


@router.post("/proses/{workflow_id}/tugas/{task_id}/alihkan")
async def reassign(request: Request, workflow_id: str, task_id: str, user: ProcessOwner, session: SessionDep, settings: SettingsDep,
                   _: SameOrigin) -> Response:
    data = await request.form()
    target = _field(data, "target", 10)
    form = {"action": "reassign", "task_id": task_id, "target": target, "to_username": _field(data, "to_username", 80),
            "to_role": _field(data, "to_role", 60), "reason": _field(data, "reason", 1000)}

    async def action(client: Client) -> object:
        return await service.reassign(session, client, user=user, workflow_id=workflow_id, task_id=task_id,
                                      to_username=form["to_username"] if target != "peran" else None,
                                      to_role=form["to_role"] if target == "peran" else None, reason=form["reason"])

    return await _act(request, session, settings, user, workflow_id, form, action, "run-dialihkan")


@router.post("/proses/{workflow_id}/tugas/{task_id}/ingatkan")
async def remind(request: Request, workflow_id: str, task_id: str, user: ProcessOwner, session: SessionDep, settings: SettingsDep,
                 _: SameOrigin) -> Response:
    data = await request.form()
    form = {"action": "remind", "task_id": task_id, "note": _field(data, "note", 1000)}

    async def action(client: Client) -> object:
        return await service.remind(session, client, user=user, workflow_id=workflow_id, task_id=task_id, note=form["note"])

    return await _act(request, session, settings, user, workflow_id, form, action, "run-diingatkan")


@router.post("/proses/{workflow_id}/batalkan")
async def cancel(request: Request, workflow_id: str, user: ProcessOwner, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    data = await request.form()
    form = {"action": "cancel", "reason": _field(data, "reason", 1000), "confirm": _field(data, "confirm", 10)}

    async def action(client: Client) -> object:
        if not form["reason"].strip():
            raise ApiError(422, "Alasan pembatalan wajib diisi.", code="invalid",
                           errors=[{"field": "cancel_reason", "message": "Alasan pembatalan wajib diisi."}])
        if form["confirm"] != "ya":
            raise ApiError(422, "Centang konfirmasi bahwa proses ini memang akan dibatalkan.", code="invalid",
                           errors=[{"field": "confirm", "message": "Centang konfirmasi untuk membatalkan."}])
        return await service.cancel(session, client, user=user, workflow_id=workflow_id, reason=form["reason"])

    return await _act(request, session, settings, user, workflow_id, form, action, "run-dibatalkan")
