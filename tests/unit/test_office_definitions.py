"""An office as runs and pages use it: its database row (what its administrators edit) over its office.yaml."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from process_defs import loader
from process_defs.loader import calendar_snapshot, load_office, numbering_format, office_defs_dir, office_file, office_seed

LEGACY = """
office: {name: Kantor Lama, short_name: KL, address: Jl. Lama 1, city: Kota Lama, timezone: Asia/Makassar, head_title: Kepala}
calendar: {office_hours: {start: "07:30", end: "16:00"}}
roles: {pegawai: Pegawai, kepala_kantor: Kepala Kantor Lama, penomoran: Petugas Penomoran Surat}
numbering:
  leave_letter: {format: "L-{seq}/{year}"}
"""


def _row(code: str, **changes):
    seed = office_seed(load_office(office_defs_dir("kemenag-lamongan")))
    return SimpleNamespace(**{**seed, "code": code, "logo_key": None, **changes})


def test_the_rows_identity_and_calendar_over_the_yaml_of_its_office():
    row = _row("kemenag-lamongan", name="Kantor Kemenag Kab. Lamongan (baru)", calendar={"office_hours": {"start": "07:00", "end": "15:00"},
                                                                                      "extra_holidays": [{"date": "2026-12-24", "name": "Rapat"}]})
    office = office_file(row)
    assert office.office.name == "Kantor Kemenag Kab. Lamongan (baru)" and office.code == "kemenag-lamongan"
    snapshot = calendar_snapshot(office)
    assert (snapshot.office, snapshot.office_start, snapshot.office_end) == ("kemenag-lamongan", "07:00", "15:00")
    assert snapshot.extra_holidays == {"2026-12-24": "Rapat"}
    # Its own registers and role names, from its office.yaml.
    assert numbering_format(office, "walkin_receipt").office == "kemenag-lamongan"
    assert office.role_label("kepala_kantor") == "Kepala Kantor"


def test_a_process_without_its_registers_is_not_offered():
    # The court's office.yaml has no walk-in registers: a row that says it offers walk-ins does not.
    row = _row("ms-lhokseumawe", processes=["leave", "walk_in"])
    assert office_file(row).processes == ["leave"]


def test_an_upgraded_installation_keeps_its_old_office_yaml_until_it_moves_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    legacy = tmp_path / "office.yaml"
    legacy.write_text(LEGACY, encoding="utf-8")
    monkeypatch.setattr(loader, "LEGACY_OFFICE_FILE", legacy)
    office = office_file(_row("kantor-lama", processes=["leave", "complaint"]))
    assert numbering_format(office, "leave_letter").format == "L-{seq}/{year}"
    assert office.role_label("kepala_kantor") == "Kepala Kantor Lama" and office.role_label("pegawai") == "Pegawai"
    # Its old file has no complaint register: complaints wait until the file has one.
    assert office.processes == ["leave"]
