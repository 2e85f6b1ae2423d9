"""Typed loader for the YAML process definitions. Invalid YAML fails loudly at start-up."""

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

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
OFFICES_DIR = DEFS_DIR / "offices"
# The single office.yaml of releases before offices: an upgraded installation that kept it there goes on with its roles'
# names and registers until it moves the file to offices/<code>/ (README, Upgrading).
LEGACY_OFFICE_FILE = DEFS_DIR / "office.yaml"


class _Strict(BaseModel):
    model_config = {"extra": "forbid"}


class OfficeDef(_Strict):
    # The directory's name when the file does not say (process_defs/offices/<code>/office.yaml).
    code: str = ""
    name: str
    short_name: str
    address: str
    city: str
    timezone: str
    head_title: str
    phone: str | None = None
    email: str | None = None
    whatsapp_number: str | None = None
    letterhead: list[str] = []
    agency_letterheads: dict[str, list[str]] = {}
    logo_key: str | None = None


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
    # What each extra working day is for ("Pengganti cuti bersama"), as the administrators wrote it: shown, not computed.
    extra_working_day_names: dict[str, str] = {}

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


# The letter registers each process needs of an office that offers it.
NEEDED_SCOPES = {
    "leave": ("leave_letter",),
    "walk_in": ("outgoing_letter", "incoming_letter", "walkin_receipt"),
    "letter": ("outgoing_letter", "incoming_letter"),
    "complaint": ("complaint_letter",),
}
OFFERABLE = ("leave", "permit", "walk_in", "letter", "whatsapp", "siramasakan", "complaint")


class OfficeFile(_Strict):
    office: OfficeDef
    calendar: CalendarDef
    processes: list[str]
    # How this office calls roles of the shared vocabulary (roles.yaml), where it calls them otherwise.
    role_labels: dict[str, str] = {}
    numbering: dict[str, NumberingScopeDef] = {}

    @field_validator("processes")
    @classmethod
    def _known_processes(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(OFFERABLE))
        if unknown:
            raise ValueError(f"unknown processes {unknown}; an office may offer {list(OFFERABLE)}")
        return value

    @property
    def code(self) -> str:
        return self.office.code

    @property
    def roles(self) -> dict[str, str]:
        return {**load_roles(), **self.role_labels}

    def role_label(self, role: str | None) -> str:
        return self.roles.get(role, role) if role else ""

    def offers(self, process: str) -> bool:
        return process in self.processes


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
def load_roles(defs_dir: Path = DEFS_DIR) -> dict[str, str]:
    """Every role an office's staff may hold, with its name (roles.yaml): process definitions name these codes."""
    return dict(_read("roles.yaml", defs_dir)["roles"])


def office_defs_dir(code: str) -> Path:
    """Where an office's own definitions are (process_defs/offices/<code>/)."""
    if not code or "/" in code or code.startswith("."):
        raise ValueError(f"not an office code: {code!r}")
    return OFFICES_DIR / code


def office_codes() -> list[str]:
    """The offices process_defs/offices/ defines, in name order."""
    return sorted(p.name for p in OFFICES_DIR.iterdir() if (p / "office.yaml").exists())


@lru_cache
def load_office(defs_dir: Path) -> OfficeFile:
    """An office's office.yaml, checked: its roles are in the shared vocabulary, and it has the letter register of
    every process it offers."""
    data = _read("office.yaml", defs_dir)
    if isinstance(data, dict) and isinstance(data.get("office"), dict):
        data["office"].setdefault("code", defs_dir.name)
    office = OfficeFile.model_validate(data)
    unknown = sorted(set(office.role_labels) - set(load_roles()))
    if unknown:
        raise ValueError(f"{defs_dir.name}/office.yaml: role_labels names roles {unknown}, which roles.yaml does not list")
    for process in office.processes:
        for scope in NEEDED_SCOPES.get(process, ()):
            if scope not in office.numbering:
                raise ValueError(f"{defs_dir.name}/office.yaml: numbering scope {scope!r} is needed by {process!r}")
    return office


def load_legacy_office(path: Path = LEGACY_OFFICE_FILE) -> OfficeFile:
    """An office.yaml of a release before offices (its `roles` listed every role; it offered every process)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    shared = load_roles()
    named = data.pop("roles", None) or {}
    data["role_labels"] = {role: label for role, label in named.items() if role in shared and label != shared[role]}
    data.setdefault("processes", list(OFFERABLE))
    return OfficeFile.model_validate(data)


def _office_definitions(code: str) -> OfficeFile | None:
    if (OFFICES_DIR / code / "office.yaml").exists():
        return load_office(office_defs_dir(code))
    if LEGACY_OFFICE_FILE.exists():
        return load_legacy_office(LEGACY_OFFICE_FILE)
    return None


class OfficeRecord(Protocol):
    """An office as the database holds it (store/models.py Office): what its administrators edit."""

    code: str
    name: str
    short_name: str
    address: str
    city: str
    timezone: str
    head_title: str
    phone: str | None
    email: str | None
    whatsapp_number: str | None
    letterhead: list
    agency_letterheads: dict
    logo_key: str | None
    calendar: dict
    processes: list


def office_file(record: OfficeRecord) -> OfficeFile:
    """The office as runs and pages use it: its identity, hours, calendar overrides and processes as its
    administrators set them, over the roles and letter registers of its office.yaml."""
    base = _office_definitions(record.code)
    identity = OfficeDef(code=record.code, name=record.name, short_name=record.short_name, address=record.address, city=record.city,
                         timezone=record.timezone, head_title=record.head_title, phone=record.phone, email=record.email,
                         whatsapp_number=record.whatsapp_number, letterhead=list(record.letterhead or []),
                         agency_letterheads=dict(record.agency_letterheads or {}), logo_key=record.logo_key)
    shipped = base.calendar.model_dump() if base else {"office_hours": {"start": "08:00", "end": "16:30"}}
    calendar = CalendarDef.model_validate({**shipped, **(record.calendar or {})})
    numbering = dict(base.numbering) if base else {}
    # A process needs its letter registers: without them (an office.yaml that lacks them) it is not offered, rather
    # than failing when a case starts.
    processes = [p for p in record.processes or [] if all(scope in numbering for scope in NEEDED_SCOPES.get(p, ()))]
    return OfficeFile.model_construct(office=identity, calendar=calendar, processes=processes,
                                      role_labels=dict(base.role_labels) if base else {}, numbering=numbering)


def office_seed(office: OfficeFile) -> dict[str, Any]:
    """The columns of a new office row (store/models.py Office) made from its office.yaml."""
    o, c = office.office, office.calendar
    return {
        "code": o.code, "name": o.name, "short_name": o.short_name, "address": o.address, "city": o.city, "timezone": o.timezone,
        "head_title": o.head_title, "phone": o.phone, "email": o.email, "whatsapp_number": o.whatsapp_number,
        "letterhead": list(o.letterhead), "agency_letterheads": {k: list(v) for k, v in o.agency_letterheads.items()},
        "processes": list(office.processes),
        "calendar": {"working_weekdays": list(c.working_weekdays), "office_hours": dict(c.office_hours),
                     "extra_holidays": [{"date": h.date.isoformat(), "name": h.name} for h in c.extra_holidays],
                     "extra_working_days": [d.isoformat() for d in c.extra_working_days]},
    }


@lru_cache
def load_leave(defs_dir: Path = DEFS_DIR) -> LeaveFile:
    leave = LeaveFile.model_validate(_read("leave.yaml", defs_dir))
    roles = load_roles()
    for needed in ("supervisor_approval", "letter_numbering"):
        if needed not in leave.tasks:
            raise ValueError(f"leave.yaml: tasks.{needed} is missing")
    for name, task in leave.tasks.items():
        for role in task.roles:
            if role not in roles:
                raise ValueError(f"leave.yaml: tasks.{name} names role {role!r}, which roles.yaml does not list")
    return leave


def office_snapshot(office: OfficeFile) -> OfficeSnapshot:
    o = office.office
    return OfficeSnapshot(name=o.name, short_name=o.short_name, city=o.city, address=o.address, timezone=o.timezone, head_title=o.head_title,
                          code=o.code, letterhead=list(o.letterhead), agency_letterheads={k: list(v) for k, v in o.agency_letterheads.items()},
                          logo_key=o.logo_key, phone=o.phone, email=o.email)


def calendar_snapshot(office: OfficeFile) -> CalendarSnapshot:
    c = office.calendar
    return CalendarSnapshot(
        office=office.office.code,
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
    return NumberingFormat(scope=scope, format=scope_def.format, fields=fields, office=office.office.code)


def task_policy(d: TaskPolicyDef, office: OfficeFile) -> TaskPolicy:
    return TaskPolicy(role=d.role, due_working_days=d.due_working_days, escalate_after_working_days=d.escalate_after_working_days,
                      escalate_to_role=d.escalate_to_role, role_label=office.role_label(d.role),
                      escalate_to_role_label=office.role_label(d.escalate_to_role), escalation_chain=list(d.escalation_chain),
                      escalation_chain_labels=[office.role_label(r) for r in d.escalation_chain])


def leave_snapshot(office: OfficeFile, defs_dir: Path = DEFS_DIR) -> LeaveDefinitionSnapshot:
    leave = load_leave(defs_dir)
    return LeaveDefinitionSnapshot(
        office=office_snapshot(office),
        calendar=calendar_snapshot(office),
        supervisor_approval=task_policy(leave.tasks["supervisor_approval"], office),
        letter_numbering=task_policy(leave.tasks["letter_numbering"], office),
        numbering=numbering_format(office, leave.numbering_scope),
    )
