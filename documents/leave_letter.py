"""The leave letter (Surat Izin Cuti) as a PDF."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from contracts import (
    LeaveLetterInput,
)

if TYPE_CHECKING:

    pass
from documents.layout import (
    _footer_painter,
    _local_date,
    _or_dash,
    format_date_id,
    label_value_rows,
    letterhead,
    office_letterhead,
    signature_block,
)


def _signer_title(inp: LeaveLetterInput) -> str:
    if inp.approver_acting_for is not None:
        return f"Plh. {inp.approver_acting_for.position or 'Atasan Langsung'}"
    return inp.approver.position or "Atasan Langsung"


def _signed_by(inp: LeaveLetterInput) -> str:
    return f"{inp.approver.full_name}, {_signer_title(inp)}"[:200]


def render_leave_letter_pdf(inp: LeaveLetterInput, verification_url: str, *, document_code: str | None = None,
                            logo: bytes | None = None) -> bytes:
    """The Surat Izin Cuti as an A4 PDF, unsigned, under its office's letterhead (with `logo` when it has one).
    `document_code` (default: the last segment of the verification URL) is printed in the footer."""
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.units import cm, mm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import (  # noqa: PLC0415 - reportlab only when rendering
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
    )

    code = document_code or verification_url.rstrip("/").rsplit("/", 1)[-1]
    office = inp.office
    employee = inp.employee
    e = escape  # every user-supplied string goes through Paragraph markup

    base = ParagraphStyle("base", fontName="Helvetica", fontSize=11, leading=15, alignment=TA_LEFT)
    body = ParagraphStyle("body", parent=base, alignment=TA_JUSTIFY, spaceAfter=6)
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

    story: list = []
    letterhead(story, office_letterhead(office, logo=logo), frame_width=frame_width)
    story += [
        Spacer(1, 2 * mm),
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

    signer = inp.approver
    signature_row = signature_block(
        base, frame_width=frame_width, verification_url=verification_url, qr_width=6.4 * cm, qr_size=2.8 * cm,
        place=[f"{office.city}, {issued}"], title=_signer_title(inp), esign="Ditandatangani secara elektronik", esign_size=9,
        esign_leading=12, gap=4 * mm, name=signer.full_name, nip=signer.nip, signer_width=7.4 * cm,
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
