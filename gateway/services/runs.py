"""Every run of every process, for process owners and auditors (issue 6): the run index (filled by
workers/run_index.py from Temporal's visibility), one run's current state and readable history, and the
owner's actions on a stuck run. The actions are Workflow Updates on the shared human-task base; the run's
validator has the last word and records each accepted action in its history."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Exists, Select, and_, exists, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowExecutionStatus, WorkflowHandle, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from audit.history import RunNotFound, fetch_history, readable_timeline
from contracts import CANCEL_RUN, REASSIGN_TASK, REMIND_TASK, CancelRunRequest, OwnerActionAck, ReassignRequest, ReminderRequest
from gateway.services.dates import parse_day
from gateway.services.errors import DomainError, Unavailable, conflict, invalid, not_found
from gateway.services.office_access import code_of, require_run_of_office
from gateway.services.offices import current_office, office_code_of, office_of, office_zone
from gateway.services.paging import CappedTotal
from gateway.services.people import actor, get_user_by_username, person
from gateway.services.tasks import CLAIMED, UNCLAIMED, send_update
from process_defs.loader import OfficeFile
from process_defs.processes import BY_NAME, BY_WORKFLOW_TYPE, PROCESSES, business_key
from store.models import CaseEvent, ProcessRun, Task, User, utcnow
from store.settings import Settings
from store.temporal import STATUS_NAMES
from workflows.human_task import ERR_ALREADY_DECIDED, ERR_STATE

STATUS_LABELS = {
    "running": "Berjalan",
    "waiting": "Menunggu petugas",
    "completed": "Selesai",
    "failed": "Gagal",
    "cancelled": "Dibatalkan",
    "terminated": "Dihentikan",
    "timed_out": "Melewati batas waktu",
    "continued_as_new": "Dilanjutkan sebagai run baru",
}
# What the runs filter offers ("running" includes the runs waiting on a person).
FILTER_STATUSES = ("running", "waiting", "completed", "failed", "cancelled", "terminated")
STATUS_TONES = {"completed": "ok", "failed": "danger", "terminated": "danger", "timed_out": "danger", "cancelled": "muted",
                "continued_as_new": "muted", "waiting": "warn"}
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Counting every match of a broad filter over 100 000 runs costs more than the page itself: count this far.
TOTAL_CAP = 10_000
# The NotificationWorkflow is not a human-task process: it has no owner actions.
NO_OWNER_ACTIONS = frozenset({"notification"})
MAX_REASON = 1000


@dataclass
class RunFilter:
    process: str | None = None
    status: str | None = None
    started_from: date | None = None
    started_to: date | None = None
    key: str | None = None
    person_id: int | None = None
    cursor: tuple[datetime, str] | None = None
    limit: int = PAGE_SIZE


def _office_tz() -> ZoneInfo:
    return office_zone()


def encode_cursor(started_at: datetime, workflow_id: str) -> str:
    raw = json.dumps([started_at.astimezone(UTC).isoformat(), workflow_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, workflow_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not isinstance(workflow_id, str):
            raise ValueError(cursor)
        return moment, workflow_id
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise invalid("Penanda halaman tidak valid; muat ulang daftar dari halaman pertama.", field="cursor") from None


async def parse_filter(session: AsyncSession, *, process: str | None = None, status: str | None = None, started_from: str | None = None,
                       started_to: str | None = None, key: str | None = None, person: str | None = None, cursor: str | None = None,
                       limit: int = PAGE_SIZE) -> RunFilter:
    """The filter as people and clients type it, checked field by field with a message in Bahasa."""
    process = (process or "").strip() or None
    if process is not None and process not in BY_NAME:
        raise invalid(f"Proses '{process[:40]}' tidak dikenal. Pilihan: {', '.join(BY_NAME)}.", field="process")
    status = (status or "").strip() or None
    if status is not None and status not in FILTER_STATUSES:
        raise invalid(f"Status '{status[:40]}' tidak dikenal. Pilihan: {', '.join(FILTER_STATUSES)}.", field="status")
    start = parse_day(started_from, field="started_from", label="Tanggal mulai")
    end = parse_day(started_to, field="started_to", label="Tanggal akhir")
    if start and end and end < start:
        raise invalid("Tanggal akhir tidak boleh sebelum tanggal mulai.", field="started_to")
    key = (key or "").strip() or None
    if key is not None and len(key) > 160:
        raise invalid("Kunci bisnis terlalu panjang.", field="key")
    person_id = None
    if person and person.strip():
        found = await get_user_by_username(session, person.strip()[:80], staff_only=False)
        if found is None:
            raise invalid(f"Pengguna '{person.strip()[:80]}' tidak ditemukan.", field="person")
        person_id = found.id
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise invalid(f"Jumlah per halaman harus antara 1 dan {MAX_PAGE_SIZE}.", field="limit")
    return RunFilter(process=process, status=status, started_from=start, started_to=end, key=key, person_id=person_id,
                     cursor=decode_cursor(cursor) if cursor else None, limit=limit)


def _open_task_exists() -> Exists:
    return exists().where(Task.workflow_id == ProcessRun.workflow_id, Task.status == "open")


def _prefix(column: InstrumentedAttribute[str], text: str) -> ColumnElement[bool]:
    # A range rather than LIKE: SQLite's LIKE is case-insensitive and would not use the index.
    return and_(column >= text, column < text + "\U0010ffff")


def _filtered(f: RunFilter) -> Select:
    query = select(ProcessRun)
    if f.process:
        query = query.where(ProcessRun.process == f.process)
    if f.status == "waiting":
        query = query.where(ProcessRun.status == "running", _open_task_exists())
    elif f.status:
        query = query.where(ProcessRun.status == f.status)
    tz = _office_tz()
    if f.started_from:
        query = query.where(ProcessRun.started_at >= datetime.combine(f.started_from, time(), tz))
    if f.started_to:
        query = query.where(ProcessRun.started_at < datetime.combine(f.started_to + timedelta(days=1), time(), tz))
    if f.key:
        keys = list(dict.fromkeys([f.key, f.key.upper()]))
        query = query.where(or_(*(_prefix(ProcessRun.business_key, k) for k in keys)))
    if f.person_id is not None:
        uid = f.person_id
        query = query.where(or_(
            exists().where(Task.workflow_id == ProcessRun.workflow_id,
                           or_(Task.owner_id == uid, Task.claimed_by_id == uid, Task.completed_by_id == uid, Task.delegate_id == uid)),
            exists().where(CaseEvent.workflow_id == ProcessRun.workflow_id, CaseEvent.actor_id == uid),
        ))
    return query


def page_query(f: RunFilter) -> Select:
    """Newest first, by keyset: the page after the cursor costs the same at run 50 as at run 99 950."""
    query = _filtered(f)
    if f.cursor:
        query = query.where(tuple_(ProcessRun.started_at, ProcessRun.workflow_id) < f.cursor)
    return query.order_by(ProcessRun.started_at.desc(), ProcessRun.workflow_id.desc()).limit(f.limit + 1)


async def list_runs(session: AsyncSession, *, filters: RunFilter) -> dict:
    rows = list(await session.scalars(page_query(filters)))
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    counted = await session.scalar(select(func.count()).select_from(_filtered(filters).with_only_columns(ProcessRun.workflow_id)
                                                                     .limit(TOTAL_CAP + 1).subquery()))
    total = CappedTotal.of(counted, TOTAL_CAP)
    waiting = await _waiting_on(session, [r.workflow_id for r in rows if r.status == "running"])
    return {
        "items": [serialize_run(r, waiting.get(r.workflow_id, [])) for r in rows],
        "next_cursor": encode_cursor(rows[-1].started_at, rows[-1].workflow_id) if more and rows else None,
        "total": total.total,
        "total_capped": total.capped,
        "total_label": total.label,
    }


async def _waiting_on(session: AsyncSession, workflow_ids: list[str]) -> dict[str, list[dict]]:
    if not workflow_ids:
        return {}
    office = current_office()
    out: dict[str, list[dict]] = {}
    for task in await session.scalars(select(Task).where(Task.workflow_id.in_(workflow_ids), Task.status == "open").order_by(Task.created_at)):
        out.setdefault(task.workflow_id, []).append({"task_id": task.id, "role": task.role, "role_label": office.role_label(task.role),
                                                     "holder": _holder(task, office)})
    return out


def _holder(task: Task, office: OfficeFile) -> str:
    if task.delegate is not None:
        return task.delegate.full_name
    if task.owner is not None:
        return task.owner.full_name
    return office.role_label(task.role)


def _status(status: str, waiting: list[dict]) -> str:
    return "waiting" if status == "running" and waiting else status


def serialize_run(run: ProcessRun, waiting: list[dict]) -> dict:
    info = BY_NAME.get(run.process)
    status = _status(run.status, waiting)
    return {
        "workflow_id": run.workflow_id,
        "run_id": run.run_id,
        "office": office_code_of(run),
        "process": run.process,
        "process_label": info.label if info else run.process,
        "business_key": run.business_key,
        "key_label": info.key_label if info else "kunci",
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "started_at": run.started_at.isoformat(),
        "closed_at": run.closed_at.isoformat() if run.closed_at else None,
        "waiting_on": waiting,
    }


# --- one run --------------------------------------------------------------------------------------------


def temporal_ui_url(settings: Settings, workflow_id: str) -> str:
    return f"{settings.temporal_web_ui.rstrip('/')}/namespaces/{quote(settings.temporal_namespace, safe='')}/workflows/{quote(workflow_id, safe='')}"


def _unavailable() -> Unavailable:
    return Unavailable("Layanan proses (Temporal) sedang tidak dapat dihubungi. Silakan coba lagi.", code="temporal_unavailable")


async def _describe(client: Client, workflow_id: str) -> WorkflowExecutionDescription:
    try:
        return await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise not_found("Proses") from exc
        raise _unavailable() from exc


def _age(since: datetime, now: datetime) -> str:
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} menit"
    if minutes < 60 * 24:
        return f"{minutes // 60} jam"
    return f"{minutes // (60 * 24)} hari"


async def pending_tasks(session: AsyncSession, *, workflow_id: str) -> list[dict]:
    office = current_office()
    now = utcnow()
    rows = await session.scalars(select(Task).where(Task.workflow_id == workflow_id, Task.status == "open").order_by(Task.created_at))
    return [{
        "id": t.id,
        "title": t.title,
        "role": t.role,
        "role_label": office.role_label(t.role),
        "holder": _holder(t, office),
        "owner": t.owner.username if t.owner else None,
        "delegate": t.delegate.username if t.delegate else None,
        "claimed_by": t.claimed_by.full_name if t.claimed_by else None,
        "created_at": t.created_at.isoformat(),
        "age": _age(t.created_at, now),
        "due_at": t.due_at.isoformat() if t.due_at else None,
        "overdue": bool(t.due_at and t.due_at < now),
        "escalated": t.escalated_at is not None,
        "escalated_to": office.role_label(t.escalated_to_role) if t.escalated_to_role else None,
        "reminded_at": t.reminded_at.isoformat() if t.reminded_at else None,
    } for t in rows]


async def get_run(session: AsyncSession, client: Client, settings: Settings, *, user: User, workflow_id: str) -> dict:
    """The run as Temporal has it now (describe() is current, the index may lag a few seconds), its open tasks
    and its history as readable lines; 404 for another office's run."""
    office_id = await require_run_of_office(session, client, user=user, workflow_id=workflow_id)
    desc = await _describe(client, workflow_id)
    try:
        history = await fetch_history(client, workflow_id, desc.run_id)
    except RunNotFound as exc:
        raise not_found("Proses") from exc
    except RPCError as exc:
        raise _unavailable() from exc
    info = BY_WORKFLOW_TYPE.get(desc.workflow_type)
    tasks = await pending_tasks(session, workflow_id=workflow_id) if desc.status == WorkflowExecutionStatus.RUNNING else []
    status = _status(STATUS_NAMES.get(desc.status, "running") if desc.status else "running", tasks)
    return {
        "workflow_id": workflow_id,
        "run_id": desc.run_id,
        "office": code_of(office_id),
        "process": info.name if info else None,
        "process_label": info.label if info else desc.workflow_type,
        "workflow_type": desc.workflow_type,
        "business_key": business_key(workflow_id),
        "key_label": info.key_label if info else "kunci",
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "running": desc.status == WorkflowExecutionStatus.RUNNING,
        "owner_actions": desc.status == WorkflowExecutionStatus.RUNNING and info is not None and info.name not in NO_OWNER_ACTIONS,
        "started_at": desc.start_time.isoformat() if desc.start_time else None,
        "closed_at": desc.close_time.isoformat() if desc.close_time else None,
        "temporal_ui_url": temporal_ui_url(settings, workflow_id),
        "pending_tasks": tasks,
        "timeline": await _timeline(session, history, workflow_id=workflow_id),
    }


async def _timeline(session: AsyncSession, history: WorkflowHistory, *, workflow_id: str) -> list[dict]:
    """The history's lines, with the inbox's claims (which never reach the history) in their place in time."""
    office = current_office()
    lines: list[dict[str, Any]] = [{"at": e.at, "kind": e.kind, "title": e.title, "actor": e.actor, "role": e.role, "outcome": e.outcome, "reason": e.reason}
             for e in readable_timeline(history)]
    claims = await session.scalars(select(CaseEvent).where(CaseEvent.workflow_id == workflow_id, CaseEvent.kind.in_((CLAIMED, UNCLAIMED))))
    lines += [{"at": c.occurred_at, "kind": "claimed" if c.kind == CLAIMED else "unclaimed", "title": c.title, "actor": c.actor_name,
               "role": office.role_label(c.role) if c.role else None, "outcome": None, "reason": None} for c in claims]
    lines.sort(key=lambda line: line["at"])
    return [{**line, "at": line["at"].isoformat()} for line in lines]


# --- owner actions ------------------------------------------------------------------------------------------


def _reason(raw: str | None, label: str) -> str:
    reason = (raw or "").strip()
    if not reason:
        raise invalid(f"Alasan {label} wajib diisi.", field="reason")
    if len(reason) > MAX_REASON:
        raise invalid(f"Alasan paling banyak {MAX_REASON} karakter.", field="reason")
    return reason


async def _open_task(session: AsyncSession, *, workflow_id: str, task_id: str) -> Task:
    task = await session.get(Task, task_id)
    if task is None or task.workflow_id != workflow_id:
        raise not_found("Tugas pada proses ini")
    if task.status != "open":
        raise conflict("Tugas ini sudah ditutup; tidak ada yang perlu dialihkan atau diingatkan.", code=ERR_ALREADY_DECIDED)
    return task


async def reassign(session: AsyncSession, client: Client, *, user: User, workflow_id: str, task_id: str, to_username: str | None,
                   to_role: str | None, reason: str | None) -> OwnerActionAck:
    await require_run_of_office(session, client, user=user, workflow_id=workflow_id)
    reason = _reason(reason, "pengalihan")
    to_username, to_role = (to_username or "").strip() or None, (to_role or "").strip() or None
    if (to_username is None) == (to_role is None):
        raise invalid("Pilih satu tujuan pengalihan: seorang pegawai (to_username) atau satu peran (to_role).", field="to_username")
    task = await _open_task(session, workflow_id=workflow_id, task_id=task_id)
    to_person, role_label = None, ""
    if to_username:
        target = await get_user_by_username(session, to_username[:80])
        if target is None or target.office_id != task.office_id:
            raise invalid(f"Pegawai '{to_username[:80]}' tidak ditemukan.", field="to_username")
        to_person = person(target)
    else:
        office = office_of(task)
        if to_role not in office.roles or to_role in ("pemohon",):
            raise invalid(f"Peran '{(to_role or '')[:60]}' tidak dikenal.", field="to_role")  # (to_role is set here)
        role_label = office.role_label(to_role)
    request = ReassignRequest(task_id=task.id, actor=actor(user), reason=reason, to_person=to_person, to_role=to_role, to_role_label=role_label)
    return await send_update(client, workflow_id, REASSIGN_TASK, request, result_type=OwnerActionAck)


async def remind(session: AsyncSession, client: Client, *, user: User, workflow_id: str, task_id: str, note: str | None) -> OwnerActionAck:
    await require_run_of_office(session, client, user=user, workflow_id=workflow_id)
    note = (note or "").strip()
    if len(note) > MAX_REASON:
        raise invalid(f"Catatan paling banyak {MAX_REASON} karakter.", field="note")
    task = await _open_task(session, workflow_id=workflow_id, task_id=task_id)
    return await send_update(client, workflow_id, REMIND_TASK, ReminderRequest(task_id=task.id, actor=actor(user), note=note),
                             result_type=OwnerActionAck)


async def cancel(session: AsyncSession, client: Client, *, user: User, workflow_id: str, reason: str | None) -> OwnerActionAck:
    """Records who cancels and why in the run (an update), then asks Temporal to cancel it. A run waiting on a
    person closes its inbox task as cancelled; any other run is cancelled by Temporal's normal cancellation."""
    await require_run_of_office(session, client, user=user, workflow_id=workflow_id)
    reason = _reason(reason, "pembatalan")
    desc = await _describe(client, workflow_id)
    if desc.status != WorkflowExecutionStatus.RUNNING:
        status = STATUS_NAMES.get(desc.status, "completed") if desc.status else "completed"
        raise conflict(f"Proses ini sudah berakhir ({STATUS_LABELS.get(status, status)}); tidak dapat dibatalkan.", code="process_closed")
    info = BY_WORKFLOW_TYPE.get(desc.workflow_type)
    if info is None or info.name in NO_OWNER_ACTIONS:
        raise conflict("Proses jenis ini tidak dapat dibatalkan oleh pemilik proses.", code=ERR_STATE)
    handle = client.get_workflow_handle(workflow_id)
    try:
        ack = await send_update(client, workflow_id, CANCEL_RUN, CancelRunRequest(actor=actor(user), reason=reason), result_type=OwnerActionAck)
    except DomainError as exc:
        if exc.code == ERR_STATE:
            # Already asked (perhaps the request that asked died before Temporal heard it): finish what was asked.
            await _request_cancel(handle)
        raise
    await _request_cancel(handle)
    return ack


async def _request_cancel(handle: WorkflowHandle[Any, Any]) -> None:
    try:
        await handle.cancel()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise _unavailable() from exc


def process_choices() -> list[dict]:
    return [{"name": p.name, "label": p.label} for p in PROCESSES]


def role_choices() -> list[dict]:
    return [{"name": name, "label": label} for name, label in current_office().roles.items() if name != "pemohon"]
