"""File Saya (seed 003 §3.2.3): the applicant's file library — search, upload with a name, open,
delete. Uses the same service as the API, so both refuse the same files with the same reasons."""

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import CurrentUser, SessionDep, SettingsDep
from gateway.errors import DomainError, status_of
from gateway.pages.framework import FLASH, PAGE_SIZE, SameOrigin, _field, _field_errors, _redirect, _render, _safe_next, _with_flash, templates
from gateway.services import files as file_service
from store.models import User

router = APIRouter(include_in_schema=False)

FILE_FLASH = {
    "berkas-diunggah": "Upload berhasil. Berkas tersimpan di File Saya dan siap dilampirkan pada permohonan.",
    "berkas-dihapus": "Berkas telah dihapus dari File Saya. Permohonan yang sudah melampirkannya tidak terpengaruh.",
}
TYPE_NAMES = {"pdf": "PDF", "jpg": "JPG", "png": "PNG", "gif": "GIF", "dwg": "DWG"}

templates.env.filters.setdefault("ukuran_berkas", file_service.human_size)


async def _files_page(request: Request, session: Any, user: User, *, values: dict | None = None, error: str | None = None,
                      field_errors: dict | None = None, status_code: int = 200) -> Response:
    q = " ".join(request.query_params.get("q", "").split())[:100]
    raw_page = request.query_params.get("halaman", "1")
    total = await file_service.count_files(session, user, q=q or None)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(int(raw_page), pages) if raw_page.isdigit() and int(raw_page) > 0 else 1
    items = await file_service.list_files(session, user, q=q or None, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    code = request.query_params.get("pesan", "")
    values = values or {}
    ctx = {
        "items": [{**file_service.serialize(f), "created": f.created_at, "type": TYPE_NAMES.get(f.extension, f.extension.upper()),
                   "viewable": f.extension != "dwg"} for f in items],
        "total": total, "q": q, "page": page, "pages": pages, "active": "file_saya",
        "page_url": lambda n: "/file-saya?" + urlencode({**({"q": q} if q else {}), "halaman": n}),
        "values": {"name": values.get("name", ""), "next": values.get("next") or _safe_next(request.query_params.get("next"), "")},
        "error": error, "field_errors": field_errors or {},
        "accepted": file_service.ACCEPTED_TEXT, "max_mb": file_service.MAX_MB, "max_bytes": file_service.MAX_BYTES,
        "name_max": file_service.NAME_MAX, "too_large": file_service.TOO_LARGE,
        "flash": FILE_FLASH.get(code) or FLASH.get(code),
    }
    return await _render(request, "pages/files/index.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/file-saya")
async def files_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    file_service.require_applicant(user)
    return await _files_page(request, session, user)


@router.post("/file-saya")
async def upload_from_page(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    file_service.require_applicant(user)
    try:
        form = await file_service.read_upload_form(request)
    except DomainError as exc:
        return await _files_page(request, session, user, error=exc.detail, field_errors={"file": exc.detail}, status_code=status_of(exc))
    values = {"name": _field(form, "name", 500), "next": _safe_next(_field(form, "next", 500), "")}
    try:
        if form.too_large:
            raise file_service.too_large()
        stored = await file_service.store_upload(session, settings, owner=user, name=form.get("name"), upload=form.get("file"))
    except DomainError as exc:
        errors = _field_errors(exc) or {"file": exc.detail}
        return await _files_page(request, session, user, values=values, error=exc.detail, field_errors=errors, status_code=status_of(exc))
    finally:
        await form.close()
    if values["next"]:  # back to the page that sent the applicant here (e.g. the application form), with the new file's id
        return _redirect(f"{values['next']}{'&' if '?' in values['next'] else '?'}berkas={stored.id}")
    return _redirect(_with_flash("/file-saya", "berkas-diunggah") + f"#berkas-{stored.id}")


@router.post("/file-saya/{file_id}/hapus")
async def delete_from_page(file_id: str, user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    file_service.require_applicant(user)
    await file_service.delete_file(session, user, file_id)
    return _redirect(_with_flash("/file-saya", "berkas-dihapus"))
