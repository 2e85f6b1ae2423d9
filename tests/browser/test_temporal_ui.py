"""The Temporal Web UI decodes payloads for signed-in process owners, auditors and administrators, and for nobody
else (issue 15, item 8): the gateway serves the UI at /temporal/ (gateway/temporal_ui.py) so that the UI's calls
to the codec endpoint are same-origin and carry the session cookie."""

import asyncio
import base64
import hashlib
import os
import subprocess
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

import httpx
import pytest
import uvicorn
from playwright.async_api import expect
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from cli.main import dev_server_ui_args, temporal_binary
from cli.seed import DEMO_PASSWORD
from cli.smtp_sink import start_sink
from cli.wa_fake import start_fake
from gateway.deps import SESSION_COOKIE
from store.payload_codec import data_converter
from store.settings import Settings
from tests.conftest import TEST_PAYLOAD_KEY, LiveStack, free_port, make_database
from tests.factories import login, start_leave, wait_for_task
from workers.main import build_worker

NIP = "199201102019031005"  # pegawai1's NIP, in the input of every leave run
SHOTS = os.environ.get("SATUPINTU_SHOTS")  # a directory to keep the screenshots in (as tests/browser/test_permit_pages.py)


async def _wait_port(port: int, seconds: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


@pytest.fixture(scope="module")
async def ui_stack(tmp_path_factory):
    """The dev server with its Web UI started with `make run`'s flags (cli.main.dev_server_ui_args), a worker, and
    the gateway pointed at that UI, as `make run` wires them."""
    tmp = tmp_path_factory.mktemp("temporal-ui")
    grpc_port, ui_port, http_port, smtp_port = free_port(), free_port(), free_port(), free_port()
    log = (tmp / "temporal.log").open("wb")
    server = subprocess.Popen([temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(grpc_port), "--log-level", "warn",
                               *dev_server_ui_args(ui_port)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    sink = start_sink(tmp / "mail", port=smtp_port)
    whatsapp = start_fake(tmp / "whatsapp", port=free_port())
    try:
        await _wait_port(grpc_port)
        await _wait_port(ui_port)
        client = await Client.connect(f"127.0.0.1:{grpc_port}", data_converter=data_converter(Settings(payload_key=TEST_PAYLOAD_KEY)))
        database = await make_database(tmp, smtp_port=smtp_port, task_queue=f"ui-{uuid.uuid4().hex[:8]}", whatsapp_api_url=whatsapp.url,
                                       whatsapp_fake_port=whatsapp.port, public_base_url=f"http://127.0.0.1:{http_port}",
                                       temporal_ui_upstream=f"http://127.0.0.1:{ui_port}")
        from gateway.app import create_app

        worker = build_worker(client, database.settings, database.sessionmaker)
        worker_task = asyncio.get_running_loop().create_task(worker.run())
        gateway = uvicorn.Server(uvicorn.Config(create_app(database.settings, temporal_client=client), host="127.0.0.1", port=http_port,
                                                log_level="warning", lifespan="on"))
        gateway_task = asyncio.get_running_loop().create_task(gateway.serve())
        while not gateway.started:
            if gateway_task.done():
                gateway_task.result()
            await asyncio.sleep(0.05)
        stack = LiveStack(base_url=f"http://127.0.0.1:{http_port}", settings=database.settings, client=client,
                          sessionmaker=database.sessionmaker, whatsapp=whatsapp)
        stack.ui_port = ui_port
        yield stack
        gateway.should_exit = True
        await gateway_task
        await worker.shutdown()
        await worker_task
        await database.engine.dispose()
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
        sink.stop()
        whatsapp.stop()


async def _leave_run(stack) -> tuple[str, str]:
    """A leave run of pegawai1, and the start of its input's ciphertext as base64 (what a UI without the key shows)."""
    handle, _ = await start_leave(stack.client, stack.sessionmaker, task_queue=stack.settings.task_queue)
    await wait_for_task(stack.sessionmaker, f"{handle.id}.persetujuan-atasan")
    raw = Client(**{**stack.client.config(), "data_converter": pydantic_data_converter})
    history = await raw.get_workflow_handle(handle.id).fetch_history()
    payload = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    return handle.id, base64.b64encode(payload.data).decode()[:24]


async def _shot(page, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"temporal-ui-{name}.png"), full_page=True)


@pytest.mark.browser
async def test_the_web_ui_shows_payloads_in_clear_to_process_owners_and_auditors_only(ui_stack):
    from playwright.async_api import async_playwright

    from tests.chromium import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, sign_in
    from tests.unit.test_sessions import RECORD_VIOLATIONS

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    workflow_id, ciphertext = await _leave_run(ui_stack)
    run_in_ui = f"/temporal/namespaces/default/workflows/{workflow_id}"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # The installation's auditor follows the run page's link: the UI opens under the gateway and shows the input in clear.
            context, page = await sign_in(browser, ui_stack.base_url, "auditor_pusat")
            await context.add_init_script(RECORD_VIOLATIONS)
            await page.goto(f"/proses/{workflow_id}")
            async with context.expect_page() as opened:
                await page.get_by_role("link", name="Buka run ini di Temporal Web UI").click()
            ui = await opened.value
            await expect(ui.get_by_text(f'"nip": "{NIP}"').first).to_be_visible(timeout=WAIT_MS)
            assert ui.url.startswith(ui_stack.base_url + run_in_ui)
            await expect(ui.get_by_text("Muhammad Rizki, S.Kom.").first).to_be_visible()
            # The UI offers no action on the run (the gateway would refuse it), and its page runs under the policy.
            await expect(ui.get_by_role("button", name="Request Cancellation")).to_be_disabled()
            assert await ui.evaluate("window.__csp") == []
            await _shot(ui, "auditor_pusat")
            # A link that makes the UI server write a script into a page (its markdown /render echoes ?content=) runs
            # nothing with the gateway's origin.
            await ui.goto("/temporal/temporal/render?content=" + quote("<script>window.__ran = 1</script> teks"))
            await expect(ui.get_by_text("teks")).to_be_visible()
            assert await ui.evaluate("window.__ran") is None

            # The same browser on the UI server's own port (as anyone who reaches it directly): its codec call is not
            # same-origin with the gateway, carries no session, and the input stays ciphertext.
            await page.goto(f"http://127.0.0.1:{ui_stack.ui_port}{run_in_ui}")
            await expect(page.locator("#content").get_by_text("Codec Server could not connect")).to_be_visible(timeout=WAIT_MS)
            await expect(page.get_by_text(ciphertext).first).to_be_visible()
            assert NIP not in await page.content()
            await _shot(page, "direct")
            await context.close()

            # The installation's administrator too.
            context, page = await sign_in(browser, ui_stack.base_url, "admin")
            await page.goto(run_in_ui)
            await expect(page.get_by_text(f'"nip": "{NIP}"').first).to_be_visible(timeout=WAIT_MS)
            await context.close()

            # Signed out: the sign-in page, nothing of the run.
            context = await browser.new_context(base_url=ui_stack.base_url)
            page = await context.new_page()
            await page.goto(run_in_ui)
            await expect(page).to_have_url(f"{ui_stack.base_url}/masuk?next={run_in_ui}")
            assert NIP not in await page.content() and ciphertext not in await page.content()
            await context.close()

            # Other staff: refused, in Bahasa.
            context, page = await sign_in(browser, ui_stack.base_url, "pegawai1")
            answer = await page.goto(run_in_ui)
            assert answer.status == 403
            await expect(page.get_by_role("heading", level=1)).to_have_text("Akses ditolak")
            await expect(page.get_by_text("Temporal Web UI hanya dapat dibuka oleh pemilik proses, auditor, dan administrator.")).to_be_visible()
            assert NIP not in await page.content()
            await _shot(page, "pegawai1")
            await context.close()
        finally:
            await browser.close()


# --- what passes between the browser, the gateway and the UI server ----------------------------------------------


@asynccontextmanager
async def _signed_in(base_url: str, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding the session cookie of `username`, as a browser does after /masuk."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as c:
        signed_in = await c.post("/masuk", data={"username": username, "password": DEMO_PASSWORD, "next": "/"})
        assert signed_in.status_code == 303 and c.cookies.get(SESSION_COOKIE), signed_in.text[:300]
        yield c


async def test_through_the_gateway_the_ui_reads_runs_and_changes_none(ui_stack):
    workflow_id, _ = await _leave_run(ui_stack)
    run = f"/temporal/api/v1/namespaces/default/workflows/{workflow_id}"
    here = {"Origin": ui_stack.base_url}
    async with _signed_in(ui_stack.base_url, "admin") as owner:
        # The UI is told that it may not act on runs, so it shows no such buttons.
        settings = await owner.get("/temporal/api/v1/settings")
        assert settings.status_code == 200 and settings.json()["DisableWriteActions"] is True
        assert settings.json()["Codec"]["Endpoint"] == "/codec"
        assert (await owner.get(run)).status_code == 200

        # Terminating, signalling or starting through the UI's API is refused by the gateway, and the run goes on.
        for path in (f"{run}/terminate", f"{run}/signal/cancel", run, f"{run}/query/..", f"{run}/query/%2e%2e"):
            refused = await owner.post(path, json={"reason": "uji"}, headers=here)
            assert refused.status_code == 403, (path, refused.text[:200])
            assert "hanya untuk melihat riwayat run" in refused.text
        described = await ui_stack.client.get_workflow_handle(workflow_id).describe()
        assert described.status.name == "RUNNING"

        # A query (read-only by Temporal's rules) is answered, from this site only.
        query = f"{run}/query/__stack_trace"
        body = {"query": {"queryType": "__stack_trace"}}
        assert (await owner.post(query, json=body, headers=here)).status_code == 200
        elsewhere = await owner.post(query, json=body, headers={"Origin": f"http://127.0.0.1:{ui_stack.ui_port}"})
        assert elsewhere.status_code == 403 and "situs lain" in elsewhere.text


class _Recorder(BaseHTTPRequestHandler):
    """A stand-in UI server: records what reaches it and answers like the UI server does (a page with an inline
    start-up script, a cookie of its own, a redirect to elsewhere)."""

    seen: list[dict] = []
    PAGE = b"<!doctype html><html><body><script>window.started = 1</script><div id=app></div></body></html>"

    def do_GET(self) -> None:
        self.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        if self.path.startswith("/temporal/render?content="):
            page = b"<!doctype html><p>" + unquote(self.path.split("=", 1)[1]).encode() + b"</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        if self.path.endswith("/away"):
            self.send_response(302)
            self.send_header("Location", "https://elsewhere.example/")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Set-Cookie", "_csrf=abc; Path=/")
        self.send_header("Content-Length", str(len(self.PAGE)))
        self.end_headers()
        self.wfile.write(self.PAGE)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def recorder():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_the_ui_server_never_sees_the_session_and_its_page_runs_only_its_own_script(db, recorder):
    from gateway.app import create_app

    app = create_app(db.settings.model_copy(update={"temporal_ui_upstream": recorder}))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        bearer = await login(c, "auditor_pusat")
        page = await c.get("/temporal/namespaces/default/workflows", headers={**bearer, "Cookie": f"{SESSION_COOKIE}=x; other=y"})
        assert page.status_code == 200 and b"window.started" in page.content
        # Neither the bearer token nor any cookie reaches the UI server (it would hand a bearer on to Temporal).
        assert _Recorder.seen[0]["path"] == "/temporal/namespaces/default/workflows"
        assert all("authorization" not in seen and "cookie" not in seen for seen in _Recorder.seen)
        # The UI server's cookie stays with it; its inline script runs by hash, nothing else inline does.
        assert "set-cookie" not in page.headers
        policy = page.headers["content-security-policy"]
        script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
        expected = base64.b64encode(hashlib.sha256(b"window.started = 1").digest()).decode()
        assert script_src == f"script-src 'self' 'sha256-{expected}'"
        assert "frame-ancestors 'none'" in policy
        # A page that echoes its address gets no hash for what was written into the link, even the shell's twin.
        reflected = await c.get("/temporal/render?content=" + quote("<script>steal()</script><script>window.started = 1</script>"),
                                headers=bearer)
        evil = base64.b64encode(hashlib.sha256(b"steal()").digest()).decode()
        assert evil not in reflected.headers["content-security-policy"]
        # A redirect out of /temporal/ is not followed on the UI server's word.
        away = await c.get("/temporal/away", headers=bearer)
        assert "location" not in away.headers

    # No UI server there: a readable refusal, not a 500.
    app = create_app(db.settings.model_copy(update={"temporal_ui_upstream": f"http://127.0.0.1:{free_port()}"}))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        down = await c.get("/temporal/", headers=await login(c, "admin"))
        assert down.status_code == 503 and "belum dapat dihubungi" in down.text
