"""Official documents: render the leave letter (Surat Izin Cuti), sign it (PAdES), register it.

The document id doubles as the public verification code printed under the QR code, so it is
random and unguessable rather than sequential. reportlab and pyHanko are imported inside the
functions that need them: the gateway imports this module for `verify_document` only.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import io
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from temporalio import activity

from store.models import Document
from workflows.contracts import RENDER_LEAVE_LETTER, DocumentResult, LeaveLetterInput, Person

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from store.settings import Settings

LEAVE_LETTER_KIND = "surat_izin_cuti"
DEV_SIGNING_DIRNAME = "signing"
DEV_CA_KEY = "dev-ca.key.pem"
DEV_CA_CERT = "dev-ca.cert.pem"
DEV_SIGNER_KEY = "dev-signing.key.pem"
# Signer certificate followed by the CA: the same layout an operator uses for signing_cert_path.
DEV_SIGNER_CERT = "dev-signing.cert.pem"
DEV_VALIDITY = dt.timedelta(days=5 * 365)


# --- signing identity ------------------------------------------------------------------------


class SigningIdentity(NamedTuple):
    """The key and certificate that sign documents; unpacks as `(private_key, cert, chain)`."""

    private_key: object  # a cryptography private key
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def trust_roots(self) -> list[x509.Certificate]:
        """The anchors a verifier trusts: the self-signed certificates of the chain, else its top."""
        roots = [c for c in self.chain if c.subject == c.issuer]
        if roots:
            return roots
        return [self.chain[-1]] if self.chain else [self.cert]


def _load_pem_certs(path: Path) -> list[x509.Certificate]:
    certs = x509.load_pem_x509_certificates(path.read_bytes())
    if not certs:
        raise ValueError(f"no certificate in {path}")
    return certs


def _load_identity(key_path: Path, cert_path: Path) -> SigningIdentity:
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    certs = _load_pem_certs(cert_path)
    return SigningIdentity(key, certs[0], tuple(certs[1:]))


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SatuPintu Dev"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _make_dev_pems() -> dict[str, bytes]:
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)  # tolerate small clock skew
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("SatuPintu Development CA (BUKAN BSrE)")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + DEV_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("SatuPintu Development Signing (BUKAN BSrE)"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + DEV_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def key_pem(k: rsa.RSAPrivateKey) -> bytes:
        return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    pem = serialization.Encoding.PEM
    return {
        DEV_CA_KEY: key_pem(ca_key),
        DEV_CA_CERT: ca_cert.public_bytes(pem),
        DEV_SIGNER_KEY: key_pem(key),
        DEV_SIGNER_CERT: cert.public_bytes(pem) + ca_cert.public_bytes(pem),
    }


def _ensure_dev_identity_files(signing_dir: Path) -> None:
    if (signing_dir / DEV_SIGNER_CERT).exists():
        return
    signing_dir.parent.mkdir(parents=True, exist_ok=True)
    # Build the whole set in a private directory and publish it with one rename: another process
    # starting at the same moment either wins the rename (we then load its files) or loses it,
    # so nobody ever sees half a set or signs with a key that is later overwritten.
    staging = Path(tempfile.mkdtemp(prefix=".signing-", dir=signing_dir.parent))
    try:
        for name, data in _make_dev_pems().items():
            fd = os.open(staging / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        try:
            os.rename(staging, signing_dir)  # atomic; fails if signing_dir exists and is not empty
        except OSError:
            if not (signing_dir / DEV_SIGNER_CERT).exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_or_create_signing_identity(settings: Settings) -> SigningIdentity:
    """The configured signing key and certificate, or (dev mode only) a development CA and signer
    created once under `var_dir/signing` and reused from then on."""
    key_path, cert_path = settings.signing_key_path, settings.signing_cert_path
    if key_path or cert_path:
        if not (key_path and cert_path):
            raise ValueError("set both SATUPINTU_SIGNING_KEY_PATH and SATUPINTU_SIGNING_CERT_PATH")
        return _load_identity(Path(key_path), Path(cert_path))
    if not settings.dev_mode:
        raise RuntimeError("no signing key configured: set SATUPINTU_SIGNING_KEY_PATH and SATUPINTU_SIGNING_CERT_PATH")
    signing_dir = Path(settings.var_dir) / DEV_SIGNING_DIRNAME
    _ensure_dev_identity_files(signing_dir)
    return _load_identity(signing_dir / DEV_SIGNER_KEY, signing_dir / DEV_SIGNER_CERT)


# --- rendering -------------------------------------------------------------------------------


def format_date_id(d: dt.date) -> str:
    from babel.dates import format_date

    return format_date(d, "long", locale="id_ID")


def _local_date(moment: dt.datetime, timezone: str) -> dt.date:
    if moment.tzinfo is None:
        return moment.date()
    try:
        return moment.astimezone(ZoneInfo(timezone)).date()
    except Exception:  # an unknown zone name must not stop the letter
        return moment.date()


def _signer_title(inp: LeaveLetterInput) -> str:
    if inp.approver_acting_for is not None:
        return f"Plh. {inp.approver_acting_for.position or 'Atasan Langsung'}"
    return inp.approver.position or "Atasan Langsung"


def _signed_by(inp: LeaveLetterInput) -> str:
    return f"{inp.approver.full_name}, {_signer_title(inp)}"[:200]


def _or_dash(value: str | None) -> str:
    return value if value and value.strip() else "-"


def render_leave_letter_pdf(inp: LeaveLetterInput, verification_url: str, *, document_code: str | None = None) -> bytes:
    """The Surat Izin Cuti as an A4 PDF, unsigned. `document_code` (default: the last segment of
    the verification URL) is printed in the footer."""
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm, mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import (
        HRFlowable,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    code = document_code or verification_url.rstrip("/").rsplit("/", 1)[-1]
    office = inp.office
    employee = inp.employee
    e = escape  # every user-supplied string goes through Paragraph markup

    base = ParagraphStyle("base", fontName="Helvetica", fontSize=11, leading=15, alignment=TA_LEFT)
    body = ParagraphStyle("body", parent=base, alignment=TA_JUSTIFY, spaceAfter=6)
    kop_name = ParagraphStyle("kop_name", parent=base, fontName="Helvetica-Bold", fontSize=15, leading=19, alignment=TA_CENTER)
    kop_addr = ParagraphStyle("kop_addr", parent=base, fontSize=9.5, leading=12, alignment=TA_CENTER)
    title = ParagraphStyle("title", parent=base, fontName="Helvetica-Bold", fontSize=13, leading=17, alignment=TA_CENTER)
    number = ParagraphStyle("number", parent=base, alignment=TA_CENTER)
    cell = ParagraphStyle("cell", parent=base, leading=14)
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5)
    small_center = ParagraphStyle("small_center", parent=small, alignment=TA_CENTER)

    start = format_date_id(inp.start_date)
    end = format_date_id(inp.end_date)
    issued = format_date_id(_local_date(inp.issued_at, office.timezone))

    page_width, _ = A4
    margin_x = 2.5 * cm
    frame_width = page_width - 2 * margin_x

    def rows_table(rows: list[tuple[str, str]]) -> Table:
        data = [[Paragraph(e(label), cell), Paragraph(":", cell), Paragraph(e(value), cell)] for label, value in rows]
        table = Table(data, colWidths=[4.2 * cm, 0.5 * cm, frame_width - 1 * cm - 4.7 * cm], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        # Indented under the sentence that introduces it, as in a typed letter.
        outer = Table([[table]], colWidths=[frame_width - 1 * cm], hAlign="RIGHT")
        outer.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        return outer

    story: list = [
        # Kop surat
        Paragraph(e(office.name.upper()), kop_name),
        Spacer(1, 1 * mm),
        Paragraph(e(office.address), kop_addr),
        Spacer(1, 2.5 * mm),
        HRFlowable(width="100%", thickness=2.2, color=colors.black, spaceBefore=0, spaceAfter=0.8 * mm),
        HRFlowable(width="100%", thickness=0.6, color=colors.black, spaceBefore=0, spaceAfter=8 * mm),
        Paragraph("<u>SURAT IZIN CUTI</u>", title),
        Paragraph(f"Nomor: {e(inp.letter_number)}", number),
        Spacer(1, 8 * mm),
        Paragraph(f"Diberikan {e(inp.leave_type_label)} kepada:", body),
        rows_table(
            [
                ("Nama", _or_dash(employee.full_name)),
                ("NIP", _or_dash(employee.nip)),
                ("Jabatan", _or_dash(employee.position)),
                ("Unit Kerja", _or_dash(employee.unit_name)),
            ]
        ),
        Spacer(1, 3 * mm),
        Paragraph(
            f"selama {inp.working_days} hari kerja terhitung mulai tanggal "
            f"{e(start)} sampai dengan tanggal {e(end)}"
            + (", dengan keterangan sebagai berikut:" if (inp.reason or inp.address_during_leave) else ","),
            body,
        ),
    ]
    extra_rows = []
    if inp.reason and inp.reason.strip():
        extra_rows.append(("Keperluan", inp.reason.strip()))
    if inp.address_during_leave and inp.address_during_leave.strip():
        extra_rows.append(("Alamat selama cuti", inp.address_during_leave.strip()))
    if extra_rows:
        story += [rows_table(extra_rows), Spacer(1, 3 * mm)]

    clause_style = ParagraphStyle("clause", parent=body, leftIndent=0.6 * cm, bulletIndent=0, spaceAfter=2)
    story += [
        Paragraph("dengan ketentuan sebagai berikut:", body),
        Paragraph(
            "sebelum menjalankan cuti, pegawai yang bersangkutan wajib menyerahkan pekerjaannya "
            "kepada atasan langsung atau pejabat lain yang ditunjuk;",
            clause_style,
            bulletText="a.",
        ),
        Paragraph(
            "setelah selesai menjalankan cuti, pegawai yang bersangkutan wajib melaporkan diri "
            "kepada atasan langsung dan bekerja kembali sebagaimana biasa.",
            clause_style,
            bulletText="b.",
        ),
        Spacer(1, 4 * mm),
        Paragraph("Demikian surat izin cuti ini dibuat untuk dapat dipergunakan sebagaimana mestinya.", body),
        Spacer(1, 8 * mm),
    ]

    # Signature area: QR on the left, signer block on the right (the usual place in a letter).
    qr_size = 2.8 * cm
    qr_col = 6.4 * cm
    qr = QrCodeWidget(verification_url, barLevel="M")
    x0, y0, x1, y1 = qr.getBounds()
    qr_drawing = Drawing(qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0])
    qr_drawing.add(qr)
    # Break a long URL before the code rather than wherever the column ends.
    url_caption = e(verification_url)
    if stringWidth(verification_url, small.fontName, small.fontSize) > qr_col and "/" in verification_url:
        head, tail = verification_url.rsplit("/", 1)
        url_caption = f"{e(head)}/<br/>{e(tail)}"
    qr_block = Table(
        [
            [qr_drawing],
            [Paragraph("Pindai untuk memverifikasi keaslian dokumen", small_center)],
            [Paragraph(url_caption, small_center)],
        ],
        colWidths=[qr_col],
    )
    qr_block.setStyle(
        TableStyle(
            [
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )

    signer = inp.approver
    esign = ParagraphStyle("esign", parent=base, fontName="Helvetica-Oblique", fontSize=9, leading=12, textColor=colors.HexColor("#444444"))
    signer_lines = [
        Paragraph(f"{e(office.city)}, {e(issued)}", base),
        Paragraph(f"{e(_signer_title(inp))},", base),
        Spacer(1, 4 * mm),
        Paragraph("Ditandatangani secara elektronik", esign),
        Spacer(1, 4 * mm),
        Paragraph(f"<b><u>{e(signer.full_name)}</u></b>", base),
    ]
    if signer.nip:
        signer_lines.append(Paragraph(f"NIP. {e(signer.nip)}", base))
    signer_width = 7.4 * cm
    signature_row = Table(
        [[qr_block, "", signer_lines]],
        colWidths=[qr_col, frame_width - qr_col - signer_width, signer_width],
    )
    signature_row.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (0, 0), "BOTTOM"),
                ("VALIGN", (2, 0), (2, 0), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(KeepTogether([signature_row]))

    def footer(canvas, doc) -> None:  # noqa: ANN001
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#999999"))
        canvas.setLineWidth(0.4)
        y = 1.6 * cm
        canvas.line(margin_x, y, page_width - margin_x, y)
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawString(margin_x, y - 10, f"Kode dokumen: {code}")
        canvas.drawRightString(page_width - margin_x, y - 10, f"Halaman {doc.page}")
        canvas.drawString(
            margin_x,
            y - 20,
            "Dokumen ini ditandatangani secara elektronik; keasliannya dapat diperiksa melalui kode QR atau kode dokumen di atas.",
        )
        canvas.restoreState()

    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin_x,
        rightMargin=margin_x,
        topMargin=1.8 * cm,
        bottomMargin=2.4 * cm,
        title=f"Surat Izin Cuti {employee.full_name}",
        author=office.name,
        subject=f"Surat Izin Cuti Nomor {inp.letter_number}",
        creator="SatuPintu",
        lang="id-ID",
    )
    template.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# --- signing and verification ----------------------------------------------------------------


async def sign_pdf(pdf_bytes: bytes, identity: SigningIdentity, *, reason: str, location: str, signer_name: str) -> bytes:
    """A PAdES (ETSI.CAdES.detached) signature over the whole PDF, in an invisible field."""
    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1, translate_pyca_cryptography_key_to_asn1
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    private_key, cert, chain = identity
    signer = signers.SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(cert),
        signing_key=translate_pyca_cryptography_key_to_asn1(private_key),
        cert_registry=SimpleCertificateStore.from_certs([translate_pyca_cryptography_cert_to_asn1(c) for c in chain]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=signer_name,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    out = await signers.PdfSigner(meta, signer=signer).async_sign_pdf(writer, output=io.BytesIO())
    return out.getvalue()


def _common_name(asn1_cert) -> str:  # noqa: ANN001
    try:
        return asn1_cert.subject.native.get("common_name") or asn1_cert.subject.human_friendly
    except Exception:
        return ""


async def verify_document(pdf_bytes: bytes, identity: SigningIdentity) -> dict:
    """Check the last signature of a PDF against the signing identity's CA.

    Returns {"intact", "valid", "trusted", "signer", "signer_name", "signed_at", "covers_whole_file"}:
    `signer` is the certificate's common name, `signer_name` the official named in the signature
    dictionary (self-asserted, so only meaningful when `valid`). `valid`
    is pyHanko's bottom line: intact, cryptographically valid, chained to the trust root and with
    no disallowed changes after signing. A file that is not a PDF or carries no signature is
    reported as neither intact nor valid rather than raising.
    """
    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    result = {
        "intact": False,
        "valid": False,
        "trusted": False,
        "signer": "",
        "signer_name": "",
        "signed_at": None,
        "covers_whole_file": False,
    }
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_signatures
    except Exception:
        return result
    if not signatures:
        return result
    embedded = signatures[-1]
    context = ValidationContext(
        trust_roots=[translate_pyca_cryptography_cert_to_asn1(c) for c in identity.trust_roots],
        other_certs=[translate_pyca_cryptography_cert_to_asn1(c) for c in identity.chain],
        allow_fetching=False,
        revocation_mode="soft-fail",  # the dev CA publishes no CRL or OCSP responder
    )
    try:
        status = await async_validate_pdf_signature(embedded, signer_validation_context=context)
    except Exception:
        return result
    result.update(
        intact=bool(status.intact),
        valid=bool(status.bottom_line),
        trusted=bool(status.trusted),
        signer=_common_name(status.signing_cert) if status.signing_cert is not None else "",
        signer_name=str(embedded.sig_object.get("/Name", "")),
        signed_at=status.signer_reported_dt,
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
    )
    return result


# --- the activity ----------------------------------------------------------------------------


def new_document_code() -> str:
    # 80 random bits in lowercase base32: URL- and file-name-safe, no leading "-", and easy to
    # type from paper into the verification page.
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class DocumentActivities:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self._identity: SigningIdentity | None = None

    async def identity(self) -> SigningIdentity:
        if self._identity is None:
            self._identity = await asyncio.to_thread(load_or_create_signing_identity, self.settings)
        return self._identity

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

    async def _produce(self, inp: LeaveLetterInput, doc_id: str) -> tuple[bytes, str]:
        verification_url = self._verification_url(doc_id)
        unsigned = await asyncio.to_thread(render_leave_letter_pdf, inp, verification_url, document_code=doc_id)
        identity = await self.identity()
        # pyHanko's signing is ~100 ms of pure-Python CPU: on the worker's event loop it would stall
        # every other workflow and activity, so it runs on its own loop in a thread.
        signed = await asyncio.to_thread(lambda: asyncio.run(sign_pdf(
            unsigned, identity, reason="Persetujuan cuti", location=inp.office.city, signer_name=inp.approver.full_name)))
        return signed, hashlib.sha256(signed).hexdigest()

    @activity.defn(name=RENDER_LEAVE_LETTER)
    async def render_leave_letter(self, inp: LeaveLetterInput) -> DocumentResult:
        documents_dir = Path(self.settings.documents_dir)
        existing = await self._find(inp.idempotency_key)
        if existing is not None:
            path = documents_dir / existing.file_name
            if path.exists():
                return self._result(existing.id, existing.sha256)
            # The row outlived its file (restored backup, manual clean-up): re-issue under the same
            # code so the QR already printed or sent still resolves.
            signed, digest = await self._produce(inp, existing.id)
            await asyncio.to_thread(_write_atomically, path, signed)
            async with self.sessionmaker() as session, session.begin():
                row = await session.get(Document, existing.id)
                row.sha256 = digest
            return self._result(existing.id, digest)

        doc_id = new_document_code()
        signed, digest = await self._produce(inp, doc_id)
        file_name = f"{doc_id}.pdf"
        path = documents_dir / file_name
        await asyncio.to_thread(_write_atomically, path, signed)

        employee: Person = inp.employee
        signed_by = _signed_by(inp)
        row = Document(
            id=doc_id,
            idempotency_key=inp.idempotency_key,
            kind=LEAVE_LETTER_KIND,
            workflow_id=inp.workflow_id,
            title=f"Surat Izin Cuti {employee.full_name}",
            number=inp.letter_number,
            file_name=file_name,
            sha256=digest,
            signed_by=signed_by,
            owner_id=employee.id,
            summary={
                "Nomor": inp.letter_number,
                "Pegawai": f"{employee.full_name} (NIP {employee.nip})" if employee.nip else employee.full_name,
                "Jenis cuti": inp.leave_type_label,
                "Tanggal": f"{format_date_id(inp.start_date)} s.d. {format_date_id(inp.end_date)}",
                "Lama": f"{inp.working_days} hari kerja",
                "Ditandatangani oleh": signed_by,
            },
        )
        try:
            async with self.sessionmaker() as session, session.begin():
                session.add(row)
        except IntegrityError:
            # A concurrent attempt of this activity registered its document first: keep that one.
            path.unlink(missing_ok=True)
            stored = await self._find(inp.idempotency_key)
            if stored is None:
                raise
            return self._result(stored.id, stored.sha256)
        return self._result(doc_id, digest)
