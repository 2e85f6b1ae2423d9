"""File Saya over the API: upload (multipart `file` + `name`), list, read, download, delete."""

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel

from gateway.api.schemas import ERRORS, ErrorOut
from gateway.deps import CurrentUser, SessionDep, SettingsDep
from gateway.services import files as file_service

router = APIRouter(prefix="/api/v1", tags=["file saya"])


class FileOut(BaseModel):
    id: str
    name: str
    original_filename: str
    media_type: str
    extension: str
    size: int
    sha256: str
    created_at: str


class FileListOut(BaseModel):
    items: list[FileOut]
    total: int


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file", "name"],
            "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": f"PDF, JPG, PNG, GIF atau DWG, paling besar {file_service.MAX_MB} MB; jenis diperiksa dari isi berkas"},
                "name": {"type": "string", "maxLength": file_service.NAME_MAX, "description": "Nama dokumen, mis. \"KTP Direktur Utama\""},
            },
        }}},
    },
}


@router.post("/files", status_code=201, response_model=FileOut, openapi_extra=_UPLOAD_BODY,
             responses={401: ERRORS[401], 403: ERRORS[403], 413: {"model": ErrorOut, "description": "Berkas melebihi 50 MB"},
                        422: ERRORS[422]})
async def upload_file(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Unggah berkas ke File Saya. Jenis berkas ditentukan dari isinya, bukan dari namanya."""
    file_service.require_applicant(user)
    form = await file_service.read_upload_form(request)
    try:
        if form.too_large:
            raise file_service.too_large()
        stored = await file_service.store_upload(session, settings, owner=user, name=form.get("name"), upload=form.get("file"))
    finally:
        await form.close()
    return file_service.serialize(stored)


@router.get("/files", response_model=FileListOut, responses={401: ERRORS[401]})
async def list_files(user: CurrentUser, session: SessionDep, q: str | None = Query(default=None, max_length=100),
                     limit: int = Query(default=100, ge=1, le=500), offset: int = Query(default=0, ge=0, le=1_000_000)) -> dict[str, Any]:
    """Berkas milik pengguna, terbaru di atas; `q` mencari pada nama berkas."""
    items = await file_service.list_files(session, user, q=q, limit=limit, offset=offset)
    return {"items": [file_service.serialize(f) for f in items], "total": await file_service.count_files(session, user, q=q)}


@router.get("/files/{file_id}", response_model=FileOut, responses={401: ERRORS[401], 404: ERRORS[404]})
async def get_file(file_id: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    return file_service.serialize(await file_service.get_file_for(session, user, file_id))


@router.get("/files/{file_id}/content", response_class=FileResponse, responses={401: ERRORS[401], 404: ERRORS[404]})
async def file_content(file_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep,
                       download: bool = Query(default=False, description="true: selalu sebagai unduhan (attachment)")) -> Response:
    """Isi berkas. PDF dan gambar dibuka di peramban; DWG (dan `download=true`) diunduh."""
    file = await file_service.get_file_for(session, user, file_id)
    inline = not download and file.extension in ("pdf", "jpg", "png", "gif")
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    if file.extension != "pdf":  # browsers' PDF viewers do not run in a sandboxed document
        headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    return await file_service.stored_response(settings, file_service.file_key(file), media_type=file.media_type, what="Isi berkas",
                                              filename=file_service.download_name(file), disposition="inline" if inline else "attachment",
                                              headers=headers)


@router.delete("/files/{file_id}", status_code=204, responses={401: ERRORS[401], 404: ERRORS[404]})
async def delete_file(file_id: str, user: CurrentUser, session: SessionDep) -> Response:
    """Hapus berkas dari File Saya. Permohonan yang sudah melampirkannya tetap menyimpannya."""
    await file_service.delete_file(session, user, file_id)
    return Response(status_code=204)
