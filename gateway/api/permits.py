from typing import Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api.schemas import ERRORS, OpenMapping, Out, PdfResponse
from gateway.deps import CurrentUser, SessionDep, SettingsDep, TemporalDep
from gateway.errors import not_found
from gateway.services import files as file_service
from gateway.services import permits as permit_service
from gateway.services import processes
from gateway.services.offices import office_of
from gateway.services.permits import PermitForm
from gateway.services.throttle import client_ip
from process_defs import catalog
from process_defs.loader import office_snapshot
from store.models import Document, StoredFile
from store.storage import document_key

router = APIRouter(prefix="/api/v1", tags=["perizinan"])


class LocationBody(BaseModel):
    street: str = Field(min_length=1, max_length=300)
    rt: str | None = Field(default=None, max_length=3)
    rw: str | None = Field(default=None, max_length=3)
    village_code: str | None = Field(default=None, max_length=20)
    village_name: str | None = Field(default=None, max_length=200)
    latitude: float
    longitude: float


class PermitBody(BaseModel):
    permit_type: str = Field(min_length=1, max_length=60)
    request_kind: str = Field(min_length=1, max_length=20)
    applicant: dict | None = None
    company: dict | None = None
    location: LocationBody
    details: dict = Field(default_factory=dict)
    documents: dict[str, str] = Field(default_factory=dict)
    declaration: bool
    office: str | None = Field(default=None, max_length=60,
                               description="Kode kantor tujuan (GET /api/v1/offices); tanpa kode: satu-satunya kantor yang melayani "
                                           "perizinan. Tidak dapat diubah saat revisi.")


class ReissueBody(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class PublicTimelineLine(Out):
    at: str
    kind: str
    title: str


class PermitTimelineLine(PublicTimelineLine):
    actor: str | None
    reason: str | None


class PublicPermitOut(Out):
    resi: str
    office: str
    status: str
    status_label: str
    stage: str
    stage_label: str
    next_step: str | None
    permit_type: str
    permit_type_name: str
    agency: str | None
    request_kind: str
    revision_due_at: str | None
    submitted_at: str
    finished_at: str | None
    timeline: list[PublicTimelineLine]


class PermitOut(Out):
    resi: str
    office: str
    status: str
    status_label: str
    stage: str
    stage_label: str
    next_step: str | None
    permit_type: str
    permit_type_name: str
    agency: str | None
    request_kind: str
    revision_notes: str | None
    revision_due_at: str | None
    decision_reason: str | None
    submitted_at: str
    finished_at: str | None
    id: int
    workflow_id: str
    applicant: OpenMapping | None
    company: OpenMapping | None
    location: OpenMapping | None
    details: OpenMapping | None
    documents: dict[str, str] | None
    revision_round: int
    permit_number: str | None
    download_expires_at: str | None
    downloaded_at: str | None
    permit_url: str | None
    receipt_url: str
    verification_url: str | None
    working_days: dict[str, int]


class RevisionOut(Out):
    round: int
    submitted_at: str
    snapshot: OpenMapping | None


class PermitDetailOut(PermitOut):
    timeline: list[PermitTimelineLine]
    revisions: list[RevisionOut]


class PermitListOut(Out):
    items: list[PermitOut]


class ReissueOut(Out):
    resi: str
    status: str


def _form(body: PermitBody, client_key: str | None = None) -> PermitForm:
    return PermitForm(permit_type=body.permit_type, request_kind=body.request_kind, applicant=body.applicant or {}, company=body.company,
                      location=body.location.model_dump(), details=body.details, documents=body.documents,
                      declaration=body.declaration, client_key=client_key, office=body.office)


@router.post("/permit-applications", status_code=201, response_model=PermitOut, responses=ERRORS)
async def submit(body: PermitBody, user: CurrentUser, session: SessionDep, client: TemporalDep, settings: SettingsDep, response: Response,
                 idempotency_key: str | None = Header(default=None, max_length=100)) -> dict[str, Any]:
    application, created = await permit_service.submit(session, client, settings, applicant=user,
                                                       form=_form(body, f"{user.id}:{idempotency_key}" if idempotency_key else None))
    if not created:
        response.status_code = 200
    return permit_service.serialize(application, settings)


@router.get("/permit-applications", response_model=PermitListOut, responses={401: ERRORS[401]})
async def mine(user: CurrentUser, session: SessionDep, settings: SettingsDep, q: str | None = None) -> dict[str, Any]:
    rows = await permit_service.list_for_applicant(session, applicant=user, query=q)
    return {"items": [permit_service.serialize(a, settings) for a in rows]}


@router.get("/permit-applications/{resi}", response_model=PermitDetailOut, responses={401: ERRORS[401], 404: ERRORS[404]})
async def detail(resi: str, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    application = await permit_service.get_for_viewer(session, viewer=user, resi=resi)
    data = permit_service.serialize(application, settings, events=await processes.timeline(session, workflow_id=application.workflow_id))
    data["revisions"] = [{"round": r.round, "submitted_at": r.submitted_at.isoformat(), "snapshot": r.snapshot}
                         for r in await permit_service.revisions(session, application_id=application.id)]
    return data


@router.put("/permit-applications/{resi}", response_model=PermitOut, responses=ERRORS)
async def resubmit(resi: str, body: PermitBody, user: CurrentUser, session: SessionDep, client: TemporalDep, settings: SettingsDep) -> dict[str, Any]:
    application = await permit_service.resubmit(session, client, applicant=user, resi=resi, form=_form(body))
    return permit_service.serialize(application, settings)


@router.get("/permit-applications/{resi}/permit.pdf", response_class=PdfResponse, responses={**ERRORS, 410: {"description": "Sudah diunduh atau kedaluwarsa"}})
async def download_permit(resi: str, user: CurrentUser, session: SessionDep, client: TemporalDep, settings: SettingsDep) -> StreamingResponse:
    """Once: the workflow grants one download per window and refuses the next with 410."""
    grant = await permit_service.claim_download(session, client, settings, applicant=user, resi=resi)
    document = await session.get(Document, grant.document_id)
    if document is None:  # a grant is given for a document the run registered
        raise not_found("Berkas izin")
    return await file_service.stored_response(settings, document_key(document.file_name), media_type="application/pdf", what="Berkas izin",
                                              filename=f"Izin-{resi.upper()}.pdf")


@router.post("/permit-applications/{resi}/reissue", status_code=202, response_model=ReissueOut, responses=ERRORS)
async def reissue(resi: str, body: ReissueBody, user: CurrentUser, session: SessionDep, client: TemporalDep) -> dict[str, Any]:
    await permit_service.request_reissue(session, client, applicant=user, resi=resi, reason=body.reason)
    return {"resi": resi.upper(), "status": "reissue_requested"}


@router.get("/permit-applications/{resi}/receipt.pdf", response_class=PdfResponse, responses={401: ERRORS[401], 404: ERRORS[404]})
async def receipt(resi: str, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    """Cetak Resi."""
    from documents.logo import letterhead_logo  # noqa: PLC0415 - with the receipt
    from documents.receipt import render_receipt_pdf  # noqa: PLC0415 - reportlab only when printing

    application = await permit_service.get_for_viewer(session, viewer=user, resi=resi)
    permit_type, agency = catalog.permit_type(application.permit_type), catalog.agency_of(application.permit_type)
    if permit_type is None or agency is None:  # a case is filed for a permit type of the catalog, which puts each under an agency
        raise RuntimeError(f"permit type {application.permit_type} of {application.resi} is not in the catalog")
    files = {f.id: f for f in await _files(session, list(application.documents.values()))}
    requirements = [(r.name, files[application.documents[r.code]].name) for r in catalog.requirements_for(permit_type, application.request_kind)
                    if r.code in application.documents and application.documents[r.code] in files]
    office = office_snapshot(office_of(application))
    pdf = render_receipt_pdf(office=office, application=application, permit_type_name=permit_type.name,
                             agency_name=agency.name,
                             request_kind_label=catalog.request_kind_label(application.request_kind), requirements=requirements,
                             tracking_url=f"{settings.public_base_url}/lacak/{application.resi}",
                             logo=await letterhead_logo(settings, office.logo_key))
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="Resi-{application.resi}.pdf"'})


async def _files(session: AsyncSession, ids: list[str]) -> list[StoredFile]:
    return list(await session.scalars(select(StoredFile).where(StoredFile.id.in_(ids)))) if ids else []


@router.get("/tracking/{resi}", response_model=PublicPermitOut,
            responses={404: ERRORS[404], 429: {"model": ERRORS[404]["model"], "description": "Terlalu banyak pencarian dari alamat ini"}})
async def tracking(resi: str, request: Request, session: SessionDep) -> dict[str, Any]:
    """Monitoring Izin: publik, dengan nomor resi. Tahap, tanggal, dan langkah berikutnya; tanpa nama petugas, catatan,
    atau alasan (itu di halaman pemohon setelah masuk). Dibatasi per alamat, lebih ketat untuk resi yang tidak ada."""
    return await permit_service.track(session, resi=resi[:40], client_ip=client_ip(request))
