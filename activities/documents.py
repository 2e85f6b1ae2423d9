"""Official documents: render the leave letter (Surat Izin Cuti), sign it (PAdES), register it.

The document id doubles as the public verification code printed under the QR code, so it is
random and unguessable rather than sequential. reportlab and pyHanko are imported inside the
functions that need them: the gateway imports this module for `verify_document` only.
"""

from __future__ import annotations

import asyncio
import contextlib
import base64
import datetime as dt
import functools
import hashlib
import io
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections import OrderedDict
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
from temporalio.exceptions import ApplicationError

from store.models import Document, PermitApplication
from store.storage import document_key, storage_for
from workflows.contracts import (
    RENDER_LEAVE_LETTER,
    RENDER_PERMIT,
    DocumentResult,
    LeaveLetterInput,
    OfficeSnapshot,
    PermitDocumentInput,
    Person,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from store.settings import Settings

LEAVE_LETTER_KIND = "surat_izin_cuti"
PDF = "application/pdf"
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


def _file_version(path: Path) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


# Loading an RSA key costs 50-150 ms here (OpenSSL checks the key's primes); the gateway's verification
# page and every document activity ask for the identity. Keyed by both files' versions, so a key or
# certificate replaced on disk (always by rename, see `_write_atomically`) is read again on the next call.
# Only unencrypted key files come through here: the officials' passphrase-locked keys never do.
_IDENTITY_CACHE: dict[tuple[Path, Path], tuple[tuple, SigningIdentity]] = {}
_IDENTITY_LOCK = threading.Lock()


def _load_identity(key_path: Path, cert_path: Path) -> SigningIdentity:
    paths = (Path(os.path.abspath(key_path)), Path(os.path.abspath(cert_path)))
    version = (_file_version(paths[0]), _file_version(paths[1]))
    with _IDENTITY_LOCK:
        cached = _IDENTITY_CACHE.get(paths)
    if cached is not None and cached[0] == version:
        return cached[1]
    key = serialization.load_pem_private_key(paths[0].read_bytes(), password=None)
    certs = _load_pem_certs(paths[1])
    identity = SigningIdentity(key, certs[0], tuple(certs[1:]))
    # Stat again after reading: a file replaced while we read it is not cached under the old version.
    if (_file_version(paths[0]), _file_version(paths[1])) == version:
        with _IDENTITY_LOCK:
            _IDENTITY_CACHE[paths] = (version, identity)
    return identity


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SatuPintu Dev"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )



def issue_signing_certificate(ca_key, ca_cert: x509.Certificate, subject: x509.Name, *, not_after: dt.datetime,  # noqa: ANN001, ANN201
                              not_before: dt.datetime | None = None):
    """A new RSA key and a document-signing certificate for it, issued by the CA: the one way this
    installation makes signers (its own dev signer, and each official who signs with TTE)."""
    now = not_before or dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)  # tolerate small clock skew
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(min(not_after, ca_cert.not_valid_after_utc))
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
    )
    with contextlib.suppress(x509.ExtensionNotFound):
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())

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

    # The CA's own start: a signer starting a second later would be valid a second short of DEV_VALIDITY.
    key, cert = issue_signing_certificate(ca_key, ca_cert, _name("SatuPintu Development Signing (BUKAN BSrE)"),
                                          not_after=now + DEV_VALIDITY, not_before=now)

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
    created once under the signing dir (`var_dir/signing` unless SATUPINTU_SIGNING_DIR) and reused from then on."""
    key_path, cert_path = settings.signing_key_path, settings.signing_cert_path
    if key_path or cert_path:
        if not (key_path and cert_path):
            raise ValueError("set both SATUPINTU_SIGNING_KEY_PATH and SATUPINTU_SIGNING_CERT_PATH")
        return _load_identity(Path(key_path), Path(cert_path))
    if not settings.dev_mode:
        raise RuntimeError("no signing key configured: set SATUPINTU_SIGNING_KEY_PATH and SATUPINTU_SIGNING_CERT_PATH")
    signing_dir = Path(settings.effective_signing_dir)
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


def qr_drawing(value: str, size: float):  # noqa: ANN201
    """A vector QR code for `value`, `size` points square (a reportlab Drawing)."""
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    qr = QrCodeWidget(value, barLevel="M")
    x0, y0, x1, y1 = qr.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    return drawing


def _qr_block(value: str, caption: str, *, width: float, size: float, extra: str | None = None):  # noqa: ANN202
    """A QR code for `value` with a caption and `value` itself printed under it, `width` wide."""
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, Table, TableStyle

    small_center = ParagraphStyle("qr_caption", fontName="Helvetica", fontSize=7.5, leading=9.5, alignment=TA_CENTER)
    drawing = qr_drawing(value, size)
    # Break a long URL before its last segment rather than wherever the column ends.
    url_caption = escape(value)
    if stringWidth(value, small_center.fontName, small_center.fontSize) > width and "/" in value:
        head, tail = value.rsplit("/", 1)
        url_caption = f"{escape(head)}/<br/>{escape(tail)}"
    rows = [[drawing], [Paragraph(escape(caption), small_center)], [Paragraph(url_caption, small_center)]]
    if extra:
        rows.append([Paragraph(extra, small_center)])
    block = Table(rows, colWidths=[width])
    block.setStyle(
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
    return block


def _footer_painter(code: str | None, note: str, *, margin_x: float):  # noqa: ANN202
    """A page callback drawing a rule, "Kode dokumen", the page number and `note` at the foot of each page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm

    page_width, _ = A4

    def footer(canvas, doc) -> None:  # noqa: ANN001
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#999999"))
        canvas.setLineWidth(0.4)
        y = 1.6 * cm
        canvas.line(margin_x, y, page_width - margin_x, y)
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        if code:
            canvas.drawString(margin_x, y - 10, f"Kode dokumen: {code}")
        canvas.drawRightString(page_width - margin_x, y - 10, f"Halaman {doc.page}")
        canvas.drawString(margin_x, y - 20, note)
        canvas.restoreState()

    return footer


def label_value_rows(rows: list[tuple[str, str]], cell, *, frame_width: float, indent: float | None = None,  # noqa: ANN001, ANN202
                label_width: float | None = None):
    """"Label : value" rows as in a typed letter, indented under the sentence that introduces them.
    Labels and values are plain text (escaped here)."""
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, Table, TableStyle

    indent = 1 * cm if indent is None else indent
    label_width = 4.2 * cm if label_width is None else label_width
    data = [[Paragraph(escape(label), cell), Paragraph(":", cell), Paragraph(escape(value), cell)] for label, value in rows]
    table = Table(data, colWidths=[label_width, 0.5 * cm, frame_width - indent - label_width - 0.5 * cm], hAlign="LEFT")
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
    if not indent:
        return table
    outer = Table([[table]], colWidths=[frame_width - indent], hAlign="RIGHT")
    outer.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return outer


def render_leave_letter_pdf(inp: LeaveLetterInput, verification_url: str, *, document_code: str | None = None) -> bytes:
    """The Surat Izin Cuti as an A4 PDF, unsigned. `document_code` (default: the last segment of
    the verification URL) is printed in the footer."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm, mm
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

    start = format_date_id(inp.start_date)
    end = format_date_id(inp.end_date)
    issued = format_date_id(_local_date(inp.issued_at, office.timezone))

    page_width, _ = A4
    margin_x = 2.5 * cm
    frame_width = page_width - 2 * margin_x

    def rows_table(rows: list[tuple[str, str]]) -> Table:
        return label_value_rows(rows, cell, frame_width=frame_width)

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
    qr_col = 6.4 * cm
    qr_block = _qr_block(verification_url, "Pindai untuk memverifikasi keaslian dokumen", width=qr_col, size=2.8 * cm)

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

    footer = _footer_painter(
        code,
        "Dokumen ini ditandatangani secara elektronik; keasliannya dapat diperiksa melalui kode QR atau kode dokumen di atas.",
        margin_x=margin_x,
    )

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


# --- the permit (Cetak Izin) and the receipt (Cetak Resi) ------------------------------------

PERMIT_KIND = "izin"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TZ_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
# A permit type whose name already says what the document is keeps it as its title; others are
# titled "SURAT IZIN <NAME>".
_DOCUMENT_WORDS = {
    "izin", "surat", "persetujuan", "sertifikat", "sertifikasi", "tanda", "rekomendasi", "pengesahan",
    "keputusan", "lisensi", "perizinan", "pendaftaran", "nomor", "kesesuaian", "standar",
}


def mask_nik(nik: str | None) -> str:
    """A NIK as printed on documents others may see: 3374********0001."""
    value = (nik or "").strip()
    if not value:
        return "-"
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if isinstance(value, (list, tuple)):
        return ", ".join(t for t in (_text(v) for v in value) if t)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items() if _text(v))
    if isinstance(value, dt.datetime):
        return format_date_id(value.date())
    if isinstance(value, dt.date):
        return format_date_id(value)
    if isinstance(value, (int, float)):
        from babel.numbers import format_decimal

        return format_decimal(value, locale="id_ID")
    text = str(value).strip()
    if _ISO_DATE.match(text):
        try:
            return format_date_id(dt.date.fromisoformat(text))
        except ValueError:
            pass
    return text


def _first(data: dict | None, *keys: str, blanks: tuple[str, ...] = ("", "-")) -> str:
    """The first of `keys` with a real value. The wizard lets an individual fill company fields
    with "0" or "-" (seed 003), so callers pass those as blanks where they apply."""
    for key in keys:
        value = _text((data or {}).get(key))
        if value not in blanks:
            return value
    return ""


def _region(data: dict | None, *, village_prefix: str = "") -> str:
    parts = []
    village = _first(data, "village_name", "village", "kelurahan", "desa")
    if village:
        parts.append(f"{village_prefix}{village}")
    district = _first(data, "district_name", "district", "kecamatan")
    if district:
        parts.append(f"Kec. {district}")
    parts.append(_first(data, "regency_name", "regency", "kabupaten", "city"))
    parts.append(_first(data, "province_name", "province", "provinsi"))
    return ", ".join(p for p in parts if p)


def _applicant_fields(applicant_data: dict) -> tuple[str, str, str]:
    """(name, NIK, address) from the application's applicant data."""
    name = _first(applicant_data, "full_name", "name", "nama")
    nik = _first(applicant_data, "nik")
    address = ", ".join(p for p in (_first(applicant_data, "address", "alamat"), _region(applicant_data)) if p)
    return name, nik, address


def _has_company(company: dict | None) -> bool:
    blanks = ("", "-", "0")
    return bool(company) and bool(_first(company, "name", "nama", blanks=blanks) or _first(company, "nib", blanks=blanks))


def _company_rows(company: dict | None) -> list[tuple[str, str]]:
    if not _has_company(company):
        return []
    blanks = ("", "-", "0")
    rows = [("Nama perusahaan", _first(company, "name", "nama", blanks=blanks) or "-")]
    form = _first(company, "legal_form", "form", "bentuk", blanks=blanks)
    if form:
        rows[0] = ("Nama perusahaan", f"{rows[0][1]} ({form})" if form.lower() not in rows[0][1].lower() else rows[0][1])
    nib, npwp = _first(company, "nib", blanks=blanks), _first(company, "npwp", blanks=blanks)
    rows.append(("NIB / NPWP", f"{nib or '-'} / {npwp or '-'}"))
    address = ", ".join(p for p in (_first(company, "address", "alamat", blanks=blanks), _region(company)) if p)
    if address:
        rows.append(("Alamat perusahaan", address))
    return rows


def _coordinates(location: dict) -> str:
    lat, lon = (location or {}).get("latitude"), (location or {}).get("longitude")
    if lat in (None, "") or lon in (None, ""):
        return ""
    try:
        return f"{float(lat):.6f}, {float(lon):.6f}"
    except (TypeError, ValueError):
        return f"{lat}, {lon}"


def _street(location: dict) -> str:
    street = _first(location, "street", "jalan", "address")
    number = _first(location, "number", "no", "house_number")
    if number:
        street = f"{street} No. {number}" if street else f"No. {number}"
    return street


def _rt_rw(location: dict) -> str:
    rt, rw = _first(location, "rt"), _first(location, "rw")
    if not (rt or rw):
        return ""
    return f"RT {rt or '-'}/RW {rw or '-'}"


def _location_rows(location: dict) -> list[tuple[str, str]]:
    rows = [("Alamat lokasi", ", ".join(p for p in (_street(location), _rt_rw(location)) if p) or "-")]
    region = _region(location)
    if not region and _first(location, "village_code"):
        region = f"Kode wilayah {_first(location, 'village_code')}"
    rows.append(("Kelurahan/Desa", region or "-"))
    if _coordinates(location):
        rows.append(("Koordinat", _coordinates(location)))
    return rows


def location_summary(location: dict) -> str:
    """One line, for registers and the verification page: "Jl. Mawar No. 5, RT 001/RW 002, Sukamaju, …"."""
    parts = [_street(location)]
    parts.append(_rt_rw(location))
    parts.append(_region(location))
    return ", ".join(p for p in parts if p) or "-"


def _details_rows(details: dict, labels: dict[str, str]) -> list[tuple[str, str]]:
    """The permit type's details in the catalog's order, then any others; empty values left out."""
    ordered = [code for code in labels if code in (details or {})] + [code for code in (details or {}) if code not in labels]
    rows = []
    for code in ordered:
        value = _text(details[code])
        if value:
            rows.append((labels.get(code) or code.replace("_", " ").strip().capitalize(), value))
    return rows


def permit_title(permit_type_name: str) -> str:
    name = " ".join(permit_type_name.split())
    first = name.split(" ", 1)[0].lower() if name else ""
    return (name if first in _DOCUMENT_WORDS else f"Surat Izin {name}").upper()


def validity_text(valid_until: dt.date | None) -> str:
    if valid_until is not None:
        return f"Berlaku sampai dengan {format_date_id(valid_until)}"
    return "Berlaku selama usaha/kegiatan berjalan"


def local_moment(moment: dt.datetime, timezone: str) -> tuple[dt.datetime, str]:
    """`moment` in the office's zone, with its Indonesian abbreviation (WIB/WITA/WIT)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    try:
        local = moment.astimezone(ZoneInfo(timezone))
    except Exception:  # an unknown zone name must not stop the document
        return moment, "UTC"
    return local, _TZ_ABBREVIATIONS.get(timezone, local.tzname() or "")


def _permit_signer_title(inp: PermitDocumentInput) -> str:
    head = inp.definition.office.head_title or "Kepala"
    if inp.signer_acting_for is not None:
        return f"Plh. {inp.signer_acting_for.position or head}"
    return inp.signer.position or head


def _permit_signed_by(inp: PermitDocumentInput) -> str:
    return f"{inp.signer.full_name}, {_permit_signer_title(inp)}"[:200]


def letterhead(story: list, lines: list[tuple[str, object]]) -> None:
    """Kop surat: the given (text, style) lines and the double rule under them."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, Paragraph, Spacer

    for text, style in lines:
        story.append(Paragraph(escape(text), style))
    story += [
        Spacer(1, 2.5 * mm),
        HRFlowable(width="100%", thickness=2.2, color=colors.black, spaceBefore=0, spaceAfter=0.8 * mm),
        HRFlowable(width="100%", thickness=0.6, color=colors.black, spaceBefore=0, spaceAfter=6 * mm),
    ]



def build_a4(story: list, footer, *, margin_x: float, title: str, author: str, subject: str,  # noqa: ANN001
             bottom_margin: float | None = None) -> bytes:
    """Lays out one A4 document of the office, with its footer on every page and its PDF metadata.
    `bottom_margin` leaves room for a taller footer (default 2.4 cm)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate

    bottom_margin = 2.4 * cm if bottom_margin is None else bottom_margin
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=margin_x, rightMargin=margin_x, topMargin=1.6 * cm, bottomMargin=bottom_margin,
                      title=title, author=author, subject=subject, creator="SatuPintu", lang="id-ID",
                      ).build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()

def render_permit_pdf(
    inp: PermitDocumentInput,
    verification_url: str,
    *,
    document_code: str,
    applicant_data: dict,
    company: dict | None,
    location: dict,
    details: dict,
    details_labels: dict[str, str],
    submitted_at: dt.datetime | None = None,
) -> bytes:
    """The permit (Cetak Izin) as an A4 PDF, unsigned: letterhead, title and number, the basis
    (Dasar), the holder (NIK masked), company, location, details, request kind, validity, the
    signer block (Plh. when acting), a QR to `verification_url`, the resi, and `document_code`
    in the footer."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm, mm
    from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

    definition = inp.definition
    office = definition.office
    e = escape

    base = ParagraphStyle("base", fontName="Helvetica", fontSize=10, leading=13, alignment=TA_LEFT)
    body = ParagraphStyle("body", parent=base, alignment=TA_JUSTIFY, spaceAfter=3)
    kop_agency = ParagraphStyle("kop_agency", parent=base, fontName="Helvetica-Bold", fontSize=13, leading=16, alignment=TA_CENTER)
    kop_office = ParagraphStyle("kop_office", parent=base, fontName="Helvetica-Bold", fontSize=11, leading=14, alignment=TA_CENTER)
    kop_addr = ParagraphStyle("kop_addr", parent=base, fontSize=9, leading=11.5, alignment=TA_CENTER)
    title = ParagraphStyle("title", parent=base, fontName="Helvetica-Bold", fontSize=13, leading=17, alignment=TA_CENTER)
    number = ParagraphStyle("number", parent=base, alignment=TA_CENTER)
    heading = ParagraphStyle("heading", parent=base, fontName="Helvetica-Bold", spaceBefore=2, spaceAfter=2)
    cell = ParagraphStyle("cell", parent=base, leading=12.5)
    clause = ParagraphStyle("clause", parent=body, leftIndent=0.6 * cm, bulletIndent=0, spaceAfter=1)

    page_width, _ = A4
    margin_x = 2.3 * cm
    frame_width = page_width - 2 * margin_x

    def rows(items: list[tuple[str, str]]) -> Table:
        return label_value_rows(items, cell, frame_width=frame_width, indent=0.6 * cm, label_width=4.4 * cm)

    name, nik, address = _applicant_fields(applicant_data)
    name = name or inp.applicant.full_name
    issued = format_date_id(_local_date(inp.issued_at, office.timezone))
    story: list = []
    kop_lines: list[tuple[str, object]] = []
    if definition.agency_name and definition.agency_name.strip().lower() != office.name.strip().lower():
        kop_lines.append((definition.agency_name.upper(), kop_agency))
        kop_lines.append((office.name.upper(), kop_office))
    else:
        kop_lines.append((office.name.upper(), kop_agency))
    kop_lines.append((office.address, kop_addr))
    letterhead(story, kop_lines)

    submitted = ""
    if submitted_at is not None:
        submitted = f" tanggal {format_date_id(_local_date(submitted_at, office.timezone))}"
    story += [
        Paragraph(f"<u>{e(permit_title(definition.permit_type_name))}</u>", title),
        Paragraph(f"Nomor: {e(inp.permit_number)}", number),
        Spacer(1, 5 * mm),
        Paragraph("Dasar:", heading),
        Paragraph(
            f"Permohonan {e(definition.request_kind_label)} {e(definition.permit_type_name)} atas nama {e(name)} "
            f"dengan nomor resi {e(inp.resi)}{e(submitted)};",
            clause, bulletText="1.",
        ),
        Paragraph(f"Hasil verifikasi {e(office.short_name or office.name)} bahwa permohonan telah memenuhi persyaratan;",
                  clause, bulletText="2."),
        Paragraph(
            f"Ketentuan peraturan perundang-undangan mengenai {e(definition.permit_type_name)}.",
            clause, bulletText="3.",
        ),
        Spacer(1, 3 * mm),
        Paragraph("Memberikan izin kepada:", heading),
        rows([("Nama", _or_dash(name)), ("NIK", mask_nik(nik)), ("Alamat", _or_dash(address))] + _company_rows(company)),
        Spacer(1, 2 * mm),
        Paragraph(f"untuk {e(definition.permit_type_name)} pada lokasi:", body),
        rows(_location_rows(location)),
    ]
    detail_rows = _details_rows(details, details_labels)
    story += [Spacer(1, 2 * mm), Paragraph("dengan keterangan sebagai berikut:", body),
              rows(detail_rows + [("Jenis permohonan", definition.request_kind_label)])]
    # The conditions stay with the signature: a page holding only a signature would invite doubt.
    closing = [
        Spacer(1, 2 * mm),
        Paragraph("Ketentuan:", heading),
        Paragraph(f"{e(validity_text(inp.valid_until))}.", clause, bulletText="1."),
        Paragraph(
            "Pemegang izin wajib mematuhi ketentuan peraturan perundang-undangan yang berlaku dan "
            "menunjukkan izin ini apabila diminta oleh petugas yang berwenang.",
            clause, bulletText="2.",
        ),
        Paragraph(
            "Apabila di kemudian hari terdapat kekeliruan dalam izin ini, akan diadakan perbaikan "
            "sebagaimana mestinya.",
            clause, bulletText="3.",
        ),
        Spacer(1, 4 * mm),
    ]

    qr_col = 6.0 * cm
    qr_block = _qr_block(
        verification_url, "Pindai untuk memverifikasi keaslian dokumen", width=qr_col, size=2.6 * cm,
        extra=f"Nomor resi: <b>{e(inp.resi)}</b>",
    )
    signer = inp.signer
    esign = ParagraphStyle("esign", parent=base, fontName="Helvetica-Oblique", fontSize=8.5, leading=11,
                           textColor=colors.HexColor("#444444"))
    signer_lines = [
        Paragraph(f"Ditetapkan di {e(office.city)}", base),
        Paragraph(f"pada tanggal {e(issued)}", base),
        Spacer(1, 2 * mm),
        Paragraph(f"{e(_permit_signer_title(inp))},", base),
        Spacer(1, 3 * mm),
        Paragraph("Ditandatangani secara elektronik menggunakan sertifikat elektronik", esign),
        Spacer(1, 3 * mm),
        Paragraph(f"<b><u>{e(signer.full_name)}</u></b>", base),
    ]
    if signer.nip:
        signer_lines.append(Paragraph(f"NIP. {e(signer.nip)}", base))
    signer_width = 8.0 * cm
    signature_row = Table([[qr_block, "", signer_lines]], colWidths=[qr_col, frame_width - qr_col - signer_width, signer_width])
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
    story.append(KeepTogether(closing + [signature_row]))

    footer = _footer_painter(
        document_code,
        "Dokumen ini ditandatangani secara elektronik menggunakan sertifikat elektronik dan tidak memerlukan "
        "tanda tangan basah atau cap.",
        margin_x=margin_x,
    )
    return build_a4(story, footer, margin_x=margin_x, title=f"{definition.permit_type_name} {inp.resi}", author=office.name,
                     subject=f"{definition.permit_type_name} Nomor {inp.permit_number}")


def render_receipt_pdf(
    *,
    office: OfficeSnapshot,
    application: PermitApplication,
    permit_type_name: str,
    agency_name: str,
    request_kind_label: str,
    requirements: list[tuple[str, str]],
    tracking_url: str,
    verification_working_days: int | None = None,
) -> bytes:
    """Cetak Resi: the A4 proof of submission (unsigned), laid out to print cleanly in black and
    white: the resi in large type, applicant, permit, request kind, submission time in the
    office's zone (WIB/WITA/WIT), the documents handed in (requirement, file name), a QR to
    `tracking_url`, and what happens next."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm, mm
    from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

    e = escape
    base = ParagraphStyle("base", fontName="Helvetica", fontSize=10.5, leading=14, alignment=TA_LEFT)
    kop_name = ParagraphStyle("kop_name", parent=base, fontName="Helvetica-Bold", fontSize=14, leading=18, alignment=TA_CENTER)
    kop_addr = ParagraphStyle("kop_addr", parent=base, fontSize=9, leading=11.5, alignment=TA_CENTER)
    title = ParagraphStyle("title", parent=base, fontName="Helvetica-Bold", fontSize=13, leading=17, alignment=TA_CENTER)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    resi_style = ParagraphStyle("resi", parent=base, fontName="Courier-Bold", fontSize=34, leading=40, alignment=TA_CENTER)
    heading = ParagraphStyle("heading", parent=base, fontName="Helvetica-Bold", spaceBefore=6, spaceAfter=3)
    cell = ParagraphStyle("cell", parent=base, fontSize=10, leading=13)
    cell_bold = ParagraphStyle("cell_bold", parent=cell, fontName="Helvetica-Bold")
    step = ParagraphStyle("step", parent=base, leftIndent=0.6 * cm, bulletIndent=0, spaceAfter=2)

    page_width, _ = A4
    margin_x = 2.2 * cm
    frame_width = page_width - 2 * margin_x

    applicant_data = dict(application.applicant_data or {})
    name, nik, _address = _applicant_fields(applicant_data)
    try:  # the joined applicant, when the row was loaded with it
        user = application.applicant
    except Exception:
        user = None
    if user is not None:
        name = name or user.full_name
        profile = getattr(user, "profile", None)
        nik = nik or (profile.nik if profile is not None else "")
    submitted_at = application.created_at or dt.datetime.now(dt.timezone.utc)
    local, zone = local_moment(submitted_at, office.timezone)
    submitted = f"{format_date_id(local.date())} pukul {local:%H.%M} {zone}".strip()

    story: list = []
    letterhead(story, [(office.name.upper(), kop_name), (office.address, kop_addr)])
    story += [
        Paragraph("TANDA TERIMA PERMOHONAN IZIN", title),
        Paragraph("(Resi Pendaftaran)", center),
        Spacer(1, 5 * mm),
    ]
    resi_box = Table(
        [[Paragraph("Nomor Resi", center)], [Paragraph(e(application.resi), resi_style)]],
        colWidths=[9 * cm],
        hAlign="CENTER",
    )
    resi_box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.6, colors.black),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("TOPPADDING", (0, 0), (-1, 0), 6),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 10),
            ]
        )
    )
    story += [resi_box, Spacer(1, 6 * mm)]

    info = [("Nama pemohon", _or_dash(name)), ("NIK", mask_nik(nik))]
    company = application.company
    if _has_company(company):
        info.append(("Perusahaan", _first(company, "name", "nama", blanks=("", "-", "0")) or "-"))
    info += [
        ("Jenis izin", permit_type_name),
        ("Dinas/Badan", agency_name),
        ("Jenis permohonan", request_kind_label),
        ("Tanggal pengajuan", submitted),
    ]
    if application.location:
        info.append(("Lokasi izin", location_summary(application.location)))
    story.append(label_value_rows(info, cell, frame_width=frame_width, indent=0, label_width=4.2 * cm))

    story.append(Paragraph("Dokumen yang diserahkan", heading))
    if requirements:
        data = [[Paragraph("No.", cell_bold), Paragraph("Persyaratan", cell_bold), Paragraph("Berkas", cell_bold)]]
        data += [[Paragraph(f"{i}.", cell), Paragraph(e(req), cell), Paragraph(e(file_name or "-"), cell)]
                 for i, (req, file_name) in enumerate(requirements, start=1)]
        docs = Table(data, colWidths=[1.1 * cm, (frame_width - 1.1 * cm) * 0.55, (frame_width - 1.1 * cm) * 0.45], repeatRows=1)
        docs.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("LINEBELOW", (0, 0), (-1, 0), 1.2, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        story.append(docs)
    else:
        story.append(Paragraph("Tidak ada dokumen yang dilampirkan.", base))

    days = f" dalam {verification_working_days} hari kerja" if verification_working_days else ""
    next_steps = [
        Paragraph("Langkah berikutnya", heading),
        Paragraph(f"Petugas memverifikasi permohonan dan dokumen Anda{e(days)}.", step, bulletText="1."),
        Paragraph(
            "Bila ada yang perlu diperbaiki, status permohonan menjadi <b>Revisi</b> disertai catatan petugas; "
            "perbaiki dan kirim ulang sebelum batas waktu agar permohonan tidak ditolak.",
            step, bulletText="2.",
        ),
        Paragraph(
            "Setelah disetujui, izin ditandatangani secara elektronik oleh pejabat berwenang dan dapat diunduh "
            "melalui tombol <b>Cetak Izin</b>. Setiap perubahan status juga diberitahukan lewat Inbox dan email.",
            step, bulletText="3.",
        ),
    ]
    qr_col = 5.2 * cm
    qr_block = _qr_block(tracking_url, "Pindai untuk memantau permohonan", width=qr_col, size=3.0 * cm)
    keep = Paragraph(
        f"Simpan resi ini untuk memantau permohonan di <b>{e(tracking_url)}</b> "
        f"(Monitoring Izin, cukup dengan nomor resi <b>{e(application.resi)}</b>, tanpa login).",
        base,
    )
    tracking_row = Table([[[keep] + next_steps, qr_block]], colWidths=[frame_width - qr_col, qr_col])
    tracking_row.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, 0), 10),
                ("RIGHTPADDING", (1, 0), (1, 0), 0),
            ]
        )
    )
    story += [Spacer(1, 6 * mm), KeepTogether([tracking_row])]

    footer = _footer_painter(None, "Resi ini adalah bukti pendaftaran permohonan, bukan izin.", margin_x=margin_x)
    return build_a4(story, footer, margin_x=margin_x, title=f"Resi Permohonan {application.resi}", author=office.name,
                     subject=f"Tanda terima permohonan {permit_type_name}")


# --- signing and verification ----------------------------------------------------------------


class _SignerMaterial(NamedTuple):
    """What signing needs of a certificate and its chain, encoded once: DER only, so no parsed ASN.1
    object (asn1crypto parses lazily, not thread-safely) is shared between concurrent signatures."""

    cert_der: bytes
    chain_der: tuple[bytes, ...]
    signing_certificate_v2: bytes  # DER of the ESS signing-certificate-v2 attribute value naming the certificate
    bytes_reserved: int | None  # hex room the CMS needs in the PDF, once measured


# Per signing certificate (and chain): only public material, never a key, so caching it cannot make a
# key outlive its one-time TTE authorization. Bounded: one entry per official who signs.
_MATERIAL: OrderedDict[bytes, _SignerMaterial] = OrderedDict()
_MATERIAL_MAX = 256
_MATERIAL_LOCK = threading.Lock()


def _material_key(identity: SigningIdentity) -> bytes:
    digest = hashlib.sha256()
    for cert in (identity.cert, *identity.chain):
        digest.update(cert.fingerprint(hashes.SHA256()))
    return digest.digest()


def _material(identity: SigningIdentity) -> tuple[bytes, _SignerMaterial]:
    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
    from pyhanko.sign.general import as_signing_certificate_v2

    key = _material_key(identity)
    with _MATERIAL_LOCK:
        material = _MATERIAL.get(key)
        if material is not None:
            _MATERIAL.move_to_end(key)
            return key, material
    der = serialization.Encoding.DER
    return key, _SignerMaterial(
        cert_der=identity.cert.public_bytes(der),
        chain_der=tuple(c.public_bytes(der) for c in identity.chain),
        signing_certificate_v2=as_signing_certificate_v2(translate_pyca_cryptography_cert_to_asn1(identity.cert), "sha256").dump(),
        bytes_reserved=None,
    )


def _remember(key: bytes, material: _SignerMaterial) -> None:
    with _MATERIAL_LOCK:
        _MATERIAL[key] = material
        _MATERIAL.move_to_end(key)
        while len(_MATERIAL) > _MATERIAL_MAX:
            _MATERIAL.popitem(last=False)


@functools.cache
def _loaded_key_signer_class():  # noqa: ANN202
    """A pyHanko `SimpleSigner` that signs with an already loaded cryptography key.

    `SimpleSigner.sign_raw` turns its ASN.1 key back into a cryptography key on every call (twice per
    document: once for the size estimate, once for real), and OpenSSL's RSA key check makes each of
    those 50-150 ms — most of what signing cost. The key was checked when it was loaded (the identity
    file, or the passphrase unlock in activities.signing), so it is used as it is.

    The signing-certificate-v2 attribute (the PAdES binding of the signature to the certificate) is
    the same for every document of a certificate. Built from scratch, asn1crypto re-encodes its nested
    structure hundreds of times while the CMS is assembled (~60% of the rest of signing); parsed from
    its DER, encoded once per certificate, it is carried through as it is. The value is identical."""
    from asn1crypto import tsp
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
    from pyhanko.sign.attributes import SigningCertificateV2Provider
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params

    class EncodedSigningCertificateV2(SigningCertificateV2Provider):
        def __init__(self, signing_cert, encoded: bytes) -> None:  # noqa: ANN001
            super().__init__(signing_cert=signing_cert)
            self.encoded = encoded

        async def build_attr_value(self, dry_run: bool = False):  # noqa: ANN202
            return tsp.SigningCertificateV2.load(self.encoded)

    class EncodedAttributes:
        """pyHanko's own signed-attribute spec, with its signing-certificate-v2 provider swapped."""

        def __init__(self, spec, signing_cert, encoded: bytes) -> None:  # noqa: ANN001
            self.spec, self.signing_cert, self.encoded = spec, signing_cert, encoded

        def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):  # noqa: ANN202
            for provider in self.spec.signed_attr_providers(data_digest=data_digest, digest_algorithm=digest_algorithm):
                if type(provider) is SigningCertificateV2Provider and provider.signing_cert is self.signing_cert:
                    provider = EncodedSigningCertificateV2(provider.signing_cert, self.encoded)
                yield provider

    class LoadedKeySigner(SimpleSigner):
        def __init__(self, private_key, material: _SignerMaterial) -> None:  # noqa: ANN001
            super().__init__(
                signing_cert=asn1_x509.Certificate.load(material.cert_der),
                signing_key=translate_pyca_cryptography_key_to_asn1(private_key),
                cert_registry=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(d) for d in material.chain_der]),
            )
            self.private_key = private_key
            self.signing_certificate_v2 = material.signing_certificate_v2

        def _signed_attr_provider_spec(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            spec = super()._signed_attr_provider_spec(*args, **kwargs)
            return EncodedAttributes(spec, self.signing_cert, self.signing_certificate_v2)

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                algorithm = mechanism.signature_algo
            except ValueError:
                algorithm = mechanism["algorithm"].native
            key = self.private_key
            if algorithm == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
                return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            if algorithm == "rsassa_pss" and isinstance(key, RSAPrivateKey):
                padding, hash_algorithm = process_pss_params(mechanism["parameters"])
                return key.sign(data, padding, hash_algorithm)
            if algorithm == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
                return key.sign(data, ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
            return super().sign_raw(data, digest_algorithm)  # other key types: pyHanko's own path

    return LoadedKeySigner


async def _reserved_size(signer, md_algorithm: str) -> int:  # noqa: ANN001
    """The hex room for this signer's CMS, as pyHanko's `estimate_signature_container_size` computes
    it: a dry-run CMS over an empty digest, doubled for hex, plus 50%. Without a timestamp or
    revocation info the size depends only on the certificates and the key, so it is computed once per
    certificate instead of once per document (the dry run builds the whole CMS a second time)."""
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

    empty_digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm)).finalize()
    dummy = await signer.async_sign(
        empty_digest, md_algorithm, use_pades=True, dry_run=True,
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=dt.datetime.now(dt.timezone.utc)),
    )
    length = len(dummy.dump()) * 2
    return length + 2 * (length // 4)


async def sign_pdf(pdf_bytes: bytes, identity: SigningIdentity, *, reason: str, location: str, signer_name: str) -> bytes:
    """A PAdES (ETSI.CAdES.detached) signature over the whole PDF, in an invisible field: the one way
    every document of this installation is signed."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    md_algorithm = "sha256"
    cache_key, material = _material(identity)
    signer = _loaded_key_signer_class()(identity.private_key, material)
    if material.bytes_reserved is None:
        material = material._replace(bytes_reserved=await _reserved_size(signer, md_algorithm))
        _remember(cache_key, material)
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm=md_algorithm,
        reason=reason,
        location=location,
        name=signer_name,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    out = await signers.PdfSigner(meta, signer=signer).async_sign_pdf(
        writer, output=io.BytesIO(), bytes_reserved=material.bytes_reserved)
    return out.getvalue()


async def sign_pdf_off_loop(pdf_bytes: bytes, identity: SigningIdentity, *, reason: str, location: str, signer_name: str) -> bytes:
    """`sign_pdf` on its own event loop in a worker thread. pyHanko's signing is 10-20 ms of pure-Python
    CPU per document: on the worker's event loop it would stall every other workflow and activity."""
    return await asyncio.to_thread(
        lambda: asyncio.run(sign_pdf(pdf_bytes, identity, reason=reason, location=location, signer_name=signer_name))
    )


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


SIGNING_AUTHORIZATION_EXPIRED = "Otorisasi TTE sudah kedaluwarsa; penandatangan perlu memasukkan passphrase lagi."


def details_labels(permit_type_code: str) -> dict[str, str]:
    """Labels of a permit type's detail fields from the service catalog, in the catalog's order;
    empty when the catalog (or the type) is not available, and the renderer then prints the codes."""
    try:
        from process_defs import catalog as catalog_module
    except ImportError:
        return {}
    try:
        finder = getattr(catalog_module, "permit_type", None)
        if finder is None:
            finder = catalog_module.load_catalog().permit_type
        permit_type = finder(permit_type_code)
    except Exception:
        return {}
    fields = getattr(permit_type, "details_fields", None)
    if fields is None and isinstance(permit_type, dict):
        fields = permit_type.get("details_fields")
    labels: dict[str, str] = {}
    for item in fields or []:
        code = item.get("code") if isinstance(item, dict) else getattr(item, "code", None)
        label = item.get("label") if isinstance(item, dict) else getattr(item, "label", None)
        unit = item.get("unit") if isinstance(item, dict) else getattr(item, "unit", None)
        if code:
            labels[str(code)] = f"{label or code} ({unit})" if unit else str(label or code)
    return labels


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

    async def issue(self, idempotency_key: str, make, *, in_register=None) -> DocumentResult:  # noqa: ANN001
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
                (await session.get(Document, existing.id)).sha256 = digest
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
        unsigned = await asyncio.to_thread(render_leave_letter_pdf, inp, verification_url, document_code=doc_id)
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
        from activities.signing import SigningAuthorizationError, load_authorized_key

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
        unsigned = await asyncio.to_thread(
            lambda: render_permit_pdf(inp, self._verification_url(doc_id), document_code=doc_id, **content)
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
        from activities.signing import consume

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

        async def use_up_authorization(session) -> None:  # noqa: ANN001
            await consume(session, inp.signing_token)

        result = await self.issue(inp.idempotency_key, make, in_register=use_up_authorization)
        if activity.in_activity():
            activity.logger.info("permit %s signed as document %s", inp.permit_number, result.document_id)
        return result
