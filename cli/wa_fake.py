"""The development fake of the WhatsApp Cloud API: accepts what `POST /{version}/{phone_number_id}/messages`
accepts, answers as the Graph API does (401 OAuthException for a wrong token, 400 code 100 for a
malformed body, 200 with a wamid), and keeps every message as a JSON line under var/whatsapp.

A message is stored once per `biz_opaque_callback_data`: a retried send gets the same wamid back, so
a test can check that an outage delayed messages without duplicating them. `GET /messages` lists
what was received (for /dev/outbox and the tests)."""


import asyncio
import json
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from store.dev_fakes import MESSAGES_FILE, fake_dir, read_messages

MAX_TEXT = 4096


def _graph_error(status: int, message: str, *, code: int, kind: str = "OAuthException", details: str | None = None) -> JSONResponse:
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": secrets.token_urlsafe(12)}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return JSONResponse({"error": error}, status_code=status)


def _problem(body: object) -> str | None:
    """What is wrong with a send request, in the Cloud API's terms; None when it is a text message we accept."""
    if not isinstance(body, dict):
        return "Request body must be a JSON object"
    if body.get("messaging_product") != "whatsapp":
        return "The parameter messaging_product is required and must be 'whatsapp'"
    to = body.get("to")
    if not isinstance(to, str) or not to.isdigit() or not 8 <= len(to) <= 15:
        return "The parameter to is required and must be a phone number in international format"
    if body.get("type", "text") != "text":
        return f"Message type {body.get('type')!r} is not supported by this fake"
    text = body.get("text")
    if not isinstance(text, dict) or not isinstance(text.get("body"), str) or not text["body"].strip():
        return "The parameter text['body'] is required"
    if len(text["body"]) > MAX_TEXT:
        return f"Param text['body'] must be at most {MAX_TEXT} characters long"
    return None


class FakeWhatsApp:
    """The fake's state: stored messages by key, and an outage switch for tests."""

    def __init__(self, directory: Path, *, token: str = "dev-access-token") -> None:
        self.directory = directory
        self.token = token
        # Set to an HTTP status (e.g. 503) to answer every send with it, as a real outage would.
        self.fail_status: int | None = None
        directory.mkdir(parents=True, exist_ok=True)
        self._messages = read_messages(directory)
        self._by_key = {m["biz_opaque_callback_data"]: m for m in self._messages if m.get("biz_opaque_callback_data")}
        self.app = Starlette(routes=[
            Route("/{version}/{phone_number_id}/messages", self.send, methods=["POST"]),
            Route("/messages", self.list, methods=["GET"]),
        ])

    def messages(self, to: str | None = None) -> list[dict]:
        return [m for m in self._messages if to is None or m["to"] == to]

    async def send(self, request: Request) -> JSONResponse:
        if self.fail_status:
            return _graph_error(self.fail_status, "Service temporarily unavailable", code=2, kind="OAuthException")
        auth = request.headers.get("authorization", "")
        if not secrets.compare_digest(auth.encode(), f"Bearer {self.token}".encode()):
            return _graph_error(401, "Invalid OAuth access token - Cannot parse access token", code=190)
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        problem = _problem(body)
        if problem:
            return _graph_error(400, "(#100) Invalid parameter", code=100, kind="OAuthException", details=problem)
        key = body.get("biz_opaque_callback_data")
        stored = self._by_key.get(key) if key else None
        if stored is not None:
            stored["duplicates"] = stored.get("duplicates", 0) + 1
        else:
            stored = {
                "id": f"wamid.{secrets.token_hex(16).upper()}", "to": body["to"], "type": "text", "text": body["text"]["body"],
                "biz_opaque_callback_data": key, "phone_number_id": request.path_params["phone_number_id"],
                "received_at": datetime.now(UTC).isoformat(), "duplicates": 0,
            }
            self._messages.append(stored)
            if key:
                self._by_key[key] = stored
            # A development fake's one-line append to its local file, kept in step with the list above: not worth a thread.
            with open(self.directory / MESSAGES_FILE, "a", encoding="utf-8") as fh:  # noqa: ASYNC230 - see above
                fh.write(json.dumps({k: v for k, v in stored.items() if k != "duplicates"}, ensure_ascii=False) + "\n")
        return JSONResponse({"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                             "messages": [{"id": stored["id"]}]})

    async def list(self, request: Request) -> JSONResponse:
        return JSONResponse({"messages": self.messages(request.query_params.get("to"))})


class RunningFake:
    """A fake served from a background thread (tests, like cli.smtp_sink.start_sink)."""

    def __init__(self, fake: FakeWhatsApp, server: uvicorn.Server, thread: threading.Thread, port: int) -> None:
        self.fake, self._server, self._thread, self.port = fake, server, thread, port
        self.url = f"http://127.0.0.1:{port}"

    def messages(self, to: str | None = None) -> list[dict]:
        return self.fake.messages(to)

    def outage(self, status: int | None = 503) -> None:
        """Answer every send with `status` (None: back to normal)."""
        self.fake.fail_status = status

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def start_fake(directory: Path, port: int, *, host: str = "127.0.0.1", token: str = "dev-access-token") -> RunningFake:
    fake = FakeWhatsApp(directory, token=token)
    server = uvicorn.Server(uvicorn.Config(fake.app, host=host, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name=f"wa-fake-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the WhatsApp fake did not start on port {port}")
        time.sleep(0.02)
    return RunningFake(fake, server, thread, port)


async def serve(directory: Path, host: str, port: int, token: str) -> None:
    fake = FakeWhatsApp(directory, token=token)
    server = uvicorn.Server(uvicorn.Config(fake.app, host=host, port=port, log_level="info", lifespan="off"))
    await server.serve()


if __name__ == "__main__":  # pragma: no cover - `satupintu wa-fake` is the way in
    from store.settings import get_settings

    s = get_settings()
    asyncio.run(serve(fake_dir(s.var_dir), "127.0.0.1", s.whatsapp_fake_port, s.whatsapp_access_token))
