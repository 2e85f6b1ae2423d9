"""The administration pages in a real browser (issue 17), at 1280 px and on a 375 px phone: an office administrator
adds a member of staff (a refused form keeps what was typed and links each message to its field), edits them, adds
a unit and a holiday, previews a CSV import and applies it, and reads the change record; the installation
administrator switches between offices. Set SATUPINTU_SHOTS=<dir> to keep screenshots of each page."""

import os
import re
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.chromium import DESKTOP, assert_fits_the_screen, sign_in
from tests.unit.test_fuzz import ServerThread

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SATUPINTU_SHOTS")
PHONE_375 = {"width": 375, "height": 812}


@pytest.fixture
def gateway(db):
    from gateway.app import create_app

    with ServerThread(create_app(db.settings)) as base_url:
        yield base_url


async def _shot(page, name: str) -> None:
    await assert_fits_the_screen(page)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"] if page.viewport_size else 0
        await page.screenshot(path=f"{SHOTS}/admin-{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE_375], ids=["desktop", "phone"])
async def test_an_office_administrator_runs_the_office_from_the_pages(gateway, browser, viewport, tmp_path):
    context, page = await sign_in(browser, gateway, "admin_kemenag", viewport)
    await page.get_by_role("link", name="Administrasi").first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Administrasi Kantor")
    await _shot(page, "home")

    # A new member of staff: refused first (in Bahasa, linked to the fields, what was typed kept), then added.
    await page.get_by_role("link", name="Pegawai", exact=True).click()
    await _shot(page, "staff")
    await page.get_by_role("link", name="Tambah pegawai").click()
    await page.get_by_label("Nama pengguna").fill("Salah Nama")
    await page.get_by_label("Nama lengkap (dengan gelar)").fill("Lilis Suryani, S.Kom.")
    await page.get_by_label("Email").fill("lilis@kemenag-lamongan.go.id")
    await page.get_by_role("button", name="Tambah pegawai").click()
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("Nama pengguna 3-80 karakter")
    await expect(summary).to_contain_text("Unit wajib diisi")
    await expect(page.get_by_label("Nama lengkap (dengan gelar)")).to_have_value("Lilis Suryani, S.Kom.")
    await expect(page.get_by_label("Nama pengguna")).to_have_attribute("aria-invalid", "true")
    await _shot(page, "staff-new-refused")
    await summary.get_by_role("link", name="Nama pengguna").click()
    await expect(page.get_by_label("Nama pengguna")).to_be_focused()
    await page.get_by_label("Nama pengguna").fill("lilis.suryani")
    await page.get_by_label("Unit", exact=True).select_option("PTSP")
    await page.get_by_label("Atasan langsung (tidak wajib)").select_option("supervisor1")
    await page.get_by_label("Petugas Front Office (FO)").check()
    await page.get_by_role("button", name="Tambah pegawai").click()
    await expect(page.get_by_role("status").first).to_contain_text("Tautan untuk membuat kata sandi telah dikirim")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Lilis Suryani, S.Kom.")
    await page.get_by_label("Jabatan").fill("Petugas Front Office PTSP")
    await page.get_by_role("button", name="Simpan perubahan").click()
    await expect(page.locator(".change-list")).to_contain_text("Petugas Front Office PTSP")
    await _shot(page, "staff-edit")

    # Deactivation asks first, saying what happens.
    await page.get_by_role("link", name="Nonaktifkan…").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Nonaktifkan Lilis Suryani")
    await expect(page.get_by_text("tidak memegang tugas terbuka")).to_be_visible()
    await _shot(page, "staff-deactivate")
    await page.get_by_role("button", name=re.compile("^Nonaktifkan")).click()
    await expect(page.get_by_role("alert")).to_contain_text("Alasan penonaktifan wajib diisi")
    await page.get_by_label("Alasan penonaktifan").fill("Mutasi ke Kanwil Jawa Timur")
    await page.get_by_role("button", name=re.compile("^Nonaktifkan")).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("dinonaktifkan")

    # Units: a new one under PTSP.
    await page.get_by_role("link", name="Unit", exact=True).click()
    code = "LOKET" + viewport["width"].__str__()[:1]
    await page.get_by_label("Kode unit").fill(code)
    await page.get_by_label("Nama unit").fill("Loket Layanan Haji")
    await page.get_by_label("Di bawah unit").select_option("PTSP")
    await page.get_by_role("button", name="Tambah unit").click()
    await expect(page.locator(".unit-tree")).to_contain_text("Loket Layanan Haji")
    await _shot(page, "units")

    # The calendar: a holiday of the office.
    await page.get_by_role("link", name="Kalender").click()
    await page.get_by_label("Tanggal", exact=True).fill("2030-01-02" if viewport is DESKTOP else "2030-01-03")
    await page.get_by_label("Keterangan").fill("Hari jadi Kabupaten Lamongan")
    await page.get_by_role("button", name="Tambah ke kalender").click()
    await expect(page.locator("table")).to_contain_text("Hari jadi Kabupaten Lamongan")
    await _shot(page, "calendar")

    # The import: a preview with a bad row, then applied.
    suffix = "1" if viewport is DESKTOP else "2"
    csv_file = tmp_path / "pegawai.csv"
    csv_file.write_text("NIP;Nama;Jabatan;Unit Kerja;Email;No HP\n"
                        f"19900101201501100{suffix};Ahmad Zaini;Penyuluh Agama;BIMAS;ahmad.zaini{suffix}@kemenag.go.id;081234567890\n"
                        f"123;Tanpa NIP Benar;Staf;BIMAS;staf{suffix}@kemenag.go.id;\n", encoding="utf-8-sig")
    await page.get_by_role("link", name="Impor CSV").click()
    await page.get_by_label("Berkas CSV").set_input_files(str(csv_file))
    await page.get_by_role("button", name=re.compile("^Pratinjau")).click()
    await expect(page.get_by_role("heading", name=re.compile("Pratinjau impor"))).to_be_visible()
    await expect(page.locator("table").first).to_contain_text("harus 18 digit")
    await _shot(page, "import-preview")
    await page.get_by_role("button", name=re.compile("^Terapkan")).click()
    await expect(page.get_by_role("heading", name=re.compile("Hasil impor"))).to_be_visible()

    await page.get_by_role("link", name="Identitas Kantor").click()
    await expect(page.get_by_label("Nama singkat")).to_have_value(re.compile("Kemenag"))
    await _shot(page, "office")
    await page.get_by_role("link", name="Riwayat Perubahan").click()
    await expect(page.locator(".change-list")).to_contain_text("Pegawai dinonaktifkan")
    await expect(page.locator(".change-list")).to_contain_text("Mutasi ke Kanwil Jawa Timur")
    await _shot(page, "changes")
    await context.close()


async def test_the_installation_administrator_switches_offices(gateway, browser):
    context, page = await sign_in(browser, gateway, "admin", PHONE_375)
    await page.goto("/admin")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Administrasi Instalasi")
    await _shot(page, "offices")
    await page.get_by_role("link", name=re.compile("DPMPTSP")).click()
    await page.get_by_role("link", name="Pegawai", exact=True).click()
    await expect(page.locator("table")).to_contain_text("Fauzan Ramadhan")
    await page.get_by_label("Kantor", exact=True).select_option("ms-lhokseumawe")
    await page.get_by_role("button", name="Ganti kantor").click()
    await expect(page.locator("table")).to_contain_text("Rahmawati")
    await expect(page.locator("table")).not_to_contain_text("Fauzan Ramadhan")
    await _shot(page, "switcher")
    await context.close()
