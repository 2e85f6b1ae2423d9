"""SIRAMASAKAN (seed 000 §4): a case pending for months, the internal hand-off (processed and refused), the
external hand-off through the fake registry (down for a day, delivered once, then a signed callback; a
callback with a bad signature changes nothing), and the reminders every N working days while waiting."""

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from cli.registry_fake import start_fake as start_registry_fake
from contracts import PopulationChange, SiramasakanInput, SiramasakanResult
from gateway.services import siramasakan as sira_service
from gateway.services.people import person
from office.registry_protocol import SIGNATURE_HEADER, registry_signature
from process_defs.siramasakan import load_siramasakan, siramasakan_snapshot
from store.models import CaseEvent, Notification, RegistryCallback, SiramasakanRequest
from tests.conftest import free_port
from tests.factories import COURT, as_staff, calendar_of, decide, office_defs, office_ids, record_golden_history, refused, user, wait_for, wait_for_task
from workflows.siramasakan import SiramasakanWorkflow, siramasakan_workflow_id

APPLICANT = "3374010101900001"
CASE = "123/Pdt.G/2026/MS.Lsm"
CHANGES = [PopulationChange(nik="1173014107800001", kind="status_perkawinan", description="Cerai gugat"),
           PopulationChange(nik="1173014107800002", kind="hak_asuh_anak", description="Anak ikut ibu")]


async def start(env, db, *, code: str, registry_url: str = "", callback_url: str = ""):
    """Records a request and starts its workflow, as the gateway does after its checks."""
    applicant = await user(db.sessionmaker, APPLICANT)
    court = (await office_ids(db.sessionmaker))[COURT]
    async with db.sessionmaker() as session:
        row = SiramasakanRequest(office_id=court, code=code, workflow_id=siramasakan_workflow_id(code), applicant_id=applicant.id, case_number=CASE,
                                 kk_number="1173010101200001", changes=[{"nik": c.nik, "kind": c.kind, "description": c.description} for c in CHANGES],
                                 status="menunggu_putusan", stage="case_completion")
        session.add(row)
        await session.commit()
    handle = await env.client.start_workflow(SiramasakanWorkflow.run, SiramasakanInput(
        request_id=row.id, code=code, applicant=person(applicant), case_number=CASE, kk_number="1173010101200001", changes=CHANGES,
        definition=siramasakan_snapshot(office_defs(COURT), registry_url), callback_url=callback_url), id=row.workflow_id, task_queue=db.settings.task_queue)
    return handle, row.id


async def today(env) -> str:
    """The office's date on the workflow's clock (the time-skipping server moves it)."""
    calendar = calendar_of(COURT)
    return calendar.local_today(await env.get_current_time()).isoformat()


async def request_row(db, request_id) -> SiramasakanRequest:
    async with db.sessionmaker() as session:
        return await session.get(SiramasakanRequest, request_id)


async def kinds(db, workflow_id) -> list[str]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(CaseEvent.kind).where(CaseEvent.workflow_id == workflow_id).order_by(CaseEvent.occurred_at, CaseEvent.id)))


async def to_applicant(db, channel: str) -> list[Notification]:
    applicant = await user(db.sessionmaker, APPLICANT)
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(Notification).where(Notification.recipient_id == applicant.id, Notification.channel == channel)
                                          .order_by(Notification.id)))


async def complete_case(env, handle, db) -> None:
    await decide(handle, "putusan", "panitera1", "lengkap", db, data={"case_number": CASE, "decision_date": await today(env)})


async def test_a_case_pending_for_months_keeps_waiting_with_one_reminder(time_skipping_env, db, worker_for):
    env = time_skipping_env
    await worker_for(env.client)
    handle, request_id = await start(env, db, code="SPEND01")
    await wait_for_task(db.sessionmaker, f"{handle.id}.putusan")
    await env.sleep(timedelta(days=120))
    task = await wait_for_task(db.sessionmaker, f"{handle.id}.putusan")
    assert task.status == "open" and task.reminded_at is not None
    assert (await kinds(db, handle.id)).count("task_reminded") == 1
    row = await request_row(db, request_id)
    assert (row.status, row.handed_off_at, row.reminders_sent) == ("menunggu_putusan", None, 0)
    # The court staff can still close the case months later: the request was never lost.
    await complete_case(env, handle, db)
    await wait_for_task(db.sessionmaker, f"{handle.id}.dukcapil")


async def test_internal_path_processed_tells_the_applicant_which_documents_to_collect(time_skipping_env, db, worker_for):
    env = time_skipping_env
    await worker_for(env.client)
    handle, request_id = await start(env, db, code="SINT01")
    assert "format" in await refused(handle, "putusan", "panitera1", "lengkap", db, data={"case_number": "123/Pdt/2026", "decision_date": await today(env)})
    assert "melewati hari ini" in await refused(handle, "putusan", "panitera1", "lengkap", db, data={"case_number": CASE, "decision_date": "2099-01-01"})
    assert "sebelum permohonan" in await refused(handle, "putusan", "panitera1", "lengkap", db, data={"case_number": CASE, "decision_date": "2020-01-01"})
    assert "tidak berwenang" in await refused(handle, "putusan", "dukcapil1", "lengkap", db, data={"case_number": CASE, "decision_date": await today(env)})
    await complete_case(env, handle, db)
    handed = await wait_for(lambda: _with(db, request_id, lambda r: r.handoff_path == "internal"))
    assert handed.status == "diserahkan_ke_dukcapil" and handed.decision_date is not None and handed.decided_case_number == CASE
    await decide(handle, "dukcapil", "dukcapil1", "diproses", db)
    result = await handle.result()
    assert result == SiramasakanResult(status="selesai", outcome="processed", documents=["KK", "KTP-el"])
    done = await request_row(db, request_id)
    assert (done.status, done.outcome, done.documents_to_collect) == ("selesai", "processed", ["KK", "KTP-el"]) and done.finished_at
    office = load_siramasakan().collection_office
    for channel in ("inapp", "email", "whatsapp"):
        told = [n for n in await to_applicant(db, channel) if n.subject == "Dokumen kependudukan baru siap diambil"]
        assert len(told) == 1 and "- KK\n- KTP-el\n" in told[0].body and office in told[0].body, channel
    assert (await to_applicant(db, "whatsapp"))[0].address == "6281234567890"
    assert [k for k in await kinds(db, handle.id) if not k.startswith("task_")] == ["filed", "decided", "handed-off", "processed"]
    await record_golden_history(handle, "siramasakan_internal_processed")


async def test_internal_path_refused_says_why_and_what_to_do(time_skipping_env, db, worker_for):
    env = time_skipping_env
    await worker_for(env.client)
    handle, request_id = await start(env, db, code="SINT02")
    await complete_case(env, handle, db)
    assert "Alasan wajib" in await refused(handle, "dukcapil", "dukcapil1", "ditolak", db)
    await decide(handle, "dukcapil", "dukcapil1", "ditolak", db, reason="NIK anak belum terdaftar pada KK")
    result = await handle.result()
    assert (result.status, result.reason) == ("ditolak", "NIK anak belum terdaftar pada KK")
    row = await request_row(db, request_id)
    assert (row.status, row.outcome, row.outcome_reason, row.documents_to_collect) == ("ditolak", "refused", "NIK anak belum terdaftar pada KK", [])
    told = [n for n in await to_applicant(db, "whatsapp") if n.subject == "Perubahan data kependudukan ditolak"]
    assert len(told) == 1 and "NIK anak belum terdaftar pada KK" in told[0].body and "hubungi loket PTSP" in told[0].body


async def test_reminders_every_n_working_days_and_the_over_sla_list(time_skipping_env, db, worker_for):
    env = time_skipping_env
    await worker_for(env.client)
    handle, request_id = await start(env, db, code="SREM01")
    await complete_case(env, handle, db)
    handed = await wait_for(lambda: _with(db, request_id, lambda r: r.handed_off_at is not None))
    await env.sleep(timedelta(days=21))
    now = await env.get_current_time()
    calendar, every = calendar_of(COURT), load_siramasakan().handoff_reminder_every_working_days
    expected, at = 0, calendar.add_working_days(handed.handed_off_at.replace(tzinfo=handed.handed_off_at.tzinfo or now.tzinfo), every)
    while at <= now:
        expected, at = expected + 1, calendar.add_working_days(at, every)
    assert expected >= 4
    row = await wait_for(lambda: _with(db, request_id, lambda r: r.reminders_sent == expected))
    assert row.status == "diserahkan_ke_dukcapil"
    for username in ("dukcapil1", "panitera1"):
        staff = await user(db.sessionmaker, username)
        async with db.sessionmaker() as session:
            subjects = list(await session.scalars(select(Notification.body).where(
                Notification.recipient_id == staff.id, Notification.channel == "inapp",
                Notification.subject == "Pengingat: hand-off SIRAMASAKAN belum dilaporkan")))
        assert len(subjects) == expected and "pengingat ke-1" in subjects[0]
    async with as_staff(db.sessionmaker, "dukcapil1") as (session, dukcapil):
        over, total = await sira_service.list_requests(session, user=dukcapil, over_sla_only=True, now=now)
    assert [r.code for r in over] == ["SREM01"] and total == 1
    await decide(handle, "dukcapil", "dukcapil1", "diproses", db)
    await handle.result()
    async with as_staff(db.sessionmaker, "dukcapil1") as (session, dukcapil):
        assert (await sira_service.list_requests(session, user=dukcapil, over_sla_only=True, now=now))[1] == 0


@pytest.fixture
async def registry_and_gateway(db, time_skipping_env):
    """The fake registry and the gateway (for its webhook) on 127.0.0.1, both over the test's database."""
    from gateway.app import create_app

    fake = start_registry_fake(free_port(), secret=db.settings.civil_registry_secret)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db.settings, temporal_client=time_skipping_env.client), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    yield fake, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
    fake.stop()


async def test_external_path_delivered_once_through_a_day_long_outage_then_a_signed_callback(time_skipping_env, db, worker_for,
                                                                                               registry_and_gateway):
    env = time_skipping_env
    fake, gateway = registry_and_gateway
    await worker_for(env.client)
    handle, request_id = await start(env, db, code="SEXT01", registry_url=fake.url, callback_url=f"{gateway}/webhooks/civil-registry")
    fake.outage(503)
    await complete_case(env, handle, db)
    await wait_for(lambda: _true(fake.attempts >= 1))
    await env.sleep(timedelta(days=1))
    assert fake.handoffs() == [] and (await request_row(db, request_id)).handed_off_at is None
    fake.outage(None)
    await env.sleep(timedelta(minutes=10))  # the next retry (backing off to every 5 minutes) reaches the registry
    handed = await wait_for(lambda: _with(db, request_id, lambda r: r.registry_reference is not None), timeout=60)
    assert handed.handoff_path == "external" and handed.status == "diserahkan_ke_dukcapil"
    [stored] = fake.handoffs()
    assert stored["reference"] == handed.registry_reference and stored["idempotency_key"] == f"{handle.id}.handoff"
    assert stored["body"]["case_number"] == CASE and [c["nik"] for c in stored["body"]["changes"]] == [c.nik for c in CHANGES]
    assert fake.attempts > 2

    # A callback with a bad signature is refused and changes nothing.
    async with httpx.AsyncClient(base_url=gateway) as http:
        raw = json.dumps({"event_id": "evt-forged", "request_id": "SEXT01", "status": "refused", "reason": "palsu"}).encode()
        for headers in ({SIGNATURE_HEADER: registry_signature("wrong-secret", raw)}, {}):
            forged = await http.post("/webhooks/civil-registry", content=raw, headers=headers)
            assert forged.status_code == 401 and forged.json()["code"] == "bad_signature"
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(RegistryCallback)) == 0
    assert (await request_row(db, request_id)).status == "diserahkan_ke_dukcapil"

    status, body = await fake.process(stored["reference"], event_id="evt-1")
    assert (status, body["status"]) == (200, "accepted")
    result = await handle.result()
    assert result.status == "selesai" and result.documents == ["KK", "KTP-el"]
    # The registry sends the same event again: answered 200, stored and applied once.
    status, body = await fake.process(stored["reference"], event_id="evt-1")
    assert (status, body["status"]) == (200, "duplicate")
    async with db.sessionmaker() as session:
        callbacks = list(await session.scalars(select(RegistryCallback)))
    assert [(c.event_id, c.status) for c in callbacks] == [("evt-1", "applied")]
    done = await request_row(db, request_id)
    assert (done.status, done.outcome) == ("selesai", "processed")
    assert [n.subject for n in await to_applicant(db, "whatsapp")].count("Dokumen kependudukan baru siap diambil") == 1


async def _with(db, request_id, predicate):
    row = await request_row(db, request_id)
    return row if predicate(row) else None


async def _true(value):
    return value
