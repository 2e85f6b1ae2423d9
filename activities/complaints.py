"""Side effects particular to complaints: the complaint row the tracking and staff pages read."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.case_rows import write_case_row
from contracts import UPDATE_COMPLAINT, ComplaintUpdate
from store.models import CaseEvent, Complaint, Unit
from workflows.complaint import FINAL_STATUSES


class ComplaintActivities:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    @activity.defn(name=UPDATE_COMPLAINT)
    async def update_complaint(self, update: ComplaintUpdate) -> None:
        async def write(session: AsyncSession, complaint: Complaint) -> None:
            complaint.status = update.status
            if update.stage:
                complaint.stage = update.stage
            # Each step sets the next stage's due time; a finished complaint has none.
            complaint.stage_due_at = None if update.finished else update.stage_due_at or complaint.stage_due_at
            for name in ("letter_number", "letter_document_id", "officer_id", "response", "rejection_reason"):
                if getattr(update, name) is not None:
                    setattr(complaint, name, getattr(update, name))
            if update.unit_code is not None:
                # Unit codes are the office's own (two offices may both have a "PELAYANAN").
                complaint.unit_id = await session.scalar(select(Unit.id).where(Unit.code == update.unit_code,
                                                                               Unit.office_id == complaint.office_id))
            occurred = update.event.occurred_at if update.event else None
            if update.responded and occurred is not None:
                complaint.responded_at = occurred
            if update.finished and complaint.finished_at is None:
                complaint.finished_at = occurred
            # Escalations are written by the human-task mechanism into the timeline; the row keeps their count (this
            # step's own line, written next, is not one).
            complaint.escalations = await session.scalar(select(func.count()).select_from(CaseEvent).where(
                CaseEvent.workflow_id == complaint.workflow_id, CaseEvent.kind == "task_escalated")) or 0

        await write_case_row(self.sessionmaker, Complaint, update.complaint_id, "complaint", status=update.status, event=update.event,
                             final=FINAL_STATUSES, write=write)
