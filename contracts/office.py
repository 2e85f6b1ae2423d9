"""The office a run works for, as the run snapshots it: calendar, identity, task policies, number formats, people."""

from dataclasses import dataclass, field


@dataclass
class CalendarSnapshot:
    timezone: str
    country: str = "ID"
    holiday_categories: list[str] = field(default_factory=lambda: ["public", "government"])
    working_weekdays: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    office_start: str = "08:00"
    office_end: str = "16:30"
    extra_holidays: dict[str, str] = field(default_factory=dict)
    extra_working_days: list[str] = field(default_factory=list)
    # The office whose calendar this is (its code): the tasks a run asks for belong to it. Empty in runs started
    # before offices existed: they belong to the first office (store/offices.py).
    office: str = ""


@dataclass
class OfficeSnapshot:
    name: str
    short_name: str
    city: str
    address: str
    timezone: str
    head_title: str
    # Its code (empty in runs started before offices existed: the first office).
    code: str = ""
    # The lines above its name on its letterhead, and per issuing agency of its catalog that agency's lines.
    letterhead: list[str] = field(default_factory=list)
    agency_letterheads: dict[str, list[str]] = field(default_factory=dict)
    # Storage key of its logo, printed on its letterhead when set.
    logo_key: str | None = None
    phone: str | None = None
    email: str | None = None

    def letterhead_lines(self, agency: str | None = None) -> list[str]:
        """What heads a document it issues: the agency's own lines when the agency has them, else the office's lines and name."""
        if agency and self.agency_letterheads.get(agency):
            return list(self.agency_letterheads[agency])
        return [*self.letterhead, self.name]


@dataclass
class TaskPolicy:
    role: str
    due_working_days: int
    escalate_after_working_days: int = 0
    escalate_to_role: str | None = None
    role_label: str = ""
    escalate_to_role_label: str = ""
    # Further levels after escalate_to_role, each escalate_after_working_days after the one before
    # (e.g. officer → unit head → head of office), with their labels.
    escalation_chain: list[str] = field(default_factory=list)
    escalation_chain_labels: list[str] = field(default_factory=list)


@dataclass
class NumberingFormat:
    scope: str
    format: str
    fields: dict[str, str] = field(default_factory=dict)
    # The office whose register this is (its code; empty: the first office). Each office numbers on its own.
    office: str = ""


@dataclass
class Person:
    id: int
    username: str
    full_name: str
    nip: str | None = None
    position: str | None = None
    unit_name: str | None = None
