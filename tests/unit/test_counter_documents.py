"""The documents of the walk-in counter and the letters: each kind rendered, signed, registered and readable
by the people who print it; the same key gives the same document; bad input is refused at once."""

import dataclasses
import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import func, select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.counter_documents import CounterDocumentActivities
from cli.seed import DEMO_APPLICANT
from contracts import CounterDocumentInput, DocumentResult, OfficeSnapshot
from gateway.security import hash_password
from process_defs.loader import load_office, office_defs_dir, office_snapshot
from signing.identity import load_or_create_signing_identity
from signing.pades import verify_document
from store.models import Document, LeaveRequest, Letter, User, UserRole, WalkInVisit
from tests.factories import login, user

# The Kemenag office as the demo ships it: its counter's documents carry its letterhead, never another office's.
OFFICE: OfficeSnapshot = office_snapshot(load_office(office_defs_dir("kemenag-lamongan")))
KOP = ("KEMENTERIAN AGAMA REPUBLIK INDONESIA KANTOR KEMENTERIAN AGAMA KABUPATEN LAMONGAN Jl. Veteran No. 2, Lamongan, Jawa Timur 62211 "
       "Telp. 0322-321234, Email: kablamongan@kemenag.go.id")
# 03.15 UTC is 10.15 WIB: every printed time must be the office's.
AT = "2026-11-23T03:15:00+00:00"
NIK = "3374010101900001"
INSTRUCTIONS = ["Untuk diketahui", "Untuk ditindaklanjuti", "Untuk dipelajari dan dilaporkan", "Untuk diproses sesuai ketentuan",
                "Hadiri / wakili", "Siapkan jawaban", "Arsipkan"]
LETTER = dict(letter_code="SM-2026-0042", sender="Dinas Pendidikan Kabupaten Lamongan", sender_number="421/123/413.101/2026",
              letter_date="2026-11-20", subject="Undangan rapat koordinasi", received_at=AT)

FIELDS = {
    "walkin_checklist": dict(
        visit_code="KJ-0001", visitor_name="Siti Aminah", visitor_nik=NIK, visitor_phone="081234567890",
        service_name="Rekomendasi Paspor Haji", checked_at=AT, officer_name="Rahmat Hidayat, S.Kom.",
        items=[{"name": "Fotokopi KTP", "mandatory": True, "present": True},
               {"name": "Surat Pengantar Desa", "mandatory": True, "present": False},
               {"name": "Pas foto 4x6", "mandatory": False, "present": False}],
        note="Surat pengantar harus asli."),
    "walkin_receipt": dict(
        visit_code="KJ-0002", visitor_name="Siti Aminah", visitor_nik=NIK, visitor_phone="",
        service_name="Legalisir Ijazah Madrasah", received_at=AT, estimated_done_at="2026-11-23T04:15:00+00:00", one_day=True,
        target_label="60 menit", items=[{"name": "Fotokopi ijazah"}, {"name": "Ijazah asli"}], officer_name="Rahmat Hidayat, S.Kom."),
    "berita_acara_verifikasi": dict(
        visit_code="KJ-0003", service_name="Rekomendasi Izin Operasional Madrasah", visitor_name="Yayasan Al Hikmah",
        unit_name="Seksi Pendidikan Madrasah", officer_name="Drs. Ahmad Fauzi", verified_at="2026-11-25T02:00:00+00:00",
        location="Desa Sumberejo, Kec. Lamongan", findings="Bangunan madrasah telah berdiri dengan 6 ruang kelas.",
        conclusion="sesuai"),
    "berita_acara_ketidaksesuaian": dict(
        visit_code="KJ-0004", service_name="Rekomendasi Paspor Haji", visitor_name="Budi Santoso", officer_name="Aulia Rahman, S.E.",
        supervisor_name="Siti Hajar, S.H.", found_at=AT, reason="Nama pada KTP berbeda dengan nama pada akta kelahiran.",
        source="Penelitian Back Office"),
    "walkin_result": dict(
        result_kind="Surat Rekomendasi", service_name="Rekomendasi Paspor Haji", visitor_name="Siti Aminah", visitor_nik=NIK,
        visit_code="KJ-0005", body="Yang bersangkutan adalah calon jemaah haji dan direkomendasikan untuk memperoleh paspor.",
        approved_by_name="H. Muhammad Ali, S.Ag.", approved_by_position="Kepala Kantor", city="Lamongan",
        numbered_by_name="Nadia Safitri"),
    "letter_receipt": LETTER | dict(received_via_label="Kurir / jasa ekspedisi", officer_name="Rahmat Hidayat, S.Kom."),
    "disposition_sheet": LETTER | dict(
        classification="HM.00", category_label="Biasa", to_label="Ketua / Kepala Kantor", instruction_options=INSTRUCTIONS,
        instructions=[], routes=[]),
}
NUMBERS = {"walkin_receipt": "TT-0001/2026", "walkin_result": "B-123/Kk.13.21/1/HM.00/11/2026",
           "letter_receipt": "0042/2026", "disposition_sheet": "0042/2026"}
COPIES = {"walkin_receipt": ["Lembar 1: Pemohon", "Lembar 2: Berkas", "Lembar 3: Back Office"],
          "disposition_sheet": ["Lembar 1: Arsip", "Lembar 2: Unit Pengolah", "Lembar 3: Pimpinan"]}
WORKFLOWS = {"letter_receipt": "surat-masuk-42", "disposition_sheet": "surat-masuk-42"}

# What a person holding the print checks for, kind by kind.
EXPECTED = {
    "walkin_checklist": ["DAFTAR PERIKSA KELENGKAPAN BERKAS", "KJ-0001", "Siti Aminah", "Rekomendasi Paspor Haji",
                         "23 November 2026, 10.15 WIB", "Fotokopi KTP Wajib Ada", "Surat Pengantar Desa Wajib Belum ada",
                         "Pas foto 4x6 Tidak wajib Belum ada", "Persyaratan yang belum dipenuhi",
                         "Berkas dikembalikan. Silakan lengkapi persyaratan di atas lalu datang kembali.",
                         "Surat pengantar harus asli.", "Rahmat Hidayat, S.Kom.", "081234567890"],
    "walkin_receipt": ["TANDA TERIMA BERKAS", "Nomor: TT-0001/2026", "KJ-0002", "Legalisir Ijazah Madrasah",
                       "Perkiraan selesai: 23 November 2026, 11.15 WIB", "Diterima pada : 23 November 2026, 10.15 WIB",
                       "One day service (target 60 menit)", "Fotokopi ijazah", "Ijazah asli", "Paraf pemohon"],
    "berita_acara_verifikasi": ["BERITA ACARA HASIL VERIFIKASI DOKUMEN DAN LAPANGAN",
                                "Pada hari ini Rabu, tanggal 25 November 2026, pukul 09.00 WIB", "Seksi Pendidikan Madrasah",
                                "Desa Sumberejo, Kec. Lamongan", "6 ruang kelas", "SESUAI", "Drs. Ahmad Fauzi"],
    "berita_acara_ketidaksesuaian": ["BERITA ACARA KETIDAKSESUAIAN DOKUMEN", "Senin, tanggal 23 November 2026, pukul 10.15 WIB",
                                     "penelitian Back Office", "tidak sesuai", "Nama pada KTP berbeda dengan nama pada akta kelahiran.",
                                     "Siti Hajar, S.H.", "Aulia Rahman, S.E.", "melalui petugas Front Office"],
    "walkin_result": ["SURAT REKOMENDASI", "Nomor: B-123/Kk.13.21/1/HM.00/11/2026", "Yang bertanda tangan di bawah ini",
                      "Siti Aminah", "direkomendasikan untuk memperoleh paspor", "Lamongan, 23 November 2026", "Kepala Kantor",
                      "H. Muhammad Ali, S.Ag.", "Ditandatangani secara elektronik", "Nadia Safitri"],
    "letter_receipt": ["TANDA TERIMA SURAT MASUK", "Nomor agenda: 0042/2026", "Dinas Pendidikan Kabupaten Lamongan",
                       "421/123/413.101/2026", "Tanggal surat : 20 November 2026", "Undangan rapat koordinasi",
                       "23 November 2026, 10.15 WIB", "Kurir / jasa ekspedisi", "Rahmat Hidayat, S.Kom."],
    "disposition_sheet": ["LEMBAR DISPOSISI", "Nomor agenda: 0042/2026", "Dinas Pendidikan Kabupaten Lamongan",
                          "Undangan rapat koordinasi", "Kepada: Ketua / Kepala Kantor", "Diteruskan kepada:",
                          "Dengan hormat harap:", *INSTRUCTIONS, "Catatan:"],
}


def counter_input(kind: str, *, key: str | None = None, **overrides) -> CounterDocumentInput:
    values = dict(idempotency_key=key or f"walkin-KJ:{kind}", workflow_id=WORKFLOWS.get(kind, "walkin-KJ-0001"), kind=kind,
                  title=f"{kind} untuk pengujian", office=OFFICE, issued_at=dt.datetime(2026, 11, 23, 3, 15, tzinfo=dt.UTC),
                  number=NUMBERS.get(kind), fields=dict(FIELDS[kind]), copies=list(COPIES.get(kind, [])))
    values.update(overrides)
    return CounterDocumentInput(**values)


@pytest.fixture
def activities(db) -> CounterDocumentActivities:
    return CounterDocumentActivities(db.settings, db.sessionmaker)


async def render(activities: CounterDocumentActivities, inp: CounterDocumentInput) -> DocumentResult:
    """Through the activity as the worker runs it."""
    return await ActivityEnvironment().run(activities.render_counter_document, inp)


def pages(pdf: Path, *, keep_lines: bool = False) -> list[str]:
    """The text of each page as pdftotext lays it out, whitespace collapsed unless `keep_lines`."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    found = text.split("\f")[:-1]
    return found if keep_lines else [" ".join(page.split()) for page in found]


async def rows(db) -> list[Document]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(Document).order_by(Document.created_at)))


@pytest.mark.parametrize("kind", list(FIELDS))
async def test_each_kind_is_signed_registered_and_reads_in_bahasa(db, activities, kind):
    owner = await user(db.sessionmaker, DEMO_APPLICANT["nik"])
    result = await render(activities, counter_input(kind, owner_id=owner.id))

    path = db.settings.documents_dir / f"{result.document_id}.pdf"
    data = path.read_bytes()
    check = await verify_document(data, load_or_create_signing_identity(db.settings))
    assert check["valid"] and check["intact"] and check["covers_whole_file"]

    [row] = await rows(db)
    assert (row.id, row.kind, row.number, row.owner_id) == (result.document_id, kind, NUMBERS.get(kind), owner.id)
    assert row.workflow_id == WORKFLOWS.get(kind, "walkin-KJ-0001") and row.title == f"{kind} untuk pengujian"
    assert row.sha256 == result.sha256 and row.signed_by
    assert result.verification_url.endswith(f"/verifikasi/{result.document_id}")
    # The public verification page must not show a NIK or a phone number.
    assert NIK not in str(row.summary) and "081234567890" not in str(row.summary)

    texts = pages(path)
    labels = COPIES.get(kind, [])
    assert len(texts) == max(len(labels), 1)
    for i, text in enumerate(texts):
        # Headed by the Kemenag office (the ministry, then the office, its address and contact), under the copy's label.
        assert text.startswith(f"{labels[i]} {KOP}" if labels else KOP), text[:300]
        assert "MAHKAMAH" not in text and "Lhokseumawe" not in text
        # Each sheet can be checked on its own: the code and the address under its QR code.
        assert f"Kode dokumen: {result.document_id}" in text and result.verification_url in text
        for expected in EXPECTED[kind]:
            assert expected in text, f"{expected!r} missing on page {i + 1} of {kind}"
        assert NIK not in text  # printed masked
        if labels:
            assert text.startswith(labels[i]) and not any(other in text for other in labels if other != labels[i])


async def test_the_office_logo_heads_every_copy(db, activities):
    from PIL import Image

    from store.storage import storage_for

    logo = io.BytesIO()
    Image.new("RGB", (100, 100), (0, 110, 60)).save(logo, "JPEG")
    await storage_for(db.settings).put("files/logo-kemenag-lamongan", logo.getvalue(), "image/jpeg")
    inp = counter_input("walkin_receipt", office=dataclasses.replace(OFFICE, logo_key="files/logo-kemenag-lamongan"))
    result = await render(activities, inp)
    reader = pypdf.PdfReader(db.settings.documents_dir / f"{result.document_id}.pdf")
    assert [len(page.images) for page in reader.pages] == [1, 1, 1]


async def test_the_disposition_sheet_is_printed_blank_then_filled(db, activities):
    blank = await render(activities, counter_input("disposition_sheet", key="surat-masuk-42:disposisi:blank"))
    filled_inp = counter_input("disposition_sheet", key="surat-masuk-42:disposisi:isi")
    filled_inp.fields.update(instructions=["Untuk ditindaklanjuti", "Segera laporkan ke pimpinan"],
                             routes=[{"unit_name": "Seksi Bimbingan Masyarakat Islam"}, {"unit_name": "Subbagian Umum"}],
                             note="Mohon dihadiri dan dilaporkan hasilnya.", disposed_by_name="Dr. H. Munir Hasan",
                             disposed_at="2026-11-23T05:00:00+00:00")
    filled = await render(activities, filled_inp)
    assert blank.document_id != filled.document_id and len(await rows(db)) == 2

    def ticked(page: str) -> list[str]:
        return [m.group(1).strip() for m in re.finditer(r"^\s*X\s{2,}(\S.*)$", page, re.MULTILINE)]

    blank_pages = pages(db.settings.documents_dir / f"{blank.document_id}.pdf", keep_lines=True)
    assert len(blank_pages) == 3 and all(ticked(page) == [] for page in blank_pages)
    assert all("1. ......" in page and "Disposisi oleh: ......" in page for page in blank_pages)

    filled_pages = pages(db.settings.documents_dir / f"{filled.document_id}.pdf", keep_lines=True)
    assert len(filled_pages) == 3
    for page in filled_pages:
        # A written-in instruction that is not on the standard list is printed too, not dropped.
        assert ticked(page) == ["Untuk ditindaklanjuti", "Segera laporkan ke pimpinan"]
        flat = " ".join(page.split())
        for expected in ("1. Seksi Bimbingan Masyarakat Islam", "2. Subbagian Umum", "Mohon dihadiri dan dilaporkan hasilnya.",
                         "Disposisi oleh: Dr. H. Munir Hasan", "23 November 2026, 12.00 WIB"):
            assert expected in flat


async def test_the_same_key_gives_the_same_document_and_a_lost_file_comes_back(db, activities):
    inp = counter_input("walkin_receipt")
    first = await render(activities, inp)
    again = await render(activities, counter_input("walkin_receipt"))
    assert again == first and len(await rows(db)) == 1

    path = db.settings.documents_dir / f"{first.document_id}.pdf"
    path.unlink()
    restored = await render(activities, inp)
    assert restored.document_id == first.document_id and path.exists() and len(await rows(db)) == 1
    check = await verify_document(path.read_bytes(), load_or_create_signing_identity(db.settings))
    assert check["valid"] and check["intact"]
    [row] = await rows(db)
    assert row.sha256 == restored.sha256


@pytest.mark.parametrize(
    ("kind", "change", "named"),
    [
        ("walkin_checklist", lambda f: f.pop("visit_code"), "visit_code"),
        ("walkin_checklist", lambda f: f["items"][1].pop("present"), "items[1].present"),
        ("walkin_receipt", lambda f: f.update(officer_name="   "), "officer_name"),
        ("berita_acara_verifikasi", lambda f: f.update(conclusion="mungkin"), "conclusion"),
        ("letter_receipt", lambda f: f.update(received_at="kemarin sore"), "received_at"),
        ("disposition_sheet", lambda f: f.pop("instruction_options"), "instruction_options"),
    ],
)
async def test_a_missing_or_invalid_field_is_refused_naming_it(db, activities, kind, change, named):
    inp = counter_input(kind)
    inp.fields = {k: [dict(i) for i in v] if isinstance(v, list) and v and isinstance(v[0], dict) else v for k, v in inp.fields.items()}
    change(inp.fields)
    with pytest.raises(ApplicationError) as refused:
        await render(activities, inp)
    assert refused.value.non_retryable and refused.value.type == "CounterDocumentFieldInvalid"
    assert named in str(refused.value)
    assert await rows(db) == []


async def test_a_numbered_kind_without_its_number_is_refused(db, activities):
    with pytest.raises(ApplicationError) as refused:
        await render(activities, counter_input("walkin_result", number=None))
    assert refused.value.non_retryable and "number" in str(refused.value)
    assert await rows(db) == []


async def test_an_unknown_kind_is_refused(db, activities):
    with pytest.raises(ApplicationError) as refused:
        inp = counter_input("walkin_receipt")
        inp.kind = "surat_sakti"
        await render(activities, inp)
    assert refused.value.non_retryable and refused.value.type == "UnknownCounterDocumentKind"
    assert "surat_sakti" in str(refused.value)
    assert await rows(db) == []


# --- who may download ------------------------------------------------------------------------------------


async def test_counter_staff_may_print_counter_documents_and_nobody_else(db, activities, client):
    applicant = await user(db.sessionmaker, DEMO_APPLICANT["nik"])
    visit = await render(activities, counter_input("walkin_receipt", owner_id=applicant.id))
    incoming = await render(activities, counter_input("disposition_sheet"))
    outgoing = await render(activities, counter_input("letter_receipt", key="surat-keluar-7:x", workflow_id="surat-keluar-7"))
    # Not a counter process (a leave of the Kemenag office): the counter's roles give no access to it.
    other = await render(activities, counter_input("letter_receipt", key="leave-987654:x", workflow_id="leave-987654"))
    async with db.sessionmaker() as session, session.begin():
        # The cases these documents belong to, in the Kemenag office: its visit, and its letters (a letter's documents
        # follow who may see the letter); sorted, as a letter is by the time it has a disposition sheet.
        clerk = await session.scalar(select(User).where(User.username == "fo1"))
        employee = await session.scalar(select(User).where(User.username == "pegawai3"))
        session.add(WalkInVisit(office_id=clerk.office_id, code="KJ-0001", workflow_id="walkin-KJ-0001", service_code="legalisir_ijazah",
                                service_name="Legalisir Ijazah Madrasah", one_day=True, visitor_name="Siti Aminah",
                                registered_by_id=clerk.id, status="in_process", stage="research"))
        for code, direction, workflow_id in (("SM1", "incoming", WORKFLOWS["disposition_sheet"]), ("SK7", "outgoing", "surat-keluar-7")):
            session.add(Letter(office_id=clerk.office_id, code=code, direction=direction, workflow_id=workflow_id,
                               status="diterima", stage="pilah", subject="Surat pengujian", letter_date=dt.date(2026, 11, 20),
                               classification="OT.00", created_by_id=clerk.id))
        session.add(LeaveRequest(id=987654, office_id=employee.office_id, employee_id=employee.id, leave_type="tahunan",
                                 start_date=dt.date(2026, 11, 23), end_date=dt.date(2026, 11, 23), working_days=1, reason="Keluarga",
                                 status="approved", workflow_id="leave-987654"))
        # An applicant account that somehow holds a counter role is still not staff.
        session.add(User(username="3374010101900077", full_name="Pemohon Bercampur", kind="applicant",
                         password_hash=hash_password("Demo12345"), roles=[UserRole(role="pemohon"), UserRole(role="front_office")]))

    async def status(username: str, result: DocumentResult) -> int:
        response = await client.get(f"/dokumen/{result.document_id}.pdf", headers=await login(client, username))
        if response.status_code == 200:
            assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF")
        else:
            assert not response.content.startswith(b"%PDF")
        return response.status_code

    for username in ("fo1", "bo1", "info1", "supervisor1", "unitkerja1", "penomoran2", "arsiparis1", "caraka1", "tu1", "kakan1"):
        assert await status(username, visit) == 200, username
    assert await status("caraka1", incoming) == 200 and await status("tu1", incoming) == 200
    assert await status("penomoran2", outgoing) == 200
    for username in ("pegawai3", "pegawai1", "atasan1", "verifikator1", "3374010101900077"):
        assert await status(username, visit) == 404, username
    # The same roles in another office give nothing: its head, its numbering officer, its administrator.
    for username in ("kepala1", "pimpinan1", "penomoran1", "admin_ms"):
        for document in (visit, incoming, outgoing, other):
            assert await status(username, document) == 404, (username, document.document_id)
    # The visitor with an account reads their own receipt; the office's admin reads everything of the office.
    assert await status(DEMO_APPLICANT["nik"], visit) == 200
    assert await status(DEMO_APPLICANT["nik"], incoming) == 404
    assert await status("admin_kemenag", other) == 200 and await status("admin_kemenag", visit) == 200
    assert await status("fo1", other) == 404 and await status("kakan1", other) == 404
    anonymous = await client.get(f"/dokumen/{visit.document_id}.pdf")
    assert anonymous.status_code == 303 and not anonymous.content.startswith(b"%PDF")  # sent to the sign-in page
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Document)) == 4
