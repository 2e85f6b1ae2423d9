"""The one numbering service: official letter numbers, gap-free and unique per scope and year.

Assigning is one transaction keyed by an idempotency key, so a retried activity gets back the
number it already received and never burns one.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from contracts import ASSIGN_NUMBER, IssuedNumberResult, NumberRequest
from office.numbering import format_number
from store.models import IssuedNumber, NumberSequence
from store.offices import OfficeIds


async def assign_number(session: AsyncSession, request: NumberRequest, *, now: datetime | None = None,
                        offices: OfficeIds | None = None) -> IssuedNumberResult:
    """Issues the next number in the request's scope of its office's register, inside the caller's transaction."""
    issued_at = (now or datetime.now(UTC)).astimezone(ZoneInfo(request.timezone))
    # Each office keeps its own registers: "<office>/<scope>" (a run from before offices numbers in the first office's).
    office = await (offices or OfficeIds()).code_of(session, request.numbering.office)
    scope, year = f"{office}/{request.numbering.scope}", issued_at.year
    # Take the write lock on the scope's counter first, then look up the key: two assigners with the
    # same key are serialised behind the lock, and the second finds the first's number.
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(insert(NumberSequence).values(scope=scope, year=year, last_value=0).on_conflict_do_nothing())
    await session.execute(
        select(NumberSequence.last_value).where(NumberSequence.scope == scope, NumberSequence.year == year).with_for_update()
    )
    existing = await session.scalar(select(IssuedNumber).where(IssuedNumber.idempotency_key == request.idempotency_key))
    if existing is not None:
        return IssuedNumberResult(number=existing.number, sequence=existing.sequence, year=existing.year, issued_at=existing.issued_at)
    # The counter row exists (inserted above if it was not): the update returns exactly its new value.
    sequence = (await session.execute(
        update(NumberSequence)
        .where(NumberSequence.scope == scope, NumberSequence.year == year)
        .values(last_value=NumberSequence.last_value + 1)
        .returning(NumberSequence.last_value)
    )).scalar_one()
    number = format_number(request.numbering, sequence=sequence, issued_on=issued_at)
    session.add(IssuedNumber(idempotency_key=request.idempotency_key, scope=scope, year=year, sequence=sequence,
                             number=number, subject=request.subject, issued_at=issued_at))
    return IssuedNumberResult(number=number, sequence=sequence, year=year, issued_at=issued_at)


class NumberingActivities:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.offices = OfficeIds()

    @activity.defn(name=ASSIGN_NUMBER)
    async def assign_number(self, request: NumberRequest) -> IssuedNumberResult:
        async with self.sessionmaker() as session, session.begin():
            result = await assign_number(session, request, offices=self.offices)
        activity.logger.info("number issued", extra={"number": result.number, "scope": request.numbering.scope, "sequence": result.sequence})
        return result
