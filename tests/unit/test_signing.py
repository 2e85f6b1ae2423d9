"""TTE with a passphrase, the signed permit (Cetak Izin) and the receipt (Cetak Resi).

The passphrase must be checked and never reach the database or a log; the permit is signed with the
official's own key (unlocked for one use by the token the passphrase bought) and validates against
the installation's CA.
"""

import datetime as dt
import io
import logging
import os
import traceback
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select, update
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.documents import DocumentActivities
from contracts import (
    CalendarSnapshot,
    NumberingFormat,
    OfficeSnapshot,
    PermitDefinitionSnapshot,
    PermitDocumentInput,
    Person,
    TaskPolicy,
)
from documents.layout import mask_nik
from documents.permit import render_permit_pdf
from documents.receipt import render_receipt_pdf
from signing import officials as signing
from signing.identity import load_or_create_signing_identity
from signing.officials import (
    SigningAuthorizationError,
    SigningPassphraseError,
    authorize_signing,
    ensure_official_identity,
    has_official_identity,
    load_authorized_key,
)
from signing.pades import verify_document
from store.db import create_schema, make_engine, make_sessionmaker
from store.models import Document, PermitApplication, SigningAuthorization, Throttle, User, UserRole
from store.settings import Settings

pypdf = pytest.importorskip("pypdf")

PASSPHRASE = "Kunci-TTE-rahasia-4729!"
WRONG = "Tebakan-salah-0815?"
NIK = "3374010101900001"


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


OFFICE = OfficeSnapshot(
    name="Dinas Penanaman Modal dan PTSP Kota Semarang",
    short_name="DPMPTSP",
    city="Semarang",
    address="Jl. Pemuda No. 148, Semarang 50132",
    timezone="Asia/Jakarta",
    head_title="Kepala Dinas",
)


def definition(**overrides) -> PermitDefinitionSnapshot:
    values = dict(
        office=OFFICE,
        calendar=CalendarSnapshot(timezone="Asia/Jakarta"),
        agency_code="dpupr",
        agency_name="Dinas Pekerjaan Umum dan Penataan Ruang",
        permit_type_code="pbg",
        permit_type_name="Persetujuan Bangunan Gedung",
        request_kind="baru",
        request_kind_label="Baru",
        sla_working_days=10,
        verification=TaskPolicy(role="verifikator", due_working_days=3),
        signing=TaskPolicy(role="penandatangan", due_working_days=2),
        revision_deadline_working_days=5,
        numbering=NumberingFormat(scope="permit:pbg", format="640/{seq}/PBG/{year}"),
    )
    values.update(overrides)
    return PermitDefinitionSnapshot(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", database_url=f"sqlite+aiosqlite:///{tmp_path / 'test.db'}", public_base_url="http://test")


@pytest.fixture
async def sessionmaker(settings: Settings):
    engine = make_engine(settings.effective_database_url)
    await create_schema(engine)
    maker = make_sessionmaker(engine)
    async with maker() as session, session.begin():
        session.add_all(
            [
                User(id=1, username="kepala1", full_name="Dr. H. Munir Hasan, S.H.I., M.H.", nip="197203151998031002",
                     position="Kepala Dinas Penanaman Modal dan PTSP", password_hash="x", roles=[UserRole(role="penandatangan")]),
                User(id=2, username="sekdin", full_name="Ir. Ratna Dewi, M.T.", nip="197805052003122001",
                     position="Sekretaris Dinas", password_hash="x", roles=[UserRole(role="penandatangan")]),
                User(id=3, username=NIK, full_name="Siti Aminah", kind="applicant", password_hash="x"),
            ]
        )
        session.add(
            PermitApplication(
                id=10, resi="6F632D", applicant_id=3, agency_code="dpupr", permit_type="pbg", request_kind="baru",
                status="in_process", stage="signing", workflow_id="permit-6F632D",
                applicant_data={"full_name": "Siti Aminah", "nik": NIK, "address": "Jl. Kenari No. 7, Semarang"},
                company={"name": "CV Maju Jaya", "nib": "9120001234567", "npwp": "012345678901000"},
                location={"street": "Jl. Pandanaran No. 12", "rt": "003", "rw": "005", "village_name": "Pekunden",
                          "latitude": -6.9842, "longitude": 110.4133},
                details={"fungsi_bangunan": "Hunian", "luas_bangunan_m2": 120.5, "jumlah_lantai": 2},
                documents={"ktp": "f1", "gambar": "f2"},
                created_at=dt.datetime(2026, 11, 2, 3, 15, tzinfo=dt.UTC),
            )
        )
    yield maker
    await engine.dispose()


async def get_user(sessionmaker, user_id: int) -> User:
    async with sessionmaker() as session:
        return await session.get(User, user_id)


async def official(settings, sessionmaker, user_id: int = 1) -> User:
    user = await get_user(sessionmaker, user_id)
    ensure_official_identity(settings, user, PASSPHRASE)
    return user


async def authorize(settings, sessionmaker, user: User, passphrase: str = PASSPHRASE, **kwargs) -> str:
    async with sessionmaker() as session:
        return await authorize_signing(session, settings, signer=user, passphrase=passphrase, **kwargs)


async def count(sessionmaker, model) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


def permit_input(token: str, *, key: str = "permit-6F632D:permit:1", acting: bool = False) -> PermitDocumentInput:
    head = Person(id=1, username="kepala1", full_name="Dr. H. Munir Hasan, S.H.I., M.H.", nip="197203151998031002",
                  position="Kepala Dinas Penanaman Modal dan PTSP")
    deputy = Person(id=2, username="sekdin", full_name="Ir. Ratna Dewi, M.T.", nip="197805052003122001", position="Sekretaris Dinas")
    return PermitDocumentInput(
        idempotency_key=key,
        workflow_id="permit-6F632D",
        application_id=10,
        resi="6F632D",
        permit_number="640/0007/PBG/2026",
        issued_at=dt.datetime(2026, 11, 19, 20, 0, tzinfo=dt.UTC),  # already the 20th in Semarang
        applicant=Person(id=3, username=NIK, full_name="Siti Aminah"),
        definition=definition(),
        signer=deputy if acting else head,
        signing_token=token,
        signer_acting_for=head if acting else None,
        valid_until=dt.date(2031, 11, 20),
    )


# --- the official's identity -------------------------------------------------------------------


async def test_official_identity_is_issued_by_the_installation_ca_and_locked_by_the_passphrase(settings, sessionmaker):
    user = await get_user(sessionmaker, 1)
    assert not has_official_identity(settings, user)
    ensure_official_identity(settings, user, PASSPHRASE)
    assert has_official_identity(settings, user)

    folder = settings.var_dir / "signing" / "officials"
    key_pem = (folder / "kepala1.key.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in key_pem
    assert oct(os.stat(folder / "kepala1.key.pem").st_mode & 0o777) == "0o600"
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key_pem, password=None)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(key_pem, password=WRONG.encode())
    serialization.load_pem_private_key(key_pem, password=PASSPHRASE.encode())

    cert, ca = x509.load_pem_x509_certificates((folder / "kepala1.cert.pem").read_bytes())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Dr. H. Munir Hasan, S.H.I., M.H."
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "197203151998031002"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    installation = load_or_create_signing_identity(settings)
    assert ca.subject == installation.trust_roots[0].subject and cert.issuer == ca.subject

    serial = cert.serial_number
    ensure_official_identity(settings, user, "another passphrase")  # exists: left alone
    assert x509.load_pem_x509_certificates((folder / "kepala1.cert.pem").read_bytes())[0].serial_number == serial


def test_outside_development_the_identity_must_be_provisioned(tmp_path):
    prod = Settings(var_dir=tmp_path / "prod", dev_mode=False)
    user = User(id=9, username="kepala9", full_name="Kepala", password_hash="x")
    with pytest.raises(signing.SigningIdentityError):
        ensure_official_identity(prod, user, PASSPHRASE)
    assert not (tmp_path / "prod" / "signing").exists()


# --- authorizing with the passphrase -------------------------------------------------------------


async def test_wrong_passphrase_is_refused_and_nothing_is_stored(settings, sessionmaker):
    user = await official(settings, sessionmaker)
    with pytest.raises(SigningPassphraseError) as refused:
        await authorize(settings, sessionmaker, user, WRONG)
    assert str(refused.value) == "Passphrase TTE salah."
    assert await count(sessionmaker, SigningAuthorization) == 0
    # Neither the exception nor any frame of the signing module in its traceback holds the passphrase
    # (a crash reporter that dumps locals would otherwise publish it).
    assert WRONG not in "".join(traceback.format_exception(refused.value))
    assert refused.value.__cause__ is None and refused.value.__context__ is None
    frames = [tb.tb_frame for tb in _walk(refused.tb) if tb.tb_frame.f_code.co_filename.endswith(os.path.join("signing", "officials.py"))]
    assert frames
    for frame in frames:
        assert WRONG not in [v for v in frame.f_locals.values() if isinstance(v, (str, bytes))], frame.f_code.co_name
        assert WRONG.encode() not in [v for v in frame.f_locals.values() if isinstance(v, (str, bytes))]


def _walk(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next


async def test_repeated_wrong_passphrases_block_the_signer_for_a_while(settings, sessionmaker):
    user = await official(settings, sessionmaker)
    messages = []
    for _ in range(5):
        with pytest.raises(SigningPassphraseError) as refused:
            await authorize(settings, sessionmaker, user, WRONG)
        messages.append(str(refused.value))
    assert messages[:4] == ["Passphrase TTE salah."] * 4
    assert messages[4] == "Terlalu banyak percobaan passphrase. Coba lagi nanti."
    with pytest.raises(SigningPassphraseError, match="Terlalu banyak percobaan"):
        await authorize(settings, sessionmaker, user, PASSPHRASE)  # even the right one, while blocked
    assert await count(sessionmaker, SigningAuthorization) == 0

    async with sessionmaker() as session, session.begin():  # the block runs out
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)
        await session.execute(update(Throttle).where(Throttle.key == "tte:1").values(blocked_until=past, window_started_at=past))
    assert await authorize(settings, sessionmaker, user)
    assert await count(sessionmaker, Throttle) == 0  # a success clears the count


async def test_right_passphrase_gives_a_token_that_alone_unwraps_the_key(settings, sessionmaker):
    user = await official(settings, sessionmaker)
    token = await authorize(settings, sessionmaker, user)
    assert len(token) >= 43

    async with sessionmaker() as session:
        [row] = (await session.execute(select(SigningAuthorization))).scalars().all()
    assert row.signer_id == 1
    assert row.token_hash != token and token not in row.wrapped_key
    assert PASSPHRASE not in f"{row.token_hash}{row.wrapped_key}"
    assert dt.timedelta(minutes=59) < row.expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=60)
    # Not a key in the clear, and no other token opens it.
    assert b"PRIVATE KEY" not in row.wrapped_key.encode()
    with pytest.raises(InvalidToken):
        signing._fernet(token[:-1] + ("A" if token[-1] != "A" else "B"), 1).decrypt(row.wrapped_key.encode())
    with pytest.raises(InvalidToken):  # the signer is bound in: moving the row to another official breaks it
        signing._fernet(token, 2).decrypt(row.wrapped_key.encode())
    with pytest.raises(InvalidToken):
        Fernet(Fernet.generate_key()).decrypt(row.wrapped_key.encode())

    async with sessionmaker() as session:
        with pytest.raises(SigningAuthorizationError):
            await load_authorized_key(session, token="not-the-token")
        private_key, chain, signer_id = await load_authorized_key(session, token=token)
    assert signer_id == 1
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    assert private_key.public_key().public_bytes(serialization.Encoding.DER, pub) == chain[0].public_key().public_bytes(
        serialization.Encoding.DER, pub)
    assert chain[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == user.full_name


async def test_expired_rows_are_purged_when_new_ones_are_made(settings, sessionmaker):
    user = await official(settings, sessionmaker)
    old = await authorize(settings, sessionmaker, user)
    async with sessionmaker() as session, session.begin():
        await session.execute(update(SigningAuthorization).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    async with sessionmaker() as session:
        with pytest.raises(SigningAuthorizationError, match="kedaluwarsa"):
            await load_authorized_key(session, token=old)
    await authorize(settings, sessionmaker, user)
    assert await count(sessionmaker, SigningAuthorization) == 1


async def test_a_right_passphrase_does_not_let_a_wrong_one_through_later_and_a_reissued_key_is_used(settings, sessionmaker):
    from pyhanko.pdf_utils.reader import PdfFileReader

    def signing_serial(result) -> int:
        data = (settings.documents_dir / f"{result.document_id}.pdf").read_bytes()
        return PdfFileReader(io.BytesIO(data)).embedded_signatures[-1].signer_cert.serial_number

    user = await official(settings, sessionmaker)
    activities = DocumentActivities(settings, sessionmaker)
    first = await activities.render_permit(permit_input(await authorize(settings, sessionmaker, user), key="permit:1"))
    with pytest.raises(SigningPassphraseError, match="Passphrase TTE salah"):
        await authorize(settings, sessionmaker, user, WRONG)

    # The official forgot the passphrase: the key and certificate are issued again under a new one.
    # The old passphrase no longer opens anything, and the next permit carries the new certificate.
    key_path, cert_path = signing._official_paths(settings, user.username)
    old_serial = x509.load_pem_x509_certificates(cert_path.read_bytes())[0].serial_number
    key_path.unlink()
    cert_path.unlink()
    ensure_official_identity(settings, user, "Passphrase-baru-2026#")
    new_serial = x509.load_pem_x509_certificates(cert_path.read_bytes())[0].serial_number
    with pytest.raises(SigningPassphraseError, match="Passphrase TTE salah"):
        await authorize(settings, sessionmaker, user, PASSPHRASE)
    second = await activities.render_permit(permit_input(await authorize(settings, sessionmaker, user, "Passphrase-baru-2026#"), key="permit:2"))

    assert signing_serial(first) == old_serial != new_serial == signing_serial(second)
    for result in (first, second):
        data = (settings.documents_dir / f"{result.document_id}.pdf").read_bytes()
        assert (await verify_document(data, load_or_create_signing_identity(settings)))["valid"]


# --- the signed permit ---------------------------------------------------------------------------


async def test_render_permit_signs_with_the_officials_key_and_uses_up_the_authorization(settings, sessionmaker):
    from temporalio import activity

    user = await official(settings, sessionmaker)
    token = await authorize(settings, sessionmaker, user)
    activities = DocumentActivities(settings, sessionmaker)
    assert activity._Definition.must_from_callable(activities.render_permit).name == "render_permit"

    result = await ActivityEnvironment().run(activities.render_permit, permit_input(token))
    data = (settings.documents_dir / f"{result.document_id}.pdf").read_bytes()
    assert result.verification_url == f"http://test/verifikasi/{result.document_id}"

    status = await verify_document(data, load_or_create_signing_identity(settings))
    assert status["intact"] and status["valid"] and status["trusted"] and status["covers_whole_file"]
    assert status["signer"] == "Dr. H. Munir Hasan, S.H.I., M.H."  # the official's certificate, not the installation's
    assert status["signer_name"] == "Dr. H. Munir Hasan, S.H.I., M.H."

    assert await count(sessionmaker, SigningAuthorization) == 0  # consumed
    async with sessionmaker() as session:
        [row] = (await session.execute(select(Document))).scalars().all()
    assert row.id == result.document_id and row.sha256 == result.sha256
    assert row.kind == "izin"
    assert row.title == "Persetujuan Bangunan Gedung — 6F632D"
    assert row.number == "640/0007/PBG/2026"
    assert row.owner_id == 3
    assert row.signed_by == "Dr. H. Munir Hasan, S.H.I., M.H., Kepala Dinas Penanaman Modal dan PTSP"
    assert row.summary["Nomor"] == "640/0007/PBG/2026"
    assert row.summary["Pemegang"] == "Siti Aminah (CV Maju Jaya)"
    assert row.summary["Jenis izin"] == "Persetujuan Bangunan Gedung (Baru)"
    assert "Jl. Pandanaran No. 12" in row.summary["Lokasi"] and "Pekunden" in row.summary["Lokasi"]
    assert row.summary["Berlaku"] == "Berlaku sampai dengan 20 November 2031"
    assert NIK not in str(row.summary)  # the verification page is public

    # A retry after success returns the same document, though the token is used up.
    again = await ActivityEnvironment().run(activities.render_permit, permit_input(token))
    assert again == result
    assert await count(sessionmaker, Document) == 1
    assert [p.name for p in settings.documents_dir.iterdir()] == [f"{result.document_id}.pdf"]


async def test_concurrent_attempts_register_one_permit(settings, sessionmaker):
    import asyncio

    user = await official(settings, sessionmaker)
    token = await authorize(settings, sessionmaker, user)
    activities = DocumentActivities(settings, sessionmaker)
    results = await asyncio.gather(*(activities.render_permit(permit_input(token)) for _ in range(3)))
    assert len({r.document_id for r in results}) == 1
    assert await count(sessionmaker, Document) == 1
    assert await count(sessionmaker, SigningAuthorization) == 0
    assert [p.name for p in settings.documents_dir.iterdir()] == [f"{results[0].document_id}.pdf"]


async def test_a_lost_permit_file_is_signed_again_under_the_same_code_with_a_fresh_authorization(settings, sessionmaker):
    user = await official(settings, sessionmaker)
    activities = DocumentActivities(settings, sessionmaker)
    first = await activities.render_permit(permit_input(await authorize(settings, sessionmaker, user)))
    path = settings.documents_dir / f"{first.document_id}.pdf"
    path.unlink()

    with pytest.raises(ApplicationError) as failed:  # the first token is used up
        await activities.render_permit(permit_input("used-up"))
    assert failed.value.type == "SigningAuthorizationExpired"

    again = await activities.render_permit(permit_input(await authorize(settings, sessionmaker, user)))
    assert again.document_id == first.document_id
    assert (await verify_document(path.read_bytes(), load_or_create_signing_identity(settings)))["valid"]
    async with sessionmaker() as session:
        assert (await session.get(Document, first.document_id)).sha256 == again.sha256
    assert await count(sessionmaker, SigningAuthorization) == 0


async def test_a_changed_byte_breaks_the_permit_signature(settings, sessionmaker):
    user = await official(settings, sessionmaker)
    activities = DocumentActivities(settings, sessionmaker)
    result = await activities.render_permit(permit_input(await authorize(settings, sessionmaker, user)))
    data = (settings.documents_dir / f"{result.document_id}.pdf").read_bytes()
    at = data.index(b"640/0007/PBG")
    tampered = data[:at] + b"9" + data[at + 1 :]
    status = await verify_document(tampered, load_or_create_signing_identity(settings))
    assert not status["intact"] and not status["valid"]


async def test_expired_or_unknown_authorization_is_a_non_retryable_error(settings, sessionmaker):
    user = await official(settings, sessionmaker)
    token = await authorize(settings, sessionmaker, user)
    async with sessionmaker() as session, session.begin():
        await session.execute(update(SigningAuthorization).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    activities = DocumentActivities(settings, sessionmaker)
    for attempt in (token, "never-issued"):
        with pytest.raises(ApplicationError) as failed:
            await ActivityEnvironment().run(activities.render_permit, permit_input(attempt, key=f"k-{attempt}"))
        assert failed.value.type == "SigningAuthorizationExpired"
        assert failed.value.non_retryable
        assert failed.value.message == "Otorisasi TTE sudah kedaluwarsa; penandatangan perlu memasukkan passphrase lagi."
    assert await count(sessionmaker, Document) == 0
    assert not settings.documents_dir.exists() or not any(settings.documents_dir.iterdir())


async def test_a_token_of_another_official_does_not_sign_for_the_named_signer(settings, sessionmaker):
    other = await official(settings, sessionmaker, 2)
    token = await authorize(settings, sessionmaker, other)
    with pytest.raises(ApplicationError) as failed:
        await DocumentActivities(settings, sessionmaker).render_permit(permit_input(token))  # names kepala1 as signer
    assert failed.value.type == "SigningAuthorizationMismatch" and failed.value.non_retryable
    assert await count(sessionmaker, Document) == 0


async def test_permit_text_shows_number_holder_location_details_and_acting_official(settings, sessionmaker):
    deputy = await official(settings, sessionmaker, 2)
    token = await authorize(settings, sessionmaker, deputy)
    activities = DocumentActivities(settings, sessionmaker)
    result = await activities.render_permit(permit_input(token, acting=True))
    data = (settings.documents_dir / f"{result.document_id}.pdf").read_bytes()
    text = pdf_text(data)

    assert "DINAS PEKERJAAN UMUM DAN PENATAAN RUANG" in text
    assert "DINAS PENANAMAN MODAL DAN PTSP KOTA SEMARANG" in text
    assert "PERSETUJUAN BANGUNAN GEDUNG" in text
    assert "Nomor: 640/0007/PBG/2026" in text
    assert "Dasar" in text and "Memberikan izin kepada" in text
    assert "Siti Aminah" in text
    assert "NIK : 3374********0001" in text and NIK not in text
    assert "CV Maju Jaya" in text and "9120001234567" in text
    assert "Jl. Pandanaran No. 12" in text and "RT 003/RW 005" in text and "Pekunden" in text
    assert "-6.984200, 110.413300" in text
    assert "Jenis permohonan : Baru" in text
    assert "120,5" in text  # Indonesian decimal comma
    assert "Berlaku sampai dengan 20 November 2031" in text
    assert "Ditetapkan di Semarang" in text and "20 November 2026" in text
    assert "Plh. Kepala Dinas Penanaman Modal dan PTSP" in text
    assert "Ir. Ratna Dewi, M.T." in text and "NIP. 197805052003122001" in text
    assert "Ditandatangani secara elektronik menggunakan sertifikat elektronik" in text
    assert "Nomor resi: 6F632D" in text
    assert result.verification_url in text and f"Kode dokumen: {result.document_id}" in text

    status = await verify_document(data, load_or_create_signing_identity(settings))
    assert status["valid"] and status["signer"] == "Ir. Ratna Dewi, M.T."
    async with sessionmaker() as session:
        row = await session.get(Document, result.document_id)
    assert row.signed_by == "Ir. Ratna Dewi, M.T., Plh. Kepala Dinas Penanaman Modal dan PTSP"


def test_permit_renders_labels_units_and_open_ended_validity():
    inp = permit_input("t")
    inp.valid_until = None
    inp.definition = definition(permit_type_name="Reklame", agency_name=OFFICE.name)
    data = render_permit_pdf(
        inp, "http://test/verifikasi/abc", document_code="abc",
        applicant_data={"full_name": "Budi", "nik": NIK}, company={"name": "-", "nib": "0"},
        location={"street": "Jl. Mawar", "latitude": -7.0, "longitude": 110.0},
        details={"panjang_m": 4, "tanggal_mulai": "2026-12-01", "naskah": "Diskon <50%> & gratis"},
        details_labels={"naskah": "Naskah reklame", "panjang_m": "Panjang (m)"},
    )
    text = pdf_text(data)
    assert "SURAT IZIN REKLAME" in text
    assert "Berlaku selama usaha/kegiatan berjalan" in text
    assert "Plh." not in text
    assert "Panjang (m) : 4" in text and "Diskon <50%> & gratis" in text and "1 Desember 2026" in text
    assert text.index("Naskah reklame") < text.index("Panjang (m)")  # the catalog's order
    assert "Nama perusahaan" not in text  # "-" / "0" mean an individual (seed 003)
    assert text.count(OFFICE.name.upper()) == 1


def test_detail_labels_come_from_the_catalog_with_units(monkeypatch):
    import sys
    import types

    from documents.permit import details_labels

    fake = types.ModuleType("process_defs.catalog")
    fields = [types.SimpleNamespace(code="jenis", label="Jenis reklame", unit=None),
              types.SimpleNamespace(code="panjang_m", label="Panjang bidang reklame", unit="m")]
    fake.permit_type = lambda code: types.SimpleNamespace(details_fields=fields) if code == "izin_reklame" else None
    import process_defs

    monkeypatch.setitem(sys.modules, "process_defs.catalog", fake)
    monkeypatch.setattr(process_defs, "catalog", fake, raising=False)
    assert details_labels("izin_reklame") == {"jenis": "Jenis reklame", "panjang_m": "Panjang bidang reklame (m)"}
    assert details_labels("unknown") == {}


def test_nik_mask():
    assert mask_nik(NIK) == "3374********0001"
    assert mask_nik("") == "-" and mask_nik(None) == "-"
    assert mask_nik("12345") == "*****"


# --- Cetak Resi ------------------------------------------------------------------------------------


async def test_receipt_shows_resi_submission_documents_and_tracking_url(sessionmaker, tmp_path):
    async with sessionmaker() as session:
        application = await session.get(PermitApplication, 10)
    data = render_receipt_pdf(
        office=OFFICE, application=application, permit_type_name="Persetujuan Bangunan Gedung",
        agency_name="Dinas Pekerjaan Umum dan Penataan Ruang", request_kind_label="Baru",
        requirements=[("KTP elektronik pemohon", "ktp-siti.pdf"), ("Gambar teknis bangunan", "denah & tampak.dwg")],
        tracking_url="http://test/lacak/6F632D", verification_working_days=3,
    )
    text = pdf_text(data)
    assert "TANDA TERIMA PERMOHONAN IZIN" in text
    assert "6F632D" in text
    assert "Simpan resi ini untuk memantau permohonan di http://test/lacak/6F632D" in text
    assert "Siti Aminah" in text and "3374********0001" in text and NIK not in text
    assert "Persetujuan Bangunan Gedung" in text and "Baru" in text
    assert "2 November 2026 pukul 10.15 WIB" in text  # 03:15 UTC in Semarang
    assert "ktp-siti.pdf" in text and "denah & tampak.dwg" in text
    assert "dalam 3 hari kerja" in text
    assert "bukan izin" in text
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 1


# --- the passphrase leaves no trace ----------------------------------------------------------------


async def test_passphrase_is_in_neither_the_database_file_nor_the_logs(settings, sessionmaker, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    user = await official(settings, sessionmaker)
    with pytest.raises(SigningPassphraseError):
        await authorize(settings, sessionmaker, user, WRONG)
    token = await authorize(settings, sessionmaker, user)
    await DocumentActivities(settings, sessionmaker).render_permit(permit_input(token))
    await authorize(settings, sessionmaker, user)  # one more live authorization left in the table

    files = [p for p in tmp_path.iterdir() if p.name.startswith("test.db")]
    assert files
    for secret in (PASSPHRASE, WRONG):
        for encoded in (secret.encode("utf-8"), secret.encode("utf-16-le")):
            for path in files:
                assert encoded not in path.read_bytes(), path.name
        assert secret not in caplog.text
    assert "TTE" in caplog.text  # the logs did record the events, without the secret
