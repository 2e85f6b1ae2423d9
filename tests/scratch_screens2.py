from playwright.async_api import async_playwright, expect
from tests.test_pages import CHROMIUM, CHROMIUM_ARGS, PHONE, DESKTOP

async def test_dbg(live_stack):
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        ctx = await b.new_context(viewport=DESKTOP, base_url=live_stack.base_url)
        page = await ctx.new_page()
        page.on("request", lambda r: print("REQ", r.method, r.url, (r.post_data or "")[:400]))
        page.on("console", lambda m: print("CONSOLE", m.text))
        page.on("response", lambda r: print("RESP", r.status, r.url, r.headers.get("content-length")))
        page.on("requestfailed", lambda r: print("FAILED", r.url, r.failure))
        await page.goto("/daftar")
        await page.get_by_label("Provinsi").select_option(label="Jawa Tengah")
        await page.get_by_label("Kabupaten/Kota").select_option(label="Kota Semarang")
        await page.get_by_label("Kecamatan").select_option(label="Semarang Tengah")
        await page.get_by_label("Kelurahan/Desa").select_option(value="33.74.01.1007")
        await expect(page.get_by_label("Kode Pos")).to_have_value("50132")
        print("postal", await page.get_by_label("Kode Pos").input_value())
        print("count wilayah", await page.locator("#wilayah").count(), await page.locator("input[name=postal_code]").count())
        await page.get_by_role("button", name="Daftar", exact=True).click()
        await page.wait_for_load_state()
        print(await page.locator("#galat").inner_text())
        await b.close()
