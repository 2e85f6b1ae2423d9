"""Offices as the code reads them: the session-level office scope, and the office a run belongs to.

Staff of one office never read another office's rows: `scope_to_office` marks a session, and every ORM query it runs
from then on gets the office added (SQLAlchemy's `with_loader_criteria`), so no query has to remember a `WHERE`.
A run started before offices existed carries no office code: it belongs to the first office, the one the upgrade
made from the installation's single office (migration 0006).
"""

from sqlalchemy import event, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from store.models import Office, OfficeOwned, User

_SCOPE = "office_id"


def scope_to_office(session: AsyncSession, office_id: int | None) -> None:
    """From now on `session` reads only `office_id`'s rows (and applicants, who belong to no office)."""
    session.sync_session.info[_SCOPE] = office_id


def scoped_office_id(session: AsyncSession) -> int | None:
    return session.sync_session.info.get(_SCOPE)


@event.listens_for(Session, "do_orm_execute")
def _only_the_scoped_office(state: ORMExecuteState) -> None:
    office_id = state.session.info.get(_SCOPE)
    if office_id is None or state.is_column_load or state.is_relationship_load:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(
        with_loader_criteria(OfficeOwned, lambda cls: cls.office_id == office_id, include_aliases=True),
        with_loader_criteria(User, lambda cls: or_(cls.office_id == office_id, cls.office_id.is_(None)), include_aliases=True),
    )


async def office_by_code(session: AsyncSession, code: str) -> Office | None:
    return await session.scalar(select(Office).where(Office.code == code))


async def first_office(session: AsyncSession) -> Office:
    office = await session.scalar(select(Office).order_by(Office.id).limit(1))
    if office is None:
        raise LookupError("no office: run `satupintu init-db` first")
    return office


class OfficeIds:
    """Office code → id for the activities (offices are never renamed or removed, so a worker may keep them)."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._codes: dict[int, str] = {}

    async def id_of(self, session: AsyncSession, code: str) -> int:
        """The office's id; "" (a run from before offices) is the first office."""
        if code not in self._ids:
            office = await (office_by_code(session, code) if code else first_office(session))
            if office is None:
                raise LookupError(f"unknown office {code!r}")
            self._ids[code] = office.id
            self._codes[office.id] = office.code
        return self._ids[code]

    async def code_of(self, session: AsyncSession, code: str) -> str:
        """The office's code; "" is the first office's."""
        office_id = await self.id_of(session, code)
        return self._codes[office_id]

