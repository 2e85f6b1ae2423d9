"""Permit pages (seed 003 §3.2–3.3), in Bahasa Indonesia:

- `/izin/ajukan` — Ajukan Izin, the 5-step wizard of §3.2.1 (jenis izin → data pemohon → data perusahaan →
  lokasi izin → detail & dokumen). Every step's POST saves the applicant's one open `PermitDraft`, so a draft
  survives leaving the page; each step checks its own fields with the permit service's own checks and shows
  the messages by the fields, keeping everything typed. A hidden `client_key` per draft makes a double-clicked
  "Kirim Permohonan" one application.
- `/permohonan` — Permohonan Saya (§3.2.2) with search, status tabs and counts (incl. Revisi, §3.2.4);
  `/permohonan/{resi}` — the case with Cetak Resi, Cetak Izin (one-time download), Ajukan Terbit Ulang;
  `/permohonan/{resi}/perbaiki` — Perbaiki Permohonan: every step of a returned application, then resubmit.
- `/lacak`, `/lacak/{resi}` — Monitoring Izin (§3.3), public: status and timeline, nothing personal.
- `/staf/permohonan/{resi}` — the office's case view: data, documents, what changed between revision rounds,
  and working days with the office versus with the applicant against the SLA.
- `/verify/{code}` — the public verification page the permit's QR code points to (same page as /verifikasi).

The pages call the same service functions as the JSON API (gateway/services/permits.py), so both refuse the
same things with the same words.
"""

import copy
import re
import uuid
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from contracts import PERMIT_STATUSES
from gateway.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep
from gateway.errors import ApiError, DomainError, not_found, status_of
from gateway.pages import framework as pages
from gateway.pages.framework import PAGE_SIZE, SameOrigin, _field, _is_htmx, _redirect, _render, _temporal, _with_flash
from gateway.pages.verify import verify_page
from gateway.services import applicants as applicant_service
from gateway.services import files as file_service
from gateway.services import permit_wizard as wizard_service
from gateway.services import permits as permit_service
from gateway.services import processes
from gateway.services.office_access import active_office, chosen, offering, speak_for_code
from gateway.services.office_access import choices as office_choices
from gateway.services.offices import speak_for
from gateway.services.permits import PermitForm
from gateway.services.throttle import client_ip
from process_defs import catalog
from store.models import Document, PermitApplication, PermitDraft, StoredFile, User
from store.settings import Settings
from store.storage import document_key
from workflows.permit import STATUS_CANCELLED, STATUS_FINISHED, STATUS_IN_PROCESS, STATUS_REJECTED, STATUS_REVISION

router = APIRouter(include_in_schema=False)

STEPS = [(1, "Jenis Izin"), (2, "Data Pemohon"), (3, "Data Perusahaan"), (4, "Lokasi Izin"), (5, "Detail & Dokumen")]
STATUS_TONES = PERMIT_STATUSES.tones
STATUS_ICONS = {STATUS_IN_PROCESS: "↻", STATUS_REVISION: "✎", STATUS_REJECTED: "✘", STATUS_FINISHED: "✓", STATUS_CANCELLED: "⊘"}
# Permohonan Saya's tabs: query value → status.
STATUS_FILTERS = {"proses": STATUS_IN_PROCESS, "revisi": STATUS_REVISION, "ditolak": STATUS_REJECTED, "selesai": STATUS_FINISHED,
                  "dibatalkan": STATUS_CANCELLED}
POLLED_STATUSES = (STATUS_IN_PROCESS, STATUS_REVISION)
COMPANY_STATUSES = ["Kantor pusat", "Kantor cabang", "Kantor perwakilan"]
DECLARATION = ("Dengan ini saya menyatakan bahwa data yang saya kirim adalah benar dan valid. Saya bersedia menerima sanksi sesuai "
               "dengan ketentuan peraturan perundang-undangan yang berlaku jika data yang saya kirim tidak benar dan tidak valid.")
MSG_DECLARATION = wizard_service.MSG_DECLARATION
PERMIT_FLASH = {
    "draf-dihapus": "Draf permohonan telah dihapus. Anda dapat memulai permohonan baru.",
    "draf-disimpan": "Draf tersimpan. Anda dapat meninggalkan halaman ini dan melanjutkannya kapan saja dari menu Ajukan Izin.",
    "perbaikan-terkirim": "Perbaikan permohonan telah dikirim. Verifikator akan memeriksanya kembali; Anda akan diberi tahu hasilnya.",
    "terbit-ulang": "Permintaan terbit ulang telah dikirim. Verifikator akan memeriksanya; Anda akan diberi tahu bila izin siap diunduh lagi.",
}
ACCEPT = {"pdf": ".pdf,application/pdf", "jpg": ".jpg,.jpeg,image/jpeg", "png": ".png,image/png", "gif": ".gif,image/gif", "dwg": ".dwg"}
APPLICANT_LABELS = {"full_name": "Nama", "nik": "NIK", "npwp": "NPWP", "email": "Email", "phone": "No. HP/WhatsApp",
                    "address": "Alamat", "postal_code": "Kode pos"}
COMPANY_LABELS = {"name": "Nama perusahaan", "nib": "NIB", "npwp": "NPWP perusahaan", "status": "Status perusahaan",
                  "address": "Alamat perusahaan", "phone": "Telp perusahaan"}
LOCATION_LABELS = {"street": "Jalan dan nomor", "rt": "RT", "rw": "RW", "village_name": "Kelurahan/desa", "latitude": "Koordinat lintang",
                   "longitude": "Koordinat bujur"}
# Labels of the fields of every step, for the error summary's links.
FIELD_LABELS = {
    "office": "Kantor tujuan", "agency": "Dinas/Badan", "permit_type": "Jenis izin", "request_kind": "Jenis permohonan",
    "applicant.phone": "No. HP/WhatsApp", "applicant.email": "Email", "applicant.postal_code": "Kode pos",
    "company.mode": "Pemohon", **{f"company.{k}": v for k, v in COMPANY_LABELS.items()},
    "location.street": "Jalan dan nomor", "location.rt": "RT", "location.rw": "RW", "province_code": "Provinsi",
    "regency_code": "Kabupaten/Kota", "district_code": "Kecamatan", "village_code": "Kelurahan/Desa",
    "location.latitude": "Koordinat lokasi", "location.longitude": "Koordinat bujur", "declaration": "Pernyataan", "upload": "Unggah berkas",
}
# The wizard's POST carries at most one file per requirement; the service caps each file at 50 MB.
MAX_FORM_BYTES = 4 * file_service.MAX_BYTES
_RESI = re.compile(r"^[0-9A-F]{6}$")
_COORD_PAIR = re.compile(r"^\s*(-?\d{1,3}\.\d+)\s*,\s*(-?\d{1,3}\.\d+)\s*$")


# --- small helpers ---------------------------------------------------------------------------------


def _require_applicant(user: User) -> None:
    if user.kind != "applicant":
        raise ApiError(403, "Pengajuan izin dilakukan dari akun pemohon. Akun petugas memeriksa permohonan dari Kotak Tugas.",
                       code="forbidden")


def _flash(request: Request) -> str | None:
    code = request.query_params.get("pesan", "")
    return PERMIT_FLASH.get(code) or pages.FLASH.get(code)


def _status_view(application: PermitApplication) -> dict[str, Any]:
    return {"status": application.status, "label": permit_service.STATUS_LABELS.get(application.status, application.status),
            "tone": STATUS_TONES.get(application.status, "wait"), "icon": STATUS_ICONS.get(application.status, ""),
            "stage_label": permit_service.STAGE_LABELS.get(application.stage, application.stage),
            "next_step": permit_service.NEXT_STEP.get(application.stage)}


def _permit_name(code: str) -> str:
    permit = catalog.permit_type(code)
    return permit.name if permit else code


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _number(value: Any) -> str:
    """12 → "12", 2.5 → "2,5" (Indonesian decimal comma), 1250000 → "1.250.000"."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _text(value)
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,}".replace(",", "_").replace(".", ",").replace("_", ".")


def _first_field(exc: DomainError) -> str | None:
    return next((e["field"] for e in exc.errors if e.get("field")), None)


def _region_of(village_code: str | None) -> dict[str, Any]:
    """The four codes of a village's region (33.74.01.1007 → 33, 33.74, 33.74.01, 33.74.01.1007)."""
    parts = (village_code or "").split(".")
    if len(parts) != 4:
        return {}
    return {"province_code": parts[0], "regency_code": ".".join(parts[:2]), "district_code": ".".join(parts[:3]),
            "village_code": village_code}


# --- the form's state (a draft's data, or a returned application's content) -------------------------


def _new_data(user: User) -> dict[str, Any]:
    profile = user.profile
    return {
        "client_key": uuid.uuid4().hex,
        "office": "", "agency": "", "permit_type": "", "request_kind": "",
        "applicant": {"phone": user.phone or "", "email": user.email or "", "postal_code": profile.postal_code if profile else ""},
        "company": {"mode": "perorangan", "name": "", "nib": "", "npwp": "", "status": "", "address": "", "phone": ""},
        # Most applications are for a place in the applicant's own city: the region starts there.
        "location": {"street": "", "rt": "", "rw": "", "province_code": profile.province_code if profile else "",
                     "regency_code": profile.regency_code if profile else "", "district_code": "", "village_code": "",
                     "latitude": "", "longitude": ""},
        "details": {}, "documents": {},
    }


def _data_of(application: PermitApplication) -> dict[str, Any]:
    """A returned application's content as the form's strings."""
    a, c, loc = application.applicant_data or {}, application.company, application.location or {}
    return {
        "client_key": "", "office": "", "agency": application.agency_code, "permit_type": application.permit_type,
        "request_kind": application.request_kind,
        "applicant": {"phone": _text(a.get("phone")), "email": _text(a.get("email")), "postal_code": _text(a.get("postal_code"))},
        "company": {"mode": "perusahaan" if c else "perorangan", **{k: _text((c or {}).get(k)) for k in COMPANY_LABELS}},
        "location": {"street": _text(loc.get("street")), "rt": _text(loc.get("rt")), "rw": _text(loc.get("rw")),
                     "province_code": "", "regency_code": "", "district_code": "", "village_code": "",
                     **_region_of(loc.get("village_code")), "latitude": _text(loc.get("latitude")),
                     "longitude": _text(loc.get("longitude"))},
        "details": {k: _text(v) for k, v in (application.details or {}).items()},
        "documents": dict(application.documents or {}),
    }


def _read_step(form: Any, step: int, d: dict) -> None:
    """Copies the fields of one step from the submitted form into the state."""
    if step == 1:
        previous = d.get("permit_type")
        if "office" in form:
            d["office"] = _field(form, "office", 60).strip()
        d.update(agency=_field(form, "agency", 40), permit_type=_field(form, "permit_type", 60), request_kind=_field(form, "request_kind", 20))
        if d["permit_type"] != previous:  # another permit asks for other details and documents
            d["details"], d["documents"] = {}, {}
    elif step == 2:
        d["applicant"] = {k: _field(form, f"applicant.{k}", 200).strip() for k in ("phone", "email", "postal_code")}
    elif step == 3:
        mode = _field(form, "company.mode", 20)
        d["company"] = {"mode": mode if mode in ("perorangan", "perusahaan") else "",
                        **{k: _field(form, f"company.{k}", 300).strip() for k in COMPANY_LABELS}}
    elif step == 4:
        loc = {k: _field(form, f"location.{k}", 300).strip() for k in ("street", "rt", "rw", "latitude", "longitude")}
        pair = _COORD_PAIR.match(loc["latitude"])
        if pair and not loc["longitude"]:  # "-6.9826, 110.4093" pasted from a map app into the first box
            loc["latitude"], loc["longitude"] = pair.group(1), pair.group(2)
        region = applicant_service.region_choices(*(_field(form, k, 20) for k in ("province_code", "regency_code", "district_code", "village_code")))
        d["location"] = {**loc, **{k: region[k] for k in ("province_code", "regency_code", "district_code", "village_code")}}
    elif step == 5:
        permit = wizard_service.permit_of(d)
        if permit is None:
            return
        d["details"] = {f.code: _field(form, f"details.{f.code}", 5000) for f in permit.details_fields_for(d["request_kind"])}
        d["documents"] = {r.code: _field(form, f"documents.{r.code}", 40)
                          for r in catalog.requirements_for(permit, d["request_kind"])}


async def _store_uploads(session: AsyncSession, settings: Settings, user: User, form: Any, d: dict) -> tuple[dict, list[str]]:
    """Files chosen in the requirement rows go to File Saya and are selected for their row."""
    permit = wizard_service.permit_of(d)
    errors: dict[str, str] = {}
    uploaded: list[str] = []
    if permit is None:
        return errors, uploaded
    for r in catalog.requirements_for(permit, d["request_kind"]):
        upload = form.get(f"upload.{r.code}")
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        try:
            stored = await file_service.store_upload(session, settings, owner=user, name=r.name[: file_service.NAME_MAX], upload=upload)
        except DomainError as exc:
            errors[f"documents.{r.code}"] = f"Upload gagal: {exc.detail}"
            continue
        d["documents"][r.code] = stored.id
        uploaded.append(r.code)
    return errors, uploaded


# --- the checks of each step (the permit service's own checks, every message by its field) -------------


async def _check(session: AsyncSession, user: User, d: dict, step: int, *, declaration: bool | None = None) -> dict[str, str]:
    return await wizard_service.step_errors(session, user, d, step, declaration=declaration)


def _form_of(d: dict, *, client_key: str | None = None, declaration: bool = True) -> PermitForm:
    a = d["applicant"]
    return PermitForm(
        permit_type=d["permit_type"], request_kind=d["request_kind"],
        applicant={"phone": applicant_service.clean_phone(a.get("phone", "")) or a.get("phone"),
                   "email": applicant_service.clean_email(a.get("email", "")) or a.get("email"), "postal_code": a.get("postal_code")},
        company=wizard_service.company_payload(d), location=wizard_service.location_payload(d),
        details={k: v for k, v in d["details"].items() if str(v).strip()},
        documents={k: v for k, v in d["documents"].items() if v}, declaration=declaration, client_key=client_key,
        office=d.get("office") or None,
    )


def _step_of_field(field: str | None) -> int:
    if not field:
        return 5
    head = field.split(".", 1)[0]
    return {"office": 1, "permit_type": 1, "request_kind": 1, "agency": 1, "applicant": 2, "company": 3, "location": 4, "province_code": 4,
            "regency_code": 4, "district_code": 4, "village_code": 4}.get(head, 5)


# --- what each step shows ---------------------------------------------------------------------------


def _choices(d: dict) -> dict[str, Any]:
    """Step 1: agencies, the chosen agency's permit types, the permit's request kinds and requirements."""
    cat = catalog.load_catalog()
    permit = catalog.permit_type(d.get("permit_type") or "")
    agency = cat.agency(d.get("agency") or "") or (catalog.agency_of(permit.code) if permit else None)
    if permit is not None and agency is not None and catalog.issuing_agency(permit.code).code != agency.code:
        permit = None
    kind = d.get("request_kind") if permit is not None and d.get("request_kind") in permit.request_kinds else ""
    if permit is not None and not kind and len(permit.request_kinds) == 1:
        kind = permit.request_kinds[0]
    return {
        "agencies": cat.agencies, "agency": agency, "permit": permit, "kind": kind,
        "kinds": [{"code": k, "label": cat.request_kind_label(k), "description": cat.request_kinds[k].description}
                  for k in (permit.request_kinds if permit else [])],
        "requirements": catalog.requirements_for(permit, kind) if permit and kind else [],
        "kind_label": cat.request_kind_label(kind) if kind else "",
    }


async def _requirement_rows(session: AsyncSession, user: User, permit: catalog.PermitTypeDef, kind: str, documents: dict, errors: dict,
                            uploaded: list[str]) -> list[dict[str, Any]]:
    files = await file_service.list_files(session, user)
    rows = []
    for r in catalog.requirements_for(permit, kind):
        selected = documents.get(r.code) or ""
        options = [f for f in files if file_service.check_against_requirement(f, r) is None]
        if selected and all(f.id != selected for f in options):
            try:  # a file chosen before that this requirement does not accept (or since deleted): shown, with its problem
                options.insert(0, await file_service.get_file_for(session, user, selected, include_deleted=True))
            except DomainError:
                selected = ""
        rows.append({
            "req": r, "selected": selected, "error": errors.get(f"documents.{r.code}"), "uploaded": r.code in uploaded,
            "accept": ",".join(ACCEPT[t] for t in r.file_types),
            "options": [{"id": f.id, "label": _file_label(f)} for f in options],
        })
    return rows


def _file_label(f: StoredFile) -> str:
    label = f"{f.name} — {f.extension.upper()}, {file_service.human_size(f.size)}, {pages.tanggal(f.created_at, 'short')}"
    return label + (" (dihapus dari File Saya)" if f.deleted_at else "")


def _summary(d: dict) -> list[dict[str, Any]]:
    """Step 5's recap of steps 1–4, each with a link back."""
    permit = catalog.permit_type(d.get("permit_type") or "")
    a, c, loc = d["applicant"], d["company"], d["location"]
    kind = catalog.request_kind_label(d["request_kind"]) if d.get("request_kind") else "–"
    office = active_office(d.get("office")) or (only[0] if len(only := offering("permit")) == 1 else None)
    company = (["Perorangan, tanpa perusahaan"] if c.get("mode") != "perusahaan"
               else [(c.get("name") or "–") + (f" · NIB {c['nib']}" if c.get("nib") else "")])
    street = ", ".join(x for x in (loc.get("street"), f"RT {loc['rt']}" if loc.get("rt") else "", f"RW {loc['rw']}" if loc.get("rw") else "") if x)
    return [
        {"step": 1, "title": "Jenis izin", "lines": [f"{permit.name if permit else '–'} ({kind})",
                                                     f"Diajukan ke {office.defs.office.name}" if office else ""]},
        {"step": 2, "title": "Data pemohon",
         "lines": [f"HP/WA {a.get('phone') or '–'} · {a.get('email') or '–'} · Kode pos {a.get('postal_code') or '–'}"]},
        {"step": 3, "title": "Data perusahaan", "lines": company},
        {"step": 4, "title": "Lokasi izin",
         "lines": [street, wizard_service.village_name(loc.get("village_code") or "") or "",
                   f"Koordinat {loc.get('latitude') or '–'}, {loc.get('longitude') or '–'}"]},
    ]


async def _form_ctx(session: AsyncSession, user: User, d: dict, *, steps: tuple[int, ...], errors: dict | None = None,
                    uploaded: list[str] | None = None) -> dict[str, Any]:
    """Everything the step templates need for the given steps."""
    errors = errors or {}
    ctx: dict = {"d": d, "errors": errors, "labels": FIELD_LABELS, "declaration_text": DECLARATION,
                 "company_statuses": COMPANY_STATUSES, "uploaded": uploaded or []}
    if 1 in steps:
        ctx["choice"] = _choices(d)
        ctx["offices"] = office_choices("permit")
    if 2 in steps:  # an account made without a profile (e.g. by an administrator) shows what the account has
        ctx["profile"] = applicant_service.profile_of(user) if user.profile is not None else \
            {"nik": user.username, "full_name": user.full_name, "address": "–"}
    if 4 in steps:
        loc = d["location"]
        ctx["region"] = applicant_service.region_choices(loc.get("province_code", ""), loc.get("regency_code", ""),
                                                         loc.get("district_code", ""), loc.get("village_code", ""))
    if 5 in steps:
        permit = wizard_service.permit_of(d)
        ctx["permit"] = permit
        ctx["kind_label"] = catalog.request_kind_label(d["request_kind"]) if permit else ""
        ctx["fields"] = permit.details_fields_for(d["request_kind"]) if permit else []
        ctx["rows"] = await _requirement_rows(session, user, permit, d["request_kind"], d["documents"], errors, uploaded or []) if permit else []
        ctx["max_mb"] = file_service.MAX_MB
        ctx["ranges"] = {f.code: f"dari {catalog.bound_text(f, f.min)} sampai {catalog.bound_text(f, f.max)}" for f in ctx["fields"]
                         if f.type == "number" and f.min is not None and f.max is not None}
        ctx["accepted"] = file_service.ACCEPTED_TEXT
        ctx["labels"] = {**FIELD_LABELS, **{f"details.{f.code}": f.label for f in ctx["fields"]},
                         **{f"documents.{row['req'].code}": row["req"].name for row in ctx["rows"]}}
    return ctx


# --- Ajukan Izin: the wizard ----------------------------------------------------------------------------


async def _draft(session: AsyncSession, user: User) -> PermitDraft | None:
    return await session.scalar(select(PermitDraft).where(PermitDraft.applicant_id == user.id).order_by(PermitDraft.id.desc()).limit(1))


async def _wizard_page(request: Request, session: AsyncSession, user: User, d: dict, *, step: int, reached: int,
                       draft: PermitDraft | None, errors: dict | None = None, error: str | None = None, uploaded: list[str] | None = None,
                       resumed: bool = False, status_code: int = 200) -> Response:
    chosen(d.get("office"), "permit")  # the pages speak for the office the application goes to, once chosen
    ctx = await _form_ctx(session, user, d, steps=(step,), errors=errors, uploaded=uploaded)
    ctx.update({
        "step": step, "reached": reached, "steps": STEPS, "step_title": dict(STEPS)[step], "draft": draft, "resumed": resumed,
        "error": error, "active": "ajukan", "flash": _flash(request),
        "summary": _summary(d) if step == 5 else [],
    })
    return await _render(request, "pages/permits/wizard.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/izin/ajukan")
async def wizard(request: Request, user: CurrentUser, session: SessionDep, langkah: str = "", izin: str = "", kantor: str = "") -> Response:
    _require_applicant(user)
    draft = await _draft(session, user)
    d = copy.deepcopy(draft.data) if draft else _new_data(user)
    reached = draft.step if draft else 1
    if not d.get("permit_type") and izin and catalog.permit_type(izin[:60]) is not None:  # "Ajukan" from a Persyaratan page
        d["permit_type"], d["agency"] = izin, catalog.issuing_agency(izin).code
    if not d.get("office") and (entry := chosen(kantor[:60], "permit")) is not None:  # "Ajukan" from an office's page
        d["office"] = entry.code
    step = int(langkah) if langkah.isdigit() and 1 <= int(langkah) <= 5 else reached
    step = min(step, reached) if wizard_service.permit_of(d) else 1
    return await _wizard_page(request, session, user, d, step=step, reached=reached, draft=draft,
                              resumed=draft is not None and not langkah)


@router.get("/izin/ajukan/pilihan")
async def wizard_choices(request: Request, user: CurrentUser) -> Response:
    """Step 1's chained choices (htmx): the agency's permit types, the permit's request kinds and requirements."""
    _require_applicant(user)
    if not _is_htmx(request):
        return _redirect("/izin/ajukan")
    q = request.query_params
    d = {"agency": q.get("agency", "")[:40], "permit_type": q.get("permit_type", "")[:60], "request_kind": q.get("request_kind", "")[:20]}
    return await _render(request, "pages/permits/choose.html", {"choice": _choices(d), "errors": {}, "labels": FIELD_LABELS}, block=None)


async def _read_form(request: Request) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise ApiError(413, "Berkas yang dikirim sekaligus terlalu besar. Unggah berkas satu per satu dengan tombol Unggah di baris persyaratannya.",
                       code="too_large")
    return await request.form(max_files=30, max_fields=300)


@router.post("/izin/ajukan")
async def wizard_post(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    _require_applicant(user)
    form = await _read_form(request)
    try:
        return await _wizard_post(request, user, session, settings, form)
    finally:
        await form.close()


async def _wizard_post(request: Request, user: User, session: AsyncSession, settings: Settings, form: Any) -> Response:
    raw_step, action = _field(form, "langkah", 2), _field(form, "aksi", 20)
    step = int(raw_step) if raw_step.isdigit() and 1 <= int(raw_step) <= 5 else 1
    key = _field(form, "client_key", 64)
    if action == "kirim" and re.fullmatch(r"[0-9a-f]{32}", key):  # a second click of "Kirim Permohonan": the same application
        done = await session.scalar(select(PermitApplication).where(PermitApplication.client_key == f"{user.id}:{key}"))
        if done is not None:
            return _redirect(f"/permohonan/{done.resi}?pesan=diajukan")
    draft = await _draft(session, user)
    if draft is None:
        draft = PermitDraft(applicant_id=user.id, step=1, data=_new_data(user))
        session.add(draft)
    d = copy.deepcopy(draft.data)
    _read_step(form, step, d)
    upload_errors, uploaded = await _store_uploads(session, settings, user, form, d) if step == 5 else ({}, [])
    draft.data = d
    reached = max(draft.step or 1, step) if wizard_service.permit_of(d) or step == 1 else 1
    draft.step = reached
    await session.commit()

    async def again(errors: dict | None = None, error: str | None = None, status_code: int = 200, at: int = step) -> Response:
        return await _wizard_page(request, session, user, d, step=at, reached=reached, draft=draft, errors=errors, error=error,
                                  uploaded=uploaded, status_code=status_code)

    if action == "kembali":
        return _redirect(f"/izin/ajukan?langkah={max(1, step - 1)}")
    if action == "simpan":
        return _redirect(f"/izin/ajukan?langkah={step}&pesan=draf-disimpan")
    if action not in ("lanjut", "kirim"):  # "pilih", "wilayah", "unggah": the same step again, as saved
        return await again(upload_errors, status_code=422 if upload_errors else 200)
    declaration = (_field(form, "declaration", 5) == "1") if action == "kirim" else None
    errors = {**await _check(session, user, d, step, declaration=declaration), **upload_errors}
    if errors:
        return await again(errors, status_code=422)
    if action == "lanjut" and step < 5:
        draft.step = max(reached, step + 1)
        await session.commit()
        return _redirect(f"/izin/ajukan?langkah={step + 1}")
    if step != 5:
        return await again()
    for earlier in (1, 2, 3, 4):  # the draft may have been changed elsewhere since those steps were passed
        errors = await _check(session, user, d, earlier)
        if errors:
            return await again(errors, f"Langkah {earlier} ({dict(STEPS)[earlier]}) belum lengkap; periksa isiannya.", 422, at=earlier)
    try:
        client = await _temporal(request)
        application, _created = await permit_service.submit(session, client, settings, applicant=user,
                                                            form=_form_of(d, client_key=f"{user.id}:{d['client_key']}"))
    except DomainError as exc:
        field = _first_field(exc)
        target = _step_of_field(field)
        return await again({field: exc.detail} if field else None, None if field else exc.detail, status_of(exc), at=target)
    await session.execute(delete(PermitDraft).where(PermitDraft.applicant_id == user.id))
    await session.commit()
    return _redirect(f"/permohonan/{application.resi}?pesan=diajukan")


@router.post("/izin/ajukan/hapus")
async def delete_draft(user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    _require_applicant(user)
    await session.execute(delete(PermitDraft).where(PermitDraft.applicant_id == user.id))
    await session.commit()
    return _redirect(_with_flash("/izin/ajukan", "draf-dihapus"))


# --- Permohonan Saya ------------------------------------------------------------------------------------


@router.get("/permohonan")
async def my_applications(request: Request, user: CurrentUser, session: SessionDep, q: str = "", status: str = "",
                          halaman: str = "1") -> Response:
    _require_applicant(user)
    q = " ".join(q.split())[:60]
    status = status if status in STATUS_FILTERS else ""
    rows = await permit_service.list_for_applicant(session, applicant=user)
    if q:  # by resi, or by the permit type's name or code
        needle = q.lower()
        rows = [a for a in rows if needle in a.resi.lower() or needle in a.permit_type.lower() or needle in _permit_name(a.permit_type).lower()]
    counts = {key: sum(1 for a in rows if a.status == value) for key, value in STATUS_FILTERS.items()}
    total_all = len(rows)
    if status:
        rows = [a for a in rows if a.status == STATUS_FILTERS[status]]
    pages_count = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(int(halaman), pages_count) if halaman.isdigit() and int(halaman) > 0 else 1
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    items = [{"resi": a.resi, "permit_name": _permit_name(a.permit_type), "kind_label": catalog.request_kind_label(a.request_kind),
              "submitted_at": a.created_at, "revision_notes": a.revision_notes, "revision_due_at": a.revision_due_at,
              "decision_reason": a.decision_reason, **_status_view(a)} for a in shown]

    def url(**changes: str) -> str:
        params = {k: v for k, v in {"q": q, "status": status, **changes}.items() if v and not (k == "halaman" and v == "1")}
        return "/permohonan" + (f"?{urlencode(params)}" if params else "")

    tabs = [{"key": "", "label": "Semua", "count": total_all}] + [
        {"key": k, "label": permit_service.STATUS_LABELS[v], "count": counts[k]} for k, v in STATUS_FILTERS.items()]
    ctx = {"items": items, "q": q, "status": status, "tabs": tabs, "url": url, "page_url": lambda n: url(halaman=str(n)),
           "page": page, "pages": pages_count,
           "draft": await _draft(session, user), "active": "permohonan", "flash": _flash(request)}
    return await _render(request, "pages/permits/list.html", ctx, session=session, user=user)


# --- the case: detail, Cetak Izin, terbit ulang -------------------------------------------------------


def _details_view(application: PermitApplication) -> list[dict[str, Any]]:
    permit = catalog.permit_type(application.permit_type)
    fields = {f.code: f for f in permit.details_fields} if permit else {}
    out = []
    for code, value in (application.details or {}).items():
        f = fields.get(code)
        if f is None:
            out.append({"label": code, "value": _text(value)})
        elif f.type == "date":
            out.append({"label": f.label, "value": pages.tanggal(value)})
        elif f.type == "number":
            out.append({"label": f.label, "value": ("Rp" if f.unit == "rupiah" else "") + _number(value)
                        + (f" {f.unit}" if f.unit and f.unit != "rupiah" else "")})
        else:
            out.append({"label": f.label, "value": _text(value)})
    return out


async def _documents_view(session: AsyncSession, application: PermitApplication) -> list[dict[str, Any]]:
    permit = catalog.permit_type(application.permit_type)
    ids = [v for v in (application.documents or {}).values() if v]
    files = {f.id: f for f in await session.scalars(select(StoredFile).where(StoredFile.id.in_(ids)))} if ids else {}
    requirements = catalog.requirements_for(permit, application.request_kind) if permit else []
    out = []
    for r in requirements:
        f = files.get((application.documents or {}).get(r.code, ""))
        out.append({"name": r.name, "mandatory": r.mandatory, "file": f,
                    "file_label": f"{f.extension.upper()}, {file_service.human_size(f.size)}" if f else None})
    return out


def _data_view(application: PermitApplication) -> dict[str, Any]:
    a, c, loc = application.applicant_data or {}, application.company, application.location or {}
    return {
        "applicant": [(APPLICANT_LABELS[k], _text(a.get(k)) or "–") for k in APPLICANT_LABELS],
        "company": [(label, _text(c.get(k)) or "–") for k, label in COMPANY_LABELS.items()] if c else None,
        "location": [("Jalan dan nomor", _text(loc.get("street")) or "–"),
                     ("RT/RW", f"{loc.get('rt') or '–'} / {loc.get('rw') or '–'}"),
                     ("Kelurahan/desa", _text(loc.get("village_name")) or "–"),
                     ("Koordinat", f"{loc.get('latitude')}, {loc.get('longitude')}" if loc.get("latitude") is not None else "–")],
        "map_url": (f"https://www.openstreetmap.org/?mlat={loc['latitude']}&mlon={loc['longitude']}#map=17/{loc['latitude']}/{loc['longitude']}"
                    if loc.get("latitude") is not None else None),
        "details": _details_view(application),
    }


def _history(events: list, *, for_applicant: bool) -> list[dict[str, Any]]:
    """Timeline lines; the applicant sees the process, not the office's internal task bookkeeping."""
    out = []
    for e in events:
        if for_applicant and e.kind.startswith("task_") and e.kind not in ("task_opened", "task_decided"):
            continue
        out.append({"at": e.occurred_at, "kind": e.kind, "title": e.title, "actor": e.actor_name, "outcome": e.outcome,
                    "reason": e.reason if e.kind not in ("revision", "rejected") else None, "detail": e.detail or {}})
    return out


async def _own_case(session: AsyncSession, user: User, resi: str) -> PermitApplication:
    if not _RESI.match(resi.strip().upper()):
        raise not_found("Permohonan")
    application = await permit_service.get_for_viewer(session, viewer=user, resi=resi)
    if application.applicant_id != user.id:
        raise not_found("Permohonan")
    speak_for(application.office_id)  # the case's pages name its office, whichever office the applicant applied to
    return application


async def _case_ctx(session: AsyncSession, user: User, application: PermitApplication) -> dict[str, Any]:
    events = await processes.timeline(session, workflow_id=application.workflow_id)
    return {
        "app": application, "resi": application.resi, "s": _status_view(application), "permit_name": _permit_name(application.permit_type),
        "agency_name": (catalog.issuing_agency(application.permit_type).name if catalog.permit_type(application.permit_type)
                        else application.agency_code),
        "kind_label": catalog.request_kind_label(application.request_kind),
        "history": _history(events, for_applicant=True), "polling": application.status in POLLED_STATUSES,
        "can_download": application.status == STATUS_FINISHED and application.stage == "ready_for_download",
        "can_reissue": application.status == STATUS_FINISHED and application.stage in ("downloaded", "download_expired", "issued"),
    }


async def _case_page(request: Request, session: AsyncSession, user: User, application: PermitApplication, *,
                     download_error: str | None = None, reissue_error: str | None = None, reason: str = "", status_code: int = 200) -> Response:
    ctx = await _case_ctx(session, user, application)
    code = request.query_params.get("pesan", "")
    ctx.update({
        "data": _data_view(application), "documents": await _documents_view(session, application),
        "submitted_now": code == "diajukan", "flash": None if code == "diajukan" else _flash(request),
        "download_error": download_error, "reissue_error": reissue_error, "reason": reason, "active": "permohonan",
        "can_reissue": ctx["can_reissue"] or bool(download_error),
    })
    return await _render(request, "pages/permits/detail.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/permohonan/{resi}")
async def application_page(request: Request, resi: str, user: CurrentUser, session: SessionDep) -> Response:
    if user.is_staff_for(permit_service.STAFF_ROLES) and user.kind != "applicant":
        return _redirect(f"/staf/permohonan/{resi.strip().upper()[:6]}")
    application = await _own_case(session, user, resi)
    return await _case_page(request, session, user, application)


@router.get("/permohonan/{resi}/status")
async def application_status(request: Request, resi: str, user: CurrentUser, session: SessionDep) -> Response:
    """The status block, polled by the page while the case is not final."""
    application = await _own_case(session, user, resi)
    if not _is_htmx(request):
        return _redirect(f"/permohonan/{application.resi}")
    return await _render(request, "pages/permits/detail.html", await _case_ctx(session, user, application), user=user, block="case_status")


@router.post("/permohonan/{resi}/cetak-izin")
async def download_permit(request: Request, resi: str, user: CurrentUser, session: SessionDep, settings: SettingsDep,
                          _: SameOrigin) -> Response:
    """Cetak Izin: the one download the workflow grants; refused (410) once spent or expired, with the reason."""
    application = await _own_case(session, user, resi)
    try:
        client = await _temporal(request)
        grant = await permit_service.claim_download(session, client, settings, applicant=user, resi=application.resi)
    except DomainError as exc:
        await session.refresh(application)
        return await _case_page(request, session, user, application, download_error=exc.detail, status_code=status_of(exc))
    document = await session.get(Document, grant.document_id)
    if document is None:  # a grant is given for a document the run registered
        raise not_found("Berkas izin")
    return await file_service.stored_response(settings, document_key(document.file_name), media_type="application/pdf", what="Berkas izin",
                                              filename=f"Izin-{application.resi}.pdf", headers={"Cache-Control": "no-store"})


@router.post("/permohonan/{resi}/terbit-ulang")
async def reissue(request: Request, resi: str, user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    application = await _own_case(session, user, resi)
    form = await request.form()
    reason = _field(form, "reason", 1000).strip()
    if not reason:
        return await _case_page(request, session, user, application, status_code=422,
                                reissue_error="Alasan terbit ulang wajib diisi, misalnya \"berkas izin hilang\".")
    try:
        client = await _temporal(request)
        await permit_service.request_reissue(session, client, applicant=user, resi=application.resi, reason=reason)
    except DomainError as exc:
        return await _case_page(request, session, user, application, reissue_error=exc.detail, reason=reason, status_code=status_of(exc))
    return _redirect(_with_flash(f"/permohonan/{application.resi}", "terbit-ulang"))


# --- Perbaiki Permohonan (a returned application) --------------------------------------------------------


async def _revise_page(request: Request, session: AsyncSession, user: User, application: PermitApplication, d: dict, *,
                       errors: dict | None = None, error: str | None = None, uploaded: list[str] | None = None,
                       status_code: int = 200) -> Response:
    ctx = await _form_ctx(session, user, d, steps=(2, 3, 4, 5), errors=errors, uploaded=uploaded)
    ctx.update({"app": application, "resi": application.resi, "permit_name": _permit_name(application.permit_type),
                "kind_label": catalog.request_kind_label(application.request_kind), "error": error, "active": "permohonan",
                "sections": STEPS[1:]})
    return await _render(request, "pages/permits/revise.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/permohonan/{resi}/perbaiki")
async def revise_page(request: Request, resi: str, user: CurrentUser, session: SessionDep) -> Response:
    application = await _own_case(session, user, resi)
    if application.status != STATUS_REVISION:
        return _redirect(f"/permohonan/{application.resi}")
    return await _revise_page(request, session, user, application, _data_of(application))


@router.post("/permohonan/{resi}/perbaiki")
async def revise(request: Request, resi: str, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    application = await _own_case(session, user, resi)
    if application.status != STATUS_REVISION:
        return _redirect(f"/permohonan/{application.resi}")
    form = await _read_form(request)
    try:
        d = _data_of(application)
        for step in (2, 3, 4, 5):
            _read_step(form, step, d)
        upload_errors, uploaded = await _store_uploads(session, settings, user, form, d)
        action = _field(form, "aksi", 20)
        if action != "kirim":  # "wilayah", "unggah": the form again, as typed
            return await _revise_page(request, session, user, application, d, errors=upload_errors, uploaded=uploaded,
                                      status_code=422 if upload_errors else 200)
        errors = {}
        for step in (2, 3, 4):
            errors.update(await _check(session, user, d, step))
        errors.update(await _check(session, user, d, 5, declaration=_field(form, "declaration", 5) == "1"))
        errors.update(upload_errors)
        if errors:
            return await _revise_page(request, session, user, application, d, errors=errors, uploaded=uploaded, status_code=422)
        try:
            client = await _temporal(request)
            await permit_service.resubmit(session, client, applicant=user, resi=application.resi, form=_form_of(d))
        except DomainError as exc:
            field = _first_field(exc)
            return await _revise_page(request, session, user, application, d, errors={field: exc.detail} if field else None,
                                      error=None if field else exc.detail, uploaded=uploaded, status_code=status_of(exc))
        return _redirect(_with_flash(f"/permohonan/{application.resi}", "perbaikan-terkirim"))
    finally:
        await form.close()


# --- Monitoring Izin (public) ------------------------------------------------------------------------------


@router.get("/lacak")
async def track_form(request: Request, user: OptionalUser, session: SessionDep, resi: str = "") -> Response:
    code = "".join(resi.split()).upper()[:20]
    if code:
        return _redirect(f"/lacak/{code}")
    return await _render(request, "pages/permits/track.html", {"resi": "", "case": None, "active": "lacak"}, session=session, user=user)


@router.get("/lacak/{resi}")
async def track(request: Request, resi: str, user: OptionalUser, session: SessionDep) -> Response:
    """Public: the stage, the dates and what to do next (permit_service.serialize_public); over the limits, a 429 page."""
    code = "".join(resi.split()).upper()[:20]
    try:
        case = await permit_service.track(session, resi=code, client_ip=client_ip(request))
    except DomainError as exc:
        if status_of(exc) != 404:
            raise
        return await _render(request, "pages/permits/track.html", {"resi": code, "case": None, "not_found": True, "active": "lacak"},
                             session=session, user=user, status_code=404)
    speak_for_code(case["office"])
    ctx = {"resi": code, "case": case, "history": case["timeline"], "tone": STATUS_TONES.get(case["status"], "wait"),
           "icon": STATUS_ICONS.get(case["status"], ""), "kind_label": catalog.request_kind_label(case["request_kind"]), "active": "lacak"}
    return await _render(request, "pages/permits/track.html", ctx, session=session, user=user)


# --- the office's case view ------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None or value == "":
        return "–"
    return _number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _changes(before: dict, after: dict, permit: catalog.PermitTypeDef | None, file_names: dict[str, str]) -> list[dict[str, Any]]:
    """What differs between two submitted versions: field by field, old → new; documents by name."""
    out: list[dict] = []

    def compare(section: str, labels: dict[str, str], old: dict | None, new: dict | None) -> None:
        for key, label in labels.items():
            a, b = (old or {}).get(key), (new or {}).get(key)
            if _fmt(a) != _fmt(b):
                out.append({"section": section, "label": label, "old": _fmt(a), "new": _fmt(b)})

    compare("Data pemohon", APPLICANT_LABELS, before.get("applicant_data"), after.get("applicant_data"))
    if bool(before.get("company")) != bool(after.get("company")):
        out.append({"section": "Data perusahaan", "label": "Pemohon",
                    "old": "Atas nama perusahaan" if before.get("company") else "Perorangan",
                    "new": "Atas nama perusahaan" if after.get("company") else "Perorangan"})
    compare("Data perusahaan", COMPANY_LABELS, before.get("company"), after.get("company"))
    compare("Lokasi izin", LOCATION_LABELS, before.get("location"), after.get("location"))
    fields = {f.code: f.label for f in permit.details_fields} if permit else {}
    codes = list(dict.fromkeys([*fields, *(before.get("details") or {}), *(after.get("details") or {})]))
    compare("Detail permohonan", {c: fields.get(c, c) for c in codes}, before.get("details"), after.get("details"))
    names = {r.code: r.name for r in (permit.requirements if permit else [])}
    docs_before, docs_after = before.get("documents") or {}, after.get("documents") or {}
    for code in dict.fromkeys([*docs_before, *docs_after]):
        if docs_before.get(code) != docs_after.get(code):
            out.append({"section": "Dokumen", "label": names.get(code, code),
                        "old": file_names.get(docs_before[code], "–") if docs_before.get(code) else "–",
                        "new": file_names.get(docs_after[code], "–") if docs_after.get(code) else "–"})
    return out


@router.get("/staf/permohonan/{resi}")
async def staff_case(request: Request, resi: str, user: CurrentUser, session: SessionDep) -> Response:
    if not user.is_staff_for(permit_service.STAFF_ROLES) or not _RESI.match(resi.strip().upper()):
        raise not_found("Permohonan")
    application = await permit_service.get_for_viewer(session, viewer=user, resi=resi)
    speak_for(application.office_id)
    permit = catalog.permit_type(application.permit_type)
    revisions = await permit_service.revisions(session, application_id=application.id)
    events = await processes.timeline(session, workflow_id=application.workflow_id)
    ids = {v for r in revisions for v in ((r.snapshot or {}).get("documents") or {}).values() if v}
    stored: Iterable[StoredFile] = await session.scalars(select(StoredFile).where(StoredFile.id.in_(ids))) if ids else []
    file_names = {f.id: f"{f.name} ({f.original_filename})" for f in stored}
    notes = [e for e in events if e.kind == "revision"]
    rounds = []
    for previous, current in zip(revisions, revisions[1:], strict=False):
        note = notes[previous.round - 1] if previous.round - 1 < len(notes) else None
        rounds.append({"round": current.round, "previous": previous.round, "submitted_at": current.submitted_at,
                       "notes": note.reason if note else None,
                       "changes": _changes(previous.snapshot or {}, current.snapshot or {}, permit, file_names)})
    # The clock's first segment is written at the first hand-over; until then the case has been with the office since it was filed.
    first = {"side": "office", "start": application.created_at.isoformat(),
             "end": application.finished_at.isoformat() if application.finished_at else None}
    # clock_working_days reads the clock alone; a case without one yet is counted by its first segment.
    clocked = application if application.clock else cast("PermitApplication", SimpleNamespace(clock=[first]))
    days = permit_service.clock_working_days(clocked)
    sla = permit.sla_working_days if permit else 0
    tasks = await processes.open_tasks(session, workflow_id=application.workflow_id)
    ctx = {
        "app": application, "resi": application.resi, "s": _status_view(application), "permit_name": _permit_name(application.permit_type),
        "agency_name": catalog.issuing_agency(application.permit_type).name if permit else application.agency_code,
        "kind_label": catalog.request_kind_label(application.request_kind), "data": _data_view(application),
        "documents": await _documents_view(session, application), "rounds": list(reversed(rounds)), "revision_count": len(revisions),
        "history": _history(events, for_applicant=False), "days": days, "sla": sla, "over_sla": sla and days["office"] > sla,
        "sla_percent": min(100, round(100 * days["office"] / sla)) if sla else 0,
        "tasks": [{"id": t.id, "title": t.title, "due_at": t.due_at} for t in tasks], "active": "inbox",
    }
    return await _render(request, "pages/permits/staff.html", ctx, session=session, user=user)


# --- /verify/{code}: the address on the permit's QR code ----------------------------------------------------


@router.get("/verify/{code}")
async def verify(request: Request, code: str, user: OptionalUser, session: SessionDep, settings: SettingsDep) -> Response:
    return await verify_page(request, code, user, session, settings)
