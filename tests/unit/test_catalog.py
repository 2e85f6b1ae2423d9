"""The service catalog: the shipped YAML loads and is realistic, the loader refuses bad catalogs loudly,
the Detail form is validated and coerced, the workflow snapshot is complete, and the public API and
Persyaratan pages show it."""

import copy
from datetime import UTC, datetime

import pytest
import yaml
from temporalio.contrib.pydantic import pydantic_data_converter

from contracts import PermitDefinitionSnapshot
from office.numbering import format_number
from process_defs import catalog
from process_defs.catalog import FILE_TYPES, CatalogError, load_catalog, permit_definition, requirements_for, validate_details
from process_defs.loader import DEFS_DIR, load_office, load_roles, office_defs_dir

# The office whose catalog this is (the permit office of the demo).
PERMIT_OFFICE = load_office(office_defs_dir("dpmptsp"))


def shipped() -> dict:
    return yaml.safe_load((DEFS_DIR / "catalog.yaml").read_text(encoding="utf-8"))


# --- the shipped catalog -------------------------------------------------------------------------


def test_shipped_catalog_is_realistic():
    cat = load_catalog()
    assert len(cat.agencies) >= 3
    assert len(cat.permit_types()) >= 8
    names = {a.name for a in cat.agencies}
    assert {"Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", "Dinas Pekerjaan Umum dan Penataan Ruang",
            "Dinas Kesehatan"} <= names
    office_roles = set(load_roles())
    for permit in cat.permit_types():
        assert permit.verifier_role == "verifikator" and permit.signer_role == "penandatangan"
        assert {permit.verifier_role, permit.signer_role} <= office_roles
        assert set(permit.request_kinds) <= {"baru", "perpanjangan", "perubahan"}
        assert "{seq}" in permit.numbering.format and "{year}" in permit.numbering.format
        assert permit.revision_deadline_working_days >= 1 and permit.sla_working_days >= 1
        for kind in permit.request_kinds:
            docs = requirements_for(permit, kind)
            assert any(r.mandatory for r in docs), (permit.code, kind)
            assert all(set(r.file_types) <= set(FILE_TYPES) and 1 <= r.max_mb <= 50 for r in docs)
        assert permit.details_fields, permit.code
        # Everyone asks for an identity document (KTP) or the institution's cover letter.
        assert {"ktp", "surat_pengantar"} & {r.code for r in permit.requirements}

    pbg = catalog.permit_type("pbg")
    assert catalog.agency_of("pbg").code == "dpupr"
    assert "dwg" in next(r for r in pbg.requirements if r.code == "gambar_arsitektur").file_types
    fields = {f.code: f for f in pbg.details_fields}
    assert fields["luas_bangunan"].type == "number" and fields["luas_bangunan"].unit == "m²"
    assert fields["jumlah_lantai"].integer and fields["jumlah_lantai"].min == 1
    assert fields["fungsi_bangunan"].type == "select" and "Hunian" in fields["fungsi_bangunan"].options
    assert catalog.permit_type("tidak_ada") is None and catalog.agency_of("tidak_ada") is None
    assert catalog.request_kind_label("perpanjangan") == "Perpanjangan"


def test_requirements_depend_on_the_request_kind():
    new = {r.code for r in requirements_for("sip_dokter", "baru")}
    renewal = {r.code for r in requirements_for("sip_dokter", "perpanjangan")}
    assert "sip_lama" in renewal and "sip_lama" not in new
    assert {"ktp", "str", "surat_permohonan"} <= new & renewal
    with pytest.raises(ValueError):
        requirements_for("pbg", "perpanjangan")  # a PBG is not renewed
    with pytest.raises(KeyError):
        requirements_for("tidak_ada", "baru")


def test_details_are_validated_and_coerced_in_place():
    details = {"fungsi_bangunan": "Hunian", "luas_tanah": "120,5", "luas_bangunan": "1.250", "jumlah_lantai": " 2 ", "tinggi_bangunan": ""}
    assert validate_details("pbg", details) == {}
    assert details == {"fungsi_bangunan": "Hunian", "luas_tanah": 120.5, "luas_bangunan": 1250, "jumlah_lantai": 2}

    bad = {"fungsi_bangunan": "Gudang", "luas_tanah": "banyak", "luas_bangunan": 0, "jumlah_lantai": "2.5", "warna_cat": "hijau"}
    errors = validate_details("pbg", bad)
    assert "tidak ada dalam pilihan" in errors["fungsi_bangunan"]
    assert errors["luas_tanah"] == "Luas tanah harus berupa angka."
    assert errors["luas_bangunan"] == "Luas total lantai bangunan paling sedikit 1 m²."
    assert errors["jumlah_lantai"] == "Jumlah lantai harus bilangan bulat."
    assert "tidak dikenal" in errors["warna_cat"]
    assert bad["luas_tanah"] == "banyak"  # a refused value stays as typed, for the form to show again

    errors = validate_details("iumk", {"modal_usaha": "6000000000"})
    assert errors["nama_usaha"] == "Nama usaha wajib diisi." and errors["bidang_usaha"] == "Pilih bidang usaha."
    assert errors["modal_usaha"].endswith("paling banyak Rp5.000.000.000.")

    research = {"judul_penelitian": "Kepuasan masyarakat terhadap PTSP", "lembaga_asal": "Universitas Malikussaleh",
                "bidang_penelitian": "Sosial dan politik", "lokasi_penelitian": "DPMPTSP", "tanggal_mulai": "2026-05-04",
                "tanggal_selesai": "2026-04-30", "jumlah_peneliti": 3}
    assert "tidak boleh sebelum" in validate_details("izin_penelitian", research)["tanggal_selesai"]
    research.update(tanggal_selesai="2026-06-30", tanggal_mulai="4 Mei 2026")
    assert "TTTT-BB-HH" in validate_details("izin_penelitian", research)["tanggal_mulai"]


def test_permit_definition_snapshot():
    definition = permit_definition(PERMIT_OFFICE, "pbg", "perubahan")
    assert definition.agency_code == "dpupr" and definition.agency_name == "Dinas Pekerjaan Umum dan Penataan Ruang"
    assert definition.permit_type_code == "pbg" and definition.request_kind_label == "Perubahan"
    assert definition.sla_working_days == 28 and definition.revision_deadline_working_days == 10
    v, s = definition.verification, definition.signing
    assert (v.role, v.due_working_days, v.escalate_after_working_days, v.escalate_to_role) == ("verifikator", 28, 2, "kepala_kantor")
    assert (s.role, s.due_working_days, s.escalate_after_working_days, s.escalate_to_role) == ("penandatangan", 2, 1, "kepala_kantor")
    office = PERMIT_OFFICE
    assert v.role_label == office.roles["verifikator"] and s.escalate_to_role_label == office.roles["kepala_kantor"]
    assert definition.numbering.scope == "permit:pbg" and definition.download_valid_days == 7 and definition.validity_years is None
    assert definition.calendar.timezone == office.office.timezone and definition.office.name == office.office.name
    assert definition.office.code == definition.calendar.office == definition.numbering.office == "dpmptsp"
    number = format_number(definition.numbering, sequence=42, issued_on=datetime(2026, 11, 23, tzinfo=UTC))
    assert number == "640/42/PBG/DPUPR/XI/2026"
    # It crosses into a workflow through the data converter unchanged.
    payload = pydantic_data_converter.payload_converter.to_payloads([definition])
    assert pydantic_data_converter.payload_converter.from_payloads(payload, [PermitDefinitionSnapshot])[0] == definition
    assert permit_definition(PERMIT_OFFICE, "izin_reklame", "perpanjangan").validity_years == 1
    with pytest.raises(ValueError):
        permit_definition(PERMIT_OFFICE, "pbg", "perpanjangan")
    with pytest.raises(KeyError):
        permit_definition(PERMIT_OFFICE, "tidak_ada", "baru")


# --- the loader refuses bad catalogs ------------------------------------------------------------


def _first_permit(data: dict) -> dict:
    return data["agencies"][0]["permit_types"][0]


def _duplicate_permit(d: dict) -> None:
    d["agencies"][1]["permit_types"].append(copy.deepcopy(_first_permit(d)))


def _duplicate_agency(d: dict) -> None:
    d["agencies"].append(copy.deepcopy(d["agencies"][0]))


def _duplicate_requirement(d: dict) -> None:
    p = _first_permit(d)
    p["requirements"].append(copy.deepcopy(p["requirements"][0]))


BAD = {
    "duplicate permit type code": (_duplicate_permit, "duplicate permit type"),
    "duplicate agency code": (_duplicate_agency, "duplicate agency"),
    "duplicate requirement code": (_duplicate_requirement, "duplicate requirement"),
    "unknown file type": (lambda d: _first_permit(d)["requirements"][0].update(file_types=["pdf", "docx"]), "unknown file type"),
    "max_mb over 50": (lambda d: _first_permit(d)["requirements"][0].update(max_mb=60), "less than or equal to 50"),
    "numbering without seq": (lambda d: _first_permit(d)["numbering"].update(format="503/DPMPTSP/{year}"), "needs {seq} and {year}"),
    "numbering without year": (lambda d: _first_permit(d)["numbering"].update(format="503/{seq}/DPMPTSP"), "needs {seq} and {year}"),
    "numbering with an unknown field": (lambda d: _first_permit(d)["numbering"].update(format="{kode}/{seq}/{year}"), "cannot be filled"),
    "verifier role not in roles.yaml": (lambda d: _first_permit(d).update(verifier_role="petugas_gaib"), "not a role listed in roles.yaml"),
    "signer role not in roles.yaml": (lambda d: _first_permit(d).update(signer_role="bupati"), "not a role listed in roles.yaml"),
    "unknown key": (lambda d: _first_permit(d).update(biaya=50000), "Extra inputs are not permitted"),
    "unknown request kind": (lambda d: _first_permit(d).update(request_kinds=["baru", "pencabutan"]), "unknown request kind"),
    "requirement for a kind not offered": (lambda d: _first_permit(d)["requirements"][0].update(request_kinds=["perubahan"]),
                                           "does not offer"),
    "select without options": (lambda d: _first_permit(d)["details_fields"][0].update(type="select", options=None), "needs options"),
    "number bounds reversed": (lambda d: _first_permit(d)["details_fields"].append(
        {"code": "luas", "label": "Luas", "type": "number", "min": 10, "max": 1}), "min is greater than max"),
    "unknown field type": (lambda d: _first_permit(d)["details_fields"][0].update(type="checkbox"), "details_fields"),
    "bad code": (lambda d: _first_permit(d).update(code="Izin Reklame"), "lower-case"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_loader_refuses_bad_catalogs(tmp_path, case):
    mutate, expected = BAD[case]
    data = shipped()
    mutate(data)
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(CatalogError) as refused:
        load_catalog(tmp_path)
    assert expected in str(refused.value)


def test_loader_refuses_broken_yaml_and_accepts_a_faithful_copy(tmp_path):
    (tmp_path / "catalog.yaml").write_text("agencies: [\n  - code: x\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog(tmp_path)
    good = tmp_path / "good"
    good.mkdir()
    (good / "catalog.yaml").write_text(yaml.safe_dump(shipped(), allow_unicode=True), encoding="utf-8")
    assert len(load_catalog(good).permit_types()) == len(load_catalog().permit_types())


# --- the public API and pages --------------------------------------------------------------------


async def test_catalog_api_shape(client):
    response = await client.get("/api/v1/catalog")
    assert response.status_code == 200
    body = response.json()
    assert len(body["agencies"]) >= 3
    for agency in body["agencies"]:
        assert {"code", "name", "permit_types"} <= set(agency)
        for permit in agency["permit_types"]:
            assert {"code", "name", "request_kinds", "requirements"} <= set(permit)
            assert set(permit["request_kinds"]) <= {"baru", "perpanjangan", "perubahan"}
            for r in permit["requirements"]:
                assert {"code", "name", "mandatory", "file_types", "max_mb"} <= set(r)
                assert isinstance(r["mandatory"], bool) and r["max_mb"] <= 50 and set(r["file_types"]) <= set(FILE_TYPES)
    pbg = next(p for a in body["agencies"] for p in a["permit_types"] if p["code"] == "pbg")
    assert pbg["sla_working_days"] == 28 and pbg["request_kind_labels"]["perubahan"] == "Perubahan"
    assert {f["code"] for f in pbg["details_fields"]} >= {"luas_bangunan", "jumlah_lantai", "fungsi_bangunan"}
    assert next(r for r in pbg["requirements"] if r["code"] == "pbg_lama")["request_kinds"] == ["perubahan"]

    one = (await client.get("/api/v1/catalog/permit-types/pbg", params={"request_kind": "baru"})).json()
    assert one["agency"]["code"] == "dpupr" and "pbg_lama" not in {r["code"] for r in one["requirements"]}
    assert (await client.get("/api/v1/catalog/permit-types/tidak_ada")).status_code == 404
    refused = await client.get("/api/v1/catalog/permit-types/pbg", params={"request_kind": "perpanjangan"})
    assert refused.status_code == 422 and "tidak tersedia" in refused.json()["detail"]


async def test_persyaratan_pages(client):
    index = await client.get("/persyaratan")
    assert index.status_code == 200
    assert "Persetujuan Bangunan Gedung (PBG)" in index.text and "Dinas Kesehatan" in index.text
    assert 'href="/persyaratan"' in index.text and 'href="/persyaratan/pbg"' in index.text  # public nav, no sign-in needed
    assert "28 hari kerja" in index.text

    page = await client.get("/persyaratan/pbg")
    assert page.status_code == 200
    text = page.text
    assert "Gambar teknis arsitektur (denah, tampak, potongan, situasi)" in text
    assert "Wajib" in text and "Opsional" in text and "DWG" in text and "50 MB" in text
    assert "PBG/IMB yang telah terbit" not in text  # only for Perubahan
    assert "Luas total lantai bangunan" in text and "Apa yang terjadi setelah Anda mengajukan" in text
    change = await client.get("/persyaratan/pbg", params={"jenis": "perubahan"})
    assert "PBG/IMB yang telah terbit" in change.text and 'aria-current="page">Perubahan' in change.text
    missing = await client.get("/persyaratan/tidak-ada")
    assert missing.status_code == 404 and "Jenis izin tidak ditemukan" in missing.text
