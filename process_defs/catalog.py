"""The service catalog (process_defs/catalog.yaml): agencies → permit types → request kinds with their
requirements, SLA, roles, numbering and the step-5 "Detail" form. Typed and checked at load, so a bad
catalog fails loudly at start-up instead of confusing an applicant later.

Lookups used by the permit API, the Persyaratan pages and the wizard:

- `load_catalog()` (cached), `permit_type(code)`, `agency_of(code)`, `request_kind_label(kind)`
- `requirements_for(permit_type, request_kind)`: the documents one application must (or may) attach
- `validate_details(permit_type, details)`: coerces the Detail form's values in place, returns
  {field code: Bahasa message}
- `permit_definition(code, request_kind)`: the snapshot a permit workflow starts with
"""

from __future__ import annotations

import math
import re
import string
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from contracts import NumberingFormat, PermitDefinitionSnapshot, TaskPolicy
from office.numbering import ROMAN_MONTHS
from process_defs.loader import DEFS_DIR, OfficeFile, calendar_snapshot, load_roles, office_snapshot

CATALOG_FILE = "catalog.yaml"

# File types a requirement may ask for: exactly what File Saya accepts (checked by content).
FILE_TYPES = ("pdf", "jpg", "png", "gif", "dwg")
FILE_TYPE_LABELS = {"pdf": "PDF", "jpg": "JPG", "png": "PNG", "gif": "GIF", "dwg": "DWG"}
MAX_UPLOAD_MB = 50
REQUEST_KINDS = ("baru", "perpanjangan", "perubahan")
FIELD_TYPES = ("text", "textarea", "number", "date", "select")
# Numbering placeholders the numbering service fills itself (activities/numbering.py).
NUMBERING_BUILTINS = {"seq": 1, "month": 1, "month_roman": "I", "year": 2026}

# Snapshot policy (the same for every permit type; the catalog names who verifies and who signs).
ESCALATE_TO_ROLE = "kepala_kantor"
VERIFICATION_ESCALATE_AFTER = 2
SIGNING_DUE = 2
SIGNING_ESCALATE_AFTER = 1
DOWNLOAD_VALID_DAYS = 7

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,38}$")


class CatalogError(ValueError):
    """The catalog YAML is invalid; the message names the file and the offending entry."""


class _Strict(BaseModel):
    model_config = {"extra": "forbid", "frozen": True}


class _Coded(_Strict):
    code: str

    @field_validator("code")
    @classmethod
    def _valid_code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError(f"code {value!r} must be lower-case letters, digits and '_' (at most 39), starting with a letter")
        return value


def _duplicates(values: list[str]) -> list[str]:
    seen, dup = set(), []
    for v in values:
        if v in seen and v not in dup:
            dup.append(v)
        seen.add(v)
    return dup


class RequestKindDef(_Strict):
    label: str = Field(min_length=1)
    description: str = ""


class RequirementDef(_Coded):
    name: str = Field(min_length=1, max_length=300)
    description: str | None = None
    mandatory: bool
    file_types: list[str] = Field(min_length=1)
    max_mb: int = Field(ge=1, le=MAX_UPLOAD_MB)
    # The request kinds this document applies to; None: every kind the permit offers.
    request_kinds: list[str] | None = None

    @field_validator("file_types")
    @classmethod
    def _file_types(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in FILE_TYPES]
        if unknown:
            raise ValueError(f"unknown file type(s) {unknown}; allowed: {list(FILE_TYPES)}")
        if _duplicates(value):
            raise ValueError(f"file type listed twice: {_duplicates(value)}")
        return value

    @field_validator("request_kinds")
    @classmethod
    def _kinds(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("request_kinds, when given, must list at least one kind")
        return value

    def applies_to(self, request_kind: str) -> bool:
        return self.request_kinds is None or request_kind in self.request_kinds

    @property
    def file_type_labels(self) -> list[str]:
        return [FILE_TYPE_LABELS[t] for t in self.file_types]


class DetailFieldDef(_Coded):
    label: str = Field(min_length=1, max_length=200)
    type: Literal["text", "textarea", "number", "date", "select"]
    required: bool = False
    hint: str | None = None
    options: list[str] | None = None
    min: float | None = None
    max: float | None = None
    integer: bool = False
    unit: str | None = None
    max_length: int | None = Field(default=None, ge=1, le=5000)
    # For a date: the code of another date field this one may not precede (e.g. end after start).
    not_before: str | None = None
    request_kinds: list[str] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> DetailFieldDef:
        if self.type == "select":
            if not self.options:
                raise ValueError(f"select field {self.code!r} needs options")
            if _duplicates(self.options):
                raise ValueError(f"select field {self.code!r} lists an option twice: {_duplicates(self.options)}")
        elif self.options is not None:
            raise ValueError(f"field {self.code!r}: options are only for type select")
        if self.type != "number" and (self.min is not None or self.max is not None or self.integer):
            raise ValueError(f"field {self.code!r}: min/max/integer are only for type number")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"field {self.code!r}: min is greater than max")
        if self.type not in ("text", "textarea") and self.max_length is not None:
            raise ValueError(f"field {self.code!r}: max_length is only for text and textarea")
        if self.not_before is not None and self.type != "date":
            raise ValueError(f"field {self.code!r}: not_before is only for type date")
        return self

    @property
    def effective_max_length(self) -> int:
        return self.max_length or (200 if self.type == "text" else 2000)


class NumberingDef(_Strict):
    format: str = Field(min_length=1, max_length=200)
    fields: dict[str, str] = {}

    @model_validator(mode="after")
    def _formats(self) -> NumberingDef:
        placeholders = {name for _, name, _, _ in string.Formatter().parse(self.format) if name is not None}
        if "seq" not in placeholders or "year" not in placeholders:
            raise ValueError(f"numbering format {self.format!r} needs {{seq}} and {{year}}")
        clash = set(self.fields) & set(NUMBERING_BUILTINS)
        if clash:
            raise ValueError(f"numbering fields may not redefine {sorted(clash)}")
        try:
            self.format.format(**NUMBERING_BUILTINS, **self.fields)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"numbering format {self.format!r} cannot be filled from {{seq}} {{month}} {{month_roman}} {{year}} "
                             f"and its fields {sorted(self.fields)}: {exc!r}") from None
        return self

    def example(self, *, seq: int = 1, on: date | None = None) -> str:
        on = on or date.today()
        return self.format.format(seq=seq, month=on.month, month_roman=ROMAN_MONTHS[on.month - 1], year=on.year, **self.fields)


class PermitTypeDef(_Coded):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1)
    sla_working_days: int = Field(ge=1, le=365)
    verifier_role: str
    signer_role: str
    revision_deadline_working_days: int = Field(default=5, ge=1, le=60)
    validity_years: int | None = Field(default=None, ge=1, le=100)
    numbering: NumberingDef
    request_kinds: list[str] = Field(min_length=1)
    requirements: list[RequirementDef] = Field(min_length=1)
    details_fields: list[DetailFieldDef] = []

    @model_validator(mode="after")
    def _consistent(self) -> PermitTypeDef:
        where = f"permit type {self.code!r}"
        unknown = [k for k in self.request_kinds if k not in REQUEST_KINDS]
        if unknown:
            raise ValueError(f"{where}: unknown request kind(s) {unknown}; allowed: {list(REQUEST_KINDS)}")
        if _duplicates(self.request_kinds):
            raise ValueError(f"{where}: request kind listed twice: {_duplicates(self.request_kinds)}")
        if _duplicates([r.code for r in self.requirements]):
            raise ValueError(f"{where}: duplicate requirement code(s) {_duplicates([r.code for r in self.requirements])}")
        for r in self.requirements:
            if r.request_kinds and set(r.request_kinds) - set(self.request_kinds):
                raise ValueError(f"{where}: requirement {r.code!r} names request kind(s) "
                                 f"{sorted(set(r.request_kinds) - set(self.request_kinds))} the permit does not offer")
        for kind in self.request_kinds:
            if not any(r.applies_to(kind) and r.mandatory for r in self.requirements):
                raise ValueError(f"{where}: request kind {kind!r} has no mandatory requirement")
        codes = [f.code for f in self.details_fields]
        if _duplicates(codes):
            raise ValueError(f"{where}: duplicate details field code(s) {_duplicates(codes)}")
        for f in self.details_fields:
            if f.request_kinds and set(f.request_kinds) - set(self.request_kinds):
                raise ValueError(f"{where}: details field {f.code!r} names a request kind the permit does not offer")
            if f.not_before is not None:
                other = next((o for o in self.details_fields if o.code == f.not_before), None)
                if other is None or other.type != "date":
                    raise ValueError(f"{where}: details field {f.code!r} is not_before {f.not_before!r}, which is not a date field")
        return self

    def requirements_for(self, request_kind: str) -> list[RequirementDef]:
        return [r for r in self.requirements if r.applies_to(request_kind)]

    def details_fields_for(self, request_kind: str | None = None) -> list[DetailFieldDef]:
        return [f for f in self.details_fields if request_kind is None or f.request_kinds is None or request_kind in f.request_kinds]


class AgencyDef(_Coded):
    name: str = Field(min_length=1, max_length=200)
    short_name: str = Field(min_length=1, max_length=40)
    permit_types: list[PermitTypeDef] = Field(min_length=1)


class CatalogFile(_Strict):
    request_kinds: dict[str, RequestKindDef]
    # Shared requirement definitions, referenced from permit types with YAML aliases; validated too.
    common_requirements: dict[str, RequirementDef] = {}
    agencies: list[AgencyDef] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CatalogFile:
        unknown = set(self.request_kinds) - set(REQUEST_KINDS)
        missing = set(REQUEST_KINDS) - set(self.request_kinds)
        if unknown or missing:
            raise ValueError(f"request_kinds must define exactly {list(REQUEST_KINDS)} (unknown {sorted(unknown)}, missing {sorted(missing)})")
        if _duplicates([a.code for a in self.agencies]):
            raise ValueError(f"duplicate agency code(s) {_duplicates([a.code for a in self.agencies])}")
        codes = [p.code for a in self.agencies for p in a.permit_types]
        if _duplicates(codes):
            raise ValueError(f"duplicate permit type code(s) {_duplicates(codes)}")
        return self

    # --- lookups -------------------------------------------------------------------------------

    def permit_types(self) -> list[PermitTypeDef]:
        return [p for a in self.agencies for p in a.permit_types]

    def permit_type(self, code: str) -> PermitTypeDef | None:
        return next((p for p in self.permit_types() if p.code == code), None)

    def agency_of(self, code: str) -> AgencyDef | None:
        return next((a for a in self.agencies if any(p.code == code for p in a.permit_types)), None)

    def issuing_agency(self, code: str) -> AgencyDef:
        """The agency of a permit type known to be in the catalog (the loader lists every type under its agency)."""
        agency = self.agency_of(code)
        if agency is None:
            raise LookupError(f"permit type {code!r} belongs to no agency")
        return agency

    def agency(self, code: str) -> AgencyDef | None:
        return next((a for a in self.agencies if a.code == code), None)

    def request_kind_label(self, kind: str) -> str:
        definition = self.request_kinds.get(kind)
        return definition.label if definition else kind


def parse_catalog(data: Any, roles: dict[str, str] | None = None, *, source: str = CATALOG_FILE) -> CatalogFile:
    """Validates catalog data against the roles offices have (roles.yaml); raises CatalogError naming what is wrong."""
    roles = load_roles() if roles is None else roles
    if not isinstance(data, dict):
        raise CatalogError(f"{source}: expected a mapping with request_kinds and agencies")
    try:
        catalog = CatalogFile.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(f"{source} is invalid:\n{exc}") from None
    for permit in catalog.permit_types():
        for key in ("verifier_role", "signer_role"):
            role = getattr(permit, key)
            if role not in roles:
                raise CatalogError(f"{source}: permit type {permit.code!r} {key} {role!r} is not a role listed in roles.yaml")
    if ESCALATE_TO_ROLE not in roles:
        raise CatalogError(f"{source}: permits escalate to {ESCALATE_TO_ROLE!r}, which roles.yaml does not list")
    return catalog


@lru_cache
def load_catalog(defs_dir: Path = DEFS_DIR) -> CatalogFile:
    path = Path(defs_dir) / CATALOG_FILE
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML: {exc}") from None
    return parse_catalog(data, source=str(path))


# --- module-level lookups on the shipped catalog ------------------------------------------------


def _resolve(permit: str | PermitTypeDef) -> PermitTypeDef:
    if isinstance(permit, PermitTypeDef):
        return permit
    found = load_catalog().permit_type(permit)
    if found is None:
        raise KeyError(f"unknown permit type {permit!r}")
    return found


def permit_type(code: str) -> PermitTypeDef | None:
    """The permit type with this code, or None."""
    return load_catalog().permit_type(code)


def agency_of(code: str) -> AgencyDef | None:
    """The agency that issues the permit type with this code, or None."""
    return load_catalog().agency_of(code)


def issuing_agency(code: str) -> AgencyDef:
    return load_catalog().issuing_agency(code)


def request_kind_label(kind: str) -> str:
    return load_catalog().request_kind_label(kind)


def requirements_for(permit: str | PermitTypeDef, request_kind: str) -> list[RequirementDef]:
    """The documents an application of this kind attaches (mandatory and optional), in catalog order.

    Raises KeyError for an unknown permit type and ValueError for a kind the permit does not offer."""
    definition = _resolve(permit)
    if request_kind not in definition.request_kinds:
        raise ValueError(f"request kind {request_kind!r} is not offered for {definition.code!r}")
    return definition.requirements_for(request_kind)


# --- the Detail form ------------------------------------------------------------------------------


def _fmt_number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,}".replace(",", "_").replace(".", ",").replace("_", ".")


def _parse_number(raw: Any, integer: bool) -> float | int | None:
    """A number as typed: 12, "12", "12,5" (Indonesian decimal comma), "1.250.000" (thousand dots)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return raw if math.isfinite(raw) else None
    text = str(raw).strip().replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", text):
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"[+-]?\d+,\d+", text):
        text = text.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        return None
    number = float(text)
    if not math.isfinite(number):
        return None
    if integer:
        return int(number) if number.is_integer() else None
    return int(number) if number.is_integer() and "." not in text else number


def _unit(field: DetailFieldDef) -> str:
    if not field.unit:
        return ""
    return f" {field.unit}" if field.unit not in ("rupiah",) else ""


def bound_text(field: DetailFieldDef, value: float) -> str:
    return f"Rp{_fmt_number(value)}" if field.unit == "rupiah" else f"{_fmt_number(value)}{_unit(field)}"


def clean_details(permit: str | PermitTypeDef, details: dict | None, request_kind: str | None = None) -> tuple[dict, dict[str, str]]:
    """The Detail form's values, typed (numbers as int/float, dates as YYYY-MM-DD, text stripped), and
    the errors {field code: message in Bahasa Indonesia}. Fields left empty and not required are dropped."""
    definition = _resolve(permit)
    details = details if isinstance(details, dict) else {}
    fields = definition.details_fields_for(request_kind)
    known = {f.code for f in fields}
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for code in details:
        if code not in known:
            errors[str(code)] = f"Isian '{code}' tidak dikenal untuk {definition.name}."
    for f in fields:
        raw = details.get(f.code)
        empty = raw is None or (isinstance(raw, str) and not raw.strip())
        if empty:
            if f.required:
                errors[f.code] = f"{f.label} wajib diisi." if f.type != "select" else f"Pilih {f.label[0].lower() + f.label[1:]}."
            continue
        if f.type in ("text", "textarea"):
            if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
                errors[f.code] = f"{f.label} harus berupa teks."
                continue
            text = str(raw).strip()
            if f.type == "text":
                text = " ".join(text.split())
            if len(text) > f.effective_max_length:
                errors[f.code] = f"{f.label} terlalu panjang: paling banyak {f.effective_max_length} karakter."
                continue
            cleaned[f.code] = text
        elif f.type == "select":
            choice = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else None
            if choice not in (f.options or []):
                errors[f.code] = f"{f.label} tidak ada dalam pilihan. Pilih salah satu: {', '.join(f.options or [])}."
                continue
            cleaned[f.code] = choice
        elif f.type == "number":
            number = _parse_number(raw, f.integer)
            if number is None:
                errors[f.code] = f"{f.label} harus bilangan bulat." if f.integer else f"{f.label} harus berupa angka."
                continue
            if f.min is not None and number < f.min:
                errors[f.code] = f"{f.label} paling sedikit {bound_text(f, f.min)}."
                continue
            if f.max is not None and number > f.max:
                errors[f.code] = f"{f.label} paling banyak {bound_text(f, f.max)}."
                continue
            cleaned[f.code] = number
        elif f.type == "date":
            try:
                day = raw if isinstance(raw, date) else date.fromisoformat(str(raw).strip()[:10])
                if not isinstance(raw, date) and len(str(raw).strip()) != 10:
                    raise ValueError
            except ValueError:
                errors[f.code] = f"{f.label} harus tanggal yang valid dengan format TTTT-BB-HH."
                continue
            cleaned[f.code] = day.isoformat()
    for f in fields:
        if f.not_before and f.code in cleaned and f.not_before in cleaned and cleaned[f.code] < cleaned[f.not_before]:
            other = next(o for o in fields if o.code == f.not_before)
            errors[f.code] = f"{f.label} tidak boleh sebelum {other.label[0].lower() + other.label[1:]}."
            cleaned.pop(f.code)
    return cleaned, errors


def validate_details(permit: str | PermitTypeDef, details: dict, request_kind: str | None = None) -> dict[str, str]:
    """Checks the Detail form of a permit and coerces its values *in place*: valid values become typed
    (int/float, YYYY-MM-DD, stripped text), empty optional fields are removed, and a refused value is
    left as typed so a form can show it again. Returns {field code: message}; empty when all is well."""
    cleaned, errors = clean_details(permit, details, request_kind)
    if isinstance(details, dict):
        for code in list(details):
            if code in cleaned:
                details[code] = cleaned[code]
            elif code not in errors:
                del details[code]
    return errors


# --- the snapshot a permit workflow starts with ---------------------------------------------------


def permit_definition(office: OfficeFile, permit_type_code: str, request_kind: str, defs_dir: Path = DEFS_DIR) -> PermitDefinitionSnapshot:
    """Everything the workflow needs from the catalog and the office, frozen at start."""
    catalog = load_catalog(defs_dir)
    permit = catalog.permit_type(permit_type_code)
    if permit is None:
        raise KeyError(f"unknown permit type {permit_type_code!r}")
    if request_kind not in permit.request_kinds:
        raise ValueError(f"request kind {request_kind!r} is not offered for {permit.code!r}")
    agency = catalog.issuing_agency(permit.code)
    return PermitDefinitionSnapshot(
        office=office_snapshot(office),
        calendar=calendar_snapshot(office),
        agency_code=agency.code,
        agency_name=agency.name,
        permit_type_code=permit.code,
        permit_type_name=permit.name,
        request_kind=request_kind,
        request_kind_label=catalog.request_kind_label(request_kind),
        sla_working_days=permit.sla_working_days,
        verification=TaskPolicy(role=permit.verifier_role, due_working_days=permit.sla_working_days,
                                escalate_after_working_days=VERIFICATION_ESCALATE_AFTER, escalate_to_role=ESCALATE_TO_ROLE,
                                role_label=office.role_label(permit.verifier_role), escalate_to_role_label=office.role_label(ESCALATE_TO_ROLE)),
        signing=TaskPolicy(role=permit.signer_role, due_working_days=SIGNING_DUE, escalate_after_working_days=SIGNING_ESCALATE_AFTER,
                           escalate_to_role=ESCALATE_TO_ROLE, role_label=office.role_label(permit.signer_role),
                           escalate_to_role_label=office.role_label(ESCALATE_TO_ROLE)),
        revision_deadline_working_days=permit.revision_deadline_working_days,
        numbering=NumberingFormat(scope=f"permit:{permit.code}", format=permit.numbering.format, fields=dict(permit.numbering.fields),
                                  office=office.code),
        download_valid_days=DOWNLOAD_VALID_DAYS,
        validity_years=permit.validity_years,
    )
