"""Replicas that share nothing but the database, the bucket and the (read-only mounted) signing folder (issue 15,
item 4): a letter a worker rendered on one host is downloaded, verified and mailed from another host; an upload through
one gateway is read through the other; an object gone from the storage is a 404 in Bahasa, not a plain-text 500; the
officials' signing keys stay in their own folder, never in the bucket. The bucket is a real S3-protocol server (moto)."""

import email
import email.policy
import hashlib
import mailbox
import os
import uuid

import httpx
import pytest
from temporalio.testing import ActivityEnvironment

from activities.documents import DocumentActivities
from activities.notify import NotifyActivities
from cli.seed import DEMO_APPLICANT
from contracts import NotifyInput, Person
from store.settings import Settings
from tests.factories import login, user
from tests.s3server import CREDENTIALS, bucket_keys, s3_client
from tests.unit.test_documents import leave_input
from tests.unit.test_files import pdf_bytes

# --- two hosts that share only the bucket and the database -------------------------------------------


@pytest.fixture
def hosts(db, moto_endpoint, bucket, tmp_path):
    """Settings of two hosts: each its own var dir, the same database, bucket and (read-only mounted) signing folder."""
    shared = {"storage_url": f"s3://{bucket}/satupintu", "s3_endpoint_url": moto_endpoint, "signing_dir": tmp_path / "signing-mount",
              **CREDENTIALS}
    first = db.settings.model_copy(update={**shared, "var_dir": tmp_path / "host-a"})
    second = db.settings.model_copy(update={**shared, "var_dir": tmp_path / "host-b"})
    return first, second


async def gateway(settings: Settings):
    from gateway.app import create_app

    app = create_app(settings)
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    return lifespan, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def render_leave_letter(db, settings: Settings):
    employee = await user(db.sessionmaker, "pegawai1")
    inp = leave_input(f"leave-{uuid.uuid4().hex[:8]}:letter")
    inp.employee = Person(id=employee.id, username=employee.username, full_name=employee.full_name, nip=employee.nip,
                          position=employee.position)
    return await DocumentActivities(settings, db.sessionmaker).render_leave_letter(inp)


async def test_a_letter_rendered_on_one_host_is_downloaded_verified_and_mailed_from_another(db, hosts, moto_endpoint, bucket, tmp_path):
    worker_host, gateway_host = hosts
    result = await render_leave_letter(db, worker_host)
    # In the bucket, under its key; on neither host's disk; the signing keys stayed in their own folder.
    assert bucket_keys(moto_endpoint, bucket) == [f"satupintu/documents/{result.document_id}.pdf"]
    assert not (worker_host.var_dir / "documents").exists() and not (worker_host.var_dir / "signing").exists()
    assert (tmp_path / "signing-mount" / "dev-signing.key.pem").exists()

    lifespan, http = await gateway(gateway_host)
    try:
        me = await login(http, "pegawai1")
        pdf = await http.get(f"/dokumen/{result.document_id}.pdf", headers=me)
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        assert hashlib.sha256(pdf.content).hexdigest() == result.sha256
        assert pdf.headers["content-length"] == str(len(pdf.content))
        assert 'filename*=utf-8' in pdf.headers["content-disposition"] or "filename=" in pdf.headers["content-disposition"]
        # The verification page of the other host reads the same bytes and checks the signature.
        verified = (await http.get(f"/api/v1/documents/{result.document_id}/verification")).json()
        assert verified["signature"]["intact"] is True and verified["signature"]["valid"] is True
    finally:
        await http.aclose()
        await lifespan.__aexit__(None, None, None)
    assert not (gateway_host.var_dir / "documents").exists()

    # The e-mail that carries the letter, sent by a worker on the second host, attaches the stored PDF.
    employee = await user(db.sessionmaker, "pegawai1")
    message = NotifyInput(idempotency_key=f"mail-{result.document_id}", subject="Surat izin cuti", body="Surat terlampir.",
                          recipient_ids=[employee.id], channels=["email"], attachment_document_id=result.document_id)
    await ActivityEnvironment().run(NotifyActivities(gateway_host, db.sessionmaker).notify, message)
    box = mailbox.Maildir(db.settings.var_dir / "mail", factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default),
                          create=False)
    sent = [m for m in box if m["X-SatuPintu-Idempotency-Key"] == f"{message.idempotency_key}|{employee.id}"]
    assert len(sent) == 1
    attachments = list(sent[0].iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["application/pdf"]
    assert hashlib.sha256(attachments[0].get_content()).hexdigest() == result.sha256


async def test_an_upload_through_one_gateway_is_read_through_the_other(db, hosts, moto_endpoint, bucket):
    first, second = hosts
    lifespan_a, http_a = await gateway(first)
    lifespan_b, http_b = await gateway(second)
    try:
        me_a = await login(http_a, DEMO_APPLICANT["nik"])
        me_b = await login(http_b, DEMO_APPLICANT["nik"])
        data = pdf_bytes("KTP Direktur Utama")
        stored = await http_a.post("/api/v1/files", headers=me_a, data={"name": "KTP Direktur"},
                                   files={"file": ("ktp.pdf", data, "application/octet-stream")})
        assert stored.status_code == 201, stored.text
        file_id = stored.json()["id"]
        assert bucket_keys(moto_endpoint, bucket) == [f"satupintu/files/{file_id}"]
        assert not (first.var_dir / "files").exists()

        content = await http_b.get(f"/api/v1/files/{file_id}/content", headers=me_b)
        assert content.status_code == 200, content.text
        assert content.content == data and content.headers["content-type"] == "application/pdf"
        assert content.headers["content-disposition"] == 'inline; filename="ktp.pdf"'
        assert content.headers["x-content-type-options"] == "nosniff"

        # Gone from the bucket (a restore without it): the API says so in Bahasa, with its code.
        s3_client(moto_endpoint).delete_object(Bucket=bucket, Key=f"satupintu/files/{file_id}")
        gone = await http_b.get(f"/api/v1/files/{file_id}/content", headers=me_b)
        assert gone.status_code == 404 and gone.json() == {
            "detail": "Isi berkas tidak ditemukan di penyimpanan berkas. Hubungi petugas kantor layanan.", "code": "content_missing", "errors": []}
    finally:
        for http, lifespan in ((http_a, lifespan_a), (http_b, lifespan_b)):
            await http.aclose()
            await lifespan.__aexit__(None, None, None)


async def test_an_object_gone_from_the_store_is_a_404_in_bahasa_not_a_500(db, hosts, moto_endpoint, bucket):
    worker_host, gateway_host = hosts
    result = await render_leave_letter(db, worker_host)
    s3_client(moto_endpoint).delete_object(Bucket=bucket, Key=f"satupintu/documents/{result.document_id}.pdf")
    lifespan, http = await gateway(gateway_host)
    try:
        me = await login(http, "pegawai1")
        gone = await http.get(f"/dokumen/{result.document_id}.pdf", headers=me)
        # /dokumen/ is a page address: the refusal is a page, in Bahasa.
        assert gone.status_code == 404 and gone.headers["content-type"].startswith("text/html")
        assert "Isi dokumen tidak ditemukan di penyimpanan berkas. Hubungi petugas kantor layanan." in gone.text
        # The register still answers for the code; the signature cannot be shown intact without the file.
        verified = await http.get(f"/api/v1/documents/{result.document_id}/verification")
        assert verified.status_code == 200 and verified.json()["signature"]["intact"] is False
    finally:
        await http.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_a_file_gone_from_the_local_folder_is_a_404_in_bahasa_not_a_500(db, client):
    # The default storage (the var dir), as the embedded stack runs it.
    result = await render_leave_letter(db, db.settings)
    (db.settings.var_dir / "documents" / f"{result.document_id}.pdf").unlink()
    gone = await client.get(f"/dokumen/{result.document_id}.pdf", headers=await login(client, "pegawai1"))
    assert gone.status_code == 404 and "Isi dokumen tidak ditemukan di penyimpanan berkas" in gone.text


async def test_signing_keys_live_in_their_own_folder_never_in_the_storage(db, tmp_path, moto_endpoint, bucket):
    signing = tmp_path / "etc-signing"
    settings = db.settings.model_copy(update={"storage_url": f"s3://{bucket}", "s3_endpoint_url": moto_endpoint, **CREDENTIALS,
                                              "signing_dir": signing, "var_dir": tmp_path / "fresh-var"})
    result = await render_leave_letter(db, settings)
    assert sorted(p.name for p in signing.iterdir()) == ["dev-ca.cert.pem", "dev-ca.key.pem", "dev-signing.cert.pem", "dev-signing.key.pem"]
    assert bucket_keys(moto_endpoint, bucket) == [f"documents/{result.document_id}.pdf"]
    assert not (tmp_path / "fresh-var" / "signing").exists()
    assert oct(os.stat(signing / "dev-signing.key.pem").st_mode & 0o777) == "0o600"


async def test_a_complaint_photo_kept_by_one_gateway_is_shown_by_the_other(db, hosts, moto_endpoint, bucket):
    import io

    from PIL import Image
    from starlette.datastructures import Headers, UploadFile

    from gateway.services import complaints as complaint_service
    from store.models import Complaint

    first, second = hosts
    picture = io.BytesIO()
    Image.new("RGB", (6, 4), (200, 30, 30)).save(picture, "PNG")
    upload = UploadFile(file=io.BytesIO(picture.getvalue()), filename="antrean.png", headers=Headers({"content-type": "image/png"}))
    photos = await complaint_service.store_photos(first, [upload], too_large=False)
    assert bucket_keys(moto_endpoint, bucket) == [f"satupintu/complaints/{photos[0]['file']}"]
    # A row is data: one whose photo names a file outside the photos' folder must not be served.
    forged = {**photos[0], "file": "../satupintu.db"}
    complaints_officer = await user(db.sessionmaker, "pengaduan1")
    async with db.sessionmaker() as session, session.begin():
        session.add(Complaint(office_id=complaints_officer.office_id, tracking_number="ADU-STRG23", workflow_id="complaint-ADU-STRG23", channel="web",
                              category="pelayanan",
                              title="Antrean", content="Antrean panjang", photos=[photos[0], forged], stage="verification",
                              status="verifying", escalations=0))
    lifespan, http = await gateway(second)
    try:
        staff = await login(http, "pengaduan1")
        shown = await http.get("/pengaduan/ADU-STRG23/foto/0", headers=staff)
        assert shown.status_code == 200 and shown.content == picture.getvalue() and shown.headers["content-type"] == "image/png"
        assert (await http.get("/pengaduan/ADU-STRG23/foto/1", headers=staff)).status_code == 404
    finally:
        await http.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_a_storage_that_cannot_be_reached_is_a_503_in_bahasa(db, hosts):
    from tests.conftest import free_port

    first, _ = hosts
    unreachable = first.model_copy(update={"s3_endpoint_url": f"http://127.0.0.1:{free_port()}"})
    lifespan_a, http_a = await gateway(first)
    lifespan_down, http_down = await gateway(unreachable)
    try:
        me = await login(http_a, DEMO_APPLICANT["nik"])
        stored = await http_a.post("/api/v1/files", headers=me, data={"name": "KTP"},
                                   files={"file": ("ktp.pdf", pdf_bytes(), "application/octet-stream")})
        assert stored.status_code == 201, stored.text
        down = await http_down.get(f"/api/v1/files/{stored.json()['id']}/content", headers=me)
        assert down.status_code == 503 and down.json()["code"] == "storage_unavailable" and down.headers["retry-after"] == "30"
        assert down.json()["detail"] == "Penyimpanan berkas sedang tidak dapat dihubungi. Silakan coba lagi beberapa saat lagi."
        refused = await http_down.post("/api/v1/files", headers=me, data={"name": "KTP"},
                                       files={"file": ("ktp.pdf", pdf_bytes(), "application/octet-stream")})
        assert refused.status_code == 503 and refused.json()["code"] == "storage_unavailable"
        assert (await http_a.get("/api/v1/files", headers=me)).json()["total"] == 1  # the refused upload left no row
    finally:
        for http, lifespan in ((http_a, lifespan_a), (http_down, lifespan_down)):
            await http.aclose()
            await lifespan.__aexit__(None, None, None)
