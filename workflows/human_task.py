"""The one human-task mechanism every process uses.

A workflow class inherits `HumanTaskWorkflow` and asks for a decision with `await self.ask(spec)`.
The helper writes the task into the SQL inbox (idempotent by task id), notifies the holder, waits
for the `decide_task` Workflow Update, reminds at the due time and escalates after the escalation
period (both in working days of the office calendar), and closes the task with actor, time,
outcome and reason. The update's validator refuses what is not allowed before anything reaches
the history, so a refused decision leaves no trace in the run.

The update handlers live on this base class, so they are registered on every process workflow and
the gateway addresses all of them by the same names.
"""

import asyncio
import functools
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from contracts import (
        CANCEL_RUN,
        CLOSE_TASK,
        DECIDE_TASK,
        DELEGATE_TASK,
        NOTIFY,
        OPEN_TASK,
        REASSIGN_TASK,
        RECORD_EVENT,
        REMIND_TASK,
        UPDATE_TASK,
        WORKING_DEADLINE,
        Actor,
        CalendarSnapshot,
        CancelRunRequest,
        CaseEventInput,
        CloseTaskInput,
        DeadlineInput,
        DeadlineResult,
        DecisionRequest,
        DelegationRequest,
        NotifyInput,
        NotifyResult,
        OpenTaskInput,
        OpenTaskResult,
        OwnerActionAck,
        Person,
        ReassignRequest,
        ReminderRequest,
        TaskAck,
        TaskChange,
        TaskChangeResult,
        TaskDecision,
        TaskSpec,
    )
    from workflows.options import NOTICE, QUICK_STEP, STEP, ActivityOptions

# Version marker (workflow.patched, see README "Changing a workflow safely"): notifications are started in the
# background and the process goes on while a channel is down (issue 7); runs recorded before it awaited each
# notification where it was sent, and replay that way.
PATCH_NOTIFY_IN_BACKGROUND = "notify-in-background"
# Version marker: a decision is acknowledged as soon as the run has recorded it, and ask() closes the inbox row
# after, so a person waits for one workflow task instead of one activity round trip more (issue 7, figure 2).
# Runs recorded before it closed the row inside the update handler, and replay that way.
PATCH_ACK_BEFORE_CLOSING = "decision-acked-before-closing"
# Version marker: a run cancelled where no task of it is open (a permit waiting for the applicant's revision, a
# hand-off waiting for the registry, a timer, a step's activity) is wound down as one cancelled in ask() is: open tasks
# closed, the case marked Dibatalkan, its people told (issue 15). Runs recorded before it ended without that, and
# replay that way.
PATCH_WIND_DOWN_ON_ANY_CANCEL = "wind-down-on-any-cancel"
# Version marker: a decision that comes in with a process owner's cancel stays on record, but the run takes no step
# after it (no status, number, document or message after Dibatalkan) and waits for Temporal's cancellation, which the
# gateway sends next. Runs recorded before it went on to the next step, and replay that way.
PATCH_NO_STEP_AFTER_CANCEL = "no-step-after-cancel"
# Version marker: a run that reaches its end while an update handler is still running (a process owner's remind or
# reassign accepted just before the last decision) waits for that handler, and for the notices it starts, before it
# ends (issue 16). Asked only when a handler is in flight at the end, so every other run records no marker and its
# commands are the same as before. Runs recorded before it ended at once, cutting the handler off, and replay that way.
PATCH_HANDLERS_FINISH_FIRST = "handlers-finish-before-the-run"

# Error types the gateway maps to HTTP statuses.
ERR_NOT_FOUND = "TaskNotFound"
# The task is being opened: its inbox row is written but the run has not recorded it yet. Asking again in a
# moment succeeds; the gateway does that for the person. Decisions are taken in that moment (except in runs from
# before PATCH_ACK_BEFORE_CLOSING); delegations and owner actions change the row, so they wait for it.
ERR_OPENING = "TaskOpening"
ERR_ALREADY_DECIDED = "TaskAlreadyDecided"
ERR_NOT_HOLDER = "NotTaskHolder"
ERR_INVALID = "InvalidDecision"
# The request is well-formed but the process is not in a state to take it (HTTP 409).
ERR_STATE = "ProcessStateConflict"

# Who may reassign, remind and cancel on any process (issue 6); the gateway checks it too, the run has the last word.
OWNER_ROLE = "pemilik_proses"
# Administrators hand the tasks of a member of staff they deactivate to whoever the process says (issue 17): a
# reassignment, and only that.
ADMIN_ROLES = ("admin", "admin_instalasi")


def _acting_as(actor: Actor) -> str:
    """How the history names who moved a task: a process owner, or an administrator handing on a deactivated account's work."""
    return "pemilik proses" if OWNER_ROLE in actor.roles else "administrator"


@dataclass
class _OpenTask:
    spec: TaskSpec
    task_id: str
    # Roles whose holders may decide: the task's role for role tasks, plus any escalation role.
    open_to_roles: list[str] = field(default_factory=list)
    # Labels of the roles the task was escalated to, in order (for the timeline).
    open_to_roles_labels: list[str] = field(default_factory=list)
    delegate: Person | None = None
    decision: TaskDecision | None = None
    # The inbox row exists: only then can anyone have seen the task and decide it.
    opened: bool = False
    closed: bool = False
    # What the inbox row is opened with (kept to open it again if a cancel interrupts the opening).
    opening: OpenTaskInput | None = None
    # How the row is closed once the decision is acknowledged (PATCH_ACK_BEFORE_CLOSING): ask() closes it.
    closing: CloseTaskInput | None = None
    # Who holds the task now: the spec's owner (or role) until a process owner reassigns it.
    owner: Person | None = None
    role_label: str = ""
    # Owner actions so far, numbering their notifications and timeline lines so a repeat is not taken for a retry.
    reassignments: int = 0
    owner_reminders: int = 0


_T = TypeVar("_T")
_Result = TypeVar("_Result")


def required(value: _T | None, what: str) -> _T:
    """A value of the run's state that the run sets (or waits for) before it reads it: its input, a request it waited
    on. None there is a bug in the workflow, reported as such (the workflow task fails and is retried), not a type gap."""
    if value is None:
        raise RuntimeError(f"{what} is read before the run has set it")
    return value


def person_of(actor: Actor) -> Person:
    """The person behind an actor (who decided a task, who cancelled a run), as a case's rows and documents name them."""
    return Person(id=actor.user_id, username=actor.username, full_name=actor.full_name, position=actor.position)


# The counter a repeated step's key ends with ("revision-2", "responded.1", "handoff-reminder.3").
_STEP_COUNTER = re.compile(r"[.-][0-9]+$")


def event_kind(key: str) -> str:
    """A timeline line's kind: the step's key without the counter that keeps its repeats apart."""
    return _STEP_COUNTER.sub("", key)


# Marks a run method already wrapped by _settled (a subclass of a process inherits it wrapped).
_SETTLES_NOTICES = "_settles_notices"


def _holder_names(task: _OpenTask) -> str:
    if task.delegate:
        return task.delegate.full_name
    if task.owner:
        return task.owner.full_name
    return task.role_label or task.spec.policy.role_label or task.spec.policy.role


class HumanTaskWorkflow:
    """Base class for process workflows: shared human-task state, updates and the `ask` helper."""

    process: str = ""

    def __init__(self) -> None:
        self._tasks: dict[str, _OpenTask] = {}
        self._calendar: CalendarSnapshot | None = None
        # Set by a process owner's cancel_run update; the gateway then asks Temporal to cancel the run.
        self._cancel_request: CancelRunRequest | None = None
        # The wind-down after a cancel (open tasks closed, on_cancelled run) happens once, whoever starts it first:
        # the cancel_run update or a run cancelled in ask(); the other waits until it is done.
        self._winding_down = False
        self._wound_down = False
        # Notifications started in the background and not yet known delivered; the run waits for them before it
        # closes, because an activity's retries stop with its run and the message would be lost.
        self._notices: list[asyncio.Task] = []
        # workflow.patched(PATCH_NOTIFY_IN_BACKGROUND), asked once per run at its first notification.
        self._notify_in_background: bool | None = None
        # workflow.patched(PATCH_ACK_BEFORE_CLOSING), asked once per run at its first decision.
        self._ack_before_closing: bool | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every process's @workflow.run goes through _settled: however the run ends (a result, a failure, continue
        # as new, a cancellation), it ends after its notifications are delivered and its update handlers have
        # finished (workflow.all_handlers_finished). A new process gets this by
        # inheriting the base; there is no call at each return to forget.
        super().__init_subclass__(**kwargs)
        for name, member in list(vars(cls).items()):
            if getattr(member, "__temporal_workflow_run", False) and not getattr(member, _SETTLES_NOTICES, False):
                setattr(cls, name, _settled(member))

    # -- what the process calls -------------------------------------------------------------

    def use_calendar(self, calendar: CalendarSnapshot) -> None:
        self._calendar = calendar

    async def ask(self, spec: TaskSpec) -> TaskDecision:
        assert self._calendar is not None, "call use_calendar() before ask()"
        if self._winding_down:
            # Cancelled between two steps: nobody is asked any more; Temporal's cancellation ends the run here.
            await workflow.wait_condition(lambda: False)
        task_id = f"{workflow.info().workflow_id}.{spec.key}"
        if task_id in self._tasks:
            raise ApplicationError(f"task key {spec.key!r} used twice in one run", non_retryable=True)
        task = _OpenTask(spec=spec, task_id=task_id, open_to_roles=[] if spec.owner else [spec.policy.role], owner=spec.owner,
                         role_label=spec.policy.role_label or spec.policy.role)
        self._tasks[task_id] = task

        try:
            task.opening = OpenTaskInput(
                task_id=task_id,
                workflow_id=workflow.info().workflow_id,
                process=self.process,
                subject_id=spec.subject_id,
                title=spec.title,
                role=spec.policy.role,
                owner_id=spec.owner.id if spec.owner else None,
                outcomes=spec.outcomes,
                form=spec.form,
                summary=spec.summary,
                policy=spec.policy,
                calendar=self._calendar,
                opened_at=workflow.now(),
            )
            opened: OpenTaskResult = await self._activity(OPEN_TASK, task.opening, OpenTaskResult)
            task.opened = True
            # Sent in the background (new runs): the task is open and waits for its decision while a mail server is down.
            await self._notify_task(task, f"{task_id}.opened", "Tugas baru", f"Tugas baru menunggu Anda: {spec.title}.", opened.notify_user_ids)

            # Past the due time: one reminder; then each escalation level in turn (none: wait after the reminder).
            policy = spec.policy
            roles = [policy.escalate_to_role, *policy.escalation_chain] if opened.escalate_at is not None and policy.escalate_to_role else []
            labels = [policy.escalate_to_role_label, *policy.escalation_chain_labels]
            levels = [(role, labels[i] if i < len(labels) else "") for i, role in enumerate(roles)]
            reminded, level, escalate_at = False, 0, opened.escalate_at
            while task.decision is None:
                deadline = opened.due_at if not reminded else escalate_at if level < len(levels) else None
                timeout = None if deadline is None else max(deadline - workflow.now(), timedelta(seconds=0))
                try:
                    await workflow.wait_condition(lambda: task.decision is not None, timeout=timeout)
                except TimeoutError:
                    if not reminded:
                        reminded = True
                        await self._remind(task)
                    else:
                        role, label = levels[level]
                        await self._escalate(task, role, label, level)
                        level += 1
                        if level < len(levels):
                            escalate_at = (await self._activity(WORKING_DEADLINE, DeadlineInput(
                                calendar=self._calendar, start=workflow.now(), working_days=policy.escalate_after_working_days), DeadlineResult)).deadline
            if task.closing is not None:
                await self._close_decided(task)
            else:
                # Runs before PATCH_ACK_BEFORE_CLOSING: the update handler closes the row; the next step waits for it.
                await workflow.wait_condition(lambda: task.closed)
        except BaseException as err:
            # The run is being cancelled (by a process owner, or in the Temporal UI): the inbox row must not stay
            # open for a decision nobody can make any more, and the case must not stay "waiting". Cancellation
            # then goes on as Temporal's own. A cancel that lands during an activity arrives as that activity's
            # error with a cancelled cause, hence the SDK's own test rather than asyncio.CancelledError alone.
            if not is_cancelled_exception(err):
                raise
            await _to_the_end(self._after_cancelled_ask(task))
            raise
        if (self._cancel_request is not None or self._winding_down) and workflow.patched(PATCH_NO_STEP_AFTER_CANCEL):
            # Decided in the same instant as a process owner cancelled: the decision is recorded and its row closed as
            # decided, and the case ends Dibatalkan; Temporal's cancellation ends the run here.
            await workflow.wait_condition(lambda: False)
        return task.decision

    async def _after_cancelled_ask(self, task: _OpenTask) -> None:
        if not task.opened and not task.closed and task.opening is not None:
            # Cancelled while the task was being opened: that activity may still write the inbox row after a
            # close found none. Opening again (idempotent by task id) makes sure the row is there to be closed.
            await self._activity(OPEN_TASK, task.opening, OpenTaskResult)
            task.opened = True
        if task.closing is not None and not task.closed:
            # Decided and acknowledged just before the cancel: the row closes as decided, as the person was told.
            await self._close_decided(task)
        if task.decision is None and not task.closed:
            await self._close_cancelled(task)
        await self._wind_down(self._cancel_request)

    async def on_cancelled(self, request: CancelRunRequest | None) -> None:
        """What a cancelled run means for the case: a process projects its row as cancelled and tells the person
        the case is for. Runs once per run, after the open tasks are closed; `request` is the process owner's
        (None when the run was cancelled in the Temporal UI or CLI)."""

    # -- wording shared by every process's on_cancelled ------------------------------------------

    @staticmethod
    def canceller(request: CancelRunRequest | None) -> str:
        return f"{request.actor.full_name} (pemilik proses)" if request else "administrator sistem"

    @staticmethod
    def canceller_person(request: CancelRunRequest | None) -> Person | None:
        return person_of(request.actor) if request is not None else None

    @staticmethod
    def cancel_reason(request: CancelRunRequest | None) -> str:
        return request.reason.strip() if request else "Proses dihentikan melalui sistem alur kerja."

    def cancelled_line(self, request: CancelRunRequest | None) -> str:
        """The case's timeline line: "Dibatalkan oleh <nama> (pemilik proses): <alasan>"."""
        return f"Dibatalkan oleh {self.canceller(request)}" + (f": {request.reason.strip()}" if request else "")

    # -- a process's case row and timeline -----------------------------------------------------------

    def timeline_event(self, subject_id: str, key: str, title: str, *, actor: Person | None = None, reason: str | None = None,
                       **fields: Any) -> CaseEventInput:
        """The timeline line of a step, keyed by the run and the step so that a retried write adds it once."""
        workflow_id = workflow.info().workflow_id
        return CaseEventInput(event_id=f"{workflow_id}.{key}", workflow_id=workflow_id, process=self.process, subject_id=subject_id,
                              occurred_at=workflow.now(), kind=event_kind(key), title=title, actor_id=actor.id if actor else None,
                              actor_name=actor.full_name if actor else None, reason=reason, **fields)

    async def project(self, activity: str, update: object, *, result_type: type | None = None, options: ActivityOptions = STEP) -> Any:
        """Writes the case row and its timeline line in one activity (a process's update_* activity, which keeps a
        final status and refuses a row of another run: activities/case_rows.py)."""
        return await workflow.execute_activity(activity, update, result_type=result_type, **options)

    def check_decision(self, spec: TaskSpec, request: DecisionRequest) -> None:
        """A process's own rule for a decision, checked by the validator after the shared ones.
        Raise ApplicationError(type=ERR_INVALID) to refuse; must not change state (it runs in a validator)."""

    # -- updates --------------------------------------------------------------------------------

    @workflow.update(name=DECIDE_TASK)
    async def decide_task(self, request: DecisionRequest) -> TaskAck:
        task = self._tasks[request.task_id]
        # Two updates validated in the same activation could both pass the validator; the first
        # handler to run wins and the second is refused here (the duplicate guard).
        self._check_open(task)
        now = workflow.now()
        if task.delegate is not None and request.actor.user_id == task.delegate.id:
            # A delegate's decision is a recommendation: the task goes back to its owner.
            delegate = task.delegate
            task.delegate = None
            await self._activity(
                UPDATE_TASK,
                TaskChange(
                    task_id=task.task_id,
                    kind="recommended",
                    title=f"{delegate.full_name} memberi pertimbangan '{self._outcome_label(task, request.outcome)}'; tugas kembali ke {_holder_names(task)}",
                    occurred_at=now,
                    actor=request.actor,
                    clear_delegate=True,
                    outcome=request.outcome,
                    reason=request.reason,
                ),
                TaskChangeResult,
            )
            if task.owner:
                await self._notify_task(task, f"{task.task_id}.recommended.{delegate.id}", "Tugas kembali kepada Anda",
                                        f"{delegate.full_name} telah memberi pertimbangan atas tugas: {task.spec.title}. Silakan ambil keputusan.",
                                        [task.owner.id])
            return TaskAck(task_id=task.task_id, status="recommended")

        acting = f" sebagai Plh. {request.actor.acting_for.full_name}" if request.actor.acting_for else ""
        closing = CloseTaskInput(
            task_id=task.task_id,
            outcome=request.outcome,
            actor=request.actor,
            decided_at=now,
            title=f"{task.spec.title}: {self._outcome_label(task, request.outcome)} oleh {request.actor.full_name}{acting}",
            reason=request.reason,
            data=request.data,
        )
        if self._ack_before_closing is None:
            self._ack_before_closing = workflow.patched(PATCH_ACK_BEFORE_CLOSING)
        if self._ack_before_closing:
            # Recorded in the run: the decision stands from here, and ask() closes the row next.
            task.closing = closing
            task.decision = TaskDecision(task_id=task.task_id, outcome=request.outcome, actor=request.actor, decided_at=now,
                                         reason=request.reason, data=request.data)
            return TaskAck(task_id=task.task_id, status="decided")
        task.decision = TaskDecision(task_id=task.task_id, outcome=request.outcome, actor=request.actor, decided_at=now,
                                     reason=request.reason, data=request.data)
        await self._activity(CLOSE_TASK, closing, None)
        task.closed = True
        return TaskAck(task_id=task.task_id, status="decided")

    @decide_task.validator
    def _validate_decision(self, request: DecisionRequest) -> None:
        self._check_not_cancelling()
        # A person sees the inbox row as soon as the opening activity has written it, a moment before the run
        # records that activity's completion. Runs that record a decision and let ask() close the row after the
        # opening (PATCH_ACK_BEFORE_CLOSING; None = no decision yet, so the first one takes the patched path) take
        # the decision then; older runs closed the row in the handler, which could race the opening.
        task = self._find(request.task_id, while_opening=self._ack_before_closing is not False)
        self._check_open(task)
        self._check_holder(task, request.actor)
        offered = {o.name: o for o in task.spec.outcomes}
        outcome = offered.get(request.outcome)
        if outcome is None:
            raise ApplicationError(
                f"Keputusan '{request.outcome}' tidak tersedia untuk tugas ini. Pilihan: {', '.join(offered)}.", type=ERR_INVALID
            )
        if outcome.requires_reason and not (request.reason or "").strip():
            raise ApplicationError(f"Alasan wajib diisi untuk keputusan '{outcome.label}'.", type=ERR_INVALID)
        if "passphrase" in request.data:
            raise ApplicationError("Passphrase tidak boleh dikirim ke proses.", type=ERR_INVALID)
        if outcome.requires_tte and not request.data.get("signing_token"):
            raise ApplicationError(f"Keputusan '{outcome.label}' memerlukan tanda tangan elektronik (passphrase TTE).", type=ERR_INVALID)
        _check_form(task.spec.form, request.data)
        self.check_decision(task.spec, request)

    @workflow.update(name=DELEGATE_TASK)
    async def delegate_task(self, request: DelegationRequest) -> TaskAck:
        task = self._tasks[request.task_id]
        self._check_open(task)
        if task.delegate is not None:
            raise ApplicationError(f"Tugas ini sedang didelegasikan kepada {task.delegate.full_name}.", type=ERR_INVALID)
        task.delegate = request.delegate
        note = f" dengan catatan: {request.note}" if request.note else ""
        await self._activity(
            UPDATE_TASK,
            TaskChange(
                task_id=task.task_id,
                kind="delegated",
                title=f"Didelegasikan oleh {request.actor.full_name} kepada {request.delegate.full_name}{note}",
                occurred_at=workflow.now(),
                actor=request.actor,
                delegate_id=request.delegate.id,
                reason=request.note or None,
            ),
            TaskChangeResult,
        )
        await self._notify_task(task, f"{task.task_id}.delegated.{request.delegate.id}", "Tugas didelegasikan kepada Anda",
                                f"{request.actor.full_name} meminta pertimbangan Anda atas tugas: {task.spec.title}.{note}", [request.delegate.id])
        return TaskAck(task_id=task.task_id, status="delegated")

    @delegate_task.validator
    def _validate_delegation(self, request: DelegationRequest) -> None:
        self._check_not_cancelling()
        task = self._find(request.task_id)
        self._check_open(task)
        owner = task.owner
        acting_for_owner = request.actor.acting_for is not None and owner is not None and request.actor.acting_for.id == owner.id
        if owner is None or (request.actor.user_id != owner.id and not acting_for_owner):
            raise ApplicationError("Hanya pemilik tugas yang dapat mendelegasikannya.", type=ERR_NOT_HOLDER)
        if task.delegate is not None:
            raise ApplicationError(f"Tugas ini sedang didelegasikan kepada {task.delegate.full_name}.", type=ERR_INVALID)
        if request.delegate.id in (request.actor.user_id, owner.id):
            raise ApplicationError("Pilih rekan lain sebagai penerima delegasi.", type=ERR_INVALID)

    # -- a process owner's actions on a stuck run (issue 6) --------------------------------------
    # Each is an update, so the run's own history records who did it, when and why.

    @workflow.update(name=REASSIGN_TASK)
    async def reassign_task(self, request: ReassignRequest) -> OwnerActionAck:
        task = self._tasks[request.task_id]
        self._check_open(task)
        if request.to_person is None and not request.to_role:
            # Refused by the validator before it reaches the run: a reassignment names a person or a role.
            raise ApplicationError("Pilih satu tujuan pengalihan: seorang pegawai atau satu peran.", type=ERR_INVALID)
        before = _holder_names(task)
        task.reassignments += 1
        task.delegate = None
        if request.to_person is not None:
            task.owner, task.open_to_roles = request.to_person, []
        else:
            task.owner, task.open_to_roles = None, [required(request.to_role, "to_role")]
            task.role_label = request.to_role_label or required(request.to_role, "to_role")
        # Escalation roles held the task beside its holder; the new holder replaces them all.
        task.open_to_roles_labels = []
        after = _holder_names(task)
        change: TaskChangeResult = await self._activity(
            UPDATE_TASK,
            TaskChange(
                task_id=task.task_id,
                kind="reassigned",
                title=f"Dialihkan oleh {request.actor.full_name} ({_acting_as(request.actor)}) dari {before} kepada {after}",
                occurred_at=workflow.now(),
                actor=request.actor,
                reason=request.reason.strip(),
                owner_id=request.to_person.id if request.to_person else None,
                role=request.to_role if request.to_person is None else None,
                clear_owner=request.to_person is None,
                sequence=task.reassignments,
            ),
            TaskChangeResult,
        )
        await self._notify_task(task, f"{task.task_id}.reassigned.{task.reassignments}", "Tugas dialihkan kepada Anda",
                                f"{request.actor.full_name} ({_acting_as(request.actor)}) mengalihkan tugas '{task.spec.title}' kepada Anda.\n"
                                f"Alasan: {request.reason.strip()}", change.notify_user_ids)
        return OwnerActionAck(status="reassigned", task_id=task.task_id)

    @reassign_task.validator
    def _validate_reassign(self, request: ReassignRequest) -> None:
        self._check_owner_action(request.actor, also=ADMIN_ROLES)
        task = self._find(request.task_id)
        self._check_open(task)
        if not (request.reason or "").strip():
            raise ApplicationError("Alasan pengalihan wajib diisi.", type=ERR_INVALID)
        if (request.to_person is None) == (not request.to_role):
            raise ApplicationError("Pilih satu tujuan pengalihan: seorang pegawai atau satu peran.", type=ERR_INVALID)
        if request.to_person is not None and task.delegate is None and task.owner is not None and task.owner.id == request.to_person.id:
            raise ApplicationError(f"Tugas ini sudah dipegang oleh {request.to_person.full_name}.", type=ERR_INVALID)
        if request.to_role:
            if not request.to_role_label or not request.to_role.replace("_", "").isalnum():
                raise ApplicationError(f"Peran '{request.to_role}' tidak dikenal.", type=ERR_INVALID)
            if task.owner is None and task.delegate is None and task.open_to_roles == [request.to_role]:
                raise ApplicationError(f"Tugas ini sudah terbuka untuk peran {request.to_role_label}.", type=ERR_INVALID)

    @workflow.update(name=REMIND_TASK)
    async def remind_task(self, request: ReminderRequest) -> OwnerActionAck:
        task = self._tasks[request.task_id]
        self._check_open(task)
        task.owner_reminders += 1
        note = request.note.strip()
        change: TaskChangeResult = await self._activity(
            UPDATE_TASK,
            TaskChange(task_id=task.task_id, kind="reminded", title=f"Pengingat dari {request.actor.full_name} (pemilik proses) kepada {_holder_names(task)}",
                       occurred_at=workflow.now(), actor=request.actor, reason=note or None, sequence=task.owner_reminders),
            TaskChangeResult,
        )
        await self._notify_task(task, f"{task.task_id}.owner-reminded.{task.owner_reminders}", "Pengingat dari pemilik proses",
                                f"{request.actor.full_name} (pemilik proses) mengingatkan tugas '{task.spec.title}' yang masih menunggu keputusan Anda."
                                + (f"\nCatatan: {note}" if note else ""), change.notify_user_ids)
        return OwnerActionAck(status="reminded", task_id=task.task_id)

    @remind_task.validator
    def _validate_reminder(self, request: ReminderRequest) -> None:
        self._check_owner_action(request.actor)
        self._check_open(self._find(request.task_id))

    @workflow.update(name=CANCEL_RUN)
    async def cancel_run(self, request: CancelRunRequest) -> OwnerActionAck:
        self._check_not_cancelling()
        self._cancel_request = request
        info = workflow.info()
        subject = next((t.spec.subject_id for t in reversed(self._tasks.values())), "")
        await self._activity(
            RECORD_EVENT,
            CaseEventInput(event_id=f"{info.workflow_id}.cancel-requested", workflow_id=info.workflow_id, process=self.process, subject_id=subject,
                           occurred_at=workflow.now(), kind="run_cancelled", title=f"Proses dibatalkan oleh {request.actor.full_name} (pemilik proses)",
                           actor_id=request.actor.user_id, actor_name=request.actor.full_name, role=OWNER_ROLE, reason=request.reason.strip()),
            None,
        )
        # Here, not where the run waits: a run waiting outside ask() (on a signal, a timer) is wound down too.
        await self._wind_down(request)
        return OwnerActionAck(status="cancelling")

    @cancel_run.validator
    def _validate_cancel(self, request: CancelRunRequest) -> None:
        self._check_owner_action(request.actor)
        if not (request.reason or "").strip():
            raise ApplicationError("Alasan pembatalan wajib diisi.", type=ERR_INVALID)

    @workflow.query
    def open_tasks(self) -> list[str]:
        # Only tasks whose inbox row is written: those are the ones a person can have seen and may decide.
        return [t.task_id for t in self._tasks.values() if t.opened and t.decision is None and not t.closed]

    # -- internals ------------------------------------------------------------------------------

    def _find(self, task_id: str, *, while_opening: bool = False) -> _OpenTask:
        task = self._tasks.get(task_id)
        if task is None:
            raise ApplicationError("Tugas tidak ditemukan pada proses ini.", type=ERR_NOT_FOUND)
        if not task.opened and not while_opening:
            raise ApplicationError("Tugas ini sedang dibuka; silakan coba lagi sebentar.", type=ERR_OPENING)
        return task

    @staticmethod
    def _check_open(task: _OpenTask) -> None:
        if task.decision is not None:
            d = task.decision
            raise ApplicationError(f"Tugas ini sudah diputuskan oleh {d.actor.full_name} ({d.outcome}).", type=ERR_ALREADY_DECIDED)

    @staticmethod
    def _check_holder(task: _OpenTask, actor: Actor) -> None:
        holder = task.delegate or task.owner
        if holder is not None and (actor.user_id == holder.id or (actor.acting_for is not None and actor.acting_for.id == holder.id)):
            return
        if task.delegate is None and set(actor.roles) & set(task.open_to_roles):
            return
        raise ApplicationError(f"Anda tidak berwenang memutuskan tugas ini (pemegang: {_holder_names(task)}).", type=ERR_NOT_HOLDER)

    def _check_owner_action(self, actor: Actor, *, also: tuple[str, ...] = ()) -> None:
        if not {OWNER_ROLE, *also} & set(actor.roles):
            raise ApplicationError("Tindakan ini hanya untuk pemilik proses.", type=ERR_NOT_HOLDER)
        self._check_not_cancelling()

    def _check_not_cancelling(self) -> None:
        if self._cancel_request is not None:
            raise ApplicationError(f"Proses ini sedang dibatalkan oleh {self._cancel_request.actor.full_name}.", type=ERR_STATE)
        if self._winding_down:
            raise ApplicationError("Proses ini sedang dibatalkan.", type=ERR_STATE)

    async def _wind_down(self, request: CancelRunRequest | None) -> None:
        if self._winding_down:
            await workflow.wait_condition(lambda: self._wound_down)
            return
        self._winding_down = True
        for task in list(self._tasks.values()):
            if task.opened and task.decision is None and not task.closed:
                await self._close_cancelled(task)
        await self.on_cancelled(request)
        self._wound_down = True

    async def _close_decided(self, task: _OpenTask) -> None:
        # Marked after: a cancel that interrupts it closes the row again (closing is idempotent by task id).
        await self._activity(CLOSE_TASK, task.closing, None)
        task.closed = True

    async def _close_cancelled(self, task: _OpenTask) -> None:
        # Marked first: the update handler and a cancelled ask() may both reach the same task; one closes it.
        task.closed = True
        request = self._cancel_request
        by = f" oleh {request.actor.full_name}" if request else ""
        await self._activity(
            UPDATE_TASK,
            TaskChange(task_id=task.task_id, kind="cancelled", title=f"Tugas ditutup: proses dibatalkan{by}", occurred_at=workflow.now(),
                       actor=request.actor if request else None, reason=request.reason.strip() if request else None),
            TaskChangeResult,
        )

    @staticmethod
    def _outcome_label(task: _OpenTask, name: str) -> str:
        return next((o.label for o in task.spec.outcomes if o.name == name), name)

    async def _remind(self, task: _OpenTask) -> None:
        change: TaskChangeResult = await self._activity(
            UPDATE_TASK,
            TaskChange(task_id=task.task_id, kind="reminded", title=f"Pengingat dikirim kepada {_holder_names(task)}: tugas melewati batas waktu",
                       occurred_at=workflow.now()),
            TaskChangeResult,
        )
        await self._notify_task(task, f"{task.task_id}.reminded", "Pengingat: tugas melewati batas waktu",
                                f"Tugas '{task.spec.title}' telah melewati batas waktu. Mohon segera diputuskan.", change.notify_user_ids)

    async def _escalate(self, task: _OpenTask, role: str, label: str, level: int) -> None:
        holders = _holder_names(task) if level == 0 else ", ".join([_holder_names(task), *task.open_to_roles_labels])
        task.open_to_roles.append(role)
        task.open_to_roles_labels.append(label or role)
        await self._activity(
            UPDATE_TASK,
            TaskChange(task_id=task.task_id, kind="escalated", title=f"Dieskalasi kepada {label or role}: belum diputuskan oleh {holders}",
                       occurred_at=workflow.now(), escalate_to_role=role),
            TaskChangeResult,
        )
        await self.notify(
            NotifyInput(idempotency_key=f"{task.task_id}.escalated" + (f".{level}" if level else ""), subject="Eskalasi tugas",
                        body=f"Tugas '{task.spec.title}' belum diputuskan oleh {_holder_names(task)} dan dieskalasi kepada Anda.",
                        recipient_roles=[role], link=f"/inbox?task={task.task_id}"),
            options=QUICK_STEP,
        )

    async def _notify_task(self, task: _OpenTask, key: str, subject: str, body: str, user_ids: list[int]) -> None:
        await self.notify(
            NotifyInput(idempotency_key=key, subject=subject, body=body, recipient_ids=user_ids,
                        recipient_roles=[] if user_ids else list(task.open_to_roles), link=f"/inbox?task={task.task_id}"),
            options=QUICK_STEP,
        )

    # -- notifications --------------------------------------------------------------------------

    async def notify(self, message: NotifyInput, *, options: ActivityOptions = NOTICE) -> None:
        """Sends `message` through the one NOTIFY activity, retried durably and keyed by its idempotency key.
        The process goes on at once: a channel that is down (the mail server, the WhatsApp API) delays the
        message, not the next step. The run itself ends only after every message it started is delivered.
        Every notification of every process goes through here."""
        if not message.office and self._calendar is not None:
            # Roles are the run's office's (the message carries no command of its own: replay is unchanged).
            message = replace(message, office=self._calendar.office)
        if self._notify_in_background is None:
            # Asked at the first notification of a run, whichever it is, so a replay asks at the same point.
            self._notify_in_background = workflow.patched(PATCH_NOTIFY_IN_BACKGROUND)
        if not self._notify_in_background:
            await workflow.execute_activity(NOTIFY, message, result_type=NotifyResult, **options)
            return
        self._notices.append(
            workflow.start_activity(NOTIFY, message, result_type=NotifyResult, **options))

    async def settle_notifications(self, *, raise_failure: bool = True) -> None:
        """Waits until every notification started so far (and any started meanwhile) is delivered. A cancel of the
        run does not stop the wait: the notices of a cancelled run ("... dibatalkan") must still arrive."""
        i = 0
        while i < len(self._notices):
            notice = self._notices[i]
            while not notice.done():
                try:
                    await asyncio.shield(notice)
                except (asyncio.CancelledError, Exception):  # noqa: BLE001 - a cancel of the run, or the notice's own failure (read below)
                    pass
            i += 1
        failed = [err for n in self._notices if not n.cancelled() and (err := n.exception()) is not None]
        if failed and raise_failure:
            # Cannot happen with the durable retry but for a non-retryable error; the run fails, as it did when
            # the notification was awaited, rather than close as if the message had gone out.
            raise failed[0]

    async def _activity(self, name: str, arg: object, result_type: type | None) -> Any:
        return await workflow.execute_activity(name, arg, result_type=result_type, **QUICK_STEP)


async def _to_the_end(work: Coroutine[Any, Any, object]) -> None:
    """Runs `work` (a clean-up after a cancel) to its end although the run is being cancelled."""
    task = asyncio.create_task(work)
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            pass  # cancelled again (a timer firing with the cancel): the clean-up must still finish
    task.result()


async def _settle(wf: HumanTaskWorkflow, *, raise_failure: bool = True) -> None:
    """What every run does last, however it ends: its notifications delivered, and no update handler cut off. A
    handler still running at the end (an owner's remind or reassign accepted just before the last decision) would
    otherwise never finish: its timeline line or its notice lost, its caller told the run had ended. Handlers only
    ever wait on activities and the run's own state, so this wait ends."""
    await wf.settle_notifications(raise_failure=raise_failure)
    # Nothing in flight (nearly every run): no marker and no wait, the same commands as before the patch.
    while not workflow.all_handlers_finished() and workflow.patched(PATCH_HANDLERS_FINISH_FIRST):
        await _to_the_end(workflow.wait_condition(workflow.all_handlers_finished))
        # The notices those handlers started.
        await wf.settle_notifications(raise_failure=raise_failure)


def _settled(run: Callable[..., Awaitable[_Result]]) -> Callable[..., Awaitable[_Result]]:
    @functools.wraps(run)
    async def run_then_settle(self: HumanTaskWorkflow, *args: Any) -> _Result:
        try:
            result = await run(self, *args)
        except BaseException as err:
            if is_cancelled_exception(err) and not self._wound_down and workflow.patched(PATCH_WIND_DOWN_ON_ANY_CANCEL):
                # Cancelled where ask() was not waiting (a timer, a signal or update, a step's activity): the case
                # still ends Dibatalkan and its open tasks close, as they do for a cancel that lands in ask().
                await _to_the_end(self._wind_down(self._cancel_request))
            # Ends the run as such (a failure, continue as new, a cancellation): deliver first, then end as the run
            # asked. Anything else is a bug that fails the workflow task and is retried; no waiting for it.
            if isinstance(err, (FailureError, workflow.ContinueAsNewError)) or is_cancelled_exception(err):
                await _settle(self, raise_failure=False)
            raise
        # A cancel that arrives now is not obeyed: the case is done, only its last messages are on their way.
        await _settle(self)
        return result

    setattr(run_then_settle, _SETTLES_NOTICES, True)
    return run_then_settle


_JSON_TYPES: dict[str, type | tuple[type, ...]] = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "object": dict, "array": list}


def form_options(prop: dict) -> list:
    """The allowed values of a property: `oneOf` of {const, title} (labelled) or a plain `enum`."""
    return [o["const"] for o in prop.get("oneOf", [])] or list(prop.get("enum", []))


def _check_form(schema: dict, data: dict) -> None:
    """The subset of JSON Schema the task forms use: required properties, their types, allowed values
    (`enum` / `oneOf` const, also for the items of an array) and integer bounds."""
    for name in schema.get("required", []):
        if data.get(name) in (None, "", []):
            title = schema.get("properties", {}).get(name, {}).get("title", name)
            raise ApplicationError(f"Isian '{title}' wajib diisi.", type=ERR_INVALID)
    for name, prop in schema.get("properties", {}).items():
        if name not in data:
            continue
        value, title = data[name], prop.get("title", name)
        if "type" in prop and not isinstance(value, _JSON_TYPES.get(prop["type"], object)):
            raise ApplicationError(f"Isian '{title}' tidak valid.", type=ERR_INVALID)
        options = form_options(prop)
        if options and value not in options:
            raise ApplicationError(f"Isian '{title}' harus salah satu dari: {', '.join(map(str, options))}.", type=ERR_INVALID)
        item_options = form_options(prop.get("items", {}))
        if isinstance(value, list) and item_options and any(v not in item_options for v in value):
            raise ApplicationError(f"Isian '{title}' berisi pilihan yang tidak tersedia.", type=ERR_INVALID)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if ("minimum" in prop and value < prop["minimum"]) or ("maximum" in prop and value > prop["maximum"]):
                raise ApplicationError(f"Isian '{title}' harus antara {prop.get('minimum', '…')} dan {prop.get('maximum', '…')}.", type=ERR_INVALID)
