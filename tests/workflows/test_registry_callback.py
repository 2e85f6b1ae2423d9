"""Issue 14 item 16: the civil registry's signed callback is applied only when the request's run is waiting for it.
A report on a request that was never handed off to the registry's system, not handed off yet, already reported
or finished is answered 409 `not_waiting` in Bahasa and leaves no stored callback; the report the run took,
delivered again, is answered 200 "duplicate"; an unknown request stays 404."""

import json

import httpx
import pytest
from sqlalchemy import select

from cli.registry_fake import start_fake as start_registry_fake
from office.registry_protocol import SIGNATURE_HEADER, registry_signature
from store.models import RegistryCallback
from tests.conftest import free_port
from tests.factories import record_golden_history, wait_for, wait_until_decidable
from tests.workflows.test_siramasakan_workflow import complete_case, request_row, start


@pytest.fixture
async def gateway(db, time_skipping_env):
    """The gateway in process, over the test's database and the time-skipping server."""
    from gateway.app import create_app

    app = create_app(db.settings, temporal_client=time_skipping_env.client)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            yield client


async def report(gateway, db, code: str, event_id: str, status: str = "processed", reason: str | None = None):
    raw = json.dumps({"event_id": event_id, "request_id": code, "status": status, "reason": reason}).encode()
    return await gateway.post("/webhooks/civil-registry", content=raw, headers={
        "Content-Type": "application/json", SIGNATURE_HEADER: registry_signature(db.settings.civil_registry_secret, raw)})


async def stored(db) -> list[tuple[str, str]]:
    async with db.sessionmaker() as session:
        return [(c.event_id, c.status) for c in await session.scalars(select(RegistryCallback).order_by(RegistryCallback.id))]


async def test_a_report_on_a_request_never_handed_to_the_registry_is_refused_and_not_stored(time_skipping_env, db, worker_for, gateway):
    await worker_for(time_skipping_env.client)
    handle, request_id = await start(time_skipping_env, db, code="SINT01")  # no registry configured: the inbox path
    refused = await report(gateway, db, "SINT01", "evt-1")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "not_waiting" and "tidak diterapkan" in refused.json()["detail"]
    assert await stored(db) == []
    assert (await request_row(db, request_id)).status == "menunggu_putusan"
    await wait_until_decidable(handle, f"{handle.id}.putusan")  # the run still waits for the court, untouched
    assert (await report(gateway, db, "SZZZ99", "evt-2")).status_code == 404


async def test_only_the_report_the_run_waits_for_is_applied(time_skipping_env, db, worker_for, gateway):
    env = time_skipping_env
    fake = start_registry_fake(free_port(), secret=db.settings.civil_registry_secret)
    try:
        await worker_for(env.client)
        handle, request_id = await start(env, db, code="SEXT02", registry_url=fake.url, callback_url="http://test/webhooks/civil-registry")
        # Before the case is decided nothing has gone to the registry: its report cannot apply.
        early = await report(gateway, db, "SEXT02", "evt-early")
        assert early.status_code == 409 and early.json()["code"] == "not_waiting" and "belum diserahkan" in early.json()["detail"]

        await complete_case(env, handle, db)
        await wait_for(lambda: _handed_off(db, request_id))
        first = await report(gateway, db, "SEXT02", "evt-1")
        assert (first.status_code, first.json()["status"]) == (200, "accepted"), first.text
        # A second, different report: the run already took one.
        second = await report(gateway, db, "SEXT02", "evt-2", status="refused", reason="Data tidak cocok")
        assert second.status_code == 409 and second.json()["code"] == "not_waiting", second.text
        assert "sudah dilaporkan" in second.json()["detail"] or "sudah selesai" in second.json()["detail"]
        result = await handle.result()
        assert (result.status, result.outcome) == ("selesai", "processed")
        # The report now arrives as an update: a golden history of that path, replayed by tests/workflows/test_replay.py.
        await record_golden_history(handle, "siramasakan_external_reported_by_update")
        # The same report delivered again is not an error; a new one after the end is refused.
        again = await report(gateway, db, "SEXT02", "evt-1")
        assert (again.status_code, again.json()["status"]) == (200, "duplicate")
        late = await report(gateway, db, "SEXT02", "evt-3", status="refused", reason="Terlambat")
        assert late.status_code == 409 and late.json()["code"] == "not_waiting", late.text
        assert await stored(db) == [("evt-1", "applied")]
        done = await request_row(db, request_id)
        assert (done.status, done.outcome, done.outcome_reason) == ("selesai", "processed", None)
    finally:
        fake.stop()


async def _handed_off(db, request_id):
    row = await request_row(db, request_id)
    return row if row.registry_reference else None
