"""The pages as people use them: headless Chromium from Debian driven by Playwright, against the
whole stack (real Temporal dev server, worker, gateway, SMTP sink) on 127.0.0.1.

An employee applies for leave from a phone, the supervisor refuses or approves from the task
inbox, the letter-numbering officer numbers the letter, and the employee downloads it.
"""

import re
from datetime import date, timedelta

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from cli.seed import DEMO_PASSWORD
from gateway.services.people import office_today
from store.models import LeaveRequest, User
from tests.chromium import PHONE, WAIT_MS, assert_fits_the_screen, free_leave_window, period, sign_in

pytestmark = pytest.mark.browser

async def apply_for_leave(page: Page, start: date, end: date, reason: str, *, double_click: bool = False) -> None:
    await page.get_by_role("link", name="Cuti Saya").first.click()
    await expect(page.get_by_role("heading", name="Cuti Saya")).to_be_visible()
    await expect(page.get_by_text("Tersedia")).to_be_visible()
    await page.get_by_role("link", name="Ajukan Cuti", exact=True).click()
    await expect(page.get_by_role("heading", name="Ajukan Cuti")).to_be_visible()
    await page.get_by_label("Jenis Cuti").select_option(label="Cuti Tahunan")
    await page.get_by_label("Tanggal Mulai").fill(start.isoformat())
    await page.get_by_label("Tanggal Selesai").fill(end.isoformat())
    # The live preview counts the working days as soon as the dates are chosen.
    await expect(page.locator("#hitung-hari")).to_contain_text("3 hari kerja")
    await page.get_by_label("Alasan Cuti").fill(reason)
    await assert_fits_the_screen(page)
    submit = page.get_by_role("button", name="Kirim Pengajuan")
    await (submit.dblclick() if double_click else submit.click())
    await page.wait_for_url(re.compile(r"/cuti/\d+$"))


async def open_task(page: Page, title_part: str) -> None:
    """Opens Kotak Tugas and the task whose title contains `title_part`, once the workflow has opened it."""
    await page.get_by_role("link", name=re.compile("Kotak Tugas")).first.click()
    await expect(page.get_by_role("heading", name="Kotak Tugas")).to_be_visible()
    task = page.locator("li.task").filter(has_text=title_part)
    for _ in range(60):
        if await task.count():
            break
        await page.wait_for_timeout(500)
        await page.reload()
    await task.get_by_role("link", name=re.compile(r"^Buka tugas")).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(title_part)


async def test_supervisor_must_give_a_reason_to_refuse_and_the_employee_sees_it(browser, live_stack):
    start, end = await free_leave_window(live_stack)
    employee, page = await sign_in(browser, live_stack.base_url, "pegawai1", PHONE)
    await apply_for_leave(page, start, end, "Mengurus keperluan keluarga di Banda Aceh")
    await expect(page.locator("#status-kasus")).to_contain_text("Menunggu persetujuan atasan")
    await expect(page.get_by_text("Apa selanjutnya")).to_be_visible()
    await assert_fits_the_screen(page)

    supervisor, inbox = await sign_in(browser, live_stack.base_url, "atasan1")
    await open_task(inbox, period(start, end))
    await inbox.get_by_role("radio", name=re.compile("^Tolak")).check()
    await inbox.get_by_role("button", name="Kirim Keputusan").click()
    # The workflow's validator refuses a rejection without a reason; the page says so and keeps the task open.
    await expect(inbox.get_by_role("alert")).to_contain_text("Alasan wajib diisi untuk keputusan 'Tolak'")
    await expect(inbox.get_by_role("radio", name=re.compile("^Tolak"))).to_be_checked()

    await inbox.get_by_label("Alasan / catatan").fill("Bertepatan dengan audit kepegawaian akhir tahun.")
    await inbox.get_by_role("button", name="Kirim Keputusan").click()
    await inbox.wait_for_url(re.compile(r"/inbox\?pesan="))
    await expect(inbox.get_by_role("status").first).to_contain_text("Keputusan Anda telah dikirim")
    await expect(inbox.locator("li.task").filter(has_text=period(start, end))).to_have_count(0)

    # The employee's open page refreshes itself (htmx polling) and shows the refusal with its reason.
    await expect(page.locator("#status-kasus .badge").first).to_have_text("Ditolak", timeout=WAIT_MS)
    await expect(page.locator("#status-kasus")).to_contain_text("Bertepatan dengan audit kepegawaian akhir tahun.")
    await expect(page.locator("#status-kasus")).to_contain_text("Anda dapat mengajukan permohonan baru")
    # Final: the section no longer polls.
    assert await page.locator("#status-kasus").get_attribute("hx-trigger") is None
    await supervisor.close()
    await employee.close()


async def test_approved_leave_gets_a_number_and_a_downloadable_letter(browser, live_stack):
    start, end = await free_leave_window(live_stack)
    employee, page = await sign_in(browser, live_stack.base_url, "pegawai1", PHONE)
    # A double-clicked submit starts one process, not two.
    await apply_for_leave(page, start, end, "Menghadiri pernikahan saudara di Medan", double_click=True)
    await expect(page.locator("#status-kasus")).to_contain_text("Menunggu persetujuan atasan")
    case_url = page.url

    supervisor, inbox = await sign_in(browser, live_stack.base_url, "atasan1")
    await open_task(inbox, period(start, end))
    await expect(inbox.get_by_text("Menghadiri pernikahan saudara di Medan")).to_be_visible()
    await inbox.get_by_role("radio", name="Setujui").check()
    await inbox.get_by_role("button", name="Kirim Keputusan").click()
    await inbox.wait_for_url(re.compile(r"/inbox\?pesan="))
    await supervisor.close()

    numbering, tasks = await sign_in(browser, live_stack.base_url, "penomoran1", PHONE)
    await tasks.get_by_role("link", name=re.compile("Kotak Tugas")).first.click()
    card = tasks.locator("li.task").filter(has_text=f"Penomoran Surat Izin Cuti Muhammad Rizki, S.Kom. ({period(start, end)})")
    for _ in range(60):
        if await card.count():
            break
        await tasks.wait_for_timeout(500)
        await tasks.reload()
    # A role task: claimed so that colleagues see who is on it.
    await card.get_by_role("button", name=re.compile("^Klaim")).click()
    await expect(tasks.get_by_role("status").first).to_contain_text("Tugas telah Anda klaim")
    await expect(card).to_contain_text("Cut Meutia Sari, S.Sos. (Anda)")
    await assert_fits_the_screen(tasks)
    await card.get_by_role("link", name=re.compile(r"^Buka tugas")).click()
    await expect(tasks.get_by_role("radio", name="Beri nomor surat")).to_be_checked()
    await tasks.get_by_role("button", name="Kirim Keputusan").click()
    await tasks.wait_for_url(re.compile(r"/inbox\?pesan="))
    await numbering.close()

    await page.goto(case_url)
    status = page.locator("#status-kasus")
    await expect(status.locator(".badge").first).to_have_text("Disetujui", timeout=WAIT_MS)
    # The court's leave-letter format (process_defs/offices/ms-lhokseumawe/office.yaml).
    await expect(status.locator(".letter-number")).to_have_text(re.compile(r"^B-\d+/MS\.W1-A5/KP\.05\.2/\d{1,2}/\d{4}$"))
    letter_number = await status.locator(".letter-number").inner_text()
    await expect(status).to_contain_text("Surat Izin Cuti dapat diunduh")
    link = page.get_by_role("link", name="Unduh Surat Izin Cuti (PDF)")
    href = await link.get_attribute("href")
    response = await page.request.get(href)
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    assert (await response.body()).startswith(b"%PDF")
    await assert_fits_the_screen(page)

    # The employee's list shows the request approved with its number; the double click made one request.
    await page.get_by_role("link", name="Cuti Saya").first.click()
    row = page.locator("tbody tr").filter(has_text=letter_number)
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("Disetujui")
    async with live_stack.sessionmaker() as session:
        same_dates = await session.scalars(select(LeaveRequest).join(User, User.id == LeaveRequest.employee_id)
                                           .where(User.username == "pegawai1", LeaveRequest.start_date == start))
        assert len(list(same_dates)) == 1
    await employee.close()


async def test_end_before_start_is_refused_in_indonesian_and_nothing_typed_is_lost(browser, live_stack):
    employee, page = await sign_in(browser, live_stack.base_url, "pegawai1")
    await page.goto("/cuti/baru")
    start = office_today() + timedelta(days=30)
    start += timedelta(days=(4 - start.weekday()) % 7)  # a Friday
    await page.get_by_label("Jenis Cuti").select_option(label="Cuti Tahunan")
    await page.get_by_label("Tanggal Mulai").fill(start.isoformat())
    await page.get_by_label("Tanggal Selesai").fill((start + timedelta(days=3)).isoformat())
    # Friday to Monday: two working days; the weekend is shown as not counted.
    await expect(page.locator("#hitung-hari")).to_contain_text("hari kerja")
    await expect(page.locator("#hitung-hari")).to_contain_text("Tidak dihitung")
    await expect(page.locator("#hitung-hari")).to_contain_text("Sabtu")

    await page.get_by_label("Tanggal Selesai").fill((start - timedelta(days=2)).isoformat())
    await expect(page.locator("#hitung-hari")).to_contain_text("Tanggal selesai sebelum tanggal mulai")
    reason = "Menghadiri wisuda adik di Medan;\nberangkat Jumat pagi."
    await page.get_by_label("Alasan Cuti").fill(reason)
    await page.get_by_label("Alamat selama cuti").fill("Jl. Gatot Subroto No. 5, Medan")
    async with page.expect_response(lambda r: r.url.endswith("/cuti/baru") and r.request.method == "POST") as info:
        await page.get_by_role("button", name="Kirim Pengajuan").click()
    assert (await info.value).status == 422

    await expect(page.get_by_role("alert")).to_contain_text("Tanggal selesai tidak boleh sebelum tanggal mulai.")
    await expect(page.locator("#end_date-galat")).to_contain_text("Tanggal selesai tidak boleh sebelum tanggal mulai.")
    await expect(page.get_by_label("Tanggal Selesai")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Alasan Cuti")).to_have_value(reason)
    await expect(page.get_by_label("Alamat selama cuti")).to_have_value("Jl. Gatot Subroto No. 5, Medan")
    await expect(page.get_by_label("Jenis Cuti")).to_have_value("tahunan")
    await expect(page.get_by_label("Tanggal Mulai")).to_have_value(start.isoformat())
    await expect(page.get_by_label("Tanggal Selesai")).to_have_value((start - timedelta(days=2)).isoformat())
    await employee.close()


async def test_sign_in_returns_to_the_page_asked_for(browser, live_stack):
    context = await browser.new_context(viewport=PHONE, base_url=live_stack.base_url)
    context.set_default_timeout(WAIT_MS)
    page = await context.new_page()
    await page.goto("/cuti")
    assert "/masuk?next=/cuti" in page.url
    await page.get_by_label("Nama pengguna atau email").fill("pegawai1")
    await page.get_by_label("Kata sandi").fill("bukan-kata-sandinya")
    await page.get_by_role("button", name="Masuk").click()
    await expect(page.get_by_role("alert")).to_contain_text("Nama pengguna atau kata sandi salah.")
    await expect(page.get_by_label("Nama pengguna atau email")).to_have_value("pegawai1")
    await page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.wait_for_url(re.compile(r"/cuti$"))
    await expect(page.get_by_role("heading", name="Cuti Saya")).to_be_visible()
    cookie = next(c for c in await context.cookies() if c["name"] == "satupintu_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    await assert_fits_the_screen(page)

    await page.get_by_role("button", name="Keluar").click()
    await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    await page.goto("/cuti")
    assert "/masuk" in page.url
    await context.close()


async def test_verification_page_is_public_and_unknown_documents_are_404(browser, live_stack):
    context = await browser.new_context(viewport=PHONE, base_url=live_stack.base_url)
    page = await context.new_page()
    response = await page.goto("/verifikasi/tidak-ada")
    assert response.status == 404
    await expect(page.get_by_role("alert")).to_contain_text("Dokumen tidak ditemukan.")
    await context.close()
