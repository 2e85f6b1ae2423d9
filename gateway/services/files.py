"""File Saya: the applicant's own library of uploaded files, reusable across applications (seed 003).

Uploads are typed by their content (libmagic), never by their name: PDF, JPG, PNG, GIF and DWG up to
50 MB, and then read whole the way a viewer would (`file_content`: a PDF parsed for active content, a
picture decoded, a DWG's header structure checked). A file is streamed to a temporary file in chunks and from
there into the storage (store/storage.py: the var dir, or an S3-compatible bucket shared by every replica), so a
large upload never sits in memory; the request body itself is capped before it is parsed (`read_upload_form`). Deleting
a file hides it from the library; the bytes stay, because applications that already attached it still refer to it.
"""

import hashlib
import logging
import os
import re
import tempfile
import unicodedata
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import magic
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import StreamingResponse

from gateway.services import file_content
from gateway.services.errors import Forbidden, NotFound, TooLarge, Unavailable, invalid, not_found
from process_defs.processes import BY_NAME
from store.models import ChatMessage, PermitApplication, PermitRevision, StoredFile, User, utcnow
from store.settings import Settings
from store.storage import UPLOADS, ObjectMissing, StorageError, discard, storage_for, upload_key

log = logging.getLogger(__name__)

MAX_MB = 50
MAX_BYTES = MAX_MB * 1024 * 1024
CHUNK_BYTES = 1024 * 1024
SNIFF_BYTES = 8192
NAME_MAX = 200
# An upload body up to this size is read to its end (beyond the limit, only counted) so the sender gets
# the readable 413 rather than a reset connection; a larger body is cut off at once.
DRAIN_MAX_BYTES = 2 * MAX_BYTES

ACCEPTED_TEXT = "PDF, JPG, PNG, GIF, DWG"
TOO_LARGE = f"Ukuran berkas melebihi {MAX_MB} MB. Perkecil berkas (misalnya pindai ulang dengan 150–200 DPI) lalu unggah kembali."
# Media type reported by libmagic → (extension, label). Aliases cover other libmagic builds.
ACCEPTED: dict[str, tuple[str, str]] = {
    "application/pdf": ("pdf", "PDF"),
    "application/x-pdf": ("pdf", "PDF"),
    "image/jpeg": ("jpg", "JPG"),
    "image/pjpeg": ("jpg", "JPG"),
    "image/png": ("png", "PNG"),
    "image/gif": ("gif", "GIF"),
    "image/vnd.dwg": ("dwg", "DWG"),
    "image/x-dwg": ("dwg", "DWG"),
    "application/acad": ("dwg", "DWG"),
    "application/x-acad": ("dwg", "DWG"),
    "application/dwg": ("dwg", "DWG"),
    "application/x-dwg": ("dwg", "DWG"),
}
MEDIA_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "dwg": "image/vnd.dwg"}
TYPE_LABELS = {"pdf": "PDF", "jpg": "JPG", "png": "PNG", "gif": "GIF", "dwg": "DWG"}
# What people call the types we refuse, so the refusal says what the file really is.
DETECTED_LABELS = {
    "text/x-php": "kode program PHP",
    "text/x-shellscript": "skrip shell",
    "text/x-python": "kode program Python",
    "text/x-script.python": "kode program Python",
    "text/html": "halaman web (HTML)",
    "text/xml": "dokumen XML",
    "application/xml": "dokumen XML",
    "image/svg+xml": "gambar SVG",
    "text/plain": "teks biasa",
    "text/csv": "tabel CSV",
    "application/javascript": "kode program JavaScript",
    "application/zip": "arsip ZIP",
    "application/x-rar": "arsip RAR",
    "application/vnd.rar": "arsip RAR",
    "application/x-7z-compressed": "arsip 7-Zip",
    "application/gzip": "arsip GZIP",
    "application/x-tar": "arsip TAR",
    "application/x-dosexec": "program Windows (EXE)",
    "application/x-executable": "program (executable)",
    "application/x-sharedlib": "program (executable)",
    "application/x-pie-executable": "program (executable)",
    "application/msword": "dokumen Word (DOC)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "dokumen Word (DOCX)",
    "application/vnd.ms-excel": "lembar kerja Excel (XLS)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "lembar kerja Excel (XLSX)",
    "application/vnd.ms-powerpoint": "presentasi PowerPoint (PPT)",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "presentasi PowerPoint (PPTX)",
    "application/vnd.oasis.opendocument.text": "dokumen OpenDocument (ODT)",
    "image/webp": "gambar WebP",
    "image/heic": "foto HEIC",
    "image/heif": "foto HEIF",
    "image/bmp": "gambar BMP",
    "image/x-ms-bmp": "gambar BMP",
    "image/tiff": "gambar TIFF",
    "video/mp4": "video MP4",
    "audio/mpeg": "audio MP3",
    "application/octet-stream": "data biner yang tidak dikenali",
}
# Roles that may read any applicant's file (the office examines attached documents).
STAFF_READERS = {"verifikator", "penandatangan", "admin"}


# --- who may do what -----------------------------------------------------------------------------


def can_read(user: User, file: StoredFile) -> bool:
    """The owner, and the office staff who examine applications. (The permit work may narrow staff
    access to files attached to applications they handle.) `get_file_for` also lets the participants
    of an application's chat read a file attached there (`in_conversation`)."""
    return file.owner_id == user.id or bool(STAFF_READERS & set(user.role_names))


async def in_conversation(session: AsyncSession, user: User, file: StoredFile) -> bool:
    """Whether `file` is attached to a chat message of an application `user` takes part in: that
    application's applicant, or office staff."""

    applicant_ids = set(await session.scalars(
        select(PermitApplication.applicant_id).join(ChatMessage, ChatMessage.application_id == PermitApplication.id)
        .where(ChatMessage.file_id == file.id)))
    return bool(applicant_ids) and (user.id in applicant_ids or user.is_staff_for(BY_NAME["permit"].staff_roles))


async def attached_in_office(session: AsyncSession, file: StoredFile) -> bool:
    """Whether `file` is attached (in any round) to an application the session reads: for staff, their own office's
    (store/offices.py), so an examiner of one office never opens what a citizen sent another."""
    applications = (await session.execute(select(PermitApplication.id, PermitApplication.documents)
                                          .where(PermitApplication.applicant_id == file.owner_id))).all()
    if any(file.id in (documents or {}).values() for _, documents in applications):
        return True
    ids = [application_id for application_id, _ in applications]
    if not ids:
        return False
    snapshots = await session.scalars(select(PermitRevision.snapshot).where(PermitRevision.application_id.in_(ids)))
    return any(file.id in ((snapshot or {}).get("documents") or {}).values() for snapshot in snapshots)


def require_applicant(user: User) -> None:
    if user.kind != "applicant":
        raise Forbidden("File Saya hanya tersedia bagi akun pemohon.", code="forbidden")


# --- upload -----------------------------------------------------------------------------------


def too_large() -> TooLarge:
    return TooLarge(TOO_LARGE, code="too_large", errors=[{"field": "file", "message": TOO_LARGE}])


class CappedMultiPartParser(MultiPartParser):
    """Starlette's multipart parser, except that a file part stops being written once it passes the
    limit (the rest is read and discarded), so the other fields are still there to show again."""

    def __init__(self, *args: Any, file_limit: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file_limit = file_limit
        self.too_large = False
        self._file_bytes: dict[int, int] = {}

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._current_part
        if part.file is not None:
            seen = self._file_bytes.get(id(part), 0) + (end - start)
            self._file_bytes[id(part)] = seen
            if seen > self.file_limit:
                self.too_large = True
                return
        super().on_part_data(data, start, end)


@dataclass
class UploadForm:
    """The fields of an upload form; `too_large` when a file passed the limit (its bytes were dropped)."""

    form: FormData
    too_large: bool = False

    def get(self, key: str) -> Any:
        return self.form.get(key)

    async def close(self) -> None:
        await self.form.close()


async def read_upload_form(request: Request) -> UploadForm:
    """The multipart form of an upload request, streamed: a file part is spooled to disk up to the limit
    and only counted beyond it, so a too-large upload is answered with the readable reason (and the
    other fields typed) without storing it. A body beyond twice the limit is cut off at once.
    The caller closes the form (`await form.close()`)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise invalid("Unggah berkas memakai formulir multipart/form-data dengan isian \"file\" dan \"name\".", field="file")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > DRAIN_MAX_BYTES:
        raise too_large()

    async def capped_stream() -> AsyncIterator[bytes]:
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > DRAIN_MAX_BYTES:
                raise too_large()
            yield chunk

    parser = CappedMultiPartParser(request.headers, capped_stream(), max_files=2, max_fields=10, file_limit=MAX_BYTES)
    try:
        form = await parser.parse()
    except MultiPartException:
        raise invalid("Data formulir unggah tidak terbaca. Pilih berkas lalu unggah ulang.", field="file") from None
    return UploadForm(form=form, too_large=parser.too_large)


def clean_filename(raw: str | None) -> str:
    """The file's own name as the browser sent it, without a path or control characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C").strip()
    return name[:300] or "berkas"


def detected_label(media_type: str, description: str) -> str:
    if media_type in DETECTED_LABELS:
        return DETECTED_LABELS[media_type]
    return f"{description.split(',')[0].strip()} ({media_type})" if description else media_type


def files_dir(settings: Settings) -> Path:
    """Where uploads are with the default local storage (tests look there); code goes through `storage_for`."""
    return settings.var_dir / UPLOADS


def file_key(file: StoredFile) -> str:
    return upload_key(file.id)


# --- reading from the storage -----------------------------------------------------------------------


def storage_unavailable() -> Unavailable:
    return Unavailable("Penyimpanan berkas sedang tidak dapat dihubungi. Silakan coba lagi beberapa saat lagi.",
                    code="storage_unavailable", retry_after=30)


def content_missing(what: str) -> NotFound:
    """The row is there but its bytes are not (a store restored without them, an object removed by hand)."""
    return NotFound(f"{what} tidak ditemukan di penyimpanan berkas. Hubungi petugas kantor layanan.", code="content_missing")


async def require_stored(settings: Settings, key: str, *, what: str) -> None:
    """Refuses, before anything is spent (a one-time download), when the object is not in the storage."""
    try:
        present = await storage_for(settings).exists(key)
    except StorageError as exc:
        log.warning("storage unavailable", extra={"storage": storage_for(settings).describe(), "error": str(exc)})
        raise storage_unavailable() from None
    if not present:
        raise content_missing(what)


async def read_stored(settings: Settings, key: str) -> bytes | None:
    """A whole (small) object, such as a document to verify; None when it is not in the storage."""
    try:
        return await storage_for(settings).get(key)
    except ObjectMissing:
        return None
    except StorageError as exc:
        log.warning("storage unavailable", extra={"storage": storage_for(settings).describe(), "error": str(exc)})
        raise storage_unavailable() from None


def content_disposition(disposition: str, filename: str) -> str:
    """As Starlette's FileResponse writes it: a plain name quoted, any other in RFC 5987 form."""
    quoted = quote(filename)
    return f"{disposition}; filename*=utf-8''{quoted}" if quoted != filename else f'{disposition}; filename="{filename}"'


async def stored_response(settings: Settings, key: str, *, media_type: str, what: str, filename: str | None = None,
                          disposition: str = "attachment", headers: dict[str, str] | None = None) -> StreamingResponse:
    """The object under `key` streamed to the client from whichever storage is configured, a chunk at a time. An
    object that is not there is a 404 in Bahasa (`content_missing`), the storage down a 503, never a 500."""
    try:
        stored = await storage_for(settings).open(key)
    except ObjectMissing:
        raise content_missing(what) from None
    except StorageError as exc:
        log.warning("storage unavailable", extra={"storage": storage_for(settings).describe(), "error": str(exc)})
        raise storage_unavailable() from None
    sent = {**(headers or {}), "Content-Length": str(stored.size)}
    if filename:
        sent["Content-Disposition"] = content_disposition(disposition, filename)
    return StreamingResponse(stored.chunks(), media_type=media_type, headers=sent)


def check_content(source: Path | bytes, extension: str, *, subject: str | None = None, field: str = "file") -> None:
    """Refuses (422, in Bahasa Indonesia) a file of an accepted type whose content cannot be kept: active content
    in a PDF, a picture that does not decode or carries code, a DWG without a DWG's structure. `subject` names the
    file in the sentence ("Berkas PDF ini", "Foto ktp.jpg"). Reads the whole file: call it off the event loop."""
    problem = file_content.problem(source, extension)
    if problem:
        raise invalid(f"{subject or f'Berkas {TYPE_LABELS[extension]} ini'} {problem}", field=field)


def check_name(name: Any) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise invalid("Nama berkas wajib diisi, misalnya \"KTP Direktur Utama\".", field="name")
    if len(text) > NAME_MAX:
        raise invalid(f"Nama berkas terlalu panjang: paling banyak {NAME_MAX} karakter.", field="name")
    return text


def _remove_temp(tmp: Path) -> None:
    """Removes an upload's local temp file. Synchronous on purpose: it is quick, and an await in the `finally` that
    calls it would not run in a cancelled request, leaving the file behind."""
    tmp.unlink(missing_ok=True)


async def store_upload(session: AsyncSession, settings: Settings, *, owner: User, name: str, upload: UploadFile) -> StoredFile:
    """Checks and stores one upload in the owner's library; commits. Refusals are DomainError with a
    reason in Bahasa Indonesia: empty, over 50 MB, not a PDF/JPG/PNG/GIF/DWG by its content, or content
    that fails `check_content`; a refused upload leaves nothing behind.
    Who may upload is the caller's check (File Saya: applicants, `require_applicant`)."""
    clean_name = check_name(name)
    if not isinstance(upload, UploadFile):
        raise invalid("Pilih berkas yang akan diunggah.", field="file")
    original = clean_filename(upload.filename)
    # Received into a private temporary file (checked there by reading it as a viewer would), then streamed into
    # the storage: the upload is never held in memory, and a refused one never reaches the storage.
    fd, tmp_name = tempfile.mkstemp(prefix=".unggah-")
    tmp = Path(tmp_name)
    storage = storage_for(settings)
    try:
        size, digest, head = 0, hashlib.sha256(), b""
        with os.fdopen(fd, "wb") as out:
            while chunk := await upload.read(CHUNK_BYTES):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise too_large()
                digest.update(chunk)
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                await run_in_threadpool(out.write, chunk)
        if size == 0:
            raise invalid("Berkas kosong (0 byte). Pilih berkas yang berisi dokumen.", field="file")
        media_type = magic.from_buffer(head, mime=True)
        accepted = ACCEPTED.get(media_type)
        if accepted is None:
            label = detected_label(media_type, magic.from_buffer(head))
            raise invalid(f"Berkas ini terdeteksi sebagai {label} — yang diterima: {ACCEPTED_TEXT}.", field="file")
        extension = accepted[0]
        await run_in_threadpool(check_content, tmp, extension)
        stored = StoredFile(id=uuid.uuid4().hex, owner_id=owner.id, name=clean_name, original_filename=original,
                            media_type=MEDIA_TYPES[extension], extension=extension, size=size, sha256=digest.hexdigest(),
                            created_at=utcnow())
        try:
            await storage.put_file(file_key(stored), tmp, stored.media_type)
        except StorageError as exc:
            log.warning("storage unavailable", extra={"storage": storage.describe(), "error": str(exc)})
            raise storage_unavailable() from None
    finally:
        _remove_temp(tmp)
    session.add(stored)
    try:
        await session.commit()
    except BaseException:
        await discard(storage, [file_key(stored)])
        raise
    return stored


# --- the library ----------------------------------------------------------------------------------


def _search(q: str | None) -> list:
    text = " ".join((q or "").split())[:100]
    if not text:
        return []
    like = "%" + re.sub(r"([\\%_])", r"\\\1", text.lower()) + "%"
    return [(func.lower(StoredFile.name).like(like, escape="\\")) | (func.lower(StoredFile.original_filename).like(like, escape="\\"))]


async def list_files(session: AsyncSession, owner: User, *, q: str | None = None, limit: int | None = None, offset: int = 0) -> list[StoredFile]:
    """The owner's files, newest first; `q` searches the name and the original file name."""
    stmt = (select(StoredFile).where(StoredFile.owner_id == owner.id, StoredFile.deleted_at.is_(None), *_search(q))
            .order_by(StoredFile.created_at.desc(), StoredFile.id))
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return list(await session.scalars(stmt))


async def count_files(session: AsyncSession, owner: User, *, q: str | None = None) -> int:
    return await session.scalar(select(func.count()).select_from(StoredFile).where(
        StoredFile.owner_id == owner.id, StoredFile.deleted_at.is_(None), *_search(q))) or 0


async def get_file_for(session: AsyncSession, user: User, file_id: str, *, include_deleted: bool = False) -> StoredFile:
    """A file `user` may read; 404 for anyone else, so another applicant cannot even learn it exists.
    A deleted file is gone from its owner's library; `include_deleted` serves one already attached to
    an application."""
    if not isinstance(file_id, str) or not file_id or len(file_id) > 40:
        raise not_found("Berkas")
    file = await session.get(StoredFile, file_id)
    if file is None or (file.deleted_at is not None and not include_deleted):
        raise not_found("Berkas")
    if file.owner_id == user.id:
        return file
    if not (can_read(user, file) and user.office_id is not None and await attached_in_office(session, file)) \
            and not await in_conversation(session, user, file):
        raise not_found("Berkas")
    return file


async def delete_file(session: AsyncSession, user: User, file_id: str) -> StoredFile:
    """Removes a file from its owner's library (soft delete: applications that attached it keep it)."""
    file = await get_file_for(session, user, file_id)
    if file.owner_id != user.id:
        raise not_found("Berkas")
    file.deleted_at = utcnow()
    await session.commit()
    return file


def check_against_requirement(file: StoredFile, requirement: Any) -> str | None:
    """Why this file cannot be attached for this requirement (catalog RequirementDef: `file_types`,
    `max_mb`), or None when it can. The library accepts all five types; a requirement may ask for fewer."""
    if file.deleted_at is not None:
        return f"berkas \"{file.name}\" telah dihapus dari File Saya."
    allowed = list(requirement.file_types)
    if file.extension not in allowed:
        wanted = " atau ".join(TYPE_LABELS.get(t, t.upper()) for t in allowed)
        return (f"berkas \"{file.name}\" adalah {TYPE_LABELS.get(file.extension, file.extension.upper())}, bukan {wanted} "
                f"(jenis berkas yang diterima untuk persyaratan ini: {', '.join(TYPE_LABELS.get(t, t) for t in allowed)}).")
    if file.size > requirement.max_mb * 1024 * 1024:
        return (f"ukuran berkas \"{file.name}\" {human_size(file.size)} melebihi batas {requirement.max_mb} MB untuk persyaratan ini.")
    return None


# --- presentation ---------------------------------------------------------------------------------


def human_size(size: int) -> str:
    """1,2 MB — Indonesian decimal comma."""
    if size < 1024:
        return f"{size} byte"
    for unit, factor in (("KB", 1024), ("MB", 1024 ** 2), ("GB", 1024 ** 3)):
        value = size / factor
        if value < 1024 or unit == "GB":
            text = f"{value:.1f}".rstrip("0").rstrip(".") if value < 100 else f"{value:.0f}"
            return f"{text.replace('.', ',')} {unit}"
    return f"{size} byte"


def download_name(file: StoredFile) -> str:
    """The name a download is saved under: the original name, with the extension its content has."""
    stem, dot, ext = file.original_filename.rpartition(".")
    if not dot or not stem:
        stem = file.original_filename
    same = ext.lower() == file.extension or (file.extension == "jpg" and ext.lower() in ("jpeg", "jpe", "jfif"))
    return file.original_filename if dot and stem and same else f"{stem}.{file.extension}"


def serialize(file: StoredFile) -> dict:
    return {"id": file.id, "name": file.name, "original_filename": file.original_filename, "media_type": file.media_type,
            "extension": file.extension, "size": file.size, "sha256": file.sha256, "created_at": file.created_at.isoformat()}
