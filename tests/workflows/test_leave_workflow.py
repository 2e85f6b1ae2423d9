"""The leave process and the shared human-task mechanism, on the real dev server (decisions are
Workflow Updates, which the time-skipping server cannot serve while it skips) and on the
time-skipping server (reminders and escalation over working days)."""

import asyncio
import mailbox
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Worker

from activities.tasks import TaskActivities
from contracts import CLOSE_TASK, DECIDE_TASK, DELEGATE_TASK, OPEN_TASK, DecisionRequest, DelegationRequest, OpenTaskInput, OpenTaskResult, TaskAck
from gateway.services.people import person
from store.models import CaseEvent, IssuedNumber, LeaveRequest, Notification, Substitution, Task, User
from tests.factories import actor_for, record_golden_history, start_leave, wait_for_task, wait_until_decidable
from workers.main import activities_for
from workflows.registry import WORKFLOWS


async def decide(handle, task_id, actor, outcome, reason=None):
    return await handle.execute_update(DECIDE_TASK, DecisionRequest(task_id=task_id, actor=actor, outcome=outcome, reason=reason), result_type=TaskAck)


async def refused(handle, task_id, actor, outcome, reason=None) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await decide(handle, task_id, actor, outcome, reason)
    return info.value.cause.type


def emails(maildir: Path) -> list:
    return list(mailbox.Maildir(maildir, factory=None, create=False))


async def test_approval_numbers_the_letter_and_notifies(local_env, db, worker_for):
    await worker_for(local_env.client)
    handle, inp = await start_leave(local_env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    approval_id = f"{handle.id}.persetujuan-atasan"
    task = await wait_for_task(db.sessionmaker, approval_id)
    assert task.owner_id == inp.supervisor.id and task.outcomes[0]["name"] == "approve"

    # Refusals come back at once with a reason, and leave the history clean.
    assert await refused(handle, approval_id, await actor_for(db.sessionmaker, "pegawai1"), "approve") == "NotTaskHolder"
    assert await refused(handle, approval_id, await actor_for(db.sessionmaker, "atasan1"), "reject") == "InvalidDecision"
    assert await refused(handle, approval_id, await actor_for(db.sessionmaker, "atasan1"), "assign_number") == "InvalidDecision"
    assert await refused(handle, "leave-0.nothing", await actor_for(db.sessionmaker, "atasan1"), "approve") == "TaskNotFound"

    ack = await decide(handle, approval_id, await actor_for(db.sessionmaker, "atasan1"), "approve")
    assert ack.status == "decided"
    assert await refused(handle, approval_id, await actor_for(db.sessionmaker, "atasan1"), "reject", "terlambat") == "TaskAlreadyDecided"

    numbering_id = f"{handle.id}.penomoran-surat"
    await wait_for_task(db.sessionmaker, numbering_id)
    # A role task: anyone holding the role may act, nobody else.
    assert await refused(handle, numbering_id, await actor_for(db.sessionmaker, "atasan1"), "assign_number") == "NotTaskHolder"
    await decide(handle, numbering_id, await actor_for(db.sessionmaker, "penomoran1"), "assign_number")

    result = await handle.result()
    assert result.status == "approved"
    async with db.sessionmaker() as session:
        leave = await session.get(LeaveRequest, inp.request_id)
        issued = (await session.scalars(select(IssuedNumber))).all()
        events = (await session.scalars(select(CaseEvent).where(CaseEvent.workflow_id == handle.id).order_by(CaseEvent.occurred_at))).all()
        tasks = (await session.scalars(select(Task).where(Task.workflow_id == handle.id))).all()
    assert leave.status == "approved" and leave.letter_number == result.letter_number and leave.document_id == result.document_id
    assert [i.number for i in issued] == [result.letter_number]
    assert result.letter_number.startswith("B-1/MS.W1-A5/KP.05.2/")  # the court's register and format
    assert [i.scope for i in issued] == ["ms-lhokseumawe/leave_letter"]
    assert all(t.status == "completed" for t in tasks)
    kinds = [e.kind for e in events]
    assert kinds[0] == "submitted" and "task_decided" in kinds and kinds[-1] == "approved"
    decided = next(e for e in events if e.kind == "task_decided" and e.outcome == "approve")
    assert decided.actor_name == "Rahmawati, S.H., M.H."

    history = await handle.fetch_history()
    accepted = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]
    assert len(accepted) == 2, "refused decisions must not appear in the history"
    # A decision is acknowledged once the run has recorded it; the inbox row is closed after (PATCH_ACK_BEFORE_CLOSING).
    kinds_in_order = [e.event_type if e.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                      else e.activity_task_scheduled_event_attributes.activity_type.name for e in history.events]
    completed = [i for i, k in enumerate(kinds_in_order) if k == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED]
    closes = [i for i, k in enumerate(kinds_in_order) if k == CLOSE_TASK]
    assert len(completed) == len(closes) == 2 and completed[0] < closes[0] < completed[1] < closes[1]

    mails = emails(db.settings.maildir)
    to_supervisor = [m for m in mails if m["To"] == "atasan1@satupintu.local"]
    to_employee = [m for m in mails if m["To"] == "pegawai1@satupintu.local"]
    assert any("Tugas baru" in m["Subject"] for m in to_supervisor)
    approved_mail = next(m for m in to_employee if "disetujui" in m["Subject"])
    assert result.letter_number in approved_mail.get_payload()[0].get_payload(decode=True).decode()
    assert approved_mail.get_payload()[1].get_content_type() == "application/pdf"

    await record_golden_history(handle, "leave_approved")


async def test_rejection_tells_the_employee_why(local_env, db, worker_for):
    await worker_for(local_env.client)
    handle, inp = await start_leave(local_env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    task_id = f"{handle.id}.persetujuan-atasan"
    await wait_for_task(db.sessionmaker, task_id)
    await decide(handle, task_id, await actor_for(db.sessionmaker, "atasan1"), "reject", "Beban kerja akhir tahun tinggi")
    result = await handle.result()
    assert result.status == "rejected" and result.reason == "Beban kerja akhir tahun tinggi"
    async with db.sessionmaker() as session:
        leave = await session.get(LeaveRequest, inp.request_id)
        inapp = (await session.scalars(select(Notification).where(Notification.recipient_id == inp.employee.id,
                                                                   Notification.channel == "inapp"))).all()
        numbers = (await session.scalars(select(IssuedNumber))).all()
    assert leave.status == "rejected" and leave.decision_reason == "Beban kerja akhir tahun tinggi"
    assert numbers == []
    assert any("Beban kerja akhir tahun tinggi" in n.body for n in inapp)
    mail = next(m for m in emails(db.settings.maildir) if m["To"] == "pegawai1@satupintu.local")
    assert "ditolak" in mail["Subject"] and "Beban kerja akhir tahun tinggi" in mail.get_payload(decode=True).decode()


async def test_a_waiting_request_survives_a_worker_restart(local_env, db, worker_for):
    first = await worker_for(local_env.client)
    handle, _ = await start_leave(local_env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    task_id = f"{handle.id}.persetujuan-atasan"
    await wait_for_task(db.sessionmaker, task_id)
    await first.shutdown()
    await worker_for(local_env.client)  # a new worker process picks the run up from its history
    await decide(handle, task_id, await actor_for(db.sessionmaker, "atasan1"), "reject", "Bentrok dengan jadwal sidang")
    assert (await handle.result()).status == "rejected"


async def test_delegated_task_comes_back_to_its_owner(local_env, db, worker_for):
    await worker_for(local_env.client)
    handle, _ = await start_leave(local_env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    task_id = f"{handle.id}.persetujuan-atasan"
    await wait_for_task(db.sessionmaker, task_id)
    await wait_until_decidable(handle, task_id)
    atasan1, atasan2 = await actor_for(db.sessionmaker, "atasan1"), await actor_for(db.sessionmaker, "atasan2")
    colleague = person(await _user(db, "atasan2"))

    with pytest.raises(WorkflowUpdateFailedError):  # only the owner delegates
        await handle.execute_update(DELEGATE_TASK, DelegationRequest(task_id=task_id, actor=atasan2, delegate=colleague), result_type=TaskAck)
    await handle.execute_update(DELEGATE_TASK, DelegationRequest(task_id=task_id, actor=atasan1, delegate=colleague, note="Mohon telaah"),
                                result_type=TaskAck)
    # While delegated, the owner waits for the colleague.
    assert await refused(handle, task_id, atasan1, "approve") == "NotTaskHolder"
    assert (await decide(handle, task_id, atasan2, "approve")).status == "recommended"
    async with db.sessionmaker() as session:
        task = await session.get(Task, task_id)
        assert task.status == "open" and task.delegate_id is None
    assert (await decide(handle, task_id, atasan1, "reject", "Sesuai telaah, ditunda")).status == "decided"
    assert (await handle.result()).status == "rejected"
    async with db.sessionmaker() as session:
        kinds = [e.kind for e in await session.scalars(select(CaseEvent).where(CaseEvent.workflow_id == handle.id).order_by(CaseEvent.occurred_at))]
    assert kinds.index("task_delegated") < kinds.index("task_recommended") < kinds.index("task_decided")


async def test_acting_official_decides_and_signs_as_plh(local_env, db, worker_for):
    from gateway.services.people import office_today

    await worker_for(local_env.client)
    async with db.sessionmaker() as session:
        atasan1, atasan2 = await _user(db, "atasan1"), await _user(db, "atasan2")
        session.add(Substitution(official_id=atasan1.id, acting_id=atasan2.id, start_date=office_today(),
                                 end_date=office_today() + timedelta(days=7), reason="Dinas luar", source="manual"))
        await session.commit()
    handle, _ = await start_leave(local_env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    task_id = f"{handle.id}.persetujuan-atasan"
    await wait_for_task(db.sessionmaker, task_id)
    plh = await actor_for(db.sessionmaker, "atasan2", acting_for="atasan1")
    await decide(handle, task_id, plh, "approve")
    await wait_for_task(db.sessionmaker, f"{handle.id}.penomoran-surat")
    await decide(handle, f"{handle.id}.penomoran-surat", await actor_for(db.sessionmaker, "penomoran1"), "assign_number")
    result = await handle.result()
    async with db.sessionmaker() as session:
        task = await session.get(Task, task_id)
        notified = {n.recipient_id for n in await session.scalars(select(Notification).where(
            Notification.idempotency_key.like(f"{task_id}.opened|%"), Notification.channel == "inapp"))}
    assert task.completed_by_id == atasan2.id and task.acting_for_id == atasan1.id
    assert notified == {atasan1.id, atasan2.id}, "the acting official hears of the task too"
    from pypdf import PdfReader

    text = PdfReader(db.settings.documents_dir / f"{result.document_id}.pdf").pages[0].extract_text()
    assert "Plh." in text and "Teuku Iskandar" in text


async def test_a_decision_while_the_task_is_being_opened_is_taken_at_once(local_env, db):
    """The holder sees the inbox row once the opening activity has written it, a moment before the run records
    that activity: a decision then is taken on the first asking (no "being opened" and no retry), and the row
    closes as decided once the opening is recorded. The opening is held open here, as a slow database would."""
    opening_recorded = asyncio.Event()
    tasks = TaskActivities(db.sessionmaker)

    @activity.defn(name=OPEN_TASK)
    async def open_task_slowly(inp: OpenTaskInput) -> OpenTaskResult:
        opened = await tasks.open_task(inp)
        if inp.task_id.endswith(".persetujuan-atasan"):
            await opening_recorded.wait()
        return opened

    activities = [open_task_slowly, *(a for a in activities_for(db.settings, db.sessionmaker) if a.__name__ != tasks.open_task.__name__)]
    async with Worker(local_env.client, task_queue=db.settings.task_queue, workflows=WORKFLOWS, activities=activities):
        handle, _ = await start_leave(local_env.client, db.sessionmaker, task_queue=db.settings.task_queue)
        task_id = f"{handle.id}.persetujuan-atasan"
        await wait_for_task(db.sessionmaker, task_id)
        assert task_id not in await handle.query("open_tasks", result_type=list[str]), "the opening is not recorded yet"
        atasan1 = await actor_for(db.sessionmaker, "atasan1")
        ack = await handle.execute_update(DECIDE_TASK, DecisionRequest(task_id=task_id, actor=atasan1, outcome="approve"), result_type=TaskAck)
        assert ack.status == "decided"
        with pytest.raises(WorkflowUpdateFailedError) as again:
            await handle.execute_update(DECIDE_TASK, DecisionRequest(task_id=task_id, actor=atasan1, outcome="reject", reason="berubah pikiran"))
        assert again.value.cause.type == "TaskAlreadyDecided"
        opening_recorded.set()

        await wait_for_task(db.sessionmaker, task_id, status="completed")
        await wait_for_task(db.sessionmaker, f"{handle.id}.penomoran-surat")
        await decide(handle, f"{handle.id}.penomoran-surat", await actor_for(db.sessionmaker, "penomoran1"), "assign_number")
        result = await handle.result()
    assert result.status == "approved"
    async with db.sessionmaker() as session:
        task = await session.get(Task, task_id)
    assert task.outcome == "approve" and task.completed_by_id == atasan1.user_id
    await record_golden_history(handle, "leave_decided_while_opening", codec=local_env.client.data_converter.payload_codec)


async def test_overdue_task_reminds_then_escalates(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, inp = await start_leave(time_skipping_env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    task_id = f"{handle.id}.persetujuan-atasan"
    await wait_for_task(db.sessionmaker, task_id)
    # Past the due time (2 working days) and the escalation period (1 more), over any weekend or holiday.
    await time_skipping_env.sleep(timedelta(days=12))
    async with db.sessionmaker() as session:
        task = await session.get(Task, task_id)
        events = (await session.scalars(select(CaseEvent).where(CaseEvent.workflow_id == handle.id).order_by(CaseEvent.occurred_at))).all()
        # The court's head; the other offices' heads hold the same role, and hear nothing of the court's tasks.
        kepala = await session.scalar(select(User).where(User.username == "pimpinan1"))
        to_kepala = (await session.scalars(select(Notification).where(Notification.recipient_id == kepala.id,
                                                                       Notification.channel == "email"))).all()
        elsewhere = await session.scalar(select(func.count()).select_from(Notification).join(User, User.id == Notification.recipient_id)
                                         .where(User.username.in_(("kepala1", "kakan1"))))
        reminders = (await session.scalars(select(Notification).where(Notification.idempotency_key.like(f"{task_id}.reminded|%"),
                                                                       Notification.channel == "inapp"))).all()
    assert task.status == "open" and task.reminded_at is not None and task.escalated_to_role == "kepala_kantor"
    assert task.reminded_at >= task.due_at and task.escalated_at >= task.escalate_at > task.due_at
    assert [e.kind for e in events if e.kind.startswith("task_")] == ["task_opened", "task_reminded", "task_escalated"]
    assert [r.recipient_id for r in reminders] == [inp.supervisor.id]
    assert any("Eskalasi" in n.subject for n in to_kepala) and elsewhere == 0
    await handle.terminate("test selesai")


async def _user(db, username):
    async with db.sessionmaker() as session:
        return await session.scalar(select(User).where(User.username == username))
