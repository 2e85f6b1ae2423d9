"""What every browser test shares: Debian's Chromium with the flags it needs here, the two screen sizes the pages
are checked at, signing in as a demo account, and the checks a page must pass at any width. The session's browser
itself is the `browser` fixture (tests/conftest.py)."""

from datetime import date, timedelta

from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from cli.seed import DEMO_PASSWORD
from gateway.services.people import office_today
from office.calendar import OfficeCalendar
from process_defs.loader import calendar_snapshot
from store.models import LeaveRequest, User
from tests.factories import office_of_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WAIT_MS = 30_000  # a workflow step, a task appearing in the inbox, a page polling every 5 s


async def sign_in(browser: Browser, base_url: str, username: str, viewport: dict = DESKTOP) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport=viewport, base_url=base_url)
    context.set_default_timeout(WAIT_MS)
    page = await context.new_page()
    await page.goto("/masuk")
    await page.get_by_label("Nama pengguna atau email").fill(username)
    await page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat")
    return context, page


async def free_leave_window(live_stack, username: str = "pegawai1") -> tuple[date, date]:
    """A Monday–Wednesday, at least two weeks ahead, of three working days that no earlier request of
    the person touches (the stack is shared by every test of the session)."""
    calendar = OfficeCalendar(calendar_snapshot(await office_of_user(live_stack.sessionmaker, username)))  # the person's office's
    async with live_stack.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == username))
        taken = list(await session.execute(select(LeaveRequest.start_date, LeaveRequest.end_date)
                                           .where(LeaveRequest.employee_id == user.id)))
    monday = office_today() + timedelta(days=14)
    monday += timedelta(days=(7 - monday.weekday()) % 7)
    while True:
        days = [monday + timedelta(days=i) for i in range(3)]
        if all(calendar.is_working_day(d) for d in days) and not any(s <= days[-1] and e >= days[0] for s, e in taken):
            return days[0], days[-1]
        monday += timedelta(days=7)


def period(start: date, end: date) -> str:
    """How task titles name the dates of a leave request."""
    return f"{start:%d-%m-%Y} s.d. {end:%d-%m-%Y}"


async def assert_fits_the_screen(page: Page) -> None:
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


