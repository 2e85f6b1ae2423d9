"""The task inbox: what a person may see, claim and decide. Decisions are forwarded to the
workflow as a Workflow Update; the workflow's validator has the last word."""

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, ScalarSelect, Select, Subquery, func, or_, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from contracts import DECIDE_TASK, DELEGATE_TASK, DecisionRequest, DelegationRequest, TaskAck
from gateway.services.errors import Conflict, DomainError, Forbidden, Gone, Invalid, Unavailable, conflict, forbidden, invalid, not_found
from gateway.services.paging import CappedTotal
from gateway.services.people import actor, get_user_by_username, officials_represented_by, person
from process_defs.processes import PROCESS_LABELS
from store.models import CaseEvent, Task, User, utcnow
from store.observability import bind_workflow
from store.settings import Settings
from workflows.human_task import ERR_ALREADY_DECIDED, ERR_INVALID, ERR_NOT_FOUND, ERR_NOT_HOLDER, ERR_OPENING, ERR_STATE, OWNER_ROLE

log = logging.getLogger(__name__)

_ERROR_KIND: dict[str, type[DomainError]] = {
    ERR_ALREADY_DECIDED: Conflict, ERR_NOT_HOLDER: Forbidden, ERR_INVALID: Invalid, ERR_NOT_FOUND: Conflict, ERR_OPENING: Conflict, ERR_STATE: Conflict,
    # The permit's one download is spent, or its week has passed.
    "DownloadUnavailable": Gone}


@dataclass
class InboxFilter:
    process: str | None = None
    status: str = "open"  # open | completed
    overdue: bool = False
    limit: int = 50
    offset: int = 0


@dataclass
class InboxPage:
    items: list[Task]
    total: CappedTotal
    represented: list[int]  # the officials whose tasks the user sees as their Plh. today


# Decided and acknowledged by the run, which is closing the row (see _mark_closing); then "completed".
CLOSING = "closing"

# A person's inbox count stops here ("1 000+"): nobody works through more, and counting further costs every page view.
INBOX_COUNT_CAP = 1_000


async def visibility(session: AsyncSession, user: User) -> tuple[ColumnElement[bool], list[int]]:
    """Who sees an open task, as one condition: for checks on one task. Lists go through `_visible_branches`."""
    represented = await officials_represented_by(session, user=user)
    return or_(*_visible_branches(user, represented)), represented


def _visible_branches(user: User, represented: list[int]) -> list:
    """The one rule of who sees an open task, as the ways a task reaches a person. An inbox page reads each way by its
    own index and unions them: an OR of all of them makes the database read every open task."""
    return [
        Task.owner_id == user.id,
        Task.delegate_id == user.id,
        *(Task.owner_id.is_(None) & (Task.role == role) for role in user.role_names),
        *(Task.escalated_to_role == role for role in user.role_names),
        *(Task.owner_id == official for official in represented if official != user.id),
    ]


def _narrowed(query: Select, filters: InboxFilter) -> Select:
    if filters.process:
        query = query.where(Task.process == filters.process)
    if filters.overdue:
        query = query.where(Task.due_at < datetime.now(UTC))
    return query


# The holder's name is all a row shows of a person: their unit, profile and roles are not loaded with every page.
_HOLDERS = tuple(joinedload(holder).lazyload("*") for holder in (Task.owner, Task.delegate, Task.claimed_by))


def _first_ids(branches: list[Select], *, order: tuple, limit: int) -> Subquery:
    """The union of each branch's own first `limit` ids; the branches may overlap, the union drops doubles. Each
    branch keeps the inbox order so the database walks its index from the newest end and stops at `limit`."""
    firsts = [select(b.c.id) for b in (q.order_by(*order).limit(limit).subquery() for q in branches)]
    return (union(*firsts) if len(firsts) > 1 else firsts[0]).subquery()


def _count_of(branches: list[Select], order: tuple) -> ScalarSelect[int]:
    ids = _first_ids(branches, order=order, limit=INBOX_COUNT_CAP + 1)
    return select(func.count()).select_from(ids).scalar_subquery()


async def _page(session: AsyncSession, branches: list[Select], *, order: tuple, limit: int, offset: int) -> tuple[list[Task], CappedTotal]:
    """The page and its capped count in one statement: a round trip is a good part of what an inbox page costs."""
    picked = _first_ids(branches, order=order, limit=limit + offset)
    rows = (await session.execute(select(Task, _count_of(branches, order)).join(picked, Task.id == picked.c.id).options(*_HOLDERS)
                                  .order_by(*order).limit(limit).offset(offset))).all()
    if rows:
        return [task for task, _ in rows], CappedTotal.of(rows[0][1], INBOX_COUNT_CAP)
    return [], await _count(session, branches, order) if offset else CappedTotal.of(0, INBOX_COUNT_CAP)


async def _count(session: AsyncSession, branches: list[Select], order: tuple) -> CappedTotal:
    return CappedTotal.of(await session.scalar(select(_count_of(branches, order))), INBOX_COUNT_CAP)


def _branches(user: User, represented: list[int], filters: InboxFilter) -> tuple[list[Select], tuple]:
    if filters.status == "completed":
        return ([_narrowed(select(Task.id, Task.completed_at).where(Task.status == "completed", Task.completed_by_id == user.id), filters)],
                (Task.completed_at.desc(), Task.id.desc()))
    return ([_narrowed(select(Task.id, Task.created_at).where(Task.status == "open", branch), filters)
             for branch in _visible_branches(user, represented)], (Task.created_at.desc(), Task.id.desc()))


async def inbox(session: AsyncSession, *, user: User, filters: InboxFilter) -> InboxPage:
    represented = await officials_represented_by(session, user=user)
    branches, order = _branches(user, represented, filters)
    items, total = await _page(session, branches, order=order, limit=filters.limit, offset=filters.offset)
    return InboxPage(items=items, total=total, represented=represented)


async def open_task_count(session: AsyncSession, *, user: User) -> CappedTotal:
    """The number beside "Kotak Tugas" on every page: the count alone, capped, without fetching a page."""
    branches, order = _branches(user, await officials_represented_by(session, user=user), InboxFilter())
    return await _count(session, branches, order)


async def get_visible(session: AsyncSession, *, user: User, task_id: str) -> Task:
    # Read afresh: a claim may have been taken or released by another request since this session last read the row.
    task = await session.get(Task, task_id, populate_existing=True)
    if task is None:
        raise not_found("Tugas")
    visible, _ = await visibility(session, user)
    allowed = await session.scalar(select(func.count()).select_from(Task).where(Task.id == task_id, visible | (Task.completed_by_id == user.id)))
    if not allowed:
        raise forbidden("Tugas ini bukan untuk Anda.")
    return task


# Who may release anyone's claim, whether or not the task is in their inbox: a process owner unsticks runs, an
# administrator runs the system.
RELEASER_ROLES = frozenset({OWNER_ROLE, "admin"})


async def standing_claimant(session: AsyncSession, task: Task) -> User | None:
    """Whose claim holds `task`: None when nobody's does. A claim stands while its holder can still act on the task:
    an active account that sees it, and, while it is delegated, the delegate (the only one the run lets decide then).
    The inbox projection ends claims where the row changes (activities/tasks.py); this also voids what changes
    elsewhere (a role taken away, a Plh. period over, an account deactivated) and claims left on rows from before."""
    if task.claimed_by_id is None:
        return None
    claimant = await session.get(User, task.claimed_by_id)
    if claimant is None or not claimant.is_active or task.delegate_id not in (None, claimant.id):
        return None
    visible, _ = await visibility(session, claimant)
    stands = await session.scalar(select(func.count()).select_from(Task).where(Task.id == task.id, Task.status == "open", visible))
    return claimant if stands else None


def _claimed_by(holder: User) -> DomainError:
    return conflict(f"Tugas ini sedang dikerjakan oleh {holder.full_name}.", code="task_claimed")


async def blocking_claimant(session: AsyncSession, *, user: User, task: Task) -> User | None:
    """Whose standing claim keeps `user` from deciding `task` (None: nobody's)."""
    holder = await standing_claimant(session, task)
    return holder if holder is not None and holder.id != user.id else None


# A claim taken by another request between this one's read and its write: read again, this many times at most.
_CLAIM_ATTEMPTS = 3


async def claim(session: AsyncSession, *, user: User, task_id: str) -> Task:
    visible, _ = await visibility(session, user)
    for _ in range(_CLAIM_ATTEMPTS):
        task = await get_visible(session, user=user, task_id=task_id)
        if task.status != "open":
            raise conflict("Tugas ini sudah selesai.", code="task_closed")
        if task.delegate_id not in (None, user.id):
            delegate = task.delegate.full_name if task.delegate else "pegawai lain"
            raise conflict(f"Tugas ini sedang didelegasikan kepada {delegate}; hanya ia yang dapat mengklaimnya.",
                           code="task_delegated")
        if task.claimed_by_id == user.id:
            return task
        holder = await blocking_claimant(session, user=user, task=task)
        if holder is not None:
            raise _claimed_by(holder)
        # The database picks the one winner: the row changes only if it is still as read here (open, theirs to see, free
        # or held by a claim that no longer stands), so of officers claiming at once exactly one is told they hold it,
        # and a delegation or a reassignment that lands meanwhile is not overtaken.
        # An UPDATE's result is a CursorResult (with its rowcount), which execute() does not say.
        taken = cast(CursorResult[Any], await session.execute(
            update(Task).where(Task.id == task.id, Task.status == "open", visible, or_(Task.delegate_id.is_(None), Task.delegate_id == user.id),
                               Task.claimed_by_id.is_(None) if task.claimed_by_id is None else Task.claimed_by_id == task.claimed_by_id)
            .values(claimed_by_id=user.id).execution_options(synchronize_session=False)))
        if taken.rowcount == 1:
            _record_claim(session, task=task, user=user, kind=CLAIMED, title=f"Diklaim oleh {user.full_name}: {task.title}")
        # Ends the transaction either way (a commit, not a rollback: a rollback would expire the signed-in user too).
        await session.commit()
        if taken.rowcount == 1:
            return await get_visible(session, user=user, task_id=task_id)
    task = await get_visible(session, user=user, task_id=task_id)
    holder = await standing_claimant(session, task)
    if holder is not None and holder.id == user.id:
        return task
    raise _claimed_by(holder) if holder else conflict("Tugas ini sedang berubah. Silakan coba lagi sebentar.", code="task_busy")


async def unclaim(session: AsyncSession, *, user: User, task_id: str) -> Task:
    releaser = bool(RELEASER_ROLES & set(user.role_names))
    if releaser:
        task = await session.get(Task, task_id, populate_existing=True)
        if task is None:
            raise not_found("Tugas")
    else:
        task = await get_visible(session, user=user, task_id=task_id)
    claimant = task.claimed_by
    if claimant is None:
        return task
    if claimant.id != user.id and not releaser and await standing_claimant(session, task) is not None:
        raise forbidden("Hanya yang mengklaim tugas ini, pemilik proses, atau administrator yang dapat melepas klaimnya.")
    # Only the claim as read is released: of two releases at once, one changes the row and is recorded; a claim
    # taken again meanwhile stays.
    released = cast(CursorResult[Any], await session.execute(  # an UPDATE's result: a CursorResult, with its rowcount
        update(Task).where(Task.id == task.id, Task.claimed_by_id == claimant.id)
        .values(claimed_by_id=None).execution_options(synchronize_session=False)))
    if released.rowcount == 1:
        title = (f"Klaim dilepas oleh {user.full_name}: {task.title}" if claimant.id == user.id
                 else f"Klaim {claimant.full_name} dilepas oleh {user.full_name}: {task.title}")
        _record_claim(session, task=task, user=user, kind=UNCLAIMED, title=title)
    await session.commit()
    released_task = await session.get(Task, task_id, populate_existing=True)
    if released_task is None:
        raise not_found("Tugas")
    return released_task


# Claims are an inbox matter, not a process decision: they are not in the run's history, so the case timeline
# keeps them, and the run page shows them beside the history.
CLAIMED, UNCLAIMED = "task_claimed", "task_unclaimed"


def _record_claim(session: AsyncSession, *, task: Task, user: User, kind: str, title: str) -> None:
    now = utcnow()
    session.add(CaseEvent(id=f"{task.id}.{kind}.{now.timestamp():.6f}", workflow_id=task.workflow_id, process=task.process,
                          subject_id=task.subject_id, occurred_at=now, kind=kind, title=title, actor_id=user.id,
                          actor_name=user.full_name, role=task.role))


async def _acting_for(session: AsyncSession, *, user: User, task: Task) -> User | None:
    holder_id = task.delegate_id or task.owner_id
    if holder_id is None or holder_id == user.id:
        return None
    if holder_id in await officials_represented_by(session, user=user):
        return await session.get(User, holder_id)
    return None


_NOT_OPEN_YET_RETRIES = 30


async def send_update(client: Client, workflow_id: str, update: str, request: object, *, result_type: type | None = TaskAck) -> Any:
    """Forwards a person's action to the workflow; the workflow's validator refusal becomes a readable API error.

    The inbox row is written by an activity just before the workflow records that the task is open. A decision
    is taken in between; a delegation or an owner's action (and a decision in a run from before
    PATCH_ACK_BEFORE_CLOSING) is answered "being opened", and is asked again."""
    bind_workflow(workflow_id)
    handle = client.get_workflow_handle(workflow_id)
    for attempt in range(_NOT_OPEN_YET_RETRIES + 1):
        try:
            return await handle.execute_update(update, request, result_type=result_type)
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError):
                if cause.type == ERR_OPENING and attempt < _NOT_OPEN_YET_RETRIES:
                    await asyncio.sleep(0.1)
                    continue
                refusal = _ERROR_KIND.get(cause.type or "", Invalid)(cause.message)
                refusal.code = cause.type  # the workflow's own name for the refusal, whatever the kind's usual code
                raise refusal from exc
            raise
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise conflict("Proses untuk tugas ini sudah berakhir.", code="process_closed") from exc
            raise Unavailable("Layanan proses sedang tidak tersedia. Silakan coba lagi.", code="temporal_unavailable") from exc


async def _check_open(session: AsyncSession, *, user: User, task: Task) -> None:
    if task.status != "open":
        who = await session.get(User, task.completed_by_id) if task.completed_by_id else None
        raise conflict(f"Tugas ini sudah diputuskan{' oleh ' + who.full_name if who else ''}.", code=ERR_ALREADY_DECIDED)
    holder = await blocking_claimant(session, user=user, task=task)
    if holder is not None:
        raise _claimed_by(holder)


async def _exchange_passphrase(session: AsyncSession, settings: Settings, *, user: User, task: Task, outcome: str, data: dict) -> dict:
    """For a TTE outcome, checks the passphrase and swaps it for a one-time signing token: the
    passphrase goes no further than this request."""
    data = dict(data or {})
    passphrase = data.pop("passphrase", None)
    offered = next((o for o in task.outcomes if o["name"] == outcome), None)
    if not offered or not offered.get("requires_tte"):
        return data
    if not passphrase:
        raise invalid("Masukkan passphrase TTE untuk menandatangani.", field="data.passphrase")
    from signing.officials import SigningPassphraseError, authorize_signing  # noqa: PLC0415 - loads cryptography only when signing

    try:
        data["signing_token"] = await authorize_signing(session, settings, signer=user, passphrase=passphrase)
    except SigningPassphraseError as exc:
        raise invalid(str(exc), field="data.passphrase") from None
    return data


async def decide(session: AsyncSession, client: Client, settings: Settings, *, user: User, task_id: str, outcome: str,
                 reason: str | None, data: dict) -> TaskAck:
    task = await get_visible(session, user=user, task_id=task_id)
    await _check_open(session, user=user, task=task)
    acting_for = await _acting_for(session, user=user, task=task)
    data = await _exchange_passphrase(session, settings, user=user, task=task, outcome=outcome, data=data)
    request = DecisionRequest(task_id=task.id, actor=actor(user, acting_for=acting_for), outcome=outcome,
                              reason=(reason or "").strip() or None, data=data or {})
    bind_workflow(task.workflow_id)
    log.info("decision forwarded", extra={"task_id": task.id, "outcome": outcome, "actor": user.username})
    try:
        ack = await send_update(client, task.workflow_id, DECIDE_TASK, request)
    except DomainError as exc:
        _name_fields(exc, task.form or {})
        raise
    if ack.status == "decided":
        await _mark_closing(session, task_id=task.id)
    return ack


def _name_fields(refusal: DomainError, form: dict) -> None:
    """The fields of the task's form (inputs data.<property>) and the reason that the workflow's refusal speaks of. Its
    validator says the field only in words ("Isian 'Nama penerima' wajib diisi.", "Alasan wajib diisi …"), so they are read
    from the message here, once, and the pages take them from the error."""
    message = refusal.detail
    titles = [(f"data.{name}", prop.get("title", name)) for name, prop in (form.get("properties") or {}).items()]
    refusal.hints = [{"field": field, "message": message} for field, title in titles if f"'{title}'" in message]
    if "alasan" in message.lower():
        refusal.hints.append({"field": "reason", "message": message})
    refusal.mentions = [field for field, title in titles if f"'{title}'" in message or title.lower() in message.lower()]


async def _mark_closing(session: AsyncSession, *, task_id: str) -> None:
    """The run acknowledges a decision once it has recorded it and closes the inbox row right after
    (PATCH_ACK_BEFORE_CLOSING): until then the row says so, and leaves every inbox at once, not a moment later.
    Only an open row is touched, so this never undoes the close that may already have landed."""
    # The decider acted: their claim ends with it.
    await session.execute(update(Task).where(Task.id == task_id, Task.status == "open").values(status=CLOSING, claimed_by_id=None))
    await session.commit()


async def delegate(session: AsyncSession, client: Client, *, user: User, task_id: str, delegate_username: str, note: str) -> TaskAck:
    task = await get_visible(session, user=user, task_id=task_id)
    await _check_open(session, user=user, task=task)
    colleague = await get_user_by_username(session, delegate_username)
    if colleague is None or colleague.office_id != task.office_id:
        raise invalid(f"Pegawai '{delegate_username}' tidak ditemukan.", field="username")
    acting_for = await _acting_for(session, user=user, task=task)
    request = DelegationRequest(task_id=task.id, actor=actor(user, acting_for=acting_for), delegate=person(colleague), note=note.strip())
    return await send_update(client, task.workflow_id, DELEGATE_TASK, request)


def serialize(task: Task, *, viewer: User | None = None, represented: list[int] | None = None) -> dict:
    now = utcnow()
    due = task.due_at
    return {
        "id": task.id,
        "process": task.process,
        "process_label": PROCESS_LABELS.get(task.process, task.process),
        "title": task.title,
        "role": task.role,
        "status": task.status,
        "subject_id": task.subject_id,
        "workflow_id": task.workflow_id,
        "owner": task.owner.username if task.owner else None,
        "owner_name": task.owner.full_name if task.owner else None,
        "delegate": task.delegate.username if task.delegate else None,
        "delegate_name": task.delegate.full_name if task.delegate else None,
        "claimed_by": task.claimed_by.username if task.claimed_by else None,
        "claimed_by_name": task.claimed_by.full_name if task.claimed_by else None,
        "acting_for": task.owner.full_name if (viewer and task.owner is not None and task.owner_id and represented
                                               and task.owner_id in represented and task.owner_id != viewer.id) else None,
        "escalated_to_role": task.escalated_to_role,
        "created_at": task.created_at.isoformat(),
        "due_at": due.isoformat() if due else None,
        "overdue": bool(due and task.status == "open" and due < now),
        "outcomes": task.outcomes,
        "form": task.form or {},
        "summary": task.summary,
        "outcome": task.outcome,
        "reason": task.reason,
    }
