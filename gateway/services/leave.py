"""Leave requests: the checks made before a process starts, the balance, and the case views."""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from contracts import LEAVE_STATUSES, LeaveInput
from gateway.services import processes
from gateway.services.errors import DomainError, conflict, forbidden, invalid, not_found
from gateway.services.offices import office_calendar, office_code_of, office_file_by_id
from gateway.services.people import get_user_by_username, has_subordinates, office_today, person
from office.calendar import OfficeCalendar
from process_defs.loader import LeaveFile, leave_snapshot, load_leave
from store.locks import lock_person
from store.models import CaseEvent, LeaveRequest, Task, User
from store.settings import Settings
from workflows.leave import (
    STATUS_APPROVED,
    STATUS_WAITING_SUPERVISOR,
    LeaveRequestWorkflow,
    leave_workflow_id,
)

OPEN_STATUSES = LEAVE_STATUSES.open
STATUS_LABELS = LEAVE_STATUSES.labels
NEXT_STEP = LEAVE_STATUSES.next_steps


@dataclass
class LeaveForm:
    leave_type: str
    start_date: date
    end_date: date
    reason: str
    address_during_leave: str | None = None
    acting_official_username: str | None = None
    client_key: str | None = None


@dataclass
class AnnualBalance:
    year: int
    entitlement: int
    carried_over: int
    used: int
    pending: int

    @property
    def available(self) -> int:
        return self.entitlement + self.carried_over - self.used - self.pending


def _days_in_year(calendar: OfficeCalendar, start: date, end: date, year: int) -> int:
    lo, hi = max(start, date(year, 1, 1)), min(end, date(year, 12, 31))
    return calendar.working_days_between(lo, hi) if lo <= hi else 0


async def _annual_days(session: AsyncSession, *, employee_id: int, year: int, statuses: tuple[str, ...], calendar: OfficeCalendar) -> int:
    rows = await session.execute(
        select(LeaveRequest.start_date, LeaveRequest.end_date).where(
            LeaveRequest.employee_id == employee_id, LeaveRequest.leave_type == "tahunan",
            LeaveRequest.status.in_(statuses), LeaveRequest.start_date <= date(year, 12, 31), LeaveRequest.end_date >= date(year, 1, 1),
        )
    )
    return sum(_days_in_year(calendar, s, e, year) for s, e in rows)


async def annual_balance(session: AsyncSession, *, employee_id: int, year: int) -> AnnualBalance:
    rules = load_leave().annual_leave
    calendar = office_calendar()
    used_before = await _annual_days(session, employee_id=employee_id, year=year - 1, statuses=(STATUS_APPROVED,), calendar=calendar)
    carried = min(rules.carry_over_max_working_days, max(0, rules.entitlement_working_days - used_before))
    return AnnualBalance(
        year=year, entitlement=rules.entitlement_working_days, carried_over=carried,
        used=await _annual_days(session, employee_id=employee_id, year=year, statuses=(STATUS_APPROVED,), calendar=calendar),
        pending=await _annual_days(session, employee_id=employee_id, year=year, statuses=OPEN_STATUSES, calendar=calendar),
    )


async def validate(session: AsyncSession, *, employee: User, form: LeaveForm, defs: LeaveFile) -> tuple[int, User | None]:
    """Refuses a request that cannot be granted; returns its working days and the acting official."""
    if employee.kind != "staff":  # an applicant's account is no employee's
        raise forbidden("Pengajuan cuti hanya untuk pegawai.")
    leave_type = defs.leave_type(form.leave_type)
    if leave_type is None:
        choices = ", ".join(t.code for t in defs.leave_types)
        raise invalid(f"Jenis cuti '{form.leave_type}' tidak dikenal. Pilihan: {choices}.", field="leave_type")
    if form.end_date < form.start_date:
        raise invalid("Tanggal selesai tidak boleh sebelum tanggal mulai.", field="end_date")
    if form.start_date < office_today():
        raise invalid("Tanggal mulai cuti tidak boleh di masa lalu.", field="start_date")
    if not form.reason or not form.reason.strip():
        raise invalid("Alasan cuti wajib diisi.", field="reason")
    if len(form.reason) > 2000:
        raise invalid("Alasan cuti terlalu panjang (maksimal 2000 karakter).", field="reason")
    if employee.supervisor_id is None:
        raise invalid("Atasan langsung Anda belum diatur. Hubungi admin kepegawaian.")
    if employee.office_id is None or not office_file_by_id(employee.office_id).offers("leave"):
        raise conflict("Kantor Anda tidak melayani permohonan cuti di SatuPintu.", code="process_not_offered")
    calendar = office_calendar()
    working_days = calendar.working_days_between(form.start_date, form.end_date)
    if working_days == 0:
        raise invalid("Rentang tanggal yang dipilih tidak memuat hari kerja (hanya akhir pekan atau hari libur).", field="end_date")
    calendar_days = (form.end_date - form.start_date).days + 1
    if leave_type.max_calendar_days and calendar_days > leave_type.max_calendar_days:
        raise invalid(f"{leave_type.label} paling lama {leave_type.max_calendar_days} hari kalender; diajukan {calendar_days} hari.", field="end_date")

    overlapping = await session.scalar(
        select(LeaveRequest).where(
            LeaveRequest.employee_id == employee.id,
            LeaveRequest.status.in_((*OPEN_STATUSES, STATUS_APPROVED)),
            LeaveRequest.start_date <= form.end_date, LeaveRequest.end_date >= form.start_date,
        ).limit(1)
    )
    if overlapping is not None:
        raise invalid(
            f"Tanggal cuti bertumpuk dengan permohonan #{overlapping.id} ({overlapping.start_date:%d-%m-%Y} s.d. "
            f"{overlapping.end_date:%d-%m-%Y}, {STATUS_LABELS[overlapping.status].lower()}).", field="start_date")

    if leave_type.counts_against_balance:
        for year in range(form.start_date.year, form.end_date.year + 1):
            balance = await annual_balance(session, employee_id=employee.id, year=year)
            wanted = _days_in_year(calendar, form.start_date, form.end_date, year)
            if wanted > balance.available:
                raise invalid(
                    f"Sisa cuti tahunan {year} tidak mencukupi: tersisa {max(balance.available, 0)} hari kerja, "
                    f"diajukan {wanted} hari kerja.", field="end_date")

    acting = None
    if await has_subordinates(session, user=employee):
        # An official's tasks go to an acting official (Plh.) during the leave: the one named, or their own supervisor.
        if form.acting_official_username:
            acting = await get_user_by_username(session, form.acting_official_username)
            if acting is None:
                raise invalid(f"Pegawai '{form.acting_official_username}' untuk Plh. tidak ditemukan.", field="acting_official_username")
            if acting.id == employee.id:
                raise invalid("Plh. selama cuti harus orang lain.", field="acting_official_username")
        else:
            acting = await session.get(User, employee.supervisor_id)
    return working_days, acting


async def submit(session: AsyncSession, client: Client, settings: Settings, *, employee: User, form: LeaveForm) -> tuple[LeaveRequest, bool]:
    """Validates, records and starts the process. Returns (request, created); a repeated client key returns the first.

    The employee's requests are decided one at a time (store/locks.py): from the lock to the commit nobody else can add
    a request of theirs, so of requests sent at once each is checked against those recorded before it (dates that
    overlap, days beyond the balance) and refused as it would be one after the other."""
    defs = load_leave()
    await lock_person(session, employee.id)
    try:
        if form.client_key:
            existing = await session.scalar(select(LeaveRequest).where(LeaveRequest.client_key == form.client_key))
            if existing is not None:
                if existing.employee_id != employee.id:
                    raise conflict("Kunci pengiriman ini sudah dipakai.")
                await session.commit()
                return await processes.resume(session, client, settings, existing, what="permohonan"), False
        working_days, acting = await validate(session, employee=employee, form=form, defs=defs)
        supervisor = await session.get(User, employee.supervisor_id)
        if supervisor is None:  # validate() found the id set; the row it names is gone
            raise invalid("Atasan langsung Anda belum diatur. Hubungi admin kepegawaian.")
    except DomainError:
        await session.commit()  # ends the lock; the no-op update is all it wrote (a rollback would expire `employee`)
        raise

    leave_type = defs.leave_type(form.leave_type)
    if leave_type is None:
        raise RuntimeError(f"leave type {form.leave_type!r} passed validate() but is not in the definitions")
    leave = LeaveRequest(
        office_id=employee.office_id, employee_id=employee.id, leave_type=form.leave_type, start_date=form.start_date, end_date=form.end_date,
        working_days=working_days, reason=form.reason.strip(), address_during_leave=(form.address_during_leave or "").strip() or None,
        substitute_id=acting.id if acting else None, status=STATUS_WAITING_SUPERVISOR,
        workflow_id=f"pending-{uuid.uuid4().hex}", client_key=form.client_key,
    )

    def with_its_workflow_id(row: LeaveRequest) -> None:
        row.workflow_id = leave_workflow_id(row.id)  # the business key is the row's id

    # Commits the request with what starts its process. A client key taken outside this employee's lock can only be
    # another person's (belongs): refused.
    return await processes.record_and_start(
        session, client, settings, leave, workflow=LeaveRequestWorkflow.run, what="permohonan",
        recorded=with_its_workflow_id, belongs=lambda row: row.employee_id == employee.id,
        unavailable="Layanan proses sedang tidak tersedia; permohonan belum terkirim. Silakan coba lagi.",
        start_input=lambda row: LeaveInput(
            request_id=row.id, employee=person(employee), supervisor=person(supervisor), leave_type=form.leave_type,
            leave_type_label=leave_type.label, start_date=form.start_date, end_date=form.end_date,
            working_days=working_days, reason=row.reason, definition=leave_snapshot(office_file_by_id(employee.office_id)),
            address_during_leave=row.address_during_leave, acting_official=person(acting) if acting else None,
        ),
    )


async def get_for_viewer(session: AsyncSession, *, request_id: int, viewer: User) -> LeaveRequest:
    leave = await session.get(LeaveRequest, request_id)
    if leave is None:
        raise not_found("Permohonan cuti")
    if leave.employee_id == viewer.id or "admin" in viewer.role_names:
        return leave
    # Staff who hold or held a task of this case may see it.
    involved = await session.scalar(
        select(func.count()).select_from(Task).where(
            Task.workflow_id == leave.workflow_id,
            (Task.owner_id == viewer.id) | (Task.completed_by_id == viewer.id) | (Task.delegate_id == viewer.id)
            | Task.role.in_(viewer.role_names) | Task.escalated_to_role.in_(viewer.role_names),
        )
    )
    if not involved:
        raise forbidden("Permohonan cuti ini bukan milik Anda.")
    return leave


async def list_for_employee(session: AsyncSession, *, employee: User) -> list[LeaveRequest]:
    return list(await session.scalars(select(LeaveRequest).where(LeaveRequest.employee_id == employee.id).order_by(LeaveRequest.id.desc())))


def leave_type_label(code: str) -> str:
    t = load_leave().leave_type(code)
    return t.label if t else code


def document_url(settings: Settings, leave: LeaveRequest) -> str | None:
    return f"{settings.public_base_url}/dokumen/{leave.document_id}.pdf" if leave.document_id else None


def serialize(leave: LeaveRequest, settings: Settings, events: list[CaseEvent] | None = None) -> dict:
    data = {
        "id": leave.id,
        "office": office_code_of(leave),
        "status": leave.status,
        "status_label": STATUS_LABELS.get(leave.status, leave.status),
        "next_step": NEXT_STEP.get(leave.status),
        "leave_type": leave.leave_type,
        "leave_type_label": leave_type_label(leave.leave_type),
        "start_date": leave.start_date.isoformat(),
        "end_date": leave.end_date.isoformat(),
        "working_days": leave.working_days,
        "reason": leave.reason,
        "address_during_leave": leave.address_during_leave,
        "employee": {"id": leave.employee.id, "username": leave.employee.username, "full_name": leave.employee.full_name},
        "letter_number": leave.letter_number,
        "document_url": document_url(settings, leave),
        "decision_reason": leave.decision_reason,
        "workflow_id": leave.workflow_id,
        "created_at": leave.created_at.isoformat(),
        "finished_at": leave.finished_at.isoformat() if leave.finished_at else None,
    }
    if events is not None:
        data["history"] = [
            {**processes.event_line(e), "at": e.occurred_at.isoformat(), "detail": e.detail}
            for e in events
        ]
    return data
