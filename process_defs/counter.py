"""Typed loader for counter.yaml: the walk-in services, queue groups, counters and letters."""

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, model_validator

from contracts import (
    LetterDefinitionSnapshot,
    RequirementItem,
    WalkInDefinitionSnapshot,
    WalkInServiceSnapshot,
)
from process_defs.loader import (
    DEFS_DIR,
    OfficeFile,
    TaskPolicyDef,
    calendar_snapshot,
    load_roles,
    numbering_format,
    office_snapshot,
    task_policy,
)


class _Strict(BaseModel):
    model_config = {"extra": "forbid"}


class ServiceGroupDef(_Strict):
    code: str = Field(pattern=r"^[A-Z]{1,3}$")
    name: str


class CounterDef(_Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9]{1,8}$")
    name: str
    groups: list[str] = Field(min_length=1)


class RequirementDef(_Strict):
    code: str
    name: str
    mandatory: bool = True


class WalkInServiceDef(_Strict):
    code: str = Field(pattern=r"^[a-z0-9_]{2,60}$")
    name: str
    group: str
    one_day: bool
    target_minutes: int | None = None
    sla_working_days: int | None = None
    work_unit: str | None = None
    result_kind: str
    classification: str
    delivery: bool = False
    procedure: str = ""
    requirements: list[RequirementDef] = Field(min_length=1)

    @model_validator(mode="after")
    def _timing(self) -> "WalkInServiceDef":
        if self.one_day:
            if self.target_minutes is None or not 30 <= self.target_minutes <= 120:
                raise ValueError(f"{self.code}: a one-day service needs target_minutes between 30 and 120")
        elif not self.sla_working_days or self.sla_working_days < 1:
            raise ValueError(f"{self.code}: a non-one-day service needs sla_working_days of at least 1")
        elif not self.work_unit:
            raise ValueError(f"{self.code}: a non-one-day service needs the work_unit that verifies in the field")
        codes = [r.code for r in self.requirements]
        if len(codes) != len(set(codes)):
            raise ValueError(f"{self.code}: requirement codes repeat")
        if not any(r.mandatory for r in self.requirements):
            raise ValueError(f"{self.code}: at least one requirement must be mandatory")
        return self

    @property
    def target_label(self) -> str:
        return f"{self.target_minutes} menit" if self.one_day else f"{self.sla_working_days} hari kerja"


class LetterTasksDef(_Strict):
    classify: TaskPolicyDef
    registration: TaskPolicyDef
    disposition_head: TaskPolicyDef
    disposition_admin: TaskPolicyDef
    scan: TaskPolicyDef
    distribute: TaskPolicyDef
    format_check: TaskPolicyDef
    softcopy: TaskPolicyDef


class LettersDef(_Strict):
    tasks: LetterTasksDef
    received_via: dict[str, str]
    categories: dict[str, str]
    classifications: dict[str, str]
    disposition_instructions: list[str]


class WhatsAppDef(_Strict):
    handoff: TaskPolicyDef
    reply_roles: list[str] = Field(min_length=1)


class CounterTasksDef(_Strict):
    completeness_check: TaskPolicyDef
    research: TaskPolicyDef
    field_verification: TaskPolicyDef
    coordination: TaskPolicyDef
    numbering: TaskPolicyDef
    handover: TaskPolicyDef
    archive: TaskPolicyDef
    delivery: TaskPolicyDef


class CounterFile(_Strict):
    service_groups: list[ServiceGroupDef]
    counters: list[CounterDef]
    work_units: dict[str, str]
    tasks: CounterTasksDef
    overrun_notify_role: str
    services: list[WalkInServiceDef]
    letters: LettersDef
    whatsapp: WhatsAppDef

    def service(self, code: str) -> WalkInServiceDef | None:
        return next((s for s in self.services if s.code == code), None)

    def group(self, code: str) -> ServiceGroupDef | None:
        return next((g for g in self.service_groups if g.code == code), None)

    def counter(self, code: str) -> CounterDef | None:
        return next((c for c in self.counters if c.code == code), None)


def _check(counter: CounterFile, roles: dict[str, str]) -> None:
    def unique(kind: str, codes: list[str]) -> None:
        seen = set()
        for code in codes:
            if code in seen:
                raise ValueError(f"counter.yaml: {kind} code {code!r} appears twice")
            seen.add(code)

    unique("service group", [g.code for g in counter.service_groups])
    unique("counter", [c.code for c in counter.counters])
    unique("service", [s.code for s in counter.services])
    groups = {g.code for g in counter.service_groups}
    for c in counter.counters:
        for g in c.groups:
            if g not in groups:
                raise ValueError(f"counter.yaml: counter {c.code} calls group {g!r}, which is not a service group")
    classifications = counter.letters.classifications
    for s in counter.services:
        if s.group not in groups:
            raise ValueError(f"counter.yaml: service {s.code} is in group {s.group!r}, which is not a service group")
        if s.work_unit and s.work_unit not in counter.work_units:
            raise ValueError(f"counter.yaml: service {s.code} names work unit {s.work_unit!r}, which work_units does not list")
        if s.classification not in classifications:
            raise ValueError(f"counter.yaml: service {s.code} has classification {s.classification!r}, which letters.classifications does not list")
    policies = {**counter.tasks.model_dump(), **{f"letters.{k}": v for k, v in counter.letters.tasks.model_dump().items()},
                "whatsapp.handoff": counter.whatsapp.handoff.model_dump()}
    for role in counter.whatsapp.reply_roles:
        if role not in roles:
            raise ValueError(f"counter.yaml: whatsapp.reply_roles names role {role!r}, which roles.yaml does not list")
    for name, task in policies.items():
        for role in (task["role"], task["escalate_to_role"], *task["escalation_chain"]):
            if role and role not in roles:
                raise ValueError(f"counter.yaml: tasks.{name} names role {role!r}, which roles.yaml does not list")
    if counter.overrun_notify_role not in roles:
        raise ValueError(f"counter.yaml: overrun_notify_role {counter.overrun_notify_role!r} is not in roles.yaml")


@lru_cache
def load_counter(defs_dir: Path = DEFS_DIR) -> CounterFile:
    with open(defs_dir / "counter.yaml", encoding="utf-8") as fh:
        counter = CounterFile.model_validate(yaml.safe_load(fh))
    _check(counter, load_roles())
    return counter


def walk_in_snapshot(office: OfficeFile, service_code: str, defs_dir: Path = DEFS_DIR) -> WalkInDefinitionSnapshot:
    counter = load_counter(defs_dir)
    s = counter.service(service_code)
    if s is None:
        raise KeyError(service_code)
    t = counter.tasks
    result_numbering = numbering_format(office, "outgoing_letter")
    result_numbering.fields["classification"] = s.classification
    return WalkInDefinitionSnapshot(
        office=office_snapshot(office),
        calendar=calendar_snapshot(office),
        service=WalkInServiceSnapshot(
            code=s.code, name=s.name, group=s.group, one_day=s.one_day, result_kind=s.result_kind, classification=s.classification,
            requirements=[RequirementItem(code=r.code, name=r.name, mandatory=r.mandatory) for r in s.requirements],
            procedure=s.procedure.strip(), target_minutes=s.target_minutes, sla_working_days=s.sla_working_days,
            work_unit_code=s.work_unit, work_unit_name=counter.work_units.get(s.work_unit) if s.work_unit else None,
            delivery=s.delivery,
        ),
        completeness_check=task_policy(t.completeness_check, office),
        research=task_policy(t.research, office),
        field_verification=task_policy(t.field_verification, office),
        coordination=task_policy(t.coordination, office),
        numbering_task=task_policy(t.numbering, office),
        handover=task_policy(t.handover, office),
        archive=task_policy(t.archive, office),
        delivery=task_policy(t.delivery, office),
        result_numbering=result_numbering,
        receipt_numbering=numbering_format(office, "walkin_receipt"),
        overrun_notify_role=counter.overrun_notify_role,
    )


def letter_snapshot(office: OfficeFile, units: dict[str, str], defs_dir: Path = DEFS_DIR) -> LetterDefinitionSnapshot:
    letters = load_counter(defs_dir).letters
    t = letters.tasks
    return LetterDefinitionSnapshot(
        office=office_snapshot(office),
        calendar=calendar_snapshot(office),
        classify=task_policy(t.classify, office),
        registration=task_policy(t.registration, office),
        disposition_head=task_policy(t.disposition_head, office),
        disposition_admin=task_policy(t.disposition_admin, office),
        scan=task_policy(t.scan, office),
        distribute=task_policy(t.distribute, office),
        format_check=task_policy(t.format_check, office),
        softcopy=task_policy(t.softcopy, office),
        agenda_numbering=numbering_format(office, "incoming_letter"),
        outgoing_numbering=numbering_format(office, "outgoing_letter"),
        classifications=dict(letters.classifications),
        categories=dict(letters.categories),
        units=dict(units),
        disposition_instructions=list(letters.disposition_instructions),
    )
