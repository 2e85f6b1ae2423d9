"""The development fake of a civil registry (Disdukcapil) endpoint for SIRAMASAKAN hand-offs, speaking the
protocol of activities/siramasakan.py:

- `POST /handoffs` — the body HMAC-signed in `X-Registry-Signature` (401 otherwise), an `Idempotency-Key`
  (400 without); stored once per key (a retry gets the same reference); answers 202 {"reference"}.
- `GET /handoffs` — what was received (for trying it out and for tests).
- `POST /handoffs/{reference}/process` and `/refuse` ({"reason"}) — the registry's officer deciding: the fake
  then POSTs the signed callback to the hand-off's callback_url and answers with the gateway's status.

An outage switch (`RunningFake.outage()`) answers every hand-off with 503. State is kept in memory.
"""

import asyncio
import json
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from office.registry_protocol import SIGNATURE_HEADER, registry_signature, signature_valid


class FakeRegistry:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.fail_status: int | None = None
        self._by_key: dict[str, dict] = {}
        self._by_reference: dict[str, dict] = {}
        self.attempts = 0
        self.app = Starlette(routes=[
            Route("/handoffs", self.receive, methods=["POST"]),
            Route("/handoffs", self.list, methods=["GET"]),
            Route("/handoffs/{reference}/{action:str}", self.decide, methods=["POST"]),
        ])

    def handoffs(self) -> list[dict]:
        return list(self._by_key.values())

    async def receive(self, request: Request) -> JSONResponse:
        self.attempts += 1
        if self.fail_status:
            return JSONResponse({"detail": "Layanan Disdukcapil sedang tidak tersedia."}, status_code=self.fail_status)
        raw = await request.body()
        if not signature_valid(self.secret, raw, request.headers.get(SIGNATURE_HEADER)):
            return JSONResponse({"detail": "Tanda tangan tidak valid."}, status_code=401)
        key = request.headers.get("idempotency-key", "").strip()
        if not key:
            return JSONResponse({"detail": "Idempotency-Key wajib."}, status_code=400)
        stored = self._by_key.get(key)
        if stored is not None:
            stored["duplicates"] += 1
            return JSONResponse({"reference": stored["reference"]}, status_code=202)
        try:
            body = json.loads(raw)
        except ValueError:
            return JSONResponse({"detail": "Badan permintaan bukan JSON."}, status_code=400)
        stored = {"reference": f"DUK-{secrets.token_hex(4).upper()}", "idempotency_key": key, "body": body, "duplicates": 0,
                  "received_at": datetime.now(UTC).isoformat(), "status": "received", "callbacks": []}
        self._by_key[key] = stored
        self._by_reference[stored["reference"]] = stored
        return JSONResponse({"reference": stored["reference"]}, status_code=202)

    async def list(self, request: Request) -> JSONResponse:
        return JSONResponse({"handoffs": self.handoffs()})

    async def decide(self, request: Request) -> JSONResponse:
        action = request.path_params["action"]
        stored = self._by_reference.get(request.path_params["reference"])
        if stored is None or action not in ("process", "refuse"):
            return JSONResponse({"detail": "Hand-off tidak ditemukan."}, status_code=404)
        try:
            extra = json.loads(await request.body() or b"{}")
        except ValueError:
            extra = {}
        status, body = await self.report(stored["reference"], "processed" if action == "process" else "refused", reason=extra.get("reason"))
        return JSONResponse({"callback_status": status, "callback_body": body})

    async def report(self, reference: str, status: str, *, reason: str | None = None, event_id: str | None = None,
                     secret: str | None = None) -> tuple[int, dict]:
        """POSTs the signed callback for a stored hand-off; returns the gateway's status and answer."""
        stored = self._by_reference[reference]
        payload = {"event_id": event_id or f"evt-{secrets.token_hex(8)}", "request_id": stored["body"]["request_id"], "status": status,
                   "reference": reference}
        if status == "refused":
            payload["reason"] = reason or "Data NIK tidak cocok dengan database kependudukan."
        else:
            payload["documents"] = ["KK", "KTP-el"]
        raw = json.dumps(payload).encode()
        async with httpx.AsyncClient(timeout=20) as client:
            response = await client.post(stored["body"]["callback_url"], content=raw, headers={
                "Content-Type": "application/json", SIGNATURE_HEADER: registry_signature(secret or self.secret, raw)})
        stored["callbacks"].append({**payload, "answer": response.status_code})
        if response.status_code == 200:
            stored["status"] = status
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {}


class RunningFake:
    """A fake served from a background thread (tests, like cli.wa_fake.start_fake)."""

    def __init__(self, fake: FakeRegistry, server: uvicorn.Server, thread: threading.Thread, port: int) -> None:
        self.fake, self._server, self._thread, self.port = fake, server, thread, port
        self.url = f"http://127.0.0.1:{port}"

    def handoffs(self) -> list[dict]:
        return self.fake.handoffs()

    @property
    def attempts(self) -> int:
        return self.fake.attempts

    def outage(self, status: int | None = 503) -> None:
        """Answer every hand-off with `status` (None: back to normal)."""
        self.fake.fail_status = status

    async def process(self, reference: str, **kwargs: Any) -> tuple[int, dict]:
        return await self.fake.report(reference, "processed", **kwargs)

    async def refuse(self, reference: str, reason: str, **kwargs: Any) -> tuple[int, dict]:
        return await self.fake.report(reference, "refused", reason=reason, **kwargs)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def start_fake(port: int, *, secret: str = "dev-registry-secret", host: str = "127.0.0.1") -> RunningFake:
    fake = FakeRegistry(secret)
    server = uvicorn.Server(uvicorn.Config(fake.app, host=host, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name=f"registry-fake-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the registry fake did not start on port {port}")
        time.sleep(0.02)
    return RunningFake(fake, server, thread, port)


async def serve(host: str, port: int, secret: str) -> None:
    server = uvicorn.Server(uvicorn.Config(FakeRegistry(secret).app, host=host, port=port, log_level="info", lifespan="off"))
    await server.serve()


if __name__ == "__main__":  # pragma: no cover - `satupintu registry-fake` is the way in
    from store.settings import get_settings

    s = get_settings()
    asyncio.run(serve("127.0.0.1", s.civil_registry_fake_port, s.civil_registry_secret))
