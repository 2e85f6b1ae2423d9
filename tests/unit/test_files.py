"""File Saya with real bytes: what is accepted (PDF, JPG, PNG, GIF, DWG, by content), what is refused
and why (PHP named .jpg, an image with PHP hidden in it, an empty file, a file over 50 MB, a PDF that acts,
a picture that does not decode, a DWG without a DWG's structure), who may read a file (its owner and the
office; another applicant gets 404), and the page an applicant uses."""

import hashlib
import io
import os
import re
import struct
import tempfile
import uuid
import zlib
from pathlib import Path

import httpx
import pikepdf
import pytest
from PIL import Image
from reportlab.pdfgen import canvas
from sqlalchemy import select, update
from starlette.datastructures import Headers, UploadFile

from gateway.errors import ApiError, DomainError, as_api_error, status_of
from gateway.security import hash_password
from gateway.services import files as file_service
from process_defs import catalog
from store.models import Office, PermitApplication, StoredFile, User, UserRole
from store.storage import LocalStorage, storage_for
from tests.factories import login

DWG_VERSIONS = {"AC1012": "AutoCAD R13", "AC1014": "AutoCAD R14", "AC1015": "AutoCAD 2000", "AC1018": "AutoCAD 2004",
                "AC1021": "AutoCAD 2007", "AC1024": "AutoCAD 2010", "AC1027": "AutoCAD 2013", "AC1032": "AutoCAD 2018"}
PHP = b"<?php echo shell_exec($_GET['cmd']); ?>\n"
ACCEPTED_TEXT = "yang diterima: PDF, JPG, PNG, GIF, DWG"


@pytest.fixture(autouse=True)
def upload_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where uploads are received before they go into the storage, so a test can see that nothing stays there."""
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


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


def pdf_with(change, *, object_streams: bool = False) -> bytes:
    """A reportlab PDF changed with pikepdf (`change(pdf)`), saved the way other writers do."""
    pdf = pikepdf.open(io.BytesIO(pdf_bytes()))
    change(pdf)
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate if object_streams else pikepdf.ObjectStreamMode.preserve)
    return out.getvalue()


def _open_action(action: dict):
    """A change for `pdf_with`: the document runs `action` when opened."""
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = pdf.make_indirect(pikepdf.Dictionary(action))
    return change


def write_pdf_of_size(fh, size: int) -> None:
    """A valid one-page PDF of exactly `size` bytes, padded inside its content stream with NUL bytes (PDF whitespace),
    written without holding the padding in memory."""
    def parts(padding: int) -> tuple[bytes, bytes]:
        head = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\n"
                b"endobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n")
        offsets = [9, head.index(b"2 0 obj"), head.index(b"3 0 obj"), len(head)]
        head += b"4 0 obj\n<< /Length %d >>\nstream\n" % padding
        xref_at = len(head) + padding + len(b"\nendstream\nendobj\n")
        tail = (b"\nendstream\nendobj\nxref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
                + b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref_at)
        return head, tail
    padding = size
    for _ in range(3):  # the digits of the length and offsets settle at once
        head, tail = parts(padding)
        padding = size - len(head) - len(tail)
    head, tail = parts(padding)
    fh.write(head)
    fh.truncate(len(head) + padding)
    fh.seek(0, os.SEEK_END)
    fh.write(tail)


def jpeg_with_comment(comment: bytes) -> bytes:
    """A real JPEG with a COM segment (where image tools keep comments) holding `comment`."""
    jpeg = image_bytes("JPEG")
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + jpeg[2:]


# --- DWG frames, built by the published format ---------------------------------------------------------------------
# No CAD program runs here, so these follow the Open Design Alliance specification (as LibreDWG reads it), and the
# checks they pass were also run on LibreDWG's sample drawings saved by AutoCAD (R13 to 2018: 130 files, all accepted).

def _crc16_arc(data: bytes, crc: int = 0xC0C1) -> int:
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _gf_mul(a: int, b: int) -> int:  # GF(256) with x^8+x^6+x^5+x^4+1, as DWG 2007's Reed–Solomon code uses
    product = 0
    while b:
        if b & 1:
            product ^= a
        a, b = a << 1, b >> 1
        if a & 0x100:
            a ^= 0x169
    return product


def _gf_pow(a: int, n: int) -> int:
    result = 1
    for _ in range(n % 255):
        result = _gf_mul(result, a)
    return result


def _gf_inv(a: int) -> int:
    return _gf_pow(a, 254)


def _rs_codeword(data: bytes) -> bytes:
    """239 data bytes (coefficients of x^0..x^238) and the 16 parity bytes at x^239..x^254 that make the block vanish
    at alpha^1..alpha^16 (alpha = x = 2): a linear system, solved by Gaussian elimination."""
    rows = []
    for j in range(1, 17):
        alpha_j = _gf_pow(2, j)
        syndrome = 0
        for i, byte in enumerate(data):
            syndrome ^= _gf_mul(byte, _gf_pow(alpha_j, i))
        rows.append([_gf_pow(alpha_j, 239 + k) for k in range(16)] + [syndrome])
    for col in range(16):
        pivot = next(r for r in range(col, 16) if rows[r][col])
        rows[col], rows[pivot] = rows[pivot], rows[col]
        inverse = _gf_inv(rows[col][col])
        rows[col] = [_gf_mul(v, inverse) for v in rows[col]]
        for r in range(16):
            if r != col and rows[r][col]:
                factor = rows[r][col]
                rows[r] = [v ^ _gf_mul(factor, p) for v, p in zip(rows[r], rows[col], strict=False)]
    return data + bytes(rows[k][16] for k in range(16))


def _dwg_lcg(size: int) -> bytes:
    seed, out = 1, bytearray()
    for _ in range(size):
        seed = (seed * 0x343FD + 0x269EC3) & 0xFFFFFFFF
        out.append((seed >> 16) & 0xFF)
    return bytes(out)


def _dwg_prologue(version: str) -> bytes:
    """The first 0x80 bytes of an R2004+ file: version, maintenance release, codepage, header address 0x80."""
    return (version.encode() + bytes(5) + b"\x00\x03" + struct.pack("<I", 0) + b"\x1f\x00" + struct.pack("<H", 30) + bytes(3)
            + struct.pack("<IIIIII", 0, 0, 0, 0, 0x80, 0)).ljust(0x80, b"\x00")


def dwg_bytes(version: str = "AC1032", drawing: bytes = bytes(range(256)) * 24) -> bytes:
    """The frame of a DWG file of `version` around `drawing` (standing in for the drawing's own sections)."""
    if version in ("AC1012", "AC1014", "AC1015"):
        count = 3
        header_size = 0x19 + 9 * count + 2 + 16
        variables = bytes.fromhex("CF7B1F23FDDE38A95F7C68B84E6D335F") + drawing + bytes.fromhex("3084E0DC0221C756A0839747B192CCA0")
        classes = bytes.fromhex("8DA1C4B8C4A9F8C5C0DCF45FE7CFB68A") + bytes(64)
        handles = bytes(32)
        sections = [(header_size, variables), (header_size + len(variables), classes),
                    (header_size + len(variables) + len(classes), handles)]
        head = (version.encode() + bytes(5) + b"\x0f\x01" + struct.pack("<I", 0) + b"\x17\x00" + struct.pack("<HI", 30, count)
                + b"".join(struct.pack("<BII", n, at, len(body)) for n, (at, body) in enumerate(sections)))
        head += struct.pack("<H", _crc16_arc(head)) + bytes.fromhex("95A04E2899821AE55E41E05F9D3A4D00")
        return head + variables + classes + handles
    if version == "AC1021":
        carried = bytes(8) * 3 + struct.pack("<ii", 96, 0) + bytes(range(96)) + bytes(239 * 3 - 32 - 96)
        codewords = [_rs_codeword(carried[i * 239:(i + 1) * 239]) for i in range(3)]
        encoded = bytes(codewords[i % 3][i // 3] for i in range(3 * 255))
        return _dwg_prologue(version) + encoded.ljust(0x3D8, b"\x00") + drawing
    # R2004 and later: data pages from 0x100, then the section page map (a system page), then the header's copy.
    page_map = bytes(range(48))
    map_address = 0x100 + len(drawing)
    map_head = struct.pack("<4I", 0x41630E3B, 0x60, len(page_map), 2)
    map_page = map_head + struct.pack("<I", zlib.adler32(page_map, zlib.adler32(map_head + bytes(4), 0))) + page_map
    copy_at = map_address + len(map_page)
    header = struct.pack("<12s3I4IIQQII3IIQ3I", b"AcFssFcAJMB\x00", 0, 0x6C, 4, 0, 0, 0, 1, 2, map_address, copy_at, 0, 2,
                         0x20, 0x80, 0x40, 3, map_address - 0x100, 4, 2, 0)
    header += struct.pack("<I", zlib.crc32(header + bytes(4)))
    encrypted = bytes(a ^ b for a, b in zip(header, _dwg_lcg(len(header)), strict=False))
    return _dwg_prologue(version) + encrypted + bytes(0x14) + drawing + map_page + encrypted

def upload_of(data: bytes | io.IOBase, filename: str) -> UploadFile:
    file = data if hasattr(data, "read") else io.BytesIO(data)
    return UploadFile(file=file, filename=filename, headers=Headers({"content-type": "application/octet-stream"}))


async def make_applicant(sessionmaker) -> User:
    nik = "3374" + str(uuid.uuid4().int)[:12]
    async with sessionmaker() as session:
        user = User(username=nik, full_name="Siti Aminah", kind="applicant", email=f"{nik}@contoh.id",
                    password_hash=hash_password("Demo12345"), roles=[UserRole(role="pemohon")])
        session.add(user)
        await session.commit()
        await session.refresh(user)
        return user


# --- the service, directly -----------------------------------------------------------------------


async def store(db, owner: User, data, filename: str, name: str = "Dokumen"):
    async with db.sessionmaker() as session:
        owner = await session.get(User, owner.id)
        return await file_service.store_upload(session, db.settings, owner=owner, name=name, upload=upload_of(data, filename))


async def refusal(db, owner: User, data, filename: str, name: str = "Dokumen") -> ApiError:
    with pytest.raises(DomainError) as refused:
        await store(db, owner, data, filename, name)
    return as_api_error(refused.value)  # as the client is answered: with its status


@pytest.mark.parametrize(("data", "filename", "extension", "media_type"), [
    (pdf_bytes(), "surat.pdf", "pdf", "application/pdf"),
    (image_bytes("JPEG"), "ktp.jpeg", "jpg", "image/jpeg"),
    (image_bytes("PNG"), "foto.png", "png", "image/png"),
    (image_bytes("GIF"), "denah.gif", "gif", "image/gif"),
    (image_bytes("PNG"), "dikira-pdf.pdf", "png", "image/png"),  # the library goes by content, not by name
    (image_bytes("JPEG"), "tanpa-ekstensi", "jpg", "image/jpeg"),
], ids=["pdf", "jpeg", "png", "gif", "png-named-pdf", "jpeg-without-extension"])
async def test_accepted_by_content(db, upload_tmp, data, filename, extension, media_type):
    owner = await make_applicant(db.sessionmaker)
    stored = await store(db, owner, data, filename, name="  KTP   Direktur Utama ")
    assert (stored.extension, stored.media_type, stored.size) == (extension, media_type, len(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.name == "KTP Direktur Utama"
    assert stored.original_filename == filename
    assert await storage_for(db.settings).get(file_service.file_key(stored)) == data
    assert (db.settings.var_dir / "files" / stored.id).read_bytes() == data  # the default storage: the var dir's layout
    assert not list(upload_tmp.glob(".unggah-*"))  # no temporary file left behind


@pytest.mark.parametrize("version", list(DWG_VERSIONS))
async def test_dwg_headers_are_accepted(db, version):
    owner = await make_applicant(db.sessionmaker)
    stored = await store(db, owner, dwg_bytes(version), f"denah-{version}.dwg")
    assert (stored.extension, stored.media_type) == ("dwg", "image/vnd.dwg")


async def test_refusals_say_why(db, upload_tmp):
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
    assert not list(upload_tmp.glob(".unggah-*"))


async def test_size_limit_is_50_mb(db, tmp_path, upload_tmp):
    owner = await make_applicant(db.sessionmaker)
    # Exactly 50 MB is accepted; one byte more is refused — read from disk, never held in memory.
    exact = tmp_path / "tepat.pdf"
    with open(exact, "wb") as fh:
        write_pdf_of_size(fh, file_service.MAX_BYTES)
    with open(exact, "rb") as fh:
        stored = await store(db, owner, fh, "tepat.pdf")
    assert stored.size == file_service.MAX_BYTES and stored.extension == "pdf"
    with open(exact, "ab") as fh:
        fh.write(b"\x00")
    with open(exact, "rb") as fh:
        refused = await refusal(db, owner, fh, "besar.pdf")
    assert refused.status_code == 413 and "Ukuran berkas melebihi 50 MB" in refused.detail
    assert not list(upload_tmp.glob(".unggah-*"))


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


async def upload(http: httpx.AsyncClient, headers: dict, data, filename: str, name: str = "Dokumen") -> httpx.Response:
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
        assert await storage_for(live_stack.settings).exists(file_service.file_key(row))
        assert "telah dihapus" in file_service.check_against_requirement(row, catalog.requirements_for("pbg", "baru")[1])


async def test_refused_over_http(http, live_stack, tmp_path, upload_tmp):
    owner = await make_applicant(live_stack.sessionmaker)
    me = await login(http, owner.username)

    php = await upload(http, me, PHP, "foto.jpg")
    assert php.status_code == 422
    assert php.json()["detail"] == f"Berkas ini terdeteksi sebagai kode program PHP — {ACCEPTED_TEXT}."
    assert php.json()["errors"] == [{"field": "file", "message": php.json()["detail"]}]
    short_tag = await upload(http, me, jpeg_with_comment(b"<?= `id` ?>"), "ktp.jpg")
    assert short_tag.status_code == 422 and short_tag.json()["code"] == "invalid"
    assert short_tag.json()["detail"].startswith("Berkas JPG ini berisi kode program tersisip")
    assert short_tag.json()["errors"] == [{"field": "file", "message": short_tag.json()["detail"]}]
    packed = await upload(http, me, pdf_with(_open_action({"/S": pikepdf.Name.JavaScript, "/JS": pikepdf.String("app.alert(1)")}),
                                             object_streams=True), "surat.pdf")
    assert packed.status_code == 422 and packed.json()["detail"].startswith("Berkas PDF ini berisi JavaScript")
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
    assert not list(upload_tmp.glob(".unggah-*"))

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

    # Office staff read what a citizen sent their own office: a file in no application is not theirs to open, and a
    # file sent to another office stays with that office.
    verifier = await login(http, "verifikator1")
    assert (await http.get(f"/api/v1/files/{file['id']}/content", headers=verifier)).status_code == 404
    async with live_stack.sessionmaker() as session:
        offices = {o.code: o.id for o in await session.scalars(select(Office))}
        application = PermitApplication(office_id=offices["ms-lhokseumawe"], resi=uuid.uuid4().hex[:6].upper(), applicant_id=owner.id,
                                        agency_code="dpmptsp", permit_type="izin_reklame", request_kind="baru", status="in_process",
                                        stage="verification", workflow_id=f"permit-berkas-{uuid.uuid4().hex[:8]}", documents={"ktp": file["id"]})
        session.add(application)
        await session.commit()
    assert (await http.get(f"/api/v1/files/{file['id']}/content", headers=verifier)).status_code == 404
    async with live_stack.sessionmaker() as session:
        await session.execute(update(PermitApplication).where(PermitApplication.id == application.id).values(office_id=offices["dpmptsp"]))
        await session.commit()
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


async def test_disguised_programs_and_active_pdfs_are_refused(db, upload_tmp):
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
    for data, what in ((with_js, "berisi JavaScript"), (launch, "berisi perintah menjalankan program")):
        refused = await refusal(db, owner, data, "surat.pdf")
        assert refused.status_code == 422 and refused.detail.startswith(f"Berkas PDF ini {what}")
        assert "tidak diterima demi keamanan" in refused.detail
    async with db.sessionmaker() as session:
        assert await file_service.count_files(session, owner) == 0
    assert not list(upload_tmp.glob(".unggah-*"))


@pytest.mark.parametrize(("filename", "kept"), [("../../../etc/passwd.pdf", "passwd.pdf"), ("..\\..\\windows\\win.pdf", "win.pdf"),
                                              ("/tmp/x/../../surat.pdf", "surat.pdf"), ("surat\x00.pdf", "surat.pdf"), ("..", "..")])
async def test_path_traversal_names_never_leave_the_storage_root(db, filename, kept):
    owner = await make_applicant(db.sessionmaker)
    stored = await store(db, owner, pdf_bytes(), filename)
    root = file_service.files_dir(db.settings).resolve()
    path = LocalStorage(db.settings.var_dir).path(file_service.file_key(stored)).resolve()
    assert path.parent == root and path.is_file()
    # The name kept for display and download is the last part only, without separators or control characters;
    # it is never used as a path (the stored file is named by its id).
    assert stored.original_filename == kept
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == [stored.id]


# --- issue 14: what a viewer would read, not the first bytes -----------------------------------------------------


def _attach(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["lampiran.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00" + bytes(64), mime_type="application/octet-stream")


def _xfa(template: bytes):
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pdf.make_stream(template))
    return change


XFA_SCRIPT = (b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><subform><event activity="initialize">'
              b'<script contentType="application/x-javascript">app.launchURL("http://contoh.id")</script></event></subform></template></xdp:xdp>')
ENCODED_JS = b"/Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"
ENCODED_LAUNCH = b"/Type /Catalog /OpenAction << /S /L#61unch /F (cmd.exe) >>"


@pytest.mark.parametrize(("data", "says", "hidden"), [
    (pdf_bytes().replace(b"/Type /Catalog", ENCODED_JS, 1), "berisi JavaScript", b"/JavaScript"),
    (pdf_bytes().replace(b"/Type /Catalog", ENCODED_LAUNCH, 1), "berisi perintah menjalankan program", b"/Launch"),
    (pdf_with(_open_action({"/S": pikepdf.Name.JavaScript, "/JS": pikepdf.String("app.alert(1)")}), object_streams=True),
     "berisi JavaScript", b"/JavaScript"),
    (pdf_with(_attach), "berisi berkas lain yang disisipkan di dalamnya", None),
    (pdf_with(_xfa(XFA_SCRIPT)), "berisi formulir XFA yang menjalankan skrip", None),
    (pdf_with(_open_action({"/S": pikepdf.Name.URI, "/URI": pikepdf.String(" JavaScript:alert(1)")})), "berisi JavaScript", None),
    (pdf_with(_open_action({"/S": pikepdf.Name.GoToR, "/F": pikepdf.String("\\\\server\\share\\x.pdf"),
                            "/D": pikepdf.Array([0, pikepdf.Name.Fit])})), "berisi tautan yang membuka berkas lain", None),
    (pdf_with(_open_action({"/S": pikepdf.Name.SubmitForm, "/F": pikepdf.String("https://contoh.id/kirim")})),
     "berisi perintah mengirim atau mengambil data formulir", None),
], ids=["name-escaped-javascript", "name-escaped-launch", "javascript-in-object-stream", "embedded-file", "xfa-script",
        "javascript-uri", "gotor-network-share", "submit-form"])
async def test_a_pdf_that_acts_is_refused_however_it_is_written(db, upload_tmp, data, says, hidden):
    owner = await make_applicant(db.sessionmaker)
    if hidden:
        assert hidden not in data  # written so that the plain name never appears in the file's bytes
    refused = await refusal(db, owner, data, "surat.pdf")
    assert refused.status_code == 422 and refused.detail.startswith(f"Berkas PDF ini {says}"), refused.detail
    assert "tidak diterima demi keamanan" in refused.detail and refused.errors == [{"field": "file", "message": refused.detail}]
    async with db.sessionmaker() as session:
        assert await file_service.count_files(session, owner) == 0
    assert not list(file_service.files_dir(db.settings).glob("*"))  # nothing kept,
    assert not list(upload_tmp.glob(".unggah-*"))  # not even the temporary file


async def test_a_pdf_that_cannot_be_read_is_refused(db):
    owner = await make_applicant(db.sessionmaker)
    locked = pdf_with(lambda pdf: None)
    locked_pdf = pikepdf.open(io.BytesIO(locked))
    out = io.BytesIO()
    locked_pdf.save(out, encryption=pikepdf.Encryption(user="rahasia", owner="pemilik"))
    refused = await refusal(db, owner, out.getvalue(), "terkunci.pdf")
    assert refused.status_code == 422 and refused.detail.startswith("Berkas PDF ini dilindungi kata sandi, jadi isinya tidak dapat diperiksa")
    half = pdf_bytes()[: len(pdf_bytes()) // 2]
    broken = await refusal(db, owner, half, "terpotong.pdf")
    assert broken.detail.startswith("Berkas PDF ini rusak atau tidak utuh, jadi isinya tidak dapat diperiksa")
    async with db.sessionmaker() as session:
        assert await file_service.count_files(session, owner) == 0


async def test_ordinary_and_signed_pdfs_are_accepted(db):
    from documents.leave_letter import render_leave_letter_pdf
    from signing.identity import load_or_create_signing_identity
    from signing.pades import sign_pdf
    from tests.unit.test_documents import leave_input

    owner = await make_applicant(db.sessionmaker)
    # A form with a text field and a link to a web page, as office templates have.
    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.drawString(72, 760, "Formulir permohonan")
    page.acroForm.textfield(name="nama", x=72, y=700, width=300, height=20)
    page.linkURL("https://dpmptsp.contoh.go.id", (72, 650, 300, 670))
    page.save()
    # What SatuPintu itself issues: a reportlab letter with its QR code, signed (PAdES) by pyHanko.
    letter = render_leave_letter_pdf(leave_input(), "http://test/verifikasi/kode123")
    signed = await sign_pdf(letter, load_or_create_signing_identity(db.settings), reason="Persetujuan cuti",
                            location="Sleman", signer_name="Budi Santoso")
    # Protected against editing only (no password to open), as banks send statements.
    restricted = io.BytesIO()
    pikepdf.open(io.BytesIO(pdf_bytes())).save(restricted, encryption=pikepdf.Encryption(user="", owner="pemilik"))
    packed = pdf_with(lambda pdf: None, object_streams=True)
    for data, name in ((buf.getvalue(), "formulir.pdf"), (letter, "surat-cuti.pdf"), (signed, "surat-cuti-ttd.pdf"),
                       (restricted.getvalue(), "rekening.pdf"), (packed, "ringkas.pdf")):
        stored = await store(db, owner, data, name)
        assert (stored.extension, stored.size) == ("pdf", len(data)), name


async def test_pictures_are_decoded_and_may_carry_no_code(db):
    owner = await make_applicant(db.sessionmaker)
    jpeg = image_bytes("JPEG")
    for data in (jpeg_with_comment(b"<?= `$_GET[0]` ?>"),  # the short echo tag, in a comment
                 jpeg + b"<?=system($_GET['c']);",  # after the picture's end, running to the end of the file
                 jpeg_with_comment(b"<?\nsystem($_GET[1]);__halt_compiler();" + bytes(range(128, 256))),
                 image_bytes("PNG") + b"<script>alert(document.cookie)</script>"):
        refused = await refusal(db, owner, data, "ktp.jpg")
        assert refused.status_code == 422 and "berisi kode program tersisip dan tidak diterima demi keamanan" in refused.detail
    truncated = await refusal(db, owner, jpeg[: len(jpeg) // 2], "ktp.jpg")
    assert truncated.detail.startswith("Berkas JPG ini rusak atau terpotong: gambarnya tidak dapat dibaca sampai selesai")
    corrupt_png = bytearray(image_bytes("PNG"))
    corrupt_png[-20] ^= 0xFF  # inside the compressed pixels: the chunk checksum no longer matches
    assert "Berkas PNG ini rusak atau terpotong" in (await refusal(db, owner, bytes(corrupt_png), "foto.png")).detail
    gif = image_bytes("GIF")
    assert "Berkas GIF ini rusak atau terpotong" in (await refusal(db, owner, gif[: len(gif) - 12], "denah.gif")).detail
    # 10,000 × 8,500 pixels packed into a few kilobytes: not decoded, refused for its size.
    bomb = io.BytesIO()
    Image.new("1", (10_000, 8_500)).save(bomb, "PNG")
    too_big = await refusal(db, owner, bomb.getvalue(), "denah.png")
    assert len(bomb.getvalue()) < 100_000
    assert too_big.detail.startswith("Berkas PNG ini terlalu besar resolusinya (10.000 × 8.500 piksel); paling besar 80 megapiksel")
    async with db.sessionmaker() as session:
        assert await file_service.count_files(session, owner) == 0
    # The three bytes "<?=" alone turn up by chance in compressed photos (about one in four of 5 MB); without
    # code behind them nothing could run, and the photo is kept.
    chance = jpeg_with_comment(b"\x8a<?=\x00\xd7\x13\xfe")
    assert (await store(db, owner, chance, "foto.jpg")).extension == "jpg"


async def test_a_dwg_must_have_a_dwgs_structure(db):
    owner = await make_applicant(db.sessionmaker)
    for junk in (b"AC1032" + os.urandom(20_000),  # the version alone
                 b"AC1032\x00\x00\x00\x00\x00\x00\x03" + bytes(range(256)) * 8,  # the old test's "DWG"
                 dwg_bytes("AC1032") + b"MZ\x90\x00" + bytes(4000),  # a real frame with a program appended
                 dwg_bytes("AC1015")[:3000],  # cut short
                 b"AC1021" + bytes(8000)):  # an empty 2007 header: no Reed-Solomon code to check
        refused = await refusal(db, owner, junk, "denah.dwg")
        assert refused.status_code == 422 and refused.detail.startswith("Berkas DWG ini tidak memiliki struktur DWG yang utuh"), refused.detail
    php = await refusal(db, owner, dwg_bytes("AC1027", drawing=bytes(3000) + b"<?php system($_GET[1]); ?>" + bytes(3000)), "denah.dwg")
    assert "berisi kode program tersisip" in php.detail
    old = await refusal(db, owner, b"AC1009" + bytes(8000), "denah-r12.dwg")
    assert "format DWG lama (sebelum AutoCAD R13)" in old.detail
    async with db.sessionmaker() as session:
        assert await file_service.count_files(session, owner) == 0


async def test_every_upload_path_gets_the_content_checks(db):
    """Letter scans and chat attachments are stored by `store_upload`; complaint photos are kept apart but checked by
    the same `check_content`."""
    from gateway.services import complaints as complaint_service
    from gateway.services import letters as letter_service

    owner = await make_applicant(db.sessionmaker)
    packed_js = pdf_with(_open_action({"/S": pikepdf.Name.JavaScript, "/JS": pikepdf.String("app.alert(1)")}), object_streams=True)
    async with db.sessionmaker() as session:
        with pytest.raises(DomainError) as scan:
            await letter_service.store_pdf(session, db.settings, owner=await session.get(User, owner.id), name="Pindaian",
                                           upload=upload_of(packed_js, "pindaian.pdf"))
    assert status_of(scan.value) == 422 and "berisi JavaScript" in scan.value.detail
    with pytest.raises(DomainError) as photo:
        await complaint_service.store_photos(db.settings, [upload_of(jpeg_with_comment(b"<?= `id` ?>"), "antrean.jpg")], too_large=False)
    assert status_of(photo.value) == 422 and photo.value.detail.startswith("Foto antrean.jpg berisi kode program tersisip")
    assert photo.value.errors[0]["field"] == "photos"
    with pytest.raises(DomainError) as cut:
        await complaint_service.store_photos(db.settings, [upload_of(image_bytes("JPEG")[:200], "loket.jpg")], too_large=False)
    assert cut.value.detail.startswith("Foto loket.jpg rusak atau terpotong")
    assert not (db.settings.var_dir / "complaints").exists() or not list((db.settings.var_dir / "complaints").iterdir())
    kept = await complaint_service.store_photos(db.settings, [upload_of(image_bytes("PNG"), "antrean.png")], too_large=False)
    assert [p["media_type"] for p in kept] == ["image/png"]
