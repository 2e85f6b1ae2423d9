"""The floor workflow (see bench/floor.py), kept free of heavy imports like every workflow module."""

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError


@dataclass
class FloorInput:
    key: str


@dataclass
class FloorDecision:
    outcome: str


@dataclass
class FloorResult:
    number: str


@workflow.defn(name="Floor")
class FloorWorkflow:
    def __init__(self) -> None:
        self.decision: FloorDecision | None = None

    @workflow.run
    async def run(self, inp: FloorInput) -> FloorResult:
        timeout = timedelta(seconds=30)
        await workflow.execute_activity("floor_write_task", inp, start_to_close_timeout=timeout)
        await workflow.wait_condition(lambda: self.decision is not None)
        number = await workflow.execute_activity("floor_assign_number", inp, result_type=str, start_to_close_timeout=timeout)
        await workflow.execute_activity("floor_notify", inp, start_to_close_timeout=timeout)
        return FloorResult(number=number)

    @workflow.update
    async def decide(self, decision: FloorDecision) -> str:
        self.decision = decision
        return "ok"

    @decide.validator
    def _validate(self, decision: FloorDecision) -> None:
        if self.decision is not None or decision.outcome != "approve":
            raise ApplicationError("refused")


@workflow.defn(name="BenchTrivial")
class TrivialWorkflow:
    """The replay baseline: a workflow that does nothing but return."""

    @workflow.run
    async def run(self, name: str) -> str:
        return f"halo {name}"
