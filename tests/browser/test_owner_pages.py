"""The process owner's and the auditor's pages in a real browser: find a stuck run, remind and reassign its task,
read the timeline, replay the run, open the dashboards."""

import re

import httpx
import pytest
from playwright.async_api import expect

from tests.chromium import free_leave_window, sign_in
from tests.factories import login, wait_for_task
from workers.run_index import sync_runs

pytestmark = pytest.mark.browser


async def test_owner_reminds_and_reassigns_a_waiting_run_and_the_auditor_replays_it(live_stack, browser):
    start, end = await free_leave_window(live_stack, "pegawai2")
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=30) as http:
        created = await http.post("/api/v1/leave-requests", headers=await login(http, "pegawai2"), json={
            "leave_type": "tahunan", "start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "Mengurus orang tua yang sakit"})
        assert created.status_code == 201, created.text
        leave_id = created.json()["id"]
        workflow_id = f"leave-{leave_id}"
        task_id = f"{workflow_id}.persetujuan-atasan"
        await wait_for_task(live_stack.sessionmaker, task_id)
        # The worker process keeps the run index current every few seconds; here the test does it once.
        await sync_runs(live_stack.client, live_stack.sessionmaker)

        context, page = await sign_in(browser, live_stack.base_url, "pemilik1")
        await page.get_by_role("link", name="Proses", exact=True).click()
        await page.get_by_label("Proses", exact=True).select_option("leave")
        await page.get_by_label("Status").select_option("waiting")
        await page.get_by_label("Kunci bisnis").fill(str(leave_id))
        await page.get_by_role("button", name="Terapkan").click()
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=str(leave_id), exact=True))
        await expect(row).to_contain_text("menunggu")
        await row.get_by_role("link", name=str(leave_id), exact=True).click()

        await expect(page.get_by_role("heading", level=1)).to_contain_text(f"Cuti Pegawai — {leave_id}")
        timeline = page.locator("ol.timeline")
        await expect(timeline).to_contain_text("Tugas dibuka")
        await page.locator("summary", has_text="Kirim pengingat").click()
        await page.get_by_label("Catatan (tidak wajib)").fill("Mohon diputuskan hari ini.")
        await page.get_by_role("button", name=re.compile("^Kirim pengingat")).click()
        await expect(page.locator("ol.timeline")).to_contain_text("Pengingat dari")

        # Reassigning without a reason is refused in Bahasa and nothing changes.
        await page.locator("summary", has_text="Alihkan tugas").click()
        await page.get_by_label("Pegawai (nama pengguna)").fill("atasan2")
        await page.get_by_label("Alasan pengalihan (wajib)").evaluate("el => el.removeAttribute('required')")
        await page.get_by_role("button", name=re.compile("^Alihkan")).click()
        await expect(page.get_by_text(re.compile("Alasan.*wajib diisi")).first).to_be_visible()
        if not await page.get_by_label("Pegawai (nama pengguna)").is_visible():
            await page.locator("summary", has_text="Alihkan tugas").click()
        await page.get_by_label("Pegawai (nama pengguna)").fill("atasan2")
        await page.get_by_label("Alasan pengalihan (wajib)").fill("Atasan langsung sedang dinas luar")
        await page.get_by_role("button", name=re.compile("^Alihkan")).click()
        await expect(page.locator("ol.timeline")).to_contain_text("Dialihkan oleh")
        await expect(page.get_by_text("Teuku Iskandar").first).to_be_visible()
        await context.close()

        # The new holder has it in the inbox; the previous one no longer may decide it.
        inbox = (await http.get("/api/v1/tasks", headers=await login(http, "atasan2"))).json()["items"]
        assert task_id in [t["id"] for t in inbox]
        refused = await http.post(f"/api/v1/tasks/{task_id}/decision", headers=await login(http, "atasan1"), json={"outcome": "approve"})
        assert refused.status_code == 403, refused.text

        context, page = await sign_in(browser, live_stack.base_url, "auditor1")
        await page.goto(f"/proses/{workflow_id}")
        await expect(page.locator("summary", has_text="Alihkan tugas")).to_have_count(0)
        await page.get_by_role("button", name="Putar ulang").click()
        await expect(page.get_by_text(re.compile(r"Semua 1 run deterministik"))).to_be_visible()
        await page.goto("/dasbor")
        await expect(page.locator("svg[role=img]").first).to_be_visible()
        await context.close()
