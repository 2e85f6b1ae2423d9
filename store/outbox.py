"""A recorded case always gets its process, even when whoever recorded it dies before starting it (the
transactional outbox).

The case row and a `process_start` row (what to start: the workflow type, id and task queue, and the start argument
encrypted with the payload codec) are committed in one transaction; the start follows, and its row is removed once
Temporal has the run. A gateway that dies between the commit and the start (SIGKILL, a crash, a deploy) leaves the
row behind, and whoever finds it starts the run: the person sending the same submission again
(gateway/services/processes.py resume) or the worker, which starts every row left for half a minute
(workers/outbox.py).

Several may start one case at once (a repeat while its first gateway is still starting it, two workers), so every
start of a case carries the same token in its memo. When Temporal answers that the id is taken, a run carrying the
token is the case's own (started by one of the others, or by the gateway that died just after) and the row is done;
a run without it is someone else's, one Temporal kept from before the database was restored, and the case moves to
its key with a random tail (gateway/services/processes.py start_recorded says why)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.common import RawValue, WorkflowIDReusePolicy
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.exceptions import WorkflowAlreadyStartedError

from store.models import Base, ProcessStart, utcnow
from store.payload_codec import data_converter
from store.settings import Settings

log = logging.getLogger(__name__)

# How many ids a case tries when Temporal already has someone else's run under its own.
ID_ATTEMPTS = 3
# The memo entry naming the case a run was started for (the token of its process_start row).
MEMO_KEY = "satupintu_start"
# The id of the office the case belongs to: the run index files the run under it (workers/run_index.py).
MEMO_OFFICE = "satupintu_office"


def id_tail() -> str:
    """What a workflow id gets when its own is taken: random, so no restored database can draw it again."""
    return secrets.token_hex(4)


@dataclass
class PendingStart:
    """One process_start row. `workflow_id` follows the case when its id is taken (start)."""

    workflow_id: str
    workflow_type: str
    task_queue: str
    case_table: str
    payload: bytes
    office_id: int | None = None

    @property
    def token(self) -> str:
        # The encrypted argument is random (AES-GCM's nonce) and stored once, so its digest names this case alone.
        return hashlib.sha256(self.payload).hexdigest()[:32]


class IdsTaken(Exception):
    """The case's id and every tail tried are taken in Temporal by runs that are not this case's."""

    def __init__(self, key: str, last_tried: str) -> None:
        super().__init__(f"workflow id {key} and its variants up to {last_tried} are taken in Temporal")
        self.key, self.last_tried = key, last_tried


async def seal(settings: Settings, value: Any) -> bytes:
    """`value` as the payload converter makes it for the start, encrypted by the payload codec, serialized."""
    converter = data_converter(settings)
    clear = converter.payload_converter.to_payloads([value])[0]
    return (await _codec(converter).encode([clear]))[0].SerializeToString()


async def unseal(settings: Settings, sealed: bytes) -> Payload:
    """The payload before the codec: the client's codec encrypts it (once) on its way to Temporal."""
    payload = Payload()
    payload.ParseFromString(sealed)
    return (await _codec(data_converter(settings)).decode([payload]))[0]


def _codec(converter: DataConverter) -> PayloadCodec:
    if converter.payload_codec is None:  # data_converter always brings one
        raise RuntimeError("the data converter has no payload codec")
    return converter.payload_codec


async def record(session: AsyncSession, settings: Settings, *, case_table: str, workflow_id: str, workflow_type: str,
                 task_queue: str, value: Any, office_id: int | None = None) -> PendingStart:
    """Writes what starts the case's process, in the session's transaction: the caller commits it with the case row."""
    pending = PendingStart(workflow_id=workflow_id, workflow_type=workflow_type, task_queue=task_queue, case_table=case_table,
                           payload=await seal(settings, value), office_id=office_id)
    await session.execute(insert(ProcessStart).values(
        workflow_id=pending.workflow_id, workflow_type=workflow_type, task_queue=task_queue, case_table=case_table,
        payload=pending.payload, created_at=utcnow(), attempts=0, office_id=office_id))
    return pending


async def find(session: AsyncSession, workflow_id: str) -> PendingStart | None:
    # Plain rows, not ORM objects: the row's id may change under them (start).
    row = (await session.execute(select(ProcessStart.workflow_type, ProcessStart.task_queue, ProcessStart.case_table, ProcessStart.payload,
                                        ProcessStart.office_id)
                                 .where(ProcessStart.workflow_id == workflow_id))).one_or_none()
    if row is None:
        return None
    return PendingStart(workflow_id=workflow_id, workflow_type=row.workflow_type, task_queue=row.task_queue, case_table=row.case_table,
                        payload=row.payload, office_id=row.office_id)


async def discard(session: AsyncSession, workflow_id: str) -> bool:
    """Removes the row in the session's transaction; False when it was no longer there (started by someone else)."""
    # A DELETE runs to a CursorResult (which has the row count); AsyncSession.execute is typed with the general Result.
    removed = cast("CursorResult[Any]", await session.execute(delete(ProcessStart).where(ProcessStart.workflow_id == workflow_id)))
    return removed.rowcount == 1


async def failed(session: AsyncSession, workflow_id: str, error: BaseException) -> None:
    """Counts a start that did not go through, with why, for the operator (the row stays to be tried again)."""
    await session.execute(update(ProcessStart).where(ProcessStart.workflow_id == workflow_id).values(
        attempts=ProcessStart.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:1000]))
    await session.commit()


async def start(session: AsyncSession, client: Client, settings: Settings, pending: PendingStart, *,
                tail: Callable[[], str] = id_tail) -> str | None:
    """Starts the process of `pending` and removes its row. Returns the workflow id the case runs under, or None when
    another start of the same case took it over (it moved the case to another id meanwhile).

    A run already under the id that carries this case's token is its own: nothing more is started. Someone else's
    run moves the case and its row to `<key>-<tail()>`, committed before that start; IdsTaken when every id tried is
    taken. What Temporal or the database raise otherwise is raised, and the row stays for the next try."""
    argument = RawValue(await unseal(settings, pending.payload))
    key = pending.workflow_id
    for attempt in range(1, ID_ATTEMPTS + 1):
        try:
            await client.start_workflow(pending.workflow_type, argument, id=pending.workflow_id, task_queue=pending.task_queue,
                                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE, memo=_memo(pending))
            break
        except WorkflowAlreadyStartedError:
            if await _is_own(client, pending):
                break
            if attempt == ID_ATTEMPTS:
                raise IdsTaken(key, pending.workflow_id) from None
            taken = pending.workflow_id
            if not await _move(session, pending, f"{key}-{tail()}"):
                return None
            log.warning("workflow id %s is taken in Temporal by a run this database does not know: the database was restored "
                        "without Temporal's own data (README, Backup and restore); this case runs as %s", taken, pending.workflow_id,
                        extra={"workflow_id": taken, "started_as": pending.workflow_id})
    await discard(session, pending.workflow_id)
    await session.commit()
    return pending.workflow_id


def _memo(pending: PendingStart) -> dict[str, Any]:
    memo: dict[str, Any] = {MEMO_KEY: pending.token}
    if pending.office_id is not None:
        memo[MEMO_OFFICE] = pending.office_id
    return memo


async def _is_own(client: Client, pending: PendingStart) -> bool:
    description = await client.get_workflow_handle(pending.workflow_id).describe()
    try:
        memo = await description.memo()
    except Exception:  # noqa: BLE001 - a memo this installation cannot read (another key, in clear): not this case's run
        return False
    return memo.get(MEMO_KEY) == pending.token


async def _move(session: AsyncSession, pending: PendingStart, new_id: str) -> bool:
    """The case and its row take `new_id`, committed; False if another start of the case moved or started it first."""
    # An UPDATE runs to a CursorResult (which has the row count); AsyncSession.execute is typed with the general Result.
    claimed = cast("CursorResult[Any]", await session.execute(
        update(ProcessStart).where(ProcessStart.workflow_id == pending.workflow_id).values(workflow_id=new_id)))
    if claimed.rowcount != 1:
        await session.commit()  # nothing was written; a rollback would expire the caller's objects
        return False
    case = Base.metadata.tables[pending.case_table]
    await session.execute(update(case).where(case.c.workflow_id == pending.workflow_id).values(workflow_id=new_id))
    await session.commit()
    pending.workflow_id = new_id
    return True


async def overdue(session: AsyncSession, *, older_than_seconds: float, limit: int) -> list[str]:
    """Ids of the rows written more than `older_than_seconds` ago, the least tried first (a row that keeps failing
    does not hold back the others)."""
    before = utcnow() - timedelta(seconds=older_than_seconds)
    return list(await session.scalars(select(ProcessStart.workflow_id).where(ProcessStart.created_at < before)
                                      .order_by(ProcessStart.attempts, ProcessStart.created_at).limit(limit)))

