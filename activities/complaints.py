"""Side effects particular to complaints: the complaint row the tracking and staff pages read."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.case_rows import check_own_row, keeps_final
from activities.tasks import add_event
from store.models import CaseEvent, Complaint, Unit
from workflows.complaint import FINAL_STATUSES
from contracts import UPDATE_COMPLAINT, ComplaintUpdate


class ComplaintActivities:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    @activity.defn(name=UPDATE_COMPLAINT)
    async def update_complaint(self, update: ComplaintUpdate) -> None:
        async with self.sessionmaker() as session, session.begin():
            complaint = await session.get(Complaint, update.complaint_id, with_for_update=True)
            if complaint is None:
                raise LookupError(f"complaint {update.complaint_id} does not exist")
            check_own_row("complaint", complaint.workflow_id)
            if keeps_final(complaint.status, update.status, FINAL_STATUSES):
                if update.event:
                    await add_event(session, update.event)
                return
            complaint.status = update.status
            if update.stage:
                complaint.stage = update.stage
            # Each step sets the next stage's due time; a finished complaint has none.
            complaint.stage_due_at = None if update.finished else update.stage_due_at or complaint.stage_due_at
            for name in ("letter_number", "letter_document_id", "officer_id", "response", "rejection_reason"):
                if getattr(update, name) is not None:
                    setattr(complaint, name, getattr(update, name))
            if update.unit_code is not None:
                complaint.unit_id = await session.scalar(select(Unit.id).where(Unit.code == update.unit_code))
            occurred = update.event.occurred_at if update.event else None
            if update.responded and occurred is not None:
                complaint.responded_at = occurred
            if update.finished and complaint.finished_at is None:
                complaint.finished_at = occurred
            if update.event:
                await add_event(session, update.event)
            # Escalations are written by the human-task mechanism into the timeline; the row keeps their count.
            complaint.escalations = await session.scalar(select(func.count()).select_from(CaseEvent).where(
                CaseEvent.workflow_id == complaint.workflow_id, CaseEvent.kind == "task_escalated")) or 0
