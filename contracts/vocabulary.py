"""A process's statuses as people read them: the label, the badge's tone, what happens next, and whether the status
is final (no later write changes it, activities/case_rows.py). One vocabulary per process, beside its contract
(contracts/<process>.py); pages, API, timeline, dashboards and the workflow itself read it from there."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    code: str
    label: str
    # The badge's colour class on pages: ok, info, wait, warn, danger, muted.
    tone: str
    final: bool = False
    # What the person who filed the case reads next, for processes that say it by status (others say it by stage).
    next_step: str | None = None


@dataclass(frozen=True)
class Vocabulary:
    statuses: tuple[Status, ...]

    def __post_init__(self) -> None:
        codes = [s.code for s in self.statuses]
        if len(set(codes)) != len(codes):
            raise ValueError(f"a status is named twice: {codes}")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.statuses)

    @property
    def labels(self) -> dict[str, str]:
        return {s.code: s.label for s in self.statuses}

    @property
    def tones(self) -> dict[str, str]:
        return {s.code: s.tone for s in self.statuses}

    @property
    def next_steps(self) -> dict[str, str]:
        return {s.code: s.next_step for s in self.statuses if s.next_step is not None}

    @property
    def final(self) -> tuple[str, ...]:
        # A tuple, in the vocabulary's order: checked with `in` and given to SQL IN (…) alike.
        return tuple(s.code for s in self.statuses if s.final)

    @property
    def open(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.statuses if not s.final)
