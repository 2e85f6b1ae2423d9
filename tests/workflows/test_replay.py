"""Golden histories of finished runs, replayed against the current workflow code: a change that
would break running instances fails here. Re-record with
`SATUPINTU_RECORD_HISTORIES=1 pytest tests/workflows/test_leave_workflow.py -k approval` only when a
change is deliberately made safe with workflow.patched()."""

import base64
import json
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from contracts import LeaveInput, LeaveResult
from workflows.human_task import (
    PATCH_ACK_BEFORE_CLOSING,
    PATCH_HANDLERS_FINISH_FIRST,
    PATCH_NO_STEP_AFTER_CANCEL,
    PATCH_NOTIFY_IN_BACKGROUND,
    PATCH_WIND_DOWN_ON_ANY_CANCEL,
    HumanTaskWorkflow,
)
from workflows.permit import PATCH_NOTIFY_PROGRESS
from workflows.registry import WORKFLOWS

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))


def load(path: Path) -> WorkflowHistory:
    # Task ids derive from the workflow id, so a history replays only under its own id.
    golden = json.loads(path.read_text())
    return WorkflowHistory.from_json(golden["workflow_id"], golden["history"])


@workflow.defn(name="LeaveRequest", sandboxed=False)
class SkipsTheSupervisor(HumanTaskWorkflow):
    """A careless change: the same process without the supervisor's approval."""

    @workflow.run
    async def run(self, request: LeaveInput) -> LeaveResult:
        return LeaveResult(status="approved")


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays_deterministically(path: Path):
    history = load(path)
    # Against every registered workflow, as the auditor replays (workflows/registry.py).
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name} no longer replays: {result.replay_failure}"


def test_there_is_a_golden_history_of_each_process():
    assert any(p.stem.startswith("leave_") for p in HISTORIES)
    assert any(p.stem.startswith("permit_") for p in HISTORIES)
    assert any(p.stem.startswith("walk_in_") for p in HISTORIES)
    assert any(p.stem.startswith("letter_") for p in HISTORIES)
    assert any(p.stem.startswith("siramasakan_") for p in HISTORIES)
    assert any(p.stem.startswith("complaint_") for p in HISTORIES)
    assert any(p.stem.startswith("whatsapp_") for p in HISTORIES)


def test_each_patch_has_a_history_that_takes_it():
    """Both sides of a workflow.patched() branch stay replayable: the histories recorded before a change take the old
    path (above), and one recorded after it takes the new one (issue 7: notifications sent in the background,
    decisions acknowledged before the inbox row is closed; issue 15: a cancel wound down wherever it lands, no step
    after a process owner's cancel; issue 16: a run ends after its update handlers)."""
    patches = set()
    for path in HISTORIES:
        for event in json.loads(path.read_text())["history"]["events"]:
            marker = event.get("markerRecordedEventAttributes")
            if marker and marker.get("markerName") == "core_patch":
                data = marker["details"]["patch-data"]["payloads"][0]["data"]
                patches.add(json.loads(base64.b64decode(data))["id"])
    assert {PATCH_ACK_BEFORE_CLOSING, PATCH_NOTIFY_IN_BACKGROUND, PATCH_NOTIFY_PROGRESS, PATCH_WIND_DOWN_ON_ANY_CANCEL,
            PATCH_NO_STEP_AFTER_CANCEL, PATCH_HANDLERS_FINISH_FIRST} <= patches


async def test_a_changed_workflow_is_caught(tmp_path: Path):
    """The replay check itself can fail: replaying against a workflow that skips a step is refused."""
    history = load(next(p for p in HISTORIES if p.stem.startswith("leave_")))
    result = await Replayer(workflows=[SkipsTheSupervisor], data_converter=pydantic_data_converter).replay_workflow(
        history, raise_on_replay_failure=False)
    assert result.replay_failure is not None
