"""Personal data never in clear in Temporal histories (UU 27/2022 on personal-data protection).

Every workflow and activity payload (inputs, results, update arguments, signals, memos) is encrypted with
AES-256-GCM before it leaves the process, so the Temporal server, its database, its backups and its Web UI see
only ciphertext. An encrypted payload carries the metadata `encoding: binary/encrypted` and the id of the key
(a fingerprint of it), so keys can rotate: the current key encrypts, the old ones still decrypt. A payload
without that encoding (a history recorded before encryption, the golden histories under tests/histories) is
passed through on decode untouched — in dev mode only.

The encryption is authenticated, and that is what keeps Temporal's port from being a back door: outside dev mode
(`accept_clear_payloads` unset or false) a payload in clear is not passed through but replaced by one of the
encoding `binary/refused-clear`, which no payload converter reads. So whoever reaches Temporal without the payload
key cannot start, signal or update a run: an update in clear is rejected before its validator (it never enters
the history), a signal in clear is dropped by the SDK with a log line, a start in clear fails its first workflow
task and does nothing. The replacement is deterministic, so a history holding a refused signal replays the same.

`data_converter(settings)` is the one place the data converter is built: the worker, the gateway, the audit
replayer and the tests all use it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

from store.settings import Settings

if TYPE_CHECKING:
    from google.protobuf.descriptor import FieldDescriptor

ENCODING = b"binary/encrypted"
# What a payload in clear becomes where clear input is refused: no converter reads it, so the input is refused.
REFUSED_CLEAR = b"binary/refused-clear"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEY_FILE = "payload.key"
GENERATE_HINT = 'python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"'


class PayloadKeyError(RuntimeError):
    """The payload key is missing or malformed: the process refuses to start."""


class PayloadDecryptError(ValueError):
    """An encrypted payload that cannot be decrypted: unknown key, or altered ciphertext."""


def key_id(key: bytes) -> str:
    """A short fingerprint naming the key in each payload (reveals nothing usable about the key)."""
    return hashlib.sha256(b"satupintu-payload-key|" + key).hexdigest()[:16]


def parse_key(text: str, *, name: str = "SATUPINTU_PAYLOAD_KEY") -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PayloadKeyError(f"{name} bukan base64 yang valid. Buat kunci baru dengan: {GENERATE_HINT}") from exc
    if len(key) != 32:
        raise PayloadKeyError(f"{name} harus 32 byte (AES-256) dalam base64, bukan {len(key)} byte. Buat kunci baru dengan: {GENERATE_HINT}")
    return key


class AesGcmCodec(PayloadCodec):
    """Encrypts with `key`; decrypts with `key` or any of `old_keys`; passes unencrypted payloads through, or, with
    accept_clear=False, turns them into unreadable REFUSED_CLEAR payloads."""

    def __init__(self, key: bytes, old_keys: Iterable[bytes] = (), *, accept_clear: bool = True) -> None:
        self.accept_clear = accept_clear
        self.key_id = key_id(key)
        self._aead = AESGCM(key)
        self._keys = {key_id(k): AESGCM(k) for k in old_keys}
        self._keys[self.key_id] = self._aead

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        kid = self.key_id.encode()
        data = nonce + self._aead.encrypt(nonce, payload.SerializeToString(), kid)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: kid}, data=data)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            if self.accept_clear or payload.metadata.get("encoding") == REFUSED_CLEAR:
                return payload
            return Payload(metadata={"encoding": REFUSED_CLEAR})
        kid = payload.metadata.get(KEY_ID, b"")
        aead = self._keys.get(kid.decode(errors="replace"))
        if aead is None:
            raise PayloadDecryptError(f"Kunci enkripsi payload {kid.decode(errors='replace')!r} tidak dikenal.")
        try:
            if len(payload.data) < NONCE_BYTES + 16:
                raise InvalidTag
            clear = aead.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], kid)
        except (InvalidTag, ValueError) as exc:
            raise PayloadDecryptError("Payload terenkripsi rusak atau telah diubah.") from exc
        out = Payload()
        out.ParseFromString(clear)
        return out

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]


def _dev_key(var_dir: Path) -> bytes:
    """Dev mode without a configured key: one generated once and kept under var_dir, so `make run` keeps reading
    its own histories across restarts."""
    path = var_dir / KEY_FILE
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    return parse_key(path.read_text(), name=str(path))


@lru_cache(maxsize=32)
def _codec(key_text: str, old_keys_text: str, dev_mode: bool, var_dir: Path, accept_clear: bool = True) -> AesGcmCodec:
    if key_text.strip():
        key = parse_key(key_text)
    elif dev_mode:
        key = _dev_key(var_dir)
    else:
        raise PayloadKeyError(
            "SATUPINTU_PAYLOAD_KEY wajib diisi di luar mode pengembangan: data pribadi dalam riwayat Temporal harus "
            f"dienkripsi (UU 27/2022). Buat kunci 32 byte dengan: {GENERATE_HINT}")
    old = [parse_key(k, name="SATUPINTU_PAYLOAD_OLD_KEYS") for k in old_keys_text.replace(";", ",").split(",") if k.strip()]
    return AesGcmCodec(key, old, accept_clear=accept_clear)


def accepts_clear_payloads(settings: Settings) -> bool:
    return settings.dev_mode if settings.accept_clear_payloads is None else settings.accept_clear_payloads


def codec_for(settings: Settings) -> AesGcmCodec:
    """The codec of these settings for reading and writing payloads on people's behalf (the Web UI's codec
    endpoint): clear payloads pass through. Raises PayloadKeyError outside dev mode without a key."""
    return _codec(settings.payload_key, settings.payload_old_keys, settings.dev_mode, Path(settings.var_dir))


def data_converter(settings: Settings) -> DataConverter:
    """The pydantic data converter with the payload codec: for every Client, Worker and Replayer. Outside dev mode
    its codec refuses payloads in clear (see the module's docstring); the worker and the replayer must agree on
    that, so both take it from the same setting."""
    codec = _codec(settings.payload_key, settings.payload_old_keys, settings.dev_mode, Path(settings.var_dir),
                   accepts_clear_payloads(settings))
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec)


# --- whole histories ----------------------------------------------------------------------------------------


async def decode_message(message: Message, codec: PayloadCodec | None) -> None:
    """Decodes, in place, every Payload anywhere inside a protobuf message (a history, an event); payloads the
    codec cannot decode are left as they are."""
    if codec is None:
        return
    payloads: list[tuple[object, object]] = []  # (container, key or index)
    _collect(message, payloads)
    if not payloads:
        return
    for container, key in payloads:
        original = container[key]  # type: ignore[index]
        # Reading: what was stored in clear (search attributes, markers, headers, old histories) is read as it is.
        if original.metadata.get("encoding") != ENCODING:
            continue
        try:
            decoded = (await codec.decode([original]))[0]
        except Exception:  # noqa: BLE001 - an unknown key or altered payload stays encrypted (reads as undecodable)
            continue
        if decoded is not original:
            container[key].CopyFrom(decoded)  # type: ignore[index]


def _collect(message: Message, out: list) -> None:
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        repeated = _repeated(field)
        if field.message_type.full_name == Payload.DESCRIPTOR.full_name and not repeated:
            out.append((_Attr(message, field.name), 0))
        elif field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            if value_field.message_type is None:
                continue
            for k in value:
                if value_field.message_type.full_name == Payload.DESCRIPTOR.full_name:
                    out.append((value, k))
                else:
                    _collect(value[k], out)
        elif repeated:
            for i, item in enumerate(value):
                if field.message_type.full_name == Payload.DESCRIPTOR.full_name:
                    out.append((value, i))
                else:
                    _collect(item, out)
        else:
            _collect(value, out)


def _repeated(field: FieldDescriptor) -> bool:
    # protobuf >= 5 has is_repeated (and drops label in 7); older versions only label.
    flag = getattr(field, "is_repeated", None)
    # The installed protobuf's stubs no longer know `label`, which only an older protobuf reaches here for.
    return bool(flag) if flag is not None else field.label == field.LABEL_REPEATED  # type: ignore[attr-defined]


class _Attr:
    """A singular message field seen as a one-item container, so every payload is replaced the same way."""

    def __init__(self, message: Message, name: str) -> None:
        self._message, self._name = message, name

    def __getitem__(self, _: int) -> Payload:
        return getattr(self._message, self._name)
