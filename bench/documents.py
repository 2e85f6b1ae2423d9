"""Figure 6: a permit PDF rendered and PAdES-signed per document vs rendered alone (activities/documents.py),
and the golden histories in tests/histories replayed per second (repeated to ~1000) vs a trivial
workflow's history replayed as often."""

import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from bench.common import figure, pct
from bench.floor_workflow import TrivialWorkflow

DOCS = 20
REPLAYS = int(os.environ.get("BENCH_REPLAYS", "180"))  # ~1000 takes ~3 min here
HISTORIES = Path(__file__).resolve().parent.parent / "tests" / "histories"


async def signing_figure(tmp: Path) -> tuple[dict, dict]:
    """The permit signed as `render_permit` signs it: the official's key unwrapped from a TTE
    authorization (`load_authorized_key`, a database read and a Fernet decryption), then `sign_pdf`.
    The passphrase check itself (`authorize_signing`) happens when the official decides, not per
    document, so it is done once, outside the timings."""
    from documents.permit import render_permit_pdf  # noqa: PLC0415 - the figure's stack (reportlab, pyHanko, the tests' fixtures) loads when the figure runs
    from signing.identity import SigningIdentity, load_or_create_signing_identity  # noqa: PLC0415 - the figure's stack (reportlab, pyHanko, the tests' fixtures) loads when the figure runs
    from signing.officials import authorize_signing, ensure_official_identity, load_authorized_key  # noqa: PLC0415 - the figure's stack (reportlab, pyHanko, the tests' fixtures) loads when the figure runs
    from signing.pades import sign_pdf, verify_document  # noqa: PLC0415 - the figure's stack (reportlab, pyHanko, the tests' fixtures) loads when the figure runs
    from store.db import create_schema, make_engine, make_sessionmaker  # noqa: PLC0415 - the figure's stack (reportlab, pyHanko, the tests' fixtures) loads when the figure runs
    from store.models import User  # noqa: PLC0415 - the figure's stack (reportlab, pyHanko, the tests' fixtures) loads when the figure runs
    from store.settings import Settings  # noqa: PLC0415 - the figure's stack (reportlab, pyHanko, the tests' fixtures) loads when the figure runs
    from tests.unit.test_signing import PASSPHRASE, permit_input  # noqa: PLC0415 - the figure's stack (reportlab, pyHanko, the tests' fixtures) loads when the figure runs

    settings = Settings(var_dir=tmp / "var", database_url=f"sqlite+aiosqlite:///{tmp / 'signing.db'}", public_base_url="http://bench")
    engine = make_engine(settings.effective_database_url)
    await create_schema(engine)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session, session.begin():
        session.add(User(id=1, username="kepala1", full_name="Dr. H. Munir Hasan, S.H.I., M.H.", nip="197203151998031002",
                         position="Kepala Dinas Penanaman Modal dan PTSP", password_hash="x"))
    async with sessionmaker() as session:
        official = await session.get(User, 1)
        if official is None:  # not reached: added just above
            raise RuntimeError("the bench official is missing")
        ensure_official_identity(settings, official, PASSPHRASE)
        token = await authorize_signing(session, settings, signer=official, passphrase=PASSPHRASE)
    inp = permit_input("token")

    def render() -> bytes:
        return render_permit_pdf(
            inp, "http://bench/verifikasi/abc", document_code="abc",
            applicant_data={"full_name": "Budi Santoso", "nik": "3374010101900001"}, company={"name": "CV Maju", "nib": "0123"},
            location={"street": "Jl. Mawar 1", "latitude": -7.0, "longitude": 110.4},
            details={"luas_bangunan_m2": 120, "jumlah_lantai": 2}, details_labels={"luas_bangunan_m2": "Luas bangunan (m2)", "jumlah_lantai": "Jumlah lantai"})

    async def sign(pdf: bytes) -> bytes:
        async with sessionmaker() as session:
            key, chain, _ = await load_authorized_key(session, token=token)
        return await sign_pdf(pdf, SigningIdentity(key, chain[0], tuple(chain[1:])), reason="Penerbitan izin", location="Semarang",
                              signer_name="Kepala Dinas")

    try:
        await sign(render())  # warm imports, fonts and the per-certificate signing setup
        render_only, render_sign, sign_only = [], [], []
        for _ in range(DOCS):
            t = time.perf_counter()
            render()
            render_only.append(time.perf_counter() - t)
            t = time.perf_counter()
            signed = await sign(render())
            render_sign.append(time.perf_counter() - t)
            unsigned = render()
            t = time.perf_counter()
            await sign(unsigned)
            sign_only.append(time.perf_counter() - t)
    finally:
        await engine.dispose()
    # A fast signature that does not validate would be no figure at all.
    status = await verify_document(signed, load_or_create_signing_identity(settings))  # the CA officials chain to
    if not (status["valid"] and status["covers_whole_file"]):
        raise RuntimeError(f"the benchmarked permit signature does not validate: {status}")
    value, base = pct(render_sign, 50) * 1000, pct(render_only, 50) * 1000
    return (figure("6. permit render + PAdES sign, p50", value, "ms/doc", baseline=base, target="signing adds <= 50 ms",
                   met=value - base <= 50, digits=1),
            {"docs": DOCS, "render_p99_ms": round(pct(render_only, 99) * 1000, 1), "render_sign_p99_ms": round(pct(render_sign, 99) * 1000, 1),
             "signing_adds_p50_ms": round(value - base, 1), "sign_only_p50_ms": round(pct(sign_only, 50) * 1000, 1),
             "sign_only_p99_ms": round(pct(sign_only, 99) * 1000, 1)})


async def trivial_history(tmp: Path) -> WorkflowHistory:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.prefix) / "bin" / "temporal"), data_converter=pydantic_data_converter,
        dev_server_extra_args=["--log-level", "error"])
    try:
        queue = f"trivial-{uuid.uuid4().hex[:6]}"
        async with Worker(env.client, task_queue=queue, workflows=[TrivialWorkflow]):
            handle = await env.client.start_workflow(TrivialWorkflow.run, "bench", id=queue, task_queue=queue)
            await handle.result()
        return await handle.fetch_history()
    finally:
        await env.shutdown()


async def replay_rate(workflows: list, histories: list[WorkflowHistory]) -> float:
    replayer = Replayer(workflows=workflows, data_converter=pydantic_data_converter)

    async def feed() -> AsyncIterator[WorkflowHistory]:
        for history in histories:
            yield history

    started = time.perf_counter()
    async with replayer.workflow_replay_iterator(feed()) as results:
        async for result in results:
            if result.replay_failure is not None:
                raise RuntimeError(f"{result.history.workflow_id} no longer replays: {result.replay_failure}")
    return len(histories) / (time.perf_counter() - started)


async def replay_figure(tmp: Path) -> tuple[dict, dict]:
    from workflows.complaint import ComplaintWorkflow  # noqa: PLC0415 - the workflows replayed, loaded when the figure runs
    from workflows.leave import LeaveRequestWorkflow  # noqa: PLC0415 - the workflows replayed, loaded when the figure runs
    from workflows.letters import IncomingLetterWorkflow, OutgoingLetterWorkflow  # noqa: PLC0415 - the workflows replayed, loaded when the figure runs
    from workflows.permit import PermitApplicationWorkflow  # noqa: PLC0415 - the workflows replayed, loaded when the figure runs
    from workflows.siramasakan import SiramasakanWorkflow  # noqa: PLC0415 - the workflows replayed, loaded when the figure runs
    from workflows.walk_in import WalkInVisitWorkflow  # noqa: PLC0415 - the workflows replayed, loaded when the figure runs
    from workflows.whatsapp import WhatsAppConversationWorkflow  # noqa: PLC0415 - the workflows replayed, loaded when the figure runs

    golden = []
    for path in sorted(HISTORIES.glob("*.json")):
        data = json.loads(path.read_text())
        golden.append(WorkflowHistory.from_json(data["workflow_id"], data["history"]))
    repeated = (golden * (REPLAYS // len(golden) + 1))[:REPLAYS]
    ours = await replay_rate([LeaveRequestWorkflow, PermitApplicationWorkflow, WalkInVisitWorkflow, IncomingLetterWorkflow, OutgoingLetterWorkflow,
                              SiramasakanWorkflow, ComplaintWorkflow, WhatsAppConversationWorkflow], repeated)
    trivial = await trivial_history(tmp)
    base = await replay_rate([TrivialWorkflow], [trivial] * REPLAYS)
    events = sum(len(h.events) for h in golden) / len(golden)
    return (figure("6. golden histories replayed/s", ours, "histories/s", baseline=base, digits=1),
            {"histories": len(golden), "replays": REPLAYS, "mean_events_per_golden_history": round(events, 1), "trivial_events": len(trivial.events)})


async def document_figures(tmp: Path, *, log: Callable[[str], object] = print) -> tuple[list[dict], dict]:
    tmp.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a folder made before anything is measured, nothing else on the loop yet
    sign, sign_detail = await signing_figure(tmp)
    log(f"    signing: {sign_detail}")
    replay, replay_detail = await replay_figure(tmp)
    log(f"    replay: {replay_detail}")
    return [sign, replay], {"signing": sign_detail, "replay": replay_detail}
