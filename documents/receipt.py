"""The receipt of a submitted permit application (tanda terima) as a PDF."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from contracts import (
    OfficeSnapshot,
)
from store.models import PermitApplication

if TYPE_CHECKING:

    pass
from documents.layout import (
    _first,
    _footer_painter,
    _or_dash,
    _qr_block,
    build_a4,
    format_date_id,
    label_value_rows,
    letterhead,
    local_moment,
    mask_nik,
    office_letterhead,
)
from documents.permit import _applicant_fields, _has_company, location_summary


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
    logo: bytes | None = None,
) -> bytes:
    """Cetak Resi: the A4 proof of submission (unsigned), under the letterhead of the office that received it (with
    `logo` when it has one), laid out to print cleanly in black and
    white: the resi in large type, applicant, permit, request kind, submission time in the
    office's zone (WIB/WITA/WIT), the documents handed in (requirement, file name), a QR to
    `tracking_url`, and what happens next."""
    from reportlab.lib import colors  # noqa: PLC0415 - reportlab is heavy: loaded when a PDF is drawn
    from reportlab.lib.enums import TA_CENTER, TA_LEFT  # noqa: PLC0415 - reportlab is heavy: loaded when a PDF is drawn
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415 - reportlab is heavy: loaded when a PDF is drawn
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - reportlab is heavy: loaded when a PDF is drawn
    from reportlab.lib.units import cm, mm  # noqa: PLC0415 - reportlab is heavy: loaded when a PDF is drawn
    from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle  # noqa: PLC0415 - reportlab is heavy: loaded when a PDF is drawn

    e = escape
    base = ParagraphStyle("base", fontName="Helvetica", fontSize=10.5, leading=14, alignment=TA_LEFT)
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
    except Exception:  # noqa: BLE001 - a relationship not loaded raises (lazy load, detached row): the receipt does without it
        user = None
    if user is not None:
        name = name or user.full_name
        profile = getattr(user, "profile", None)
        nik = nik or (profile.nik if profile is not None else "")
    submitted_at = application.created_at or dt.datetime.now(dt.UTC)
    local, zone = local_moment(submitted_at, office.timezone)
    submitted = f"{format_date_id(local.date())} pukul {local:%H.%M} {zone}".strip()

    story: list = []
    letterhead(story, office_letterhead(office, logo=logo), frame_width=frame_width)
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
