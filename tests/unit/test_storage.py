"""One storage for every file (issue 15, item 4): the same contract from a local folder and from a real S3-protocol
server (moto in server mode on 127.0.0.1), and the settings that choose between them. What replicas see through it is
in tests/unit/test_storage_replicas.py."""

import hashlib
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from store.settings import Settings
from store.storage import (
    CHUNK_BYTES,
    LocalStorage,
    ObjectMissing,
    S3Storage,
    StorageError,
    check_key,
    document_key,
    storage_for,
    upload_key,
)
from tests.conftest import free_port
from tests.s3server import CREDENTIALS, bucket_keys


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    endpoint = request.getfixturevalue("moto_endpoint")
    return S3Storage(request.getfixturevalue("bucket"), prefix="kantor-a", endpoint_url=endpoint, region="us-east-1",
                     access_key_id=CREDENTIALS["s3_access_key_id"], secret_access_key=CREDENTIALS["s3_secret_access_key"])


# --- the contract, on both backends ------------------------------------------------------------------


async def test_put_get_replace_exists_delete(storage):
    key = document_key("abc123.pdf")
    assert not await storage.exists(key)
    await storage.put(key, b"%PDF-1.7 pertama", "application/pdf")
    assert await storage.exists(key)
    assert await storage.get(key) == b"%PDF-1.7 pertama"
    await storage.put(key, b"%PDF-1.7 kedua", "application/pdf")
    assert await storage.get(key) == b"%PDF-1.7 kedua"
    await storage.delete(key)
    assert not await storage.exists(key)
    await storage.delete(key)  # deleting what is not there is no error


async def test_a_missing_object_is_said_to_be_missing(storage):
    with pytest.raises(ObjectMissing) as missing:
        await storage.get(document_key("tidakada.pdf"))
    assert missing.value.key == "documents/tidakada.pdf"
    with pytest.raises(ObjectMissing):
        await storage.open(upload_key("0" * 32))


async def test_a_large_file_goes_in_and_comes_out_in_chunks(storage, tmp_path: Path):
    # 20 MB: above S3's multipart threshold, so the upload goes in parts; read back a chunk at a time.
    source = tmp_path / "besar.bin"
    with open(source, "wb") as out:
        for i in range(20):
            out.write(hashlib.sha256(str(i).encode()).digest() * (CHUNK_BYTES // 32))
    key = upload_key(uuid.uuid4().hex)
    await storage.put_file(key, source, "application/pdf")
    stored = await storage.open(key)
    assert stored.size == source.stat().st_size
    digest, sizes = hashlib.sha256(), []
    async for chunk in stored.chunks():
        digest.update(chunk)
        sizes.append(len(chunk))
    assert digest.hexdigest() == hashlib.sha256(source.read_bytes()).hexdigest()
    assert max(sizes) <= CHUNK_BYTES and len(sizes) >= 20


@pytest.mark.parametrize("key", ["../satupintu.db", "documents/../signing/dev-signing.key.pem", "/etc/passwd", "signing/dev-ca.key.pem",
                                 "payload.key", "documents/", "documents/.hidden", "documents/a\\..\\b", "files/../../x", "",
                                 "documents//x.pdf", "complaints/x\x00.jpg"])
async def test_keys_never_leave_the_stores_namespaces(storage, key):
    for call in (storage.get(key), storage.exists(key), storage.delete(key), storage.put(key, b"x")):
        with pytest.raises(ValueError):
            await call


async def test_s3_objects_sit_under_the_prefix(moto_endpoint, bucket):
    storage = S3Storage(bucket, prefix="/kantor-a/", endpoint_url=moto_endpoint, region="us-east-1",
                        access_key_id=CREDENTIALS["s3_access_key_id"], secret_access_key=CREDENTIALS["s3_secret_access_key"])
    await storage.put(document_key("x1.pdf"), b"%PDF")
    assert bucket_keys(moto_endpoint, bucket) == ["kantor-a/documents/x1.pdf"]


async def test_an_unreachable_store_or_missing_bucket_is_a_storage_error_not_a_missing_object(moto_endpoint):
    gone = S3Storage("satupintu", endpoint_url=f"http://127.0.0.1:{free_port()}", region="us-east-1",
                     access_key_id="x", secret_access_key="y")
    with pytest.raises(StorageError) as down:
        await gone.get(document_key("x.pdf"))
    assert not isinstance(down.value, ObjectMissing)
    no_bucket = S3Storage(f"tidak-ada-{uuid.uuid4().hex[:8]}", endpoint_url=moto_endpoint, region="us-east-1",
                          access_key_id=CREDENTIALS["s3_access_key_id"], secret_access_key=CREDENTIALS["s3_secret_access_key"])
    with pytest.raises(StorageError) as unknown:
        await no_bucket.put(document_key("x.pdf"), b"%PDF")
    assert not isinstance(unknown.value, ObjectMissing) and "NoSuchBucket" in str(unknown.value)


# --- chosen by the settings --------------------------------------------------------------------------


def test_settings_choose_the_storage(tmp_path: Path):
    default = storage_for(Settings(var_dir=tmp_path))
    assert isinstance(default, LocalStorage) and default.root == tmp_path  # earlier releases' layout: var/documents, var/files
    folder = storage_for(Settings(var_dir=tmp_path, storage_url="file:///srv/satupintu%20berkas"))
    assert isinstance(folder, LocalStorage) and folder.root == Path("/srv/satupintu berkas")
    s3 = storage_for(Settings(var_dir=tmp_path, storage_url="s3://arsip/kantor-a", s3_endpoint_url="http://minio:9000", **CREDENTIALS))
    assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix, s3.endpoint_url) == ("arsip", "kantor-a", "http://minio:9000")
    assert "satupintu-test-secret" not in s3.describe()
    for wrong in ("http://minio:9000/arsip", "file://relatif/berkas", "s3://", "/var/lib/satupintu"):
        with pytest.raises(ValidationError):
            Settings(var_dir=tmp_path, storage_url=wrong)
    assert Settings(var_dir=tmp_path).effective_signing_dir == tmp_path / "signing"
    assert Settings(var_dir=tmp_path, signing_dir="/etc/satupintu/signing").effective_signing_dir == Path("/etc/satupintu/signing")
    with pytest.raises(ValueError):
        check_key("signing/officials/budi.key.pem")


