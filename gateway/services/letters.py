"""Letters (seed 004 §H, Alur Tata Persuratan): the checks before an incoming letter is recorded or an
outgoing number is requested, the register, staff uploads (the scan, the softcopy), and the view of a
letter with its documents, timeline and current step. Office staff only.

Every step after the start is a task of the letter's workflow; decisions go through the task service
like any other, so the workflow's validator has the last word.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import magic
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from temporalio.client import Client

from contracts import LETTER_STATUSES, IncomingLetterInput, OutgoingLetterInput, TaskAck
from gateway.services import files as file_service
from gateway.services import processes
from gateway.services import tasks as task_service
from gateway.services.errors import DomainError, Invalid, conflict, forbidden, invalid, not_found
from gateway.services.offices import office_code_of, office_for_staff, office_of
from gateway.services.people import office_today, person
from gateway.services.processes import new_code, record_and_start, resume, timeline
from process_defs.counter import letter_snapshot, load_counter
from process_defs.processes import BY_NAME
from store.models import CaseEvent, Letter, StoredFile, Task, Unit, User
from store.settings import Settings
from workflows.letters import (
    CATEGORY_SECRET,
    KEY_SCAN,
    KEY_SOFTCOPY,
    OUTCOME_LABELS,
    STATUS_ACCEPTED,
    STATUS_CANCELLED,
    STATUS_CLASSIFIED,
    STATUS_DISPOSED,
    STATUS_DISTRIBUTED,
    STATUS_NUMBERED,
    STATUS_RECEIVED,
    STATUS_REGISTERED,
    STATUS_REJECTED,
    STATUS_REQUESTED,
    STATUS_SCANNED,
    IncomingLetterWorkflow,
    OutgoingLetterWorkflow,
    incoming_workflow_id,
    outgoing_workflow_id,
)

INCOMING, OUTGOING = "incoming", "outgoing"
DIRECTION_LABELS = {INCOMING: "Surat Masuk", OUTGOING: "Surat Keluar"}
STATUS_LABELS = LETTER_STATUSES.labels
STATUSES = {INCOMING: [STATUS_RECEIVED, STATUS_CLASSIFIED, STATUS_REGISTERED, STATUS_DISPOSED, STATUS_SCANNED, STATUS_DISTRIBUTED,
                       STATUS_CANCELLED],
            OUTGOING: [STATUS_REQUESTED, STATUS_ACCEPTED, STATUS_NUMBERED, STATUS_REJECTED, STATUS_CANCELLED]}
STAGE_LABELS = {
    "classify": "Pemilahan oleh petugas Back Office",
    "registration": "Registrasi dan tanda terima di Front Office",
    "disposition": "Menunggu disposisi pimpinan",
    "scan": "Pemindaian oleh petugas Back Office",
    "distribute": "Pengantaran oleh caraka ke unit",
    "done": "Telah diterima unit tujuan",
    "format_check": "Pemeriksaan format dan kode klasifikasi",
    "softcopy": "Menunggu softcopy surat untuk arsip",
    "numbering": "Pemberian nomor surat",
    "numbered": "Nomor surat telah diberikan",
    "rejected": "Ditolak petugas persuratan",
    "cancelled": "Dibatalkan oleh pemilik proses",
}
NEXT_STEP = {
    "classify": "Petugas Back Office memilah surat: kode klasifikasi, sifat, dan arah surat (disposisi pimpinan atau langsung ke unit).",
    "registration": "Petugas Front Office meregistrasi surat: nomor agenda dan tanda terima terbit; lembar disposisi (rangkap 3) dicetak bila perlu disposisi.",
    "disposition": "Pimpinan menentukan unit tujuan dan instruksi disposisi; lembar disposisi terisi lalu terbit.",
    "scan": "Petugas Back Office memindai surat dan mengunggah pindaiannya (PDF).",
    "distribute": "Caraka mengantar surat ke unit tujuan dan mencatat nama penerimanya.",
    "done": "Surat telah sampai di unit tujuan. Tindak lanjut dilakukan oleh unit sesuai disposisi.",
    "format_check": "Petugas persuratan memeriksa format penulisan dan kode klasifikasi surat, lalu menerima atau menolak dengan catatan.",
    "softcopy": "Peminta mengunggah softcopy surat (PDF) untuk arsip; setelah itu nomor surat diberikan.",
    "numbering": "Nomor surat sedang diberikan dari buku register surat keluar.",
    "numbered": "Cantumkan nomor ini pada surat sebelum dikirim. Softcopy tersimpan sebagai arsip.",
    "rejected": "Perbaiki surat sesuai catatan, lalu ajukan permintaan nomor yang baru.",
    "cancelled": "Proses surat ini dihentikan dengan alasan di atas. Bila surat masih perlu diproses, ajukan kembali atau hubungi petugas persuratan.",
}
DOCUMENT_LABELS = {
    "letter_receipt": "Tanda Terima Surat Masuk",
    "disposition_sheet_blank": "Lembar Disposisi kosong (rangkap 3)",
    "disposition_sheet": "Lembar Disposisi terisi (rangkap 3)",
}
FILE_PURPOSES = {"scan": (INCOMING, KEY_SCAN, "pindaian surat"), "softcopy": (OUTGOING, KEY_SOFTCOPY, "softcopy surat")}
# Who records an incoming letter at the counter (seed 004 §H: the front office receives it).
REGISTER_ROLES = {"front_office", "petugas_informasi"}
SENDER_MAX, NUMBER_MAX, SUBJECT_MAX = 300, 120, 1000
_CODE = re.compile(r"^S[MK]-[0-9A-F]{6}$")


@dataclass
class IncomingForm:
    sender: str
    sender_number: str
    letter_date: date | None
    subject: str
    received_via: str
    client_key: str | None = None
    # Marked rahasia at intake (an envelope stamped RAHASIA): hidden from other staff from the first read.
    confidential: bool = False


@dataclass
class OutgoingForm:
    subject: str
    recipient: str
    classification: str
    letter_date: date | None
    softcopy_file_id: str | None = None
    client_key: str | None = None


# --- who may do what -----------------------------------------------------------------------------


# A letter classified "rahasia" is for the leadership, whoever filed it, and the people whose role its
# steps went to (the back office sorts every letter, the courier carries it); other staff do not see it.
# The front office may mark it so at intake; the back office's sorting keeps the mark unless it says why not.
SECRET_CATEGORY = CATEGORY_SECRET
SECRET_READERS = {"kepala_kantor", "tata_usaha", "admin"}


def intake_roles() -> set[str]:
    """Who handles an incoming letter before it is sorted: the roles of the sorting step and of the
    registration that follows it (counter.yaml letters.tasks), i.e. the back office and the front office."""
    tasks = load_counter().letters.tasks
    return {tasks.classify.role, tasks.registration.role}


def _visible_to(viewer: User) -> ColumnElement[bool] | None:
    roles = set(viewer.role_names)
    if SECRET_READERS & roles:
        return None
    involved = select(Task.id).where(Task.workflow_id == Letter.workflow_id, or_(
        Task.role.in_(viewer.role_names or [""]), Task.owner_id == viewer.id, Task.completed_by_id == viewer.id)).exists()
    # Until the back office has sorted an incoming letter nobody knows yet whether it is secret: the sorting
    # sets its classification (an outgoing request carries its own from the start).
    sorted_ = or_(Letter.direction != INCOMING, Letter.classification.is_not(None))
    not_secret = or_(Letter.category.is_(None), Letter.category != SECRET_CATEGORY)
    return or_(and_(sorted_, not_secret), *([~sorted_] if intake_roles() & roles else []), Letter.created_by_id == viewer.id, involved)


async def visible(session: AsyncSession, *, viewer: User, workflow_id: str) -> bool:
    """Whether `viewer` may see the letter of this run (its documents follow the letter)."""
    condition = _visible_to(viewer)
    return await session.scalar(select(Letter.id).where(Letter.workflow_id == workflow_id,
                                                        *([condition] if condition is not None else []))) is not None


def require_staff(user: User) -> None:
    if not user.is_staff_for(BY_NAME["letter"].staff_roles):
        raise forbidden("Persuratan hanya untuk petugas kantor.")


def can_register_incoming(user: User) -> bool:
    return user.is_staff_for(BY_NAME["letter"].staff_roles) and bool(REGISTER_ROLES & set(user.role_names))


# --- checks ------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


def _required(errors: dict, field: str, value: str, missing: str, limit: int, label: str) -> None:
    if not value:
        errors[field] = missing
    elif len(value) > limit:
        errors[field] = f"{label} paling banyak {limit} karakter."


def incoming_errors(form: IncomingForm) -> dict[str, str]:
    """Every problem of an incoming letter's data, by field, in Bahasa Indonesia."""
    errors: dict[str, str] = {}
    via = load_counter().letters.received_via
    _required(errors, "sender", _text(form.sender), "Pengirim surat wajib diisi (instansi atau nama orang).", SENDER_MAX, "Pengirim")
    _required(errors, "sender_number", _text(form.sender_number), "Nomor surat wajib diisi; tulis \"tanpa nomor\" bila surat tidak bernomor.",
              NUMBER_MAX, "Nomor surat")
    _required(errors, "subject", _text(form.subject), "Perihal surat wajib diisi.", SUBJECT_MAX, "Perihal")
    today = office_today()
    if form.letter_date is None:
        errors["letter_date"] = "Tanggal surat wajib diisi."
    elif form.letter_date > today:
        errors["letter_date"] = "Tanggal surat tidak boleh setelah hari ini."
    elif form.letter_date < today - timedelta(days=3660):
        errors["letter_date"] = "Tanggal surat lebih dari 10 tahun yang lalu; periksa kembali."
    if form.received_via not in via:
        errors["received_via"] = "Pilih cara surat diterima: " + ", ".join(via.values()) + "."
    return errors


def outgoing_errors(form: OutgoingForm) -> dict[str, str]:
    """Every problem of an outgoing number request's own data, by field (the softcopy is checked apart)."""
    errors: dict[str, str] = {}
    classifications = load_counter().letters.classifications
    _required(errors, "subject", _text(form.subject), "Perihal surat wajib diisi.", SUBJECT_MAX, "Perihal")
    _required(errors, "recipient", _text(form.recipient), "Tujuan surat (kepada) wajib diisi.", SENDER_MAX, "Tujuan surat")
    if not form.classification:
        errors["classification"] = "Pilih kode klasifikasi surat."
    elif form.classification not in classifications:
        errors["classification"] = f"Kode klasifikasi '{form.classification[:20]}' tidak dikenal. Pilih dari daftar kode klasifikasi."
    today = office_today()
    if form.letter_date is None:
        errors["letter_date"] = "Tanggal surat wajib diisi."
    elif abs((form.letter_date - today).days) > 366:
        errors["letter_date"] = "Tanggal surat paling jauh satu tahun dari hari ini."
    return errors


def _raise_first(errors: dict[str, str]) -> None:
    if errors:
        field, message = next(iter(errors.items()))
        raise Invalid(message, code="invalid", errors=[{"field": f, "message": m} for f, m in errors.items()])


async def check_softcopy(session: AsyncSession, *, user: User, file_id: str) -> StoredFile:
    """A softcopy sent with a request: the requester's own upload, and a PDF."""
    file = await session.get(StoredFile, file_id) if file_id and len(file_id) <= 40 else None
    if file is None or file.deleted_at is not None or file.owner_id != user.id:
        raise invalid("Softcopy tidak ditemukan di antara unggahan Anda. Unggah berkas PDF surat terlebih dahulu.", field="softcopy_file_id")
    if file.extension != "pdf":
        raise invalid(f"Softcopy \"{file.name}\" adalah {file.extension.upper()}, bukan PDF.", field="softcopy_file_id")
    return file


# --- starting a letter ----------------------------------------------------------------------------


async def unit_choices(session: AsyncSession) -> dict[str, str]:
    """The units a letter can be routed to (code → name): the staff directory below the office itself."""
    units = list(await session.scalars(select(Unit).order_by(Unit.id)))
    below = [u for u in units if u.parent_id is not None] or units
    return {u.code: u.name for u in below}


async def _existing(session: AsyncSession, user: User, client_key: str | None) -> Letter | None:
    if not client_key:
        return None
    existing = await session.scalar(select(Letter).where(Letter.client_key == client_key))
    if existing is not None and existing.created_by_id != user.id:
        raise conflict("Kunci pengiriman ini sudah dipakai.")
    return existing


async def register_incoming(session: AsyncSession, client: Client, settings: Settings, *, user: User,
                            form: IncomingForm) -> tuple[Letter, bool]:
    """The front office records a letter it received; the back office is asked to sort it."""
    require_staff(user)
    if not can_register_incoming(user):
        raise forbidden("Surat masuk dicatat oleh petugas Front Office.")
    existing = await _existing(session, user, form.client_key)
    if existing is not None:
        return await resume(session, client, settings, existing, what="surat"), False
    _raise_first(incoming_errors(form))
    via = load_counter().letters.received_via
    code = await new_code(session, Letter.code, lambda: f"SM-{secrets.token_hex(3).upper()}", what="kode surat")
    units = await unit_choices(session)
    # The mark is on the row before anyone can read it; the sorting confirms or changes it later.
    # The workflow starts with these as they were written to the row (its columns may be empty for other letters).
    sender, sender_number, received_via = _text(form.sender), _text(form.sender_number), form.received_via
    office = office_for_staff(user, "letter")
    letter = Letter(office_id=office.id, code=code, direction=INCOMING, workflow_id=incoming_workflow_id(code), client_key=form.client_key,
                    status=STATUS_RECEIVED, stage="classify", subject=_text(form.subject), sender=sender,
                    sender_number=sender_number, received_via=received_via, letter_date=form.letter_date,
                    category=SECRET_CATEGORY if form.confidential else None, created_by_id=user.id, unit_id=user.unit_id)

    return await record_and_start(session, client, settings, letter, workflow=IncomingLetterWorkflow.run, what="surat",
                                  start_input=lambda row: IncomingLetterInput(
                                      letter_id=row.id, code=row.code, sender=sender, sender_number=sender_number,
                                      letter_date=row.letter_date, subject=row.subject, received_via=received_via,
                                      received_via_label=via[received_via], received_by=person(user), definition=letter_snapshot(office.defs, units),
                                      confidential=form.confidential))


async def request_outgoing(session: AsyncSession, client: Client, settings: Settings, *, user: User,
                           form: OutgoingForm) -> tuple[Letter, bool]:
    """A unit asks for an outgoing letter number; the correspondence officer checks it first."""
    require_staff(user)
    existing = await _existing(session, user, form.client_key)
    if existing is not None:
        return await resume(session, client, settings, existing, what="permintaan nomor"), False
    _raise_first(outgoing_errors(form))
    if form.softcopy_file_id:
        await check_softcopy(session, user=user, file_id=form.softcopy_file_id)
    code = await new_code(session, Letter.code, lambda: f"SK-{secrets.token_hex(3).upper()}", what="kode surat")
    units = await unit_choices(session)
    recipient, classification = _text(form.recipient), form.classification  # as written to the row, for the workflow
    office = office_for_staff(user, "letter")
    letter = Letter(office_id=office.id, code=code, direction=OUTGOING, workflow_id=outgoing_workflow_id(code), client_key=form.client_key,
                    status=STATUS_REQUESTED, stage="format_check", subject=_text(form.subject), recipient=recipient,
                    classification=classification, letter_date=form.letter_date, created_by_id=user.id, unit_id=user.unit_id)
    requester = person(user)

    return await record_and_start(session, client, settings, letter, workflow=OutgoingLetterWorkflow.run, what="permintaan nomor",
                                  start_input=lambda row: OutgoingLetterInput(
                                      letter_id=row.id, code=row.code, requester=requester, unit_name=requester.unit_name or "–",
                                      subject=row.subject, recipient=recipient, classification=classification,
                                      letter_date=row.letter_date, definition=letter_snapshot(office.defs, units),
                                      softcopy_file_id=form.softcopy_file_id or None))


# --- the register and one letter -----------------------------------------------------------------


async def get_for_viewer(session: AsyncSession, *, viewer: User, code: str) -> Letter:
    """A letter, for office staff; anyone else gets 404, so a code cannot be probed."""
    code = (code or "").strip().upper()
    if not _CODE.match(code) or not viewer.is_staff_for(BY_NAME["letter"].staff_roles):
        raise not_found("Surat")
    visible = _visible_to(viewer)
    letter = await session.scalar(select(Letter).where(Letter.code == code, *([visible] if visible is not None else [])))
    if letter is None:
        raise not_found("Surat")
    return letter


def _search(q: str | None) -> list:
    text = " ".join((q or "").split())[:100]
    if not text:
        return []
    like = "%" + re.sub(r"([\\%_])", r"\\\1", text.lower()) + "%"
    columns = (Letter.code, Letter.subject, Letter.sender, Letter.sender_number, Letter.recipient, Letter.number)
    return [or_(*(func.lower(c).like(like, escape="\\") for c in columns))]


async def list_letters(session: AsyncSession, *, viewer: User, direction: str | None = None, status: str | None = None,
                       q: str | None = None, limit: int = 25, offset: int = 0) -> tuple[list[Letter], int]:
    require_staff(viewer)
    if direction is not None and direction not in DIRECTION_LABELS:
        raise invalid("Arah surat harus 'incoming' (masuk) atau 'outgoing' (keluar).", field="direction")
    if status is not None and status not in STATUS_LABELS:
        raise invalid(f"Status '{status[:30]}' tidak dikenal. Pilihan: {', '.join(STATUS_LABELS)}.", field="status")
    visible = _visible_to(viewer)
    conditions = [*([Letter.direction == direction] if direction else []), *([Letter.status == status] if status else []), *_search(q),
                  *([visible] if visible is not None else [])]
    total = await session.scalar(select(func.count()).select_from(Letter).where(*conditions)) or 0
    rows = await session.scalars(select(Letter).where(*conditions).order_by(Letter.created_at.desc(), Letter.id.desc()).limit(limit).offset(offset))
    return list(rows), total


async def counts_by_direction(session: AsyncSession, *, viewer: User, q: str | None = None) -> dict[str, int]:
    visible = _visible_to(viewer)
    rows = await session.execute(select(Letter.direction, func.count()).where(*_search(q), *([visible] if visible is not None else []))
                                 .group_by(Letter.direction))
    return {INCOMING: 0, OUTGOING: 0, **dict(rows.all())}


async def open_task(session: AsyncSession, letter: Letter) -> Task | None:
    return await session.scalar(select(Task).where(Task.workflow_id == letter.workflow_id, Task.status == "open")
                                .order_by(Task.created_at.desc()).limit(1))


async def held_task(session: AsyncSession, *, user: User, letter: Letter) -> Task | None:
    """The letter's open task when `user` may decide it (holder, role, escalation or Plh.)."""
    task = await open_task(session, letter)
    if task is None:
        return None
    try:
        return await task_service.get_visible(session, user=user, task_id=task.id)
    except DomainError:
        return None


async def decide_step(session: AsyncSession, client: Client, settings: Settings, *, user: User, code: str, task_id: str,
                      outcome: str, reason: str | None, data: dict) -> TaskAck:
    """A decision on one of this letter's tasks, through the one task service."""
    letter = await get_for_viewer(session, viewer=user, code=code)
    task = await session.get(Task, task_id)
    if task is None or task.workflow_id != letter.workflow_id:
        raise not_found("Tugas")
    return await task_service.decide(session, client, settings, user=user, task_id=task_id, outcome=outcome, reason=reason, data=data)


# --- staff uploads: the scan, the softcopy -----------------------------------------------------------


async def store_pdf(session: AsyncSession, settings: Settings, *, owner: User, name: str, upload: object) -> StoredFile:
    """Stores a staff upload that is a PDF by its content; anything else is refused before it is kept."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise invalid("Pilih berkas PDF yang akan diunggah.", field="file")
    head = await upload.read(file_service.SNIFF_BYTES)
    await upload.seek(0)
    if head:
        media_type = magic.from_buffer(head, mime=True)
        if file_service.ACCEPTED.get(media_type, ("",))[0] != "pdf":
            label = file_service.DETECTED_LABELS.get(media_type) or file_service.TYPE_LABELS.get(
                file_service.ACCEPTED.get(media_type, ("",))[0]) or media_type
            raise invalid(f"Berkas ini terdeteksi sebagai {label}, bukan PDF. Pindai atau simpan surat sebagai PDF lalu unggah kembali.",
                          field="file")
    return await file_service.store_upload(session, settings, owner=owner, name=name, upload=upload)


async def upload_for_letter(session: AsyncSession, settings: Settings, *, user: User, code: str, purpose: str,
                            upload: object) -> StoredFile:
    """The scan (incoming) or the softcopy (outgoing), uploaded by whoever holds that step now."""
    letter = await get_for_viewer(session, viewer=user, code=code)
    if purpose not in FILE_PURPOSES or FILE_PURPOSES[purpose][0] != letter.direction:
        raise invalid("Jenis unggahan harus \"scan\" untuk surat masuk atau \"softcopy\" untuk surat keluar.", field="purpose")
    _, key, what = FILE_PURPOSES[purpose]
    task = await open_task(session, letter)
    if task is None or not task.id.rsplit(".", 1)[-1].startswith(key):
        raise conflict(f"Surat {letter.code} tidak sedang menunggu unggahan {what}.", code="not_waiting_for_file")
    await task_service.get_visible(session, user=user, task_id=task.id)
    return await store_pdf(session, settings, owner=user, name=f"{what.capitalize()} {letter.code}", upload=upload)


async def letter_file(session: AsyncSession, *, viewer: User, code: str, purpose: str) -> StoredFile:
    letter = await get_for_viewer(session, viewer=viewer, code=code)
    file_id = {"scan": letter.scan_file_id, "softcopy": letter.softcopy_file_id}.get(purpose)
    file = await session.get(StoredFile, file_id) if file_id else None
    if file is None:
        raise not_found("Berkas surat")
    return file


# --- presentation -------------------------------------------------------------------------------------


def serialize_task(task: Task) -> dict:
    office = office_of(task)
    return {"id": task.id, "key": task.id.rsplit(".", 1)[-1], "title": task.title, "role": task.role, "role_label": office.role_label(task.role),
            "owner": task.owner.full_name if task.owner else None, "escalated_to_role": task.escalated_to_role,
            "claimed_by": task.claimed_by.full_name if task.claimed_by else None,
            "due_at": task.due_at.isoformat() if task.due_at else None, "outcomes": task.outcomes, "form": task.form or {},
            "summary": task.summary}


def serialize(letter: Letter, *, events: list[CaseEvent] | None = None, task: Task | None = None) -> dict:
    defs = load_counter().letters
    data: dict[str, Any] = {
        "id": letter.code, "code": letter.code, "office": office_code_of(letter),
        "direction": letter.direction, "direction_label": DIRECTION_LABELS.get(letter.direction),
        "status": letter.status, "status_label": STATUS_LABELS.get(letter.status, letter.status),
        "stage": letter.stage, "current_step": STAGE_LABELS.get(letter.stage, letter.stage), "next_step": NEXT_STEP.get(letter.stage),
        "finished": letter.status in LETTER_STATUSES.final,
        "cancel_reason": letter.notes if letter.status == STATUS_CANCELLED else None,
        "subject": letter.subject, "letter_date": letter.letter_date.isoformat(), "number": letter.number,
        "classification": letter.classification,
        "classification_label": defs.classifications.get(letter.classification) if letter.classification else None,
        "category": letter.category, "category_label": defs.categories.get(letter.category) if letter.category else None,
        "confidential": letter.category == SECRET_CATEGORY,
        "created_at": letter.created_at.isoformat(), "finished_at": letter.finished_at.isoformat() if letter.finished_at else None,
    }
    if letter.direction == INCOMING:
        data.update({"agenda_number": letter.number, "sender": letter.sender, "sender_number": letter.sender_number,
                     "received_via": letter.received_via, "received_via_label": defs.received_via.get(letter.received_via or ""),
                     "disposition": letter.disposition, "delivered_to": letter.delivered_to})
    else:
        data.update({"recipient": letter.recipient, "notes": letter.notes})
    if events is None:
        return data
    data.update({
        "workflow_id": letter.workflow_id,
        "documents": [{"kind": kind, "label": DOCUMENT_LABELS.get(kind, kind), "document_id": doc_id, "url": f"/dokumen/{doc_id}.pdf"}
                      for kind, doc_id in sorted((letter.documents or {}).items(), key=lambda kv: list(DOCUMENT_LABELS).index(kv[0])
                                                 if kv[0] in DOCUMENT_LABELS else 99)],
        "files": {purpose: {"file_id": file_id, "url": f"/api/v1/letters/{letter.code}/files/{purpose}"} if file_id else None
                  for purpose, file_id in (("scan", letter.scan_file_id), ("softcopy", letter.softcopy_file_id))
                  if FILE_PURPOSES[purpose][0] == letter.direction},
        "pending_task_id": task.id if task else None,
        "pending_task": serialize_task(task) if task else None,
        "timeline": [{**processes.event_line(e), "at": e.occurred_at.isoformat(), "outcome_label": OUTCOME_LABELS.get(e.outcome or "", e.outcome)}
                     for e in events],
    })
    return data


async def detail(session: AsyncSession, *, viewer: User, code: str) -> dict:
    letter = await get_for_viewer(session, viewer=viewer, code=code)
    return serialize(letter, events=await timeline(session, workflow_id=letter.workflow_id), task=await open_task(session, letter))
