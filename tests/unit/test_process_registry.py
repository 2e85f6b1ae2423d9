"""Each process is registered once (issue 16, item 2): process_defs/processes.py names it, its id prefixes, its
workflow types, who sees its cases and its status vocabulary (contracts/<process>.py); the workers and the auditor run
exactly the workflows it names (workflows/registry.py)."""

import importlib

import pytest
from temporalio import workflow

from process_defs.processes import BY_NAME, BY_WORKFLOW_TYPE, PROCESSES, business_key, process_of
from workflows.registry import WORKFLOWS

CONTRACT_OF = {"leave": "leave", "permit": "permit", "walk_in": "walk_in", "letter": "letters", "complaint": "complaint",
               "siramasakan": "siramasakan"}
TONES = {"ok", "info", "wait", "warn", "danger", "muted"}


def test_the_workers_run_exactly_the_registered_workflow_types() -> None:
    registered = {workflow._Definition.must_from_class(cls).name for cls in WORKFLOWS}
    assert registered == set(BY_WORKFLOW_TYPE)


@pytest.mark.parametrize("name", sorted(CONTRACT_OF))
def test_every_status_a_process_writes_has_a_label_a_tone_and_says_whether_it_is_final(name: str) -> None:
    contract = importlib.import_module(f"contracts.{CONTRACT_OF[name]}")
    written = {value for key, value in vars(contract).items() if key.startswith("STATUS_")}
    vocabulary = BY_NAME[name].statuses
    assert vocabulary is not None
    assert set(vocabulary.codes) == written
    assert all(status.label.strip() and status.tone in TONES for status in vocabulary.statuses)
    # The workflow freezes exactly the statuses its vocabulary calls final (activities/case_rows.py keeps_final).
    run = importlib.import_module(f"workflows.{CONTRACT_OF[name]}")
    assert set(run.FINAL_STATUSES) == set(vocabulary.final) and vocabulary.final
    assert set(vocabulary.open) == written - set(vocabulary.final)


def test_a_workflow_id_names_its_process_and_its_business_key() -> None:
    for process in PROCESSES:
        for prefix in process.id_prefixes:
            assert process_of(f"{prefix}K3Y") is process
            assert business_key(f"{prefix}K3Y") == "K3Y"
    assert process_of("surat-keluar-7").name == "letter" and process_of("walkin-KJ-0001").name == "walk_in"
    assert process_of("lain-1") is None
