"""Read-model queries that the activities and the gateway both need, written once."""


from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from store.models import Substitution


async def acting_officials_on(session: AsyncSession, official_ids: list[int], day: date) -> dict[int, int]:
    """official id → acting official (Plh.) id, for substitutions that cover `day`."""
    if not official_ids:
        return {}
    rows = await session.execute(
        select(Substitution.official_id, Substitution.acting_id).where(
            Substitution.official_id.in_(official_ids),
            Substitution.cancelled_at.is_(None),
            Substitution.start_date <= day,
            Substitution.end_date >= day,
        ).order_by(Substitution.created_at)
    )
    # The rows as a list: a Result has keys(), and dict() would take it for a mapping.
    return dict(rows.tuples().all())


# For reads that need a task's or a user's own columns only. The models load a Task with its owner, delegate and
# claimant (each User with unit, profile and, in a second SELECT, roles): a 9-table join and an extra round trip on
# every open/update/close. Loaded bare instead; touching a relationship raises rather than querying behind our back.
COLUMNS_ONLY = (raiseload("*"),)
