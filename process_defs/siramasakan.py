"""Typed loader for siramasakan.yaml: the population-data changes a court case can cause, the documents the
citizen collects afterwards, the two tasks, and the hand-off reminder and SLA periods."""

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from contracts import ChangeKindSnapshot, SiramasakanDefinitionSnapshot
from process_defs.loader import DEFS_DIR, OfficeFile, TaskPolicyDef, calendar_snapshot, load_roles, office_snapshot, task_policy


class _Strict(BaseModel):
    model_config = {"extra": "forbid"}


class ChangeKindDef(_Strict):
    label: str = Field(min_length=3)
    documents: list[str] = Field(min_length=1)


class SiramasakanTasksDef(_Strict):
    case_completion: TaskPolicyDef
    civil_registry: TaskPolicyDef


class SiramasakanFile(_Strict):
    change_kinds: dict[str, ChangeKindDef] = Field(min_length=1)
    collection_office: str = Field(min_length=5)
    tasks: SiramasakanTasksDef
    handoff_reminder_every_working_days: int = Field(ge=1)
    handoff_sla_working_days: int = Field(ge=1)

    def kind(self, code: str) -> ChangeKindDef | None:
        return self.change_kinds.get(code)


@lru_cache
def load_siramasakan(defs_dir: Path = DEFS_DIR) -> SiramasakanFile:
    with open(defs_dir / "siramasakan.yaml", encoding="utf-8") as fh:
        sira = SiramasakanFile.model_validate(yaml.safe_load(fh))
    roles = load_roles()
    for code, kind in sira.change_kinds.items():
        if not code.replace("_", "").isalpha() or code != code.lower():
            raise ValueError(f"siramasakan.yaml: change kind {code!r} must be lower-case letters and underscores")
        if len(set(kind.documents)) != len(kind.documents):
            raise ValueError(f"siramasakan.yaml: change kind {code!r} lists a document twice")
    for name in ("case_completion", "civil_registry"):
        for role in getattr(sira.tasks, name).roles:
            if role not in roles:
                raise ValueError(f"siramasakan.yaml: tasks.{name} names role {role!r}, which roles.yaml does not list")
    return sira


def siramasakan_snapshot(office: OfficeFile, registry_url: str = "", defs_dir: Path = DEFS_DIR) -> SiramasakanDefinitionSnapshot:
    sira = load_siramasakan(defs_dir)
    return SiramasakanDefinitionSnapshot(
        office=office_snapshot(office), calendar=calendar_snapshot(office),
        change_kinds={code: ChangeKindSnapshot(label=k.label, documents=list(k.documents)) for code, k in sira.change_kinds.items()},
        collection_office=sira.collection_office,
        case_completion=task_policy(sira.tasks.case_completion, office), civil_registry=task_policy(sira.tasks.civil_registry, office),
        handoff_reminder_every_working_days=sira.handoff_reminder_every_working_days,
        handoff_sla_working_days=sira.handoff_sla_working_days, registry_url=registry_url.rstrip("/"),
    )
