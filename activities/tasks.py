"""The task inbox projection and case timelines: what the human-task helper and processes write."""


from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import flag_modified
from temporalio import activity

from contracts import (
    CLOSE_TASK,
    OPEN_TASK,
    RECORD_EVENT,
    UPDATE_TASK,
    CaseEventInput,
    CloseTaskInput,
    OpenTaskInput,
    OpenTaskResult,
    TaskChange,
    TaskChangeResult,
)
from office.calendar import OfficeCalendar
from store.models import CaseEvent, Task, User
from store.offices import OfficeIds
from store.queries import COLUMNS_ONLY, acting_officials_on


async def add_event(session: AsyncSession, event: CaseEventInput) -> None:
    """Adds a timeline line once: a retried activity finds it there and adds nothing."""
    if await session.get(CaseEvent, event.event_id) is not None:
        return
    session.add(
        CaseEvent(
            id=event.event_id, workflow_id=event.workflow_id, process=event.process, subject_id=event.subject_id,
            occurred_at=event.occurred_at, kind=event.kind, title=event.title, actor_id=event.actor_id,
            actor_name=event.actor_name, role=event.role, outcome=event.outcome, reason=event.reason, detail=event.detail,
        )
    )


def _event(task: Task, *, suffix: str, kind: str, title: str, at: datetime, **fields: Any) -> CaseEventInput:
    return CaseEventInput(event_id=f"{task.id}.{suffix}", workflow_id=task.workflow_id, process=task.process,
                          subject_id=task.subject_id, occurred_at=at, kind=kind, title=title, role=task.role, **fields)


def _end_claim(task: Task) -> None:
    """Clears the claim in the statement that writes this change, even when it was read as free: SQLite takes no row
    lock on the read, so a claim that lands between the read and the write is ended too, not kept by an UPDATE that
    left the column out as unchanged."""
    task.claimed_by_id = None
    flag_modified(task, "claimed_by_id")


class TaskActivities:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.offices = OfficeIds()

    @activity.defn(name=OPEN_TASK)
    async def open_task(self, inp: OpenTaskInput) -> OpenTaskResult:
        calendar = OfficeCalendar(inp.calendar)
        async with self.sessionmaker() as session, session.begin():
            task = await session.get(Task, inp.task_id, options=COLUMNS_ONLY)
            if task is None:
                due_at = calendar.add_working_days(inp.opened_at, inp.policy.due_working_days)
                escalate_at = (calendar.add_working_days(due_at, inp.policy.escalate_after_working_days)
                               if inp.policy.escalate_to_role else None)
                task = Task(
                    id=inp.task_id, workflow_id=inp.workflow_id, process=inp.process, subject_id=inp.subject_id,
                    title=inp.title, summary=inp.summary, role=inp.role, owner_id=inp.owner_id, status="open",
                    outcomes=[{"name": o.name, "label": o.label, "requires_reason": o.requires_reason, "requires_tte": o.requires_tte}
                              for o in inp.outcomes],
                    form=inp.form, created_at=inp.opened_at, due_at=due_at, escalate_at=escalate_at,
                    office_id=await self.offices.id_of(session, inp.calendar.office),
                )
                session.add(task)
                owner = await session.get(User, inp.owner_id, options=COLUMNS_ONLY) if inp.owner_id else None
                holder = owner.full_name if owner else (inp.policy.role_label or inp.role)
                await add_event(session, _event(task, suffix="opened", kind="task_opened", at=inp.opened_at,
                                                title=f"Tugas dibuka untuk {holder}: {inp.title}",
                                                detail={"due_at": due_at.isoformat()}))
            notify = await self._holders(session, task, calendar.local_today(inp.opened_at))
            if task.due_at is None:
                # Only this activity writes a task row, always with its due time: a row without one was not opened here.
                raise LookupError(f"task {task.id} has no due time: it was not opened by {OPEN_TASK}")
            return OpenTaskResult(created_at=task.created_at, due_at=task.due_at, escalate_at=task.escalate_at, notify_user_ids=notify)

    @activity.defn(name=UPDATE_TASK)
    async def update_task(self, change: TaskChange) -> TaskChangeResult:
        async with self.sessionmaker() as session, session.begin():
            task = await session.get(Task, change.task_id, with_for_update=True, options=COLUMNS_ONLY)
            if task is None and change.kind == "cancelled":
                # Cancelled while its opening was still under way: there is no row to close.
                return TaskChangeResult()
            if task is None:
                raise LookupError(f"task {change.task_id} is not in the inbox")
            # A claim reserves a task for one of those who may act on it now. Every change below that moves the task
            # past its claimant ends the claim in the same transaction: a claim left behind would lock the task for
            # whoever holds it next (the gateway also ignores a claim whose holder cannot act, for what changes elsewhere).
            if change.kind == "reminded":
                task.reminded_at = change.occurred_at
            elif change.kind == "escalated":
                # Its holders let the due time pass: the task is now for the escalation role too (which replaces an
                # earlier escalation role's access), and a claim taken before must not keep them from deciding.
                task.escalated_at = change.occurred_at
                task.escalated_to_role = change.escalate_to_role
                _end_claim(task)
            elif change.kind == "delegated":
                # Only the delegate may act until they recommend (the run refuses anyone else): nobody else's claim stands.
                task.delegate_id = change.delegate_id
                if task.claimed_by_id != change.delegate_id:
                    _end_claim(task)
            elif change.kind == "recommended":
                # The delegate acted and the task goes back to its owner, free.
                if change.clear_delegate:
                    task.delegate_id = None
                _end_claim(task)
            elif change.kind == "reassigned" and task.status == "open":
                # A process owner moved the task: the new holder alone sees it in the inbox (nobody's claim, no delegate,
                # no escalation role carried over from the previous holder).
                if change.clear_owner:
                    task.owner_id = None
                if change.owner_id is not None:
                    task.owner_id = change.owner_id
                if change.role:
                    task.role = change.role
                task.delegate_id = task.escalated_to_role = None
                _end_claim(task)
            elif change.kind == "cancelled" and task.status == "open":
                task.status = "cancelled"
                task.completed_at = change.occurred_at
                task.reason = change.reason
                task.delegate_id = None
                _end_claim(task)
            actor = change.actor
            suffix = f"{change.kind}.{change.occurred_at.timestamp():.0f}" + (f".{change.sequence}" if change.sequence else "")
            await add_event(session, _event(
                task, suffix=suffix, kind=f"task_{change.kind}",
                title=change.title, at=change.occurred_at, actor_id=actor.user_id if actor else None,
                actor_name=actor.full_name if actor else None, outcome=change.outcome, reason=change.reason,
            ))
            notify = await self._holders(session, task, change.occurred_at.date())
            return TaskChangeResult(notify_user_ids=notify)

    @activity.defn(name=CLOSE_TASK)
    async def close_task(self, inp: CloseTaskInput) -> None:
        async with self.sessionmaker() as session, session.begin():
            task = await session.get(Task, inp.task_id, with_for_update=True, options=COLUMNS_ONLY)
            if task is None:
                raise LookupError(f"task {inp.task_id} is not in the inbox")
            if task.status in ("open", "closing"):  # "closing": the gateway saw the decision acknowledged first
                task.status = "completed"
                task.completed_at = inp.decided_at
                task.completed_by_id = inp.actor.user_id
                task.acting_for_id = inp.actor.acting_for.id if inp.actor.acting_for else None
                task.outcome, task.reason, task.data = inp.outcome, inp.reason, inp.data
                task.delegate_id = None
                _end_claim(task)
            await add_event(session, _event(
                task, suffix="decided", kind="task_decided", title=inp.title, at=inp.decided_at,
                actor_id=inp.actor.user_id, actor_name=inp.actor.full_name, outcome=inp.outcome, reason=inp.reason,
                detail={"acting_for": inp.actor.acting_for.full_name} if inp.actor.acting_for else {},
            ))

    @activity.defn(name=RECORD_EVENT)
    async def record_event(self, event: CaseEventInput) -> None:
        async with self.sessionmaker() as session, session.begin():
            await add_event(session, event)

    @staticmethod
    async def _holders(session: AsyncSession, task: Task, day: date) -> list[int]:
        """Who holds a personal task now: the delegate, or the owner and the owner's Plh. for `day`.
        Empty for role tasks: their notifications go to the role."""
        if task.delegate_id is not None:
            return [task.delegate_id]
        if task.owner_id is None:
            return []
        plh = await acting_officials_on(session, [task.owner_id], day)
        return [task.owner_id, *plh.values()]
