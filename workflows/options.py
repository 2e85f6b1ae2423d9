"""How every workflow runs its activities: one retry policy, and named option sets by what the activity does.

Each set keeps the per-attempt timeout the runs already used (a timeout or a retry policy is not part of what replay
compares, but it is behaviour): where two processes allowed the same kind of step a different time, both sets are
named here rather than one silently changed. Use as `workflow.execute_activity(NAME, arg, **STEP)`."""

from datetime import timedelta
from typing import Final, TypedDict

from temporalio.common import RetryPolicy

# Projection writes and notifications must eventually happen: retry without limit, backing off.
# A channel outage then delays a message; it never loses it.
DURABLE_RETRY: Final = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=5))


class ActivityOptions(TypedDict):
    """The keyword arguments of `workflow.execute_activity` / `start_activity` an option set fills in, typed so that
    `**STEP` type-checks against Temporal's overloads. The sets below are shared by every run: never change one in
    place; name a new set instead."""

    start_to_close_timeout: timedelta
    retry_policy: RetryPolicy


def _options(timeout: timedelta) -> ActivityOptions:
    return ActivityOptions(start_to_close_timeout=timeout, retry_policy=DURABLE_RETRY)


# The human-task mechanism's inbox writes (open, change, close a task, the wind-down's lines) and its notices to the
# task's holders; the leave request's steps (its case row, its letter number), written with the mechanism, the same.
QUICK_STEP: Final = _options(timedelta(seconds=30))
# A step of the processes written after it: the case row and its timeline line, a number, a working-day deadline, an
# upload check, a hand-off, an auto-reply, a counter document (receipt, checklist, nota dinas).
STEP: Final = _options(timedelta(seconds=60))
# A letter or permit rendered, signed (TTE) and stored: reportlab and PAdES take longer than a row.
DOCUMENT: Final = _options(timedelta(minutes=2))
# A process's notice to the people of its case: it may carry an attachment and meet a slow mail server.
NOTICE: Final = _options(timedelta(seconds=60))
