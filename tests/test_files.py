"""File Saya with real bytes: what is accepted (PDF, JPG, PNG, GIF, DWG, by content), what is refused
and why (PHP named .jpg, an image with PHP hidden in it, an empty file, a file over 50 MB), who may read
a file (its owner and the office; another applicant gets 404), and the page an applicant uses."""

import hashlib
import io
import re
import uuid

import httpx
import pytest
from PIL import Image
from reportlab.pdfgen import canvas
from sqlalchemy import select
from starlette.datastructures import Headers, UploadFile

from gateway.errors import ApiError
from gateway.security import hash_password
from gateway.services import files as file_service
from process_defs import catalog
from store.models import StoredFile, User, UserRole
from tests.factories import login

DWG_VERSIONS = {"AC1015": "AutoCAD 2000", "AC1018": "AutoCAD 2004", "AC1024": "AutoCAD 2010", "AC1027": "AutoCAD 2013",
                "AC1032": "AutoCAD 2018"}
PHP = b"<?php echo shell_exec($_GET['cmd']); ?>\n"
ACCEPTED_TEXT = "yang diterima: PDF, JPG, PNG, GIF, DWG"


# --- real files ----------------------------------------------------------------------------------


def pdf_bytes(text: str = "Surat Permohonan") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, text)
    c.save()
    return buf.getvalue()


def image_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (23, 117, 90)).save(buf, fmt)
    return buf.getvalue()


def dwg_bytes(version: str = "AC1032") -> bytes:
    # The real header of a DWG file: version string, zero padding, maintenance version, then data.
    return version.encode() + b"\x00\x00\x00\x00\x00\x00\x03" + bytes(range(256)) * 8


def upload_of(data: bytes | io.IOBase, filename: str) -> UploadFile:
    file = data if hasattr(data, "read") else io.BytesIO(data)
    return UploadFile(file=file, filename=filename, headers=Headers({"content-type": "application/octet-stream"}))


async def make_applicant(sessionmaker) -> User:  # noqa: ANN001
    nik = "3374" + str(uuid.uuid4().int)[:12]
    async with sessionmaker() as session:
        user = User(username=nik, full_name="Siti Aminah", kind="applicant", email=f"{nik}@contoh.id",
                    password_hash=hash_password("Demo12345"), roles=[UserRole(role="pemohon")])
        session.add(user)
        await session.commit()
        await session.refresh(user)
        return user


# --- the service, directly -----------------------------------------------------------------------


async def store(db, owner: User, data, filename: str, name: str = "Dokumen"):  # noqa: ANN001, ANN201
    async with db.sessionmaker() as session:
        owner = await session.get(User, owner.id)
        return await file_service.store_upload(session, db.settings, owner=owner, name=name, upload=upload_of(data, filename))


async def refusal(db, owner: User, data, filename: str, name: str = "Dokumen") -> ApiError:  # noqa: ANN001
    with pytest.raises(ApiError) as refused:
        await store(db, owner, data, filename, name)
    return refused.value


@pytest.mark.parametrize(("data", "filename", "extension", "media_type"), [
    (pdf_bytes(), "surat.pdf", "pdf", "application/pdf"),
    (image_bytes("JPEG"), "ktp.jpeg", "jpg", "image/jpeg"),
    (image_bytes("PNG"), "foto.png", "png", "image/png"),
    (image_bytes("GIF"), "denah.gif", "gif", "image/gif"),
    (image_bytes("PNG"), "dikira-pdf.pdf", "png", "image/png"),  # the library goes by content, not by name
    (image_bytes("JPEG"), "tanpa-ekstensi", "jpg", "image/jpeg"),
], ids=["pdf", "jpeg", "png", "gif", "png-named-pdf", "jpeg-without-extension"])
async def test_accepted_by_content(db, data, filename, extension, media_type):
    owner = await make_applicant(db.sessionmaker)
    stored = await store(db, owner, data, filename, name="  KTP   Direktur Utama ")
    assert (stored.extension, stored.media_type, stored.size) == (extension, media_type, len(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.name == "KTP Direktur Utama"
    assert stored.original_filename == filename
    assert file_service.file_path(db.settings, stored).read_bytes() == data
    assert not list((db.settings.var_dir / "files").glob(".unggah-*"))  # no temporary file left behind


@pytest.mark.parametrize("version", list(DWG_VERSIONS))
async def test_dwg_headers_are_accepted(db, version):
    owner = await make_applicant(db.sessionmaker)
    stored = await store(db, owner, dwg_bytes(version), f"denah-{version}.dwg")
    assert (stored.extension, stored.media_type) == ("dwg", "image/vnd.dwg")


async def test_refusals_say_why(db):
    owner = await make_applicant(db.sessionmaker)
    php = await refusal(db, owner, PHP, "foto.jpg")
    assert php.status_code == 422 and php.detail.startswith("Berkas ini terdeteksi sebagai kode program PHP")
    assert ACCEPTED_TEXT in php.detail and php.errors[0]["field"] == "file"
    # A real GIF header with PHP behind it: an image by its first bytes, refused for the code it carries.
    polyglot = await refusal(db, owner, b"GIF89a\x01\x00\x01\x00\x00\x00\x00" + PHP, "avatar.gif")
    assert "kode program tersisip" in polyglot.detail
    jpeg_with_php = await refusal(db, owner, image_bytes("JPEG")[:-2] + PHP + b"\xff\xd9", "ktp.jpg")
    assert "kode program tersisip" in jpeg_with_php.detail
    html = await refusal(db, owner, b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "surat.pdf")
    assert "halaman web (HTML)" in html.detail
    zipped = await refusal(db, owner, b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(200), "berkas.pdf")
    assert "arsip ZIP" in zipped.detail
    empty = await refusal(db, owner, b"", "kosong.pdf")
    assert empty.status_code == 422 and "Berkas kosong" in empty.detail
    unnamed = await refusal(db, owner, pdf_bytes(), "surat.pdf", name="   ")
    assert unnamed.errors[0]["field"] == "name" and "Nama berkas wajib diisi" in unnamed.detail
    long_name = await refusal(db, owner, pdf_bytes(), "surat.pdf", name="x" * 201)
    assert "paling banyak 200 karakter" in long_name.detail
    async with db.sessionmaker() as session:
        assert await file_service.count_files(session, owner) == 0
    assert not list((db.settings.var_dir / "files").glob(".unggah-*"))


async def test_size_limit_is_50_mb(db, tmp_path):
    owner = await make_applicant(db.sessionmaker)
    # Exactly 50 MB is accepted; one byte more is refused — read from disk, never held in memory.
    exact = tmp_path / "tepat.pdf"
    with open(exact, "wb") as fh:
        fh.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        fh.truncate(file_service.MAX_BYTES)
    with open(exact, "rb") as fh:
        stored = await store(db, owner, fh, "tepat.pdf")
    assert stored.size == file_service.MAX_BYTES and stored.extension == "pdf"
    with open(exact, "ab") as fh:
        fh.write(b"\x00")
    with open(exact, "rb") as fh:
        refused = await refusal(db, owner, fh, "besar.pdf")
    assert refused.status_code == 413 and "Ukuran berkas melebihi 50 MB" in refused.detail
    assert not list((db.settings.var_dir / "files").glob(".unggah-*"))


async def test_requirement_check_and_reuse(db):
    owner = await make_applicant(db.sessionmaker)
    png_named_pdf = await store(db, owner, image_bytes("PNG"), "surat-permohonan.pdf", name="Surat permohonan")
    pdf_only = next(r for r in catalog.requirements_for("pbg", "baru") if r.code == "surat_permohonan")
    assert pdf_only.file_types == ["pdf"]
    problem = file_service.check_against_requirement(png_named_pdf, pdf_only)
    assert problem and "adalah PNG, bukan PDF" in problem

    # One KTP uploaded once is attached to requirements of two different permits.
    ktp = await store(db, owner, image_bytes("JPEG"), "ktp.jpg", name="KTP")
    for permit, kind in (("pbg", "baru"), ("sip_dokter", "perpanjangan")):
        requirement = next(r for r in catalog.requirements_for(permit, kind) if r.code == "ktp")
        assert file_service.check_against_requirement(ktp, requirement) is None
    drawing = await store(db, owner, dwg_bytes(), "denah.dwg", name="Denah")
    architecture = next(r for r in catalog.requirements_for("pbg", "baru") if r.code == "gambar_arsitektur")
    assert file_service.check_against_requirement(drawing, architecture) is None
    ktp_requirement = next(r for r in catalog.requirements_for("pbg", "baru") if r.code == "ktp")
    assert "bukan PDF atau JPG atau PNG" in file_service.check_against_requirement(drawing, ktp_requirement)
    small = type("Req", (), {"file_types": ["jpg"], "max_mb": 0})()
    assert "melebihi batas 0 MB" in file_service.check_against_requirement(ktp, small)


# --- over HTTP -----------------------------------------------------------------------------------


@pytest.fixture
async def http(live_stack):
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=60) as client:
        yield client


async def upload(http: httpx.AsyncClient, headers: dict, data, filename: str, name: str = "Dokumen") -> httpx.Response:  # noqa: ANN001
    return await http.post("/api/v1/files", headers=headers, data={"name": name}, files={"file": (filename, data, "application/octet-stream")})


async def test_upload_list_read_download_delete(http, live_stack):
    owner = await make_applicant(live_stack.sessionmaker)
    me = await login(http, owner.username)
    pdf = pdf_bytes("KTP Siti Aminah")

    created = await upload(http, me, pdf, "KTP_Siti.pdf", name="KTP Siti Aminah")
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "name", "original_filename", "media_type", "extension", "size", "sha256", "created_at"}
    assert (body["name"], body["media_type"], body["extension"], body["size"]) == ("KTP Siti Aminah", "application/pdf", "pdf", len(pdf))
    assert body["sha256"] == hashlib.sha256(pdf).hexdigest()

    drawing = (await upload(http, me, dwg_bytes("AC1027"), "denah.dwg", name="Gambar arsitektur")).json()
    assert drawing["extension"] == "dwg"
    picture = (await upload(http, me, image_bytes("PNG"), "foto.pdf", name="Foto lokasi")).json()
    assert (picture["extension"], picture["media_type"]) == ("png", "image/png")

    listed = (await http.get("/api/v1/files", headers=me)).json()
    assert [f["id"] for f in listed["items"]] == [picture["id"], drawing["id"], body["id"]] and listed["total"] == 3
    assert [f["id"] for f in (await http.get("/api/v1/files", headers=me, params={"q": "ktp"})).json()["items"]] == [body["id"]]

    # One file, reused: the same id serves every application it is attached to, and it is listed once.
    for _ in range(2):
        assert (await http.get(f"/api/v1/files/{body['id']}", headers=me)).json() == body
    # The same bytes uploaded again under another name are a second entry, with the same fingerprint.
    again = (await upload(http, me, pdf, "KTP_Siti.pdf", name="KTP (salinan)")).json()
    listed = (await http.get("/api/v1/files", headers=me)).json()["items"]
    assert [f["sha256"] for f in listed].count(body["sha256"]) == 2 and again["id"] != body["id"]
    assert [f["id"] for f in listed].count(body["id"]) == 1

    content = await http.get(f"/api/v1/files/{body['id']}/content", headers=me)
    assert content.status_code == 200 and content.content == pdf
    assert content.headers["content-type"] == "application/pdf"
    assert content.headers["content-disposition"].startswith("inline") and "KTP_Siti.pdf" in content.headers["content-disposition"]
    assert content.headers["x-content-type-options"] == "nosniff"
    forced = await http.get(f"/api/v1/files/{body['id']}/content", headers=me, params={"download": "true"})
    assert forced.headers["content-disposition"].startswith("attachment")
    dwg = await http.get(f"/api/v1/files/{drawing['id']}/content", headers=me)
    assert dwg.headers["content-type"] == "image/vnd.dwg" and dwg.headers["content-disposition"].startswith("attachment")
    png = await http.get(f"/api/v1/files/{picture['id']}/content", headers=me)
    assert png.headers["content-type"] == "image/png" and 'filename="foto.png"' in png.headers["content-disposition"]
    assert "sandbox" in png.headers["content-security-policy"]

    # Delete hides the file from its owner; the bytes stay for applications that attached it.
    assert (await http.delete(f"/api/v1/files/{again['id']}", headers=me)).status_code == 204
    assert (await http.get(f"/api/v1/files/{again['id']}", headers=me)).status_code == 404
    assert again["id"] not in [f["id"] for f in (await http.get("/api/v1/files", headers=me)).json()["items"]]
    async with live_stack.sessionmaker() as session:
        row = await session.get(StoredFile, again["id"])
        assert row.deleted_at is not None
        assert file_service.file_path(live_stack.settings, row).exists()
        assert "telah dihapus" in file_service.check_against_requirement(row, catalog.requirements_for("pbg", "baru")[1])


async def test_refused_over_http(http, live_stack, tmp_path):
    owner = await make_applicant(live_stack.sessionmaker)
    me = await login(http, owner.username)

    php = await upload(http, me, PHP, "foto.jpg")
    assert php.status_code == 422
    assert php.json()["detail"] == f"Berkas ini terdeteksi sebagai kode program PHP — {ACCEPTED_TEXT}."
    assert php.json()["errors"] == [{"field": "file", "message": php.json()["detail"]}]
    empty = await upload(http, me, b"", "kosong.pdf")
    assert empty.status_code == 422 and "Berkas kosong" in empty.json()["detail"]
    no_name = await http.post("/api/v1/files", headers=me, files={"file": ("a.pdf", pdf_bytes(), "application/pdf")})
    assert no_name.status_code == 422 and no_name.json()["errors"][0]["field"] == "name"
    no_file = await http.post("/api/v1/files", headers=me, data={"name": "KTP"}, files={"lain": ("a.txt", b"x", "text/plain")})
    assert no_file.status_code == 422 and "Pilih berkas" in no_file.json()["detail"]
    not_multipart = await http.post("/api/v1/files", headers=me, json={"name": "KTP"})
    assert not_multipart.status_code == 422

    # 51 MB of zeros, streamed from a sparse file: refused with the reason, nothing stored.
    big = tmp_path / "besar.pdf"
    with open(big, "wb") as fh:
        fh.truncate(51 * 1024 * 1024)
    with open(big, "rb") as fh:
        too_big = await upload(http, me, fh, "besar.pdf")
    assert too_big.status_code == 413
    assert too_big.json()["detail"].startswith("Ukuran berkas melebihi 50 MB")
    assert (await http.get("/api/v1/files", headers=me)).json()["total"] == 0
    assert not list((live_stack.settings.var_dir / "files").glob(".unggah-*"))

    assert (await upload(http, {}, pdf_bytes(), "a.pdf")).status_code == 401
    staff = await login(http, "verifikator1")
    refused = await upload(http, staff, pdf_bytes(), "a.pdf")
    assert refused.status_code == 403 and "pemohon" in refused.json()["detail"]


async def test_only_the_owner_and_the_office_read_a_file(http, live_stack):
    owner, other = await make_applicant(live_stack.sessionmaker), await make_applicant(live_stack.sessionmaker)
    mine, theirs = await login(http, owner.username), await login(http, other.username)
    file = (await upload(http, mine, image_bytes("JPEG"), "ktp.jpg", name="KTP")).json()

    for path in (f"/api/v1/files/{file['id']}", f"/api/v1/files/{file['id']}/content"):
        refused = await http.get(path, headers=theirs)
        assert refused.status_code == 404 and refused.json()["detail"] == "Berkas tidak ditemukan."
    assert (await http.delete(f"/api/v1/files/{file['id']}", headers=theirs)).status_code == 404
    assert (await http.get("/api/v1/files", headers=theirs)).json() == {"items": [], "total": 0}
    assert (await http.get(f"/api/v1/files/{file['id']}/content")).status_code == 401

    verifier = await login(http, "verifikator1")
    seen = await http.get(f"/api/v1/files/{file['id']}/content", headers=verifier)
    assert seen.status_code == 200 and seen.headers["content-type"] == "image/jpeg"
    assert (await http.delete(f"/api/v1/files/{file['id']}", headers=verifier)).status_code == 404  # only the owner deletes
    pegawai = await login(http, "pegawai1")
    assert (await http.get(f"/api/v1/files/{file['id']}", headers=pegawai)).status_code == 404
    async with live_stack.sessionmaker() as session:
        verifikator = await session.scalar(select(User).where(User.username == "verifikator1"))
        row = await session.get(StoredFile, file["id"])
        assert file_service.can_read(verifikator, row) and not file_service.can_read(await session.get(User, other.id), row)


async def test_file_saya_page(live_stack):
    owner = await make_applicant(live_stack.sessionmaker)
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=60) as browser:  # keeps the session cookie
        signed_in = await browser.post("/masuk", data={"username": owner.username, "password": "Demo12345", "next": "/file-saya"})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/file-saya"
        page = await browser.get("/file-saya")
        assert page.status_code == 200
        assert "Anda belum mengunggah berkas" in page.text and 'href="/file-saya" aria-current="page"' in page.text
        assert 'enctype="multipart/form-data"' in page.text and "PDF, JPG, PNG, GIF, DWG" in page.text

        # A refusal re-renders the form with the reason and the name as typed.
        refused = await browser.post("/file-saya", data={"name": "Foto KTP saya"}, files={"file": ("ktp.jpg", PHP, "image/jpeg")})
        assert refused.status_code == 422
        assert "Berkas ini terdeteksi sebagai kode program PHP" in refused.text
        assert 'value="Foto KTP saya"' in refused.text and 'aria-invalid="true"' in refused.text

        done = await browser.post("/file-saya", data={"name": "NPWP Pribadi"}, files={"file": ("npwp.png", image_bytes("PNG"), "image/png")})
        assert done.status_code == 303 and done.headers["location"].startswith("/file-saya?pesan=berkas-diunggah#berkas-")
        listed = await browser.get("/file-saya", params={"pesan": "berkas-diunggah"})
        assert "Upload berhasil" in listed.text and "NPWP Pribadi" in listed.text and "npwp.png" in listed.text
        file_id = re.search(r'id="berkas-([0-9a-f]{32})"', listed.text).group(1)
        assert (await browser.get("/file-saya", params={"q": "ktp"})).text.count('id="berkas-') == 0
        opened = await browser.get(f"/api/v1/files/{file_id}/content")  # the page's link works with the session cookie
        assert opened.status_code == 200 and opened.headers["content-type"] == "image/png"

        # Sent from the application form: back there with the new file's id.
        back = await browser.post("/file-saya", data={"name": "KTP", "next": "/permohonan/baru?langkah=5"},
                                  files={"file": ("ktp.jpg", image_bytes("JPEG"), "image/jpeg")})
        assert back.status_code == 303 and re.fullmatch(r"/permohonan/baru\?langkah=5&berkas=[0-9a-f]{32}", back.headers["location"])

        deleted = await browser.post(f"/file-saya/{file_id}/hapus")
        assert deleted.status_code == 303
        assert "Berkas telah dihapus" in (await browser.get(deleted.headers["location"])).text

    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=60) as staff:
        await staff.post("/masuk", data={"username": "pegawai1", "password": "Demo12345"})
        staff_page = await staff.get("/file-saya")
        assert staff_page.status_code == 403 and "hanya tersedia bagi akun pemohon" in staff_page.text
        assert "File Saya" not in (await staff.get("/persyaratan")).text.split("<main")[0]


# --- issue 7: disguised programs, active PDFs, path-traversal names ---------------------------------


async def test_disguised_programs_and_active_pdfs_are_refused(db):
    owner = await make_applicant(db.sessionmaker)
    exe = await refusal(db, owner, b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(300), "surat-permohonan.pdf")
    assert exe.status_code == 422 and "program Windows (EXE)" in exe.detail and ACCEPTED_TEXT in exe.detail
    elf = await refusal(db, owner, b"\x7fELF\x02\x01\x01\x00" + bytes(300), "foto.jpg")
    assert elf.status_code == 422 and ACCEPTED_TEXT in elf.detail
    # A real PDF whose opening action runs JavaScript, or that launches a program: refused with the reason.
    pdf = pdf_bytes()
    with_js = pdf.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>", 1)
    launch = pdf.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /Launch /F (cmd.exe) >>", 1)
    assert with_js != pdf and launch != pdf
    for data in (with_js, launch):
        refused = await refusal(db, owner, data, "surat.pdf")
        assert refused.status_code == 422 and "berisi JavaScript atau perintah menjalankan program" in refused.detail
    async with db.sessionmaker() as session:
        assert await file_service.count_files(session, owner) == 0
    assert not list(file_service.files_dir(db.settings).glob(".unggah-*"))


@pytest.mark.parametrize(("filename", "kept"), [("../../../etc/passwd.pdf", "passwd.pdf"), ("..\\..\\windows\\win.pdf", "win.pdf"),
                                              ("/tmp/x/../../surat.pdf", "surat.pdf"), ("surat\x00.pdf", "surat.pdf"), ("..", "..")])
async def test_path_traversal_names_never_leave_the_storage_root(db, filename, kept):
    owner = await make_applicant(db.sessionmaker)
    stored = await store(db, owner, pdf_bytes(), filename)
    root = file_service.files_dir(db.settings).resolve()
    path = file_service.file_path(db.settings, stored).resolve()
    assert path.parent == root and path.is_file()
    # The name kept for display and download is the last part only, without separators or control characters;
    # it is never used as a path (the stored file is named by its id).
    assert stored.original_filename == kept
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == [stored.id]
