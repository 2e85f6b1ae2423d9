"""The codec server for the Temporal Web UI (the Temporal "remote codec" protocol).

Payloads in Temporal are encrypted (store/payload_codec.py, UU 27/2022); the Web UI shows them in clear only by
sending them here from the browser: `POST /codec/decode` (and `/codec/encode`) with
`{"payloads": [{"metadata": {key: base64}, "data": base64}]}`, answered in the same shape. Only signed-in staff who
may read runs (process owners, auditors) and administrators get an answer.

The Web UI is served by the gateway itself at /temporal/ (gateway/temporal_ui.py), so its call here is same-origin
and carries the session cookie. Nothing else may use that cookie: there is no CORS (a page of another origin cannot
read an answer), a cross-site request does not carry the SameSite=Lax cookie, and a cookie-signed call whose Origin
is another one (a page on another port of the same host is "same-site" and does get the cookie) is refused 403
bad_origin. A bearer token (scripts, tests) is never added by a browser on anyone's behalf and needs no such check.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payload

from gateway.api.schemas import ERRORS, Responses
from gateway.deps import MSG_BAD_ORIGIN, RUN_READER_ROLES, SettingsDep, from_this_site, requires_role
from gateway.errors import ApiError, forbidden
from store.models import User
from store.payload_codec import PayloadDecryptError, codec_for
from store.settings import Settings

PREFIX = "/codec"
CODEC_ROLES = RUN_READER_ROLES | {"admin", "admin_instalasi"}
MSG_INSTALLATION_ONLY = ("Temporal Web UI dan dekode riwayat memperlihatkan proses semua kantor, sehingga hanya untuk administrator, "
                         "pemilik proses, dan auditor tingkat instalasi. Petugas kantor memakai halaman Proses SatuPintu.")
CodecRole = Annotated[User, Depends(requires_role(CODEC_ROLES, "Isi riwayat proses hanya dapat dibuka oleh pemilik proses, auditor, dan administrator."))]


def installation_level(user: User) -> User:
    """Temporal's own views list every office's runs: only staff above the offices (no office of their own) may use them."""
    if user.office_id is not None:
        raise forbidden(MSG_INSTALLATION_ONLY)
    return user


async def codec_user(request: Request, user: CodecRole, settings: SettingsDep) -> User:
    signed_by_cookie = not request.headers.get("authorization", "").lower().startswith("bearer ")
    if signed_by_cookie and not from_this_site(request, settings, required=True):
        raise ApiError(403, MSG_BAD_ORIGIN, code="bad_origin")
    return installation_level(user)


CodecUser = Annotated[User, Depends(codec_user)]

router = APIRouter(prefix=PREFIX, tags=["proses"])
_ERRORS: Responses = {**{k: ERRORS[k] for k in (401, 403, 422)}, 400: {"description": "Payload tidak dapat didekripsi"}}


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


def add_codec(app: FastAPI, settings: Settings) -> None:
    """Mounts the codec endpoints on the app (no CORS: the Web UI that calls them is served from this origin)."""
    app.include_router(router)
