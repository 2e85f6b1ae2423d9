"""The notify activity: how a workflow sends a message, through the one notification mechanism
(notifications.delivery). A channel that is down makes the activity fail and retry, so a message is delayed, never
lost, and a message already sent is not sent again."""

from temporalio import activity

from contracts import NOTIFY, NotifyInput, NotifyResult
from notifications.delivery import Notifier


class NotifyActivities(Notifier):
    @activity.defn(name=NOTIFY)
    async def notify(self, inp: NotifyInput) -> NotifyResult:
        return await self.send(inp)
