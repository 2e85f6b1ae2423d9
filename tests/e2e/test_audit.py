"""Auditors on the real stack: a finished leave request is replayed against the code (and caught when the code
changed), exported as history JSON plus a signed report, through the command, the API and the page; nobody but
an auditor gets at any of it."""

import io
import json
from pathlib import Path

import httpx
import pypdf
import pytest
from sqlalchemy import select
from temporalio import workflow
from temporalio.client import WorkflowHistory

import workflows.registry
from audit.cli import run_audit
from contracts import LeaveInput, LeaveResult
from gateway.deps import SESSION_COOKIE
from gateway.services.people import office_today
from signing.identity import load_or_create_signing_identity
from signing.pades import verify_document
from store.models import Document
from tests.conftest import free_port
from tests.factories import decide, start_leave, wait_for
from workflows.human_task import HumanTaskWorkflow

SUPERVISOR = "Rahmawati, S.H., M.H."
APPLICANT_NIK = "3374010101900001"


@workflow.defn(name="LeaveRequest", sandboxed=False)
class SkipsTheSupervisor(HumanTaskWorkflow):
    """A careless change: the same process without the supervisor's approval."""

    @workflow.run
    async def run(self, request: LeaveInput) -> LeaveResult:
        return LeaveResult(status="approved")


@pytest.fixture(scope="module")
async def finished_leave(live_stack):
    """A leave request approved by the supervisor and numbered: (workflow id, letter number)."""
    handle, _ = await start_leave(live_stack.client, live_stack.sessionmaker, task_queue=live_stack.settings.task_queue)
    await decide(handle, "persetujuan-atasan", "atasan1", "approve", live_stack)
    await decide(handle, "penomoran-surat", "penomoran1", "assign_number", live_stack)
    result = await handle.result()
    assert result.status == "approved"
    return handle.id, result.letter_number


async def audit(live_stack, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = await run_audit(list(argv), client=live_stack.client, settings=live_stack.settings, out=out)
    return status, out.getvalue()


# --- the command ------------------------------------------------------------------------------------------


async def test_replay_command_passes_for_a_finished_run(live_stack, finished_leave):
    workflow_id, _ = finished_leave
    status, out = await audit(live_stack, "replay", "--workflow-id", workflow_id)
    assert status == 0, out
    assert f"OK     {workflow_id} (LeaveRequest" in out and "deterministik" in out
    assert "1 run diputar ulang; 1 deterministik, 0 tidak deterministik" in out


async def test_a_deliberately_changed_workflow_is_caught_by_the_replay_command(live_stack, finished_leave, monkeypatch):
    workflow_id, _ = finished_leave
    monkeypatch.setattr(workflows.registry, "WORKFLOWS", [SkipsTheSupervisor])
    status, out = await audit(live_stack, "replay", "--workflow-id", workflow_id)
    assert status == 1, out
    assert f"GAGAL  {workflow_id}" in out and "TIDAK deterministik" in out
    assert "1 tidak deterministik" in out


async def test_replay_by_process_since_today_finds_the_run(live_stack, finished_leave):
    workflow_id, _ = finished_leave

    async def listed():
        status, out = await audit(live_stack, "replay", "--process", "leave", "--since", office_today().isoformat())
        return (status, out) if workflow_id in out else None

    status, out = await wait_for(listed)
    assert status == 0, out
    assert f"OK     {workflow_id} (LeaveRequest" in out


async def test_replay_command_refuses_bad_arguments_and_unknown_runs(live_stack):
    assert (await audit(live_stack, "replay"))[0] == 2
    status, out = await audit(live_stack, "replay", "--process", "cuti", "--since", "2026-01-01")
    assert status == 2 and "tidak dikenal" in out
    status, out = await audit(live_stack, "replay", "--process", "leave", "--since", "1-2-2026")
    assert status == 2 and "YYYY-MM-DD" in out
    status, out = await audit(live_stack, "replay", "--workflow-id", "leave-tidak-ada")
    assert status == 2 and "tidak ditemukan" in out
    status, out = await audit(live_stack, "replay", "--process", "siramasakan", "--since", "2999-01-01")
    assert status == 2 and "Tidak ada run" in out


async def test_export_writes_history_json_and_a_signed_report(live_stack, finished_leave, tmp_path: Path):
    workflow_id, letter_number = finished_leave
    status, out = await audit(live_stack, "export", workflow_id, "--out", str(tmp_path / "bukti"))
    assert status == 0, out

    raw = (tmp_path / "bukti" / f"{workflow_id}.history.json").read_text()
    history = WorkflowHistory.from_json(workflow_id, json.loads(raw))
    assert history.events[0].workflow_execution_started_event_attributes.workflow_type.name == "LeaveRequest"

    pdf = (tmp_path / "bukti" / f"{workflow_id}.audit.pdf").read_bytes()
    signature = await verify_document(pdf, load_or_create_signing_identity(live_stack.settings))
    assert signature["valid"] and signature["covers_whole_file"]
    async with live_stack.sessionmaker() as session:
        letter = await session.scalar(select(Document).where(Document.workflow_id == workflow_id))
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert SUPERVISOR in text and "Setujui (approve)" in text
    assert letter_number in text.replace("\n", "")
    assert letter.sha256 in text


# --- the API and the page ---------------------------------------------------------------------------------


@pytest.fixture
async def http(live_stack):
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=60) as client:
        yield client


async def token(http: httpx.AsyncClient, username: str) -> str:
    response = await http.post("/api/v1/auth/login", json={"username": username, "password": "Demo12345"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def test_auditor_replays_and_downloads_through_the_api(http, live_stack, finished_leave):
    workflow_id, letter_number = finished_leave
    headers = {"Authorization": f"Bearer {await token(http, 'auditor1')}"}

    replay = await http.post(f"/api/v1/runs/{workflow_id}/replay", headers=headers)
    assert replay.status_code == 200, replay.text
    body = replay.json()
    assert body["deterministic"] is True and body["error"] is None
    assert (body["workflow_id"], body["workflow_type"]) == (workflow_id, "LeaveRequest") and body["run_id"] and body["events"] > 10

    pdf = await http.get(f"/api/v1/runs/{workflow_id}/audit.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment") and pdf.content.startswith(b"%PDF")
    assert (await verify_document(pdf.content, load_or_create_signing_identity(live_stack.settings)))["valid"]

    raw = await http.get(f"/api/v1/runs/{workflow_id}/history.json", headers=headers)
    assert raw.status_code == 200 and raw.headers["content-disposition"].startswith("attachment")
    assert WorkflowHistory.from_json(workflow_id, raw.json()).events

    missing = await http.post("/api/v1/runs/leave-tidak-ada/replay", headers=headers)
    assert missing.status_code == 404 and "tidak ditemukan" in missing.json()["detail"]
    assert (await http.get("/api/v1/runs/leave-tidak-ada/audit.pdf", headers=headers)).status_code == 404


async def test_only_auditors_get_at_the_audit_endpoints(http, finished_leave):
    workflow_id, _ = finished_leave
    calls = [("POST", f"/api/v1/runs/{workflow_id}/replay"), ("GET", f"/api/v1/runs/{workflow_id}/audit.pdf"),
             ("GET", f"/api/v1/runs/{workflow_id}/history.json")]
    for username in (APPLICANT_NIK, "pegawai1", "pemilik1"):
        headers = {"Authorization": f"Bearer {await token(http, username)}"}
        for method, path in calls:
            response = await http.request(method, path, headers=headers)
            assert response.status_code == 403, (username, path, response.text)
            assert response.json()["detail"] == "Tindakan ini hanya untuk auditor."
    for method, path in calls:
        assert (await http.request(method, path)).status_code == 401


async def test_auditor_page_replays_a_run_and_links_its_evidence(http, finished_leave):
    workflow_id, _ = finished_leave
    assert (await http.get("/audit")).headers["location"].startswith("/masuk")

    http.cookies.set(SESSION_COOKIE, await token(http, "pegawai1"))
    assert (await http.get("/audit")).status_code == 403

    http.cookies.set(SESSION_COOKIE, await token(http, "auditor1"))
    page = await http.get("/audit")
    assert page.status_code == 200 and "Putar ulang" in page.text and 'href="/audit"' in page.text

    # The run page's "Putar ulang" button sends only the workflow id.
    result = await http.post("/audit", data={"workflow_id": workflow_id})
    assert result.status_code == 200, result.text
    assert "Semua 1 run deterministik" in result.text and "Deterministik" in result.text
    assert f'href="/proses/{workflow_id}"' in result.text
    assert f"/api/v1/runs/{workflow_id}/audit.pdf" in result.text and f"/api/v1/runs/{workflow_id}/history.json" in result.text

    by_process = await http.post("/audit", data={"mode": "process", "process": "leave", "since": office_today().isoformat()})
    assert by_process.status_code == 200 and workflow_id in by_process.text

    empty = await http.post("/audit", data={"workflow_id": ""})
    assert empty.status_code == 422 and "wajib diisi" in empty.text
    unknown = await http.post("/audit", data={"workflow_id": "leave-tidak-ada"})
    assert unknown.status_code == 404 and "tidak ditemukan" in unknown.text
    bad_date = await http.post("/audit", data={"mode": "process", "process": "leave", "since": "kemarin"})
    assert bad_date.status_code == 422 and "tidak valid" in bad_date.text


async def test_temporal_out_of_reach_is_503(db):
    from gateway.app import create_app

    settings = db.settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            login = await client.post("/api/v1/auth/login", json={"username": "auditor1", "password": "Demo12345"})
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            response = await client.post("/api/v1/runs/leave-1/replay", headers=headers)
    assert response.status_code == 503 and "Temporal" in response.json()["detail"]
