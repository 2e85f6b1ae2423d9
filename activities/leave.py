"""Side effects particular to leave requests: the case row and the acting official during leave."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.case_rows import write_case_row
from contracts import UPDATE_LEAVE_REQUEST, LeaveUpdate
from store.locks import lock_person
from store.models import LeaveRequest, Substitution
from workflows.leave import FINAL_STATUSES


class LeaveActivities:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    @activity.defn(name=UPDATE_LEAVE_REQUEST)
    async def update_leave_request(self, update: LeaveUpdate) -> None:
        async def write(session: AsyncSession, leave: LeaveRequest) -> None:
            leave.status = update.status
            if update.letter_number:
                leave.letter_number = update.letter_number
            if update.document_id:
                leave.document_id = update.document_id
            if update.reason:
                leave.decision_reason = update.reason
            if update.status in FINAL_STATUSES and leave.finished_at is None:
                leave.finished_at = datetime.now(UTC)
            if update.acting_official_id is not None:
                # The official's Plh. appointments are made in turn (store/locks.py), so one asked for by hand at this
                # moment (gateway/services/people.py) is checked against this one, not against what was there before.
                await lock_person(session, leave.employee_id)
                exists = await session.scalar(select(Substitution.id).where(Substitution.leave_request_id == leave.id))
                if exists is None:
                    session.add(Substitution(
                        official_id=leave.employee_id, acting_id=update.acting_official_id, start_date=leave.start_date,
                        end_date=leave.end_date, reason=f"Cuti ({leave.leave_type}) disetujui", source="leave",
                        leave_request_id=leave.id, created_by_id=leave.employee_id,
                    ))

        # Its own columns only, not its employee (4 more tables).
        await write_case_row(self.sessionmaker, LeaveRequest, update.request_id, "leave request", status=update.status, event=update.event,
                             final=FINAL_STATUSES, write=write, columns_only=True)
