"""Staff from a personnel export (issue 17): the CSV a SIMPEG/SIASN export gives, previewed (dry run) then applied,
500 rows with bad rows reported by their spreadsheet line; and the file's reading (BOM, delimiter, header names,
usernames made from e-mails) on its own."""

import time

import pytest
from sqlalchemy import func, select

from gateway.services.errors import Invalid
from gateway.services.staff_import import derive_username, read_csv
from store.models import AdminChange, User
from tests.factories import login

HEADER = "NIP;Nama Lengkap;Jabatan;Unit Kerja;Email;No. HP;Atasan;Peran"
BAD_ROWS = {  # spreadsheet line → (the column reported, a part of its message)
    7: ("nip", "18 digit"),
    58: ("unit", "tidak ada"),
    120: ("email", "tidak valid"),
    240: ("peran", "tidak dikenal"),
    333: ("atasan", "tidak ditemukan"),
    401: ("email", "sudah ada di baris 400"),
    450: ("email", "Email wajib diisi"),
}


def personnel_file(rows: int = 500) -> bytes:
    """A SIMPEG-like export of `rows` people of the permit office, a few of them wrong (BAD_ROWS), with a supervisor
    named by NIP in the file and one already in the office, two people already there (one changed, one not)."""
    lines = [HEADER]
    for line in range(2, rows + 2):
        nip = f"1990{line:04d}2015031{line % 1000:03d}"
        unit = "PERIZINAN" if line % 2 else "Bidang Pengaduan dan Informasi Pelayanan"
        email = f"pegawai.{line}@semarangkota.go.id"
        supervisor = "198812142014031001" if line % 10 == 0 else ("19900002201503100" + "2" if line > 2 else "")
        roles = "pegawai" if line % 3 else "Pegawai|Verifikator Perizinan"
        phone = f"0812{line:08d}" if line % 4 else ""
        name = f"Pegawai Nomor {line}"
        if line == 7:
            nip = "1.99E+17"
        if line == 58:
            unit = "Bidang Antah Berantah"
        if line == 120:
            email = "bukan email"
        if line == 240:
            roles = '"pegawai;penyihir"'
        if line == 333:
            supervisor = "199999999999999999"
        if line == 401:
            email = "pegawai.400@semarangkota.go.id"
        if line == 450:
            email = ""
        lines.append(";".join([nip, name, "Pengelola Perizinan", unit, email, phone, supervisor, roles]))
    # verifikator1 changes position; kepala1 is given as they are.
    lines.append("198812142014031001;Fauzan Ramadhan, S.T.;Verifikator Perizinan Ahli Muda;PERIZINAN;verifikator1@satupintu.local;;kepala1;")
    lines.append("197203151998031002;Dr. H. Munir Hasan, S.H., M.H.;Kepala Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kota Semarang;"
                 "DPMPTSP;kepala1@satupintu.local;;;")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


async def _import(client, headers, data: bytes, *, dry_run: bool, name: str = "simpeg.csv"):
    return await client.post("/api/v1/admin/users/import", headers=headers, params={"dry_run": str(dry_run).lower()},
                             files={"file": (name, data, "text/csv")})


async def _staff_count(db) -> int:
    async with db.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(User).where(User.kind == "staff"))


async def test_five_hundred_rows_previewed_then_applied_with_bad_rows_reported(client, db):
    admin = await login(client, "admin_dpmptsp")
    data = personnel_file()
    before = await _staff_count(db)

    started = time.monotonic()
    preview = await _import(client, admin, data, dry_run=True)
    preview_seconds = time.monotonic() - started
    assert preview.status_code == 200, preview.text
    report = preview.json()
    assert report["dry_run"] is True and report["applied"] is False
    assert report["total_rows"] == 502
    assert {(e["row"], e["field"]) for e in report["errors"]} >= {(row, field) for row, (field, _) in BAD_ROWS.items()}
    for error in report["errors"]:
        if error["row"] in BAD_ROWS:
            assert BAD_ROWS[error["row"]][1] in error["message"], error
    skipped = {e["row"] for e in report["errors"]}
    # A row whose supervisor is a skipped row is skipped too (line 7's person supervises nobody; nobody names 333).
    assert skipped == set(BAD_ROWS), sorted(skipped)
    assert report["skipped"] == len(BAD_ROWS)
    assert report["created"] == 500 - len(BAD_ROWS) and report["updated"] == 1 and report["unchanged"] == 1
    rows = {r["row"]: r for r in report["rows"]}
    assert rows[502]["action"] == "update" and rows[502]["changes"] == ["jabatan"] and rows[502]["username"] == "verifikator1"
    assert rows[503]["action"] == "unchanged"
    assert rows[2]["username"] == "pegawai.2"
    # The dry run changed nothing.
    assert await _staff_count(db) == before
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(AdminChange)) == 0

    started = time.monotonic()
    applied = await _import(client, admin, data, dry_run=False)
    apply_seconds = time.monotonic() - started
    assert applied.status_code == 200, applied.text
    result = applied.json()
    assert result["applied"] is True and result["mode"] == "skip_invalid_rows"
    # Exactly what the preview said.
    assert {k: result[k] for k in ("created", "updated", "unchanged", "skipped")} == {k: report[k] for k in ("created", "updated", "unchanged", "skipped")}
    assert result["errors"] == report["errors"]
    assert await _staff_count(db) == before + report["created"]
    assert preview_seconds < 5 and apply_seconds < 10, (preview_seconds, apply_seconds)

    detail = (await client.get("/api/v1/admin/users/pegawai.15", headers=admin)).json()
    assert detail["nip"] == "199000152015031015" and detail["unit"] == "PERIZINAN" and detail["supervisor"] == "pegawai.2"
    assert detail["phone"] == "6281200000015" and detail["roles"] == ["pegawai", "verifikator"]
    assert (await client.get("/api/v1/admin/users/pegawai.16", headers=admin)).json()["unit"] == "PELAYANAN"
    assert (await client.get("/api/v1/admin/users/pegawai.20", headers=admin)).json()["supervisor"] == "verifikator1"
    assert (await client.get("/api/v1/admin/users/pegawai.7", headers=admin)).status_code == 404
    assert (await client.get("/api/v1/admin/users/verifikator1", headers=admin)).json()["position"] == "Verifikator Perizinan Ahli Muda"
    # New staff have no password anyone knows: they make one through "Lupa kata sandi" (pegawai).
    for password in ("Demo12345", "pegawai.15", "199000152015031015"):
        assert (await client.post("/api/v1/auth/login", json={"username": "pegawai.15", "password": password})).status_code == 401
    changes = (await client.get("/api/v1/admin/changes", headers=admin, params={"limit": 3})).json()["items"]
    assert changes[0]["action"] == "user.import" and changes[0]["after"]["created"] == report["created"] and changes[0]["after"]["file"] == "simpeg.csv"

    # The same file again changes nothing more.
    again = (await _import(client, admin, data, dry_run=True)).json()
    assert again["created"] == 0 and again["updated"] == 0 and again["unchanged"] == 502 - len(BAD_ROWS)
    # Another office's administrator does not see these people, and could not match them.
    court = await login(client, "admin_ms")
    assert (await client.get("/api/v1/admin/users/pegawai.15", headers=court)).status_code == 404


async def test_files_refused_whole_change_nothing(client, db):
    admin = await login(client, "admin_dpmptsp")
    before = await _staff_count(db)
    cases = [
        (b"", "kosong"),
        (b"nama;unit\nBudi;PERIZINAN\n", "nip atau username"),
        (b"NIP,Nama,Unit,Email\n", "tidak ada data"),
        ("NIP;Nama;Unit;Email\n199001012015031001;Budi;PERIZINAN;budi@x.go.id\n".encode("utf-16"), "bukan teks CSV"),
        ("NIP;Nama;Unit;Email\n199001012015031001;Bud\u00ef;PERIZINAN;budi@x.go.id\n".encode("latin-1"), "UTF-8"),
        (("NIP,Nama,Unit,Email\n" + "".join(f"1990010120150{i:05d},P {i},PERIZINAN,p{i}@x.go.id\n" for i in range(5001))).encode(), "paling banyak 5000"),
    ]
    for data, message in cases:
        refused = await _import(client, admin, data, dry_run=False)
        assert refused.status_code == 422, (message, refused.text)
        assert message.lower() in refused.json()["detail"].lower(), (message, refused.json()["detail"])
        assert refused.json()["errors"][0]["field"] == "file"
    assert (await client.post("/api/v1/admin/users/import", headers=admin, json={"file": "x"})).status_code in (415, 422)
    missing = await client.post("/api/v1/admin/users/import", headers=admin, files={"lain": ("a.csv", b"x", "text/csv")})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "file"
    too_big = await _import(client, admin, b"NIP,Nama\n" + b"x" * (2 * 1024 * 1024 + 10), dry_run=True)
    assert too_big.status_code in (413, 422)
    assert await _staff_count(db) == before
    assert (await _import(client, await login(client, "verifikator1"), b"NIP,Nama\n", dry_run=True)).status_code == 403


def test_reading_a_personnel_export():
    # A comma file without BOM, headers as SIASN writes them, a quoted cell with the delimiter in it.
    parsed = read_csv(b'NIP Baru,Nama,Jabatan Nama,Unor,E-mail,Handphone,Username,NIP Atasan,Role\n'
                      b'199001012015031001,"Santoso, S.E.",Analis,PTSP,a@b.go.id,0812,santoso,,"pegawai, verifikator"\n\n')
    assert parsed.columns == ["nip", "nama", "jabatan", "unit", "email", "telepon", "username", "atasan", "peran"]
    [row] = parsed.rows
    assert row.row == 2 and row.cells["nama"] == "Santoso, S.E." and row.cells["peran"] == "pegawai, verifikator"
    # Semicolons and a BOM; a blank line keeps the numbering of the lines after it.
    parsed = read_csv("\ufeffnip;nama\n\n199001012015031001;Budi\n".encode())
    assert [r.row for r in parsed.rows] == [3]
    with pytest.raises(Invalid, match="nama"):
        read_csv(b"nip;unit\n1;x\n")


def test_usernames_from_e_mails_are_valid_and_unique():
    taken = {"budi.santoso", "budi.santoso2"}
    assert derive_username("Budi.Santoso@kemenag.go.id", "Budi", taken) == "budi.santoso3"
    assert derive_username("1234@x.go.id", "Ahmad Zaini", taken) == "pegawai"
    assert derive_username(None, "Siti Nur'aini", taken) == "siti.nuraini"
    assert derive_username("ab@x.go.id", "x", taken) == "ab.pegawai"
    assert derive_username("élodie+kantor@x.go.id", "x", taken) == "elodiekantor"
