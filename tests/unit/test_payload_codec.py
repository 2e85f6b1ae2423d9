"""Personal data never in clear in Temporal histories (issue 7, UU 27/2022): the payload codec, its keys, and the
codec endpoint the Temporal Web UI decodes through."""

import base64
import os
import stat

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from audit.history import fetch_history
from store.payload_codec import ENCODING, AesGcmCodec, PayloadDecryptError, PayloadKeyError, data_converter
from store.settings import Settings
from tests.factories import login, start_leave, wait_for_task

NIP = b"199201102019031005"  # pegawai1's NIP: in the leave input (employee) of every leave run
NAME = b"Muhammad Rizki, S.Kom."
REASON = b"Keperluan keluarga"


def _key() -> bytes:
    return os.urandom(32)


def _raw_bytes(history) -> bytes:
    """Every byte Temporal stores for the run (payload data appears verbatim in the serialized events)."""
    return b"".join(event.SerializeToString() for event in history.events)


# --- the codec and its keys -------------------------------------------------------------------------------


async def test_payloads_are_encrypted_and_read_back():
    converter = data_converter(Settings(payload_key=base64.b64encode(_key()).decode()))
    [payload] = await converter.encode([{"nip": NIP.decode(), "full_name": NAME.decode()}])
    assert payload.metadata["encoding"] == ENCODING and payload.metadata["encryption-key-id"]
    assert NIP not in payload.data and NAME not in payload.data
    assert await converter.decode([payload], [dict]) == [{"nip": NIP.decode(), "full_name": NAME.decode()}]


async def test_a_payload_in_clear_passes_through_decode():
    clear = pydantic_data_converter.payload_converter.to_payloads(["3374010101900001"])
    codec = AesGcmCodec(_key())
    assert await codec.decode(clear) == clear


async def test_an_altered_ciphertext_is_refused():
    codec = AesGcmCodec(_key())
    [payload] = await codec.encode(pydantic_data_converter.payload_converter.to_payloads(["3374010101900001"]))
    data = bytearray(payload.data)
    data[-1] ^= 1
    tampered = Payload(metadata=dict(payload.metadata), data=bytes(data))
    with pytest.raises(PayloadDecryptError, match="rusak atau telah diubah"):
        await codec.decode([tampered])


async def test_keys_rotate_and_old_runs_still_read():
    old, new = _key(), _key()
    [written_before] = await AesGcmCodec(old).encode(pydantic_data_converter.payload_converter.to_payloads(["lama"]))
    rotated = AesGcmCodec(new, old_keys=[old])
    [written_after] = await rotated.encode(pydantic_data_converter.payload_converter.to_payloads(["baru"]))
    assert written_after.metadata["encryption-key-id"] != written_before.metadata["encryption-key-id"]
    decoded = await rotated.decode([written_before, written_after])
    assert pydantic_data_converter.payload_converter.from_payloads(decoded) == ["lama", "baru"]
    with pytest.raises(PayloadDecryptError, match="tidak dikenal"):
        await AesGcmCodec(new).decode([written_before])


def test_rotation_from_settings():
    old, new = base64.b64encode(_key()).decode(), base64.b64encode(_key()).decode()
    codec = data_converter(Settings(payload_key=new, payload_old_keys=f"{old}, {base64.b64encode(_key()).decode()}")).payload_codec
    assert codec.key_id == AesGcmCodec(base64.b64decode(new)).key_id


def test_production_refuses_to_start_without_a_key(tmp_path):
    with pytest.raises(PayloadKeyError, match="SATUPINTU_PAYLOAD_KEY wajib diisi"):
        data_converter(Settings(var_dir=tmp_path, dev_mode=False, payload_key=""))
    with pytest.raises(PayloadKeyError, match="32 byte"):
        data_converter(Settings(var_dir=tmp_path, dev_mode=False, payload_key=base64.b64encode(b"short").decode()))
    assert not (tmp_path / "payload.key").exists()


async def test_dev_mode_keeps_its_generated_key_under_var_dir(tmp_path):
    first = data_converter(Settings(var_dir=tmp_path, dev_mode=True, payload_key=""))
    key_file = tmp_path / "payload.key"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    [payload] = await first.encode(["3374010101900001"])
    # A restart reads the same file: the run's own histories stay readable.
    restarted = AesGcmCodec(base64.b64decode(key_file.read_text().strip()))
    assert pydantic_data_converter.payload_converter.from_payloads(await restarted.decode([payload])) == ["3374010101900001"]


# --- a real run through the whole stack ---------------------------------------------------------------------


async def _leave_decided_over_http(http, live_stack) -> str:
    """A leave request of pegawai1 (its input names the employee with NIP), approved by atasan1 over HTTP."""
    handle, _ = await start_leave(live_stack.client, live_stack.sessionmaker, task_queue=live_stack.settings.task_queue)
    supervisor = await login(http, "atasan1")
    await wait_for_task(live_stack.sessionmaker, f"{handle.id}.persetujuan-atasan")
    assert (await http.post(f"/api/v1/tasks/{handle.id}.persetujuan-atasan/claim", headers=supervisor)).status_code == 200
    decided = await http.post(f"/api/v1/tasks/{handle.id}.persetujuan-atasan/decision", headers=supervisor, json={"outcome": "approve"})
    assert decided.status_code == 200, decided.text
    await wait_for_task(live_stack.sessionmaker, f"{handle.id}.penomoran-surat")
    return handle.id


def _without_codec(client: Client) -> Client:
    """The same server seen as the Temporal server, its database or its Web UI see it: no key."""
    return Client(**{**client.config(), "data_converter": pydantic_data_converter})


async def test_history_holds_no_personal_data_in_clear(http, live_stack):
    workflow_id = await _leave_decided_over_http(http, live_stack)

    raw = await _without_codec(live_stack.client).get_workflow_handle(workflow_id).fetch_history()
    stored = _raw_bytes(raw)
    assert NIP not in stored and NAME not in stored and REASON not in stored
    started = raw.events[0].workflow_execution_started_event_attributes
    assert started.input.payloads[0].metadata["encoding"] == ENCODING

    # SatuPintu, holding the key, reads the same history in full (the timeline and the auditor's replay use this).
    readable = _raw_bytes(await fetch_history(live_stack.client, workflow_id))
    assert NIP in readable and NAME in readable and REASON in readable


async def test_the_web_ui_decodes_through_the_codec_endpoint_for_authorised_staff_only(http, live_stack):
    workflow_id = await _leave_decided_over_http(http, live_stack)
    raw = await _without_codec(live_stack.client).get_workflow_handle(workflow_id).fetch_history()
    payload = raw.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    body = {"payloads": [{"metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
                          "data": base64.b64encode(payload.data).decode()}]}
    ui = {"Origin": live_stack.base_url}  # the Web UI is served by the gateway (gateway/temporal_ui.py)

    decoded = await http.post("/codec/decode", json=body, headers={**await login(http, "auditor1"), **ui, "X-Namespace": "default"})
    assert decoded.status_code == 200, decoded.text
    [clear] = decoded.json()["payloads"]
    assert base64.b64decode(clear["metadata"]["encoding"]) == b"json/plain"
    assert NIP in base64.b64decode(clear["data"]) and NAME in base64.b64decode(clear["data"])

    # Process owners and administrators may too; plain staff and strangers may not.
    for username in ("pemilik1", "admin_ms"):
        assert (await http.post("/codec/decode", json=body, headers=await login(http, username))).status_code == 200
    refused = await http.post("/codec/decode", json=body, headers={**await login(http, "pegawai1"), **ui})
    assert refused.status_code == 403 and refused.json()["detail"] and NIP.decode() not in refused.text
    anonymous = await http.post("/codec/decode", json=body, headers=ui)
    assert anonymous.status_code == 401 and anonymous.json()["detail"]

    # The round trip through /codec/encode gives a payload the codec endpoint decodes again.
    auditor = await login(http, "auditor1")
    encoded = await http.post("/codec/encode", json={"payloads": [clear]}, headers=auditor)
    assert encoded.status_code == 200 and NIP not in base64.b64decode(encoded.json()["payloads"][0]["data"])
    again = await http.post("/codec/decode", json=encoded.json(), headers=auditor)
    assert again.json()["payloads"] == [clear]

    # An altered ciphertext is refused with a reason.
    data = bytearray(payload.data)
    data[20] ^= 1
    tampered = {"payloads": [{**body["payloads"][0], "data": base64.b64encode(bytes(data)).decode()}]}
    bad = await http.post("/codec/decode", json=tampered, headers=auditor)
    assert bad.status_code == 400 and "diubah" in bad.json()["detail"]


async def test_the_codec_takes_the_session_cookie_from_this_sites_pages_only(http, live_stack):
    """The Web UI is served under the gateway, so its codec calls are same-origin. A page of any other origin gets no
    CORS to read an answer with, and a cookie-signed call from one (a page on another port of this host is same-site
    and does carry the cookie, as the dev server's own UI port did) is refused."""
    signed_in = await http.post("/masuk", data={"username": "auditor1", "password": "Demo12345", "next": "/"})
    assert signed_in.status_code == 303
    body = {"payloads": []}
    same_site = f"http://127.0.0.1:{live_stack.settings.temporal_ui_port}"
    for origin in (same_site, "http://evil.example"):
        preflight = await http.options("/codec/decode", headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                                "Access-Control-Request-Headers": "content-type,x-namespace"})
        assert "access-control-allow-origin" not in preflight.headers
        refused = await http.post("/codec/decode", json=body, headers={"Origin": origin})
        assert refused.status_code == 403 and refused.json()["code"] == "bad_origin", refused.text
        assert "access-control-allow-origin" not in refused.headers
    # Without Origin or Referer nothing says the call comes from this site.
    assert (await http.post("/codec/decode", json=body)).status_code == 403
    # The UI's own call: same origin, the cookie, answered.
    answered = await http.post("/codec/decode", json=body, headers={"Origin": live_stack.base_url, "X-Namespace": "default"})
    assert answered.status_code == 200 and answered.json() == {"payloads": []}
    assert "access-control-allow-origin" not in answered.headers
