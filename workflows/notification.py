"""A message sent outside any process (a chat reply, say) still goes through a workflow, so that an
outage of a channel delays it and never loses it: the one notification activity, retried durably."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contracts import NOTIFY, NotifyInput, NotifyResult
    from workflows.options import NOTICE


def notification_workflow_id(idempotency_key: str) -> str:
    return f"notify-{idempotency_key}"


@workflow.defn(name="Notification")
class NotificationWorkflow:
    @workflow.run
    async def run(self, message: NotifyInput) -> NotifyResult:
        # No update or signal handlers: nothing to wait for after the one message (see HumanTaskWorkflow's _settle).
        return await workflow.execute_activity(NOTIFY, message, result_type=NotifyResult, **NOTICE)
