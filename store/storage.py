"""One storage for every file the office keeps: uploads (File Saya, chat attachments, letter scans and softcopies),
complaint photos and issued documents (letters, permits, receipts, berita acara, disposition sheets).

Two backends behind the same interface, chosen by `SATUPINTU_STORAGE_URL` (store/settings.py):

- `LocalStorage`: a folder. The default is the var dir itself, so the embedded stack keeps the layout earlier
  releases wrote (`documents/<code>.pdf`, `files/<id>`, `complaints/<uuid>.<ext>`) and their rows keep working.
- `S3Storage`: an S3-compatible bucket (MinIO, Ceph RGW, a cloud bucket), shared by every gateway and worker on
  every host: what a worker renders, any gateway serves.

Keys are relative and made by the helpers below from names this installation chose (document codes, uuids),
never from what a user typed; `check_key` refuses anything else, so a key cannot leave its namespace (no `..`, no
absolute path, no other folder of the var dir such as the signing keys or the database).

Officials' signing keys never go through here: they stay on a local path of their own (`signing_dir`), which a
container mounts read-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import unquote, urlparse

if TYPE_CHECKING:
    from store.settings import Settings

CHUNK_BYTES = 1024 * 1024
# The folders of the store. Nothing else of the var dir can be named by a key.
DOCUMENTS = "documents"
UPLOADS = "files"
COMPLAINT_PHOTOS = "complaints"
# What an office's administrators upload for it (its logo).
OFFICE_FILES = "offices"
NAMESPACES = frozenset({DOCUMENTS, UPLOADS, COMPLAINT_PHOTOS, OFFICE_FILES})
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class StorageError(Exception):
    """The store could not be reached or refused the request (network, credentials, missing bucket)."""


class ObjectMissing(StorageError):
    """No object under this key: never written, deleted, or lost with a backup restored without it."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no object stored under {key!r}")
        self.key = key


def check_key(key: str) -> str:
    """`key` if it names an object inside one of the store's namespaces, else ValueError."""
    if not isinstance(key, str):
        raise ValueError("storage key must be a string")
    parts = key.split("/")
    if len(parts) < 2 or parts[0] not in NAMESPACES or not all(_SEGMENT.match(p) for p in parts[1:]):
        raise ValueError(f"not a storage key: {key!r}")
    return key


def document_key(file_name: str) -> str:
    """Where an issued document lives: the `document.file_name` column holds the name within `documents/`."""
    return check_key(f"{DOCUMENTS}/{file_name}")


def upload_key(file_id: str) -> str:
    """Where an uploaded file (`stored_file.id`) lives."""
    return check_key(f"{UPLOADS}/{file_id}")


def complaint_photo_key(file_name: str) -> str:
    """Where a complaint photo lives: the `file` of an entry in `complaint.photos`."""
    return check_key(f"{COMPLAINT_PHOTOS}/{file_name}")


def office_file_key(office_code: str, file_name: str) -> str:
    """Where a file of an office lives (`office.logo_key`): a new name for every upload, so a run that printed the
    old logo keeps finding it."""
    return check_key(f"{OFFICE_FILES}/{office_code}/{file_name}")


@dataclass
class StoredObject:
    """An object opened for reading: its size, and its bytes a chunk at a time. Reading to the end closes it;
    a reader that stops early calls `aclose`."""

    size: int
    _read: Callable[[int], bytes]
    _close: Callable[[], None]

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            while chunk := await asyncio.to_thread(self._read, CHUNK_BYTES):
                yield chunk
        finally:
            # Synchronous: a generator left by a client that went away is finalised where no await may run.
            self._close()

    async def aclose(self) -> None:
        await asyncio.to_thread(self._close)


class Storage(ABC):
    """Put, get, stream, test and delete objects by key. Every method is async; blocking I/O runs in threads."""

    @abstractmethod
    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Stores `data` under `key`, replacing what was there; readers see the old object or the new, never half."""

    @abstractmethod
    async def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> None:
        """Stores the local file `path` under `key`, streamed from disk (a 50 MB upload is never held in memory)."""

    @abstractmethod
    async def open(self, key: str) -> StoredObject:
        """Opens the object for reading; ObjectMissing when there is none."""

    async def get(self, key: str) -> bytes:
        """The whole object; ObjectMissing when there is none. For documents and photos (small); stream the rest."""
        stored = await self.open(key)
        return b"".join([chunk async for chunk in stored.chunks()])

    @abstractmethod
    async def exists(self, key: str) -> bool: ...

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Removes the object; nothing happens when there is none."""

    @abstractmethod
    def describe(self) -> str:
        """Where the objects are, for logs and error messages (no credentials)."""


# --- a local folder --------------------------------------------------------------------------------


class LocalStorage(Storage):
    """Objects as files under `root` (`root/<key>`), written atomically (temporary file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _write(self, key: str, fill: Callable[[BinaryIO], object]) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                fill(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        await asyncio.to_thread(self._write, key, lambda out: out.write(data))

    async def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> None:
        def copy(out: BinaryIO) -> None:
            with open(path, "rb") as source:
                shutil.copyfileobj(source, out, CHUNK_BYTES)

        await asyncio.to_thread(self._write, key, copy)

    async def open(self, key: str) -> StoredObject:
        path = self.path(key)

        def opened() -> tuple[BinaryIO, int]:
            try:
                fh = open(path, "rb")
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                raise ObjectMissing(key) from None
            return fh, os.fstat(fh.fileno()).st_size

        fh, size = await asyncio.to_thread(opened)
        return StoredObject(size=size, _read=fh.read, _close=fh.close)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).is_file)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)

    def describe(self) -> str:
        return f"file://{self.root}"


# --- S3-compatible object storage -------------------------------------------------------------------


class S3Storage(Storage):
    """Objects in an S3-compatible bucket under `prefix`. boto3's client is thread-safe: one per process, used from
    worker threads so the event loop never waits on the network. The bucket must exist (the operator creates it)."""

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None, region: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None) -> None:
        import boto3  # noqa: PLC0415 - only installations that use S3 pay for importing it
        from boto3.s3.transfer import TransferConfig  # noqa: PLC0415 - boto3, as above
        from botocore.config import Config  # noqa: PLC0415 - boto3, as above

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url or None
        # MinIO and Ceph answer on one host name (path-style); AWS picks its own style.
        # Checksums only where S3 requires them: several S3-compatible servers refuse the CRC headers that newer
        # boto3 sends on every request by default.
        config = Config(signature_version="s3v4", s3={"addressing_style": "path" if self.endpoint_url else "auto"},
                        retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60,
                        request_checksum_calculation="when_required", response_checksum_validation="when_required")
        # A 50 MB upload goes in 8 MB parts, two at a time: bounded memory however large the file.
        self.transfer = TransferConfig(multipart_threshold=8 * CHUNK_BYTES, multipart_chunksize=8 * CHUNK_BYTES, max_concurrency=2)
        # Empty credentials fall back to boto3's own chain (AWS_* variables, an instance or pod role).
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint_url, region_name=region or None, config=config,
            aws_access_key_id=access_key_id or None, aws_secret_access_key=secret_access_key or None)

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    async def _call(self, key: str, method: str, **kwargs: Any) -> Any:
        from boto3.exceptions import Boto3Error  # noqa: PLC0415 - boto3 only for the installations that use S3
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - boto3 only for the installations that use S3

        try:
            return await asyncio.to_thread(getattr(self.client, method), **kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if str(error.get("Code")) in ("NoSuchKey", "404", "NotFound"):
                raise ObjectMissing(key) from None
            raise StorageError(f"{self.describe()}: {method} {key}: {error.get('Code')} {error.get('Message', '')}".strip()) from None
        except (BotoCoreError, Boto3Error, OSError) as exc:
            raise StorageError(f"{self.describe()}: {method} {key}: {type(exc).__name__}: {exc}") from None

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        await self._call(key, "put_object", Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)

    async def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> None:
        # upload_file reads the file in parts (multipart above 8 MB), never all of it at once.
        await self._call(key, "upload_file", Filename=str(path), Bucket=self.bucket, Key=self._key(key),
                         ExtraArgs={"ContentType": content_type}, Config=self.transfer)

    async def open(self, key: str) -> StoredObject:
        answer = await self._call(key, "get_object", Bucket=self.bucket, Key=self._key(key))
        body = answer["Body"]
        return StoredObject(size=int(answer["ContentLength"]), _read=body.read, _close=body.close)

    async def exists(self, key: str) -> bool:
        try:
            await self._call(key, "head_object", Bucket=self.bucket, Key=self._key(key))
        except ObjectMissing:
            return False
        return True

    async def delete(self, key: str) -> None:
        await self._call(key, "delete_object", Bucket=self.bucket, Key=self._key(key))

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{where} ({self.endpoint_url})" if self.endpoint_url else where


# --- chosen by the settings -------------------------------------------------------------------------


def parse_storage_url(url: str) -> tuple[str, str, str]:
    """("file", absolute folder, "") or ("s3", bucket, prefix) for a storage URL; "" means the var dir.
    ValueError with the reason for anything else."""
    text = (url or "").strip()
    if not text:
        return "file", "", ""
    parsed = urlparse(text)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ValueError("SATUPINTU_STORAGE_URL file://: give an absolute folder, e.g. file:///var/lib/satupintu/files")
        folder = unquote(parsed.path)
        if not folder.startswith("/"):
            raise ValueError("SATUPINTU_STORAGE_URL file://: give an absolute folder, e.g. file:///var/lib/satupintu/files")
        return "file", folder, ""
    if parsed.scheme == "s3":
        if not parsed.netloc or parsed.query or parsed.fragment:
            raise ValueError("SATUPINTU_STORAGE_URL s3://: give the bucket and an optional prefix, e.g. s3://satupintu/files")
        return "s3", parsed.netloc, parsed.path.strip("/")
    raise ValueError("SATUPINTU_STORAGE_URL must start with file:/// (a folder) or s3:// (an S3-compatible bucket)")


def storage_for(settings: Settings) -> Storage:
    """The store these settings name; one per distinct configuration per process."""
    return _storage(settings.storage_url, str(settings.var_dir), settings.s3_endpoint_url, settings.s3_region,
                    settings.s3_access_key_id, settings.s3_secret_access_key)


@functools.lru_cache(maxsize=32)
def _storage(url: str, var_dir: str, endpoint_url: str, region: str, access_key_id: str, secret_access_key: str) -> Storage:
    kind, where, prefix = parse_storage_url(url)
    if kind == "s3":
        return S3Storage(where, prefix=prefix, endpoint_url=endpoint_url, region=region, access_key_id=access_key_id,
                         secret_access_key=secret_access_key)
    return LocalStorage(Path(where or var_dir))


async def discard(storage: Storage, keys: list[str]) -> None:
    """Deletes objects that turned out not to be needed (an upload whose row was not written); a failure leaves an
    orphan object behind, which is harmless, rather than hiding the error that caused the clean-up."""
    for key in keys:
        with contextlib.suppress(StorageError):
            await storage.delete(key)
