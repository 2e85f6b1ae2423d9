"""Persyaratan: the public pages that list the service catalog, so a citizen knows what to prepare,
how long it takes and what happens next, before signing in (seed 003 §2.2 "Persyaratan", seed 001
"Halaman Persyaratan")."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import OptionalUser, SessionDep
from gateway.errors import not_found
from gateway.pages.framework import _render
from gateway.services.files import ACCEPTED_TEXT, MAX_MB
from gateway.services.office_access import chosen
from gateway.services.offices import current_office
from process_defs.catalog import DOWNLOAD_VALID_DAYS, ESCALATE_TO_ROLE, CatalogFile, PermitTypeDef, load_catalog

router = APIRouter(include_in_schema=False)


def _validity(years: int | None) -> str:
    return f"{years} tahun" if years else "Selama kegiatan/usaha berjalan dan tidak ada perubahan"


def _permit_summary(catalog: CatalogFile, permit: PermitTypeDef) -> dict[str, Any]:
    return {"code": permit.code, "name": permit.name, "description": permit.description, "sla": permit.sla_working_days,
            "validity": _validity(permit.validity_years), "kinds": [catalog.request_kind_label(k) for k in permit.request_kinds],
            "mandatory_count": sum(1 for r in permit.requirements_for(permit.request_kinds[0]) if r.mandatory)}


@router.get("/persyaratan")
async def catalog_page(request: Request, user: OptionalUser, session: SessionDep, kantor: str = "") -> Response:
    office = chosen(kantor, "permit")  # from an office's page: the page speaks for that office
    catalog = load_catalog()
    agencies = [{"code": a.code, "name": a.name, "short_name": a.short_name,
                 "permits": [_permit_summary(catalog, p) for p in a.permit_types]} for a in catalog.agencies]
    ctx = {"agencies": agencies, "active": "persyaratan", "accepted": ACCEPTED_TEXT, "max_mb": MAX_MB,
           "permit_count": len(catalog.permit_types()), "download_days": DOWNLOAD_VALID_DAYS, "kantor": office.code if office else ""}
    return await _render(request, "pages/catalog/index.html", ctx, session=session, user=user)


@router.get("/persyaratan/{code}")
async def permit_type_page(request: Request, code: str, user: OptionalUser, session: SessionDep, jenis: str = "", kantor: str = "") -> Response:
    chosen_office = chosen(kantor, "permit")  # from an office's page: the page speaks for that office
    catalog = load_catalog()
    permit = catalog.permit_type(code) if len(code) <= 40 else None
    if permit is None:
        raise not_found("Jenis izin")
    kind = jenis if jenis in permit.request_kinds else permit.request_kinds[0]
    office = current_office()
    requirements = permit.requirements_for(kind)
    ctx = {
        "permit": permit, "agency": catalog.agency_of(code), "kind": kind, "active": "persyaratan",
        "kind_label": catalog.request_kind_label(kind),
        "kinds": [{"code": k, "label": catalog.request_kind_label(k), "description": catalog.request_kinds[k].description,
                   "count": len(permit.requirements_for(k))} for k in permit.request_kinds],
        "mandatory": [r for r in requirements if r.mandatory],
        "optional": [r for r in requirements if not r.mandatory],
        "fields": permit.details_fields_for(kind),
        "validity": _validity(permit.validity_years),
        "verifier_label": office.role_label(permit.verifier_role),
        "signer_label": office.role_label(permit.signer_role),
        "escalate_label": office.role_label(ESCALATE_TO_ROLE),
        "number_example": permit.numbering.example(seq=123),
        "download_days": DOWNLOAD_VALID_DAYS,
        "accepted": ACCEPTED_TEXT, "max_mb": MAX_MB,
        "is_applicant": user is not None and user.kind == "applicant",
        "kantor": chosen_office.code if chosen_office else "",
    }
    return await _render(request, "pages/catalog/permit_type.html", ctx, session=session, user=user)
