"""A process owner's actions on a stuck run (issue 6): reassign a pending task to a person or a role, remind its
holder, cancel the run with a reason. Each is a Workflow Update on the shared human-task base, so the run's own
history records who did it and why; refusals come back at once and leave no trace."""

import asyncio
import contextlib

import httpx
import pytest
from sqlalchemy import select
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import CancelledError
from temporalio.worker import Worker

from activities.leave import LeaveActivities
from activities.tasks import TaskActivities
from cli.registry_fake import start_fake as start_registry_fake
from contracts import (
    ASSIGN_NUMBER,
    CANCEL_RUN,
    CLOSE_TASK,
    DECIDE_TASK,
    REASSIGN_TASK,
    REMIND_TASK,
    UPDATE_LEAVE_REQUEST,
    UPDATE_TASK,
    CancelRunRequest,
    CloseTaskInput,
    DecisionRequest,
    LeaveUpdate,
    OwnerActionAck,
    ReassignRequest,
    ReminderRequest,
    TaskAck,
    TaskChange,
)
from gateway.services.people import person
from store.models import CaseEvent, LeaveRequest, Notification, PermitApplication, Task
from tests.conftest import free_port
from tests.factories import (
    actor_for,
    decide,
    login,
    record_golden_history,
    start_leave,
    start_permit,
    start_walk_in,
    user,
    wait_for,
    wait_for_task,
    wait_until_decidable,
)
from workers.main import WORKFLOWS, activities_for

APPROVAL = "persetujuan-atasan"


async def _waiting_leave(env, db):
    """A leave request waiting on atasan1's approval."""
    handle, _ = await start_leave(env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    task_id = f"{handle.id}.{APPROVAL}"
    await wait_for_task(db.sessionmaker, task_id)
    await wait_until_decidable(handle, task_id)
    return handle, task_id


async def _decide(handle, task_id, db, username, outcome="approve", reason=None) -> TaskAck:
    return await handle.execute_update(DECIDE_TASK, DecisionRequest(task_id=task_id, actor=await actor_for(db.sessionmaker, username),
                                                                    outcome=outcome, reason=reason), result_type=TaskAck)


async def _refusal(call) -> tuple[str, str]:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await call
    return info.value.cause.type, info.value.cause.message


async def _reassign(handle, db, task_id, *, reason="Atasan sedang dinas luar", to_user=None, to_role=None, label="", by="pemilik1"):
    to_person = person(await user(db.sessionmaker, to_user)) if to_user else None
    return await handle.execute_update(REASSIGN_TASK, ReassignRequest(task_id=task_id, actor=await actor_for(db.sessionmaker, by), reason=reason,
                                                                      to_person=to_person, to_role=to_role, to_role_label=label),
                                       result_type=OwnerActionAck)


async def _row(db, task_id) -> Task:
    async with db.sessionmaker() as session:
        return await session.get(Task, task_id)


async def _events(db, workflow_id) -> list[CaseEvent]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(CaseEvent).where(CaseEvent.workflow_id == workflow_id).order_by(CaseEvent.occurred_at)))


async def _inapp(db, username) -> list[Notification]:
    recipient = await user(db.sessionmaker, username)
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(Notification).where(Notification.recipient_id == recipient.id, Notification.channel == "inapp")))


def _accepted_updates(history) -> list[tuple[str, object]]:
    out = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            out.append((request.input.name, list(request.input.args.payloads)))
    return out


async def test_reassign_to_a_person_moves_the_task(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, task_id = await _waiting_leave(time_skipping_env, db)

    ack = await _reassign(handle, db, task_id, to_user="pimpinan1")  # the court's head
    assert ack.status == "reassigned" and ack.task_id == task_id

    # The previous holder can no longer decide; the inbox row is the new holder's.
    kind, message = await _refusal(_decide(handle, task_id, db, "atasan1"))
    assert kind == "NotTaskHolder" and "Abdul Hamid" in message
    row = await _row(db, task_id)
    kepala = await user(db.sessionmaker, "pimpinan1")
    assert row.status == "open" and row.owner_id == kepala.id

    async def told_new_holder():
        return any(n.subject == "Tugas dialihkan kepada Anda" and "Atasan sedang dinas luar" in n.body for n in await _inapp(db, "pimpinan1"))

    assert await wait_for(told_new_holder)
    line = next(e for e in await _events(db, handle.id) if e.kind == "task_reassigned")
    assert line.actor_name == "Irwan Saputra, S.T., M.M." and line.reason == "Atasan sedang dinas luar" and "kepada Drs. H. Abdul Hamid" in line.title

    assert (await _decide(handle, task_id, db, "pimpinan1")).status == "decided"
    await wait_for_task(db.sessionmaker, task_id, status="completed")  # the run closes the row just after its answer
    await handle.terminate("test selesai")


async def test_reassign_to_a_role_opens_the_task_to_its_holders(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, task_id = await _waiting_leave(time_skipping_env, db)

    await _reassign(handle, db, task_id, to_role="kepala_subbag_umum", label="Kepala Subbagian Umum", reason="Kewenangan dilimpahkan")
    row = await _row(db, task_id)
    assert row.owner_id is None and row.role == "kepala_subbag_umum"
    # Anyone with the role may decide; the previous holder may not.
    assert (await _refusal(_decide(handle, task_id, db, "atasan1")))[0] == "NotTaskHolder"
    assert (await _decide(handle, task_id, db, "atasan2")).status == "decided"
    await handle.terminate("test selesai")


async def test_remind_notifies_the_holder(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, task_id = await _waiting_leave(time_skipping_env, db)
    owner = await actor_for(db.sessionmaker, "pemilik1")

    for _ in range(2):
        ack = await handle.execute_update(REMIND_TASK, ReminderRequest(task_id=task_id, actor=owner, note="Mohon diputuskan hari ini"),
                                          result_type=OwnerActionAck)
        assert ack.status == "reminded"

    async def two_reminders():
        found = [n for n in await _inapp(db, "atasan1") if n.subject == "Pengingat dari pemilik proses"]
        return found if len(found) >= 2 else None

    reminders = await wait_for(two_reminders)
    assert len(reminders) == 2 and "Mohon diputuskan hari ini" in reminders[0].body
    lines = [e for e in await _events(db, handle.id) if e.kind == "task_reminded"]
    assert len(lines) == 2 and all(e.actor_name == owner.full_name and e.reason == "Mohon diputuskan hari ini" for e in lines)
    assert (await _row(db, task_id)).reminded_at is not None
    await handle.terminate("test selesai")


async def test_cancel_ends_the_run_and_closes_its_task(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, task_id = await _waiting_leave(time_skipping_env, db)
    owner = await actor_for(db.sessionmaker, "pemilik1")

    ack = await handle.execute_update(CANCEL_RUN, CancelRunRequest(actor=owner, reason="Diajukan ganda"), result_type=OwnerActionAck)
    assert ack.status == "cancelling"
    # Once asked, nothing else is taken: neither another cancel nor a decision.
    assert (await _refusal(handle.execute_update(CANCEL_RUN, CancelRunRequest(actor=owner, reason="lagi"), result_type=OwnerActionAck)))[0] \
        == "ProcessStateConflict"
    assert (await _refusal(_decide(handle, task_id, db, "atasan1")))[0] == "ProcessStateConflict"
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, CancelledError)

    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    row = await _row(db, task_id)
    assert row.status == "cancelled" and row.reason == "Diajukan ganda"
    kinds = {e.kind: e for e in await _events(db, handle.id)}
    assert kinds["run_cancelled"].actor_name == owner.full_name and kinds["run_cancelled"].reason == "Diajukan ganda"
    assert "task_cancelled" in kinds


async def test_refusals_leave_no_trace(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, task_id = await _waiting_leave(time_skipping_env, db)
    owner = await actor_for(db.sessionmaker, "pemilik1")

    assert await _refusal(_reassign(handle, db, task_id, to_user="pimpinan1", reason="  ")) == ("InvalidDecision", "Alasan pengalihan wajib diisi.")
    assert (await _refusal(_reassign(handle, db, task_id, to_user="pimpinan1", by="pegawai1")))[0] == "NotTaskHolder"
    assert (await _refusal(_reassign(handle, db, task_id, to_user="pimpinan1", by="atasan1")))[0] == "NotTaskHolder"
    assert (await _refusal(_reassign(handle, db, task_id)))[0] == "InvalidDecision"  # neither target
    assert (await _refusal(_reassign(handle, db, task_id, to_user="pimpinan1", to_role="atasan", label="Atasan Langsung")))[0] == "InvalidDecision"
    kind, message = await _refusal(_reassign(handle, db, task_id, to_user="atasan1"))
    assert kind == "InvalidDecision" and "sudah dipegang" in message
    assert (await _refusal(_reassign(handle, db, task_id, to_role="tidak ada", label="")))[0] == "InvalidDecision"
    assert (await _refusal(_reassign(handle, db, f"{handle.id}.tidak-ada", to_user="pimpinan1")))[0] == "TaskNotFound"
    assert (await _refusal(handle.execute_update(CANCEL_RUN, CancelRunRequest(actor=owner, reason=""), result_type=OwnerActionAck)))[0] \
        == "InvalidDecision"
    assert (await _refusal(handle.execute_update(REMIND_TASK, ReminderRequest(task_id=task_id, actor=await actor_for(db.sessionmaker, "pegawai1")),
                                                 result_type=OwnerActionAck)))[0] == "NotTaskHolder"

    # A closed task takes no owner action.
    await _decide(handle, task_id, db, "atasan1")
    assert (await _refusal(_reassign(handle, db, task_id, to_user="pimpinan1")))[0] == "TaskAlreadyDecided"
    assert (await _refusal(handle.execute_update(REMIND_TASK, ReminderRequest(task_id=task_id, actor=owner), result_type=OwnerActionAck)))[0] \
        == "TaskAlreadyDecided"

    history = await handle.fetch_history()
    assert [name for name, _ in _accepted_updates(history)] == [DECIDE_TASK]
    assert not [e for e in await _events(db, handle.id) if e.kind in ("task_reassigned", "task_reminded", "run_cancelled")]
    await handle.terminate("test selesai")


async def test_owner_actions_are_recorded_in_the_history(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, task_id = await _waiting_leave(time_skipping_env, db)
    owner = await actor_for(db.sessionmaker, "pemilik1")

    await handle.execute_update(REMIND_TASK, ReminderRequest(task_id=task_id, actor=owner, note="Sudah lewat tiga hari"), result_type=OwnerActionAck)
    await _reassign(handle, db, task_id, to_user="pimpinan1", reason="Atasan cuti")
    await handle.execute_update(CANCEL_RUN, CancelRunRequest(actor=owner, reason="Pegawai menarik permohonan"), result_type=OwnerActionAck)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    # Kept under tests/histories: a change to the owner actions that running instances could not replay fails CI.
    await record_golden_history(handle, "leave_owner_reminded_reassigned_cancelled")

    converter = pydantic_data_converter.payload_converter
    recorded = {}
    for name, payloads in _accepted_updates(await handle.fetch_history()):
        kind = {REMIND_TASK: ReminderRequest, REASSIGN_TASK: ReassignRequest, CANCEL_RUN: CancelRunRequest}[name]
        recorded[name] = converter.from_payloads(payloads, [kind])[0]
    assert set(recorded) == {REMIND_TASK, REASSIGN_TASK, CANCEL_RUN}
    assert all(r.actor.username == "pemilik1" for r in recorded.values())
    assert recorded[REMIND_TASK].note == "Sudah lewat tiga hari"
    assert recorded[REASSIGN_TASK].reason == "Atasan cuti" and recorded[REASSIGN_TASK].to_person.username == "pimpinan1"
    assert recorded[CANCEL_RUN].reason == "Pegawai menarik permohonan"


# --- what a cancellation means for the people a case concerns -------------------------------------------------

async def _cancel(handle, db, reason: str, *, by: str = "pemilik1") -> None:
    """The process owner of the run's office cancels (the court's pemilik1 unless said)."""
    owner = await actor_for(db.sessionmaker, by)
    ack = await handle.execute_update(CANCEL_RUN, CancelRunRequest(actor=owner, reason=reason), result_type=OwnerActionAck)
    assert ack.status == "cancelling"


async def _cancelled_in_temporal(handle) -> None:
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, CancelledError)


async def test_cancelling_a_leave_request_tells_the_employee(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, task_id = await _waiting_leave(time_skipping_env, db)
    await _cancel(handle, db, "Diajukan ganda")
    # The case is closed by the update itself, before Temporal cancels the run.
    leave = await _leave(db, handle.id)
    assert leave.status == "cancelled" and leave.decision_reason == "Diajukan ganda" and leave.finished_at is not None
    await _cancelled_in_temporal(handle)

    assert (await _row(db, task_id)).status == "cancelled"
    [told] = [n for n in await _inapp(db, "pegawai1") if n.subject == "Permohonan cuti dibatalkan"]
    assert "Diajukan ganda" in told.body and "Irwan Saputra" in told.body and "ajukan kembali" in told.body
    line = next(e for e in await _events(db, handle.id) if e.kind == "cancelled")
    assert line.title == "Dibatalkan oleh Irwan Saputra, S.T., M.M. (pemilik proses): Diajukan ganda" and line.reason == "Diajukan ganda"


async def test_cancelling_a_permit_tells_the_applicant_and_tracking_shows_it(time_skipping_env, db, worker_for, client):
    env = time_skipping_env
    await worker_for(env.client)
    handle, application, applicant = await start_permit(env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    task_id = f"{handle.id}.verifikasi-1"
    await wait_for_task(db.sessionmaker, task_id)
    await wait_until_decidable(handle, task_id)

    await _cancel(handle, db, "Berkas diajukan di kantor lain", by="pemilik2")
    await _cancelled_in_temporal(handle)

    async with db.sessionmaker() as session:
        row = await session.get(PermitApplication, application.id)
        told = list(await session.scalars(select(Notification).where(Notification.recipient_id == applicant.id, Notification.channel == "inapp",
                                                                     Notification.subject == "Permohonan dibatalkan")))
    assert (row.status, row.stage, row.decision_reason) == ("cancelled", "cancelled", "Berkas diajukan di kantor lain")
    assert row.finished_at is not None
    assert len(told) == 1 and "Berkas diajukan di kantor lain" in told[0].body and "ajukan kembali" in told[0].body
    assert (await _row(db, task_id)).status == "cancelled"

    # Public tracking says it is cancelled; why is on the applicant's own page, not for whoever holds the resi (issue 14 item 15).
    page = await client.get(f"/lacak/{application.resi}")
    assert page.status_code == 200 and "Dibatalkan" in page.text and "Berkas diajukan di kantor lain" not in page.text
    api = (await client.get(f"/api/v1/tracking/{application.resi}")).json()
    assert api["status_label"] == "Dibatalkan" and "decision_reason" not in api and "Permohonan Saya" in api["next_step"]
    own = await client.get(f"/permohonan/{application.resi}", headers=await login(client, applicant.username))
    assert own.status_code == 200 and "Alasan pembatalan" in own.text and "Berkas diajukan di kantor lain" in own.text


async def test_cancelling_siramasakan_while_it_waits_for_the_registry(time_skipping_env, db, worker_for):
    """The external hand-off waits for the registry's signal, not in ask(): the update alone winds the case down."""
    from tests.workflows.test_siramasakan_workflow import complete_case, request_row, start, to_applicant

    env = time_skipping_env
    fake = start_registry_fake(free_port(), secret=db.settings.civil_registry_secret)
    try:
        await worker_for(env.client)
        handle, request_id = await start(env, db, code="SCANC1", registry_url=fake.url, callback_url="http://127.0.0.1:9/webhooks/civil-registry")
        await complete_case(env, handle, db)
        await wait_for(lambda: _handed_off(db, request_id, request_row))
        assert await handle.query("open_tasks") == []

        await _cancel(handle, db, "Perkara dicabut penggugat")
        await _cancelled_in_temporal(handle)
    finally:
        fake.stop()

    row = await request_row(db, request_id)
    assert (row.status, row.outcome, row.outcome_reason) == ("dibatalkan", "cancelled", "Perkara dicabut penggugat")
    assert row.finished_at is not None
    told = [n for n in await to_applicant(db, "inapp") if n.subject == "Permohonan SIRAMASAKAN dibatalkan"]
    assert len(told) == 1 and "Perkara dicabut penggugat" in told[0].body


async def test_cancelling_a_complaint_tells_the_complainant_and_tracking_shows_it(time_skipping_env, db, worker_for, client):
    from tests.workflows.test_complaint_workflow import PHONE, complaint, start_complaint, whatsapp_to

    await worker_for(time_skipping_env.client)
    handle, row = await start_complaint(time_skipping_env.client, db)
    task_id = f"{handle.id}.verifikasi"
    await wait_for_task(db.sessionmaker, task_id)
    await wait_until_decidable(handle, task_id)

    await _cancel(handle, db, "Pengaduan yang sama sudah ditangani", by="pemilik2")
    await _cancelled_in_temporal(handle)

    done = await complaint(db, row.id)
    assert (done.status, done.stage, done.rejection_reason) == ("dibatalkan", "selesai", "Pengaduan yang sama sudah ditangani")
    assert any("dibatalkan" in body and "Pengaduan yang sama sudah ditangani" in body for body in await whatsapp_to(db, PHONE))
    # The reason went to the complainant's WhatsApp above; public tracking says only that it was cancelled.
    page = await client.get(f"/pengaduan/lacak/{row.tracking_number}")
    assert page.status_code == 200 and "Dibatalkan" in page.text and "Pengaduan yang sama sudah ditangani" not in page.text


async def test_a_native_cancel_still_closes_the_task_and_the_case(time_skipping_env, db, worker_for):
    """Cancelled in the Temporal UI or CLI, without a process owner's update: the inbox row and the case still close."""
    await worker_for(time_skipping_env.client)
    handle, task_id = await _waiting_leave(time_skipping_env, db)

    await _cancelled_in_temporal(handle)

    assert (await _row(db, task_id)).status == "cancelled"
    leave = await _leave(db, handle.id)
    assert leave.status == "cancelled" and leave.finished_at is not None
    told = [n for n in await _inapp(db, "pegawai1") if n.subject == "Permohonan cuti dibatalkan"]
    assert len(told) == 1 and "administrator sistem" in told[0].body
    assert not [e for e in await _events(db, handle.id) if e.kind == "run_cancelled"]


async def _leave(db, workflow_id) -> LeaveRequest:
    async with db.sessionmaker() as session:
        return await session.scalar(select(LeaveRequest).where(LeaveRequest.workflow_id == workflow_id))


async def _handed_off(db, request_id, request_row):
    row = await request_row(db, request_id)
    return row if row.registry_reference else None


# --- the walk-in counter and letters: cancelled through the owners' API while waiting on a person ------------

@contextlib.asynccontextmanager
async def _gateway(db, temporal_client):
    """The gateway in process on the test's database and Temporal client."""
    from gateway.app import create_app

    app = create_app(db.settings, temporal_client=temporal_client)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as api:
        yield api


async def _cancel_through_the_api(api, handle, reason: str, *, by: str) -> None:
    """The office's process owner cancels on the run page's API; the run ends Cancelled in Temporal, and a second cancel
    finds it closed."""
    owner = await login(api, by)
    response = await api.post(f"/api/v1/runs/{handle.id}/cancel", headers=owner, json={"reason": reason})
    assert response.status_code == 200 and response.json()["status"] == "cancelling", response.text
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, CancelledError)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    again = await api.post(f"/api/v1/runs/{handle.id}/cancel", headers=owner, json={"reason": reason})
    assert again.status_code == 409 and again.json()["code"] == "process_closed"


async def _as_page_reader(api, username: str) -> dict:
    """Bearer headers for the API; the same token as the pages' session cookie."""
    headers = await login(api, username)
    api.cookies.set("satupintu_session", headers["Authorization"].removeprefix("Bearer "))
    return headers


async def test_cancelling_a_walk_in_visit_while_the_back_office_researches_it(time_skipping_env, db, worker_for):
    from tests.workflows.test_walk_in_workflow import ALL_LEGALISIR, visit, whatsapp_to_visitor

    env = time_skipping_env
    await worker_for(env.client)
    handle, row, _ = await start_walk_in(env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    await decide(handle, "kelengkapan", "fo1", "lengkap", db, data=ALL_LEGALISIR)
    task_id = f"{handle.id}.penelitian"
    await wait_for_task(db.sessionmaker, task_id)
    await wait_until_decidable(handle, task_id)
    reason = "Pemohon menarik berkas untuk dilengkapi legalisir lain"

    async with _gateway(db, env.client) as api:
        await _cancel_through_the_api(api, handle, reason, by="pemilik3")  # the Kemenag office's process owner

        # The back office's inbox row is closed as cancelled, with the reason, and is gone from its inbox.
        task = await _row(db, task_id)
        assert (task.status, task.reason) == ("cancelled", reason)
        bo = await login(api, "bo1")
        assert task_id not in [t["id"] for t in (await api.get("/api/v1/tasks", headers=bo)).json()["items"]]
        # The visit is closed as cancelled: the counter's API and visit page say so, and why.
        done = await visit(db, row.id)
        assert (done.status, done.stage) == ("cancelled", "finished") and done.finished_at is not None
        fo = await _as_page_reader(api, "fo1")
        detail = (await api.get(f"/api/v1/walk-ins/{row.code}", headers=fo)).json()
        assert detail["status_label"] == "Dibatalkan" and detail["pending_tasks"] == []
        line = next(e for e in detail["timeline"] if e["kind"] == "cancelled")
        assert line["reason"] == reason and line["title"] == f"Dibatalkan oleh Nur Hidayah, S.Kom. (pemilik proses): {reason}"
        page = await api.get(f"/kunjungan/{row.code}")
        assert page.status_code == 200 and "Dibatalkan" in page.text and reason in page.text
        # Not an overrun: the target watcher stopped with the visit.
        assert done.overrun_at is None and row.code not in [v["id"] for v in (await api.get("/api/v1/walk-ins/dashboard", headers=fo)).json()["open"]]

    # The visitor hears it on WhatsApp, once, with the reason and where the papers are, and the message went out.
    told = [body for body in await whatsapp_to_visitor(db, row.visitor_phone) if "dibatalkan" in body]
    assert len(told) == 1 and reason in told[0] and "Front Office" in told[0]
    async with db.sessionmaker() as session:
        sent = await session.scalar(select(Notification.status).where(Notification.idempotency_key.startswith(f"{handle.id}.visitor.cancelled|"),
                                                                      Notification.channel == "whatsapp"))
    assert sent == "sent"


@pytest.mark.parametrize("direction", ["outgoing", "incoming"])
async def test_cancelling_a_letter_while_it_waits_on_the_office(time_skipping_env, db, worker_for, direction):
    from tests.workflows.test_letters_workflow import inapp_for, letter_row, start_incoming, start_outgoing

    env = time_skipping_env
    await worker_for(env.client)
    if direction == "outgoing":
        # pegawai3 asks for a number; the correspondence officer has to check the format.
        handle, letter = await start_outgoing(env.client, db, "pegawai3")
        concerned, task_id = "pegawai3", f"{handle.id}.periksa-format"
    else:
        # fo1 recorded a letter that came in; the back office has to sort it.
        handle, letter = await start_incoming(env.client, db)
        concerned, task_id = "fo1", f"{handle.id}.pilah"
    await wait_for_task(db.sessionmaker, task_id)
    await wait_until_decidable(handle, task_id)
    reason = "Surat yang sama sudah tercatat dengan kode lain"

    async with _gateway(db, env.client) as api:
        await _cancel_through_the_api(api, handle, reason, by="pemilik3")  # the Kemenag office's process owner

        task = await _row(db, task_id)
        assert (task.status, task.reason) == ("cancelled", reason)
        row = await letter_row(db, letter.id)
        assert (row.status, row.stage, row.notes) == ("dibatalkan", "cancelled", reason) and row.finished_at is not None
        # The person it concerns reads it on the letter's API and page: cancelled, and why.
        headers = await _as_page_reader(api, concerned)
        detail = (await api.get(f"/api/v1/letters/{letter.code}", headers=headers)).json()
        assert detail["status_label"] == "Dibatalkan" and detail["finished"] and detail["cancel_reason"] == reason
        page = await api.get(f"/surat/{letter.code}")
        assert page.status_code == 200 and "Alasan pembatalan" in page.text and reason in page.text

    # ...and is told, once, in the app and by e-mail, with the reason.
    told = [n for n in await inapp_for(db, concerned, handle.id) if n.subject == f"Surat {letter.code} dibatalkan"]
    assert len(told) == 1 and reason in told[0].body and "Nur Hidayah" in told[0].body
    async with db.sessionmaker() as session:
        mailed = list(await session.scalars(select(Notification).where(Notification.idempotency_key.startswith(f"{handle.id}.cancelled|"),
                                                                       Notification.channel == "email")))
    assert [(m.recipient_id, m.status) for m in mailed] == [(told[0].recipient_id, "sent")] and reason in mailed[0].body


# --- every way a run ends leaves its case saying so (issue 15, item 10) ------------------------------------------


class _Gate:
    """Holds one kind of activity call until the test lets it go: a step that is still being written."""

    def __init__(self) -> None:
        self.reached, self.release, self.done = asyncio.Event(), asyncio.Event(), asyncio.Event()


@contextlib.asynccontextmanager
async def _worker_holding(client, db, original, arg_type, name: str, hold, gate: _Gate):
    """The real worker, except that the calls of activity `name` that `hold` picks wait at `gate` before they run."""

    async def held(arg):
        if not hold(arg):
            return await original(arg)
        gate.reached.set()
        await gate.release.wait()
        try:
            return await original(arg)
        finally:
            gate.done.set()

    held.__annotations__ = {"arg": arg_type, "return": None}
    activities = [a for a in activities_for(db.settings, db.sessionmaker) if getattr(a, "__name__", "") != original.__name__]
    worker = Worker(client, task_queue=db.settings.task_queue, workflows=WORKFLOWS, activities=[*activities, activity.defn(name=name)(held)])
    running = asyncio.get_running_loop().create_task(worker.run())
    try:
        yield
    finally:
        gate.release.set()
        await worker.shutdown()
        await running


async def test_a_decision_and_a_cancel_in_the_same_instant_leave_the_case_cancelled(time_skipping_env, db):
    """atasan1 approves as the process owner cancels: the approval is on record, the run takes no step after it (no
    'waiting for a number' written after Dibatalkan) and the case ends Dibatalkan."""
    env, gate = time_skipping_env, _Gate()
    tasks = TaskActivities(db.sessionmaker)
    async with _worker_holding(env.client, db, tasks.close_task, CloseTaskInput, CLOSE_TASK, lambda inp: inp.task_id.endswith(APPROVAL), gate):
        handle, task_id = await _waiting_leave(env, db)
        assert (await _decide(handle, task_id, db, "atasan1")).status == "decided"
        await gate.reached.wait()  # the decision is recorded; its inbox row is being closed
        await _cancel(handle, db, "Pegawai menarik permohonan")
        gate.release.set()
        await gate.done.wait()
        await wait_for_task(db.sessionmaker, task_id, status="completed")
        await _cancelled_in_temporal(handle)

    leave = await _leave(db, handle.id)
    assert (leave.status, leave.decision_reason) == ("cancelled", "Pegawai menarik permohonan") and leave.letter_number is None
    task = await _row(db, task_id)
    assert (task.status, task.outcome) == ("completed", "approve")
    kinds = [e.kind for e in await _events(db, handle.id)]
    assert "cancelled" in kinds and "waiting_number" not in kinds
    assert await _row(db, f"{handle.id}.penomoran-surat") is None
    history = await handle.fetch_history()
    assert not [e for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                and e.activity_task_scheduled_event_attributes.activity_type.name == ASSIGN_NUMBER]
    # Under tests/histories: the path of PATCH_NO_STEP_AFTER_CANCEL stays replayable.
    await record_golden_history(handle, "leave_decided_as_the_owner_cancelled")


async def test_a_native_cancel_while_a_step_is_written_winds_the_case_down(time_skipping_env, db):
    """Cancelled in the Temporal UI while the run writes its next step (no task open): the case still ends Dibatalkan
    and the employee is told; the step's write that lands afterwards does not bring the case back."""
    env, gate = time_skipping_env, _Gate()
    leave_activities = LeaveActivities(db.sessionmaker)
    async with _worker_holding(env.client, db, leave_activities.update_leave_request, LeaveUpdate, UPDATE_LEAVE_REQUEST,
                               lambda update: update.status == "waiting_number", gate):
        handle, task_id = await _waiting_leave(env, db)
        await _decide(handle, task_id, db, "atasan1")
        await gate.reached.wait()
        assert await handle.query("open_tasks") == []
        await _cancelled_in_temporal(handle)
        assert (await _leave(db, handle.id)).status == "cancelled"
        gate.release.set()
        await gate.done.wait()  # the step's write, late

    leave = await _leave(db, handle.id)
    assert leave.status == "cancelled" and leave.finished_at is not None
    assert leave.decision_reason == "Proses dihentikan melalui sistem alur kerja."
    told = [n for n in await _inapp(db, "pegawai1") if n.subject == "Permohonan cuti dibatalkan"]
    assert len(told) == 1 and "administrator sistem" in told[0].body


async def _revision_waiting(env, db):
    """A permit returned to its applicant for revision: the run waits for them, no task open."""
    from tests.workflows.test_permit_workflow import decide as decide_permit
    from tests.workflows.test_permit_workflow import row_at

    handle, application, applicant = await start_permit(env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    task_id = f"{handle.id}.verifikasi-1"
    await wait_for_task(db.sessionmaker, task_id)
    await decide_permit(handle, task_id, await actor_for(db.sessionmaker, "verifikator1"), "revise", "Foto lokasi buram")
    await row_at(db, application.id, "revision")
    assert await handle.query("open_tasks") == []
    return handle, application, applicant


async def test_a_native_cancel_of_a_permit_waiting_for_the_applicants_revision(time_skipping_env, db, worker_for, client):
    env = time_skipping_env
    await worker_for(env.client)
    handle, application, applicant = await _revision_waiting(env, db)

    await _cancelled_in_temporal(handle)
    # Under tests/histories: the path of PATCH_WIND_DOWN_ON_ANY_CANCEL stays replayable.
    await record_golden_history(handle, "permit_revision_cancelled_natively")

    async with db.sessionmaker() as session:
        row = await session.get(PermitApplication, application.id)
        told = list(await session.scalars(select(Notification).where(Notification.recipient_id == applicant.id, Notification.channel == "inapp",
                                                                     Notification.subject == "Permohonan dibatalkan")))
    assert (row.status, row.stage, row.decision_reason) == ("cancelled", "cancelled", "Proses dihentikan melalui sistem alur kerja.")
    assert row.finished_at is not None and row.revision_due_at is None and row.revision_notes is None
    assert len(told) == 1 and "administrator sistem" in told[0].body
    line = next(e for e in await _events(db, handle.id) if e.kind == "cancelled")
    assert line.title == "Dibatalkan oleh administrator sistem"
    # The case page and public tracking say so, and nothing offers a revision any more.
    api = (await client.get(f"/api/v1/tracking/{application.resi}")).json()
    assert api["status_label"] == "Dibatalkan"
    own = await client.get(f"/permohonan/{application.resi}", headers=await login(client, applicant.username))
    assert own.status_code == 200 and "Dibatalkan" in own.text and "Proses dihentikan melalui sistem alur kerja." in own.text


async def test_a_native_cancel_of_an_issued_permit_closes_its_download_service(time_skipping_env, db, worker_for):
    """Issued and waiting for its one download (a timer, no task): the permit stays valid; the service after it ends."""
    from tests.workflows.test_permit_workflow import decide as decide_permit
    from tests.workflows.test_permit_workflow import row_at, sign_token

    env = time_skipping_env
    await worker_for(env.client)
    handle, application, applicant = await start_permit(env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    await wait_for_task(db.sessionmaker, f"{handle.id}.verifikasi-1")
    await decide_permit(handle, f"{handle.id}.verifikasi-1", await actor_for(db.sessionmaker, "verifikator1"), "approve")
    await wait_for_task(db.sessionmaker, f"{handle.id}.tte-1")
    await decide_permit(handle, f"{handle.id}.tte-1", await actor_for(db.sessionmaker, "kepala1"), "sign", data={"signing_token": await sign_token(db)})
    issued = await row_at(db, application.id, "ready_for_download")

    await _cancelled_in_temporal(handle)

    row = await row_at(db, application.id, "issued")
    assert (row.status, row.permit_number) == ("finished", issued.permit_number)
    async with db.sessionmaker() as session:
        told = list(await session.scalars(select(Notification).where(Notification.recipient_id == applicant.id, Notification.channel == "inapp",
                                                                     Notification.subject == "Layanan izin ditutup")))
    assert len(told) == 1 and "tetap berlaku" in told[0].body


async def test_a_native_cancel_of_siramasakan_while_the_registry_has_it(time_skipping_env, db, worker_for):
    from tests.workflows.test_siramasakan_workflow import complete_case, request_row, start, to_applicant

    env = time_skipping_env
    fake = start_registry_fake(free_port(), secret=db.settings.civil_registry_secret)
    try:
        await worker_for(env.client)
        handle, request_id = await start(env, db, code="SNATV1", registry_url=fake.url, callback_url="http://127.0.0.1:9/webhooks/civil-registry")
        await complete_case(env, handle, db)
        await wait_for(lambda: _handed_off(db, request_id, request_row))
        assert await handle.query("open_tasks") == []

        await _cancelled_in_temporal(handle)
    finally:
        fake.stop()

    row = await request_row(db, request_id)
    assert (row.status, row.stage, row.outcome) == ("dibatalkan", "finished", "cancelled") and row.finished_at is not None
    told = [n for n in await to_applicant(db, "inapp") if n.subject == "Permohonan SIRAMASAKAN dibatalkan"]
    assert len(told) == 1 and "administrator sistem" in told[0].body


async def test_cancelling_a_walk_in_visit_after_the_handover_closes_the_visit(time_skipping_env, db, worker_for):
    """The visitor holds the result; the office's filing is cut short. The visit says it was handed over, and it is
    over: off the counter's open list, not counted as overrunning."""
    from tests.workflows.test_walk_in_workflow import ALL_LEGALISIR, visit

    env = time_skipping_env
    await worker_for(env.client)
    handle, row, _ = await start_walk_in(env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    await decide(handle, "kelengkapan", "fo1", "lengkap", db, data=ALL_LEGALISIR)
    await decide(handle, "penelitian", "bo1", "sesuai", db)
    await decide(handle, "koordinasi", "supervisor1", "setujui", db)
    await decide(handle, "penomoran", "penomoran2", "beri_nomor", db)
    await decide(handle, "penyerahan", "fo1", "diserahkan", db, data={"received_by": "Ahmad Fauzi", "rating": 4})
    task_id = f"{handle.id}.pengarsipan"
    await wait_for_task(db.sessionmaker, task_id)
    await wait_until_decidable(handle, task_id)

    await _cancel(handle, db, "Arsip dipindahkan ke kantor induk", by="pemilik3")
    await _cancelled_in_temporal(handle)

    done = await visit(db, row.id)
    assert (done.status, done.stage) == ("handed_over", "finished") and done.finished_at is not None
    assert (await _row(db, task_id)).status == "cancelled"
    line = next(e for e in await _events(db, handle.id) if e.kind == "cancelled")
    assert line.reason == "Arsip dipindahkan ke kantor induk"
    async with _gateway(db, env.client) as api:
        fo = await login(api, "fo1")
        assert row.code not in [v["id"] for v in (await api.get("/api/v1/walk-ins/dashboard", headers=fo)).json()["open"]]


@pytest.mark.parametrize("process", ["walk_in", "incoming", "outgoing"])
async def test_a_native_cancel_closes_a_visit_or_a_letter_and_tells_the_person(time_skipping_env, db, worker_for, process):
    """As for the other processes: cancelled in the Temporal UI while a person's task is open."""
    from tests.workflows.test_letters_workflow import inapp_for, letter_row, start_incoming, start_outgoing
    from tests.workflows.test_walk_in_workflow import visit, whatsapp_to_visitor

    env = time_skipping_env
    await worker_for(env.client)
    if process == "walk_in":
        handle, row, _ = await start_walk_in(env.client, db.sessionmaker, task_queue=db.settings.task_queue)
        task_id = f"{handle.id}.kelengkapan"
    elif process == "incoming":
        handle, row = await start_incoming(env.client, db)
        task_id = f"{handle.id}.pilah"
    else:
        handle, row = await start_outgoing(env.client, db, "pegawai3")
        task_id = f"{handle.id}.periksa-format"
    await wait_for_task(db.sessionmaker, task_id)
    await wait_until_decidable(handle, task_id)

    await _cancelled_in_temporal(handle)

    task = await _row(db, task_id)
    assert task.status == "cancelled"
    if process == "walk_in":
        done = await visit(db, row.id)
        assert (done.status, done.stage) == ("cancelled", "finished") and done.finished_at is not None
        told = [body for body in await whatsapp_to_visitor(db, row.visitor_phone) if "dibatalkan" in body]
    else:
        done = await letter_row(db, row.id)
        assert (done.status, done.stage, done.notes) == ("dibatalkan", "cancelled", "Proses dihentikan melalui sistem alur kerja.")
        assert done.finished_at is not None
        told = [n.body for n in await inapp_for(db, "fo1" if process == "incoming" else "pegawai3", handle.id) if "dibatalkan" in n.subject]
    assert len(told) == 1 and "administrator sistem" in told[0]


async def test_a_remind_arriving_as_the_run_ends_is_completed_and_recorded(time_skipping_env, db):
    """pemilik1 reminds atasan1 in the instant atasan1 rejects: the reminder was accepted while the task was open, and
    the run, whose last step comes sooner than the reminder's, waits for it (workflow.all_handlers_finished) instead of
    ending with it cut off. The owner is told 'reminded', the timeline and the inbox row show the reminder, the holder
    gets its notice, and the run's history records the update completed."""
    env, gate = time_skipping_env, _Gate()
    tasks = TaskActivities(db.sessionmaker)
    async with _worker_holding(env.client, db, tasks.update_task, TaskChange, UPDATE_TASK, lambda change: change.kind == "reminded", gate):
        handle, task_id = await _waiting_leave(env, db)
        owner = await actor_for(db.sessionmaker, "pemilik1")
        reminder = await handle.start_update(REMIND_TASK, ReminderRequest(task_id=task_id, actor=owner, note="Mohon segera"),
                                             wait_for_stage=WorkflowUpdateStage.ACCEPTED, result_type=OwnerActionAck)
        await gate.reached.wait()  # accepted; its timeline line is being written
        assert (await _decide(handle, task_id, db, "atasan1", "reject", "Jadwal bentrok")).status == "decided"

        async def rejection_told():
            return any(n.subject == "Permohonan cuti ditolak" and n.status == "sent" for n in await _inapp(db, "pegawai1"))

        assert await wait_for(rejection_told)
        # Give a run that would end here the time to do so: it must still be running, waiting for the reminder.
        for _ in range(20):
            if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                break
            await asyncio.sleep(0.1)
        gate.release.set()
        assert (await reminder.result()).status == "reminded"
        assert (await handle.result()).status == "rejected"

    history = await handle.fetch_history()
    completed = [e.workflow_execution_update_completed_event_attributes for e in history.events
                 if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED]
    assert [c.meta.update_id for c in completed if c.meta.update_id == reminder.id] == [reminder.id]
    assert history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    line = next(e for e in await _events(db, handle.id) if e.kind == "task_reminded")
    assert line.actor_name == owner.full_name and line.reason == "Mohon segera"
    assert (await _row(db, task_id)).reminded_at is not None
    told = [n for n in await _inapp(db, "atasan1") if n.subject == "Pengingat dari pemilik proses"]
    assert len(told) == 1 and "Mohon segera" in told[0].body
    # Under tests/histories: the path of PATCH_HANDLERS_FINISH_FIRST stays replayable.
    await record_golden_history(handle, "leave_reminded_as_the_run_ended")
