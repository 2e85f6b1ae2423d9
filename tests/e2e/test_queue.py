"""The queue (nomor antrian) and the counters (loket), as the kiosk, the counter staff and the waiting room see them.

Numbers per group and day, restarting at local midnight (Asia/Jakarta); many kiosk presses at once never share
or skip a number; a counter calls the oldest waiting visitor of its own groups only; recall and skip; the refusals
with their Bahasa messages; the pages over HTTP; and in Chromium: a ticket taken at the kiosk, called from
Loket 2, shows on the waiting-room display after the display's own refresh.
"""

import asyncio
import re
from datetime import UTC, date, datetime

import httpx
import pytest
from playwright.async_api import expect
from sqlalchemy import select

from cli.seed import seed_demo
from gateway.errors import DomainError, status_of
from gateway.services import queue as queue_service
from store.db import create_schema, make_engine, make_sessionmaker
from store.models import QueueTicket, User
from tests.chromium import PHONE, assert_fits_the_screen, sign_in
from tests.conftest import _DEMO_HASH
from tests.factories import login
from tests.pgserver import ThrowawayPostgres, postgres_available


async def take(client: httpx.AsyncClient, group: str) -> dict:
    response = await client.post(f"/api/v1/queue/{group}/tickets")
    assert response.status_code == 201, response.text
    return response.json()


async def call(client: httpx.AsyncClient, headers: dict, counter: str, action: str = "call-next") -> httpx.Response:
    return await client.post(f"/api/v1/counters/{counter}/{action}", headers=headers)


def assert_error(response: httpx.Response, status: int, detail: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    if detail is not None:
        assert body["detail"] == detail


# --- numbering ------------------------------------------------------------------------------------


async def test_numbers_count_per_group_and_tell_how_many_wait_before(client):
    first, second, other = await take(client, "A"), await take(client, "A"), await take(client, "B")
    assert [first["number"], second["number"], other["number"]] == ["A-001", "A-002", "B-001"]
    assert [first["waiting_before"], second["waiting_before"], other["waiting_before"]] == [0, 1, 0]
    assert first["group_name"] == "Pendidikan dan Layanan Umum" and other["group_name"] == "Bimas Islam, Haji dan Umrah"
    assert first["service_day"] == queue_service.service_day().isoformat()
    assert set(first) == {"id", "number", "service_group", "group_name", "service_day", "waiting_before"}
    # A lower-case code from a hand-typed URL is the same group.
    assert (await take(client, "a"))["number"] == "A-003"


async def test_numbers_restart_at_midnight_in_the_office_time_zone(db):
    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    async with db.sessionmaker() as session:
        taken = [await queue_service.take_ticket(session, group_code="A", client_ip=None, now=at(moment))
                 for moment in ("2026-11-22T23:30:00",   # 06.30 WIB on the 23rd
                                "2026-11-23T00:30:00",   # the UTC date changes, the office's does not
                                "2026-11-23T16:59:00",   # 23.59 WIB
                                "2026-11-23T17:01:00")]  # 00.01 WIB on the 24th: a new day, a new sequence
    assert [(t.number, t.service_day) for t, _ in taken] == [
        ("A-001", date(2026, 11, 23)), ("A-002", date(2026, 11, 23)), ("A-003", date(2026, 11, 23)), ("A-001", date(2026, 11, 24))]


async def test_many_kiosk_presses_at_once_get_distinct_numbers_without_gaps(client, db):
    responses = await asyncio.gather(*(client.post(f"/api/v1/queue/{'A' if i % 4 else 'B'}/tickets") for i in range(44)))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201]
    numbers = [r.json()["number"] for r in responses]
    assert sorted(n for n in numbers if n.startswith("A")) == [f"A-{i:03d}" for i in range(1, 34)]
    assert sorted(n for n in numbers if n.startswith("B")) == [f"B-{i:03d}" for i in range(1, 12)]
    async with db.sessionmaker() as session:
        rows = (await session.scalars(select(QueueTicket))).all()
    assert len(rows) == 44 and len({(r.group_code, r.sequence) for r in rows}) == 44

    # Two counters pressing Panggil Berikutnya at the same moment never call the same visitor.
    fo1, supervisor = await login(client, "fo1"), await login(client, "supervisor1")
    calls = await asyncio.gather(call(client, fo1, "1"), call(client, supervisor, "2"), call(client, fo1, "3"))
    assert all(r.status_code == 200 for r in calls)
    assert len({r.json()["number"] for r in calls}) == 3


@pytest.mark.postgres
@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed (make test installs them)")
async def test_concurrent_tickets_and_calls_on_postgresql():
    """PostgreSQL lets two transactions read the same max: the unique constraint and the retry keep numbers
    distinct and gap-free, and the conditional UPDATE keeps two counters from calling the same visitor."""
    with ThrowawayPostgres() as pg:
        engine = make_engine(pg.url)
        await create_schema(engine)
        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            await seed_demo(session, _DEMO_HASH)
            staff = await session.scalar(select(User).where(User.username == "fo1"))

        async def take_one(group: str) -> str:
            async with sessionmaker() as session:
                return (await queue_service.take_ticket(session, group_code=group, client_ip=None))[0].number

        numbers = await asyncio.gather(*(take_one("A") for _ in range(40)))
        assert sorted(numbers) == [f"A-{i:03d}" for i in range(1, 41)]

        async def drain(counter: str) -> list[str]:
            called = []
            while True:
                async with sessionmaker() as session:
                    try:
                        called.append((await queue_service.call_next(session, staff=staff, counter_code=counter)).number)
                    except DomainError as exc:
                        assert status_of(exc) == 409
                        return called

        by_counter = await asyncio.gather(drain("1"), drain("2"))
        everyone = by_counter[0] + by_counter[1]
        assert sorted(everyone) == sorted(numbers)  # each visitor called once, by one counter
        await engine.dispose()


# --- calling ---------------------------------------------------------------------------------------


async def test_call_next_is_first_come_first_served_across_the_counters_groups_only(client):
    fo1 = await login(client, "fo1")
    for group in ("B", "A", "B", "A"):  # taken in this order: B-001, A-001, B-002, A-002
        await take(client, group)

    first = await call(client, fo1, "1")  # Loket 1 serves group A only: B-001 waits for another counter
    assert first.status_code == 200 and first.json()["number"] == "A-001"
    assert first.json()["status"] == "called" and first.json()["counter"] == "1" and first.json()["counter_name"] == "Loket 1"
    assert [(await call(client, fo1, "2")).json()["number"] for _ in range(2)] == ["B-001", "B-002"]
    assert (await call(client, fo1, "1")).json()["number"] == "A-002"

    # Nobody left: 409 with the counter's name, and the visitor just served is recorded as served.
    assert_error(await call(client, fo1, "1"), 409, "Tidak ada antrean yang menunggu untuk Loket 1.")
    assert_error(await call(client, fo1, "3"), 409, "Tidak ada antrean yang menunggu untuk Loket 3.")
    board = (await client.get("/api/v1/counters/1/board", headers=fo1)).json()
    assert board["current"] is None and board["waiting"] == 0
    assert [(t["number"], t["status"]) for t in board["tickets"]] == [("A-002", "served"), ("A-001", "served")]
    # Loket 2 still serves B-002 until it calls the next one.
    display = (await client.get("/api/v1/queue/display")).json()
    assert {c["code"]: (c["current"] or {}).get("number") for c in display["counters"]} == {"1": None, "2": "B-002", "3": None}

    # A ticket taken now for group B is Loket 3's, not Loket 1's.
    await take(client, "B")
    assert_error(await call(client, fo1, "1"), 409)
    assert (await call(client, fo1, "3")).json()["number"] == "B-003"


async def test_recall_shows_the_number_again_and_skip_frees_the_counter(client):
    fo1 = await login(client, "fo1")
    assert_error(await call(client, fo1, "2", "recall"), 409,
                 "Belum ada nomor yang sedang dipanggil di Loket 2. Tekan Panggil Berikutnya terlebih dahulu.")
    assert_error(await call(client, fo1, "2", "skip"), 409)
    await take(client, "A")
    await take(client, "B")
    called = (await call(client, fo1, "2")).json()
    assert (await call(client, fo1, "3")).json()["number"] == "B-001"  # another counter calls someone after it
    display = (await client.get("/api/v1/queue/display")).json()
    assert display["recent"][0]["number"] == "B-001" and display["recent"][1]["number"] == "A-001"

    recalled = await call(client, fo1, "2", "recall")
    assert recalled.status_code == 200
    assert recalled.json()["number"] == "A-001" and recalled.json()["recall_count"] == 1
    assert recalled.json()["called_at"] > called["called_at"]
    display = (await client.get("/api/v1/queue/display")).json()
    # The display shows the recalled number as the newest call again, at its counter.
    assert display["recent"][0] == {**display["recent"][0], "number": "A-001", "counter": "2", "recall_count": 1}
    loket2 = next(c for c in display["counters"] if c["code"] == "2")
    assert loket2["current"]["number"] == "A-001" and loket2["current"]["recall_count"] == 1

    skipped = await call(client, fo1, "2", "skip")
    assert skipped.status_code == 200 and skipped.json()["status"] == "skipped" and skipped.json()["number"] == "A-001"
    board = (await client.get("/api/v1/counters/2/board", headers=fo1)).json()
    assert board["current"] is None and [(t["number"], t["status"]) for t in board["tickets"]] == [("A-001", "skipped")]
    assert_error(await call(client, fo1, "2", "recall"), 409)
    # The skipped visitor is not called again; the next call goes on.
    await take(client, "A")
    assert (await call(client, fo1, "2")).json()["number"] == "A-002"


async def test_who_may_call_and_what_is_refused(client):
    await take(client, "A")
    assert_error(await client.post("/api/v1/counters/1/call-next"), 401)
    for username in ("pegawai1", "bo1"):  # an employee; the back office does not work the counter
        assert_error(await call(client, await login(client, username), "1"), 403,
                     "Layar loket hanya untuk petugas informasi, front office, dan supervisor PTSP.")
    info = await login(client, "info1")
    assert_error(await call(client, info, "9"), 404, "Loket tidak ditemukan.")
    assert_error(await call(client, info, "2", "recall"), 409)
    assert_error(await client.post("/api/v1/queue/Z/tickets"), 404, "Kelompok layanan antrean tidak ditemukan.")
    assert (await call(client, info, "1")).json()["number"] == "A-001"  # the info desk may call
    assert (await call(client, await login(client, "supervisor1"), "1")).status_code == 409  # and the supervisor


async def test_counters_and_display_shape(client):
    counters = (await client.get("/api/v1/counters")).json()
    assert counters == [{"code": "1", "name": "Loket 1", "groups": ["A"]}, {"code": "2", "name": "Loket 2", "groups": ["A", "B"]},
                        {"code": "3", "name": "Loket 3", "groups": ["B"]}]
    for _ in range(3):
        await take(client, "A")
    await take(client, "B")
    await call(client, await login(client, "fo1"), "1")
    display = (await client.get("/api/v1/queue/display")).json()
    assert display["service_day"] == queue_service.service_day().isoformat()
    assert display["waiting"] == [{"group": "A", "name": "Pendidikan dan Layanan Umum", "count": 2},
                                  {"group": "B", "name": "Bimas Islam, Haji dan Umrah", "count": 1}]
    loket1 = display["counters"][0]
    assert loket1["code"] == "1" and loket1["name"] == "Loket 1"
    assert set(loket1["current"]) >= {"number", "called_at", "recall_count"} and loket1["current"]["number"] == "A-001"
    assert len(display["recent"]) == 1


async def test_the_kiosk_is_throttled_per_address(client):
    for _ in range(queue_service.KIOSK_IP.limit):
        await take(client, "A")
    refused = await client.post("/api/v1/queue/A/tickets")
    assert_error(refused, 429)
    assert "Terlalu banyak percobaan" in refused.json()["detail"]


# --- the pages over HTTP ---------------------------------------------------------------------------


async def page_login(client: httpx.AsyncClient, username: str) -> None:
    response = await client.post("/masuk", data={"username": username, "password": "Demo12345", "next": "/"})
    assert response.status_code == 303, response.text


async def test_kiosk_ticket_and_counter_pages(client):
    kiosk = await client.get("/antrian")
    assert kiosk.status_code == 200
    assert "Ambil Nomor Antrian — Pendidikan dan Layanan Umum" in kiosk.text and "Ambil Nomor Antrian — Bimas Islam, Haji dan Umrah" in kiosk.text
    await take(client, "A")
    taken = await client.post("/antrian/A")
    assert taken.status_code == 303 and re.fullmatch(r"/antrian/tiket/\d+", taken.headers["location"])
    ticket = await client.get(taken.headers["location"])
    assert "A-002" in ticket.text and "1</strong> orang menunggu sebelum Anda" in ticket.text and 'href="/antrian">Selesai' in ticket.text
    assert (await client.get("/antrian/tiket/999999")).status_code == 404
    assert (await client.post("/antrian/Z")).status_code == 404

    # The counter screen: sign-in first, counter staff only.
    assert (await client.get("/loket?loket=2")).status_code == 303
    await page_login(client, "pegawai1")
    assert (await client.get("/loket?loket=2")).status_code == 403
    await page_login(client, "fo1")
    chooser = await client.get("/loket")
    assert "Pilih Loket" in chooser.text
    board = await client.get("/loket?loket=2")
    assert board.status_code == 200 and "satupintu_loket=2" in board.headers["set-cookie"]
    assert "2</strong> orang" in board.text
    called = await client.post("/loket/2/panggil")
    assert called.status_code == 303 and called.headers["location"] == "/loket?loket=2&pesan=dipanggil"
    assert "Nomor berikutnya telah dipanggil" in (await client.get(called.headers["location"])).text
    board = await client.get("/loket")  # the cookie remembers Loket 2
    assert "<h1>Loket 2" in board.text
    assert 'href="/kunjungan/baru?antrian=A-001"' in board.text
    await client.post("/loket/2/panggil")
    refused = await client.post("/loket/2/panggil")
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    assert "Tidak ada antrean yang menunggu untuk Loket 2." in refused.text
    unknown = await client.get("/loket?loket=7")
    assert unknown.status_code == 404 and "Loket &#34;7&#34; tidak ada" in unknown.text


async def test_display_fragment_announces_only_a_new_call(client, db):
    page = await client.get("/antrian/layar")
    assert page.status_code == 200 and 'aria-live="polite"' in page.text and "Belum ada panggilan hari ini." in page.text
    hx = {"HX-Request": "true"}
    quiet = await client.get("/antrian/layar/data", params={"terakhir": ""}, headers=hx)
    assert 'id="layar-data"' in quiet.text and "hx-swap-oob" not in quiet.text
    await take(client, "B")
    await call(client, await login(client, "fo1"), "3")
    fresh = await client.get("/antrian/layar/data", params={"terakhir": ""}, headers=hx)
    assert 'hx-swap-oob="innerHTML"' in fresh.text and "B-001" in fresh.text
    # The next poll carries the key of the call it has announced, and stays quiet.
    key = re.search(r'hx-get="/antrian/layar/data\?terakhir=([^"]+)"', fresh.text).group(1)
    again = await client.get(f"/antrian/layar/data?terakhir={key}", headers=hx)
    assert "hx-swap-oob" not in again.text and "B-001" in again.text
    assert (await client.get("/antrian/layar/data")).status_code == 303  # not htmx: the whole page instead


# --- in the browser --------------------------------------------------------------------------------


@pytest.mark.browser
async def test_a_ticket_called_at_loket_2_shows_on_the_waiting_room_display(browser, live_stack):
    # The stack is shared by the session: call away anyone an earlier test left waiting for Loket 2.
    async with httpx.AsyncClient(base_url=live_stack.base_url) as api:
        staff = await login(api, "fo1")
        while (await call(api, staff, "2")).status_code == 200:
            pass

    counter, desk = await sign_in(browser, live_stack.base_url, "fo1")
    await desk.goto("/loket?loket=2")
    await expect(desk.get_by_role("heading", level=1)).to_contain_text("Loket 2")

    kiosk_context = await browser.new_context(viewport=PHONE, base_url=live_stack.base_url)
    kiosk = await kiosk_context.new_page()
    await kiosk.goto("/antrian")
    await kiosk.get_by_role("button", name="Ambil Nomor Antrian — Bimas Islam, Haji dan Umrah").click()
    await expect(kiosk.get_by_role("heading", name="Nomor Antrian")).to_be_visible()
    number = (await kiosk.locator(".queue-number").inner_text()).strip()
    assert re.fullmatch(r"B-\d{3}", number)
    await expect(kiosk.get_by_text("orang menunggu sebelum Anda")).to_be_visible()
    await assert_fits_the_screen(kiosk)

    tv_context = await browser.new_context(viewport={"width": 1366, "height": 768}, base_url=live_stack.base_url)
    tv = await tv_context.new_page()
    await tv.goto("/antrian/layar")
    await expect(tv.get_by_role("heading", name="Antrian Layanan PTSP")).to_be_visible()
    await expect(tv.locator("#loket-2")).not_to_contain_text(number)

    # The desk's page was opened before the ticket existed; its waiting count catches up by itself.
    await expect(desk.locator("#status-loket")).to_contain_text("1 orang")
    await desk.get_by_role("button", name="Panggil Berikutnya").click()
    await expect(desk.get_by_role("status").first).to_contain_text("Nomor berikutnya telah dipanggil")
    await expect(desk.locator(".queue-now-number")).to_have_text(number)
    await expect(desk.get_by_role("link", name="Daftarkan kunjungan")).to_have_attribute("href", f"/kunjungan/baru?antrian={number}")

    # The display refreshes itself (htmx, every 3 s): the number at Loket 2, highlighted and announced.
    await expect(tv.locator("#loket-2")).to_contain_text(number, timeout=15_000)
    await expect(tv.locator("#loket-2")).to_have_class(re.compile("is-latest"))
    await expect(tv.locator("#panggilan-terakhir")).to_contain_text(number)
    await expect(tv.locator("#panggilan-terakhir")).to_contain_text("Loket 2")

    # Nobody else waits for Loket 2: the next press says so on the page.
    await desk.get_by_role("button", name="Panggil Berikutnya").click()
    await expect(desk.get_by_role("alert")).to_contain_text("Tidak ada antrean yang menunggu untuk Loket 2.")
    for context in (counter, kiosk_context, tv_context):
        await context.close()
