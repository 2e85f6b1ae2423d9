"""The runs of every process for process owners and auditors (issue 6): the run index synchronised from the real
dev server, the filters and keyset paging (and that they stay on an index with 100 000 runs), the runs API and
pages over HTTP with the readable timeline, an owner action over HTTP, and who may see and do what."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import event, insert, select
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError

from cli.seed import seed_offices
from gateway.errors import DomainError, status_of
from gateway.services import runs as service
from store.models import CaseEvent, Office, ProcessRun, Task
from store.offices import scope_to_office
from tests import factories
from tests.factories import (
    COURT,
    KEMENAG,
    PERMIT_OFFICE,
    leave_ids_apart,
    login,
    office_ids,
    speak_as_office,
    user,
    wait_for,
    wait_for_task,
)
from workers.run_index import sync_runs, watermark

APPLICANT = "3374010101900001"


# --- the run index, from the real dev server -------------------------------------------------------------


async def start_leave(client, sessionmaker, *, task_queue: str):
    await leave_ids_apart(sessionmaker)
    return await factories.start_leave(client, sessionmaker, task_queue=task_queue)


async def _index_rows(db, ids: list[str]) -> dict[str, ProcessRun]:
    async with db.sessionmaker() as session:
        return {r.workflow_id: r for r in await session.scalars(select(ProcessRun).where(ProcessRun.workflow_id.in_(ids)))}


async def _synced(client, db, expected: dict) -> dict[str, ProcessRun]:
    """Syncs until the index shows each (workflow id, run id) with its status: visibility lags a moment behind."""
    async def check():
        await sync_runs(client, db.sessionmaker)
        rows = await _index_rows(db, [h.id for h in expected])
        ok = all(h.id in rows and rows[h.id].run_id == h.result_run_id and rows[h.id].status == status for h, status in expected.items())
        return rows if ok else None

    return await wait_for(check)


async def test_sync_projects_the_runs_of_the_dev_server(local_env, db, worker_for):
    await worker_for(local_env.client)
    handles = [(await start_leave(local_env.client, db.sessionmaker, task_queue=db.settings.task_queue))[0] for _ in range(3)]
    waiting, stopped, cancelled = handles
    for handle in handles:
        await wait_for_task(db.sessionmaker, f"{handle.id}.persetujuan-atasan")
    await stopped.terminate("uji")
    await cancelled.cancel()
    with pytest.raises(WorkflowFailureError):
        await cancelled.result()

    rows = await _synced(local_env.client, db, {waiting: "running", stopped: "terminated", cancelled: "cancelled"})
    row = rows[waiting.id]
    assert row.process == "leave" and row.workflow_type == "LeaveRequest" and row.business_key == waiting.id.removeprefix("leave-")
    assert row.started_at is not None and row.closed_at is None
    assert rows[stopped.id].closed_at >= rows[stopped.id].started_at

    # The watermark lives in the table: a later round (or another replica) picks up what closed since.
    async with db.sessionmaker() as session:
        assert await watermark(session) >= max(r.started_at for r in rows.values())
    await waiting.terminate("uji selesai")
    rows = await _synced(local_env.client, db, {waiting: "terminated"})
    assert rows[waiting.id].closed_at is not None


async def test_the_sync_loop_rides_out_a_database_outage(local_env, db, tmp_path, caplog):
    """The loop beside the worker logs a failed round and tries again; it never ends the worker."""
    import asyncio

    from store.db import create_schema, make_engine, make_sessionmaker
    from workers.run_index import run_index_loop

    handle, _ = await start_leave(local_env.client, db.sessionmaker, task_queue=db.settings.task_queue)  # no worker: it just waits
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'kosong.db'}")  # no tables yet: every round fails
    sessionmaker = make_sessionmaker(engine)
    loop = asyncio.get_running_loop().create_task(run_index_loop(local_env.client, sessionmaker, 0.05))
    try:
        await wait_for(lambda: asyncio.sleep(0, result=any("run index synchronisation failed" in r.getMessage() for r in caplog.records)))
        assert not loop.done()
        await create_schema(engine)
        async with sessionmaker() as session:  # as `satupintu init-db` makes it: the schema and the offices
            await seed_offices(session)
            await session.commit()

        async def indexed():
            async with sessionmaker() as session:
                return await session.get(ProcessRun, handle.id)

        row = await wait_for(indexed)
        assert row.status == "running" and row.process == "leave"
        async with sessionmaker() as session:
            assert (await session.get(Office, row.office_id)).code == COURT  # the office its start wrote in its memo
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await handle.terminate("uji selesai")
        await engine.dispose()


# --- filters and paging, on the index alone ----------------------------------------------------------------


T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09.00 WIB


async def _seed_runs(db) -> dict:
    """Runs of two offices: the court's leave, the permit office's permits and complaint."""
    atasan, applicant = await user(db.sessionmaker, "atasan1"), await user(db.sessionmaker, APPLICANT)
    offices = await office_ids(db.sessionmaker)
    office_of = {"leave": offices[COURT], "permit": offices[PERMIT_OFFICE], "complaint": offices[PERMIT_OFFICE]}

    def run(workflow_id, process, wtype, status, started, closed=None):
        return ProcessRun(office_id=office_of[process], workflow_id=workflow_id, run_id=f"run-{workflow_id}", process=process, workflow_type=wtype,
                          business_key=workflow_id.split("-", 1)[1] if process != "complaint" else workflow_id.removeprefix("pengaduan-"),
                          status=status, started_at=started, closed_at=closed)

    def task(workflow_id, key, status, **kw):
        return Task(id=f"{workflow_id}.{key}", office_id=offices[COURT], workflow_id=workflow_id, process="leave", subject_id="1",
                    title=f"Tugas {key}", role="atasan", status=status, created_at=T0, **kw)

    async with db.sessionmaker() as session:
        session.add_all([
            run("leave-901", "leave", "LeaveRequest", "running", T0),
            run("leave-902", "leave", "LeaveRequest", "running", T0 + timedelta(hours=1)),
            run("permit-ABC123", "permit", "PermitApplication", "completed", T0 + timedelta(hours=2), T0 + timedelta(days=2)),
            run("permit-ABD999", "permit", "PermitApplication", "cancelled", T0 + timedelta(days=1), T0 + timedelta(days=1, hours=1)),
            # 17.30 UTC on 2 March is 00.30 WIB on 3 March: an office date.
            run("pengaduan-ADU-7K3P9Q", "complaint", "Complaint", "failed", datetime(2026, 3, 2, 17, 30, tzinfo=UTC)),
        ])
        session.add_all([
            task("leave-901", "persetujuan-atasan", "open", owner_id=atasan.id),
            task("leave-902", "persetujuan-atasan", "completed", completed_by_id=atasan.id),
        ])
        session.add(CaseEvent(id="permit-ABC123.submitted", workflow_id="permit-ABC123", process="permit", subject_id="1", occurred_at=T0,
                              kind="submitted", title="Permohonan diajukan", actor_id=applicant.id, actor_name=applicant.full_name))
        await session.commit()


async def _ids(db, office: str | None = None, **filters) -> list[str]:
    """Every office's runs (an unscoped session), or one office's as its owners and auditors see them."""
    office_id = await speak_as_office(db.sessionmaker, office or COURT)
    async with db.sessionmaker() as session:
        if office:
            scope_to_office(session, office_id)
        result = await service.list_runs(session, filters=await service.parse_filter(session, **filters))
    return [r["workflow_id"] for r in result["items"]]


async def _refused(db, office: str | None = None, **filters) -> DomainError:
    office_id = await speak_as_office(db.sessionmaker, office or COURT)
    async with db.sessionmaker() as session:
        if office:
            scope_to_office(session, office_id)
        with pytest.raises(DomainError) as info:
            await service.parse_filter(session, **filters)
    assert status_of(info.value) == 422
    return info.value


async def test_filters(db):
    await _seed_runs(db)
    newest_first = ["permit-ABD999", "pengaduan-ADU-7K3P9Q", "permit-ABC123", "leave-902", "leave-901"]
    assert await _ids(db) == newest_first
    assert await _ids(db, process="permit") == ["permit-ABD999", "permit-ABC123"]
    # "running" is every running run; "waiting" only those with an open task in the inbox.
    assert await _ids(db, status="running") == ["leave-902", "leave-901"]
    assert await _ids(db, status="waiting") == ["leave-901"]
    assert await _ids(db, status="cancelled") == ["permit-ABD999"]
    assert await _ids(db, process="permit", status="completed") == ["permit-ABC123"]
    # Business key: exact or prefix, as typed or in capitals.
    assert await _ids(db, key="ABC123") == ["permit-ABC123"]
    assert await _ids(db, key="ab") == ["permit-ABD999", "permit-ABC123"]
    assert await _ids(db, key="ADU-7K3P9Q") == ["pengaduan-ADU-7K3P9Q"]
    # Anyone involved: holder or decider of a task, or actor of a timeline line (the applicant who submitted).
    assert await _ids(db, person="atasan1") == ["leave-902", "leave-901"]
    assert await _ids(db, person=APPLICANT) == ["permit-ABC123"]
    assert await _ids(db, person="pegawai2") == []
    # Start dates are office dates (WIB).
    assert await _ids(db, started_from="2026-03-03") == ["permit-ABD999", "pengaduan-ADU-7K3P9Q"]
    assert await _ids(db, started_from="2026-03-02", started_to="2026-03-02") == ["permit-ABC123", "leave-902", "leave-901"]
    # Each office's owners and auditors list their own office's runs only.
    assert await _ids(db, office=COURT) == ["leave-902", "leave-901"]
    assert await _ids(db, office=PERMIT_OFFICE) == ["permit-ABD999", "pengaduan-ADU-7K3P9Q", "permit-ABC123"]
    assert await _ids(db, office=KEMENAG) == []
    assert await _ids(db, office=PERMIT_OFFICE, person=APPLICANT) == ["permit-ABC123"]  # an applicant is every office's

    # Refusals name the field, in Bahasa.
    assert (await _refused(db, status="macet")).errors[0]["field"] == "status"
    assert "tidak dikenal" in (await _refused(db, process="pajak")).detail
    assert (await _refused(db, started_from="2-3-2026")).errors[0]["field"] == "started_from"
    assert "sebelum tanggal mulai" in (await _refused(db, started_from="2026-03-05", started_to="2026-03-01")).detail
    assert (await _refused(db, person="tidak.ada")).errors[0]["field"] == "person"
    assert (await _refused(db, office=PERMIT_OFFICE, person="atasan1")).errors[0]["field"] == "person"  # the court's: not known there
    assert (await _refused(db, cursor="bukan-penanda")).errors[0]["field"] == "cursor"
    assert (await _refused(db, limit=0)).errors[0]["field"] == "limit"


async def test_keyset_paging(db):
    await _seed_runs(db)
    seen, cursor = [], None
    await speak_as_office(db.sessionmaker, COURT)
    async with db.sessionmaker() as session:
        while True:
            page = await service.list_runs(session, filters=await service.parse_filter(session, cursor=cursor, limit=2))
            seen.append([r["workflow_id"] for r in page["items"]])
            assert page["total"] == 5 and page["total_label"] == "5"
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert seen == [["permit-ABD999", "pengaduan-ADU-7K3P9Q"], ["permit-ABC123", "leave-902"], ["leave-901"]]


# --- 100 000 runs: the page query stays on an index ----------------------------------------------------------


async def test_page_query_uses_an_index_with_100k_runs(db):
    processes = [("leave", "LeaveRequest", "leave-"), ("permit", "PermitApplication", "permit-"), ("complaint", "Complaint", "pengaduan-")]
    statuses = ["running", "completed", "completed", "failed", "cancelled", "terminated"]
    # Three quarters the court's, the rest the permit office's: the court's owner pages through the court's, as the gateway
    # scopes their session.
    offices = await office_ids(db.sessionmaker)
    court = await speak_as_office(db.sessionmaker, COURT)
    rows = []
    for i in range(100_000):
        process, wtype, prefix = processes[i % 3]
        rows.append({"office_id": court if i % 4 else offices[PERMIT_OFFICE], "workflow_id": f"{prefix}{i:06d}", "run_id": f"r{i}",
                     "process": process, "workflow_type": wtype,
                     "business_key": f"{i:06d}", "status": statuses[i % len(statuses)],
                     "started_at": T0 + timedelta(seconds=i), "closed_at": None, "synced_at": T0})
    async with db.sessionmaker() as session:
        await session.execute(insert(ProcessRun), rows)
        await session.commit()

    captured: list[tuple[str, tuple]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM process_run" in statement and "ORDER BY process_run.started_at DESC" in statement:
            captured.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async def plan(**filters) -> tuple[list[str], dict]:
            captured.clear()
            async with db.sessionmaker() as session:
                scope_to_office(session, court)
                page = await service.list_runs(session, filters=await service.parse_filter(session, **filters))
                statement, parameters = captured[-1]
                connection = await session.connection()
                details = [r[-1] for r in await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            return details, page

        by_start = sorted((r for r in rows if r["office_id"] == court), key=lambda r: (r["started_at"], r["workflow_id"]), reverse=True)
        newest = [r["workflow_id"] for r in by_start]
        for filters in ({}, {"status": "completed"}, {"process": "permit"}, {"process": "permit", "status": "failed"}, {"status": "waiting"}):
            details, page = await plan(**filters)
            assert any("ix_process_run" in d for d in details), (filters, details)
            assert not any("TEMP B-TREE" in d for d in details), (filters, details)
            assert not any(d.startswith("SCAN process_run") and "INDEX" not in d for d in details), (filters, details)
        # A business key is a search on its own index; only its few matches are put in order.
        details, page = await plan(key="0999")
        assert any(d.startswith("SEARCH process_run USING INDEX ix_process_run_business_key") for d in details), details
        assert [r["workflow_id"] for r in page["items"]] == [w for w in newest if w.split("-", 1)[1].startswith("0999")][:50]

        details, page = await plan()
        assert [r["workflow_id"] for r in page["items"]] == newest[:50]
        assert page["total_label"] == "10 000+" and page["total_capped"]
        details, second = await plan(cursor=page["next_cursor"])
        assert [r["workflow_id"] for r in second["items"]] == newest[50:100]
        assert not any("TEMP B-TREE" in d for d in details), details
        _, permits = await plan(process="permit", status="completed")
        expected = [r["workflow_id"] for r in by_start if r["process"] == "permit" and r["status"] == "completed"]
        assert [r["workflow_id"] for r in permits["items"]] == expected[:50]
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)


# --- over HTTP: the API, an owner action, the pages, and who may do what ----------------------------------------


async def _leave_waiting_for_number(http: httpx.AsyncClient, live_stack) -> tuple[dict, str]:
    """A leave request of pegawai1, approved by atasan1 over HTTP and now waiting on the numbering officer."""
    handle, inp = await start_leave(live_stack.client, live_stack.sessionmaker, task_queue=live_stack.settings.task_queue)
    supervisor = await login(http, "atasan1")
    await wait_for_task(live_stack.sessionmaker, f"{handle.id}.persetujuan-atasan")
    claimed = await http.post(f"/api/v1/tasks/{handle.id}.persetujuan-atasan/claim", headers=supervisor)
    assert claimed.status_code == 200, claimed.text
    approved = await http.post(f"/api/v1/tasks/{handle.id}.persetujuan-atasan/decision", headers=supervisor, json={"outcome": "approve"})
    assert approved.status_code == 200, approved.text
    await wait_for_task(live_stack.sessionmaker, f"{handle.id}.penomoran-surat")
    return {"id": inp.request_id}, handle.id


async def test_runs_api_and_owner_actions_over_http(http, live_stack):
    leave, workflow_id = await _leave_waiting_for_number(http, live_stack)
    owner, auditor = await login(http, "pemilik1"), await login(http, "auditor1")

    async def listed():
        await sync_runs(live_stack.client, live_stack.sessionmaker)
        body = (await http.get("/api/v1/runs", headers=owner, params={"process": "leave", "status": "waiting", "key": str(leave["id"])})).json()
        return next((r for r in body["items"] if r["workflow_id"] == workflow_id), None)

    run = await wait_for(listed)
    assert run["status"] == "waiting" and run["status_label"] == "Menunggu petugas" and run["process_label"] == "Cuti Pegawai"
    assert [w["role_label"] for w in run["waiting_on"]] == ["Petugas Penomoran Surat"]
    by_person = (await http.get("/api/v1/runs", headers=auditor, params={"person": "atasan1", "process": "leave"})).json()
    assert workflow_id in [r["workflow_id"] for r in by_person["items"]]
    bad = await http.get("/api/v1/runs", headers=owner, params={"status": "macet"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status" and "tidak dikenal" in bad.json()["detail"]

    detail = (await http.get(f"/api/v1/runs/{workflow_id}", headers=auditor)).json()
    assert detail["status"] == "waiting" and detail["business_key"] == str(leave["id"])
    assert detail["temporal_ui_url"].endswith(f"/namespaces/default/workflows/{workflow_id}")
    [pending] = detail["pending_tasks"]
    assert pending["id"] == f"{workflow_id}.penomoran-surat" and pending["role_label"] == "Petugas Penomoran Surat" and pending["due_at"]
    titles = [e["title"] for e in detail["timeline"]]
    assert any(t.startswith("Tugas dibuka") for t in titles)
    decision = next(e for e in detail["timeline"] if e["outcome"] == "approve")
    assert "Rahmawati" in decision["actor"]
    # The claim is an inbox matter, not in the history; the run page shows it in its place all the same.
    kinds = [e["kind"] for e in detail["timeline"]]
    claim = detail["timeline"][kinds.index("claimed")]
    assert claim["actor"] == "Rahmawati, S.H., M.H." and claim["title"].startswith("Diklaim oleh Rahmawati")
    assert kinds.index("task_opened") < kinds.index("claimed") < detail["timeline"].index(decision)
    missing = await http.get("/api/v1/runs/leave-tidak-ada", headers=owner)
    assert missing.status_code == 404 and missing.json()["detail"] == "Proses tidak ditemukan."

    # An owner action over HTTP is recorded in the run and read back in its timeline.
    task_url = f"/api/v1/runs/{workflow_id}/tasks/{pending['id']}"
    assert (await http.post(f"{task_url}/reassign", headers=owner, json={"to_username": "pimpinan1", "reason": ""})).status_code == 422
    both = await http.post(f"{task_url}/reassign", headers=owner, json={"to_username": "pimpinan1", "to_role": "atasan", "reason": "x"})
    assert both.status_code == 422 and both.json()["code"] == "invalid"
    unknown_role = await http.post(f"{task_url}/reassign", headers=owner, json={"to_role": "astronot", "reason": "x"})
    assert unknown_role.status_code == 422 and unknown_role.json()["errors"][0]["field"] == "to_role"
    # Another office's staff cannot be given the court's task; its own head can.
    elsewhere = await http.post(f"{task_url}/reassign", headers=owner, json={"to_username": "kepala1", "reason": "Petugas penomoran sedang diklat"})
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["field"] == "to_username", elsewhere.text
    moved = await http.post(f"{task_url}/reassign", headers=owner, json={"to_username": "pimpinan1", "reason": "Petugas penomoran sedang diklat"})
    assert moved.status_code == 200 and moved.json()["status"] == "reassigned"
    reminded = await http.post(f"{task_url}/remind", headers=owner, json={"note": "Mohon segera"})
    assert reminded.status_code == 200 and reminded.json()["status"] == "reminded"
    timeline = (await http.get(f"/api/v1/runs/{workflow_id}", headers=owner)).json()["timeline"]
    reassigned = next(e for e in timeline if e["kind"] == "task_changed" and "dialihkan" in e["title"])
    assert "Irwan Saputra" in reassigned["actor"] and reassigned["reason"] == "Petugas penomoran sedang diklat"
    # The old holder's inbox no longer has it; the new holder's does.
    numbering = await login(http, "penomoran1")
    assert (await http.post(f"/api/v1/tasks/{pending['id']}/decision", headers=numbering, json={"outcome": "assign_number"})).status_code == 403

    cancelled = await http.post(f"/api/v1/runs/{workflow_id}/cancel", headers=owner, json={"reason": "Permohonan ditarik pegawai"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelling"
    handle = live_stack.client.get_workflow_handle(workflow_id)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    again = await http.post(f"/api/v1/runs/{workflow_id}/cancel", headers=owner, json={"reason": "lagi"})
    assert again.status_code == 409 and "sudah berakhir" in again.json()["detail"]
    closed = (await http.get(f"/api/v1/runs/{workflow_id}", headers=owner)).json()
    assert closed["status"] == "cancelled" and closed["status_label"] == "Dibatalkan" and closed["pending_tasks"] == []
    assert any(e["kind"] == "cancel_requested" and e["reason"] == "Permohonan ditarik pegawai" for e in closed["timeline"])
    async with live_stack.sessionmaker() as session:
        task = await session.get(Task, pending["id"])
    assert task.status == "cancelled" and task.reason == "Permohonan ditarik pegawai"


async def test_pages_for_owners_and_auditors(http, live_stack):
    leave, workflow_id = await _leave_waiting_for_number(http, live_stack)

    async def indexed():
        await sync_runs(live_stack.client, live_stack.sessionmaker)
        return (await _index_rows(live_stack, [workflow_id])).get(workflow_id)

    await wait_for(indexed)

    async def page_client(username: str) -> httpx.AsyncClient:
        c = httpx.AsyncClient(base_url=live_stack.base_url, timeout=30)
        signed_in = await c.post("/masuk", data={"username": username, "password": "Demo12345", "next": "/"})
        assert signed_in.status_code == 303, signed_in.text
        return c

    owner = await page_client("pemilik1")
    try:
        listing = await owner.get("/proses", params={"process": "leave", "key": str(leave["id"])})
        assert listing.status_code == 200 and f'href="/proses/{workflow_id}"' in listing.text and "menunggu" in listing.text
        assert 'href="/proses"' in listing.text  # the navigation link
        assert (await owner.get("/proses", params={"started_from": "kemarin"})).status_code == 422
        page = await owner.get(f"/proses/{workflow_id}")
        assert page.status_code == 200 and "Alihkan tugas" in page.text and "Batalkan proses" in page.text
        assert "Temporal Web UI" not in page.text  # it lists every office's runs: not for an office's own owner
        assert "Putar ulang" not in page.text
        no_reason = await owner.post(f"/proses/{workflow_id}/tugas/{workflow_id}.penomoran-surat/alihkan",
                                     data={"target": "peran", "to_role": "kepala_kantor", "reason": " "})
        assert no_reason.status_code == 422 and "Alasan pengalihan wajib diisi." in no_reason.text
        assert '<details open>' in no_reason.text and 'value="kepala_kantor" selected' in no_reason.text
        refused = await owner.post(f"/proses/{workflow_id}/batalkan", data={"reason": "Ganda"})
        assert refused.status_code == 422 and "Centang konfirmasi" in refused.text
        reminded = await owner.post(f"/proses/{workflow_id}/tugas/{workflow_id}.penomoran-surat/ingatkan", data={"note": "Segera ya"})
        assert reminded.status_code == 303 and reminded.headers["location"] == f"/proses/{workflow_id}?pesan=run-diingatkan"
        done = await owner.post(f"/proses/{workflow_id}/batalkan", data={"reason": "Diajukan ganda", "confirm": "ya"})
        assert done.status_code == 303
    finally:
        await owner.aclose()
    with pytest.raises(WorkflowFailureError):
        await live_stack.client.get_workflow_handle(workflow_id).result()

    auditor = await page_client("auditor1")
    try:
        page = await auditor.get(f"/proses/{workflow_id}")
        assert page.status_code == 200 and "Putar ulang" in page.text and "Alihkan tugas" not in page.text
        assert f"/api/v1/runs/{workflow_id}/audit.pdf" in page.text and f"/api/v1/runs/{workflow_id}/history.json" in page.text
        assert "Dibatalkan" in page.text and "Pembatalan proses diminta" in page.text
        assert (await auditor.post(f"/proses/{workflow_id}/batalkan", data={"reason": "x", "confirm": "ya"})).status_code == 403
    finally:
        await auditor.aclose()

    staff = await page_client("pegawai1")
    try:
        assert (await staff.get("/proses")).status_code == 403
        assert 'href="/proses"' not in (await staff.get("/")).text
    finally:
        await staff.aclose()
    anonymous = await http.get("/proses", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/masuk")


async def test_only_owners_and_auditors_reach_the_runs(http, live_stack):
    wid, tid = "leave-1", "leave-1.persetujuan-atasan"
    endpoints = [
        ("GET", "/api/v1/runs", None, "read"),
        ("GET", f"/api/v1/runs/{wid}", None, "read"),
        ("POST", f"/api/v1/runs/{wid}/tasks/{tid}/reassign", {"to_username": "pimpinan1", "reason": "x"}, "owner"),
        ("POST", f"/api/v1/runs/{wid}/tasks/{tid}/remind", {"note": ""}, "owner"),
        ("POST", f"/api/v1/runs/{wid}/cancel", {"reason": "x"}, "owner"),
    ]
    applicant, staff, auditor = await login(http, APPLICANT), await login(http, "pegawai1"), await login(http, "auditor1")
    for method, path, body, kind in endpoints:
        assert (await http.request(method, path, json=body)).status_code == 401, path
        for headers in (applicant, staff):
            response = await http.request(method, path, json=body, headers=headers)
            assert response.status_code == 403 and response.json()["code"] == "forbidden", (path, response.text)
        if kind == "owner":
            # An auditor reads every run but acts on none.
            response = await http.request(method, path, json=body, headers=auditor)
            assert response.status_code == 403 and "pemilik proses" in response.json()["detail"], path
