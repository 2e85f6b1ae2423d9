"""SIRAMASAKAN requests (seed 000 §4): filing with the case, the request as the applicant and the court and
registry staff see it, the over-SLA list of hand-offs, and the civil registry's signed callback."""

import asyncio
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from contracts import REPORT_REGISTRY_OUTCOME, SIRAMASAKAN_STATUSES, PopulationChange, RegistryOutcome, RegistryOutcomeAck, SiramasakanInput
from gateway.services import processes
from gateway.services.errors import Conflict, DomainError, Invalid, Unauthenticated, Unavailable, conflict, forbidden, not_found
from gateway.services.offices import office_code_of, office_for_citizen, office_of
from gateway.services.people import person
from gateway.services.processes import new_code, record_and_start, resume
from gateway.services.tasks import send_update
from office.calendar import OfficeCalendar
from office.registry_protocol import SIGNATURE_HEADER, signature_valid
from process_defs.loader import calendar_snapshot
from process_defs.processes import BY_NAME
from process_defs.siramasakan import load_siramasakan, siramasakan_snapshot
from store.models import CaseEvent, RegistryCallback, SiramasakanRequest, Task, User
from store.settings import Settings
from workflows.siramasakan import (
    ERR_NOT_WAITING,
    STATUS_WAITING,
    SiramasakanWorkflow,
    normalize_case_number,
    siramasakan_workflow_id,
)

STATUS_LABELS = SIRAMASAKAN_STATUSES.labels
STAGE_LABELS = {
    "case_completion": "Menunggu perkara diputus dan dokumen lengkap (Kepaniteraan)",
    "handoff": "Penyerahan ke Disdukcapil",
    "registry": "Diproses oleh Disdukcapil",
    "finished": "Selesai",
}
# Court and registry staff who see every request.
STAFF_ROLES = BY_NAME["siramasakan"].staff_roles
MAX_CHANGES = 10
MAX_DESCRIPTION = 1000
CALLBACK_PATH = "/webhooks/civil-registry"
# How long a registry callback waits for the run to take its report before it is answered 503 (and sent again).
REPORT_TIMEOUT_SECONDS = 15


class ChangeForm(BaseModel):
    nik: str = Field(max_length=40)
    kind: str = Field(max_length=60)
    description: str = Field(default="", max_length=5000)


class SiramasakanForm(BaseModel):
    case_number: str = Field(max_length=200)
    kk_number: str = Field(max_length=40)
    changes: list[ChangeForm] = Field(max_length=50)
    client_key: str | None = Field(default=None, max_length=200)
    # The court's code (GET /api/v1/offices); omitted: the one office that offers SIRAMASAKAN.
    office: str | None = Field(default=None, max_length=40)


class CallbackBody(BaseModel):
    event_id: str = Field(min_length=1, max_length=120)
    request_id: str = Field(min_length=1, max_length=12)
    status: str
    reason: str | None = Field(default=None, max_length=2000)
    documents: list[str] = Field(default_factory=list, max_length=20)


def change_kinds() -> list[dict]:
    return [{"code": code, "label": k.label, "documents": list(k.documents)} for code, k in load_siramasakan().change_kinds.items()]


def validate(form: SiramasakanForm) -> tuple[str, str, list[PopulationChange]]:
    """The request as the workflow takes it, or 422 naming every field that is wrong."""
    errors: dict[str, str] = {}
    case_number = normalize_case_number(form.case_number)
    if not form.case_number.strip():
        errors["case_number"] = "Nomor perkara wajib diisi."
    elif case_number is None:
        errors["case_number"] = ("Nomor perkara tidak sesuai format perkara perdata agama, misalnya 123/Pdt.G/2026/MS.Lsm "
                                 "(gugatan) atau 45/Pdt.P/2026/MS.Lsm (permohonan).")
    elif int(case_number.split("/")[2]) > datetime.now(UTC).year or int(case_number.split("/")[2]) < 1990:
        errors["case_number"] = "Tahun pada nomor perkara tidak valid."
    kk = form.kk_number.strip()
    if not re.fullmatch(r"\d{16}", kk):
        errors["kk_number"] = "Nomor KK harus 16 digit angka."
    kinds = load_siramasakan().change_kinds
    changes: list[PopulationChange] = []
    if not form.changes:
        errors["changes"] = "Isi paling sedikit satu perubahan data kependudukan."
    elif len(form.changes) > MAX_CHANGES:
        errors["changes"] = f"Paling banyak {MAX_CHANGES} perubahan dalam satu permohonan."
    seen: set[tuple[str, str]] = set()
    for i, c in enumerate(form.changes[:MAX_CHANGES]):
        nik, kind, description = c.nik.strip(), c.kind.strip(), c.description.strip()
        if not re.fullmatch(r"\d{16}", nik):
            errors[f"changes.{i}.nik"] = f"Perubahan {i + 1}: NIK harus 16 digit angka."
        if kind not in kinds:
            errors[f"changes.{i}.kind"] = f"Perubahan {i + 1}: pilih jenis perubahan dari daftar."
        if len(description) > MAX_DESCRIPTION:
            errors[f"changes.{i}.description"] = f"Perubahan {i + 1}: keterangan paling banyak {MAX_DESCRIPTION} karakter."
        if (nik, kind) in seen:
            errors[f"changes.{i}.kind"] = f"Perubahan {i + 1}: NIK dan jenis perubahan ini sudah ada di baris lain."
        seen.add((nik, kind))
        changes.append(PopulationChange(nik=nik, kind=kind, description=description))
    if errors:
        raise Invalid("Isian belum benar: " + " ".join(errors.values()), code="invalid",
                       errors=[{"field": f, "message": m} for f, m in errors.items()])
    if case_number is None:  # refused above
        raise RuntimeError("a request passed its checks without a case number")
    return case_number, kk, changes


async def file(session: AsyncSession, client: Client, settings: Settings, *, user: User, form: SiramasakanForm) -> tuple[SiramasakanRequest, bool]:
    """Records the request and starts its workflow. Returns (request, created). Nothing starts on a refusal."""
    if user.kind != "applicant":
        raise forbidden("Permohonan SIRAMASAKAN diajukan oleh pemohon dengan akun pemohon.")
    if form.client_key:
        existing = await session.scalar(select(SiramasakanRequest).where(SiramasakanRequest.client_key == form.client_key))
        if existing is not None:
            return await resume(session, client, settings, existing, what="permohonan"), False
    case_number, kk, changes = validate(form)
    if (active := await _active_for_case(session, case_number, kk)) is not None:
        if form.client_key and active.client_key == form.client_key:
            return await resume(session, client, settings, active, what="permohonan"), False  # the same submission, sent twice at once
        raise _already_active(active, user=user)
    code = await new_code(session, SiramasakanRequest.code, lambda: "S" + secrets.token_hex(3).upper(), what="kode permohonan")
    office = office_for_citizen("siramasakan", form.office)
    row = SiramasakanRequest(office_id=office.id, code=code, workflow_id=siramasakan_workflow_id(code), client_key=form.client_key, applicant_id=user.id,
                             case_number=case_number, kk_number=kk, changes=[{"nik": c.nik, "kind": c.kind, "description": c.description} for c in changes],
                             status=STATUS_WAITING, stage="case_completion")
    try:
        # The registry's address goes into the run: a request keeps the hand-off path it started with.
        return await record_and_start(session, client, settings, row, workflow=SiramasakanWorkflow.run, what="permohonan",
                                      start_input=lambda r: SiramasakanInput(
                                          request_id=r.id, code=code, applicant=person(user), case_number=case_number, kk_number=kk,
                                          changes=changes, definition=siramasakan_snapshot(office.defs, settings.civil_registry_url),
                                          callback_url=f"{settings.public_base_url.rstrip('/')}{CALLBACK_PATH}"))
    except IntegrityError:
        # Another request for the case and card was recorded between the check above and this insert: the unique index
        # of requests under way (store/models.py) kept this one out.
        await session.refresh(user)  # the rollback expired it, and the page that shows the refusal reads it
        active = await _active_for_case(session, case_number, kk)
        if active is None:
            raise
        raise _already_active(active, user=user) from None


async def _active_for_case(session: AsyncSession, case_number: str, kk_number: str) -> SiramasakanRequest | None:
    return await session.scalar(select(SiramasakanRequest).where(
        SiramasakanRequest.case_number == case_number, SiramasakanRequest.kk_number == kk_number,
        SiramasakanRequest.finished_at.is_(None)).limit(1))


def _already_active(active: SiramasakanRequest, *, user: User) -> Conflict:
    """409 naming the request under way to its own applicant; anyone else (the other party of the case) learns only
    that there is one."""
    which = (f"permohonan Anda {active.code} masih berjalan. Pantau permohonan itu" if active.applicant_id == user.id
             else "permohonan lain atas perkara dan KK ini masih berjalan. Bila Anda pihak dalam perkara ini, hubungi Kepaniteraan")
    message = (f"Perkara {active.case_number} untuk KK {active.kk_number} sudah diajukan: {which}; permohonan baru dapat "
               "diajukan setelah permohonan itu selesai.")
    return Conflict(message, code="siramasakan_active", errors=[{"field": "case_number", "message": message}])


async def get_visible(session: AsyncSession, *, user: User, code: str) -> SiramasakanRequest:
    """The applicant sees their own requests, court and registry staff every one; anyone else gets 404."""
    row = await session.scalar(select(SiramasakanRequest).where(SiramasakanRequest.code == code.strip().upper()))
    if row is None or not (row.applicant_id == user.id or user.is_staff_for(STAFF_ROLES)):
        raise not_found("Permohonan SIRAMASAKAN")
    return row


def sla_due(row: SiramasakanRequest) -> datetime | None:
    """When a hand-off passes its SLA: handoff_sla_working_days working days after it was handed off."""
    if row.handed_off_at is None:
        return None
    handed = row.handed_off_at if row.handed_off_at.tzinfo else row.handed_off_at.replace(tzinfo=UTC)
    return OfficeCalendar(calendar_snapshot(office_of(row))).add_working_days(handed, load_siramasakan().handoff_sla_working_days)


def over_sla(row: SiramasakanRequest, now: datetime) -> bool:
    due = sla_due(row)
    return row.finished_at is None and due is not None and now > due


def serialize(row: SiramasakanRequest, *, applicant: User | None = None, events: list[CaseEvent] | None = None,
              tasks: list[Task] | None = None, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    kinds = load_siramasakan().change_kinds
    data: dict[str, Any] = {
        "id": row.code, "office": office_code_of(row), "status": row.status, "status_label": STATUS_LABELS.get(row.status, row.status),
        "stage": row.stage, "stage_label": STAGE_LABELS.get(row.stage, row.stage),
        "case_number": row.case_number, "kk_number": row.kk_number,
        "changes": [{**c, "kind_label": kinds[c["kind"]].label if c["kind"] in kinds else c["kind"]} for c in row.changes or []],
        "decision_date": row.decision_date, "decided_case_number": row.decided_case_number, "handoff_path": row.handoff_path,
        "handed_off_at": row.handed_off_at, "registry_reference": row.registry_reference, "outcome": row.outcome,
        "outcome_reason": row.outcome_reason, "documents_to_collect": list(row.documents_to_collect or []),
        "collection_office": load_siramasakan().collection_office if row.outcome == "processed" else None,
        "reminders_sent": row.reminders_sent or 0, "sla_due_at": sla_due(row), "over_sla": over_sla(row, now),
        "created_at": row.created_at, "finished_at": row.finished_at,
    }
    if applicant is not None:
        data["applicant"] = {"name": applicant.full_name, "nik": applicant.username}
    if events is not None:
        data["timeline"] = [processes.event_line(e) for e in events]
    if tasks is not None:
        data["pending_tasks"] = [processes.pending_line(t) for t in tasks]
    return data


async def list_requests(session: AsyncSession, *, user: User, over_sla_only: bool = False, limit: int = 50, offset: int = 0,
                        now: datetime | None = None) -> tuple[list[SiramasakanRequest], int]:
    """An applicant's own requests; for staff every request, or (over_sla_only) the open hand-offs past their SLA, oldest first."""
    now = now or datetime.now(UTC)
    if over_sla_only:
        if not user.is_staff_for(STAFF_ROLES):
            raise forbidden("Daftar hand-off melewati SLA hanya untuk petugas kepaniteraan dan Disdukcapil.")
        pending = await session.scalars(select(SiramasakanRequest).where(SiramasakanRequest.finished_at.is_(None),
                                                                         SiramasakanRequest.handed_off_at.is_not(None))
                                        .order_by(SiramasakanRequest.handed_off_at))
        rows = [r for r in pending if over_sla(r, now)]
        return rows[offset:offset + limit], len(rows)
    stmt = select(SiramasakanRequest)
    if not user.is_staff_for(STAFF_ROLES):
        stmt = stmt.where(SiramasakanRequest.applicant_id == user.id)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = await session.scalars(stmt.order_by(SiramasakanRequest.created_at.desc()).limit(limit).offset(offset))
    return list(page), total or 0


async def registry_callback(session: AsyncSession, client_factory: Callable[[], Awaitable[Client]], settings: Settings, *, raw: bytes,
                            signature: str | None) -> dict:
    """The registry's report. Checked first (401, nothing stored); an unknown request is 404; a report already applied
    is answered 200 "duplicate" (the registry delivers again when unsure). Otherwise it goes to the request's run as
    an update, and the run has the last word: a report it is not waiting for (the request not handed off to the
    registry's system, already reported, cancelled or finished) is answered 409 `not_waiting` and nothing is
    stored; an accepted one is stored as applied. Temporal away or no worker to answer: 503, nothing stored, and
    the registry sends again (the run knows a report it already took by its event id)."""
    if not settings.dev_mode and settings.civil_registry_secret.strip() in ("", "dev-registry-secret"):
        # The development secret is published: outside development it would let anyone forge a registry report.
        raise Unavailable("Callback Disdukcapil belum dikonfigurasi: atur SATUPINTU_CIVIL_REGISTRY_SECRET.", code="registry_not_configured")
    if not signature_valid(settings.civil_registry_secret, raw, signature):
        raise Unauthenticated(f"Tanda tangan {SIGNATURE_HEADER} tidak ada atau tidak valid.", code="bad_signature")
    try:
        body = CallbackBody.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        raise Invalid("Badan callback tidak valid: perlu event_id, request_id, dan status.", code="invalid") from exc
    if body.status not in ("processed", "refused"):
        raise Invalid("Status callback harus 'processed' atau 'refused'.", code="invalid", errors=[{"field": "status", "message": "tidak valid"}])
    row = await session.scalar(select(SiramasakanRequest).where(SiramasakanRequest.code == body.request_id.strip().upper()))
    if row is None:
        raise not_found("Permohonan SIRAMASAKAN")
    stored = await session.scalar(select(RegistryCallback).where(RegistryCallback.event_id == body.event_id))
    if stored is not None and stored.status == "applied":
        return {"status": "duplicate", "event_id": body.event_id}
    outcome = RegistryOutcome(event_id=body.event_id, status=body.status, reason=body.reason, documents=list(body.documents))
    try:
        client = await client_factory()
        ack = await asyncio.wait_for(send_update(client, row.workflow_id, REPORT_REGISTRY_OUTCOME, outcome, result_type=RegistryOutcomeAck),
                                     timeout=REPORT_TIMEOUT_SECONDS)
    except DomainError as exc:
        if exc.code == ERR_NOT_WAITING:
            raise conflict(exc.detail, code="not_waiting") from exc
        if exc.code == "process_closed":
            raise conflict(f"Permohonan {row.code} sudah selesai ({STATUS_LABELS.get(row.status, row.status)}); laporan ini tidak "
                           "diterapkan.", code="not_waiting") from exc
        if not isinstance(exc, Unavailable):
            raise
        raise _unavailable() from exc
    except Exception as exc:  # Temporal unreachable, or no worker answered in time
        raise _unavailable() from exc
    if stored is None:
        session.add(RegistryCallback(event_id=body.event_id, request_code=row.code, body=json.loads(raw), status="applied"))
    else:  # recorded as received by a gateway from before the update
        stored.status = "applied"
    try:
        await session.commit()
    except IntegrityError:  # the same report delivered twice at once: the other delivery stored it
        await session.rollback()
        return {"status": "duplicate", "event_id": body.event_id}
    return {"status": ack.status, "event_id": body.event_id}


def _unavailable() -> Unavailable:
    return Unavailable("Layanan proses sedang tidak tersedia; kirim ulang callback nanti.", code="temporal_unavailable")
