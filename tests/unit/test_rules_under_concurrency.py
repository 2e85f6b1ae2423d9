"""Issue 15 item 1: the rules that are checked before something is written hold when the requests arrive at once,
on SQLite and on PostgreSQL. Each test fires its requests together (asyncio.gather over the gateway in process, one
session per request, or over sessions of their own) and asserts exactly what one-after-the-other would give.

What guarantees each rule (store/locks.py, store/models.py):
- leave: overlap, annual balance and the submit key are checked under the employee's lock;
- the Plh. an approved leave makes is written under the same lock as a Plh. asked for by hand;
- one survey per application: the unique application_id, its violation answered 409 like the check;
- one SIRAMASAKAN request under way per case and family card: a partial unique index, answered 409;
- a queue number goes to one walk-in visit: the ticket's row is held while the visit is recorded;
- one resubmission per revision round: the unique (application_id, round), answered 409 like the check;
- one account per email address: a unique index on lower(email), answered 422 like the check;
- a PIN (or email code) asked for twice at once opens the account once;
- failures counted by the throttle and by the TTE passphrase check: the count's row is held while a failure is
  counted, so each counts.
Queue numbers and task claims have their own: tests/e2e/test_queue.py and tests/unit/test_claims.py (forty_concurrent_claims).
"""

import asyncio
import dataclasses
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx
import pytest
from alembic import command
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from temporalio.testing import ActivityEnvironment

from activities.leave import LeaveActivities
from contracts import LeaveUpdate
from gateway.errors import DomainError, status_of
from gateway.services import applicants as applicant_service
from gateway.services import people
from gateway.services.people import office_today
from store.db import alembic_config, make_engine, migrate
from store.models import EmailCode, LeaveRequest, PermitApplication, SiramasakanRequest, Substitution, SurveyResponse, User, WalkInVisit
from store.settings import Settings
from tests.conftest import _DEMO_HASH, make_database
from tests.factories import COURT, PERMIT_OFFICE, future_working_range, leave_ids_apart, login, office_ids, working_days_from
from tests.pgserver import ThrowawayPostgres, postgres_available

APPLICANT = "3374010101900001"
AT_ONCE = 10

DATABASES = ["sqlite", pytest.param("postgresql", marks=[
    pytest.mark.postgres,
    pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed (make test installs them)")])]


@pytest.fixture(scope="module")
def pg_cluster():
    """One throwaway cluster for the module; every test gets a database of its own in it."""
    if not postgres_available():
        pytest.skip("PostgreSQL server binaries not installed")
    with ThrowawayPostgres() as pg:
        yield pg


@dataclass
class Office:
    http: httpx.AsyncClient
    sessionmaker: object
    settings: Settings


@pytest.fixture(params=DATABASES)
async def office(request, tmp_path, local_env):
    """The gateway in process over a fresh database with the demo organisation, starting its processes on the real
    dev server (on a task queue nobody serves: what is tested is what the gateway records)."""
    from gateway.app import create_app

    task_queue = f"rules-{uuid.uuid4().hex[:8]}"
    if request.param == "sqlite":
        database = await make_database(tmp_path, task_queue=task_queue)
        engine, sessionmaker, settings = database.engine, database.sessionmaker, database.settings
    else:
        pg = request.getfixturevalue("pg_cluster")
        name = f"rules_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(pg.dsn("postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        database = await make_database(tmp_path, database_url=pg.url_for(name), task_queue=task_queue)
        engine, sessionmaker, settings = database.engine, database.sessionmaker, database.settings
    await leave_ids_apart(sessionmaker)  # the dev server is the session's: no leave-N another test started
    if request.param != "sqlite":  # PostgreSQL's sequence does not move past an id given explicitly
        async with sessionmaker() as session:
            await session.execute(text("SELECT setval(pg_get_serial_sequence('leave_request', 'id'), (SELECT max(id) FROM leave_request))"))
            await session.commit()
    app = create_app(settings, temporal_client=local_env.client)
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=60) as http:
                yield Office(http=http, sessionmaker=sessionmaker, settings=settings)
    finally:
        await engine.dispose()


async def user_id(sessionmaker, username: str) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(User.id).where(User.username == username))


def leave_body(start: date, end: date, **extra) -> dict:
    return {"leave_type": "tahunan", "start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "Keperluan keluarga", **extra}


# --- leave: overlap, balance, the submit key ----------------------------------------------------------------------


async def test_ten_requests_for_the_same_dates_at_once_record_one(office):
    employee = await login(office.http, "pegawai1")
    start, end = future_working_range(3, weeks_ahead=6)
    answers = await asyncio.gather(*(office.http.post("/api/v1/leave-requests", headers=employee, json=leave_body(start, end))
                                     for _ in range(AT_ONCE)))
    assert sorted(a.status_code for a in answers) == [201] + [422] * (AT_ONCE - 1), [a.text for a in answers]
    [winner] = [a.json() for a in answers if a.status_code == 201]
    for refused in (a.json() for a in answers if a.status_code == 422):
        assert refused["code"] == "invalid" and refused["errors"][0]["field"] == "start_date", refused
        assert refused["detail"].startswith(f"Tanggal cuti bertumpuk dengan permohonan #{winner['id']} "), refused
    async with office.sessionmaker() as session:
        recorded = await session.scalar(select(func.count()).select_from(LeaveRequest).where(
            LeaveRequest.employee_id == await user_id(office.sessionmaker, "pegawai1"), LeaveRequest.start_date <= end,
            LeaveRequest.end_date >= start))
    assert recorded == 1


async def test_annual_requests_at_once_never_take_the_balance_below_zero(office):
    employee = await login(office.http, "pegawai2")
    year = office_today().year + 1
    before = (await office.http.get("/api/v1/leave-balance", headers=employee, params={"year": year})).json()
    days = before["available"] // 2 + 1  # any two of them are more than the balance; one fits
    ranges, start = [], date(year, 2, 1)
    for _ in range(4):
        first, last = working_days_from(start, days)
        ranges.append((first, last))
        start = last + timedelta(days=3)
    assert ranges[-1][1].year == year
    answers = await asyncio.gather(*(office.http.post("/api/v1/leave-requests", headers=employee, json=leave_body(s, e)) for s, e in ranges))
    assert sorted(a.status_code for a in answers) == [201, 422, 422, 422], [a.text for a in answers]
    left = before["available"] - days
    for refused in (a.json() for a in answers if a.status_code == 422):
        assert refused["detail"] == (f"Sisa cuti tahunan {year} tidak mencukupi: tersisa {left} hari kerja, diajukan {days} hari kerja."), refused
        assert refused["errors"][0]["field"] == "end_date"
    after = (await office.http.get("/api/v1/leave-balance", headers=employee, params={"year": year})).json()
    assert (after["pending"], after["available"]) == (before["pending"] + days, left) and after["available"] >= 0, after


async def test_one_submission_sent_ten_times_at_once_is_one_request(office):
    employee = await login(office.http, "pegawai1")
    start, end = future_working_range(2, weeks_ahead=10)
    key = {**employee, "Idempotency-Key": "cuti-dobel-klik"}
    answers = await asyncio.gather(*(office.http.post("/api/v1/leave-requests", headers=key, json=leave_body(start, end))
                                     for _ in range(AT_ONCE)))
    assert sorted(a.status_code for a in answers) == [200] * (AT_ONCE - 1) + [201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1


# --- the Plh. of an approved leave and a Plh. asked for by hand -------------------------------------------------------


async def test_a_plh_asked_for_by_hand_never_lands_beside_the_approved_leaves_plh(office):
    """The approved leave's Plh. is always recorded (the leave names it); one asked for by hand for the same days at the
    same moment is refused once the leave's is there, never recorded after it as though it were not."""
    sessionmaker = office.sessionmaker
    official, acting, other = [await user_id(sessionmaker, u) for u in ("atasan1", "atasan2", "pimpinan1")]
    court = (await office_ids(sessionmaker))[COURT]
    today = office_today()
    leaves = []
    async with sessionmaker() as session:
        for i in range(5):  # five leaves a fortnight apart, each raced by a Plh. by hand over the same days (10 Plh. at most)
            start = today + timedelta(days=3 + 14 * i)
            row = LeaveRequest(office_id=court, employee_id=official, leave_type="tahunan", start_date=start, end_date=start + timedelta(days=4),
                               working_days=5, reason="Cuti", substitute_id=acting, status="waiting_number", workflow_id=f"leave-plh-{i}")
            session.add(row)
            leaves.append(row)
        await session.commit()
    activities = LeaveActivities(sessionmaker)

    async def approve(leave: LeaveRequest) -> None:
        worker = ActivityEnvironment()  # the activity as the leave's run executes it
        worker.info = dataclasses.replace(worker.info, workflow_id=leave.workflow_id)
        await worker.run(activities.update_leave_request, LeaveUpdate(request_id=leave.id, status="approved", acting_official_id=acting))

    async def by_hand(leave: LeaveRequest) -> str:
        async with sessionmaker() as session:
            user = await session.get(User, official)
            try:
                await people.create_substitution(session, official=user, acting_username="pimpinan1", start_date=leave.start_date,
                                                 end_date=leave.end_date, reason="Dinas luar")
            except DomainError as exc:
                return exc.code
            return "created"

    outcomes = await asyncio.gather(*(job for leave in leaves for job in (approve(leave), by_hand(leave))))
    assert set(outcomes) <= {None, "created", "substitution_overlap"}, outcomes
    async with sessionmaker() as session:
        for leave in leaves:
            rows = list(await session.scalars(select(Substitution).where(
                Substitution.official_id == official, Substitution.start_date == leave.start_date).order_by(Substitution.id)))
            from_leave = [r for r in rows if r.leave_request_id == leave.id]
            manual = [r for r in rows if r.source == "manual"]
            assert len(from_leave) == 1 and from_leave[0].acting_id == acting and len(manual) <= 1, rows
            # A manual one stands only if it was recorded before the leave's (then the approved leave's takes over).
            assert not manual or (manual[0].acting_id == other and manual[0].id < from_leave[0].id), [(r.id, r.source) for r in rows]


# --- one survey per application -------------------------------------------------------------------------------------


async def finished_application(sessionmaker, username: str = APPLICANT) -> str:
    applicant = await user_id(sessionmaker, username)
    resi = uuid.uuid4().hex[:6].upper()
    permit_office = (await office_ids(sessionmaker))[PERMIT_OFFICE]
    async with sessionmaker() as session:
        session.add(PermitApplication(office_id=permit_office, resi=resi, applicant_id=applicant, agency_code="dpmptsp", permit_type="izin_reklame",
                                      request_kind="baru", status="finished", stage="issued", workflow_id=f"permit-{resi}",
                                      location={"street": "Jl. Pemuda 1"}))
        await session.commit()
    return resi


SURVEY = {"answers": {f"u{i}": 4 for i in range(1, 10)}, "integrity": {"i1": True, "i2": False, "i3": False, "i4": False, "i5": False,
                                                                      "i6": True, "i7": False, "i8": False, "i9": True}}


async def test_ten_surveys_at_once_for_one_application_record_one(office):
    applicant = await login(office.http, APPLICANT)
    resi = await finished_application(office.sessionmaker)
    answers = await asyncio.gather(*(office.http.post(f"/api/v1/permit-applications/{resi}/survey", headers=applicant, json=SURVEY)
                                     for _ in range(AT_ONCE)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * (AT_ONCE - 1), [a.text for a in answers]
    assert {(a.json()["code"], a.json()["detail"]) for a in answers if a.status_code == 409} == {
        ("survey_filled", "Survei untuk permohonan ini sudah diisi.")}
    # The page says the same: the one that loses the race is shown the form with the message, not an error page.
    resi = await finished_application(office.sessionmaker)
    form = {**{k: str(v) for k, v in SURVEY["answers"].items()}, **{k: "ya" if v else "tidak" for k, v in SURVEY["integrity"].items()},
            "declaration": "1"}
    pages = await asyncio.gather(*(office.http.post(f"/permohonan/{resi}/survei", headers=applicant, data=form) for _ in range(AT_ONCE)))
    assert sorted(p.status_code for p in pages) == [303] + [409] * (AT_ONCE - 1), [(p.status_code, p.text[:300]) for p in pages]
    assert all("Survei sudah diisi" in p.text and "Satu permohonan hanya dapat disurvei satu kali." in p.text
               for p in pages if p.status_code == 409)
    async with office.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(SurveyResponse)) == 2


# --- one resubmission per revision round ---------------------------------------------------------------------------


async def test_a_resubmission_sent_five_times_at_once_is_taken_once(office, local_env):
    """A permit returned for revision, fixed and sent five times at once: one is taken, the others are told it was
    already sent (409), none is an error (the unique (application_id, round) of the revisions used to surface as a 500)."""
    from tests.e2e.test_e2e_permit import application_body, stage_of, task_for, upload
    from workers.main import build_worker

    worker = build_worker(local_env.client, office.settings, office.sessionmaker)
    running = asyncio.get_running_loop().create_task(worker.run())
    try:
        applicant, verifier = await login(office.http, APPLICANT), await login(office.http, "verifikator1")
        names = ["surat_permohonan", "ktp", "npwp", "desain_reklame", "foto_lokasi", "denah_lokasi"]
        documents = {name: await upload(office.http, applicant, name) for name in names}
        created = await office.http.post("/api/v1/permit-applications", headers=applicant, json=application_body(documents))
        assert created.status_code == 201, created.text
        resi = created.json()["resi"]
        task = await task_for(office.http, verifier, resi, "verifikasi-1")
        returned = await office.http.post(f"/api/v1/tasks/{task['id']}/decision", headers=verifier,
                                          json={"outcome": "revise", "reason": "Naskah reklame belum sesuai desain"})
        assert returned.status_code == 200, returned.text
        await stage_of(office.http, applicant, resi, "revision")
        fixed = application_body(documents)
        fixed["details"]["naskah_reklame"] = "Diskon Akhir Tahun 50%"
        answers = await asyncio.gather(*(office.http.put(f"/api/v1/permit-applications/{resi}", headers=applicant, json=fixed)
                                         for _ in range(5)))
        assert sorted(a.status_code for a in answers) == [200, 409, 409, 409, 409], [a.text for a in answers]
        assert {a.json()["code"] for a in answers if a.status_code == 409} == {"already_resubmitted"}
        detail = (await office.http.get(f"/api/v1/permit-applications/{resi}", headers=applicant)).json()
        assert [r["round"] for r in detail["revisions"]] == [1, 2]
    finally:
        await worker.shutdown()
        await running


# --- one SIRAMASAKAN request under way per case and family card -------------------------------------------------------


CASE = {"case_number": "88/Pdt.G/2026/MS.Lsm", "kk_number": "1173010101200088",
        "changes": [{"nik": "1173014107800088", "kind": "status_perkawinan", "description": "Cerai gugat"}]}


async def test_ten_filings_for_one_case_and_card_at_once_start_one_request(office):
    applicant = await login(office.http, APPLICANT)
    answers = await asyncio.gather(*(office.http.post("/api/v1/siramasakan", headers=applicant, json=CASE) for _ in range(AT_ONCE)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * (AT_ONCE - 1), [a.text for a in answers]
    [code] = [a.json()["id"] for a in answers if a.status_code == 201]
    for refused in (a.json() for a in answers if a.status_code == 409):
        assert refused["code"] == "siramasakan_active" and refused["errors"][0]["field"] == "case_number", refused
        assert f"permohonan Anda {code} masih berjalan" in refused["detail"] and "88/Pdt.G/2026/MS.Lsm" in refused["detail"], refused
    # The other card of the same case is a request of its own; one submission sent twice at once is one request.
    other_card = {**CASE, "kk_number": "1173010101200089"}
    again = await asyncio.gather(*(office.http.post("/api/v1/siramasakan", headers={**applicant, "Idempotency-Key": "sira-kk-2"}, json=other_card)
                                   for _ in range(4)))
    assert sorted(a.status_code for a in again) == [200, 200, 200, 201] and len({a.json()["id"] for a in again}) == 1, [a.text for a in again]
    async with office.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(SiramasakanRequest)) == 2
    # Once the request has finished (done, refused or cancelled), the case and card may be filed again.
    async with office.sessionmaker() as session:
        row = await session.scalar(select(SiramasakanRequest).where(SiramasakanRequest.code == code))
        row.status, row.finished_at = "ditolak", row.created_at
        await session.commit()
    assert (await office.http.post("/api/v1/siramasakan", headers=applicant, json=CASE)).status_code == 201


# --- a queue number goes to one walk-in visit -----------------------------------------------------------------------


async def test_ten_registrations_with_one_queue_number_at_once_record_one_visit(office):
    ticket = (await office.http.post("/api/v1/queue/A/tickets")).json()
    front_office = await login(office.http, "fo1")
    body = {"service_code": "legalisir_ijazah", "visitor": {"name": "Siti Aminah", "phone": "081234567890"}, "queue_number": ticket["number"]}
    answers = await asyncio.gather(*(office.http.post("/api/v1/walk-ins", headers=front_office, json=body) for _ in range(AT_ONCE)))
    assert sorted(a.status_code for a in answers) == [201] + [422] * (AT_ONCE - 1), [a.text for a in answers]
    assert {a.json()["detail"] for a in answers if a.status_code == 422} == {f"Nomor antrian {ticket['number']} sudah dipakai untuk kunjungan lain."}
    async with office.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(WalkInVisit).where(WalkInVisit.queue_number == ticket["number"])) == 1
    # The same registration sent twice at once (one key) is one visit, not a refusal.
    second = (await office.http.post("/api/v1/queue/A/tickets")).json()
    keyed = {**front_office, "Idempotency-Key": "kunjungan-dobel"}
    twice = await asyncio.gather(*(office.http.post("/api/v1/walk-ins", headers=keyed, json={**body, "queue_number": second["number"]})
                                   for _ in range(3)))
    assert sorted(a.status_code for a in twice) == [200, 200, 201] and len({a.json()["id"] for a in twice}) == 1, [a.text for a in twice]


# --- one account per email address ----------------------------------------------------------------------------------


async def applicant_with_profile(sessionmaker, nik: str) -> None:
    from store.models import ApplicantProfile, UserRole

    async with sessionmaker() as session:
        user = User(username=nik, full_name="Siti Aminah", email=f"{nik}@contoh.id", phone="6281234500000", password_hash=_DEMO_HASH,
                    kind="applicant", roles=[UserRole(role="pemohon")])
        session.add(user)
        await session.flush()
        session.add(ApplicantProfile(user_id=user.id, nik=nik, gender="P", birth_date=date(1992, 5, 5), education="S1",
                                     address="Jl. Merdeka No. 1", province_code="33", regency_code="33.74", district_code="33.74.01",
                                     village_code="33.74.01.1007", postal_code="50132"))
        await session.commit()


def code_in(pending: applicant_service.PendingEmail) -> str:
    return re.search(r"\b(\d{6})\b", pending.message.body).group(1)


async def test_accounts_taking_one_address_at_once_end_with_one(office):
    niks = tuple(f"33740101019000{n}" for n in range(21, 26))
    for nik in niks:
        await applicant_with_profile(office.sessionmaker, nik)
    address = "bersama@contoh.id"
    codes = {}
    for nik in niks:
        async with office.sessionmaker() as session:
            user = await session.scalar(select(User).where(User.username == nik))
            codes[nik] = code_in(await applicant_service.prepare_code(session, office.settings, email=address,
                                                                      purpose=applicant_service.PURPOSE_EMAIL_CHANGE, user=user))
    # Each holds a live code for the address, as two asked for at the same moment leave them (the second replaces the
    # first only when it comes after it).
    async with office.sessionmaker() as session:
        await session.execute(update(EmailCode).where(EmailCode.email == address).values(used_at=None))
        await session.commit()
    headers = {nik: await login(office.http, nik) for nik in niks}
    answers = await asyncio.gather(*(office.http.put("/api/v1/profile", headers=headers[nik], json={"email": address, "email_code": codes[nik]})
                                     for nik in niks))
    assert sorted(a.status_code for a in answers) == [200] + [422] * (len(niks) - 1), [a.text for a in answers]
    for refused in (a.json() for a in answers if a.status_code == 422):
        assert refused["errors"] == [{"field": "email", "message": applicant_service.MSG_EMAIL_TAKEN}], refused
    async with office.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == address)) == 1
    # Signing in with the address names one account.
    signed_in = await office.http.post("/api/v1/auth/login", json={"username": address.upper(), "password": "Demo12345"})
    assert signed_in.status_code == 200, signed_in.text


async def test_a_pin_asked_for_twice_at_once_resets_the_password_once(office):
    async def ask() -> str:
        async with office.sessionmaker() as session:
            user = await session.scalar(select(User).where(User.username == APPLICANT))
            return code_in(await applicant_service.prepare_code(session, office.settings, email=user.email.lower(),
                                                                purpose=applicant_service.PURPOSE_RESET, user=user))

    pins = await asyncio.gather(ask(), ask())

    async def reset(pin: str, password: str) -> bool:
        async with office.sessionmaker() as session:
            try:
                await applicant_service.reset_password(session, office.settings, nik=APPLICANT, pin=pin, new_password=password,
                                                       client_ip="203.0.113.9")
            except DomainError as exc:
                assert exc.errors == [{"field": "pin", "message": applicant_service.MSG_PIN_WRONG}], exc.errors
                return False
            return True

    done = [await reset(pin, f"Baru{n}Sekali99") for n, pin in enumerate(pins * 2)]
    assert done.count(True) == 1, done
    async with office.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(EmailCode).where(EmailCode.used_at.is_(None))) == 0


# --- failures counted by the throttle -------------------------------------------------------------------------------


async def test_thirty_failures_at_once_count_thirty(office):
    """Wrong passwords (or codes) sent together each count, so the slow-down comes when the policy says (on SQLite they
    all read one count and wrote it back plus one: 30 at once counted 3)."""
    from gateway.services import throttle
    from store.models import Throttle

    policy = throttle.Policy(limit=20, window=timedelta(minutes=15), block=timedelta(minutes=2))

    async def fail() -> None:
        async with office.sessionmaker() as session:
            await throttle.fail(session, "login:user:serbu", policy)

    await asyncio.gather(*(fail() for _ in range(30)))  # from no row: the first ones race to insert it
    async with office.sessionmaker() as session:
        row = await session.get(Throttle, "login:user:serbu")
        assert row.failures == 30 and row.blocked_until is not None, (row.failures, row.blocked_until)
        with pytest.raises(DomainError) as blocked:
            await throttle.check(session, "login:user:serbu")
    assert status_of(blocked.value) == 429 and blocked.value.code == "throttled"


async def test_wrong_tte_passphrases_sent_at_once_each_count(office):
    """The head's TTE passphrase is guessed eight times at once. Each guess tried is counted in turn, so exactly four
    are told the passphrase is wrong and the rest that the signer is blocked (five block), and the right passphrase
    right after is refused too. (The count was read once per guess and written back plus one: guesses sent together
    counted as one, and two first guesses at once both inserted it.)"""
    from signing.officials import MAX_WRONG_PASSPHRASES, TOO_MANY_ATTEMPTS, WRONG_PASSPHRASE, SigningPassphraseError, authorize_signing
    from store.models import Throttle

    signer = await user_id(office.sessionmaker, "kepala1")

    async def sign(passphrase: str) -> str:
        async with office.sessionmaker() as session:
            user = await session.get(User, signer)
            try:
                await authorize_signing(session, office.settings, signer=user, passphrase=passphrase)
            except SigningPassphraseError as exc:
                return str(exc)
            return "signed"

    answers = await asyncio.gather(*(sign("bukan-passphrase") for _ in range(8)))
    assert sorted(answers) == sorted([WRONG_PASSPHRASE] * (MAX_WRONG_PASSPHRASES - 1) + [TOO_MANY_ATTEMPTS] * (9 - MAX_WRONG_PASSPHRASES)), answers
    async with office.sessionmaker() as session:
        row = await session.get(Throttle, f"tte:{signer}")
        # Guesses that came once the block was written are refused before they are tried, and not counted.
        assert MAX_WRONG_PASSPHRASES <= row.failures <= 8 and row.blocked_until is not None, (row.failures, row.blocked_until)
    assert await sign("Demo12345") == TOO_MANY_ATTEMPTS


# --- the migration that brings the two indexes to an existing database ------------------------------------------------


@pytest.fixture(params=DATABASES)
async def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'lama.db'}")
    else:
        pg = request.getfixturevalue("pg_cluster")
        name = f"upgrade_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(pg.dsn("postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        engine = make_engine(pg.url_for(name))
    yield engine
    await engine.dispose()


async def to_revision(engine, revision: str, *, down: bool = False) -> None:
    def work(conn) -> None:
        config = alembic_config()
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)

    await migrate(engine, work)


async def version_and_indexes(engine) -> tuple[str, set[str]]:
    async with engine.connect() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        listing = ("SELECT name FROM sqlite_master WHERE type = 'index'" if conn.dialect.name == "sqlite"
                   else "SELECT indexname FROM pg_indexes")  # SQLAlchemy does not reflect an index on lower(email)
        names = set((await conn.execute(text(listing))).scalars())
    return version, names


async def test_the_upgrade_stops_on_rows_that_break_a_rule_and_adds_the_indexes_once_they_are_settled(empty_engine):
    """A database of the release before (revision 0003) with two accounts on one address and two requests under way
    for one case and card: the upgrade refuses, naming them, and changes nothing; settled, it upgrades with every row
    kept, and the indexes refuse a second address and a second request under way."""
    engine = empty_engine
    await to_revision(engine, "0003")
    # Plain values, as the release before wrote them (SQLite keeps UTC without a zone).
    moment = datetime(2026, 1, 1) if engine.dialect.name == "sqlite" else datetime(2026, 1, 1, tzinfo=UTC)
    users = [(1, "pegawai9", "Sama@Contoh.id"), (2, "3374010101900031", "sama@contoh.id"), (3, "3374010101900032", "lain@contoh.id"),
             (4, "pegawai8", None), (5, "pegawai7", None)]
    requests = [(1, "S00001", None), (2, "S00002", None), (3, "S00003", moment)]
    async with engine.begin() as conn:
        for uid, username, email in users:
            await conn.execute(text("INSERT INTO app_user (id, username, full_name, email, password_hash, is_active, kind, created_at, "
                                    "token_version) VALUES (:id, :u, 'Nama', :e, 'x', true, 'staff', :at, 0)"),
                               {"id": uid, "u": username, "e": email, "at": moment})
        for rid, code, finished in requests:
            await conn.execute(text(
                "INSERT INTO siramasakan_request (id, code, workflow_id, applicant_id, case_number, kk_number, changes, status, stage, "
                "documents_to_collect, reminders_sent, created_at, finished_at) VALUES (:id, :code, :wf, 3, '5/Pdt.G/2026/MS.Lsm', "
                "'1173010101200005', '[]', 'menunggu_putusan', 'case_completion', '[]', 0, :at, :f)"),
                {"id": rid, "code": code, "wf": f"siramasakan-{code}", "at": moment, "f": finished})

    with pytest.raises(RuntimeError) as refused:
        await to_revision(engine, "head")
    message = str(refused.value)
    assert message.startswith("Migrasi ditolak, belum ada yang diubah: beberapa akun memakai alamat email yang sama") and "sama@contoh.id, 2" in message
    version, names = await version_and_indexes(engine)
    assert version == "0003" and not {"uq_app_user_email_lower", "uq_siramasakan_active_case"} & names

    async with engine.begin() as conn:
        await conn.execute(text("UPDATE app_user SET email = NULL WHERE id = 1"))
    with pytest.raises(RuntimeError, match=r"beberapa permohonan SIRAMASAKAN yang masih berjalan .*5/Pdt\.G/2026/MS\.Lsm, 1173010101200005, 2"):
        await to_revision(engine, "head")

    async with engine.begin() as conn:
        await conn.execute(text("UPDATE siramasakan_request SET finished_at = :at, status = 'dibatalkan' WHERE id = 2"), {"at": moment})
    await to_revision(engine, "0004")
    version, names = await version_and_indexes(engine)
    assert version == "0004" and {"uq_app_user_email_lower", "uq_siramasakan_active_case"} <= names
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM app_user"))).scalar() == len(users)
        assert (await conn.execute(text("SELECT count(*) FROM siramasakan_request"))).scalar() == len(requests)
    for statement in ("UPDATE app_user SET email = 'LAIN@contoh.id' WHERE id = 4",
                      "UPDATE siramasakan_request SET finished_at = NULL WHERE id = 3"):
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
    # A finished request does not count: the case and card may be filed again.
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE siramasakan_request SET finished_at = :at WHERE id = 1"), {"at": moment})
        await conn.execute(text("UPDATE siramasakan_request SET finished_at = NULL WHERE id = 3"))
    await to_revision(engine, "0003", down=True)
    assert not {"uq_app_user_email_lower", "uq_siramasakan_active_case"} & (await version_and_indexes(engine))[1]
