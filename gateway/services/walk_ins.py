"""Walk-in visits at the counter (seed 004): registering a visitor and a service, the visit as the
counter sees it, and the counter dashboard (open visits, their age against the target, overruns)."""

import re
import secrets
from datetime import UTC, datetime, time

from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from contracts import WALK_IN_STATUSES, Visitor, WalkInInput
from gateway.services import processes
from gateway.services.applicants import clean_phone
from gateway.services.errors import Invalid, forbidden, invalid, not_found
from gateway.services.offices import office_code_of, office_for_staff
from gateway.services.people import person
from gateway.services.processes import new_code, record_and_start, resume
from gateway.services.queue import DESK_ROLES, office_zone, service_day
from process_defs.counter import load_counter, walk_in_snapshot
from store.locks import hold_row
from store.models import CaseEvent, QueueTicket, Task, User, WalkInVisit
from store.settings import Settings
from workflows.walk_in import (
    STATUS_REGISTERED,
    STATUS_RETURNED_INCOMPLETE,
    WalkInVisitWorkflow,
    walk_in_workflow_id,
)

STATUS_LABELS = WALK_IN_STATUSES.labels
STAGE_LABELS = {
    "completeness_check": "Pemeriksaan kelengkapan oleh Front Office",
    "research": "Penelitian berkas oleh Back Office",
    "field_verification": "Verifikasi dokumen dan lapangan oleh unit kerja",
    "coordination": "Koordinasi Supervisor",
    "numbering": "Penomoran dan stempel oleh petugas persuratan",
    "handover": "Penyerahan hasil di Front Office",
    "return": "Pengembalian berkas dan Berita Acara di Front Office",
    "archive": "Pengarsipan oleh arsiparis",
    "delivery": "Pengantaran oleh caraka",
    "finished": "Selesai",
}
DOCUMENT_LABELS = {
    "checklist": "Daftar Periksa Kelengkapan",
    "receipt": "Tanda Terima Berkas (rangkap 3)",
    "berita_acara": "Berita Acara Hasil Verifikasi",
    "ketidaksesuaian": "Berita Acara Ketidaksesuaian Dokumen",
    "result": "Dokumen Hasil",
}
# Who registers visitors (seed 004 §B-C), and who works the counter and may see its visits.
REGISTER_ROLES = DESK_ROLES
COUNTER_ROLES = REGISTER_ROLES | {"back_office", "unit_kerja", "penomoran", "arsiparis", "caraka", "tata_usaha", "kepala_kantor", "admin"}


class VisitorForm(BaseModel):
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    nik: str | None = Field(default=None, max_length=30)


class WalkInForm(BaseModel):
    service_code: str = Field(max_length=60)
    visitor: VisitorForm
    queue_number: str | None = Field(default=None, max_length=16)
    # A double-clicked "Daftarkan" registers one visit.
    client_key: str | None = Field(default=None, max_length=100)


def is_counter_staff(user: User) -> bool:
    return user.kind == "staff" and bool(COUNTER_ROLES & set(user.role_names))


def can_register(user: User) -> bool:
    return user.kind == "staff" and bool(REGISTER_ROLES & set(user.role_names))


def require_registrar(user: User) -> None:
    if not can_register(user):
        raise forbidden("Hanya Petugas Informasi, Front Office, atau Supervisor yang dapat mendaftarkan kunjungan.")


def services() -> list[dict]:
    return [{"code": s.code, "name": s.name, "group": s.group, "one_day": s.one_day, "target_minutes": s.target_minutes,
             "sla_working_days": s.sla_working_days, "target_label": s.target_label, "result_kind": s.result_kind,
             "procedure": s.procedure.strip(), "work_unit": s.work_unit, "delivery": s.delivery,
             "requirements": [{"code": r.code, "name": r.name, "mandatory": r.mandatory} for r in s.requirements]}
            for s in load_counter().services]


def validate(form: WalkInForm) -> Visitor:
    errors: dict[str, str] = {}
    if load_counter().service(form.service_code.strip()) is None:
        errors["service_code"] = "Pilih layanan dari daftar."
    name = " ".join(form.visitor.name.split())
    if len(name) < 3:
        errors["visitor.name"] = "Nama pemohon wajib diisi (paling sedikit 3 huruf)."
    elif not re.fullmatch(r"[A-Za-z .,'\-]+", name):
        errors["visitor.name"] = "Nama hanya boleh berisi huruf, spasi, titik, koma, petik, dan tanda hubung."
    phone = None
    if (form.visitor.phone or "").strip():
        phone = clean_phone(form.visitor.phone)
        if phone is None:
            errors["visitor.phone"] = "No. WhatsApp tidak valid; tulis 08… atau +628…, 10–13 digit."
    nik = (form.visitor.nik or "").strip() or None
    if nik is not None and not re.fullmatch(r"\d{16}", nik):
        errors["visitor.nik"] = "NIK harus 16 digit angka."
    if errors:
        raise Invalid("Isian belum benar: " + " ".join(errors.values()), code="invalid",
                       errors=[{"field": f, "message": m} for f, m in errors.items()])
    return Visitor(name=name, phone=phone, nik=nik)


async def _hold_ticket(session: AsyncSession, number: str) -> tuple[QueueTicket, WalkInVisit | None]:
    """Today's ticket with this number, held (store/locks.py) until the visit that takes it is recorded, and the visit
    that has it already, if any. The ticket names its visit only once the visit's run has started, so until then the
    visit row itself says the number is taken: a second registration with the number waits for the first and finds it."""
    day = service_day()
    ticket = await session.scalar(select(QueueTicket).where(QueueTicket.service_day == day, QueueTicket.number == number))
    if ticket is None:
        raise invalid(f"Nomor antrian {number} tidak ada untuk hari ini.", field="queue_number")
    await hold_row(session, QueueTicket, ticket.id)
    await session.refresh(ticket)
    if ticket.visit_id is not None:
        return ticket, await session.get(WalkInVisit, ticket.visit_id)
    since = datetime.combine(day, time.min, office_zone())
    return ticket, await session.scalar(select(WalkInVisit).where(WalkInVisit.queue_number == number, WalkInVisit.created_at >= since)
                                        .order_by(WalkInVisit.id).limit(1))


async def register(session: AsyncSession, client: Client, settings: Settings, *, user: User, form: WalkInForm) -> tuple[WalkInVisit, bool]:
    """Registers the visit and starts its workflow. Returns (visit, created). A queue number goes to one visit."""
    require_registrar(user)
    if form.client_key:
        existing = await session.scalar(select(WalkInVisit).where(WalkInVisit.client_key == form.client_key))
        if existing is not None:
            return await resume(session, client, settings, existing, what="kunjungan"), False
    visitor = validate(form)
    ticket = None
    if (queue_number := form.queue_number or "").strip():
        number = queue_number.strip().upper()
        ticket, holder = await _hold_ticket(session, number)
        if holder is not None:
            await session.commit()  # ends the hold; the no-op update is all it wrote (a rollback would expire `user`)
            if form.client_key and holder.client_key == form.client_key:
                return await resume(session, client, settings, holder, what="kunjungan"), False  # the same registration, sent twice at once
            raise invalid(f"Nomor antrian {number} sudah dipakai untuk kunjungan lain.", field="queue_number")
    service = load_counter().service(form.service_code.strip())
    if service is None:
        raise RuntimeError(f"service {form.service_code!r} passed validate() but is not in the counter definitions")
    office = office_for_staff(user, "walk_in")
    code = await new_code(session, WalkInVisit.code, lambda: "K" + secrets.token_hex(3).upper(), what="kode kunjungan")
    visit = WalkInVisit(office_id=office.id, code=code, workflow_id=walk_in_workflow_id(code), client_key=form.client_key, service_code=service.code,
                        service_name=service.name, one_day=service.one_day, visitor_name=visitor.name, visitor_phone=visitor.phone,
                        visitor_nik=visitor.nik, queue_number=ticket.number if ticket else None, registered_by_id=user.id,
                        status=STATUS_REGISTERED, stage="completeness_check")
    visit, created = await record_and_start(session, client, settings, visit, workflow=WalkInVisitWorkflow.run, what="kunjungan",
                                            start_input=lambda row: WalkInInput(
                                                visit_id=row.id, code=code, visitor=visitor, registered_by=person(user),
                                                definition=walk_in_snapshot(office.defs, service.code), queue_ticket=row.queue_number))
    if created and ticket is not None:
        ticket.visit_id = visit.id
        await session.commit()
    return visit, created


async def get_for_staff(session: AsyncSession, *, user: User, code: str) -> WalkInVisit:
    """Counter staff see every visit; anyone else gets 404 (a visitor's data is not for probing)."""
    visit = await session.scalar(select(WalkInVisit).where(WalkInVisit.code == code.strip().upper()))
    if visit is None or not is_counter_staff(user):
        raise not_found("Kunjungan")
    return visit


def _minutes(delta_seconds: float) -> int:
    return max(int(delta_seconds // 60), 0)


def _timing(visit: WalkInVisit, now: datetime) -> dict:
    end = visit.finished_at or now
    age = _minutes((end - visit.created_at).total_seconds())
    overrun = visit.overrun_at is not None or (visit.finished_at is None and visit.target_at is not None and now > visit.target_at)
    return {"age_minutes": age, "target_at": visit.target_at, "overrun": overrun,
            "minutes_left": None if visit.target_at is None or visit.finished_at else int((visit.target_at - now).total_seconds() // 60)}


def serialize(visit: WalkInVisit, settings: Settings, *, events: list[CaseEvent] | None = None, tasks: list[Task] | None = None,
              now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    data = {
        "id": visit.code, "office": office_code_of(visit), "status": visit.status, "status_label": STATUS_LABELS.get(visit.status, visit.status),
        "stage": visit.stage, "stage_label": STAGE_LABELS.get(visit.stage, visit.stage),
        "service_code": visit.service_code, "service_name": visit.service_name, "one_day": visit.one_day,
        "visitor": {"name": visit.visitor_name, "phone": visit.visitor_phone, "nik": visit.visitor_nik},
        "queue_number": visit.queue_number, "receipt_number": visit.receipt_number, "result_number": visit.result_number,
        "estimated_done_at": visit.estimated_done_at, "rating": visit.rating, "created_at": visit.created_at,
        "finished_at": visit.finished_at, "overrun_at": visit.overrun_at, **_timing(visit, now),
        "documents": [{"kind": kind, "label": DOCUMENT_LABELS.get(kind, kind), "document_id": doc_id,
                       "url": f"{settings.public_base_url}/dokumen/{doc_id}.pdf"}
                      for kind, doc_id in (visit.documents or {}).items()],
    }
    if events is not None:
        data["timeline"] = [processes.event_line(e) for e in events]
    if tasks is not None:
        data["pending_tasks"] = [processes.pending_line(t) for t in tasks]
    return data


async def list_visits(session: AsyncSession, *, status: str | None = None, open_only: bool = False, q: str | None = None,
                      limit: int = 50, offset: int = 0) -> tuple[list[WalkInVisit], int]:
    stmt = select(WalkInVisit)
    if open_only:
        stmt = stmt.where(WalkInVisit.finished_at.is_(None))
    if status:
        stmt = stmt.where(WalkInVisit.status == status)
    if q and q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(WalkInVisit.code.ilike(like), WalkInVisit.visitor_name.ilike(like), WalkInVisit.receipt_number.ilike(like),
                              WalkInVisit.queue_number.ilike(like)))
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = await session.scalars(stmt.order_by(WalkInVisit.created_at.desc()).limit(limit).offset(offset))
    return list(rows), total or 0


async def dashboard(session: AsyncSession, settings: Settings, *, now: datetime | None = None) -> dict:
    """Open visits oldest first with their age against the target, and today's figures."""
    now = now or datetime.now(UTC)
    open_visits = list(await session.scalars(select(WalkInVisit).where(WalkInVisit.finished_at.is_(None)).order_by(WalkInVisit.created_at)))
    local_midnight = now.astimezone(office_zone()).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    today = list(await session.scalars(select(WalkInVisit).where(WalkInVisit.created_at >= local_midnight)))
    finished_one_day = [v for v in today if v.one_day and v.finished_at is not None and v.status != STATUS_RETURNED_INCOMPLETE]
    rows = [serialize(v, settings, now=now) for v in open_visits]
    rows.sort(key=lambda r: (not r["overrun"], r["created_at"]))
    ratings = [v.rating for v in today if v.rating]
    return {
        "open": rows,
        "open_count": len(rows),
        "overrun_count": sum(1 for r in rows if r["overrun"]),
        "today": {
            "registered": len(today),
            "finished": sum(1 for v in today if v.finished_at is not None),
            "returned_incomplete": sum(1 for v in today if v.status == STATUS_RETURNED_INCOMPLETE),
            "one_day_on_target": sum(1 for v in finished_one_day if v.overrun_at is None),
            "one_day_finished": len(finished_one_day),
            "average_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
        },
    }

