"""The permit process: revision loop, missed revision deadline, TTE signing, one-time download,
one-week expiry and reissue."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from contracts import (
    CLAIM_PERMIT_DOWNLOAD,
    DECIDE_TASK,
    REQUEST_PERMIT_REISSUE,
    RESUBMIT_PERMIT,
    DecisionRequest,
    DownloadClaim,
    DownloadGrant,
    ReissueRequest,
    ResubmitRequest,
    TaskAck,
)
from gateway.services.people import actor
from signing.identity import load_or_create_signing_identity
from signing.officials import authorize_signing, ensure_official_identity
from signing.pades import verify_document
from store.models import CaseEvent, Document, PermitApplication, SigningAuthorization
from tests.factories import actor_for, record_golden_history, start_permit, user, wait_for_task


async def decide(handle, task_id, actor_, outcome, reason=None, data=None):
    decision = DecisionRequest(task_id=task_id, actor=actor_, outcome=outcome, reason=reason, data=data or {})
    return await handle.execute_update(DECIDE_TASK, decision, result_type=TaskAck)


async def refused(handle, update, arg, result_type=TaskAck) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(update, arg, result_type=result_type)
    return info.value.cause.message


async def sign_token(db) -> str:
    head = await user(db.sessionmaker, "kepala1")
    ensure_official_identity(db.settings, head, "Demo12345")
    async with db.sessionmaker() as session:
        return await authorize_signing(session, db.settings, signer=head, passphrase="Demo12345")


async def row(db, application_id):
    async with db.sessionmaker() as session:
        return await session.get(PermitApplication, application_id)


async def row_at(db, application_id, stage: str, timeout: float = 20):
    """The case row once it reached `stage` (the projection follows the decision by a moment)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (state := await row(db, application_id)).stage != stage:
        assert asyncio.get_running_loop().time() < deadline, f"stage is {state.stage!r}, expected {stage!r}"
        await asyncio.sleep(0.05)
    return state


async def test_revision_loop_then_signed_permit_downloaded_once_and_reissued(local_env, db, worker_for):
    await worker_for(local_env.client)
    handle, application, applicant = await start_permit(local_env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    verifier = await actor_for(db.sessionmaker, "verifikator1")
    me = actor(applicant)

    # Round 1: returned for revision, with notes.
    await wait_for_task(db.sessionmaker, f"{handle.id}.verifikasi-1")
    assert (await refused(handle, RESUBMIT_PERMIT, ResubmitRequest(actor=me, round=2))).startswith("Permohonan ini tidak sedang menunggu")
    await decide(handle, f"{handle.id}.verifikasi-1", verifier, "revise", "Foto lokasi buram; unggah ulang")
    state = await row_at(db, application.id, "revision")
    assert (state.status, state.revision_notes, state.revision_round) == ("revision", "Foto lokasi buram; unggah ulang", 1)
    assert state.revision_due_at is not None and state.clock[-1]["side"] == "applicant"
    # Only the applicant, and only for the next round.
    assert "Hanya pemohon" in await refused(handle, RESUBMIT_PERMIT, ResubmitRequest(actor=verifier, round=2))
    assert "putaran" in await refused(handle, RESUBMIT_PERMIT, ResubmitRequest(actor=me, round=5))
    await handle.execute_update(RESUBMIT_PERMIT, ResubmitRequest(actor=me, round=2, changed=["dokumen"]), result_type=TaskAck)

    # Round 2: approved; then the head signs with TTE.
    await wait_for_task(db.sessionmaker, f"{handle.id}.verifikasi-2")
    state = await row_at(db, application.id, "verification")
    assert (state.status, state.revision_notes) == ("in_process", None)
    await decide(handle, f"{handle.id}.verifikasi-2", verifier, "approve")
    await wait_for_task(db.sessionmaker, f"{handle.id}.tte-1")
    head = await actor_for(db.sessionmaker, "kepala1")
    with pytest.raises(WorkflowUpdateFailedError):  # signing needs a token from the passphrase
        await decide(handle, f"{handle.id}.tte-1", head, "sign")
    await decide(handle, f"{handle.id}.tte-1", head, "sign", data={"signing_token": await sign_token(db)})

    state = await row_at(db, application.id, "ready_for_download")
    assert state.status == "finished" and state.permit_number.startswith("503/1/DPMPTSP/")
    async with db.sessionmaker() as session:
        document = await session.get(Document, state.permit_document_id)
        assert (await session.scalars(select(SigningAuthorization))).all() == [], "the one-time authorization is consumed"
    pdf = (db.settings.documents_dir / document.file_name).read_bytes()
    verdict = await verify_document(pdf, load_or_create_signing_identity(db.settings))
    assert verdict["valid"] and "Munir Hasan" in verdict["signer"]

    # Downloaded once; the second attempt is refused with a reason.
    grant = await handle.execute_update(CLAIM_PERMIT_DOWNLOAD, DownloadClaim(actor=me), result_type=DownloadGrant)
    assert grant.document_id == state.permit_document_id
    assert "sudah pernah diunduh" in await refused(handle, CLAIM_PERMIT_DOWNLOAD, DownloadClaim(actor=me), DownloadGrant)

    # Lost file: reissue on request, granted by a verifier, opens a new download.
    await handle.execute_update(REQUEST_PERMIT_REISSUE, ReissueRequest(actor=me, reason="Berkas terhapus"), result_type=TaskAck)
    await wait_for_task(db.sessionmaker, f"{handle.id}.terbit-ulang-1")
    await decide(handle, f"{handle.id}.terbit-ulang-1", verifier, "reissue")
    await row_at(db, application.id, "ready_for_download")
    again = await handle.execute_update(CLAIM_PERMIT_DOWNLOAD, DownloadClaim(actor=me), result_type=DownloadGrant)
    assert again.document_id == grant.document_id
    async with db.sessionmaker() as session:
        kinds = [e.kind for e in await session.scalars(select(CaseEvent).where(CaseEvent.workflow_id == handle.id).order_by(CaseEvent.occurred_at))]
    for expected in ("submitted", "revision", "resubmitted", "verified", "numbered", "issued", "downloaded", "reissue-requested", "reissued"):
        assert expected in kinds, expected
    await record_golden_history(handle, "permit_revised_signed_reissued")
    await handle.terminate("test selesai")


async def test_missed_revision_deadline_closes_the_application(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, application, _ = await start_permit(time_skipping_env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    await wait_for_task(db.sessionmaker, f"{handle.id}.verifikasi-1")
    await decide(handle, f"{handle.id}.verifikasi-1", await actor_for(db.sessionmaker, "verifikator1"), "revise", "Lengkapi NIB")
    await time_skipping_env.sleep(timedelta(days=12))  # 5 working days, over weekends and holidays
    result = await handle.result()
    state = await row_at(db, application.id, "revision_expired")
    assert result.status == "rejected" and state.status == "rejected" and state.stage == "revision_expired"
    assert state.decision_reason == "Batas waktu perbaikan terlewati"
    # The SLA clock: the office's time and the applicant's time, each closed.
    assert [s["side"] for s in state.clock] == ["office", "applicant"] and all(s["end"] for s in state.clock)


async def test_unused_download_expires_after_a_week_and_can_be_reissued(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, application, applicant = await start_permit(time_skipping_env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    await wait_for_task(db.sessionmaker, f"{handle.id}.verifikasi-1")
    await decide(handle, f"{handle.id}.verifikasi-1", await actor_for(db.sessionmaker, "verifikator1"), "approve")
    await wait_for_task(db.sessionmaker, f"{handle.id}.tte-1")
    await decide(handle, f"{handle.id}.tte-1", await actor_for(db.sessionmaker, "kepala1"), "sign", data={"signing_token": await sign_token(db)})
    assert (await row_at(db, application.id, "ready_for_download")).download_expires_at is not None
    await time_skipping_env.sleep(timedelta(days=6))
    assert (await row(db, application.id)).stage == "ready_for_download", "still open on day 6"
    await time_skipping_env.sleep(timedelta(days=2))
    assert (await row(db, application.id)).stage == "download_expired"
    me = actor(applicant)
    assert "kedaluwarsa" in await refused(handle, CLAIM_PERMIT_DOWNLOAD, DownloadClaim(actor=me), DownloadGrant)
    await handle.execute_update(REQUEST_PERMIT_REISSUE, ReissueRequest(actor=me, reason="Terlambat mengunduh"), result_type=TaskAck)
    await wait_for_task(db.sessionmaker, f"{handle.id}.terbit-ulang-1")
    await handle.terminate("test selesai")
