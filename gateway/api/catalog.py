"""The service catalog, public: which agency issues which permit, for which request kinds, with which
documents, in how many working days. The Persyaratan pages and the application wizard read the same."""

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gateway.api.schemas import ERRORS
from gateway.errors import invalid, not_found
from process_defs.catalog import AgencyDef, CatalogFile, PermitTypeDef, RequirementDef, load_catalog

router = APIRouter(prefix="/api/v1", tags=["katalog layanan"])

# Loaded on import: a bad catalog stops the gateway from starting, loudly, instead of failing an applicant.
load_catalog()


class RequirementOut(BaseModel):
    code: str
    name: str
    mandatory: bool
    file_types: list[str]
    max_mb: int
    description: str | None = None
    request_kinds: list[str] | None = None


class DetailFieldOut(BaseModel):
    code: str
    label: str
    type: str
    required: bool
    options: list[str] | None = None
    min: float | None = None
    max: float | None = None
    integer: bool = False
    unit: str | None = None
    max_length: int | None = None
    hint: str | None = None
    not_before: str | None = None
    request_kinds: list[str] | None = None


class RequestKindOut(BaseModel):
    code: str
    label: str
    description: str


class PermitTypeOut(BaseModel):
    code: str
    name: str
    request_kinds: list[str]
    requirements: list[RequirementOut]
    description: str
    sla_working_days: int
    revision_deadline_working_days: int
    validity_years: int | None
    request_kind_labels: dict[str, str]
    details_fields: list[DetailFieldOut]


class AgencyOut(BaseModel):
    code: str
    name: str
    short_name: str
    permit_types: list[PermitTypeOut]


class CatalogOut(BaseModel):
    agencies: list[AgencyOut]
    request_kinds: list[RequestKindOut]


class PermitTypeDetailOut(PermitTypeOut):
    agency: dict[str, str]
    request_kind: str | None = None


def requirement_out(r: RequirementDef) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "mandatory": r.mandatory, "file_types": list(r.file_types), "max_mb": r.max_mb,
            "description": r.description, "request_kinds": list(r.request_kinds) if r.request_kinds else None}


def permit_type_out(catalog: CatalogFile, p: PermitTypeDef, *, request_kind: str | None = None) -> dict[str, Any]:
    requirements = p.requirements_for(request_kind) if request_kind else p.requirements
    return {
        "code": p.code, "name": p.name, "request_kinds": list(p.request_kinds),
        "requirements": [requirement_out(r) for r in requirements],
        "description": p.description, "sla_working_days": p.sla_working_days,
        "revision_deadline_working_days": p.revision_deadline_working_days, "validity_years": p.validity_years,
        "request_kind_labels": {k: catalog.request_kind_label(k) for k in p.request_kinds},
        "details_fields": [f.model_dump() for f in p.details_fields_for(request_kind)],
    }


def agency_out(catalog: CatalogFile, a: AgencyDef) -> dict[str, Any]:
    return {"code": a.code, "name": a.name, "short_name": a.short_name, "permit_types": [permit_type_out(catalog, p) for p in a.permit_types]}


def catalog_out(catalog: CatalogFile) -> dict[str, Any]:
    return {"agencies": [agency_out(catalog, a) for a in catalog.agencies],
            "request_kinds": [{"code": k, "label": v.label, "description": v.description} for k, v in catalog.request_kinds.items()]}


@router.get("/catalog", response_model=CatalogOut)
async def get_catalog() -> dict[str, Any]:
    """Katalog layanan: instansi → jenis izin → jenis permohonan dan persyaratannya (publik).

    `requirements` lists every document of the permit type; a requirement with `request_kinds` applies
    only to those kinds (null: to every kind)."""
    return catalog_out(load_catalog())


@router.get("/catalog/permit-types/{code}", response_model=PermitTypeDetailOut, responses={404: ERRORS[404], 422: ERRORS[422]})
async def get_permit_type(code: str, request_kind: str | None = Query(default=None, max_length=20)) -> dict[str, Any]:
    """Satu jenis izin; dengan `request_kind`, hanya persyaratan dan isian yang berlaku untuk jenis permohonan itu."""
    catalog = load_catalog()
    permit = catalog.permit_type(code)
    if permit is None:
        raise not_found("Jenis izin")
    if request_kind is not None and request_kind not in permit.request_kinds:
        raise invalid(f"Jenis permohonan '{request_kind}' tidak tersedia untuk {permit.name}. Pilihan: "
                      f"{', '.join(catalog.request_kind_label(k) for k in permit.request_kinds)}.", field="request_kind")
    agency = catalog.issuing_agency(code)
    return {**permit_type_out(catalog, permit, request_kind=request_kind), "request_kind": request_kind,
            "agency": {"code": agency.code, "name": agency.name, "short_name": agency.short_name}}
