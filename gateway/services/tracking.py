"""Public tracking by a case's number (a permit's resi, a complaint's number): how often anyone may look, and
what a line of the public history may say.

Whoever holds the number sees the stage, the dates and what the applicant must do next, in fixed wording. Never a
staff member's name, a verifier's note, a decision's reason or anything else someone typed: those are on the
signed-in applicant's own page. A permit's resi is six hex digits (16.7 million values), so guessing is the threat:
every lookup counts against a generous limit per client address, and a number that does not exist against a strict
one, which also refuses that address's further lookups while it lasts. A citizen refreshing their own resi never
meets the strict limit; a script walking the space does after a handful of misses.
"""

from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.services import throttle
from store.models import CaseEvent

Row = TypeVar("Row")

# Every lookup from one address: a citizen checking a few cases, or an office PC helping many, stays far below.
LOOKUP_IP = throttle.Policy(limit=120, window=timedelta(minutes=15), block=timedelta(minutes=5))
# Numbers that do not exist: a few typing slips are forgiven; past them the address waits, longer after each miss.
MISS_IP = throttle.Policy(limit=10, window=timedelta(minutes=15), block=timedelta(minutes=15), max_block=timedelta(hours=6))


def _keys(kind: str, client_ip: str) -> tuple[str, str]:
    return throttle.key_for(f"track:{kind}:ip", client_ip), throttle.key_for(f"track-miss:{kind}:ip", client_ip)


async def lookup(session: AsyncSession, *, kind: str, client_ip: str, find: Callable[[], Awaitable[Row | None]]) -> Row | None:
    """`find()` under the tracking limits of `kind` ("permit", "complaint"): 429 in Bahasa while the address is
    blocked (by misses or by volume), otherwise the row or None, a miss counted."""
    every, misses = _keys(kind, client_ip)
    await throttle.check(session, misses)
    await throttle.hit(session, every, LOOKUP_IP)
    row = await find()
    if row is None:
        await throttle.fail(session, misses, MISS_IP)
    return row


def public_timeline(events: Iterable[CaseEvent], labels: dict[str, str]) -> list[dict]:
    """A case's history for anyone with its number: when, and a fixed line per kind of step. Steps without a public
    line (task hand-overs, reminders, claims) are left out; their titles name staff and carry notes."""
    return [{"at": e.occurred_at.isoformat(), "kind": e.kind, "title": labels[e.kind]} for e in events if e.kind in labels]
