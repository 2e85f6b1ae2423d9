"""The read model restored without Temporal (issue 15, item 7): a fresh or older database beside a Temporal that kept
its runs hands out case keys (leave-<row id>, a visit code…) that Temporal has already seen. A new case still starts,
under its key with a random tail; the run Temporal kept cannot write into the new case that got its row id; and when
no id can be found the person is told what happened, not that Temporal is unavailable."""

import contextlib
import logging
import uuid
from datetime import date

import httpx
from sqlalchemy import func, select
from temporalio.client import WorkflowExecutionStatus

from store.models import CaseEvent, LeaveRequest, Task, WalkInVisit
from tests.conftest import make_database
from tests.factories import future_working_range, login, user, wait_for, wait_for_task

RESTORE_HINT = "Backup and restore"


@contextlib.asynccontextmanager
async def _gateway(database, temporal_client):
    from gateway.app import create_app

    app = create_app(database.settings, temporal_client=temporal_client)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as api:
        yield api


async def _next_leave_id_is(database, next_id: int) -> None:
    """An old, rejected request just below `next_id`: both databases then give the next request the same id, as a
    database restored from a backup gives out again the ids given since."""
    employee = await user(database.sessionmaker, "pegawai1")
    async with database.sessionmaker() as session:
        session.add(LeaveRequest(id=next_id - 1, office_id=employee.office_id, employee_id=employee.id, leave_type="tahunan", start_date=date(2001, 1, 3),
                                 end_date=date(2001, 1, 3),
                                 working_days=1, reason="Penanda", status="rejected", workflow_id=f"leave-placeholder-{uuid.uuid4().hex}"))
        await session.commit()


async def _ask_for_leave(api) -> httpx.Response:
    start, end = future_working_range(2, weeks_ahead=5)
    return await api.post("/api/v1/leave-requests", headers=await login(api, "pegawai1"), json={
        "leave_type": "tahunan", "start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "Mengurus orang tua yang sakit"})


async def test_a_leave_request_after_the_database_was_restored_without_temporal_starts(db, local_env, worker_for, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    next_id = 2 * 10**9 + uuid.uuid4().int % 10**9
    old_key = f"leave-{next_id}"

    # Before: a request is made and its run started (no worker runs yet: it is still to write its first step).
    (tmp_path / "before").mkdir()
    before = await make_database(tmp_path / "before", task_queue=db.settings.task_queue)
    await _next_leave_id_is(before, next_id)
    async with _gateway(before, local_env.client) as api:
        first = await _ask_for_leave(api)
    assert first.status_code == 201, first.text
    assert first.json()["id"] == next_id
    await before.engine.dispose()

    # The database is restored from a backup taken before that request (here: made anew), Temporal is not.
    await _next_leave_id_is(db, next_id)
    async with _gateway(db, local_env.client) as api:
        again = await _ask_for_leave(api)
        assert again.status_code == 201, again.text
        assert again.json()["id"] == next_id and again.json()["status"] == "waiting_supervisor"
        async with db.sessionmaker() as session:
            row = await session.get(LeaveRequest, next_id)
        assert row.workflow_id.startswith(f"{old_key}-") and len(row.workflow_id) == len(old_key) + 9
        warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and old_key in r.getMessage()]
        assert warned and RESTORE_HINT in warned[0] and row.workflow_id in warned[0]

        # The new request runs: its supervisor has it in the inbox.
        await worker_for(local_env.client)
        await wait_for_task(db.sessionmaker, f"{row.workflow_id}.persetujuan-atasan", timeout=30)
        inbox = (await api.get("/api/v1/tasks", headers=await login(api, "atasan1"))).json()["items"]
        assert f"{row.workflow_id}.persetujuan-atasan" in [t["id"] for t in inbox]

    # The run from before the restore asked to write its step into row next_id, now someone else's case: it was refused
    # and failed, and left nothing in this database.
    old = local_env.client.get_workflow_handle(old_key)

    async def old_run_failed():
        return (await old.describe()).status == WorkflowExecutionStatus.FAILED

    assert await wait_for(old_run_failed, timeout=30)
    async with db.sessionmaker() as session:
        assert not list(await session.scalars(select(CaseEvent.id).where(CaseEvent.workflow_id == old_key)))
        assert not list(await session.scalars(select(Task.id).where(Task.workflow_id == old_key)))
        assert (await session.get(LeaveRequest, next_id)).status == "waiting_supervisor"


async def test_a_visit_code_temporal_has_seen_is_started_under_another_id(db, local_env, worker_for, monkeypatch):
    """The shared start (record_and_start) does the same for a case with a drawn code: the code drawn against the
    restored database is one Temporal has a run for. The visitor keeps the code on their receipt."""
    import gateway.services.walk_ins as walk_ins

    code = "K" + uuid.uuid4().hex[:6].upper()
    taken = await local_env.client.start_workflow("WalkInVisit", "dari sebelum pemulihan", id=f"walkin-{code}", task_queue=f"idle-{uuid.uuid4().hex}")

    async def drawn(*_args, **_kwargs) -> str:
        return code

    monkeypatch.setattr(walk_ins, "new_code", drawn)
    await worker_for(local_env.client)
    try:
        async with _gateway(db, local_env.client) as api:
            registered = await api.post("/api/v1/walk-ins", headers=await login(api, "fo1"), json={
                "service_code": "legalisir_ijazah", "visitor": {"name": "Cut Nyak Dhien", "phone": "0813-5555-0002"}})
        assert registered.status_code == 201, registered.text
        assert registered.json()["id"] == code
        async with db.sessionmaker() as session:
            visit = await session.scalar(select(WalkInVisit).where(WalkInVisit.code == code))
        assert visit.workflow_id.startswith(f"walkin-{code}-")
        await wait_for_task(db.sessionmaker, f"{visit.workflow_id}.kelengkapan", timeout=30)
    finally:
        await taken.terminate("test selesai")


async def test_when_no_id_is_free_the_person_is_told_what_happened(db, local_env, monkeypatch, caplog):
    """Should every id the start tries be taken too, nothing is kept and the refusal says what happened (409, in
    Bahasa), never 503 'Temporal unavailable'; the log tells the operator what to do."""
    import gateway.services.processes as processes

    caplog.set_level(logging.WARNING)
    next_id = 3 * 10**9 + uuid.uuid4().int % 10**9
    await _next_leave_id_is(db, next_id)
    monkeypatch.setattr(processes, "id_tail", lambda: "feedbeef", raising=False)
    idle = f"idle-{uuid.uuid4().hex}"
    taken = [await local_env.client.start_workflow("LeaveRequest", "dari sebelum pemulihan", id=wid, task_queue=idle)
             for wid in (f"leave-{next_id}", f"leave-{next_id}-feedbeef")]
    try:
        async with _gateway(db, local_env.client) as api:
            refused = await _ask_for_leave(api)
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert body["code"] == "workflow_id_taken" and set(body) == {"detail", "code", "errors"}
        assert "belum tercatat" in body["detail"] and "dipulihkan" in body["detail"] and "administrator" in body["detail"]
        async with db.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(LeaveRequest).where(LeaveRequest.id >= next_id)) == 0
        logged = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and f"leave-{next_id}" in r.getMessage()]
        assert logged and RESTORE_HINT in logged[0]
    finally:
        for handle in taken:
            await handle.terminate("test selesai")
