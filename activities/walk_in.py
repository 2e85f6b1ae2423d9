"""Side effects particular to walk-in visits: the visit row the counter pages read."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.case_rows import write_case_row
from contracts import UPDATE_WALK_IN, WalkInUpdate
from store.models import WalkInVisit
from workflows.walk_in import FINAL_STATUSES


class WalkInActivities:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    @activity.defn(name=UPDATE_WALK_IN)
    async def update_walk_in(self, update: WalkInUpdate) -> None:
        async def write(session: AsyncSession, visit: WalkInVisit) -> None:
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

        await write_case_row(self.sessionmaker, WalkInVisit, update.visit_id, "walk-in visit", status=update.status, event=update.event,
                             final=FINAL_STATUSES, write=write)
