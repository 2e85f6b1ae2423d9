"""Environment fixtures: the real Temporal dev server and time-skipping test server (from PyPI),
throwaway SQLite databases, a real SMTP sink, and the whole stack on 127.0.0.1 for end-to-end tests."""

import asyncio
import os
import socket
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import async_playwright
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cli.seed import DEMO_PASSWORD, provision_demo_signers, seed_demo
from cli.smtp_sink import start_sink
from cli.wa_fake import start_fake
from gateway.security import hash_password
from store.db import create_schema, make_engine, make_sessionmaker
from store.payload_codec import data_converter
from store.settings import Settings
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.s3server import bucket, moto_endpoint  # noqa: F401 - fixtures every layer may use
from workers.main import build_worker

BIN = Path(sys.prefix) / "bin"
_exit_status = 0
_DEMO_HASH = hash_password(DEMO_PASSWORD)
# One payload key for the session's dev server and every test database, so the gateway's codec endpoint and the
# workers read what the shared client encrypted (store/payload_codec.py).
TEST_PAYLOAD_KEY = "c2F0dXBpbnR1LXRlc3QtcGF5bG9hZC1rZXktMzJieXQ="
# Not the published dev key, so that the tests' settings also pass production's check when dev mode is turned off.
TEST_SECRET_KEY = "satupintu-test-secret-key-not-for-production-0123456789"


# --- a green run exits 0 and a red one non-zero, whatever temporalio does at shutdown (sdk-python #300)


def pytest_sessionfinish(session, exitstatus):
    global _exit_status
    _exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)


# --- building blocks -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Database:
    settings: Settings
    engine: object
    sessionmaker: object
    # The fake WhatsApp Cloud API its settings point at (cli.wa_fake.RunningFake).
    whatsapp: object = None


async def make_database(tmp: Path, **settings_overrides) -> Database:
    """A new database with the demo organisation: a SQLite file under `tmp` unless `database_url` names another."""
    settings_overrides = {"payload_key": TEST_PAYLOAD_KEY, "secret_key": TEST_SECRET_KEY,
                          "database_url": f"sqlite+aiosqlite:///{tmp / 'satupintu.db'}", **settings_overrides}
    settings = Settings(var_dir=tmp, dev_mode=True, **settings_overrides)
    engine = make_engine(settings.effective_database_url)
    await create_schema(engine)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        await seed_demo(session, _DEMO_HASH)
        await provision_demo_signers(session, settings)
    return Database(settings=settings, engine=engine, sessionmaker=sessionmaker)


@pytest.fixture
async def db(tmp_path: Path):
    """A fresh SQLite database with the demo organisation, and an SMTP sink its settings point at."""
    port = free_port()
    sink = start_sink(tmp_path / "mail", port=port)
    whatsapp = start_fake(tmp_path / "whatsapp", port=free_port())
    database = await make_database(tmp_path, smtp_port=port, task_queue=f"test-{uuid.uuid4().hex[:8]}", **_whatsapp_settings(whatsapp))
    database.whatsapp = whatsapp
    yield database
    await database.engine.dispose()
    sink.stop()
    whatsapp.stop()


def _whatsapp_settings(fake) -> dict:
    return {"whatsapp_api_url": fake.url, "whatsapp_fake_port": fake.port}


@pytest.fixture
async def time_skipping_env():
    """One test server per test: skipped time and runs a failed test left waiting stay with that test.
    Payloads stay in clear here (tests read recorded update arguments straight from the history); the dev
    server's `local_env` encrypts them as production does."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"), data_converter=pydantic_data_converter
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def local_env():
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"), data_converter=data_converter(Settings(payload_key=TEST_PAYLOAD_KEY)), ui=False,
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def client(db: Database):
    """The gateway in process over the `db` fixture (no Temporal): for API and page tests that start no process."""
    import httpx

    from gateway.app import create_app
    from tests.contract import ContractCheck

    app = create_app(db.settings)
    checked = ContractCheck(app)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=checked), base_url="http://test") as c:
            yield c
    assert not checked.violations, "answers that do not fit their route's response schema:\n" + "\n".join(checked.violations)


@pytest.fixture
async def worker_for(db: Database):
    """Starts a real worker (all workflows and activities) on a client; stops it after the test."""
    workers: list[Worker] = []

    async def start(client: Client) -> Worker:
        worker = build_worker(client, db.settings, db.sessionmaker)
        workers.append(worker)
        asyncio.get_running_loop().create_task(worker.run())
        return worker

    yield start
    for worker in workers:
        await worker.shutdown()


# --- the whole stack, for end-to-end and browser tests ----------------------------------------


@dataclass
class LiveStack:
    base_url: str
    settings: Settings
    client: Client
    sessionmaker: object
    whatsapp: object = None


@pytest.fixture(scope="session")
async def live_stack(local_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory):
    from gateway.app import create_app

    tmp = tmp_path_factory.mktemp("stack")
    smtp_port, http_port = free_port(), free_port()
    sink = start_sink(tmp / "mail", port=smtp_port)
    whatsapp = start_fake(tmp / "whatsapp", port=free_port())
    database = await make_database(tmp, smtp_port=smtp_port, task_queue=f"e2e-{uuid.uuid4().hex[:8]}", **_whatsapp_settings(whatsapp),
                                   public_base_url=f"http://127.0.0.1:{http_port}")
    worker = build_worker(local_env.client, database.settings, database.sessionmaker)
    worker_task = asyncio.get_running_loop().create_task(worker.run())
    from tests.contract import ContractCheck

    checked = ContractCheck(create_app(database.settings, temporal_client=local_env.client))
    server = uvicorn.Server(uvicorn.Config(checked, host="127.0.0.1", port=http_port, log_level="warning", lifespan="on"))
    server_task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if server_task.done():
            server_task.result()
        await asyncio.sleep(0.05)
    yield LiveStack(base_url=f"http://127.0.0.1:{http_port}", settings=database.settings, client=local_env.client,
                    sessionmaker=database.sessionmaker, whatsapp=whatsapp)
    server.should_exit = True
    await server_task
    await worker.shutdown()
    await worker_task
    await database.engine.dispose()
    sink.stop()
    whatsapp.stop()
    assert not checked.violations, "answers that do not fit their route's response schema:\n" + "\n".join(checked.violations)


@pytest.fixture
async def http(live_stack):
    """An HTTP client of the live stack's gateway."""
    import httpx

    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
async def browser():
    """Debian's Chromium, one for the session; tests skip when it is not installed (make test installs it)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        await b.close()
