"""The building blocks every SatuPintu document shares: A4 pages, the letterhead, label/value rows, dates and moments in
Bahasa Indonesia, the QR block with its caption, the footer.

reportlab (and babel) are imported where a document is drawn, not with the module: the date and text helpers here serve
the audit report and the activities without loading the PDF toolkit."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Table
    from reportlab.platypus.doctemplate import BaseDocTemplate

    from contracts import OfficeSnapshot

# What reportlab calls on each page (onFirstPage / onLaterPages): it draws the footer.
PagePainter = Callable[["Canvas", "BaseDocTemplate"], None]


def format_date_id(d: dt.date) -> str:
    from babel.dates import format_date  # noqa: PLC0415 - babel only when formatting

    return format_date(d, "long", locale="id_ID")


def _local_date(moment: dt.datetime, timezone: str) -> dt.date:
    if moment.tzinfo is None:
        return moment.date()
    try:
        return moment.astimezone(ZoneInfo(timezone)).date()
    except Exception:  # noqa: BLE001 - an unknown zone name must not stop the letter
        return moment.date()


def _or_dash(value: str | None) -> str:
    return value if value and value.strip() else "-"


def qr_drawing(value: str, size: float) -> Drawing:
    """A vector QR code for `value`, `size` points square (a reportlab Drawing)."""
    from reportlab.graphics.barcode.qr import QrCodeWidget  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.graphics.shapes import Drawing  # noqa: PLC0415 - reportlab only when rendering

    qr = QrCodeWidget(value, barLevel="M")
    x0, y0, x1, y1 = qr.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    return drawing


def _qr_block(value: str, caption: str, *, width: float, size: float, extra: str | None = None) -> Table:
    """A QR code for `value` with a caption and `value` itself printed under it, `width` wide."""
    from reportlab.lib.enums import TA_CENTER  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.pdfbase.pdfmetrics import stringWidth  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Paragraph, Table, TableStyle  # noqa: PLC0415 - reportlab only when rendering

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


def signature_block(base: ParagraphStyle, *, frame_width: float, verification_url: str, qr_width: float, qr_size: float,
                    place: list[str], title: str, esign: str, esign_size: float, esign_leading: float, gap: float, name: str,
                    nip: str | None, signer_width: float, after_place: float | None = None, qr_extra: str | None = None) -> Table:
    """The signature area of an electronically signed document, one table row: the QR that verifies it at the left (the
    usual place in a letter), and at the right where and when it was signed (`place`, one line each), the signer's
    `title`, the electronic-signature line `esign`, the name underlined and the NIP. Text is plain (escaped here) but
    `qr_extra`, markup under the QR. Each document keeps its own sizes: the leave letter's and the permit's differ."""
    from reportlab.lib import colors  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle  # noqa: PLC0415 - reportlab only when rendering

    qr_block = _qr_block(verification_url, "Pindai untuk memverifikasi keaslian dokumen", width=qr_width, size=qr_size, extra=qr_extra)
    esign_style = ParagraphStyle("esign", parent=base, fontName="Helvetica-Oblique", fontSize=esign_size, leading=esign_leading,
                                 textColor=colors.HexColor("#444444"))
    signer_lines = [Paragraph(escape(line), base) for line in place]
    if after_place is not None:
        signer_lines.append(Spacer(1, after_place))
    signer_lines += [
        Paragraph(f"{escape(title)},", base),
        Spacer(1, gap),
        Paragraph(escape(esign), esign_style),
        Spacer(1, gap),
        Paragraph(f"<b><u>{escape(name)}</u></b>", base),
    ]
    if nip:
        signer_lines.append(Paragraph(f"NIP. {escape(nip)}", base))
    row = Table([[qr_block, "", signer_lines]], colWidths=[qr_width, frame_width - qr_width - signer_width, signer_width])
    row.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (0, 0), "BOTTOM"),
                ("VALIGN", (2, 0), (2, 0), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return row


def _footer_painter(code: str | None, note: str, *, margin_x: float) -> PagePainter:
    """A page callback drawing a rule, "Kode dokumen", the page number and `note` at the foot of each page."""
    from reportlab.lib import colors  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.units import cm  # noqa: PLC0415 - reportlab only when rendering

    page_width, _ = A4

    def footer(canvas: Canvas, doc: BaseDocTemplate) -> None:
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


def label_value_rows(rows: list[tuple[str, str]], cell: ParagraphStyle, *, frame_width: float, indent: float | None = None,
                     label_width: float | None = None) -> Table:
    """"Label : value" rows as in a typed letter, indented under the sentence that introduces them.
    Labels and values are plain text (escaped here)."""
    from reportlab.lib.units import cm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Paragraph, Table, TableStyle  # noqa: PLC0415 - reportlab only when rendering

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
        from babel.numbers import format_decimal  # noqa: PLC0415 - babel only when formatting

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


def local_moment(moment: dt.datetime, timezone: str) -> tuple[dt.datetime, str]:
    """`moment` in the office's zone, with its Indonesian abbreviation (WIB/WITA/WIT)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        local = moment.astimezone(ZoneInfo(timezone))
    except Exception:  # noqa: BLE001 - an unknown zone name must not stop the document
        return moment, "UTC"
    return local, _TZ_ABBREVIATIONS.get(timezone, local.tzname() or "")


@dataclass(frozen=True)
class Letterhead:
    """What heads a document (kop surat): `lines` from the government level down to the issuing body's name (the last
    line, set largest), the address and contact under them, and the logo at the left when the office has one (the
    image's bytes: PNG or JPEG; anything else is left out rather than failing the document)."""

    lines: tuple[str, ...]
    address: str = ""
    contact: str = ""
    logo: bytes | None = None


def contact_line(phone: str | None, email: str | None) -> str:
    """"Telp. 024-3541111, Email: dpmptsp@semarangkota.go.id", or what of it the office has."""
    parts = [f"Telp. {phone.strip()}" if phone and phone.strip() else "", f"Email: {email.strip()}" if email and email.strip() else ""]
    return ", ".join(p for p in parts if p)


def office_letterhead(office: OfficeSnapshot, *, agency: str | None = None, lines: list[str] | None = None,
                      logo: bytes | None = None) -> Letterhead:
    """The letterhead of a document `office` issues: the issuing agency's lines when it has them, else the office's
    own lines and name (or `lines` given), then the office's address and contact."""
    return Letterhead(lines=tuple(lines if lines is not None else office.letterhead_lines(agency)), address=office.address,
                      contact=contact_line(office.phone, office.email), logo=logo)


# The letterhead's type sizes: the levels above the name, the name, the address; and the logo's square.
_KOP_LEVEL, _KOP_NAME, _KOP_ADDRESS = 11.5, 14.0, 9.0
_LOGO_MM = 22


def _fitted(text: str, style: ParagraphStyle, width: float, smallest: float) -> ParagraphStyle:
    """`style`, smaller when `text` would not fit on one line of `width` (a long office name stays one line, down to
    `smallest`, a size still easy to read; longer still, it wraps)."""
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.pdfbase.pdfmetrics import stringWidth  # noqa: PLC0415 - reportlab only when rendering

    size = style.fontSize
    while size > smallest and stringWidth(text, style.fontName, size) > width:
        size -= 0.5
    if size == style.fontSize:
        return style
    return ParagraphStyle(f"{style.name}_{size}", parent=style, fontSize=size, leading=size * style.leading / style.fontSize)


def _logo(data: bytes | None, box: float) -> object | None:
    """The logo as a flowable fitting a `box` square, keeping its proportions; None when there is none or it is not an
    image reportlab reads."""
    if not data:
        return None
    from reportlab.lib.utils import ImageReader  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Image  # noqa: PLC0415 - reportlab only when rendering

    try:
        width, height = ImageReader(io.BytesIO(data)).getSize()
    except Exception:  # noqa: BLE001 - an unreadable logo leaves the letterhead without one, never the document unmade
        return None
    if not width or not height:
        return None
    scale = box / max(width, height)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale)


def letterhead(story: list, head: Letterhead, *, frame_width: float) -> None:
    """Kop surat: the letterhead's lines in capitals, centred, the last (the issuing body) largest; the address and
    contact; the logo at the left when there is one; the double rule under them."""
    from reportlab.lib import colors  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.enums import TA_CENTER  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.units import mm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import HRFlowable, Paragraph, Table, TableStyle  # noqa: PLC0415 - reportlab only when rendering

    level = ParagraphStyle("kop_level", fontName="Helvetica-Bold", fontSize=_KOP_LEVEL, leading=_KOP_LEVEL * 1.25, alignment=TA_CENTER)
    name = ParagraphStyle("kop_name", parent=level, fontSize=_KOP_NAME, leading=_KOP_NAME * 1.25)
    address = ParagraphStyle("kop_address", fontName="Helvetica", fontSize=_KOP_ADDRESS, leading=_KOP_ADDRESS * 1.3, alignment=TA_CENTER)

    box = _LOGO_MM * mm
    logo = _logo(head.logo, box)
    # With a logo the text stays centred on the page: the column right of it is as wide as the logo's.
    text_width = frame_width - 2 * (box + 2 * mm) if logo is not None else frame_width
    lines = [" ".join(line.split()).upper() for line in head.lines if line and line.strip()]
    text: list = []
    for i, line in enumerate(lines):
        text.append(Paragraph(escape(line), _fitted(line, name if i == len(lines) - 1 else level, text_width, 9)))
    for line in (head.address, head.contact):
        if line and line.strip():
            text.append(Paragraph(escape(line.strip()), _fitted(line.strip(), address, text_width, 7.5)))
    if logo is None:
        story += text
    else:
        row = Table([[logo, text, ""]], colWidths=[box + 2 * mm, text_width, box + 2 * mm])
        row.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (0, 0), (0, 0), "LEFT"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                 ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
        story.append(row)
    story += [
        HRFlowable(width="100%", thickness=2.2, color=colors.black, spaceBefore=2.5 * mm, spaceAfter=0.8 * mm),
        HRFlowable(width="100%", thickness=0.6, color=colors.black, spaceBefore=0, spaceAfter=6 * mm),
    ]


def build_a4(story: list, footer: PagePainter, *, margin_x: float, title: str, author: str, subject: str,
             bottom_margin: float | None = None) -> bytes:
    """Lays out one A4 document of the office, with its footer on every page and its PDF metadata.
    `bottom_margin` leaves room for a taller footer (default 2.4 cm)."""
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.units import cm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import SimpleDocTemplate  # noqa: PLC0415 - reportlab only when rendering

    bottom_margin = 2.4 * cm if bottom_margin is None else bottom_margin
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=margin_x, rightMargin=margin_x, topMargin=1.6 * cm, bottomMargin=bottom_margin,
                      title=title, author=author, subject=subject, creator="SatuPintu", lang="id-ID",
                      ).build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
