"""People and acting officials (Plh.): who a user is in a workflow, and whom they stand in for."""

import re
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Actor, Person
from gateway.services.errors import Conflict, forbidden, invalid, not_found
from gateway.services.offices import office_zone
from store.locks import lock_person
from store.models import Notification, Substitution, User, utcnow
from store.queries import acting_officials_on


def office_today() -> date:
    return datetime.now(office_zone()).date()


def person(user: User) -> Person:
    return Person(id=user.id, username=user.username, full_name=user.full_name, nip=user.nip, position=user.position,
                  unit_name=user.unit.name if user.unit else None)


def actor(user: User, *, acting_for: User | None = None) -> Actor:
    return Actor(user_id=user.id, username=user.username, full_name=user.full_name, roles=user.role_names,
                 position=user.position, acting_for=person(acting_for) if acting_for else None)


async def get_user_by_username(session: AsyncSession, username: str, *, staff_only: bool = True) -> User | None:
    query = select(User).where(User.username == username.strip(), User.is_active.is_(True))
    # Staff of an office: the installation's administrator works in none, and is nobody's Plh., delegate or assignee.
    return await session.scalar(query.where(User.kind == "staff", User.office_id.is_not(None)) if staff_only else query)


async def officials_represented_by(session: AsyncSession, *, user: User, day: date | None = None) -> list[int]:
    """Officials for whom `user` is the acting official (Plh.) on `day`."""
    day = day or office_today()
    rows = await session.scalars(
        select(Substitution.official_id).where(
            Substitution.acting_id == user.id, Substitution.cancelled_at.is_(None),
            Substitution.start_date <= day, Substitution.end_date >= day,
        )
    )
    return list(dict.fromkeys(rows))


async def acting_official_of(session: AsyncSession, *, official_id: int, day: date | None = None) -> int | None:
    return (await acting_officials_on(session, [official_id], day or office_today())).get(official_id)


async def has_subordinates(session: AsyncSession, *, user: User) -> bool:
    return await session.scalar(select(User.id).where(User.supervisor_id == user.id).limit(1)) is not None


async def list_substitutions(session: AsyncSession, *, user: User) -> list[Substitution]:
    rows = await session.scalars(
        select(Substitution).where((Substitution.official_id == user.id) | (Substitution.acting_id == user.id))
        .order_by(Substitution.start_date.desc())
    )
    return list(rows)


# A Plh. stands in while an official is away for a leave or an official trip (Surat Edaran Kepala BKN
# 1/SE/I/2021: a Plh. serves at most three months). The longest leave an official takes with a Plh. rather than a
# Plt. is 90 calendar days (cuti besar, cuti melahirkan in process_defs/leave.yaml), and leave is planned within
# the year: so a Plh. starts today or later, at most a year ahead, and lasts at most 90 days. An official holds at
# most MAX_PLANNED of them not yet over, enough for a year's leave and trips; more than that is a script.
SUBSTITUTION_MAX_DAYS = 90
SUBSTITUTION_MAX_AHEAD_DAYS = 365
SUBSTITUTION_MAX_PLANNED = 10


async def create_substitution(session: AsyncSession, *, official: User, acting_username: str, start_date: date,
                              end_date: date, reason: str) -> Substitution:
    if official.kind != "staff":
        raise forbidden("Penunjukan Plh. hanya untuk pejabat dan pegawai kantor.")
    acting = await get_user_by_username(session, acting_username)
    if acting is None:
        raise invalid(f"Pegawai '{acting_username[:80]}' tidak ditemukan.", field="acting_username")
    if acting.id == official.id:
        raise invalid("Pelaksana harian (Plh.) harus orang lain.", field="acting_username")
    today = office_today()
    if start_date < today:
        raise invalid("Tanggal mulai tidak boleh sebelum hari ini.", field="start_date")
    if start_date > today + timedelta(days=SUBSTITUTION_MAX_AHEAD_DAYS):
        raise invalid(f"Tanggal mulai paling lambat satu tahun dari hari ini ({today + timedelta(days=SUBSTITUTION_MAX_AHEAD_DAYS):%d-%m-%Y}).",
                      field="start_date")
    if end_date < start_date:
        raise invalid("Tanggal selesai tidak boleh sebelum tanggal mulai.", field="end_date")
    if (end_date - start_date).days + 1 > SUBSTITUTION_MAX_DAYS:
        raise invalid(f"Penunjukan Plh. paling lama {SUBSTITUTION_MAX_DAYS} hari kalender; untuk masa yang lebih lama "
                      "diperlukan Plt. dengan surat perintah.", field="end_date")
    if not reason.strip():
        raise invalid("Alasan penunjukan Plh. wajib diisi.", field="reason")
    # One transaction from the lock to the insert: the overlap and the count cannot change in between (the same lock
    # is taken by a leave request and by the approved leave's Plh., activities/leave.py).
    await lock_person(session, official.id)
    live = (Substitution.official_id == official.id, Substitution.cancelled_at.is_(None))
    existing = await session.scalar(select(Substitution).where(*live, Substitution.start_date <= end_date,
                                                               Substitution.end_date >= start_date)
                                    .order_by(Substitution.start_date).limit(1))
    if existing is not None:
        holder = await session.get(User, existing.acting_id)
        await session.commit()  # ends the lock; the no-op update is all it writes (a rollback would expire the caller's user)
        message = (f"Sudah ada Plh. untuk Anda pada {existing.start_date:%d-%m-%Y} s.d. {existing.end_date:%d-%m-%Y}: "
                   f"{holder.full_name if holder else 'pegawai lain'} (penunjukan #{existing.id}). Satu pejabat hanya punya satu "
                   "Plh. pada hari yang sama; batalkan penunjukan itu dulu atau pilih tanggal lain.")
        raise Conflict(message, code="substitution_overlap", errors=[{"field": "start_date", "message": message}])
    planned = (await session.execute(select(func.count()).select_from(Substitution).where(*live, Substitution.end_date >= today))).scalar_one()
    if planned >= SUBSTITUTION_MAX_PLANNED:
        await session.commit()
        message = (f"Anda sudah memiliki {planned} penunjukan Plh. yang belum berakhir (paling banyak {SUBSTITUTION_MAX_PLANNED}). "
                   "Batalkan yang tidak diperlukan lagi sebelum menambah yang baru.")
        raise Conflict(message, code="substitution_limit", errors=[{"field": "start_date", "message": message}])
    sub = Substitution(official_id=official.id, acting_id=acting.id, start_date=start_date, end_date=end_date,
                       reason=reason.strip(), source="manual", created_by_id=official.id)
    session.add(sub)
    await session.commit()
    return sub


async def cancel_substitution(session: AsyncSession, *, user: User, substitution_id: int) -> Substitution:
    sub = await session.get(Substitution, substitution_id)
    if sub is None:
        raise not_found("Penunjukan Plh.")
    if sub.official_id != user.id and "admin" not in user.role_names:
        raise forbidden("Hanya pejabat yang bersangkutan yang dapat membatalkan penunjukan Plh.")
    if sub.cancelled_at is None:
        sub.cancelled_at = utcnow()
        await session.commit()
    return sub


async def colleagues(session: AsyncSession, *, user: User) -> list[User]:
    """Active people other than `user`, by name: the choices for a Plh. or a delegation."""
    # The office's directory is the staff's: a citizen neither picks a Plh. or a delegate nor is offered as one.
    if user.kind != "staff":
        raise forbidden("Daftar pegawai hanya untuk pegawai kantor.")
    # Their own office's (the installation's administrator, in none, is nobody's colleague).
    return list(await session.scalars(select(User).where(User.is_active.is_(True), User.kind == "staff", User.id != user.id,
                                                         User.office_id == user.office_id).order_by(User.full_name)))


class NotificationPage(list):
    """One page of in-app messages (a list, newest first) with `total`: how many match in all."""

    total: int = 0


def _like(text: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", text.lower()) + "%"


async def notifications(session: AsyncSession, *, user: User, unread: bool = False, q: str | None = None, limit: int = 100,
                        offset: int = 0) -> NotificationPage:
    """The user's in-app messages, newest first; `q` searches the subject and the body (case-insensitive).
    The result is the page's rows; `.total` counts every match."""
    conditions = [Notification.recipient_id == user.id, Notification.channel == "inapp"]
    if unread:
        conditions.append(Notification.read_at.is_(None))
    text = " ".join((q or "").split())[:100]
    if text:
        like = _like(text)
        conditions.append(or_(func.lower(Notification.subject).like(like, escape="\\"),
                              func.lower(Notification.body).like(like, escape="\\")))
    rows = await session.scalars(select(Notification).where(*conditions)
                                 .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit).offset(offset))
    page = NotificationPage(rows)
    page.total = await session.scalar(select(func.count()).select_from(Notification).where(*conditions)) or 0
    return page


async def get_notification(session: AsyncSession, *, user: User, notification_id: int) -> Notification:
    """One of the user's own in-app messages; anyone else's is 404."""
    row = await session.get(Notification, notification_id)
    if row is None or row.recipient_id != user.id or row.channel != "inapp":
        raise not_found("Pesan")
    return row


async def mark_notification_read(session: AsyncSession, *, user: User, notification_id: int) -> Notification:
    row = await get_notification(session, user=user, notification_id=notification_id)
    if row.read_at is None:
        row.read_at = utcnow()
        await session.commit()
    return row


async def unread_notification_count(session: AsyncSession, *, user: User) -> int:
    return await session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.recipient_id == user.id, Notification.channel == "inapp", Notification.read_at.is_(None))
    ) or 0


async def mark_notifications_read(session: AsyncSession, *, user: User, link: str | None = None) -> int:
    """Marks the user's unread in-app messages read: all of them, or only those pointing at `link`."""
    conditions = [Notification.recipient_id == user.id, Notification.channel == "inapp", Notification.read_at.is_(None)]
    if link is not None:
        conditions.append(Notification.link == link)
    rows = await session.scalars(select(Notification).where(*conditions))
    count = 0
    for n in rows:
        n.read_at, count = utcnow(), count + 1
    await session.commit()
    return count
