"""Administration over the API (issue 17), on the gateway in process over a seeded database and a real SMTP sink: who
may act on which office, units as a tree, staff accounts and their roles, deactivation and a password reset by an
e-mailed link (and the staff's own), the office's identity, logo and calendar, and the change record. The CSV import
has its own file (test_staff_import.py); deactivation with open tasks the end-to-end one (tests/e2e/test_admin.py)."""

import asyncio
import io
import re
from datetime import date

import httpx
from PIL import Image
from sqlalchemy import select

from gateway.api.system import read_maildir
from office.calendar import OfficeCalendar
from process_defs.loader import calendar_snapshot, office_file
from store.models import AdminChange, Office, User
from tests.factories import login

PASSWORD = "Rahasia-Kota-2026"


def new_staff(**overrides) -> dict:
    body = {"username": "verifikator2", "full_name": "Dewi Lestari, S.T.", "email": "dewi.lestari@semarangkota.go.id", "phone": "0812-3456-7890",
            "nip": "19900101 201503 2 001", "unit": "PERIZINAN", "position": "Verifikator Perizinan", "supervisor": "kepala1",
            "roles": ["pegawai", "verifikator"], "password": PASSWORD}
    body.update(overrides)
    return body


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"username": username, "password": password})


async def bearer(client: httpx.AsyncClient, username: str, password: str) -> dict:
    response = await sign_in(client, username, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def changes_of(client: httpx.AsyncClient, headers: dict, **params) -> list[dict]:
    response = await client.get("/api/v1/admin/changes", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_who_may_administer_which_office(client):
    assert (await client.get("/api/v1/admin/users")).status_code == 401
    for username in ("pegawai1", "pemilik1", "3374010101900001"):
        refused = await client.get("/api/v1/admin/users", headers=await login(client, username))
        assert refused.status_code == 403 and "administrator" in refused.json()["detail"]
    court, permits, installation = await login(client, "admin_ms"), await login(client, "admin_dpmptsp"), await login(client, "admin")

    # An office administrator sees their own office's staff and units only: another office's are not found.
    assert (await client.get("/api/v1/admin/users/verifikator1", headers=permits)).status_code == 200
    for path in ("/api/v1/admin/users/verifikator1", "/api/v1/admin/units/PERIZINAN"):
        assert (await client.get(path, headers=court)).status_code == 404, path
    for method, path, body in (("PATCH", "/api/v1/admin/users/verifikator1", {"position": "x"}),
                               ("POST", "/api/v1/admin/users/verifikator1/deactivate", {"reason": "Pindah"}),
                               ("POST", "/api/v1/admin/users/verifikator1/reset-password", None),
                               ("PATCH", "/api/v1/admin/units/PERIZINAN", {"name": "x"})):
        assert (await client.request(method, path, headers=court, json=body)).status_code == 404, path
    assert (await client.get("/api/v1/admin/users", headers=court, params={"office": "dpmptsp"})).status_code == 404
    # Nor the installation's administrator, who is in no office.
    assert (await client.get("/api/v1/admin/users/admin", headers=court)).status_code == 404
    listed = (await client.get("/api/v1/admin/users", headers=court, params={"limit": 200})).json()["items"]
    assert {u["office"] for u in listed} == {"ms-lhokseumawe"} and "verifikator1" not in {u["username"] for u in listed}
    assert [o["code"] for o in (await client.get("/api/v1/admin/offices", headers=court)).json()] == ["ms-lhokseumawe"]

    # The installation's administrator names the office; without one they are asked to.
    asked = await client.get("/api/v1/admin/users", headers=installation)
    assert asked.status_code == 422 and asked.json()["errors"][0]["field"] == "office"
    assert (await client.get("/api/v1/admin/users", headers=installation, params={"office": "tidak-ada"})).status_code == 404
    found = await client.get("/api/v1/admin/users/verifikator1", headers=installation, params={"office": "dpmptsp"})
    assert found.status_code == 200 and found.json()["office"] == "dpmptsp"
    assert (await client.get("/api/v1/admin/users/verifikator1", headers=installation, params={"office": "ms-lhokseumawe"})).status_code == 404
    assert len((await client.get("/api/v1/admin/offices", headers=installation)).json()) == 3


async def test_units_form_a_tree_without_cycles(client, db):
    admin = await login(client, "admin_dpmptsp")
    units = (await client.get("/api/v1/admin/units", headers=admin)).json()
    assert {"code": "PERIZINAN", "name": "Bidang Pelayanan Perizinan", "parent": "DPMPTSP"} in units
    assert units[0] == {"code": "DPMPTSP", "name": "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kota Semarang", "parent": None}

    created = await client.post("/api/v1/admin/units", headers=admin, json={"code": "LOKET", "name": "Loket Perizinan", "parent": "PERIZINAN"})
    assert created.status_code == 201 and created.json() == {"code": "LOKET", "name": "Loket Perizinan", "parent": "PERIZINAN"}
    child = await client.post("/api/v1/admin/units", headers=admin, json={"code": "LOKET-A", "name": "Loket A", "parent": "LOKET"})
    assert child.status_code == 201
    # Another office's unit code is free here; this office's is taken whatever its case.
    assert (await client.post("/api/v1/admin/units", headers=admin, json={"code": "umum", "name": "Umum"})).status_code == 201
    taken = await client.post("/api/v1/admin/units", headers=admin, json={"code": "loket", "name": "Lagi"})
    assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "code"
    bad = await client.post("/api/v1/admin/units", headers=admin, json={"code": "A B/C", "name": "", "parent": "TIDAK-ADA"})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"code", "name", "parent"}
    assert (await client.post("/api/v1/admin/units", headers=admin, json={"code": "X", "name": "Y", "parent": "MS-LSM"})).status_code == 422

    # Moving a unit under itself or one of its own units is refused, and nothing moves.
    for parent in ("LOKET", "LOKET-A"):
        cycle = await client.patch("/api/v1/admin/units/LOKET", headers=admin, json={"parent": parent})
        assert cycle.status_code == 409 and cycle.json()["code"] == "unit_cycle", cycle.text
    moved = await client.patch("/api/v1/admin/units/LOKET", headers=admin, json={"parent": None, "name": "Loket Terpadu"})
    assert moved.status_code == 200 and moved.json() == {"code": "LOKET", "name": "Loket Terpadu", "parent": None, "is_active": True}
    assert (await client.patch("/api/v1/admin/units/LOKET", headers=admin, json={"code": "BARU"})).status_code == 422

    # A unit with staff or active units in it stays active; an empty one is closed and leaves the list.
    in_use = await client.patch("/api/v1/admin/units/PERIZINAN", headers=admin, json={"is_active": False})
    assert in_use.status_code == 409 and "pegawai aktif" in in_use.json()["detail"]
    assert (await client.patch("/api/v1/admin/units/LOKET", headers=admin, json={"is_active": False})).status_code == 409
    assert (await client.patch("/api/v1/admin/units/LOKET-A", headers=admin, json={"is_active": False})).status_code == 200
    codes = [u["code"] for u in (await client.get("/api/v1/admin/units", headers=admin)).json()]
    assert "LOKET-A" not in codes and "LOKET" in codes
    assert (await client.get("/api/v1/admin/units/LOKET-A", headers=admin)).json()["is_active"] is False

    record = await changes_of(client, admin)
    assert [(c["action"], c["target"]) for c in record[:2]] == [("unit.update", "unit:LOKET-A"), ("unit.update", "unit:LOKET")]
    assert record[1]["before"] == {"name": "Loket Perizinan", "parent": "PERIZINAN"}
    assert record[1]["after"] == {"name": "Loket Terpadu", "parent": None}


async def test_staff_accounts_roles_and_supervisors(client, db):
    admin = await login(client, "admin_dpmptsp")
    created = await client.post("/api/v1/admin/users", headers=admin, json=new_staff())
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["username"] == "verifikator2" and user["office"] == "dpmptsp" and user["unit"] == "PERIZINAN"
    assert user["nip"] == "199001012015032001" and user["phone"] == "6281234567890" and user["supervisor"] == "kepala1"
    assert user["roles"] == ["pegawai", "verifikator"] and user["role_labels"] == ["Pegawai", "Verifikator Perizinan"]
    me = await bearer(client, "verifikator2", PASSWORD)
    assert (await client.get("/api/v1/auth/me", headers=me)).json()["roles"] == ["pegawai", "verifikator"]

    # Refused with every field's reason in Bahasa, and nothing made.
    bad = await client.post("/api/v1/admin/users", headers=admin, json=new_staff(
        username="Dewi Baru", email="bukan-email", nip="12345", unit="KEPEG", supervisor="atasan1", roles=["verifikator", "terbang"],
        password="pendek"))
    assert bad.status_code == 422
    fields = {e["field"]: e["message"] for e in bad.json()["errors"]}
    assert set(fields) == {"username", "email", "nip", "unit", "supervisor", "roles", "password"}
    assert "tidak ada di antara pegawai kantor ini" in fields["supervisor"] and "Unit 'KEPEG' tidak ada" in fields["unit"]
    for roles, message in ((["admin_instalasi"], "satupintu create-admin"), (["pemohon"], "tidak dikenal")):
        refused = await client.post("/api/v1/admin/users", headers=admin, json=new_staff(username="lain", email="lain@x.go.id", nip=None, roles=roles))
        assert refused.status_code == 422 and message in refused.json()["detail"], refused.text
    for clash, field in (({"username": "dewi2", "email": "DEWI.LESTARI@semarangkota.go.id", "nip": None}, "email"),
                         ({"username": "verifikator1", "email": "v@x.go.id", "nip": None}, "username"),
                         ({"username": "dewi2", "email": "d2@x.go.id"}, "nip")):
        taken = await client.post("/api/v1/admin/users", headers=admin, json=new_staff(**clash))
        assert taken.status_code == 409 and [e["field"] for e in taken.json()["errors"]] == [field], taken.text
    async with db.sessionmaker() as session:
        assert await session.scalar(select(User).where(User.username.in_(["lain", "dewi2", "dewi.baru"]))) is None

    # Edits: a move, a supervisor (never a circle, never another office's), roles given and taken.
    circle = await client.patch("/api/v1/admin/users/kepala1", headers=admin, json={"supervisor": "verifikator2"})
    assert circle.status_code == 422 and "melingkar" in circle.json()["detail"]
    assert (await client.patch("/api/v1/admin/users/verifikator2", headers=admin, json={"supervisor": "verifikator2"})).status_code == 422
    assert (await client.patch("/api/v1/admin/users/verifikator2", headers=admin, json={"supervisor": "pimpinan1"})).status_code == 422
    assert (await client.patch("/api/v1/admin/users/verifikator2", headers=admin, json={"is_active": False})).status_code == 422
    given = await client.patch("/api/v1/admin/users/verifikator2", headers=admin,
                               json={"unit": "PELAYANAN", "supervisor": "kasi1", "roles": ["pegawai", "verifikator", "pengaduan_admin"]})
    assert given.status_code == 200 and given.json()["unit"] == "PELAYANAN" and given.json()["supervisor"] == "kasi1"
    # Giving a role keeps the sessions; taking one away ends them.
    assert (await client.get("/api/v1/auth/me", headers=me)).status_code == 200
    taken_away = await client.patch("/api/v1/admin/users/verifikator2", headers=admin, json={"roles": ["pegawai", "pengaduan_admin"]})
    assert taken_away.status_code == 200 and taken_away.json()["roles"] == ["pegawai", "pengaduan_admin"]
    assert (await client.get("/api/v1/auth/me", headers=me)).status_code == 401
    # An administrator keeps their own administrator role.
    assert (await client.patch("/api/v1/admin/users/admin_dpmptsp", headers=admin, json={"roles": ["pegawai"]})).status_code == 422
    granted = await client.patch("/api/v1/admin/users/verifikator2", headers=admin, json={"roles": ["pegawai", "admin"]})
    assert granted.status_code == 200

    # Search by name, NIP, e-mail; paging.
    for q in ("lestari", "199001012015", "DEWI.LESTARI@"):
        found = (await client.get("/api/v1/admin/users", headers=admin, params={"q": q})).json()
        assert [u["username"] for u in found["items"]] == ["verifikator2"], q
    page = (await client.get("/api/v1/admin/users", headers=admin, params={"limit": 2, "offset": 2})).json()
    assert len(page["items"]) == 2 and page["total"] >= 8 and page["next_offset"] == 4
    assert (await client.get("/api/v1/admin/users", headers=admin, params={"limit": 0})).status_code == 422
    assert (await client.get("/api/v1/admin/users", headers=admin, params={"q": "%"})).json()["items"] == []

    record = await changes_of(client, admin, target="user:verifikator2")
    assert [c["action"] for c in record] == ["user.update", "user.update", "user.update", "user.create"]
    assert record[1]["before"] == {"roles": ["pegawai", "pengaduan_admin", "verifikator"]} and record[1]["after"] == {"roles": ["pegawai", "pengaduan_admin"]}
    assert record[2]["before"]["unit"] == "PERIZINAN" and record[2]["after"]["supervisor"] == "kasi1"
    assert record[3]["after"]["password"] == "ditetapkan administrator" and record[3]["actor"] == "Administrator DPMPTSP Kota Semarang"
    async with db.sessionmaker() as session:
        hashes = {u.password_hash for u in await session.scalars(select(User))}
        for row in await session.scalars(select(AdminChange)):
            text = f"{row.before} {row.after} {row.reason}"
            assert PASSWORD not in text and not any(h in text for h in hashes) and "$argon2" not in text


async def test_deactivation_ends_sessions_and_sign_in_and_reactivation_restores(client, db):
    admin = await login(client, "admin_ms")
    employee = await login(client, "pegawai2")
    assert (await client.get("/api/v1/admin/users/pegawai2/deactivation-plan", headers=admin)).json() == {"handovers": [], "subordinates": [], "plh": 0}
    plan = (await client.get("/api/v1/admin/users/atasan1/deactivation-plan", headers=admin)).json()
    assert {s["username"] for s in plan["subordinates"]} == {"pegawai1", "pegawai2"}
    assert (await client.post("/api/v1/admin/users/pegawai2/deactivate", headers=admin, json={"reason": " "})).status_code == 422
    assert (await client.get("/api/v1/auth/me", headers=employee)).status_code == 200

    done = await client.post("/api/v1/admin/users/pegawai2/deactivate", headers=admin, json={"reason": "Pensiun per 1 Desember 2026"})
    assert done.status_code == 200, done.text
    assert done.json()["user"]["is_active"] is False and done.json()["handovers"] == [] and done.json()["complete"] is True
    assert (await client.get("/api/v1/auth/me", headers=employee)).status_code == 401
    assert (await sign_in(client, "pegawai2", "Demo12345")).status_code == 401
    again = await client.post("/api/v1/admin/users/pegawai2/deactivate", headers=admin, json={"reason": "Lagi"})
    assert again.status_code == 409
    assert (await client.post("/api/v1/admin/users/admin_ms/deactivate", headers=admin, json={"reason": "x"})).status_code == 422
    listed = (await client.get("/api/v1/admin/users", headers=admin, params={"q": "pegawai2"})).json()["items"]
    assert listed == []
    listed = (await client.get("/api/v1/admin/users", headers=admin, params={"q": "pegawai2", "include_inactive": True})).json()["items"]
    assert listed[0]["deactivation_reason"] == "Pensiun per 1 Desember 2026"

    back = await client.post("/api/v1/admin/users/pegawai2/reactivate", headers=admin, json={"reason": "Batal pensiun"})
    assert back.status_code == 200 and back.json()["is_active"] is True and back.json()["deactivated_at"] is None
    assert (await sign_in(client, "pegawai2", "Demo12345")).status_code == 200
    assert [c["action"] for c in await changes_of(client, admin, target="user:pegawai2")] == ["user.reactivate", "user.deactivate"]


async def _link_in_mail(maildir, address: str, *, count: int = 1) -> str:
    for _ in range(100):
        mails = [m for m in read_maildir(maildir) if address in (m["to"] or "")]
        if len(mails) >= count:
            found = re.search(r"/atur-sandi\?token=([0-9]+\.[A-Za-z0-9_-]+)", mails[-1]["body"])
            assert found, mails[-1]["body"]
            return found.group(1)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no mail to {address}")


async def test_password_reset_by_the_administrator_and_by_staff_themselves(client, db):
    admin = await login(client, "admin_dpmptsp")
    verifier = await login(client, "verifikator1")
    sent = await client.post("/api/v1/admin/users/verifikator1/reset-password", headers=admin)
    assert sent.status_code == 202, sent.text
    assert sent.json()["email"] == "ve**********@satupintu.local"
    # Their sessions end and the old password no longer works; the e-mailed link sets a new one, once.
    assert (await client.get("/api/v1/auth/me", headers=verifier)).status_code == 401
    assert (await sign_in(client, "verifikator1", "Demo12345")).status_code == 401
    token = await _link_in_mail(db.settings.maildir, "verifikator1@satupintu.local")
    page = await client.get("/atur-sandi", params={"token": token})
    assert page.status_code == 200 and "verifikator1" in page.text
    weak = await client.post("/api/v1/auth/staff-reset-password", json={"token": token, "new_password": "lemah"})
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "new_password"
    done = await client.post("/api/v1/auth/staff-reset-password", json={"token": token, "new_password": PASSWORD})
    assert done.status_code == 200, done.text
    assert (await sign_in(client, "verifikator1", PASSWORD)).status_code == 200
    spent = await client.post("/api/v1/auth/staff-reset-password", json={"token": token, "new_password": "Lain-Lagi-2026"})
    assert spent.status_code == 422 and "tidak berlaku lagi" in spent.json()["detail"]
    assert (await client.get("/atur-sandi", params={"token": token})).status_code == 410
    forged = token.split(".")[0] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert (await client.post("/api/v1/auth/staff-reset-password", json={"token": forged, "new_password": PASSWORD})).status_code == 422
    # The recorded copy of the e-mail keeps the page, not the secret.
    async with db.sessionmaker() as session:
        from store.models import Notification

        links = [n.link for n in await session.scalars(select(Notification).where(Notification.subject == "Buat kata sandi baru"))]
        assert links == ["/atur-sandi"]

    # No e-mail address: refused in Bahasa, nothing changes.
    async with db.sessionmaker() as session, session.begin():
        (await session.scalar(select(User).where(User.username == "pengaduan1"))).email = None
    no_mail = await client.post("/api/v1/admin/users/pengaduan1/reset-password", headers=admin)
    assert no_mail.status_code == 422 and "belum memiliki alamat email" in no_mail.json()["detail"]
    assert (await sign_in(client, "pengaduan1", "Demo12345")).status_code == 200

    # A member of staff's own reset: by username or e-mail, behind the challenge, the same answer for anyone.
    from gateway.services.applicants import challenge_ok

    async def ask(identifier: str) -> httpx.Response:
        challenge = (await client.get("/api/v1/auth/challenge")).json()
        answer = next(str(n) for n in range(-20, 200) if challenge_ok(db.settings, challenge["challenge_token"], str(n)))
        return await client.post("/api/v1/auth/staff-forgot-password", json={"identifier": identifier, **challenge, "challenge_answer": answer})

    unknown, known = await ask("tidak.ada@mana.go.id"), await ask("KEPALA1@satupintu.local")
    assert unknown.status_code == known.status_code == 202 and unknown.json() == known.json()
    token = await _link_in_mail(db.settings.maildir, "kepala1@satupintu.local")
    assert (await client.post("/api/v1/auth/staff-reset-password", json={"token": token, "new_password": PASSWORD})).status_code == 200
    assert (await sign_in(client, "kepala1", PASSWORD)).status_code == 200
    # Applicants keep their own (PIN) reset: the staff path sends them nothing.
    await ask("3374010101900001")
    await asyncio.sleep(0.3)
    assert not [m for m in read_maildir(db.settings.maildir) if "pemohon1@satupintu.local" in (m["to"] or "")]
    wrong = await client.post("/api/v1/auth/staff-forgot-password", json={"identifier": "kepala1", "challenge_token": "x", "challenge_answer": "1"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "challenge_answer"
    assert [c["action"] for c in await changes_of(client, admin, target="user:verifikator1")] == ["user.reset_password"]


def png(size: tuple[int, int] = (64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 96, 73)).save(out, format="PNG")
    return out.getvalue()


async def test_office_identity_logo_and_calendar(client, db):
    admin = await login(client, "admin_dpmptsp")
    office = (await client.get("/api/v1/admin/office", headers=admin)).json()
    assert office["code"] == "dpmptsp" and office["processes"] == ["permit", "complaint"] and office["logo_url"] is None

    bad = await client.patch("/api/v1/admin/office", headers=admin, json={
        "name": "", "timezone": "Mars/Olympus", "office_hours": {"start": "16:00", "end": "08:00"}, "working_weekdays": [], "email": "x",
        "processes": ["permit", "terbang"]})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"name", "timezone", "office_hours", "working_weekdays", "email", "processes"}
    # A process needs its letter register in the office's definitions first.
    leave = await client.patch("/api/v1/admin/office", headers=admin, json={"processes": ["permit", "complaint", "leave"]})
    assert leave.status_code == 422 and "leave_letter" in leave.json()["detail"]
    assert (await client.get("/api/v1/admin/office", headers=admin)).json() == office

    changed = await client.patch("/api/v1/admin/office", headers=admin, json={
        "name": "Dinas Penanaman Modal dan PTSP Kota Semarang", "short_name": "DPMPTSP Semarang", "timezone": "Asia/Makassar",
        "office_hours": {"start": "07:30", "end": "15:00"},
        "working_weekdays": [0, 1, 2, 3, 4, 5], "letterhead": ["PEMERINTAH KOTA SEMARANG", " "]})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["short_name"] == "DPMPTSP Semarang" and body["timezone"] == "Asia/Makassar" and body["letterhead"] == ["PEMERINTAH KOTA SEMARANG"]
    assert body["office_hours"] == {"start": "07:30", "end": "15:00"} and body["working_weekdays"] == [0, 1, 2, 3, 4, 5]
    # The gateway reads the office again at once: its staff's pages show the new name.
    assert (await client.post("/masuk", data={"username": "verifikator1", "password": "Demo12345"})).status_code == 303
    home = await client.get("/")
    assert home.status_code == 200 and "Dinas Penanaman Modal dan PTSP Kota Semarang" in home.text
    client.cookies.clear()
    offices = (await client.get("/api/v1/admin/offices", headers=await login(client, "admin"))).json()
    assert next(o for o in offices if o["code"] == "dpmptsp")["short_name"] == "DPMPTSP Semarang"

    # The logo: a PNG or JPEG, served to anyone.
    stored = await client.put("/api/v1/admin/office/logo", headers=admin, files={"file": ("logo.png", png(), "image/png")})
    assert stored.status_code == 200, stored.text
    assert stored.json()["logo_url"] == "/kantor/dpmptsp/logo"
    served = await client.get("/kantor/dpmptsp/logo")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png" and served.content == png()
    assert (await client.get("/kantor/ms-lhokseumawe/logo")).status_code == 404
    text = await client.put("/api/v1/admin/office/logo", headers=admin, files={"file": ("logo.png", b"<?php echo 1; ?>" * 10, "image/png")})
    assert text.status_code == 415 and "PNG atau JPG" in text.json()["detail"]
    big = await client.put("/api/v1/admin/office/logo", headers=admin, files={"file": ("logo.png", b"\x89PNG" + b"0" * (1024 * 1024 + 10), "image/png")})
    assert big.status_code == 413
    assert (await client.put("/api/v1/admin/office/logo", headers=admin, json={"file": "x"})).status_code in (415, 422)

    # The calendar: the office's own holiday and a Saturday worked.
    holiday = await client.post("/api/v1/admin/office/calendar", headers=admin, json={"date": "2030-05-02", "name": "Hari jadi Kota Semarang", "kind": "libur"})
    assert holiday.status_code == 201, holiday.text
    worked = await client.post("/api/v1/admin/office/calendar", headers=admin, json={"date": "2030-05-12", "name": "Pengganti", "kind": "hari_kerja"})
    assert worked.status_code == 201
    assert (await client.post("/api/v1/admin/office/calendar", headers=admin, json={"date": "2030-05-02", "kind": "libur", "name": "x"})).status_code == 409
    refused = await client.post("/api/v1/admin/office/calendar", headers=admin, json={"date": "2 Mei", "kind": "cuti", "name": ""})
    assert refused.status_code == 422 and {e["field"] for e in refused.json()["errors"]} == {"date", "kind"}
    assert (await client.post("/api/v1/admin/office/calendar", headers=admin, json={"date": "2030-05-03", "kind": "libur"})).status_code == 422
    listed = (await client.get("/api/v1/admin/office/calendar", headers=admin)).json()["items"]
    assert listed == [{"date": "2030-05-02", "name": "Hari jadi Kota Semarang", "kind": "libur"},
                      {"date": "2030-05-12", "name": "Pengganti", "kind": "hari_kerja"}]
    async with db.sessionmaker() as session:
        row = await session.scalar(select(Office).where(Office.code == "dpmptsp"))
        calendar = OfficeCalendar(calendar_snapshot(office_file(row)))
    assert not calendar.is_working_day(date(2030, 5, 2)) and calendar.is_working_day(date(2030, 5, 12))
    assert (await client.delete("/api/v1/admin/office/calendar", headers=admin, params={"date": "2030-05-02"})).status_code == 200
    assert (await client.delete("/api/v1/admin/office/calendar/2030-05-02", headers=admin)).status_code == 404
    assert (await client.delete("/api/v1/admin/office/calendar/2030-05-12", headers=admin)).status_code == 200
    assert (await client.get("/api/v1/admin/office/calendar", headers=admin)).json()["items"] == []

    record = await changes_of(client, admin, target="office:dpmptsp")
    assert [c["action"] for c in record] == ["calendar.remove", "calendar.remove", "calendar.add", "calendar.add", "office.logo", "office.update"]
    assert record[-1]["before"]["timezone"] == "Asia/Jakarta" and record[-1]["after"]["timezone"] == "Asia/Makassar"
    assert record[-1]["before"]["office_hours"] == {"start": "08:00", "end": "15:30"}
    # The court's record has none of it.
    assert await changes_of(client, await login(client, "admin_ms")) == []
