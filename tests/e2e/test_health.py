"""/healthz is readiness, /livez liveness (issue 15, item 3): a load balancer or container runtime is told the gateway
cannot serve (503) when the database or Temporal does not answer, while the process itself is up (200)."""

import httpx

from gateway.app import create_app
from tests.conftest import free_port


async def _health(app) -> tuple[httpx.Response, httpx.Response]:
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        return await http.get("/healthz"), await http.get("/livez")


async def test_healthz_is_ready_only_when_database_and_temporal_answer(http: httpx.AsyncClient) -> None:
    ready, alive = await http.get("/healthz"), await http.get("/livez")
    assert (ready.status_code, ready.json()) == (200, {"ok": True, "database": True, "temporal": True})
    assert (alive.status_code, alive.json()) == (200, {"ok": True})


async def test_healthz_answers_503_when_temporal_does_not(db) -> None:
    # Nothing listens where this gateway looks for Temporal.
    app = create_app(db.settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"}))
    ready, alive = await _health(app)
    assert (ready.status_code, ready.json()) == (503, {"ok": False, "database": True, "temporal": False})
    assert (alive.status_code, alive.json()) == (200, {"ok": True})


async def test_healthz_answers_503_when_the_database_does_not(db, live_stack) -> None:
    # Temporal answers; the database server is down (nothing listens on its port).
    settings = db.settings.model_copy(update={"database_url": f"postgresql+asyncpg://satupintu@127.0.0.1:{free_port()}/satupintu"})
    ready, alive = await _health(create_app(settings, temporal_client=live_stack.client))
    assert (ready.status_code, ready.json()) == (503, {"ok": False, "database": False, "temporal": True})
    assert ready.headers["content-type"] == "application/json"
    assert (alive.status_code, alive.json()) == (200, {"ok": True})
