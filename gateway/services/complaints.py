"""Complaints and criticism (seed 002 ALAMI, seed 003 Pengaduan, seed 000 §5 Kritis): filing from the public
form, an applicant's dashboard or the Kritis form, public tracking by number, and the staff views.

The public API takes no challenge (a client cannot show one) but is rate-limited per client address; the
public page also asks the arithmetic challenge. Photos are images only, typed by content with libmagic
and kept in the file storage (store/storage.py, `complaints/<uuid>.<ext>`) under names we choose, so nothing a
sender names can leave that namespace.
"""

import asyncio
import re
import secrets
import statistics
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import magic
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from temporalio.client import Client

from contracts import COMPLAINT_STATUSES, Complainant, ComplaintInput, ComplaintOfficer
from gateway.services import processes, throttle, tracking
from gateway.services.applicants import clean_email, clean_phone, refuse
from gateway.services.dates import EARLIEST, range_message
from gateway.services.errors import Forbidden, TooLarge, invalid, not_found
from gateway.services.files import ACCEPTED, CappedMultiPartParser, check_content, clean_filename, detected_label, storage_unavailable
from gateway.services.offices import OfficeEntry, office_calendar, office_code_of, office_for_citizen
from gateway.services.offices import directory as directory_of_offices
from gateway.services.processes import new_code, record_and_start, resume
from process_defs.complaints import complaint_snapshot, load_complaints
from process_defs.processes import BY_NAME
from store.models import Complaint, PermitApplication, Unit, User, UserRole
from store.settings import Settings
from store.storage import StorageError, complaint_photo_key, discard, storage_for
from workflows.complaint import (
    STAGE_DONE,
    STAGE_FOLLOW_UP,
    STAGE_VERIFICATION,
    STATUS_ANSWERED,
    STATUS_CANCELLED,
    STATUS_INVALID,
    STATUS_SPAM,
    STATUS_VERIFYING,
    ComplaintWorkflow,
    complaint_workflow_id,
)

CHANNEL_PUBLIC, CHANNEL_APPLICANT, CHANNEL_CRITICISM = "pengaduan", "pengaduan_pemohon", "kritik"
CHANNEL_LABELS = {CHANNEL_PUBLIC: "Formulir publik", CHANNEL_APPLICANT: "Dasbor pemohon", CHANNEL_CRITICISM: "Kritik dan saran"}
STAGE_LABELS = {STAGE_VERIFICATION: "Verifikasi", STAGE_FOLLOW_UP: "Tindak lanjut", STAGE_DONE: "Selesai"}
STATUS_LABELS = COMPLAINT_STATUSES.labels
# What the complainant reads next, by status (every page says what happens next).
NEXT_STEP = COMPLAINT_STATUSES.next_steps
REJECTED = (STATUS_INVALID, STATUS_SPAM)
# Public tracking says what happened, not what anyone wrote: the response and the reasons go to the complainant's
# WhatsApp and email (and to Pengaduan Saya for an applicant), never to whoever holds the number.
_SENT = "telah dikirim melalui WhatsApp atau email yang Anda cantumkan (bila Anda mengadu dari akun pemohon: menu Pengaduan)"
PUBLIC_NEXT_STEP = {
    **NEXT_STEP,
    STATUS_ANSWERED: f"Pengaduan selesai; tanggapan kantor {_SENT}. Bila masalah belum teratasi, Anda dapat mengajukan pengaduan baru.",
    STATUS_INVALID: f"Pengaduan tidak ditindaklanjuti; alasannya {_SENT}. Bila ada keterangan baru, ajukan pengaduan baru.",
    STATUS_SPAM: f"Pengaduan tidak ditindaklanjuti; alasannya {_SENT}.",
    STATUS_CANCELLED: f"Pengaduan dibatalkan oleh kantor; alasannya {_SENT}. Bila masalahnya masih ada, ajukan kembali pengaduan "
                      "baru atau hubungi kantor.",
}
# Ended with a reason the complainant reads (kept in rejection_reason): refused, or cancelled by a process owner.
WITH_REASON = (*REJECTED, STATUS_CANCELLED)
# Who works complaints: they see every complaint. An officer a complaint is dispositioned to sees that one.
STAFF_ROLES = BY_NAME["complaint"].staff_roles
# The role whose holders the head can disposition a complaint to (complaints.yaml tasks.follow_up.role).
TRACKING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TRACKING_PATTERN = re.compile(r"ADU-[A-HJ-KM-NP-Z2-9]{6}")
# The public API and pages: per client address, every filing counts.
FILE_IP = throttle.Policy(limit=10, window=timedelta(hours=1), block=timedelta(minutes=15))
TITLE_MIN, TITLE_MAX, CONTENT_MIN, CONTENT_MAX = 5, 200, 20, 5000


class PublicComplaintForm(BaseModel):
    category: str = Field(max_length=40)
    title: str = Field(max_length=400)
    content: str = Field(max_length=10000)
    nik: str | None = Field(default=None, max_length=30)
    phone: str = Field(max_length=30)
    incident_date: str = Field(max_length=20)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    client_key: str | None = Field(default=None, max_length=100)
    # The office complained to (GET /api/v1/offices); omitted: the only office taking complaints.
    office: str | None = Field(default=None, max_length=40)


class ApplicantComplaintForm(BaseModel):
    category: str = Field(max_length=40)
    title: str = Field(max_length=400)
    content: str = Field(max_length=10000)
    # The receipt code (resi) of one of the applicant's own applications.
    application_resi: str | None = Field(default=None, max_length=20)
    client_key: str | None = Field(default=None, max_length=100)
    # Omitted: the application's office, or the only office taking complaints.
    office: str | None = Field(default=None, max_length=40)


class CriticismForm(BaseModel):
    kind: str = Field(max_length=40)
    description: str = Field(max_length=10000)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=200)
    client_key: str | None = Field(default=None, max_length=100)
    office: str | None = Field(default=None, max_length=40)


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- checking what was sent ---------------------------------------------------------------------------


def _text(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").strip()


def _check_title_content(title: str, content: str, errors: dict[str, str], *, content_field: str = "content") -> None:
    if not TITLE_MIN <= len(" ".join(title.split())) <= TITLE_MAX:
        errors["title"] = f"Judul pengaduan {TITLE_MIN}–{TITLE_MAX} karakter."
    if not CONTENT_MIN <= len(content) <= CONTENT_MAX:
        errors[content_field] = f"Uraian {CONTENT_MIN}–{CONTENT_MAX} karakter: jelaskan apa, kapan, dan di mana kejadiannya."


def check_public(form: PublicComplaintForm, *, today: date) -> dict:
    defs, errors = load_complaints(), {}
    if form.category not in defs.public_categories:
        errors["category"] = "Pilih kategori: " + " atau ".join(defs.public_categories.values()) + "."
    title, content = " ".join(form.title.split()), _text(form.content)
    _check_title_content(title, content, errors)
    nik = re.sub(r"[\s.\-]", "", form.nik or "") or None
    if nik is not None and not re.fullmatch(r"\d{16}", nik):
        errors["nik"] = "NIK harus 16 digit angka (boleh dikosongkan)."
    phone = clean_phone(form.phone)
    if phone is None:
        errors["phone"] = "No. HP/WhatsApp tidak valid; tulis 08… atau +628…, 10–13 digit."
    email = None
    if _text(form.email):
        email = clean_email(form.email)
        if email is None:
            errors["email"] = "Alamat email tidak valid (boleh dikosongkan)."
    incident = None
    try:
        incident = date.fromisoformat(_text(form.incident_date))
        if incident > today:
            errors["incident_date"] = "Tanggal kejadian tidak boleh di masa depan."
        elif incident < EARLIEST:
            errors["incident_date"] = range_message("Tanggal kejadian")
    except ValueError:
        errors["incident_date"] = "Tanggal kejadian wajib diisi dengan format tanggal yang benar."
    if errors:
        raise refuse(errors)
    return {"category": form.category, "title": title, "content": content, "incident_date": incident,
            "complainant": Complainant(name=" ".join((form.name or "").split())[:200], nik=nik, phone=phone, email=email)}


def check_criticism(form: CriticismForm) -> dict:
    defs, errors = load_complaints(), {}
    if form.kind not in defs.criticism_kinds:
        errors["kind"] = "Pilih jenis kritik dari daftar."
    content = _text(form.description)
    if not CONTENT_MIN <= len(content) <= CONTENT_MAX:
        errors["description"] = f"Uraian {CONTENT_MIN}–{CONTENT_MAX} karakter."
    phone = email = None
    if _text(form.phone):
        phone = clean_phone(form.phone)
        if phone is None:
            errors["phone"] = "No. HP/WhatsApp tidak valid; tulis 08… atau +628…, 10–13 digit (boleh dikosongkan)."
    if _text(form.email):
        email = clean_email(form.email)
        if email is None:
            errors["email"] = "Alamat email tidak valid (boleh dikosongkan)."
    if errors:
        raise refuse(errors)
    return {"category": form.kind, "title": defs.criticism_kinds[form.kind], "content": content, "incident_date": None,
            "complainant": Complainant(name=" ".join((form.name or "").split())[:200], phone=phone, email=email)}


# --- photos -----------------------------------------------------------------------------------------


def photo_rules_text() -> str:
    rules = load_complaints().photos
    return f"paling banyak {rules.max_count} foto {', '.join(t.upper() for t in rules.types)}, masing-masing paling besar {rules.max_mb} MB"


async def read_form(request: Request) -> tuple[dict, list[UploadFile], bool]:
    """The fields and photo parts of a multipart complaint, streamed with each photo capped at the limit;
    the flag says a photo passed it. The caller closes the uploads."""
    rules = load_complaints().photos
    limit = rules.max_mb * 1024 * 1024
    cap = (rules.max_count + 1) * limit * 2

    async def capped() -> AsyncIterator[bytes]:
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > cap:
                raise TooLarge(f"Kiriman terlalu besar: {photo_rules_text()}.", code="too_large")
            yield chunk

    parser = CappedMultiPartParser(request.headers, capped(), max_files=rules.max_count + 1, max_fields=20, file_limit=limit)
    try:
        form = await parser.parse()
    except MultiPartException:
        raise invalid(f"Formulir tidak terbaca; foto: {photo_rules_text()}.", field="photos") from None
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    uploads = [v for k, v in form.multi_items() if k == "photos" and isinstance(v, UploadFile) and (v.filename or v.size)]
    return fields, uploads, parser.too_large


async def store_photos(settings: Settings, uploads: list[UploadFile], *, too_large: bool) -> list[dict]:
    """Checks every photo (count, size, type by content, no hidden script) before keeping any."""
    rules = load_complaints().photos
    if too_large:
        raise TooLarge(f"Foto terlalu besar: {photo_rules_text()}.", code="too_large",
                       errors=[{"field": "photos", "message": f"Foto terlalu besar: {photo_rules_text()}."}])
    if len(uploads) > rules.max_count:
        raise invalid(f"Terlalu banyak foto: {photo_rules_text()}.", field="photos")
    checked = []
    for upload in uploads:
        content = await upload.read(rules.max_mb * 1024 * 1024 + 1)
        name = clean_filename(upload.filename)
        if not content:
            raise invalid(f"Foto {name} kosong (0 byte).", field="photos")
        if len(content) > rules.max_mb * 1024 * 1024:
            raise TooLarge(f"Foto {name} terlalu besar: {photo_rules_text()}.", code="too_large")
        media_type = magic.from_buffer(content[:8192], mime=True)
        extension = ACCEPTED.get(media_type, ("", ""))[0]
        if extension not in rules.types:
            label = detected_label(media_type, magic.from_buffer(content[:8192]))
            raise invalid(f"Berkas {name} terdeteksi sebagai {label} — yang diterima hanya foto {', '.join(t.upper() for t in rules.types)}.",
                          field="photos")
        # The same content check as File Saya: decoded to the last pixel, no code hidden in the bytes.
        await run_in_threadpool(check_content, content, extension, subject=f"Foto {name}", field="photos")
        checked.append((name, media_type, extension, content))
    storage = storage_for(settings)
    kept: list[dict] = []
    import hashlib  # noqa: PLC0415

    try:
        for name, media_type, extension, content in checked:
            file_name = f"{uuid.uuid4().hex}.{extension}"
            await storage.put(complaint_photo_key(file_name), content, media_type)
            kept.append({"file": file_name, "name": name[:200], "media_type": media_type, "size": len(content),
                         "sha256": hashlib.sha256(content).hexdigest()})
    except StorageError:
        await discard(storage, [complaint_photo_key(p["file"]) for p in kept])
        raise storage_unavailable() from None
    return kept


def photo_key(complaint: Complaint, index: int) -> tuple[str, dict]:
    """The storage key and the description of a complaint's photo."""
    photos = complaint.photos or []
    if not 0 <= index < len(photos):
        raise not_found("Foto")
    photo = photos[index]
    try:
        # The stored name is ours (a uuid), but a row is data: never anything outside the photos' namespace.
        return complaint_photo_key(str(photo.get("file") or "")), photo
    except (ValueError, AttributeError):
        raise not_found("Foto") from None


_cleanups: set[asyncio.Task] = set()


def _discard_photos(settings: Settings, photos: list[dict]) -> None:
    """Removes the photos of a complaint that was not recorded; in the background, since the caller's clean-up hook is
    synchronous. A photo left behind by a failure here is an orphan nobody can reach, not a leak."""
    keys = [complaint_photo_key(photo["file"]) for photo in photos]
    if keys:
        task = asyncio.get_running_loop().create_task(discard(storage_for(settings), keys))
        _cleanups.add(task)
        task.add_done_callback(_cleanups.discard)


# --- filing -----------------------------------------------------------------------------------------


async def directory(session: AsyncSession, office_id: int) -> tuple[dict[str, str], dict[str, ComplaintOfficer]]:
    """Units and the officers (the office's staff holding the follow-up role) a disposition can name."""
    role = load_complaints().tasks["follow_up"].role
    users = await session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == role, User.kind == "staff", User.is_active.is_(True), User.unit_id.is_not(None), User.office_id == office_id)
        .order_by(User.full_name))
    officers = {u.username: ComplaintOfficer(id=u.id, username=u.username, full_name=u.full_name, unit_code=u.unit.code,
                                             unit_name=u.unit.name, position=u.position)
                for u in users if u.unit is not None}  # (each has one: the query asks for a unit)
    units = {o.unit_code: o.unit_name for o in sorted(officers.values(), key=lambda o: o.unit_name)}
    return units, officers


async def _existing(session: AsyncSession, client_key: str | None) -> Complaint | None:
    if not client_key:
        return None
    return await session.scalar(select(Complaint).where(Complaint.client_key == client_key))


async def _file(session: AsyncSession, client: Client, settings: Settings, *, channel: str, data: dict, client_key: str | None,
                office: OfficeEntry, photos: list[dict] | None = None, applicant: User | None = None,
                application: PermitApplication | None = None) -> Complaint:
    photos = photos or []
    tracking = await new_code(session, Complaint.tracking_number, lambda: "ADU-" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(6)),
                              what="nomor pengaduan")
    c: Complainant = data["complainant"]
    complaint = Complaint(office_id=office.id, tracking_number=tracking, workflow_id=complaint_workflow_id(tracking), client_key=client_key, channel=channel,
                          category=data["category"], title=data["title"], content=data["content"], nik=c.nik, phone=c.phone, email=c.email,
                          incident_date=data["incident_date"], applicant_id=applicant.id if applicant else None,
                          application_id=application.id if application else None, photos=photos, stage=STAGE_VERIFICATION,
                          status=STATUS_VERIFYING, escalations=0)
    units, officers = await directory(session, office.id)
    complaint, _ = await record_and_start(
        session, client, settings, complaint, workflow=ComplaintWorkflow.run, what="pengaduan", on_abandon=lambda: _discard_photos(settings, photos),
        start_input=lambda row: ComplaintInput(
            complaint_id=row.id, tracking_number=tracking, channel=channel, category=row.category,
            category_label=load_complaints().category_label(row.category), title=row.title, content=row.content, complainant=c,
            definition=complaint_snapshot(office.defs, units=units, officers=officers), incident_date=row.incident_date,
            application_resi=application.resi if application else None, photo_count=len(photos)))
    return complaint


async def file_public(session: AsyncSession, client: Client, settings: Settings, *, form: PublicComplaintForm, client_ip: str,
                      uploads: list[UploadFile] | None = None, too_large: bool = False, today: date | None = None) -> Complaint:
    """A complaint from the public form (seed 002), with optional photos. Rate-limited per client address."""
    await throttle.hit(session, throttle.key_for("complaint:ip", client_ip), FILE_IP)
    if (existing := await _existing(session, form.client_key)) is not None:
        return await resume(session, client, settings, existing, what="pengaduan")
    office = office_for_citizen("complaint", form.office)
    data = check_public(form, today=today or office_calendar().local_today(now_utc()))
    photos = await store_photos(settings, uploads or [], too_large=too_large)
    return await _file(session, client, settings, channel=CHANNEL_PUBLIC, data=data, client_key=form.client_key, photos=photos, office=office)


async def file_criticism(session: AsyncSession, client: Client, settings: Settings, *, form: CriticismForm, client_ip: str) -> Complaint:
    """Kritis (seed 000 §5): criticism or a suggestion, contact optional. Rate-limited per client address."""
    await throttle.hit(session, throttle.key_for("complaint:ip", client_ip), FILE_IP)
    if (existing := await _existing(session, form.client_key)) is not None:
        return await resume(session, client, settings, existing, what="pengaduan")
    office = office_for_citizen("complaint", form.office)
    return await _file(session, client, settings, channel=CHANNEL_CRITICISM, data=check_criticism(form), client_key=form.client_key,
                       office=office)


async def file_applicant(session: AsyncSession, client: Client, settings: Settings, *, user: User, form: ApplicantComplaintForm) -> Complaint:
    """A complaint from an applicant's dashboard (seed 003), optionally about one of their own applications."""
    if user.kind != "applicant":
        raise Forbidden("Pengaduan dari dasbor hanya untuk akun pemohon; petugas dapat memakai formulir publik.", code="forbidden")
    client_key = f"{user.id}:{form.client_key}" if form.client_key else None
    if (existing := await _existing(session, client_key)) is not None:
        return await resume(session, client, settings, existing, what="pengaduan")
    defs, errors = load_complaints(), {}
    if form.category not in defs.applicant_categories:
        errors["category"] = "Pilih kategori: " + ", ".join(defs.applicant_categories.values()) + "."
    title, content = " ".join(form.title.split()), _text(form.content)
    _check_title_content(title, content, errors)
    application = None
    resi = _text(form.application_resi).upper()
    if resi:
        application = await session.scalar(select(PermitApplication).where(PermitApplication.resi == resi,
                                                                           PermitApplication.applicant_id == user.id))
        if application is None:
            # Another applicant's resi reads exactly like a mistyped one: nothing about it is revealed.
            errors["application_resi"] = f"Permohonan {resi} tidak ditemukan di antara permohonan Anda."
    if errors:
        raise refuse(errors)
    office = directory_of_offices().get(application.office_id) if application else None
    office = office if office is not None and "complaint" in office.processes else office_for_citizen("complaint", form.office)
    data = {"category": form.category, "title": title, "content": content, "incident_date": None,
            "complainant": Complainant(name=user.full_name, nik=user.username if re.fullmatch(r"\d{16}", user.username) else None,
                                       phone=user.phone, email=user.email, user_id=user.id)}
    return await _file(session, client, settings, channel=CHANNEL_APPLICANT, data=data, client_key=client_key, applicant=user,
                       application=application, office=office)


async def applications_of(session: AsyncSession, *, user: User) -> list[PermitApplication]:
    return list(await session.scalars(select(PermitApplication).where(PermitApplication.applicant_id == user.id)
                                      .order_by(PermitApplication.id.desc()).limit(100)))


# --- reading ----------------------------------------------------------------------------------------


def _labels(c: Complaint) -> dict:
    return {"stage_label": STAGE_LABELS.get(c.stage, c.stage), "status_label": STATUS_LABELS.get(c.status, c.status),
            "category_label": load_complaints().category_label(c.category), "next_step": NEXT_STEP.get(c.status, "")}


def serialize_public(c: Complaint) -> dict:
    """What anyone with the number may see: the stage, the dates and what happens next. No name, NIK, phone, email,
    content or photos, and nothing staff wrote (the response, a reason): those are in serialize_mine and serialize_staff."""
    return {"tracking_number": c.tracking_number, "office": office_code_of(c), "stage": c.stage, "status": c.status, **_labels(c),
            "next_step": PUBLIC_NEXT_STEP.get(c.status, ""),
            "channel": c.channel, "created_at": c.created_at, "stage_due_at": c.stage_due_at if c.finished_at is None else None,
            "finished_at": c.finished_at, "responded_at": c.responded_at if c.status == STATUS_ANSWERED else None,
            "cancelled": c.status == STATUS_CANCELLED,
            "stages": [{"stage": s, "label": label, "done": _stage_index(c) > i, "current": _stage_index(c) == i}
                       for i, (s, label) in enumerate(STAGE_LABELS.items())]}


def _stage_index(c: Complaint) -> int:
    order = list(STAGE_LABELS)
    return len(order) if c.stage == STAGE_DONE else order.index(c.stage) if c.stage in order else 0


def overdue(c: Complaint, now: datetime) -> bool:
    return c.finished_at is None and c.stage_due_at is not None and c.stage_due_at < now


def serialize_staff(c: Complaint, settings: Settings, *, now: datetime | None = None, unit_name: str | None = None,
                    officer_name: str | None = None) -> dict:
    now = now or now_utc()
    return {**serialize_public(c), **_labels(c), "id": c.id, "title": c.title, "content": c.content, "category": c.category,
            "channel_label": CHANNEL_LABELS.get(c.channel, c.channel), "nik": c.nik, "phone": c.phone, "email": c.email,
            "incident_date": c.incident_date, "response": c.response, "rejection_reason": c.rejection_reason,
            "responded_at": c.responded_at, "letter_number": c.letter_number, "escalations": c.escalations,
            "overdue": overdue(c, now), "stage_due_at": c.stage_due_at, "unit_name": unit_name, "officer_name": officer_name,
            "letter_url": f"{settings.public_base_url}/dokumen/{c.letter_document_id}.pdf" if c.letter_document_id else None,
            "photos": [{"index": i, "name": p["name"], "media_type": p["media_type"], "size": p["size"],
                        "url": f"/pengaduan/{c.tracking_number}/foto/{i}"} for i, p in enumerate(c.photos or [])]}


def serialize_mine(c: Complaint) -> dict:
    """Seed 003 §Pengaduan A: date, resi, category, content, status, response date and response."""
    return {**serialize_public(c), **_labels(c), "title": c.title, "content": c.content, "category": c.category,
            "response": c.response if c.status == STATUS_ANSWERED else None,
            "rejection_reason": c.rejection_reason if c.status in WITH_REASON else None}


async def by_number(session: AsyncSession, tracking_number: str) -> Complaint:
    number = (tracking_number or "").strip().upper()
    complaint = await session.scalar(select(Complaint).where(Complaint.tracking_number == number)) if TRACKING_PATTERN.fullmatch(number) else None
    if complaint is None:
        raise not_found("Pengaduan")
    return complaint


async def track(session: AsyncSession, *, tracking_number: str, client_ip: str) -> dict:
    """The public view of a complaint by its number, under the tracking limits (gateway/services/tracking.py)."""
    number = (tracking_number or "").strip().upper()[:40]

    async def find() -> Complaint | None:
        return await session.scalar(select(Complaint).where(Complaint.tracking_number == number)) if TRACKING_PATTERN.fullmatch(number) else None

    complaint = await tracking.lookup(session, kind="complaint", client_ip=client_ip, find=find)
    if complaint is None:
        raise not_found("Pengaduan")
    return serialize_public(complaint)


async def get_for_staff(session: AsyncSession, *, user: User, tracking_number: str) -> Complaint:
    complaint = await by_number(session, tracking_number)
    if not (user.is_staff_for(STAFF_ROLES) or (user.kind == "staff" and complaint.officer_id == user.id)):
        raise not_found("Pengaduan")
    return complaint


async def names(session: AsyncSession, complaint: Complaint) -> dict:
    unit = await session.get(Unit, complaint.unit_id) if complaint.unit_id else None
    officer = await session.get(User, complaint.officer_id) if complaint.officer_id else None
    return {"unit_name": unit.name if unit else None, "officer_name": officer.full_name if officer else None}


async def timeline(session: AsyncSession, *, workflow_id: str) -> list[dict]:
    events = await processes.timeline(session, workflow_id=workflow_id)
    return [{**processes.event_line(e), "escalation": e.kind == "task_escalated"} for e in events]


async def open_tasks(session: AsyncSession, *, workflow_id: str) -> list[dict]:
    tasks = await processes.open_tasks(session, workflow_id=workflow_id)
    return [{"id": t.id, "title": t.title, "role": t.role, "due_at": t.due_at, "escalated_to_role": t.escalated_to_role} for t in tasks]


async def mine(session: AsyncSession, *, user: User) -> list[dict]:
    rows = await session.scalars(select(Complaint).where(Complaint.applicant_id == user.id).order_by(Complaint.created_at.desc()).limit(200))
    out = []
    for c in rows:
        application = await session.get(PermitApplication, c.application_id) if c.application_id else None
        out.append({**serialize_mine(c), "application_resi": application.resi if application else None})
    return out


async def list_for_staff(session: AsyncSession, settings: Settings, *, user: User, stage: str | None = None, category: str | None = None,
                         overdue_only: bool = False, limit: int = 200, now: datetime | None = None) -> list[dict]:
    """Complaints, open ones overdue first, then by due time; finished ones last, newest first."""
    if not user.is_staff_for(STAFF_ROLES):
        raise Forbidden("Hanya petugas pengaduan dan pimpinan yang dapat melihat daftar pengaduan.", code="forbidden")
    now = now or now_utc()
    if stage and stage not in STAGE_LABELS:
        raise invalid("Tahap harus salah satu dari: " + ", ".join(STAGE_LABELS) + ".", field="stage")
    stmt = select(Complaint)
    if stage:
        stmt = stmt.where(Complaint.stage == stage)
    if category:
        stmt = stmt.where(Complaint.category == category)
    if overdue_only:
        stmt = stmt.where(Complaint.finished_at.is_(None), Complaint.stage_due_at < now)
    rows = list(await session.scalars(stmt.order_by(Complaint.created_at.desc()).limit(limit)))
    units: dict[int | None, str] = {u.id: u.name for u in await session.scalars(select(Unit))}
    out = [serialize_staff(c, settings, now=now, unit_name=units.get(c.unit_id)) for c in rows]
    far = datetime.max.replace(tzinfo=UTC)
    out.sort(key=lambda r: (r["finished_at"] is not None, not r["overdue"], r["stage_due_at"] or far))
    return out


def _figures(days: list[int]) -> dict:
    return {"count": len(days), "median_working_days": statistics.median(days) if days else None,
            "average_working_days": round(statistics.fmean(days), 1) if days else None}


async def response_times(session: AsyncSession) -> dict:
    """Working days from filing to the approved response, per category and per unit (answered complaints)."""
    calendar = office_calendar()
    rows = await session.execute(select(Complaint.category, Complaint.unit_id, Complaint.created_at, Complaint.responded_at)
                                 .where(Complaint.status == STATUS_ANSWERED, Complaint.responded_at.is_not(None)))
    units: dict[int | None, str] = {u.id: u.name for u in await session.scalars(select(Unit))}
    by_category: dict[str, list[int]] = {}
    by_unit: dict[str, list[int]] = {}
    every = []
    for category, unit_id, created, responded in rows:
        if responded is None:  # (the query asks for answered ones only)
            continue
        days = calendar.working_days_elapsed(_aware(created), _aware(responded))
        every.append(days)
        by_category.setdefault(load_complaints().category_label(category), []).append(days)
        by_unit.setdefault(units.get(unit_id, "Tanpa unit"), []).append(days)
    return {"all": _figures(every), "by_category": {k: _figures(v) for k, v in sorted(by_category.items())},
            "by_unit": {k: _figures(v) for k, v in sorted(by_unit.items())}}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def counts_by_stage(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Complaint.stage, func.count()).group_by(Complaint.stage))
    return dict(rows.all())


def categories() -> dict:
    defs = load_complaints()
    return {"public_categories": defs.public_categories, "applicant_categories": defs.applicant_categories,
            "criticism_kinds": defs.criticism_kinds, "photos": defs.photos.model_dump()}

