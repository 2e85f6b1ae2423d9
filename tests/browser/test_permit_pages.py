"""The permit pages as citizens and officers use them: headless Chromium from Debian driven by Playwright,
against the whole stack (real Temporal dev server, worker, gateway) on 127.0.0.1.

A citizen applies from a phone through the five steps of Ajukan Izin (seed 003 §3.2.1), leaves half-way and
finds the draft again, uploads the documents in their rows, submits and prints the receipt; the verifier
returns the application for revision from the task inbox; the citizen finds it under Revisi, fixes one field
and resubmits; the verifier's case view shows what changed. Monitoring Izin works without signing in and shows
nothing personal. The head signs with the TTE passphrase on the task page and the permit downloads once.

Set SATUPINTU_SHOTS=<dir> to keep screenshots of the wizard's steps (390 px and desktop).
"""

import io
import os
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.async_api import Page, expect
from sqlalchemy import func, select

from store.models import PermitApplication, PermitDraft, User
from tests.browser.test_pages import open_task
from tests.chromium import DESKTOP, PHONE, assert_fits_the_screen, sign_in
from tests.e2e.test_e2e_permit import APPLICANT, application_body, small_pdf, stage_of, task_for, upload
from tests.factories import applicant_user, login

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SATUPINTU_SHOTS")


def small_jpg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


async def shot(page: Page, name: str) -> None:
    """Screenshots for a person to look at, on request: the page at 390 px and at desktop width."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for label, viewport in (("390", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(viewport)
        await page.screenshot(path=f"{SHOTS}/{name}-{label}.png", full_page=True)
    await page.set_viewport_size(size)


def field(page: Page, name: str):
    """An input by its name (the wizard's names are dotted: details.x, documents.x, upload.x)."""
    return page.locator(f'[name="{name}"]')


async def applications_of(live_stack, nik: str) -> int:
    async with live_stack.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == nik))
        return await session.scalar(select(func.count()).select_from(PermitApplication).where(PermitApplication.applicant_id == user.id))


async def test_citizen_applies_revises_and_the_verifier_sees_what_changed(browser, live_stack, tmp_path):
    pdf, jpg = tmp_path / "dokumen.pdf", tmp_path / "foto.jpg"
    pdf.write_bytes(small_pdf("Dokumen persyaratan"))
    jpg.write_bytes(small_jpg())
    before = await applications_of(live_stack, APPLICANT)

    citizen, page = await sign_in(browser, live_stack.base_url, APPLICANT, PHONE)
    await page.get_by_role("link", name="Ajukan Izin", exact=True).click()
    await expect(page.get_by_role("heading", name="Ajukan Izin", level=1)).to_be_visible()

    # 1 — Jenis izin: agency → permit type → request kind, and the requirements to prepare.
    await expect(page.get_by_role("heading", name="Jenis Izin")).to_be_visible()
    await page.get_by_label("Dinas/Badan").select_option("dpmptsp")
    await page.get_by_role("combobox", name="Jenis Izin").select_option("izin_reklame")
    await page.get_by_role("radio", name=re.compile(r"^Baru")).check()
    await expect(page.get_by_text("Desain / gambar visual reklame beserta ukurannya")).to_be_visible()
    await assert_fits_the_screen(page)
    await shot(page, "1-jenis-izin")
    await page.get_by_role("button", name="Lanjut").click()

    # 2 — Data pemohon from the profile: NIK and name locked, the phone editable for this application.
    await expect(page.get_by_role("heading", name="Data Pemohon")).to_be_visible()
    await expect(page.get_by_label("NIK")).to_have_value(APPLICANT)
    await expect(page.get_by_label("NIK")).not_to_be_editable()
    await expect(page.get_by_label("Nama Pemohon")).to_have_value("Budi Santoso")
    await page.get_by_label("No. HP/WhatsApp").fill("0812 3456 7890")
    await assert_fits_the_screen(page)
    await shot(page, "2-data-pemohon")
    await page.get_by_role("button", name="Lanjut").click()

    # 3 — Data perusahaan: a wrong NIB is refused by its field, and what was typed stays.
    await expect(page.get_by_role("heading", name="Data Perusahaan")).to_be_visible()
    await page.get_by_role("radio", name=re.compile("Atas nama perusahaan")).check()
    await page.get_by_role("textbox", name="Nama Perusahaan").fill("CV Sinar Terang")
    await page.get_by_role("textbox", name=re.compile("^NIB")).fill("12345")
    await page.get_by_role("button", name="Lanjut").click()
    await expect(page.locator(".field-error").filter(has_text="NIB perusahaan harus 13 digit")).to_be_visible()
    await expect(page.get_by_role("textbox", name="Nama Perusahaan")).to_have_value("CV Sinar Terang")
    await assert_fits_the_screen(page)
    await shot(page, "3-data-perusahaan-galat")
    await page.get_by_role("textbox", name=re.compile("^NIB")).fill("9120001234567")
    await page.get_by_role("button", name="Lanjut").click()

    # 4 — Lokasi izin: region from the registration's chained selects; coordinates outside Indonesia refused.
    await expect(page.get_by_role("heading", name="Lokasi Izin")).to_be_visible()
    await page.get_by_label("Jalan dan Nomor").fill("Jl. Pemuda No. 12")
    await page.get_by_label("RT").fill("3")
    await page.get_by_label("RW").fill("5")
    await expect(page.get_by_label("Kabupaten/Kota")).to_have_value("33.74")  # the applicant's own city to start with
    await page.get_by_label("Kecamatan").select_option(label="Semarang Tengah")
    await page.get_by_label("Kelurahan/Desa").select_option("33.74.01.1007")
    await page.get_by_label("Koordinat Lintang").fill("1.30")
    await page.get_by_label("Koordinat Bujur").fill("103.83")
    await page.get_by_role("button", name="Lanjut").click()
    await expect(page.locator(".field-error").filter(has_text="di luar wilayah Indonesia")).to_be_visible()
    await expect(page.get_by_label("Jalan dan Nomor")).to_have_value("Jl. Pemuda No. 12")
    await expect(page.get_by_label("Kelurahan/Desa")).to_have_value("33.74.01.1007")
    await assert_fits_the_screen(page)
    await shot(page, "4-lokasi-galat")
    await page.get_by_label("Koordinat Lintang").fill("-6.9826")
    await page.get_by_label("Koordinat Bujur").fill("110.4093")
    await page.get_by_role("button", name="Lanjut").click()

    # 5 — Detail & dokumen: the permit's own fields; files uploaded in their rows land in File Saya, selected.
    await expect(page.get_by_role("heading", name="Detail & Dokumen")).to_be_visible()
    await field(page, "details.jenis_reklame").select_option("Baliho")
    await field(page, "details.naskah_reklame").fill("Diskon Akhir Tahun")
    await field(page, "details.panjang_m").fill("4")
    await field(page, "details.lebar_m").fill("6")
    await field(page, "details.jumlah_muka").fill("1")
    await field(page, "details.tanggal_mulai_tayang").fill("2027-01-04")
    await field(page, "upload.surat_permohonan").set_input_files(pdf)
    await field(page, "upload.ktp").set_input_files(jpg)
    await page.get_by_role("button", name="Unggah KTP elektronik").click()
    await expect(page.get_by_text("Upload berhasil")).to_have_count(2)
    await expect(field(page, "documents.ktp").locator("option:checked")).to_contain_text("KTP elektronik")
    await shot(page, "5-detail-dokumen")

    # Leaving half-way: the draft is still there when Ajukan Izin is opened again.
    await page.get_by_role("link", name="Permohonan Saya").first.click()
    await expect(page.get_by_text("draf permohonan")).to_be_visible()
    await page.get_by_role("link", name="Ajukan Izin").first.click()
    await expect(page.get_by_text("Melanjutkan draf Anda")).to_be_visible()
    await expect(page.get_by_role("heading", name="Detail & Dokumen")).to_be_visible()
    await expect(field(page, "details.naskah_reklame")).to_have_value("Diskon Akhir Tahun")
    await expect(field(page, "documents.surat_permohonan")).not_to_have_value("")

    # The rest of the documents; the declaration; one click of "Kirim Permohonan".
    for code, path in (("npwp", pdf), ("desain_reklame", jpg), ("foto_lokasi", jpg), ("denah_lokasi", pdf)):
        await field(page, f"upload.{code}").set_input_files(path)
    await page.get_by_role("button", name="Kirim Permohonan").click()
    await expect(page.locator(".field-error").filter(has_text="Centang pernyataan")).to_be_visible()  # uploads kept, selected
    await expect(page.get_by_text("Upload berhasil")).to_have_count(4)
    await page.get_by_label(re.compile("saya menyatakan bahwa data yang saya kirim adalah benar")).check()
    await assert_fits_the_screen(page)
    client_key = await page.locator('input[name="client_key"]').input_value()
    await page.get_by_role("button", name="Kirim Permohonan").click()
    await page.wait_for_url(re.compile(r"/permohonan/[0-9A-F]{6}\?pesan=diajukan$"))
    resi = re.search(r"/permohonan/([0-9A-F]{6})", page.url).group(1)
    # The same submission again (a second click that got through): the same application, not a second one.
    replay = await citizen.request.post("/izin/ajukan", form={"langkah": "5", "aksi": "kirim", "client_key": client_key}, max_redirects=0)
    assert replay.status == 303 and replay.headers["location"] == f"/permohonan/{resi}?pesan=diajukan"
    await expect(page.locator(".resi-alert")).to_contain_text(resi)
    await expect(page.get_by_text("Apa selanjutnya")).to_be_visible()
    await assert_fits_the_screen(page)
    await shot(page, "6-terkirim")
    assert await applications_of(live_stack, APPLICANT) == before + 1
    async with live_stack.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(PermitDraft)) == 0
        application = await session.scalar(select(PermitApplication).where(PermitApplication.resi == resi))
        assert application.company["nib"] == "9120001234567" and application.applicant_data["phone"] == "6281234567890"
        assert application.location["village_code"] == "33.74.01.1007" and application.details["panjang_m"] == 4

    # Cetak Resi: a PDF.
    receipt = await citizen.request.get(await page.get_by_role("link", name=re.compile("Cetak Resi")).get_attribute("href"))
    assert receipt.status == 200 and receipt.headers["content-type"] == "application/pdf"
    assert (await receipt.body()).startswith(b"%PDF")

    # The verifier returns it for revision from the task inbox.
    office, verifier = await sign_in(browser, live_stack.base_url, "verifikator1")
    await open_task(verifier, f"resi {resi}")
    await verifier.get_by_role("radio", name=re.compile("Kembalikan untuk revisi")).check()
    await verifier.get_by_label(re.compile("Alasan / catatan")).fill("Naskah reklame belum sesuai desain")
    await verifier.get_by_role("button", name="Kirim Keputusan").click()
    await expect(verifier.get_by_text("Keputusan Anda telah dikirim")).to_be_visible()

    # The citizen finds it under Revisi with the notes, fixes one field and resubmits.
    await page.get_by_role("link", name="Permohonan Saya").first.click()
    revisi = page.get_by_role("link", name=re.compile(r"^Revisi"))
    for _ in range(60):
        if await revisi.locator(".count").inner_text() != "0":
            break
        await page.wait_for_timeout(500)
        await page.reload()
    await revisi.click()
    row = page.locator(f"#resi-{resi}")
    await expect(row).to_contain_text("Naskah reklame belum sesuai desain")
    await expect(row).to_contain_text("Revisi")
    await assert_fits_the_screen(page)
    await shot(page, "7-permohonan-saya-revisi")
    await row.get_by_role("link", name=re.compile("Perbaiki")).click()
    await expect(page.get_by_role("heading", name="Perbaiki Permohonan")).to_be_visible()
    await expect(page.locator(".revision-top")).to_contain_text("Naskah reklame belum sesuai desain")
    await expect(page.get_by_role("textbox", name=re.compile("^NIB"))).to_have_value("9120001234567")  # pre-filled from the application
    await field(page, "details.naskah_reklame").fill("Diskon Akhir Tahun 50%")
    await page.get_by_label(re.compile("saya menyatakan bahwa data yang saya kirim adalah benar")).check()
    await assert_fits_the_screen(page)
    await shot(page, "8-perbaiki")
    await page.get_by_role("button", name="Kirim Perbaikan").click()
    await expect(page.get_by_text("Perbaikan permohonan telah dikirim")).to_be_visible()
    await expect(page.locator("#status-kasus")).to_contain_text("Dalam Proses", timeout=15_000)

    # The verifier's next task links to the case view, which shows what changed, old → new.
    await open_task(verifier, f"resi {resi} (perbaikan ke-1)")
    await verifier.get_by_role("link", name=f"Buka berkas permohonan {resi}").click()
    await expect(verifier.get_by_role("heading", name="Perubahan antarputaran")).to_be_visible()
    change = verifier.locator("table.changes tr").filter(has_text="Naskah / teks reklame")
    await expect(change).to_contain_text("Diskon Akhir Tahun")
    await expect(change.locator("ins")).to_have_text("Diskon Akhir Tahun 50%")
    await expect(verifier.locator("table.changes tbody tr")).to_have_count(1)
    await expect(verifier.get_by_text("Di kantor")).to_be_visible()
    await expect(verifier.get_by_text("Di pemohon")).to_be_visible()
    await shot(verifier, "9-staf")
    await office.close()
    await citizen.close()


async def test_public_tracking_by_resi_shows_status_and_nothing_personal(browser, live_stack):
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=60) as http:
        applicant = await login(http, APPLICANT)
        names = ["surat_permohonan", "ktp", "npwp", "desain_reklame", "foto_lokasi", "denah_lokasi"]
        created = await http.post("/api/v1/permit-applications", headers=applicant,
                                  json=application_body({n: await upload(http, applicant, n) for n in names}))
        assert created.status_code == 201, created.text
        resi = created.json()["resi"]
        await stage_of(http, applicant, resi, "verification")
        # Another applicant's case, or an unknown resi, is "not found" — not "forbidden".
        await applicant_user(live_stack.sessionmaker, nik="3374010101900778")
        other = await login(http, "3374010101900778")
        for path in (f"/permohonan/{resi}", f"/permohonan/{resi}/perbaiki", "/permohonan/ZZZZZZ", f"/staf/permohonan/{resi}"):
            refused = await http.get(path, headers=other)
            assert refused.status_code == 404 and "Tidak ditemukan" in refused.text, path

    context = await browser.new_context(viewport=PHONE, base_url=live_stack.base_url)
    page = await context.new_page()
    await page.goto("/persyaratan")
    await page.get_by_role("link", name="Monitoring Izin").click()
    await page.get_by_label("No Resi").fill(resi.lower())
    await page.get_by_role("button", name="Cari").click()
    await page.wait_for_url(f"**/lacak/{resi}")
    await expect(page.get_by_role("heading", name="Informasi Permohonan")).to_be_visible()
    await expect(page.locator(".badge")).to_contain_text("Dalam Proses")
    await expect(page.get_by_text("Izin Penyelenggaraan Reklame (Baru)", exact=True)).to_be_visible()
    await expect(page.locator(".timeline")).to_contain_text("diajukan")
    content = await page.content()
    assert APPLICANT not in content and "Budi Santoso" not in content and "Sinar Terang" not in content
    # The applicant lives on the office's own street: the page names the office's address (its footer), never theirs.
    assert "Pemuda" not in await page.locator("main").inner_html()
    await assert_fits_the_screen(page)
    await shot(page, "10-lacak")

    unknown = await page.goto("/lacak/ZZZZZZ")
    assert unknown.status == 404
    await expect(page.get_by_text("Resi tidak ditemukan")).to_be_visible()
    await context.close()


async def test_head_signs_with_the_tte_passphrase_and_the_permit_downloads_once(browser, live_stack):
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=60) as http:
        applicant, verifier = await login(http, APPLICANT), await login(http, "verifikator1")
        names = ["surat_permohonan", "ktp", "npwp", "desain_reklame", "foto_lokasi", "denah_lokasi"]
        created = await http.post("/api/v1/permit-applications", headers=applicant,
                                  json=application_body({n: await upload(http, applicant, n) for n in names}))
        resi = created.json()["resi"]
        task = await task_for(http, verifier, resi, "verifikasi-1")
        assert (await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=verifier, json={"outcome": "approve"})).status_code == 200
        await task_for(http, await login(http, "kepala1"), resi, "tte-1")

    head_context, head = await sign_in(browser, live_stack.base_url, "kepala1", PHONE)
    await open_task(head, f"resi {resi}")
    passphrase = head.get_by_label("Passphrase TTE")
    await expect(passphrase).to_be_hidden()  # only for the signing outcome
    await head.get_by_role("radio", name=re.compile("Tandatangani")).check()
    await expect(passphrase).to_be_visible()
    assert await passphrase.get_attribute("type") == "password" and await passphrase.get_attribute("autocomplete") == "off"
    await passphrase.fill("salah-sekali")
    await head.get_by_role("button", name="Kirim Keputusan").click()
    await expect(head.locator(".field-error")).to_contain_text("Passphrase TTE salah")
    await expect(head.get_by_label("Passphrase TTE")).to_have_value("")  # never echoed back
    await head.get_by_label("Passphrase TTE").fill("Demo12345")
    await head.get_by_role("button", name="Kirim Keputusan").click()
    await expect(head.get_by_text("Keputusan Anda telah dikirim")).to_be_visible()
    await head_context.close()

    citizen, page = await sign_in(browser, live_stack.base_url, APPLICANT, PHONE)
    await page.goto(f"/permohonan/{resi}")
    download_button = page.get_by_role("button", name="Cetak Izin")
    await expect(download_button).to_be_visible(timeout=60_000)  # the status block refreshes itself
    await expect(page.locator("#status-kasus")).to_contain_text("Selesai")
    await expect(page.get_by_role("link", name="Isi Survei IKM")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    async with page.expect_download() as info:
        await download_button.click()
    download = await info.value
    assert Path(await download.path()).read_bytes().startswith(b"%PDF")
    await expect(page.get_by_role("heading", name="Ajukan Terbit Ulang")).to_be_visible(timeout=15_000)  # the page shows the new state

    # A second download is refused with the reason, and a reissue is offered.
    again = await citizen.request.post(f"/permohonan/{resi}/cetak-izin")
    assert again.status == 410
    text = await again.text()
    assert "sudah pernah diunduh" in text and "Ajukan Terbit Ulang" in text
    await page.get_by_label("Alasan terbit ulang").fill("Berkas izin terhapus dari ponsel")
    await page.get_by_role("button", name="Ajukan Terbit Ulang").click()
    await expect(page.get_by_text("Permintaan terbit ulang telah dikirim")).to_be_visible()
    await citizen.close()
