"""Side effects particular to permit applications: the case row the pages and tracking read."""

from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.case_rows import write_case_row
from contracts import UPDATE_PERMIT, WORKING_DEADLINE, DeadlineInput, DeadlineResult, PermitUpdate
from office.calendar import OfficeCalendar
from store.models import PermitApplication, utcnow
from workflows.permit import FINAL_STATUSES


class PermitActivities:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    @activity.defn(name=UPDATE_PERMIT)
    async def update_permit(self, update: PermitUpdate) -> None:
        async def write(session: AsyncSession, application: PermitApplication) -> None:
            application.status, application.stage = update.status, update.stage
            if update.clear_revision:
                application.revision_notes = application.revision_due_at = None
            if update.revision_notes is not None:
                application.revision_notes = update.revision_notes
                application.revision_round += 1
            for name in ("revision_due_at", "decision_reason", "permit_number", "download_expires_at", "downloaded_at"):
                if getattr(update, name) is not None:
                    setattr(application, name, getattr(update, name))
            if update.document_id is not None:
                application.permit_document_id = update.document_id
            if update.clock is not None:
                application.clock = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(s).items()} for s in update.clock]
            if update.finished and application.finished_at is None:
                application.finished_at = utcnow()

        # Its own columns only: the applicant comes by an outer join, which PostgreSQL will not lock FOR UPDATE.
        await write_case_row(self.sessionmaker, PermitApplication, update.application_id, "permit application", status=update.status,
                             event=update.event, final=FINAL_STATUSES, write=write, columns_only=True)


class CalendarActivities:
    @activity.defn(name=WORKING_DEADLINE)
    async def working_deadline(self, inp: DeadlineInput) -> DeadlineResult:
        return DeadlineResult(deadline=OfficeCalendar(inp.calendar).add_working_days(inp.start, inp.working_days))
