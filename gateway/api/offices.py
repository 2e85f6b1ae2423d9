"""The offices of the installation, public: which offices there are and what each offers, so that a citizen (or a
client acting for one) picks the office a case goes to (`"office"` of POST /api/v1/permit-applications, of the
complaint, criticism and SIRAMASAKAN forms). The pages /kantor and /kantor/{code} show the same."""

from typing import Any

from fastapi import APIRouter

from gateway.api.schemas import Out
from gateway.deps import SessionDep
from gateway.services.office_access import public_offices

router = APIRouter(prefix="/api/v1", tags=["kantor"])


class OfficeOut(Out):
    code: str
    name: str
    short_name: str
    city: str
    processes: list[str]


@router.get("/offices", response_model=list[OfficeOut])
async def offices(session: SessionDep) -> list[dict[str, Any]]:
    """Kantor yang aktif di instalasi ini, dengan proses yang dilayani masing-masing (leave, permit, walk_in, letter,
    whatsapp, siramasakan, complaint). `code` dipakai pada isian `office` saat mengajukan permohonan."""
    # `session` is asked for so that the office directory is fresh (gateway/deps.py get_session).
    return [{"code": o.code, "name": o.defs.office.name, "short_name": o.defs.office.short_name, "city": o.defs.office.city,
             "processes": list(o.processes)} for o in public_offices()]
