"""The codec server for the Temporal Web UI (the Temporal "remote codec" protocol).

Payloads in Temporal are encrypted (store/payload_codec.py, UU 27/2022); the Web UI shows them in clear only by
sending them here from the browser: `POST /codec/decode` (and `/codec/encode`) with
`{"payloads": [{"metadata": {key: base64}, "data": base64}]}`, answered in the same shape. Only signed-in staff who
may read runs (process owners, auditors) and administrators get an answer; the session cookie of the gateway is
sent by the browser ("include cross-origin credentials" in the UI's codec setting), and CORS admits the Temporal
UI's origin (settings.temporal_web_ui) only.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.api.common.v1 import Payload

from gateway.api.schemas import ERRORS
from gateway.deps import RUN_READER_ROLES, SettingsDep, requires_role
from gateway.errors import ApiError
from store.models import User
from store.payload_codec import PayloadDecryptError, codec_for

PREFIX = "/codec"
CODEC_ROLES = RUN_READER_ROLES | {"admin"}
CodecUser = Annotated[User, Depends(requires_role(CODEC_ROLES, "Isi riwayat proses hanya dapat dibuka oleh pemilik proses, auditor, dan administrator."))]

router = APIRouter(prefix=PREFIX, tags=["proses"])
_ERRORS = {**{k: ERRORS[k] for k in (401, 403, 422)}, 400: {"description": "Payload tidak dapat didekripsi"}}


class JsonPayload(BaseModel):
    metadata: dict[str, str] = Field(default_factory=dict, description="Nilai metadata dalam base64")
    data: str = Field(default="", description="Isi payload dalam base64")


class PayloadsBody(BaseModel):
    payloads: list[JsonPayload] = Field(default_factory=list, max_length=10_000)


def _b64(value: str, where: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(422, f"{where} bukan base64 yang valid.", code="invalid", errors=[{"field": where, "message": "bukan base64 yang valid"}]) from exc


def _to_proto(body: PayloadsBody) -> list[Payload]:
    return [Payload(metadata={k: _b64(v, f"payloads.{i}.metadata.{k}") for k, v in p.metadata.items()}, data=_b64(p.data, f"payloads.{i}.data"))
            for i, p in enumerate(body.payloads)]


def _to_json(payloads: list[Payload]) -> PayloadsBody:
    return PayloadsBody(payloads=[JsonPayload(metadata={k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
                                              data=base64.b64encode(p.data).decode()) for p in payloads])


@router.post("/decode", responses=_ERRORS)
async def decode(body: PayloadsBody, user: CodecUser, settings: SettingsDep) -> PayloadsBody:
    """Decrypts payloads for the Temporal Web UI; payloads recorded in clear come back unchanged."""
    try:
        return _to_json(await codec_for(settings).decode(_to_proto(body)))
    except PayloadDecryptError as exc:
        raise ApiError(400, str(exc), code="payload_invalid") from exc


@router.post("/encode", responses=_ERRORS)
async def encode(body: PayloadsBody, user: CodecUser, settings: SettingsDep) -> PayloadsBody:
    """Encrypts payloads (the UI uses it for the input of a workflow it starts or signals)."""
    return _to_json(await codec_for(settings).encode(_to_proto(body)))


class CodecCors:
    """CORS for the codec endpoints only, for the Temporal Web UI's origin only, with credentials (the UI calls
    from the browser carrying the gateway's session cookie). Other origins get no CORS headers, so browsers
    refuse to hand them the answer."""

    def __init__(self, app: ASGIApp, *, allowed_origin: str) -> None:
        self.app = app
        self.allowed_origin = allowed_origin.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        origin = Headers(scope=scope).get("origin")
        allowed = origin is not None and origin.rstrip("/") == self.allowed_origin
        if scope["method"] == "OPTIONS" and origin is not None:
            headers = {"Vary": "Origin"}
            if allowed:
                headers.update(self._headers(origin))
                headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
                headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization, X-Namespace"
                headers["Access-Control-Max-Age"] = "600"
            await Response(status_code=204 if allowed else 403, headers=headers)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"vary", b"Origin")]
                if allowed:
                    extra += [(k.lower().encode(), v.encode()) for k, v in self._headers(origin).items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    def _headers(origin: str) -> dict[str, str]:
        return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}


def add_codec(app, settings) -> None:  # noqa: ANN001 - FastAPI app, Settings
    """Mounts the codec endpoints and their CORS on the app."""
    app.include_router(router)
    app.add_middleware(CodecCors, allowed_origin=settings.temporal_web_ui)
