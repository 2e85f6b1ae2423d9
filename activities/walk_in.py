"""Side effects particular to walk-in visits: the visit row the counter pages read."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.case_rows import check_own_row, keeps_final
from activities.tasks import add_event
from store.models import WalkInVisit
from contracts import UPDATE_WALK_IN, WalkInUpdate
from workflows.walk_in import FINAL_STATUSES


class WalkInActivities:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    @activity.defn(name=UPDATE_WALK_IN)
    async def update_walk_in(self, update: WalkInUpdate) -> None:
        async with self.sessionmaker() as session, session.begin():
            visit = await session.get(WalkInVisit, update.visit_id, with_for_update=True)
            if visit is None:
                raise LookupError(f"walk-in visit {update.visit_id} does not exist")
            check_own_row("walk-in visit", visit.workflow_id)
            if keeps_final(visit.status, update.status, FINAL_STATUSES):
                if update.event:
                    await add_event(session, update.event)
                return
            # Empty status/stage: an update from beside the steps (the target watcher) that leaves them be.
            if update.status:
                visit.status = update.status
            if update.stage:
                visit.stage = update.stage
            for name in ("receipt_number", "estimated_done_at", "target_at", "overrun_at", "result_number", "rating"):
                if getattr(update, name) is not None:
                    setattr(visit, name, getattr(update, name))
            if update.documents:
                visit.documents = {**(visit.documents or {}), **update.documents}
            if update.finished and visit.finished_at is None:
                visit.finished_at = update.event.occurred_at if update.event else None
            if update.event:
                await add_event(session, update.event)
