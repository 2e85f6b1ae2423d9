"""The readable timeline and the audit report, read from the golden histories (no server needed)."""

import io
import json
from pathlib import Path

import pypdf
import pytest
from temporalio.api.common.v1 import Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from audit.history import readable_timeline
from audit.report import audit_facts, history_json, render_audit_report, sha256_hex
from contracts import CANCEL_RUN, REASSIGN_TASK, Actor, CancelRunRequest, Person, ReassignRequest
from process_defs.loader import load_office, office_defs_dir
from signing.identity import load_or_create_signing_identity
from signing.pades import verify_document
from store.settings import Settings

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))
LETTER_NUMBER = "B-1/Kk.13.21/1/KP.07.6/11/2026"
LETTER_SHA256 = "2831f8e3955c869323046970dd7fe30b45e1cd3213759431c8e90233d22e8d0f"


def load(name: str) -> WorkflowHistory:
    golden = json.loads((Path(__file__).parents[1] / "histories" / f"{name}.json").read_text())
    return WorkflowHistory.from_json(golden["workflow_id"], golden["history"])


def of_kind(lines, kind: str) -> list:
    return [line for line in lines if line.kind == kind]


def test_leave_history_reads_as_the_steps_people_took():
    lines = readable_timeline(load("leave_approved"))

    assert lines[0].kind == "started" and lines[0].actor == "Muhammad Rizki, S.Kom. (pegawai1)"
    opened = of_kind(lines, "task_opened")
    assert [t.role for t in opened] == ["Atasan Langsung", "Petugas Penomoran Surat"]
    assert "Persetujuan Cuti Tahunan" in opened[0].title and opened[0].detail["due_at"]

    supervisor = of_kind(lines, "decision")[0]
    assert supervisor.actor == "Rahmawati, S.H., M.H. (atasan1)"
    assert supervisor.role == "Atasan Langsung"
    assert supervisor.outcome == "approve" and supervisor.detail["outcome_label"] == "Setujui"
    assert "Setujui oleh Rahmawati" in supervisor.title

    (number,) = of_kind(lines, "number")
    assert number.detail["number"] == LETTER_NUMBER and LETTER_NUMBER in number.title
    (document,) = of_kind(lines, "document")
    assert document.detail["sha256"] == LETTER_SHA256 and document.detail["document_id"] == "7fmpmsqfusaqmxnq"
    assert "Surat Izin Cuti" in document.title and "Rahmawati" in document.actor
    assert any("Tugas baru" in n.title for n in of_kind(lines, "notification"))
    assert lines[-1].kind == "completed" and lines[-1].outcome == "approved"
    # Oldest first, in aware UTC.
    assert all(line.at.utcoffset().total_seconds() == 0 for line in lines)
    assert [line.at for line in lines] == sorted(line.at for line in lines)


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
def test_every_golden_history_reads_without_a_gap(path: Path):
    golden = json.loads(path.read_text())
    lines = readable_timeline(WorkflowHistory.from_json(golden["workflow_id"], golden["history"]))
    assert lines[0].kind == "started"
    assert not of_kind(lines, "unreadable")
    assert all(line.title.strip() for line in lines)


def test_a_return_for_revision_shows_its_reason_and_the_applicant_resubmitting():
    lines = readable_timeline(load("permit_revised_signed_reissued"))
    revise = next(d for d in of_kind(lines, "decision") if d.outcome == "revise")
    assert revise.reason == "Foto lokasi buram; unggah ulang" and revise.role == "Verifikator Perizinan"
    assert any(u.title.startswith("Pengajuan ulang perbaikan oleh Siti Aminah") for u in of_kind(lines, "update"))
    signed = of_kind(lines, "document")[0]
    assert "Dr. H. Munir Hasan" in signed.actor and signed.detail["sha256"]
    assert any("notify-applicant-on-verified-and-resubmitted" in m.title for m in of_kind(lines, "marker"))


def test_signals_and_reminders_read():
    whatsapp = readable_timeline(load("whatsapp_handoff_and_back"))
    assert any(s.title == "Pesan WhatsApp masuk dari Ahmad Fauzi" for s in of_kind(whatsapp, "signal"))
    letter = readable_timeline(load("letter_incoming_disposed_delivered"))
    reminded = [c for c in of_kind(letter, "task_changed") if c.detail["change"] == "reminded"]
    assert reminded and reminded[0].title.startswith("Pengingat dikirim kepada")


def _payloads(value) -> Payloads:
    return Payloads(payloads=pydantic_data_converter.payload_converter.to_payloads([value]))


def _appended(history: WorkflowHistory, *events: HistoryEvent) -> WorkflowHistory:
    last = history.events[-1]
    more = []
    for i, event in enumerate(events, 1):
        event.event_id = last.event_id + i
        event.event_time.CopyFrom(last.event_time)
        more.append(event)
    return WorkflowHistory(history.workflow_id, [*history.events[:-1], *more, history.events[-1]])


def test_owner_actions_unknown_activities_and_unexpected_events_still_read():
    history = load("leave_approved")
    owner = Actor(user_id=20, username="pemilik1", full_name="Irwan Saputra, S.T., M.M.", roles=["pemilik_proses"])
    reassign = HistoryEvent(event_type=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    reassign.workflow_execution_update_accepted_event_attributes.accepted_request.input.name = REASSIGN_TASK
    reassign.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.CopyFrom(_payloads(ReassignRequest(
        task_id="leave-1.persetujuan-atasan", actor=owner, reason="Atasan sedang dinas luar",
        to_person=Person(id=3, username="kepala1", full_name="Dr. H. Munir Hasan, S.H.I., M.H."))))
    cancel = HistoryEvent(event_type=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    cancel.workflow_execution_update_accepted_event_attributes.accepted_request.input.name = CANCEL_RUN
    cancel.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.CopyFrom(
        _payloads(CancelRunRequest(actor=owner, reason="Diajukan ganda")))
    novel = HistoryEvent(event_type=EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    novel.activity_task_scheduled_event_attributes.activity_type.name = "hitung_sesuatu_baru"
    novel.activity_task_scheduled_event_attributes.input.CopyFrom(_payloads({"x": 1}))
    done = HistoryEvent(event_type=EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    unexpected = HistoryEvent(event_type=EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)
    unexpected.request_cancel_external_workflow_execution_initiated_event_attributes.workflow_execution.workflow_id = "lain-1"
    history = _appended(history, reassign, cancel, novel, done, unexpected)
    done.activity_task_completed_event_attributes.scheduled_event_id = novel.event_id

    lines = readable_timeline(history)
    moved = next(line for line in lines if line.detail.get("change") == "reassigned")
    assert moved.actor == "Irwan Saputra, S.T., M.M. (pemilik1)" and moved.reason == "Atasan sedang dinas luar"
    assert "dialihkan kepada Dr. H. Munir Hasan" in moved.title and "Persetujuan Cuti Tahunan" in moved.title
    (cancelled,) = of_kind(lines, "cancel_requested")
    assert cancelled.actor == "Irwan Saputra, S.T., M.M. (pemilik1)" and cancelled.reason == "Diajukan ganda"
    assert any(line.title == "Aktivitas 'hitung_sesuatu_baru' selesai" for line in lines)
    assert any(line.kind == "request_cancel_external_workflow_execution_initiated" for line in lines)


def test_audit_facts_list_decisions_numbers_and_documents():
    facts = audit_facts(load("leave_approved"))
    assert (facts.workflow_id, facts.process, facts.business_key, facts.status) == ("leave-1", "leave", "1", "completed")
    assert facts.started_at is not None and facts.closed_at is not None
    assert [(d.actor, d.role, d.outcome, d.outcome_label) for d in facts.decisions] == [
        ("Rahmawati, S.H., M.H. (atasan1)", "Atasan Langsung", "approve", "Setujui"),
        ("Cut Meutia Sari, S.Sos. (penomoran1)", "Petugas Penomoran Surat", "assign_number", "Beri nomor surat"),
    ]
    assert facts.decisions[1].actor_roles == ["Pegawai", "Petugas Penomoran Surat"]
    assert [n.number for n in facts.numbers] == [LETTER_NUMBER]
    assert [(d.document_id, d.sha256) for d in facts.documents] == [("7fmpmsqfusaqmxnq", LETTER_SHA256)]
    assert audit_facts(load("permit_before_progress_notices")).status == "running"


async def test_audit_report_is_signed_and_names_what_happened(tmp_path: Path):
    history = load("leave_approved")
    settings = Settings(var_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    raw = history_json(history)
    court = load_office(office_defs_dir("ms-lhokseumawe")).office
    pdf = await render_audit_report(audit_facts(history), office=court, history_sha256=sha256_hex(raw), settings=settings,
                                    generated_by="Auditor (auditor1)")

    status = await verify_document(pdf, load_or_create_signing_identity(settings))
    assert status["valid"] and status["intact"] and status["covers_whole_file"]
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("LAPORAN AUDIT", "leave-1", "Rahmawati, S.H., M.H.", "Setujui (approve)", LETTER_NUMBER, LETTER_SHA256, sha256_hex(raw)):
        assert expected in text, expected
    # The JSON hashed in the report is Temporal's own format: it loads back as the same history.
    assert WorkflowHistory.from_json("leave-1", raw.decode()).events == history.events


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_golden_histories_replay_against_the_workers_workflows(path: Path):
    """The audit replayer defaults to what the worker registers: every golden history replays with it."""
    from audit.replay import replay_history

    golden = json.loads(path.read_text())
    outcome = await replay_history(WorkflowHistory.from_json(golden["workflow_id"], golden["history"]))
    assert outcome.deterministic, outcome.error
    assert outcome.workflow_id == golden["workflow_id"] and outcome.run_id and outcome.events == len(golden["history"]["events"])


async def test_the_audit_replayer_names_a_changed_workflow():
    from audit.replay import replay_history
    from tests.workflows.test_replay import SkipsTheSupervisor

    outcome = await replay_history(load("leave_approved"), workflows=[SkipsTheSupervisor])
    assert outcome.deterministic is False and outcome.error
