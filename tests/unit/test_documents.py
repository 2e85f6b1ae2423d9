"""The leave letter: rendering, PAdES signature, registration and verification."""

import asyncio
import dataclasses
import datetime as dt
import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from activities.documents import DocumentActivities
from contracts import LeaveLetterInput, OfficeSnapshot, Person
from documents.leave_letter import render_leave_letter_pdf
from process_defs.loader import load_office, office_defs_dir, office_snapshot
from signing.identity import SigningIdentity, load_or_create_signing_identity
from signing.pades import sign_pdf, verify_document
from store.db import create_schema, make_engine, make_sessionmaker
from store.models import Document, User
from store.settings import PROJECT_ROOT, Settings

pypdf = pytest.importorskip("pypdf")


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def leave_input(key: str = "leave-1:letter", *, acting: bool = True) -> LeaveLetterInput:
    return LeaveLetterInput(
        idempotency_key=key,
        workflow_id="leave-1",
        request_id=1,
        letter_number="800.1.11.4/0042/DPMPTSP/2026",
        # 20:00 UTC on the 19th is already the 20th in Jakarta: the letter must show the office's date.
        issued_at=dt.datetime(2026, 11, 19, 20, 0, tzinfo=dt.UTC),
        employee=Person(
            id=7,
            username="siti",
            full_name="Siti Nurhaliza Kusumawardhani & Prawiranegara",
            nip="198703152010012003",
            position="Penata Kelola Perizinan Ahli Muda",
            unit_name=None,
        ),
        leave_type_label="Cuti Tahunan",
        start_date=dt.date(2026, 11, 23),
        end_date=dt.date(2026, 11, 27),
        working_days=5,
        reason="Mengantar orang tua berobat ke rumah sakit",
        approver=Person(id=2, username="budi", full_name="Budi Santoso", nip="197501012000031001", position="Sekretaris Dinas"),
        approver_acting_for=(
            Person(id=3, username="hartono", full_name="Hartono", position="Kepala Bidang Pelayanan Perizinan") if acting else None
        ),
        office=OfficeSnapshot(
            name="Dinas Penanaman Modal dan PTSP Kabupaten Contoh",
            short_name="DPMPTSP",
            city="Sleman",
            address="Jl. Contoh No. 1, Sleman 55511",
            timezone="Asia/Jakarta",
            head_title="Kepala Dinas",
        ),
        address_during_leave="Jl. Kaliurang Km 5, Sleman",
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    var = tmp_path / "var"
    return Settings(var_dir=var, database_url=f"sqlite+aiosqlite:///{tmp_path / 'test.db'}", public_base_url="http://test")


@pytest.fixture
async def sessionmaker(settings: Settings):
    engine = make_engine(settings.effective_database_url)
    await create_schema(engine)
    maker = make_sessionmaker(engine)
    async with maker() as session, session.begin():
        session.add(User(id=7, username="siti", full_name="Siti", password_hash="x"))
    yield maker
    await engine.dispose()


@pytest.fixture
def activities(settings: Settings, sessionmaker) -> DocumentActivities:
    return DocumentActivities(settings, sessionmaker)


async def document_rows(sessionmaker) -> list[Document]:
    async with sessionmaker() as session:
        return list((await session.execute(select(Document))).scalars())


async def test_activity_writes_a_signed_pdf_registered_in_the_database(activities, settings, sessionmaker):
    result = await activities.render_leave_letter(leave_input())

    assert result.url == f"http://test/dokumen/{result.document_id}.pdf"
    assert result.verification_url == f"http://test/verifikasi/{result.document_id}"
    assert 16 <= len(result.document_id) <= 40 and result.document_id.isalnum()

    data = (settings.documents_dir / f"{result.document_id}.pdf").read_bytes()
    assert hashlib.sha256(data).hexdigest() == result.sha256

    [row] = await document_rows(sessionmaker)
    assert row.id == result.document_id
    assert row.sha256 == result.sha256
    assert row.kind == "surat_izin_cuti"
    assert row.number == "800.1.11.4/0042/DPMPTSP/2026"
    assert row.title == "Surat Izin Cuti Siti Nurhaliza Kusumawardhani & Prawiranegara"
    assert row.owner_id == 7
    assert row.file_name == f"{result.document_id}.pdf"
    assert "Plh. Kepala Bidang Pelayanan Perizinan" in row.signed_by and "Budi Santoso" in row.signed_by
    assert row.summary["Nomor"] == "800.1.11.4/0042/DPMPTSP/2026"
    assert row.summary["Lama"] == "5 hari kerja"
    assert row.summary["Tanggal"] == "23 November 2026 s.d. 27 November 2026"
    assert set(row.summary) == {"Nomor", "Pegawai", "Jenis cuti", "Tanggal", "Lama", "Ditandatangani oleh"}

    status = await verify_document(data, load_or_create_signing_identity(settings))
    assert status["intact"] and status["valid"] and status["trusted"] and status["covers_whole_file"]
    assert status["signer"] == "SatuPintu Development Signing (BUKAN BSrE)"
    assert status["signer_name"] == "Budi Santoso"
    assert isinstance(status["signed_at"], dt.datetime)


async def test_runs_in_an_activity_context_under_its_registered_name(activities, settings):
    from temporalio import activity
    from temporalio.testing import ActivityEnvironment

    assert activity._Definition.must_from_callable(activities.render_leave_letter).name == "render_leave_letter"
    result = await ActivityEnvironment().run(activities.render_leave_letter, leave_input())
    assert (settings.documents_dir / f"{result.document_id}.pdf").exists()


async def test_letter_text_shows_number_names_acting_official_and_indonesian_dates(activities, settings):
    result = await activities.render_leave_letter(leave_input())
    text = pdf_text((settings.documents_dir / f"{result.document_id}.pdf").read_bytes())

    assert "SURAT IZIN CUTI" in text
    assert "Nomor: 800.1.11.4/0042/DPMPTSP/2026" in text
    assert "Siti Nurhaliza Kusumawardhani & Prawiranegara" in text  # escaped for the markup, printed as typed
    assert "Diberikan Cuti Tahunan kepada" in text
    assert "23 November 2026" in text and "27 November 2026" in text
    assert "Sleman, 20 November 2026" in text  # issued date in the office's time zone
    assert "Plh. Kepala Bidang Pelayanan Perizinan" in text
    assert "Budi Santoso" in text
    assert "Ditandatangani secara elektronik" in text
    assert "Unit Kerja : -" in text
    assert "Jl. Kaliurang Km 5, Sleman" in text
    assert "Pindai untuk memverifikasi keaslian dokumen" in text
    assert result.verification_url in text
    assert result.document_id in text


def test_letter_without_acting_official_uses_the_approvers_own_position():
    text = pdf_text(render_leave_letter_pdf(leave_input(acting=False), "http://test/verifikasi/abc"))
    assert "Plh." not in text
    assert "Sekretaris Dinas" in text and "Budi Santoso" in text


def shipped_office(code: str) -> OfficeSnapshot:
    """A demo office as its office.yaml ships it."""
    return office_snapshot(load_office(office_defs_dir(code)))


def test_a_leave_letter_is_headed_by_its_own_office_and_no_other():
    court = leave_input(acting=False)
    court.office = shipped_office("ms-lhokseumawe")
    text = pdf_text(render_leave_letter_pdf(court, "http://test/verifikasi/abc"))
    assert ("MAHKAMAH AGUNG REPUBLIK INDONESIA DIREKTORAT JENDERAL BADAN PERADILAN AGAMA MAHKAMAH SYAR'IYAH ACEH "
            "MAHKAMAH SYAR'IYAH LHOKSEUMAWE Jl. Iskandar Muda, Lhokseumawe, Aceh Telp. 0645-43210, Email: ptsp@ms-lhokseumawe.go.id "
            "SURAT IZIN CUTI") in text
    assert "Lhokseumawe, 20 November 2026" in text

    kemenag = leave_input(acting=False)
    kemenag.office = shipped_office("kemenag-lamongan")
    text = pdf_text(render_leave_letter_pdf(kemenag, "http://test/verifikasi/abc"))
    assert "KEMENTERIAN AGAMA REPUBLIK INDONESIA KANTOR KEMENTERIAN AGAMA KABUPATEN LAMONGAN Jl. Veteran No. 2, Lamongan" in text
    assert "Lamongan, 20 November 2026" in text
    assert "MAHKAMAH" not in text and "Lhokseumawe" not in text


def page_images(data: bytes) -> int:
    return sum(len(page.images) for page in pypdf.PdfReader(io.BytesIO(data)).pages)


async def test_the_office_logo_heads_its_letters_and_a_missing_one_is_left_out(activities, settings, tmp_path):
    from PIL import Image

    from store.storage import storage_for

    logo = io.BytesIO()
    Image.new("RGB", (120, 150), (20, 90, 160)).save(logo, "PNG")
    await storage_for(settings).put("files/logo-ms-lhokseumawe", logo.getvalue(), "image/png")
    office = shipped_office("ms-lhokseumawe")

    without = await activities.render_leave_letter(dataclasses.replace(leave_input("leave-1:a"), office=office))
    assert page_images((settings.documents_dir / f"{without.document_id}.pdf").read_bytes()) == 0  # the QR is drawn, not an image

    office.logo_key = "files/logo-ms-lhokseumawe"
    with_logo = await activities.render_leave_letter(dataclasses.replace(leave_input("leave-1:b"), office=office))
    data = (settings.documents_dir / f"{with_logo.document_id}.pdf").read_bytes()
    assert page_images(data) == 1
    assert "MAHKAMAH SYAR'IYAH LHOKSEUMAWE" in pdf_text(data)

    # A logo gone from the storage (or not an image) does not stop the letter: it is headed without one.
    for key, name in (("files/logo-gone", "c"), ("files/logo-ms-lhokseumawe", "d")):
        if name == "d":
            await storage_for(settings).put(key, b"<svg>not a raster image</svg>", "image/svg+xml")
        office.logo_key = key
        result = await activities.render_leave_letter(dataclasses.replace(leave_input(f"leave-1:{name}"), office=office))
        assert page_images((settings.documents_dir / f"{result.document_id}.pdf").read_bytes()) == 0


def test_long_text_wraps_inside_the_page():
    inp = leave_input()
    inp.employee.full_name = "Raden " + "Mas Panji " * 25 + "Wicaksono"
    inp.reason = "Keperluan keluarga yang sangat panjang " * 40
    data = render_leave_letter_pdf(inp, "http://test/verifikasi/abc")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 1
    assert "Wicaksono" in pdf_text(data)


def test_qr_code_is_given_the_verification_url(monkeypatch):
    from reportlab.graphics.barcode import qr

    seen: list[str] = []
    original = qr.QrCodeWidget

    class SpyWidget(original):
        def __init__(self, value, *args, **kwargs):
            seen.append(value)
            super().__init__(value, *args, **kwargs)

    monkeypatch.setattr(qr, "QrCodeWidget", SpyWidget)
    render_leave_letter_pdf(leave_input(), "http://test/verifikasi/kode123")
    assert seen == ["http://test/verifikasi/kode123"]


@pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")), reason="needs poppler-utils and zbar-tools")
def test_qr_code_decodes_to_the_verification_url(tmp_path):
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_leave_letter_pdf(leave_input(), "http://test/verifikasi/kode123"))
    subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    out = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True)
    assert out.stdout.strip() == "http://test/verifikasi/kode123"


async def test_same_idempotency_key_gives_one_document(activities, settings, sessionmaker):
    first = await activities.render_leave_letter(leave_input())
    second = await activities.render_leave_letter(leave_input())
    assert second == first
    assert len(await document_rows(sessionmaker)) == 1
    assert sorted(p.name for p in settings.documents_dir.iterdir()) == [f"{first.document_id}.pdf"]

    other = await activities.render_leave_letter(leave_input("leave-2:letter"))
    assert other.document_id != first.document_id
    assert len(await document_rows(sessionmaker)) == 2


async def test_concurrent_attempts_register_one_document(activities, settings, sessionmaker):
    results = await asyncio.gather(*(activities.render_leave_letter(leave_input()) for _ in range(3)))
    assert len({r.document_id for r in results}) == 1
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Document)) == 1
    # The losers removed their files: only the registered one remains.
    assert [p.name for p in settings.documents_dir.iterdir()] == [f"{results[0].document_id}.pdf"]


async def test_missing_file_is_reissued_under_the_same_code(activities, settings, sessionmaker):
    first = await activities.render_leave_letter(leave_input())
    path = settings.documents_dir / f"{first.document_id}.pdf"
    path.unlink()
    again = await activities.render_leave_letter(leave_input())
    assert again.document_id == first.document_id
    assert hashlib.sha256(path.read_bytes()).hexdigest() == again.sha256
    [row] = await document_rows(sessionmaker)
    assert row.sha256 == again.sha256


async def test_tampering_breaks_the_signature(activities, settings):
    identity = load_or_create_signing_identity(settings)
    result = await activities.render_leave_letter(leave_input())
    data = (settings.documents_dir / f"{result.document_id}.pdf").read_bytes()

    # One byte of the signed range that leaves the file parseable: the generator comment.
    at = data.index(b"ReportLab Generated PDF document")
    tampered = data[:at] + b"r" + data[at + 1 :]
    assert len(tampered) == len(data) and tampered != data
    status = await verify_document(tampered, identity)
    assert not status["intact"] and not status["valid"]

    # One byte of the letter's content: the letter number in the document's metadata.
    number = b"0042/DPMPTSP"
    at = data.index(number)
    tampered = data[:at] + b"9" + data[at + 1 :]
    status = await verify_document(tampered, identity)
    assert not status["intact"] and not status["valid"]


async def test_foreign_signer_and_junk_are_not_valid(settings, tmp_path):
    identity = load_or_create_signing_identity(settings)
    other = load_or_create_signing_identity(Settings(var_dir=tmp_path / "other-var", public_base_url="http://test"))
    signed = await sign_pdf(
        render_leave_letter_pdf(leave_input(), "http://test/verifikasi/x"), other, reason="Persetujuan cuti", location="Sleman", signer_name="X"
    )
    status = await verify_document(signed, identity)
    assert status["intact"] and not status["trusted"] and not status["valid"]

    unsigned = render_leave_letter_pdf(leave_input(), "http://test/verifikasi/x")
    assert (await verify_document(unsigned, identity))["valid"] is False
    assert (await verify_document(b"not a pdf", identity))["valid"] is False


def test_dev_signing_identity_is_created_once_and_reused(settings):
    first = load_or_create_signing_identity(settings)
    second = load_or_create_signing_identity(settings)
    assert isinstance(first, SigningIdentity)
    private_key, cert, chain = first
    assert cert.serial_number == second.cert.serial_number
    assert [c.serial_number for c in first.chain] == [c.serial_number for c in second.chain]
    assert "BUKAN BSrE" in cert.subject.rfc4514_string()
    assert cert.issuer == chain[0].subject and chain[0].subject == chain[0].issuer
    usage = cert.extensions.get_extension_for_class(__import__("cryptography").x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days >= 5 * 365
    assert oct(os.stat(settings.var_dir / "signing" / "dev-signing.key.pem").st_mode & 0o777) == "0o600"


def test_configured_key_and_certificate_are_used(settings, tmp_path):
    dev = load_or_create_signing_identity(settings)
    configured = Settings(
        var_dir=tmp_path / "prod-var",
        dev_mode=False,
        signing_key_path=settings.var_dir / "signing" / "dev-signing.key.pem",
        signing_cert_path=settings.var_dir / "signing" / "dev-signing.cert.pem",
    )
    loaded = load_or_create_signing_identity(configured)
    assert loaded.cert.serial_number == dev.cert.serial_number
    assert not (tmp_path / "prod-var" / "signing").exists()
    with pytest.raises(RuntimeError):
        load_or_create_signing_identity(Settings(var_dir=tmp_path / "x", dev_mode=False))


def test_two_processes_starting_at_once_share_one_identity(tmp_path):
    code = (
        "import sys; from pathlib import Path; from store.settings import Settings;"
        "from activities.documents import load_or_create_signing_identity as load;"
        "print(load(Settings(var_dir=Path(sys.argv[1]))).cert.serial_number)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "var")], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    serials = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(serials) == 1 and serials != {""}
    assert sorted(p.name for p in (tmp_path / "var").iterdir()) == ["signing"]  # no staging left behind


async def test_signing_neither_reloads_the_key_nor_estimates_the_size_per_document(settings, monkeypatch):
    # pyHanko's SimpleSigner reloads its key for every signature (OpenSSL checks RSA keys: 50-150 ms
    # here) and estimates the signature's room with a dry-run signature per document: together most of
    # what signing a permit cost (issue 7, figure 6). The loaded key and a size reserved once per
    # certificate are used instead.
    from pyhanko.sign.signers import pdf_cms, pdf_signer

    identity = load_or_create_signing_identity(settings)
    unsigned = render_leave_letter_pdf(leave_input(), "http://test/verifikasi/x")

    def refuse(*args, **kwargs):
        raise AssertionError("called per document")

    monkeypatch.setattr(pdf_cms.serialization, "load_der_private_key", refuse)
    monkeypatch.setattr(pdf_signer.PdfSigningSession, "estimate_signature_container_size", refuse)
    first = await sign_pdf(unsigned, identity, reason="Persetujuan cuti", location="Sleman", signer_name="A")
    second = await sign_pdf(unsigned, identity, reason="Persetujuan cuti", location="Sleman", signer_name="B")
    monkeypatch.undo()
    for signed in (first, second):
        status = await verify_document(signed, identity)
        assert status["intact"] and status["valid"] and status["trusted"] and status["covers_whole_file"]
    assert (await verify_document(second, identity))["signer_name"] == "B"
    # The signing-certificate-v2 attribute encoded once per certificate still names this certificate.
    from cryptography.hazmat.primitives import hashes
    from pyhanko.pdf_utils.reader import PdfFileReader

    signer_info = PdfFileReader(io.BytesIO(second)).embedded_signatures[-1].signer_info
    [ess] = [a["values"][0] for a in signer_info["signed_attrs"] if a["type"].native == "signing_certificate_v2"]
    assert ess["certs"][0]["cert_hash"].native == identity.cert.fingerprint(hashes.SHA256())
    assert ess["certs"][0]["issuer_serial"]["serial_number"].native == identity.cert.serial_number


async def test_an_ecdsa_identity_signs_with_its_loaded_key_too(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA EC Uji")])

    def cert(subject, public_key, ca: bool):
        return (
            x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(public_key)
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256())
        )

    ca_cert = cert(ca_name, ca_key.public_key(), True)
    signer_cert = cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Penandatangan EC")]), key.public_key(), False)
    key_path, cert_path = tmp_path / "ec.key.pem", tmp_path / "ec.cert.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    cert_path.write_bytes(signer_cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM))
    identity = load_or_create_signing_identity(
        Settings(var_dir=tmp_path / "var", dev_mode=False, signing_key_path=key_path, signing_cert_path=cert_path))

    signed = await sign_pdf(render_leave_letter_pdf(leave_input(), "http://test/verifikasi/x"), identity,
                            reason="Persetujuan cuti", location="Sleman", signer_name="X")
    status = await verify_document(signed, identity)
    assert status["valid"] and status["signer"] == "Penandatangan EC"


async def test_a_replaced_key_and_certificate_are_used_from_the_next_document_on(activities, settings, sessionmaker):
    identity = load_or_create_signing_identity(settings)
    assert load_or_create_signing_identity(settings) is identity  # loaded once per process, not per document
    first = await activities.render_leave_letter(leave_input("leave-1:letter"))

    # The operator rotates the signing certificate: new files, moved into place as the same names.
    signing_dir = settings.var_dir / "signing"
    fresh = Settings(var_dir=settings.var_dir.parent / "fresh-var", public_base_url="http://test")
    replacement = load_or_create_signing_identity(fresh)
    for name in ("dev-signing.key.pem", "dev-signing.cert.pem"):
        staged = signing_dir / f".{name}.new"
        shutil.copyfile(fresh.var_dir / "signing" / name, staged)
        os.replace(staged, signing_dir / name)

    reloaded = load_or_create_signing_identity(settings)
    assert reloaded.cert.serial_number == replacement.cert.serial_number != identity.cert.serial_number
    second = await activities.render_leave_letter(leave_input("leave-2:letter"))
    data = (settings.documents_dir / f"{second.document_id}.pdf").read_bytes()
    assert (await verify_document(data, replacement))["valid"]
    assert not (await verify_document(data, identity))["trusted"]  # not signed with the old key any more
    old = (settings.documents_dir / f"{first.document_id}.pdf").read_bytes()
    assert (await verify_document(old, identity))["valid"]
