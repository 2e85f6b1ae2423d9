"""SIRAMASAKAN pages (seed 000 §4), in Bahasa Indonesia:

- `/siramasakan` — for an applicant: their requests and the "Ajukan" form (change rows: three to start,
  "Tambah baris" adds one, without JavaScript); for court and registry staff: every request with its
  status, and the hand-offs past their SLA first.
- `/siramasakan/{code}` — the request: status, what happens next, the changes, the documents to collect,
  the timeline, and for staff the pending task.

The pages call the same service functions as the JSON API (gateway/services/siramasakan.py).
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import SIRAMASAKAN_STATUSES
from gateway.deps import CurrentUser, SessionDep, SettingsDep
from gateway.errors import DomainError, forbidden, status_of
from gateway.pages.framework import _CLIENT_KEY, FLASH, SameOrigin, _field, _field_errors, _redirect, _render, _temporal
from gateway.services import processes
from gateway.services import siramasakan as sira_service
from gateway.services import tasks as task_service
from gateway.services.office_access import choices as office_choices
from gateway.services.office_access import chosen
from gateway.services.offices import speak_for
from gateway.services.siramasakan import MAX_CHANGES, ChangeForm, SiramasakanForm
from process_defs.siramasakan import load_siramasakan
from store.models import Task, User

router = APIRouter(include_in_schema=False)

START_ROWS = 3
SIRA_FLASH = {"diajukan": "Permohonan SIRAMASAKAN telah diajukan. Kepaniteraan akan menandai perkara diputus dan dokumen lengkap; "
                          "setelah itu permohonan diserahkan ke Disdukcapil dan Anda diberi tahu."}
STATUS_TONES = SIRAMASAKAN_STATUSES.tones
NEXT_STEP = SIRAMASAKAN_STATUSES.next_steps


def _flash(request: Request) -> str | None:
    code = request.query_params.get("pesan", "")
    return SIRA_FLASH.get(code) or FLASH.get(code)


def _row(data: dict) -> dict[str, Any]:
    return {**data, "tone": STATUS_TONES.get(data["status"], "wait")}


def _blank_rows(n: int) -> list[dict[str, Any]]:
    return [{"nik": "", "kind": "", "description": ""} for _ in range(n)]


async def _list_page(request: Request, session: AsyncSession, user: User, *, values: dict | None = None, error: str | None = None,
                     field_errors: dict | None = None, status_code: int = 200) -> Response:
    staff = user.is_staff_for(sira_service.STAFF_ROLES)
    if not staff and user.kind != "applicant":
        raise forbidden("Halaman SIRAMASAKAN untuk pemohon serta petugas kepaniteraan dan Disdukcapil.")
    now = datetime.now(UTC)
    rows, total = await sira_service.list_requests(session, user=user, limit=100, now=now)
    over = (await sira_service.list_requests(session, user=user, over_sla_only=True, limit=100, now=now))[0] if staff else []
    if values is None:  # a new form: the court named by `?kantor=` (a link from its page) chosen
        entry = chosen(request.query_params.get("kantor", ""), "siramasakan")
        values = {"client_key": uuid.uuid4().hex, "case_number": "", "kk_number": "", "changes": _blank_rows(START_ROWS),
                  "office": entry.code if entry else ""}
    ctx = {"staff": staff, "rows": [_row(sira_service.serialize(r, now=now)) for r in rows], "total": total, "offices": office_choices("siramasakan"),
           "over_sla": [_row(sira_service.serialize(r, now=now)) for r in over], "kinds": sira_service.change_kinds(),
           "sla_days": load_siramasakan().handoff_sla_working_days, "max_changes": MAX_CHANGES, "flash": _flash(request),
           "values": values,
           "error": error, "field_errors": field_errors or {}, "active": "siramasakan"}
    return await _render(request, "pages/siramasakan/list.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/siramasakan")
async def list_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    return await _list_page(request, session, user)


@router.post("/siramasakan")
async def file_request(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    if user.kind != "applicant":
        raise forbidden("Permohonan SIRAMASAKAN diajukan oleh pemohon dengan akun pemohon.")
    form = await request.form()
    rows = _field(form, "rows", 3)
    count = min(int(rows), MAX_CHANGES) if rows.isdigit() and int(rows) > 0 else START_ROWS
    changes = [{"nik": _field(form, f"changes.{i}.nik", 40).strip(), "kind": _field(form, f"changes.{i}.kind", 60).strip(),
                "description": _field(form, f"changes.{i}.description", 2000)} for i in range(count)]
    values: dict[str, Any] = {"case_number": _field(form, "case_number", 200).strip(), "kk_number": _field(form, "kk_number", 40).strip(),
                              "client_key": _field(form, "client_key", 64), "changes": changes, "office": _field(form, "office", 60).strip()}
    chosen(values["office"], "siramasakan")
    if _field(form, "aksi", 20) == "tambah":  # another change row; everything typed stays
        if count < MAX_CHANGES:
            values["changes"] = [*changes, *_blank_rows(1)]
        return await _list_page(request, session, user, values=values)
    filled = [c for c in changes if c["nik"] or c["kind"] or c["description"].strip()]
    client_key = values["client_key"] if _CLIENT_KEY.fullmatch(values["client_key"]) else None
    body = SiramasakanForm(case_number=values["case_number"], kk_number=values["kk_number"], changes=[ChangeForm(**c) for c in filled],
                           client_key=f"{user.id}:{client_key}" if client_key else None, office=values["office"] or None)
    try:
        sira_service.validate(body)  # the form's own mistakes first, also while the process service is unreachable
        client = await _temporal(request)
        row, _created = await sira_service.file(session, client, settings, user=user, form=body)
    except DomainError as exc:
        if status_of(exc) in (401, 403):
            raise
        # Errors name rows among the filled ones: show the form with just those rows, in the same order.
        values["changes"] = filled or _blank_rows(1)
        return await _list_page(request, session, user, values=values, error=exc.detail, field_errors=_field_errors(exc),
                                status_code=status_of(exc))
    return _redirect(f"/siramasakan/{row.code}?pesan=diajukan")


async def _tasks_view(session: AsyncSession, user: User, workflow_id: str) -> list[dict[str, Any]]:
    tasks = await processes.open_tasks(session, workflow_id=workflow_id)
    visible, _ = await task_service.visibility(session, user)  # the inbox's own rule of who sees a task
    mine = set(await session.scalars(select(Task.id).where(Task.id.in_([t.id for t in tasks]), visible))) if tasks else set()
    return [{"id": t.id, "title": t.title, "role": t.role, "due_at": t.due_at, "can_open": t.id in mine} for t in tasks]


@router.get("/siramasakan/{code}")
async def detail_page(request: Request, code: str, user: CurrentUser, session: SessionDep) -> Response:
    row = await sira_service.get_visible(session, user=user, code=code[:20])
    if row.code != code:
        return _redirect(f"/siramasakan/{row.code}")
    speak_for(row.office_id)
    events = await processes.timeline(session, workflow_id=row.workflow_id)
    staff = user.is_staff_for(sira_service.STAFF_ROLES)
    ctx = {"req": _row(sira_service.serialize(row, applicant=await session.get(User, row.applicant_id))), "code": row.code, "staff": staff,
           "next_step": NEXT_STEP.get(row.status), "tasks": await _tasks_view(session, user, row.workflow_id) if staff else [],
           "history": [{"at": e.occurred_at, "kind": e.kind, "title": e.title, "actor": e.actor_name, "outcome": e.outcome, "reason": e.reason,
                        "detail": e.detail} for e in events],
           "flash": _flash(request), "active": "siramasakan"}
    return await _render(request, "pages/siramasakan/detail.html", ctx, session=session, user=user)
