"""Typed loader for the YAML process definitions. Invalid YAML fails loudly at start-up."""

from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, field_validator

from contracts import (
    CalendarSnapshot,
    LeaveDefinitionSnapshot,
    NumberingFormat,
    OfficeSnapshot,
    TaskPolicy,
)

DEFS_DIR = Path(__file__).resolve().parent


class _Strict(BaseModel):
    model_config = {"extra": "forbid"}


class OfficeDef(_Strict):
    name: str
    short_name: str
    address: str
    city: str
    timezone: str
    head_title: str


class HolidayDef(_Strict):
    date: date
    name: str


class CalendarDef(_Strict):
    country: str = "ID"
    holiday_categories: list[str] = ["public", "government"]
    working_weekdays: list[int] = [0, 1, 2, 3, 4]
    office_hours: dict[str, str]
    extra_holidays: list[HolidayDef] = []
    extra_working_days: list[date] = []

    @field_validator("working_weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if not value or any(d < 0 or d > 6 for d in value):
            raise ValueError("working_weekdays must list days 0 (Monday) to 6 (Sunday)")
        return value


class NumberingScopeDef(BaseModel):
    model_config = {"extra": "allow"}
    format: str

    @field_validator("format")
    @classmethod
    def _has_sequence(cls, value: str) -> str:
        if "{seq}" not in value or "{year}" not in value:
            raise ValueError("a numbering format needs {seq} and {year}")
        return value


class OfficeFile(_Strict):
    office: OfficeDef
    calendar: CalendarDef
    roles: dict[str, str]
    numbering: dict[str, NumberingScopeDef]

    def role_label(self, role: str | None) -> str:
        return self.roles.get(role, role) if role else ""


class LeaveTypeDef(_Strict):
    code: str
    label: str
    counts_against_balance: bool = False
    max_calendar_days: int | None = None


class AnnualLeaveDef(_Strict):
    entitlement_working_days: int = Field(ge=0)
    carry_over_max_working_days: int = Field(ge=0)


class TaskPolicyDef(_Strict):
    role: str
    due_working_days: int = Field(ge=0)
    escalate_after_working_days: int = Field(default=0, ge=0)
    escalate_to_role: str | None = None
    # Further escalation levels after escalate_to_role, each escalate_after_working_days later.
    escalation_chain: list[str] = []

    @property
    def roles(self) -> list[str]:
        return [r for r in (self.role, self.escalate_to_role, *self.escalation_chain) if r]


class LeaveFile(_Strict):
    process: str
    title: str
    leave_types: list[LeaveTypeDef]
    annual_leave: AnnualLeaveDef
    tasks: dict[str, TaskPolicyDef]
    numbering_scope: str

    def leave_type(self, code: str) -> LeaveTypeDef | None:
        return next((t for t in self.leave_types if t.code == code), None)


def _read(name: str, defs_dir: Path) -> dict:
    with open(defs_dir / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@lru_cache
def load_office(defs_dir: Path = DEFS_DIR) -> OfficeFile:
    return OfficeFile.model_validate(_read("office.yaml", defs_dir))


@lru_cache
def load_leave(defs_dir: Path = DEFS_DIR) -> LeaveFile:
    leave = LeaveFile.model_validate(_read("leave.yaml", defs_dir))
    office = load_office(defs_dir)
    if leave.numbering_scope not in office.numbering:
        raise ValueError(f"leave.yaml: numbering scope {leave.numbering_scope!r} is not in office.yaml")
    for needed in ("supervisor_approval", "letter_numbering"):
        if needed not in leave.tasks:
            raise ValueError(f"leave.yaml: tasks.{needed} is missing")
    for name, task in leave.tasks.items():
        for role in task.roles:
            if role not in office.roles:
                raise ValueError(f"leave.yaml: tasks.{name} names role {role!r}, which office.yaml does not list")
    return leave


def office_snapshot(office: OfficeFile) -> OfficeSnapshot:
    o = office.office
    return OfficeSnapshot(name=o.name, short_name=o.short_name, city=o.city, address=o.address, timezone=o.timezone, head_title=o.head_title)


def calendar_snapshot(office: OfficeFile) -> CalendarSnapshot:
    c = office.calendar
    return CalendarSnapshot(
        timezone=office.office.timezone,
        country=c.country,
        holiday_categories=list(c.holiday_categories),
        working_weekdays=list(c.working_weekdays),
        office_start=c.office_hours.get("start", "08:00"),
        office_end=c.office_hours.get("end", "16:30"),
        extra_holidays={h.date.isoformat(): h.name for h in c.extra_holidays},
        extra_working_days=[d.isoformat() for d in c.extra_working_days],
    )


def numbering_format(office: OfficeFile, scope: str) -> NumberingFormat:
    scope_def = office.numbering[scope]
    fields = {k: str(v) for k, v in scope_def.model_extra.items()} if scope_def.model_extra else {}
    return NumberingFormat(scope=scope, format=scope_def.format, fields=fields)


def task_policy(d: TaskPolicyDef, office: OfficeFile) -> TaskPolicy:
    return TaskPolicy(role=d.role, due_working_days=d.due_working_days, escalate_after_working_days=d.escalate_after_working_days,
                      escalate_to_role=d.escalate_to_role, role_label=office.role_label(d.role),
                      escalate_to_role_label=office.role_label(d.escalate_to_role), escalation_chain=list(d.escalation_chain),
                      escalation_chain_labels=[office.role_label(r) for r in d.escalation_chain])


def leave_snapshot(defs_dir: Path = DEFS_DIR) -> LeaveDefinitionSnapshot:
    office, leave = load_office(defs_dir), load_leave(defs_dir)
    return LeaveDefinitionSnapshot(
        office=office_snapshot(office),
        calendar=calendar_snapshot(office),
        supervisor_approval=task_policy(leave.tasks["supervisor_approval"], office),
        letter_numbering=task_policy(leave.tasks["letter_numbering"], office),
        numbering=numbering_format(office, leave.numbering_scope),
    )
