"""The documents of the walk-in counter and the letters: one activity renders, signs and registers them.

Each kind pairs a fields model (what the workflow must send, checked before anything is drawn so a
bad input fails at once and never retries) with a layout: a small function returning the flowables
of one copy. Copies (rangkap) are the same page printed once per label on one PDF. Every page carries
the QR code of the public verification page in its footer, so any single sheet torn off a set can be
checked on its own.

Signed PAdES with the installation's signing identity, issued through `DocumentIssuer.issue`
(idempotent by key, re-rendered under the same code when the file went missing).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar
from xml.sax.saxutils import escape

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.documents import DocumentIssuer
from contracts import RENDER_COUNTER_DOCUMENT, CounterDocumentInput, DocumentResult
from documents.layout import (
    PagePainter,
    build_a4,
    format_date_id,
    label_value_rows,
    letterhead,
    local_moment,
    mask_nik,
    office_letterhead,
    qr_drawing,
)
from signing.pades import sign_pdf_off_loop

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import KeepTogether, Paragraph, Table
    from reportlab.platypus.doctemplate import BaseDocTemplate

# --- what each kind needs ----------------------------------------------------------------------------


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# An optional text sent as "" means "not given", not an error.
OptionalText = Annotated[Text | None, BeforeValidator(_blank_to_none)]
OptionalMoment = Annotated[dt.datetime | None, BeforeValidator(_blank_to_none)]


class _Fields(BaseModel):
    # Workflows may send more than a layout prints (e.g. ids for their own use).
    model_config = ConfigDict(extra="ignore")


class ChecklistItem(_Fields):
    name: Text
    mandatory: bool = True
    present: bool


class NamedItem(_Fields):
    name: Text


class RouteItem(_Fields):
    unit_name: Text


class _VisitFields(_Fields):
    """Who came for what: every walk-in document names the visit."""

    visit_code: Text
    visitor_name: Text
    visitor_nik: OptionalText = None
    visitor_phone: OptionalText = None
    service_name: Text


class WalkInChecklistFields(_VisitFields):
    checked_at: dt.datetime
    officer_name: Text
    items: list[ChecklistItem]
    note: OptionalText = None


class WalkInReceiptFields(_VisitFields):
    received_at: dt.datetime
    estimated_done_at: dt.datetime
    one_day: bool
    target_label: Text
    items: list[NamedItem]
    officer_name: Text
    tracking_note: OptionalText = None


class VerificationReportFields(_VisitFields):
    unit_name: Text
    officer_name: Text
    verified_at: dt.datetime
    location: Text
    findings: Text
    conclusion: Literal["sesuai", "tidak_sesuai"]


class MismatchReportFields(_VisitFields):
    officer_name: Text
    supervisor_name: OptionalText = None
    found_at: dt.datetime
    reason: Text
    source: Text


class WalkInResultFields(_VisitFields):
    result_kind: Text
    body: Text
    approved_by_name: Text
    approved_by_position: Text
    city: Text
    numbered_by_name: Text


class _IncomingLetterFields(_Fields):
    """Which letter: every incoming-letter document names it."""

    letter_code: Text
    sender: Text
    sender_number: Text
    letter_date: dt.date
    subject: Text
    received_at: dt.datetime


class LetterReceiptFields(_IncomingLetterFields):
    received_via_label: Text
    officer_name: Text


class DispositionFields(_IncomingLetterFields):
    classification: Text
    category_label: Text
    to_label: Text
    instruction_options: list[Text]
    # Empty on the sheet printed at registration: the head ticks and writes by hand.
    instructions: list[Text]
    routes: list[RouteItem]
    note: OptionalText = None
    disposed_by_name: OptionalText = None
    disposed_at: OptionalMoment = None



class ComplaintLetterFields(_Fields):
    """A verified complaint as a letter (nota dinas) to the head of office; the complainant's contact masked."""

    tracking_number: Text
    category_label: Text
    title: Text
    content: Text
    complainant_name: Text
    complainant_nik: OptionalText = None
    complainant_contact: OptionalText = None
    incident_date: Annotated[dt.date | None, BeforeValidator(_blank_to_none)] = None
    application_resi: OptionalText = None
    received_at: dt.datetime
    verified_by_name: Text
    verified_by_position: Text
    to_title: Text
    photo_count: int = 0

# --- formatting -------------------------------------------------------------------------------------


@functools.cache
def _styles() -> SimpleNamespace:
    from reportlab.lib import colors  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - reportlab only when rendering

    base = ParagraphStyle("cd_base", fontName="Helvetica", fontSize=10.5, leading=14, alignment=TA_LEFT)
    return SimpleNamespace(
        base=base,
        body=ParagraphStyle("cd_body", parent=base, alignment=TA_JUSTIFY, spaceAfter=4),
        bold=ParagraphStyle("cd_bold", parent=base, fontName="Helvetica-Bold"),
        center=ParagraphStyle("cd_center", parent=base, alignment=TA_CENTER),
        title=ParagraphStyle("cd_title", parent=base, fontName="Helvetica-Bold", fontSize=13, leading=17, alignment=TA_CENTER),
        heading=ParagraphStyle("cd_heading", parent=base, fontName="Helvetica-Bold", spaceBefore=6, spaceAfter=3),
        tick=ParagraphStyle("cd_tick", parent=base, fontName="Helvetica-Bold", fontSize=10, leading=12, alignment=TA_CENTER),
        # Dotted lines to write on by hand need room for handwriting.
        write_in=ParagraphStyle("cd_write_in", parent=base, fontSize=10, leading=22),
        item=ParagraphStyle("cd_item", parent=base, leftIndent=14, bulletIndent=3),
        cell=ParagraphStyle("cd_cell", parent=base, fontSize=10, leading=13),
        cell_bold=ParagraphStyle("cd_cell_bold", parent=base, fontName="Helvetica-Bold", fontSize=10, leading=13),
        label=ParagraphStyle("cd_label", parent=base, fontName="Helvetica-Bold", fontSize=9.5, leading=12, alignment=TA_RIGHT),
        prominent=ParagraphStyle("cd_prominent", parent=base, fontName="Helvetica-Bold", fontSize=14, leading=19, alignment=TA_CENTER),
        esign=ParagraphStyle("cd_esign", parent=base, fontName="Helvetica-Oblique", fontSize=8.5, leading=11,
                             textColor=colors.HexColor("#444444")),
        stamp=ParagraphStyle("cd_stamp", parent=base, fontName="Helvetica-Bold", fontSize=8.5, leading=11, alignment=TA_CENTER),
    )


def _markup(text: str) -> str:
    """Plain text as Paragraph markup: escaped, line breaks kept."""
    return "<br/>".join(escape(line) for line in text.strip().splitlines())


@dataclass
class Sheet:
    """What a layout draws with: the input, the page geometry and the office's way of writing dates."""

    inp: CounterDocumentInput
    frame_width: float

    @property
    def s(self) -> SimpleNamespace:
        return _styles()

    def moment(self, value: dt.datetime) -> str:
        """"23 November 2026, 10.15 WIB" in the office's time zone."""
        local, zone = local_moment(value, self.inp.office.timezone)
        return f"{format_date_id(local.date())}, {local:%H.%M} {zone}".strip()

    def day_and_moment(self, value: dt.datetime) -> str:
        """"Senin, 23 November 2026, pukul 10.15 WIB": how a berita acara opens."""
        from babel.dates import format_date  # noqa: PLC0415 - babel only when rendering

        local, zone = local_moment(value, self.inp.office.timezone)
        weekday = format_date(local.date(), "EEEE", locale="id_ID")
        return f"{weekday}, tanggal {format_date_id(local.date())}, pukul {local:%H.%M} {zone}".strip()

    def place_and_date(self, city: str | None = None) -> str:
        local, _ = local_moment(self.inp.issued_at, self.inp.office.timezone)
        return f"{city or self.inp.office.city}, {format_date_id(local.date())}"

    def para(self, markup: str, style: str = "body", *, bullet: str | None = None) -> Paragraph:
        from reportlab.platypus import Paragraph  # noqa: PLC0415 - reportlab only when rendering

        return Paragraph(markup, getattr(self.s, style), bulletText=bullet)

    def text(self, text: str, style: str = "body") -> list:
        """Free text (findings, reasons, a letter body) as paragraphs, split at blank lines."""
        blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
        return [self.para(_markup(b), style) for b in blocks]

    def rows(self, rows: list[tuple[str, str | None]], *, indent: float = 0) -> Table:
        from reportlab.lib.units import cm  # noqa: PLC0415 - reportlab only when rendering

        return label_value_rows([(label, value or "-") for label, value in rows], self.s.cell, frame_width=self.frame_width,
                                indent=indent, label_width=4.4 * cm)

    def grid(self, data: list[list], widths: list[float], *, header: bool = True, extra: list | None = None) -> Table:
        from reportlab.lib import colors  # noqa: PLC0415 - reportlab only when rendering
        from reportlab.platypus import Table, TableStyle  # noqa: PLC0415 - reportlab only when rendering

        table = Table(data, colWidths=widths, repeatRows=1 if header else 0)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        if header:
            style.append(("LINEBELOW", (0, 0), (-1, 0), 1.2, colors.black))
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
        table.setStyle(TableStyle(style + (extra or [])))
        return table

    def box(self, flowables: list, *, thickness: float = 1.2) -> Table:
        from reportlab.lib import colors  # noqa: PLC0415 - reportlab only when rendering
        from reportlab.platypus import Table, TableStyle  # noqa: PLC0415 - reportlab only when rendering

        table = Table([[flowables]], colWidths=[self.frame_width])
        table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), thickness, colors.black),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                                   ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        return table

    def side_by_side(self, blocks: list[list]) -> KeepTogether:
        """Signature blocks side by side, a single one on the right as in a letter."""
        from reportlab.platypus import KeepTogether, Table, TableStyle  # noqa: PLC0415 - reportlab only when rendering

        width = self.frame_width / max(len(blocks), 2)
        cells = ([""] if len(blocks) == 1 else []) + blocks
        row = Table([cells], colWidths=[self.frame_width - width * len(blocks)] * (len(cells) - len(blocks)) + [width] * len(blocks))
        row.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 6)]))
        return KeepTogether([row])

    def signatures(self, signers: Sequence[tuple[list[str], str | None]], *, space: float | None = None) -> KeepTogether:
        """One block per (heading lines, name): room to sign, then the name, or a dotted line to write it on.
        Shorter headings are padded at the top so the names line up."""
        from reportlab.lib.units import cm  # noqa: PLC0415 - reportlab only when rendering
        from reportlab.platypus import Spacer  # noqa: PLC0415 - reportlab only when rendering

        depth = max(len(heading) for heading, _ in signers)
        blocks = []
        for heading, name in signers:
            lines = [self.para(escape(h) if h else "&nbsp;", "base") for h in [""] * (depth - len(heading)) + heading]
            lines.append(Spacer(1, 1.8 * cm if space is None else space))
            lines.append(self.para(f"<b><u>{escape(name)}</u></b>" if name else "(" + "." * 50 + ")", "base"))
            blocks.append(lines)
        return self.side_by_side(blocks)


def _blank_lines(count: int) -> str:
    return "<br/>".join(["." * 70] * count)


def _tick(sheet: Sheet, checked: bool) -> Table:
    """A printed check box: ticked with an X, or empty to tick by hand."""
    from reportlab.lib import colors  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.units import cm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Table, TableStyle  # noqa: PLC0415 - reportlab only when rendering

    box = Table([[sheet.para("X" if checked else "", "tick")]], colWidths=[0.45 * cm], rowHeights=[0.45 * cm])
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.black), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                             ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                             ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return box


# --- layouts: one copy of each kind -----------------------------------------------------------------


def _visitor_rows(f: WalkInChecklistFields | WalkInReceiptFields) -> list[tuple[str, str | None]]:
    return [("Kode kunjungan", f.visit_code), ("Nama pemohon", f.visitor_name), ("NIK", mask_nik(f.visitor_nik)),
            ("Nomor HP", f.visitor_phone), ("Layanan", f.service_name)]


def _checklist_layout(f: WalkInChecklistFields, sheet: Sheet) -> list:
    from reportlab.lib.units import cm, mm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Spacer  # noqa: PLC0415 - reportlab only when rendering

    story = [sheet.rows(_visitor_rows(f) + [("Diperiksa pada", sheet.moment(f.checked_at)), ("Petugas", f.officer_name)]),
             sheet.para("Hasil pemeriksaan kelengkapan berkas", "heading")]
    data = [[sheet.para("No.", "cell_bold"), sheet.para("Persyaratan", "cell_bold"), sheet.para("Sifat", "cell_bold"),
             sheet.para("Hasil", "cell_bold")]]
    for i, item in enumerate(f.items, start=1):
        result = "Ada" if item.present else "<b>Belum ada</b>"
        data.append([sheet.para(f"{i}.", "cell"), sheet.para(escape(item.name), "cell"),
                     sheet.para("Wajib" if item.mandatory else "Tidak wajib", "cell"), sheet.para(result, "cell")])
    rest = sheet.frame_width - 1.1 * cm - 2.6 * cm - 2.6 * cm
    story.append(sheet.grid(data, [1.1 * cm, rest, 2.6 * cm, 2.6 * cm]))

    missing = [item for item in f.items if not item.present]
    lines = [sheet.para("Persyaratan yang belum dipenuhi", "heading")]
    if missing:
        lines += [sheet.para(escape(item.name) + ("" if item.mandatory else " <i>(tidak wajib)</i>"), "item", bullet="•")
                  for item in missing]
    else:
        lines.append(sheet.para("Tidak ada.", "base"))
    story += [Spacer(1, 4 * mm), sheet.box(lines)]
    if f.note:
        story += [Spacer(1, 3 * mm), sheet.para(f"<b>Catatan petugas:</b> {_markup(f.note)}")]
    story += [
        Spacer(1, 3 * mm),
        sheet.para("<b>Berkas dikembalikan. Silakan lengkapi persyaratan di atas lalu datang kembali.</b>"),
        sheet.para("Saat datang kembali, bawa lembar ini bersama persyaratan yang sudah lengkap dan ambil nomor antrean "
                   "layanan yang sama."),
        Spacer(1, 5 * mm),
        sheet.signatures([(["Pemohon,"], f.visitor_name), ([sheet.place_and_date(), "Petugas Front Office,"], f.officer_name)]),
    ]
    return story


def _receipt_layout(f: WalkInReceiptFields, sheet: Sheet) -> list:
    from reportlab.lib.units import cm, mm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Spacer  # noqa: PLC0415 - reportlab only when rendering

    service_kind = f"One day service (target {f.target_label})" if f.one_day else f"Non one day service ({f.target_label})"
    story = [
        sheet.rows(_visitor_rows(f) + [("Jenis layanan", service_kind), ("Diterima pada", sheet.moment(f.received_at)),
                                       ("Petugas penerima", f.officer_name)]),
        Spacer(1, 4 * mm),
        sheet.box([sheet.para(f"Perkiraan selesai: {escape(sheet.moment(f.estimated_done_at))}", "prominent")], thickness=1.6),
        sheet.para("Berkas yang diterima", "heading"),
    ]
    data = [[sheet.para("No.", "cell_bold"), sheet.para("Berkas", "cell_bold"), sheet.para("Keterangan", "cell_bold")]]
    data += [[sheet.para(f"{i}.", "cell"), sheet.para(escape(item.name), "cell"), sheet.para("Diterima", "cell")]
             for i, item in enumerate(f.items, start=1)]
    story.append(sheet.grid(data, [1.1 * cm, sheet.frame_width - 1.1 * cm - 3 * cm, 3 * cm]))
    next_step = f.tracking_note or ("Simpan tanda terima ini dan tunjukkan kepada petugas Front Office saat mengambil "
                                    "hasil layanan. Bila nomor HP dicantumkan, perkembangan layanan dikirim lewat WhatsApp.")
    story += [
        Spacer(1, 3 * mm),
        sheet.para(f"<b>Langkah berikutnya:</b> berkas diteliti oleh petugas Back Office. {_markup(next_step)}"),
        Spacer(1, 4 * mm),
        sheet.signatures([(["Paraf pemohon,"], f.visitor_name), ([sheet.place_and_date(), "Petugas Front Office,"], f.officer_name)],
                         space=1.4 * cm),
    ]
    return story


def _verification_report_layout(f: VerificationReportFields, sheet: Sheet) -> list:
    from reportlab.lib.units import cm, mm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Spacer  # noqa: PLC0415 - reportlab only when rendering

    conclusion = (
        "<b>SESUAI</b> — dokumen dan keadaan lapangan sesuai dengan persyaratan; permohonan dapat diproses lebih lanjut."
        if f.conclusion == "sesuai" else
        "<b>TIDAK SESUAI</b> — dokumen atau keadaan lapangan tidak sesuai dengan persyaratan; berkas dikembalikan "
        "kepada pemohon melalui petugas Front Office."
    )
    return [
        sheet.para(f"Pada hari ini {escape(sheet.day_and_moment(f.verified_at))}, kami yang bertanda tangan di bawah ini, "
                   f"petugas {escape(f.unit_name)}, telah melakukan verifikasi dokumen dan lapangan atas permohonan:"),
        sheet.rows([("Kode kunjungan", f.visit_code), ("Layanan", f.service_name), ("Pemohon", f.visitor_name),
                    ("Lokasi verifikasi", f.location)], indent=0.6 * cm),
        sheet.para("Hasil verifikasi", "heading"),
        *sheet.text(f.findings),
        sheet.para("Kesimpulan", "heading"),
        sheet.box([sheet.para(conclusion, "base")]),
        Spacer(1, 3 * mm),
        sheet.para("Demikian berita acara ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya."),
        Spacer(1, 5 * mm),
        sheet.signatures([([sheet.place_and_date(), f"Petugas Verifikasi {f.unit_name},"], f.officer_name)]),
    ]


def _mismatch_report_layout(f: MismatchReportFields, sheet: Sheet) -> list:
    from reportlab.lib.units import cm, mm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Spacer  # noqa: PLC0415 - reportlab only when rendering

    signers = [([sheet.place_and_date(), "Petugas Back Office,"], f.officer_name)]
    if f.supervisor_name:
        signers.insert(0, (["Mengetahui,", "Supervisor,"], f.supervisor_name))
    return [
        sheet.para(f"Pada hari ini {escape(sheet.day_and_moment(f.found_at))}, berdasarkan {escape(f.source[:1].lower() + f.source[1:])}, "
                   "dokumen permohonan berikut dinyatakan <b>tidak sesuai</b>:"),
        sheet.rows([("Kode kunjungan", f.visit_code), ("Layanan", f.service_name), ("Pemohon", f.visitor_name),
                    ("Tahap pemeriksaan", f.source), ("Diperiksa oleh", f.officer_name)], indent=0.6 * cm),
        sheet.para("Alasan ketidaksesuaian", "heading"),
        sheet.box(sheet.text(f.reason, "base")),
        Spacer(1, 3 * mm),
        sheet.para("Dokumen dikembalikan kepada pemohon melalui petugas Front Office beserta berita acara ini. "
                   "Pemohon dapat mengajukan permohonan kembali setelah dokumen diperbaiki."),
        sheet.para("Demikian berita acara ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya."),
        Spacer(1, 5 * mm),
        sheet.signatures(signers),
    ]


def _result_layout(f: WalkInResultFields, sheet: Sheet) -> list:
    from reportlab.lib import colors  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.units import cm, mm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Spacer, Table, TableStyle  # noqa: PLC0415 - reportlab only when rendering

    office = sheet.inp.office
    story: list = []
    # A body that already opens the letter keeps its own words; otherwise the usual opening and the holder.
    if not f.body.lower().startswith("yang bertanda tangan"):
        story += [
            sheet.para("Yang bertanda tangan di bawah ini:"),
            sheet.rows([("Nama", f.approved_by_name), ("Jabatan", f.approved_by_position), ("Instansi", office.name)],
                       indent=0.6 * cm),
            Spacer(1, 2 * mm),
            sheet.para(f"dengan ini menerbitkan {escape(f.result_kind)} kepada:"),
            sheet.rows([("Nama", f.visitor_name), ("NIK", mask_nik(f.visitor_nik)), ("Layanan", f.service_name),
                        ("Kode kunjungan", f.visit_code)], indent=0.6 * cm),
            Spacer(1, 2 * mm),
        ]
    story += sheet.text(f.body)
    story += [
        sheet.para(f"Demikian {escape(f.result_kind.lower())} ini dibuat untuk dapat dipergunakan sebagaimana mestinya."),
        Spacer(1, 6 * mm),
    ]
    stamp = Table([[sheet.para(f"TANDA TANGAN ELEKTRONIK<br/>{escape(office.short_name or office.name).upper()}", "stamp")],
                   [sheet.para(f"Nomor dan stempel: {escape(f.numbered_by_name)}", "esign")]], colWidths=[5.6 * cm])
    stamp.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, colors.HexColor("#1f3f7a")),
                               ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#1f3f7a")),
                               ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    signer = [sheet.para(escape(sheet.place_and_date(f.city)), "base"), sheet.para(f"{escape(f.approved_by_position)},", "base"),
              Spacer(1, 2 * mm), stamp, Spacer(1, 1 * mm),
              sheet.para("Ditandatangani secara elektronik menggunakan sertifikat elektronik", "esign"),
              Spacer(1, 2 * mm), sheet.para(f"<b><u>{escape(f.approved_by_name)}</u></b>", "base")]
    story.append(sheet.side_by_side([signer]))
    return story


def _letter_receipt_layout(f: LetterReceiptFields, sheet: Sheet) -> list:
    from reportlab.lib.units import mm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Spacer  # noqa: PLC0415 - reportlab only when rendering

    return [
        sheet.para("Telah diterima surat dengan keterangan sebagai berikut:"),
        sheet.rows([("Kode surat", f.letter_code), ("Pengirim", f.sender),
                    ("Nomor surat", f.sender_number), ("Tanggal surat", format_date_id(f.letter_date)), ("Perihal", f.subject),
                    ("Diterima pada", sheet.moment(f.received_at)), ("Diterima melalui", f.received_via_label)]),
        Spacer(1, 4 * mm),
        sheet.para("<b>Langkah berikutnya:</b> surat dipilah dan diteruskan sesuai alur tata persuratan. Sebutkan nomor "
                   "agenda di atas bila menanyakan tindak lanjutnya."),
        Spacer(1, 5 * mm),
        sheet.signatures([(["Yang menyerahkan,"], None), ([sheet.place_and_date(), "Petugas penerima,"], f.officer_name)]),
    ]


def _disposition_layout(f: DispositionFields, sheet: Sheet) -> list:
    from reportlab.lib.units import cm, mm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Spacer, Table, TableStyle  # noqa: PLC0415 - reportlab only when rendering

    half = sheet.frame_width / 2

    def cell(label: str, value: str | None) -> object:
        return sheet.para(f"<b>{escape(label)}:</b> {escape(value) if value else '.' * 30}", "cell")

    # Senders and subjects run long: they get the full width.
    head = [
        [cell("Surat dari", f.sender), ""],
        [cell("Nomor surat", f.sender_number), cell("Nomor agenda", sheet.inp.number)],
        [cell("Tanggal surat", format_date_id(f.letter_date)), cell("Diterima tanggal", sheet.moment(f.received_at))],
        [cell("Sifat / golongan", f.category_label), cell("Klasifikasi", f.classification)],
        [cell("Perihal", f.subject), ""],
        [cell("Kepada", f.to_label), cell("Kode surat", f.letter_code)],
    ]
    story = [sheet.grid(head, [half, half], header=False, extra=[("SPAN", (0, 0), (1, 0)), ("SPAN", (0, 4), (1, 4))]),
             Spacer(1, 3 * mm)]

    chosen = set(f.instructions)
    # An instruction the head wrote that is not on the standard list is still printed, ticked.
    options = list(f.instruction_options) + [i for i in f.instructions if i not in f.instruction_options]
    ticks = Table([[_tick(sheet, option in chosen), sheet.para(escape(option), "cell")] for option in options],
                  colWidths=[0.7 * cm, half - 0.7 * cm - 12])
    ticks.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    if f.routes:
        routes = [sheet.para(f"{i}. {escape(r.unit_name)}", "cell") for i, r in enumerate(f.routes, start=1)]
    else:
        routes = [sheet.para(f"{i}. {'.' * 45}", "write_in") for i in range(1, 6)]
    body = [[sheet.para("Diteruskan kepada:", "cell_bold"), sheet.para("Dengan hormat harap:", "cell_bold")], [routes, ticks]]
    story += [sheet.grid(body, [half, half], header=False), Spacer(1, 3 * mm)]

    note = _markup(f.note) if f.note else _blank_lines(3)
    by = escape(f.disposed_by_name) if f.disposed_by_name else "." * 40
    at = escape(sheet.moment(f.disposed_at)) if f.disposed_at else "." * 30
    story.append(sheet.grid([[sheet.para(f"<b>Catatan:</b><br/>{note}", "cell" if f.note else "write_in")],
                             [sheet.para(f"<b>Disposisi oleh:</b> {by} &nbsp; <b>Tanggal:</b> {at}", "cell")]],
                            [sheet.frame_width], header=False))
    if not (f.instructions or f.routes):
        story += [Spacer(1, 2 * mm),
                  sheet.para("Lembar ini diisi oleh pimpinan: centang petunjuk, tulis unit tujuan, lalu kembalikan ke petugas "
                             "persuratan.", "esign")]
    return story



def _complaint_letter_layout(f: ComplaintLetterFields, sheet: Sheet) -> list:
    from reportlab.lib.units import cm, mm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Spacer  # noqa: PLC0415 - reportlab only when rendering

    rows = [("Kepada", f"Yth. {f.to_title}"), ("Dari", f.verified_by_position), ("Nomor", sheet.inp.number),
            ("Perihal", f"Pengaduan {f.tracking_number}: {f.title}")]
    details = [("Nomor pengaduan", f.tracking_number), ("Kategori", f.category_label), ("Diterima pada", sheet.moment(f.received_at)),
               ("Pengadu", f.complainant_name), ("NIK", f.complainant_nik), ("Kontak", f.complainant_contact)]
    if f.incident_date:
        details.append(("Tanggal kejadian", format_date_id(f.incident_date)))
    if f.application_resi:
        details.append(("Permohonan terkait", f.application_resi))
    if f.photo_count:
        details.append(("Lampiran", f"{f.photo_count} foto (dapat dilihat pada halaman pengaduan)"))
    return [
        sheet.rows(rows),
        Spacer(1, 3 * mm),
        sheet.para("Dengan hormat, bersama ini kami sampaikan pengaduan masyarakat yang telah diverifikasi dan dinyatakan valid, "
                   "untuk mendapat disposisi tindak lanjut:"),
        sheet.rows(details, indent=0.6 * cm),
        sheet.para(escape(f.title), "heading"),
        *sheet.text(f.content),
        Spacer(1, 3 * mm),
        sheet.para("Mohon petunjuk dan disposisi kepada unit dan petugas yang akan menindaklanjuti. Tanggapan disampaikan kepada "
                   "pengadu setelah disetujui pimpinan."),
        Spacer(1, 5 * mm),
        sheet.signatures([([sheet.place_and_date(), f"{f.verified_by_position},"], f.verified_by_name)]),
    ]

# --- the table of kinds ------------------------------------------------------------------------------


F = TypeVar("F", bound="_Fields")


@dataclass(frozen=True)
class Kind(Generic[F]):
    heading: Callable[[F], str]
    fields: type[F]
    layout: Callable[[F, Sheet], list]
    # What the public verification page shows: no NIK, no phone, nothing internal.
    summary: Callable[[F], dict[str, str]]
    signed_by: Callable[[F], str | None]
    needs_number: bool = False
    number_label: str = "Nomor"


def _visit_summary(f: _VisitFields) -> dict[str, str]:
    return {"Kode kunjungan": f.visit_code, "Layanan": f.service_name, "Pemohon": f.visitor_name}


def _letter_summary(f: _IncomingLetterFields) -> dict[str, str]:
    return {"Kode surat": f.letter_code, "Pengirim": f.sender, "Nomor surat": f.sender_number}


KINDS: dict[str, Kind[Any]] = {
    "walkin_checklist": Kind(
        lambda f: "Daftar Periksa Kelengkapan Berkas", WalkInChecklistFields, _checklist_layout,
        lambda f: _visit_summary(f) | {"Hasil": "Berkas belum lengkap, dikembalikan"}, lambda f: f.officer_name),
    "walkin_receipt": Kind(
        lambda f: "Tanda Terima Berkas", WalkInReceiptFields, _receipt_layout,
        lambda f: _visit_summary(f) | {"Jumlah berkas": str(len(f.items))}, lambda f: f.officer_name, needs_number=True),
    "berita_acara_verifikasi": Kind(
        lambda f: "Berita Acara Hasil Verifikasi Dokumen dan Lapangan", VerificationReportFields, _verification_report_layout,
        lambda f: _visit_summary(f) | {"Unit kerja": f.unit_name,
                                       "Kesimpulan": "Sesuai" if f.conclusion == "sesuai" else "Tidak sesuai"},
        lambda f: f"{f.officer_name}, {f.unit_name}"),
    "berita_acara_ketidaksesuaian": Kind(
        lambda f: "Berita Acara Ketidaksesuaian Dokumen", MismatchReportFields, _mismatch_report_layout,
        lambda f: _visit_summary(f) | {"Tahap": f.source}, lambda f: f.officer_name),
    "walkin_result": Kind(
        lambda f: f.result_kind, WalkInResultFields, _result_layout,
        lambda f: _visit_summary(f) | {"Jenis dokumen": f.result_kind},
        lambda f: f"{f.approved_by_name}, {f.approved_by_position}", needs_number=True),
    "letter_receipt": Kind(
        lambda f: "Tanda Terima Surat Masuk", LetterReceiptFields, _letter_receipt_layout,
        _letter_summary, lambda f: f.officer_name, needs_number=True, number_label="Nomor agenda"),
    "disposition_sheet": Kind(
        lambda f: "Lembar Disposisi", DispositionFields, _disposition_layout,
        lambda f: _letter_summary(f) | {"Status": "Sudah didisposisi" if f.disposed_by_name else "Menunggu disposisi"},
        lambda f: f.disposed_by_name, needs_number=True, number_label="Nomor agenda"),
    "complaint_letter": Kind(
        lambda f: "Nota Dinas Pengaduan Masyarakat", ComplaintLetterFields, _complaint_letter_layout,
        lambda f: {"Nomor pengaduan": f.tracking_number, "Kategori": f.category_label, "Perihal": f.title},
        lambda f: f.verified_by_name, needs_number=True),
}


# --- checking the input ------------------------------------------------------------------------------


def _field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def check_input(inp: CounterDocumentInput) -> tuple[Kind[Any], _Fields]:
    """The kind and its parsed fields, or a non-retryable ApplicationError naming what is wrong:
    a retry would only fail the same way."""
    kind = KINDS.get(inp.kind)
    if kind is None:
        raise ApplicationError(f"Jenis dokumen loket tidak dikenal: {inp.kind!r}. Yang tersedia: {', '.join(KINDS)}.",
                               type="UnknownCounterDocumentKind", non_retryable=True)
    problems: list[str] = []
    missing: list[str] = []
    fields: _Fields | None = None
    try:
        fields = kind.fields.model_validate(inp.fields or {})
    except ValidationError as exc:
        for error in exc.errors():
            name = _field_path(error["loc"])
            if error["type"] == "missing" or (error["type"] == "string_too_short" and error.get("input") is not None):
                missing.append(name)
                problems.append(f"{name} wajib diisi")
            else:
                problems.append(f"{name} tidak valid ({error['msg']})")
    if kind.needs_number and not (inp.number and inp.number.strip()):
        missing.append("number")
        problems.append("number (nomor dokumen) wajib diisi")
    # (No fields only when they failed validation, which is a problem.)
    if problems or fields is None:
        raise ApplicationError(f"Isian dokumen {inp.kind} tidak lengkap atau tidak valid: {'; '.join(problems)}.",
                               {"kind": inp.kind, "missing": missing, "problems": problems},
                               type="CounterDocumentFieldInvalid", non_retryable=True)
    return kind, fields


# --- rendering ---------------------------------------------------------------------------------------


def _copy_label(sheet: Sheet, label: str) -> Table:
    """The copy's name in the top corner, boxed, so the three sheets of a set are not mixed up."""
    from reportlab.lib import colors  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.units import cm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import Table, TableStyle  # noqa: PLC0415 - reportlab only when rendering

    width = 5.4 * cm
    table = Table([[sheet.para(escape(label), "label")]], colWidths=[width], hAlign="RIGHT")
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.black), ("TOPPADDING", (0, 0), (-1, -1), 2),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 5)]))
    return table


def _footer(inp: CounterDocumentInput, code: str, verification_url: str, *, margin_x: float) -> PagePainter:
    """Every page: the QR of the verification page, the document code, how to check it, the page number."""
    from reportlab.graphics import renderPDF  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib import colors  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.units import cm  # noqa: PLC0415 - reportlab only when rendering

    page_width, _ = A4
    size, bottom = 2.0 * cm, 0.9 * cm
    office = inp.office.short_name or inp.office.name

    def paint(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        rule = bottom + size + 0.25 * cm
        canvas.setStrokeColor(colors.HexColor("#999999"))
        canvas.setLineWidth(0.4)
        canvas.line(margin_x, rule, page_width - margin_x, rule)
        renderPDF.draw(qr_drawing(verification_url, size), canvas, margin_x, bottom)
        x = margin_x + size + 0.35 * cm
        y = bottom + size - 0.35 * cm
        canvas.setFillColor(colors.HexColor("#222222"))
        canvas.setFont("Helvetica-Bold", 8)
        canvas.drawString(x, y, f"Kode dokumen: {code}")
        canvas.setFont("Helvetica", 7.5)
        for line in (f"Pindai kode QR atau buka {verification_url}",
                     "untuk memeriksa keaslian dokumen ini.",
                     f"Ditandatangani secara elektronik oleh sistem {office}."):
            y -= 10
            canvas.drawString(x, y, line)
        canvas.drawRightString(page_width - margin_x, bottom + size - 0.35 * cm, f"Halaman {doc.page}")
        canvas.restoreState()

    return paint


def render_counter_document_pdf(inp: CounterDocumentInput, verification_url: str, *, document_code: str, logo: bytes | None = None) -> bytes:
    """The document as an A4 PDF, unsigned: one page per copy label (or one print when there are none),
    each with the office's letterhead (and `logo`), the title, the kind's layout and the verification footer."""
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.units import cm, mm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import PageBreak, Spacer  # noqa: PLC0415 - reportlab only when rendering

    kind, fields = check_input(inp)
    margin_x = 2.2 * cm
    sheet = Sheet(inp=inp, frame_width=A4[0] - 2 * margin_x)
    heading = kind.heading(fields)

    story: list = []
    for i, label in enumerate(inp.copies or [None]):
        if i:
            story.append(PageBreak())
        if label:
            story += [_copy_label(sheet, label), Spacer(1, 2 * mm)]
        letterhead(story, office_letterhead(inp.office, logo=logo), frame_width=sheet.frame_width)
        story.append(sheet.para(f"<u>{escape(heading.upper())}</u>", "title"))
        if inp.number:
            story.append(sheet.para(f"{kind.number_label}: {escape(inp.number)}", "center"))
        story.append(Spacer(1, 5 * mm))
        # Fresh flowables per copy: reportlab lays a flowable out once.
        story += kind.layout(fields, sheet)

    footer = _footer(inp, document_code, verification_url, margin_x=margin_x)
    subject = f"{heading} Nomor {inp.number}" if inp.number else heading
    return build_a4(story, footer, margin_x=margin_x, title=inp.title or heading, author=inp.office.name, subject=subject,
                    bottom_margin=3.6 * cm)


class CounterDocumentActivities(DocumentIssuer):
    @activity.defn(name=RENDER_COUNTER_DOCUMENT)
    async def render_counter_document(self, inp: CounterDocumentInput) -> DocumentResult:
        """Render one counter or letter document, sign it with the installation's identity (PAdES) and
        register it. Idempotent by `inp.idempotency_key`. An unknown kind or a missing or invalid field
        fails with a non-retryable ApplicationError naming it."""
        kind, fields = check_input(inp)
        heading = kind.heading(fields)
        signed_by = (kind.signed_by(fields) or inp.office.name)[:200]

        async def make(doc_id: str) -> tuple[bytes, dict]:
            logo = await self.logo(inp.office)
            unsigned = await asyncio.to_thread(
                render_counter_document_pdf, inp, self._verification_url(doc_id), document_code=doc_id, logo=logo)
            signed = await sign_pdf_off_loop(
                unsigned, await self.identity(), reason=f"{heading} Nomor {inp.number}" if inp.number else heading,
                location=inp.office.city, signer_name=signed_by)
            summary = ({kind.number_label: inp.number} if inp.number else {}) | {"Dokumen": heading} | kind.summary(fields)
            return signed, dict(kind=inp.kind, workflow_id=inp.workflow_id, title=inp.title or heading,
                                number=inp.number, signed_by=signed_by, owner_id=inp.owner_id, summary=summary)

        result = await self.issue(inp.idempotency_key, make)
        if activity.in_activity():
            activity.logger.info("%s for %s issued as document %s", inp.kind, inp.workflow_id, result.document_id)
        return result
