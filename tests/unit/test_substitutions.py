"""Issue 14 items 14 and 15: an acting official (Plh.) covers a leave or an official trip, so its dates are bounded
(from today, at most a year ahead, at most 90 days), an official has one Plh. on any day and a bounded number still
to come, checked under a lock so two requests at once cannot both pass (SQLite and PostgreSQL); and the staff
directory behind the Plh. and delegation pickers is for staff only."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gateway.errors import DomainError
from gateway.services import people
from gateway.services.people import SUBSTITUTION_MAX_PLANNED, office_today
from store.models import Substitution, User
from tests.factories import login
from tests.pgserver import demo_postgres, postgres_available

APPLICANT = "3374010101900001"


def body(start, end, acting: str = "atasan2", reason: str = "Dinas luar ke Banda Aceh") -> dict:
    return {"acting_username": acting, "start_date": start.isoformat(), "end_date": end.isoformat(), "reason": reason}


async def count(sessionmaker, username: str = "atasan1") -> int:
    async with sessionmaker() as session:
        uid = await session.scalar(select(User.id).where(User.username == username))
        return await session.scalar(select(func.count()).select_from(Substitution).where(Substitution.official_id == uid))


async def test_dates_far_outside_a_leave_or_a_trip_are_refused_naming_the_field(client, db):
    official = await login(client, "atasan1")
    today = office_today()
    cases = [
        (body(today.replace(year=1, month=1, day=1), today), "start_date", "sebelum hari ini"),
        (body(today, today.replace(year=9999, month=12, day=31)), "end_date", "paling lama 90 hari"),
        (body(today - timedelta(days=1), today + timedelta(days=2)), "start_date", "sebelum hari ini"),
        (body(today + timedelta(days=366), today + timedelta(days=367)), "start_date", "satu tahun"),
        (body(today + timedelta(days=5), today + timedelta(days=4)), "end_date", "sebelum tanggal mulai"),
    ]
    for payload, field, words in cases:
        refused = await client.post("/api/v1/substitutions", headers=official, json=payload)
        assert refused.status_code == 422, (payload, refused.text)
        assert words in refused.json()["detail"] and refused.json()["errors"][0]["field"] == field, refused.json()
    assert await count(db.sessionmaker) == 0
    longest = await client.post("/api/v1/substitutions", headers=official, json=body(today + timedelta(days=365), today + timedelta(days=454)))
    assert longest.status_code == 201, longest.text


async def test_one_plh_per_official_per_day_naming_the_existing_one(client, db):
    official = await login(client, "atasan1")
    today = office_today()
    first = await client.post("/api/v1/substitutions", headers=official, json=body(today + timedelta(days=1), today + timedelta(days=5)))
    assert first.status_code == 201, first.text
    overlap = await client.post("/api/v1/substitutions", headers=official,
                                json=body(today + timedelta(days=5), today + timedelta(days=8), acting="pimpinan1"))
    assert overlap.status_code == 409 and overlap.json()["code"] == "substitution_overlap"
    detail = overlap.json()["detail"]
    assert f"#{first.json()['id']}" in detail and first.json()["acting"] in detail, detail
    assert (today + timedelta(days=1)).strftime("%d-%m-%Y") in detail
    assert await count(db.sessionmaker) == 1
    # The day after is free; once the first is cancelled, its days are free again.
    assert (await client.post("/api/v1/substitutions", headers=official, json=body(today + timedelta(days=6), today + timedelta(days=6)))).status_code == 201
    assert (await client.delete(f"/api/v1/substitutions/{first.json()['id']}", headers=official)).status_code == 200
    again = await client.post("/api/v1/substitutions", headers=official, json=body(today + timedelta(days=3), today + timedelta(days=5), acting="pimpinan1"))
    assert again.status_code == 201, again.text
    # The page says the same, by the field.
    page = await client.post("/plh", headers=official, data=body(today + timedelta(days=4), today + timedelta(days=4)))
    assert page.status_code == 409 and "Sudah ada Plh. untuk Anda" in page.text and 'id="start_date-galat"' in page.text


async def test_a_plh_is_a_colleague_of_the_officials_own_office(client, db):
    official = await login(client, "atasan1")
    tomorrow = office_today() + timedelta(days=1)
    for stranger in ("kepala1", "kakan1", "admin"):  # the permit office's head, the Kemenag office's, the installation's admin
        refused = await client.post("/api/v1/substitutions", headers=official, json=body(tomorrow, tomorrow, acting=stranger))
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "acting_username", refused.text
        assert f"Pegawai '{stranger}' tidak ditemukan." in refused.text
    assert await count(db.sessionmaker) == 0


async def test_an_official_holds_a_bounded_number_of_plh_still_to_come(client, db):
    official = await login(client, "atasan1")
    today = office_today()
    for i in range(SUBSTITUTION_MAX_PLANNED):
        day = today + timedelta(days=7 * i + 1)
        assert (await client.post("/api/v1/substitutions", headers=official, json=body(day, day))).status_code == 201
    day = today + timedelta(days=200)
    refused = await client.post("/api/v1/substitutions", headers=official, json=body(day, day))
    assert refused.status_code == 409 and refused.json()["code"] == "substitution_limit", refused.text
    assert await count(db.sessionmaker) == SUBSTITUTION_MAX_PLANNED


async def test_two_overlapping_requests_at_once_store_one(client, db):
    official = await login(client, "atasan1")
    today = office_today()
    answers = await asyncio.gather(*(
        client.post("/api/v1/substitutions", headers=official,
                    json=body(today + timedelta(days=2 + i % 3), today + timedelta(days=6), acting=("atasan2", "pimpinan1")[i % 2]))
        for i in range(8)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7, [a.text for a in answers]
    assert await count(db.sessionmaker) == 1


async def test_applicants_have_no_plh_and_no_staff_directory(client, db):
    applicant = await login(client, APPLICANT)
    today = office_today()
    colleagues = await client.get("/api/v1/colleagues", headers=applicant)
    assert colleagues.status_code == 403 and colleagues.json()["code"] == "forbidden", colleagues.text
    assert "atasan" not in colleagues.text
    plh = await client.post("/api/v1/substitutions", headers=applicant, json=body(today + timedelta(days=1), today + timedelta(days=2)))
    assert plh.status_code == 403
    assert (await client.get("/plh", headers=applicant)).status_code == 403
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Substitution)) == 0
    # Staff get the names to pick from, and nothing more.
    staff = await client.get("/api/v1/colleagues", headers=await login(client, "atasan1"))
    assert staff.status_code == 200 and {"atasan2", "pimpinan1"} <= {c["username"] for c in staff.json()}
    # Their own office's staff: not another office's, nor the installation's administrator (who works in none).
    assert not {"kepala1", "kakan1", "admin", "admin_dpmptsp"} & {c["username"] for c in staff.json()}
    assert {key for c in staff.json() for key in c} == {"username", "full_name", "position"}


@pytest.mark.postgres
@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed (make test installs them)")
async def test_overlapping_requests_at_once_store_one_on_postgresql():
    async with demo_postgres() as (_, sessionmaker):
        today = office_today()

        async def one(i: int) -> str:
            async with sessionmaker() as session:
                official = await session.scalar(select(User).where(User.username == "atasan1"))
                try:
                    await people.create_substitution(session, official=official, acting_username=("atasan2", "pimpinan1")[i % 2],
                                                     start_date=today + timedelta(days=1 + i % 4), end_date=today + timedelta(days=9),
                                                     reason="Perjalanan dinas")
                    return "created"
                except DomainError as exc:
                    return exc.code

        outcomes = await asyncio.gather(*(one(i) for i in range(20)))
        assert sorted(outcomes) == ["created"] + ["substitution_overlap"] * 19, outcomes
        assert await count(sessionmaker) == 1
