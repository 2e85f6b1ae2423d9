"""Serialising locks for rules that read before they write (an overlap, a balance, "not yet used"): whoever holds the
lock reads what the previous holder committed, so two requests at once cannot both pass the check and both write.

One mechanism on both databases: a write that changes nothing, on the row that names what is being decided (the
person, the queue ticket), as the first statement of the transaction that checks and writes.

- PostgreSQL: the UPDATE holds the row until the transaction ends. It changes no key column, so the lock is
  FOR NO KEY UPDATE: rows that only refer to the person (a notification, a task, a case event) are not held up, only
  the next one to take this lock. Under READ COMMITTED every later statement of the holder sees what was committed
  before it got the lock.
- SQLite: the UPDATE takes the database's write lock (the driver opens the transaction before its first write, not
  before reads), waiting through busy_timeout for a writer that has it. Taking it first is what makes it serialise:
  a transaction that read first and wrote later could have passed its check on what it read before another writer
  committed. From the lock to the commit nobody else writes. This is why it works with the driver's default, which
  begins no transaction for reads (store/db.py sets no BEGIN on connect): reads made earlier in the same session,
  such as loading the signed-in user, hold no snapshot that the lock would then have to upgrade.

The lock ends with the transaction: commit (or roll back) once the decision is written or refused.
"""

from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from store.models import User

_Row = TypeVar("_Row", bound=DeclarativeBase)


async def hold_row(session: AsyncSession, model: type[DeclarativeBase], row_id: object) -> bool:
    """Holds the row of `model` with primary key `row_id` until the transaction ends; False when there is none."""
    [key] = model.__mapper__.primary_key
    # An UPDATE runs to a CursorResult (which has the row count); AsyncSession.execute is typed with the general Result.
    result = cast("CursorResult[Any]", await session.execute(
        update(model).where(key == row_id).values({key.name: key}).execution_options(synchronize_session=False)))
    return result.rowcount == 1


async def get_held(session: AsyncSession, model: type[_Row], row_id: object) -> _Row | None:
    """The row of `model` with primary key `row_id`, read after it is held (None when there is none). On PostgreSQL a
    row another transaction is inserting cannot be held until it commits, and may be committed by the time it is read:
    it is then held and read again, so what is returned is never a count someone else is about to change."""
    for _ in range(3):
        held = await hold_row(session, model, row_id)
        row = await session.get(model, row_id, populate_existing=True)
        if row is None or held:
            return row
    return row


async def lock_person(session: AsyncSession, user_id: int) -> None:
    """Holds a person's row: what one person may have at once (leave days, Plh. appointments) is decided in turn."""
    await hold_row(session, User, user_id)
