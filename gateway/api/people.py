from typing import Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api.schemas import ERRORS, Out, SubstitutionBody
from gateway.deps import CurrentUser, SessionDep
from gateway.services import people
from store.models import Notification, Substitution, User

router = APIRouter(prefix="/api/v1", tags=["pegawai"])


class ColleagueOut(Out):
    username: str
    full_name: str
    position: str | None


class SubstitutionOut(Out):
    id: int
    official: str | None
    acting: str | None
    official_id: int
    acting_id: int
    start_date: str
    end_date: str
    reason: str
    source: str
    cancelled: bool


class SubstitutionListOut(Out):
    items: list[SubstitutionOut]


class NotificationOut(Out):
    id: int
    subject: str
    body: str
    link: str | None
    created_at: str
    read: bool
    read_at: str | None


class NotificationListOut(Out):
    items: list[NotificationOut]
    total: int
    unread: int


class MarkedOut(Out):
    marked: int


def _substitution(sub: Substitution, names: dict[int, str]) -> dict[str, Any]:
    return {"id": sub.id, "official": names.get(sub.official_id), "acting": names.get(sub.acting_id),
            "official_id": sub.official_id, "acting_id": sub.acting_id,
            "start_date": sub.start_date.isoformat(), "end_date": sub.end_date.isoformat(), "reason": sub.reason,
            "source": sub.source, "cancelled": sub.cancelled_at is not None}


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    return {u.id: u.full_name for u in await session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


@router.get("/colleagues", response_model=list[ColleagueOut], responses={401: ERRORS[401], 403: ERRORS[403]})
async def colleagues(user: CurrentUser, session: SessionDep) -> list[dict[str, Any]]:
    """Pegawai lain yang dapat ditunjuk sebagai Plh. atau penerima delegasi (hanya untuk pegawai).
    Nama pengguna untuk menunjuk, nama dan jabatan untuk memilih; tidak ada kontak, NIP, atau unit."""
    return [{"username": u.username, "full_name": u.full_name, "position": u.position}
            for u in await people.colleagues(session, user=user)]


@router.get("/substitutions", response_model=SubstitutionListOut, responses={401: ERRORS[401]})
async def list_substitutions(user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    subs = await people.list_substitutions(session, user=user)
    names = await _names(session, {s.official_id for s in subs} | {s.acting_id for s in subs})
    return {"items": [_substitution(s, names) for s in subs]}


@router.post("/substitutions", status_code=201, response_model=SubstitutionOut,
             responses={401: ERRORS[401], 403: ERRORS[403], 409: ERRORS[409], 422: ERRORS[422]})
async def create_substitution(body: SubstitutionBody, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    sub = await people.create_substitution(session, official=user, acting_username=body.acting_username,
                                           start_date=body.start_date, end_date=body.end_date, reason=body.reason)
    return _substitution(sub, await _names(session, {sub.official_id, sub.acting_id}))


@router.delete("/substitutions/{substitution_id}", response_model=SubstitutionOut, responses={401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
async def cancel_substitution(substitution_id: int, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    sub = await people.cancel_substitution(session, user=user, substitution_id=substitution_id)
    return _substitution(sub, await _names(session, {sub.official_id, sub.acting_id}))


def _notification(n: Notification) -> dict[str, Any]:
    return {"id": n.id, "subject": n.subject, "body": n.body, "link": n.link, "created_at": n.created_at.isoformat(),
            "read": n.read_at is not None, "read_at": n.read_at.isoformat() if n.read_at else None}


@router.get("/notifications", response_model=NotificationListOut, responses={401: ERRORS[401]})
async def my_notifications(user: CurrentUser, session: SessionDep, unread: bool = False,
                           q: str | None = Query(default=None, max_length=100, description="Cari pada judul dan isi pesan"),
                           limit: int = Query(default=100, ge=1, le=500), offset: int = Query(default=0, ge=0, le=1_000_000)) -> dict[str, Any]:
    """Inbox: pesan dalam aplikasi, terbaru di atas. `total` = jumlah seluruh pesan yang cocok (untuk halaman)."""
    rows = await people.notifications(session, user=user, unread=unread, q=q, limit=limit, offset=offset)
    return {"items": [_notification(n) for n in rows], "total": rows.total,
            "unread": await people.unread_notification_count(session, user=user)}


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut, responses={401: ERRORS[401], 404: ERRORS[404]})
async def mark_read(user: CurrentUser, session: SessionDep,
                    notification_id: int = Path(ge=1, le=2_147_483_647)) -> dict[str, Any]:
    """Tandai satu pesan sudah dibaca."""
    return _notification(await people.mark_notification_read(session, user=user, notification_id=notification_id))


@router.post("/notifications/read-all", response_model=MarkedOut, responses={401: ERRORS[401]})
async def mark_all_read(user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    return {"marked": await people.mark_notifications_read(session, user=user)}
