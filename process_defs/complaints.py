"""Typed loader for complaints.yaml (seed 002 ALAMI, seed 003 Pengaduan, seed 000 §5 Kritis), and the
snapshot a complaint workflow takes at start. Invalid YAML fails loudly at start-up."""

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from contracts import ComplaintDefinitionSnapshot, ComplaintOfficer
from process_defs.loader import (
    DEFS_DIR,
    OfficeFile,
    TaskPolicyDef,
    _read,
    calendar_snapshot,
    load_roles,
    numbering_format,
    office_snapshot,
    task_policy,
)

NUMBERING_SCOPE = "complaint_letter"
TASKS = ("verification", "disposition", "follow_up", "approval")


class _Strict(BaseModel):
    model_config = {"extra": "forbid"}


class PhotoRules(_Strict):
    max_count: int = Field(ge=0, le=20)
    max_mb: int = Field(ge=1, le=50)
    types: list[str]

    @field_validator("types")
    @classmethod
    def _images_only(cls, value: list[str]) -> list[str]:
        if not value or any(t not in ("jpg", "png", "gif") for t in value):
            raise ValueError("photos.types may only list jpg, png and gif")
        return value


class ComplaintsFile(_Strict):
    public_categories: dict[str, str]
    applicant_categories: dict[str, str]
    criticism_kinds: dict[str, str]
    photos: PhotoRules
    tasks: dict[str, TaskPolicyDef]

    def category_label(self, code: str) -> str:
        return {**self.public_categories, **self.applicant_categories, **self.criticism_kinds}.get(code, code)


@lru_cache
def load_complaints(defs_dir: Path = DEFS_DIR) -> ComplaintsFile:
    complaints = ComplaintsFile.model_validate(_read("complaints.yaml", defs_dir))
    roles = load_roles()
    for needed in TASKS:
        if needed not in complaints.tasks:
            raise ValueError(f"complaints.yaml: tasks.{needed} is missing")
    for name, task in complaints.tasks.items():
        for role in task.roles:
            if role not in roles:
                raise ValueError(f"complaints.yaml: tasks.{name} names role {role!r}, which roles.yaml does not list")
    return complaints


def complaint_snapshot(office: OfficeFile, *, units: dict[str, str], officers: dict[str, ComplaintOfficer],
                       defs_dir: Path = DEFS_DIR) -> ComplaintDefinitionSnapshot:
    """What a complaint keeps for its whole life: the stages' policies, the letter numbering, and the
    units and officers a disposition can name (the workflow cannot read the directory)."""
    complaints = load_complaints(defs_dir)
    return ComplaintDefinitionSnapshot(
        office=office_snapshot(office), calendar=calendar_snapshot(office),
        verification=task_policy(complaints.tasks["verification"], office),
        disposition=task_policy(complaints.tasks["disposition"], office),
        follow_up=task_policy(complaints.tasks["follow_up"], office),
        approval=task_policy(complaints.tasks["approval"], office),
        letter_numbering=numbering_format(office, NUMBERING_SCOPE), units=dict(units), officers=dict(officers),
    )
