"""The document activities: render a leave letter or a permit (documents), sign it (signing), keep it in the
storage and register it, once per idempotency key.

The document id doubles as the public verification code printed under the QR code, so it is
random and unguessable rather than sequential."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from contracts import (
    RENDER_LEAVE_LETTER,
    RENDER_PERMIT,
    DocumentResult,
    LeaveLetterInput,
    OfficeSnapshot,
    PermitDocumentInput,
    Person,
)
from store.models import Document, PermitApplication
from store.storage import document_key, storage_for

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from store.settings import Settings
from documents.layout import _first, format_date_id
from documents.leave_letter import _signed_by, render_leave_letter_pdf
from documents.logo import letterhead_logo
from documents.permit import (
    _applicant_fields,
    _has_company,
    _permit_signed_by,
    details_labels,
    location_summary,
    render_permit_pdf,
    validity_text,
)
from signing.identity import SigningIdentity, load_or_create_signing_identity
from signing.officials import SigningAuthorizationError, consume, load_authorized_key
from signing.pades import sign_pdf_off_loop

LEAVE_LETTER_KIND = "surat_izin_cuti"
PDF = "application/pdf"


PERMIT_KIND = "izin"


def new_document_code() -> str:
    # 80 random bits in lowercase base32: URL- and file-name-safe, no leading "-", and easy to
    # type from paper into the verification page.
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


SIGNING_AUTHORIZATION_EXPIRED = "Otorisasi TTE sudah kedaluwarsa; penandatangan perlu memasukkan passphrase lagi."


class DocumentIssuer:
    """What every document activity shares: the installation's signing identity, the verification
    URL printed under the QR, and `issue`, the idempotent render-sign-register path."""

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker

    async def identity(self) -> SigningIdentity:
        # Cached per process by file version (`_load_identity`): a replaced certificate is used from
        # the next document on, without restarting the worker.
        return await asyncio.to_thread(load_or_create_signing_identity, self.settings)

    async def logo(self, office: OfficeSnapshot) -> bytes | None:
        """The logo on the letterhead of the office the run snapshotted (None: it has none)."""
        return await letterhead_logo(self.settings, office.logo_key)

    def _verification_url(self, doc_id: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}/verifikasi/{doc_id}"

    def _result(self, doc_id: str, sha256: str) -> DocumentResult:
        return DocumentResult(
            document_id=doc_id,
            sha256=sha256,
            url=f"{self.settings.public_base_url.rstrip('/')}/dokumen/{doc_id}.pdf",
            verification_url=self._verification_url(doc_id),
        )

    async def _find(self, idempotency_key: str) -> Document | None:
        async with self.sessionmaker() as session:
            return (await session.execute(select(Document).where(Document.idempotency_key == idempotency_key))).scalar_one_or_none()

    async def issue(self, idempotency_key: str, make: Callable[[str], Awaitable[tuple[bytes, dict]]], *,
                    in_register: Callable[[AsyncSession], Awaitable[None]] | None = None) -> DocumentResult:
        """The one way a document is issued: once per idempotency key, so a retried activity returns
        the document it already made. `make(code)` renders and signs under that code and returns the
        bytes and the register fields; `in_register(session)` runs in the transaction that registers it."""
        storage = storage_for(self.settings)
        existing = await self._find(idempotency_key)
        if existing is not None:
            if await storage.exists(document_key(existing.file_name)):
                return self._result(existing.id, existing.sha256)
            # The row outlived its file (restored backup, manual clean-up): issue again under the same
            # code, so a QR already printed or sent still resolves.
            signed, _ = await make(existing.id)
            digest = hashlib.sha256(signed).hexdigest()
            await storage.put(document_key(existing.file_name), signed, PDF)
            async with self.sessionmaker() as session, session.begin():
                (await session.get_one(Document, existing.id)).sha256 = digest
                if in_register:
                    await in_register(session)
            return self._result(existing.id, digest)

        doc_id = new_document_code()
        try:
            signed, fields = await make(doc_id)
        except ApplicationError:
            # A concurrent attempt may have issued it (and used up what it needed) since we looked.
            stored = await self._find(idempotency_key)
            if stored is None:
                raise
            return self._result(stored.id, stored.sha256)
        digest = hashlib.sha256(signed).hexdigest()
        file_name = f"{doc_id}.pdf"
        await storage.put(document_key(file_name), signed, PDF)
        try:
            async with self.sessionmaker() as session, session.begin():
                session.add(Document(id=doc_id, idempotency_key=idempotency_key, file_name=file_name, sha256=digest, **fields))
                await session.flush()
                if in_register:
                    await in_register(session)
        except IntegrityError:
            # A concurrent attempt registered its document first: keep that one.
            await storage.delete(document_key(file_name))
            stored = await self._find(idempotency_key)
            if stored is None:
                raise
            return self._result(stored.id, stored.sha256)
        return self._result(doc_id, digest)


class DocumentActivities(DocumentIssuer):
    """The leave letter and the permit."""

    async def _produce(self, inp: LeaveLetterInput, doc_id: str) -> bytes:
        verification_url = self._verification_url(doc_id)
        logo = await self.logo(inp.office)
        unsigned = await asyncio.to_thread(render_leave_letter_pdf, inp, verification_url, document_code=doc_id, logo=logo)
        identity = await self.identity()
        signed = await sign_pdf_off_loop(
            unsigned, identity, reason="Persetujuan cuti", location=inp.office.city, signer_name=inp.approver.full_name)
        return signed

    @activity.defn(name=RENDER_LEAVE_LETTER)
    async def render_leave_letter(self, inp: LeaveLetterInput) -> DocumentResult:
        async def make(doc_id: str) -> tuple[bytes, dict]:
            signed = await self._produce(inp, doc_id)
            employee: Person = inp.employee
            signed_by = _signed_by(inp)
            return signed, dict(
                kind=LEAVE_LETTER_KIND, workflow_id=inp.workflow_id, title=f"Surat Izin Cuti {employee.full_name}",
                number=inp.letter_number, signed_by=signed_by, owner_id=employee.id,
                summary={
                    "Nomor": inp.letter_number,
                    "Pegawai": f"{employee.full_name} (NIP {employee.nip})" if employee.nip else employee.full_name,
                    "Jenis cuti": inp.leave_type_label,
                    "Tanggal": f"{format_date_id(inp.start_date)} s.d. {format_date_id(inp.end_date)}",
                    "Lama": f"{inp.working_days} hari kerja",
                    "Ditandatangani oleh": signed_by,
                },
            )

        return await self.issue(inp.idempotency_key, make)

    # --- the permit ----------------------------------------------------------------------------

    async def _permit_content(self, inp: PermitDocumentInput) -> dict:
        """The keyword arguments of `render_permit_pdf` that come from the application row."""
        async with self.sessionmaker() as session:
            application = await session.get(PermitApplication, inp.application_id)
            if application is None:
                raise ApplicationError(
                    f"Permohonan {inp.resi} (id {inp.application_id}) tidak ditemukan.",
                    type="PermitApplicationNotFound", non_retryable=True,
                )
            applicant_data = dict(application.applicant_data or {})
            user = application.applicant
            profile = user.profile if user is not None else None
        # The wizard pre-fills from the profile; fall back to it for anything the row lacks.
        applicant_data.setdefault("full_name", inp.applicant.full_name)
        if not applicant_data.get("nik"):
            applicant_data["nik"] = profile.nik if profile is not None else ""
        if not applicant_data.get("address") and profile is not None:
            applicant_data["address"] = profile.address
        return {
            "applicant_data": applicant_data,
            "company": application.company,
            "location": dict(application.location or {}),
            "details": dict(application.details or {}),
            "details_labels": details_labels(inp.definition.permit_type_code),
            "submitted_at": application.created_at,
        }

    async def _authorized_identity(self, inp: PermitDocumentInput) -> SigningIdentity:
        try:
            async with self.sessionmaker() as session:
                private_key, chain, signer_id = await load_authorized_key(session, token=inp.signing_token)
        except SigningAuthorizationError:
            raise ApplicationError(SIGNING_AUTHORIZATION_EXPIRED, type="SigningAuthorizationExpired", non_retryable=True) from None
        if signer_id != inp.signer.id:
            raise ApplicationError(
                "Otorisasi TTE milik pejabat lain; penandatangan perlu memasukkan passphrase lagi.",
                type="SigningAuthorizationMismatch", non_retryable=True,
            )
        return SigningIdentity(private_key, chain[0], tuple(chain[1:]))

    async def _produce_permit(self, inp: PermitDocumentInput, doc_id: str) -> tuple[bytes, dict]:
        identity = await self._authorized_identity(inp)
        content = await self._permit_content(inp)
        logo = await self.logo(inp.definition.office)
        unsigned = await asyncio.to_thread(
            lambda: render_permit_pdf(inp, self._verification_url(doc_id), document_code=doc_id, logo=logo, **content)
        )
        signed = await sign_pdf_off_loop(
            unsigned, identity, reason=f"Penetapan {inp.definition.permit_type_name} Nomor {inp.permit_number}",
            location=inp.definition.office.city, signer_name=inp.signer.full_name,
        )
        return signed, content

    @activity.defn(name=RENDER_PERMIT)
    async def render_permit(self, inp: PermitDocumentInput) -> DocumentResult:
        """Render the permit, sign it with the official's key unlocked by `inp.signing_token` (PAdES),
        register it and use up the authorization in one transaction. Idempotent by
        `inp.idempotency_key`. An unknown or expired authorization fails with the non-retryable
        `SigningAuthorizationExpired`, so the workflow can ask the official for the passphrase again."""
        async def make(doc_id: str) -> tuple[bytes, dict]:
            signed, content = await self._produce_permit(inp, doc_id)
            definition = inp.definition
            holder, _, _ = _applicant_fields(content["applicant_data"])
            company = content["company"]
            company_name = _first(company, "name", "nama", blanks=("", "-", "0")) if _has_company(company) else ""
            signed_by = _permit_signed_by(inp)
            return signed, dict(
                kind=PERMIT_KIND, workflow_id=inp.workflow_id, title=f"{definition.permit_type_name} — {inp.resi}",
                number=inp.permit_number, signed_by=signed_by, owner_id=inp.applicant.id,
                # Shown on the public verification page: no NIK, no personal address.
                summary={
                    "Nomor": inp.permit_number,
                    "Pemegang": f"{holder or inp.applicant.full_name}" + (f" ({company_name})" if company_name else ""),
                    "Jenis izin": f"{definition.permit_type_name} ({definition.request_kind_label})",
                    "Lokasi": location_summary(content["location"]),
                    "Berlaku": validity_text(inp.valid_until),
                    "Ditandatangani oleh": signed_by,
                },
            )

        async def use_up_authorization(session: AsyncSession) -> None:
            await consume(session, inp.signing_token)

        result = await self.issue(inp.idempotency_key, make, in_register=use_up_authorization)
        if activity.in_activity():
            activity.logger.info("permit %s signed as document %s", inp.permit_number, result.document_id)
        return result
