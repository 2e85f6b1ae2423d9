"""`/metrics` scraped through the in-process gateway and parsed as Prometheus parses it: the process figures
match the rows written, requests land in the latency histogram by route template, and the token is enforced."""

from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from store.models import Notification, ProcessRun, Task
from tests.factories import COURT, PERMIT_OFFICE, office_ids


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} for every sample of the scrape."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


# The office of each process's rows: leave in the court, permits in the permit office (the figures are the installation's).
OFFICE_OF = {"leave": COURT, "permit": PERMIT_OFFICE}
OFFICES: dict[str, int] = {}


def run(workflow_id: str, process: str, status: str, started: datetime) -> ProcessRun:
    return ProcessRun(office_id=OFFICES[OFFICE_OF[process]], workflow_id=workflow_id, run_id=f"run-{workflow_id}", process=process, workflow_type="X",
                      business_key=workflow_id,
                      status=status, started_at=started, closed_at=None if status == "running" else started + timedelta(hours=1))


def task(task_id: str, process: str, role: str, *, created: datetime, due: datetime, completed: datetime | None = None) -> Task:
    return Task(id=task_id, office_id=OFFICES[OFFICE_OF[process]], workflow_id=task_id.split(".")[0], process=process, subject_id="1", title="Tugas", role=role,
                status="completed" if completed else "open", created_at=created, due_at=due, completed_at=completed)


def notification(key: str, channel: str, status: str, attempts: int, sent: bool) -> Notification:
    return Notification(idempotency_key=key, channel=channel, subject="S", body="B", status=status, attempts=attempts,
                        sent_at=datetime.now(UTC) if sent else None, last_error="ConnectError" if status == "failed" else None)


async def seed(sessionmaker) -> None:
    OFFICES.update(await office_ids(sessionmaker))
    now = datetime.now(UTC)
    async with sessionmaker() as session:
        session.add_all([
            run("permit-A1", "permit", "completed", now - timedelta(days=3)),
            run("permit-A2", "permit", "running", now - timedelta(days=1)),
            run("permit-A3", "permit", "terminated", now - timedelta(days=2)),
            run("leave-1", "leave", "completed", now - timedelta(days=2)),
            run("leave-2", "leave", "completed", now - timedelta(days=1)),
            # Open: two for the verifier (the oldest opened two days ago), one for the supervisor.
            task("permit-A2.verifikasi-1", "permit", "verifikator", created=now - timedelta(days=2), due=now - timedelta(days=1)),
            task("permit-A4.verifikasi-1", "permit", "verifikator", created=now - timedelta(hours=1), due=now + timedelta(days=3)),
            task("leave-3.persetujuan-atasan", "leave", "atasan", created=now - timedelta(hours=5), due=now + timedelta(days=2)),
            # Closed: one permit task decided late, one leave task on time.
            task("permit-A1.verifikasi-1", "permit", "verifikator", created=now - timedelta(days=4), due=now - timedelta(days=3, hours=12),
                 completed=now - timedelta(days=3)),
            task("leave-1.persetujuan-atasan", "leave", "atasan", created=now - timedelta(days=3), due=now - timedelta(days=1),
                 completed=now - timedelta(days=2)),
            # Email down three times and still failing; WhatsApp failed once, then sent; in-app sent at once.
            notification("n1", "email", "failed", 3, sent=False),
            notification("n2", "whatsapp", "sent", 2, sent=True),
            notification("n3", "inapp", "sent", 1, sent=True),
            notification("n4", "email", "sent", 1, sent=True),
        ])
        await session.commit()


async def test_scrape_reports_runs_tasks_breaches_and_notification_failures(client, db):
    await seed(db.sessionmaker)
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    m = samples(response.text)

    assert m[("satupintu_runs_started_total", (("process", "permit"),))] == 3
    assert m[("satupintu_runs_started_total", (("process", "leave"),))] == 2
    assert m[("satupintu_runs_started_total", (("process", "complaint"),))] == 0  # every process is listed
    assert m[("satupintu_runs_finished_total", (("process", "permit"), ("status", "completed")))] == 1
    assert m[("satupintu_runs_finished_total", (("process", "permit"), ("status", "terminated")))] == 1
    assert m[("satupintu_runs_finished_total", (("process", "leave"), ("status", "completed")))] == 2
    assert ("satupintu_runs_finished_total", (("process", "permit"), ("status", "running"))) not in m

    assert m[("satupintu_open_tasks", (("role", "verifikator"),))] == 2
    assert m[("satupintu_open_tasks", (("role", "atasan"),))] == 1
    oldest = m[("satupintu_open_task_oldest_age_seconds", (("role", "verifikator"),))]
    assert 2 * 86400 <= oldest < 3 * 86400

    # Permit: one open past due, one decided late. Leave: nothing late.
    assert m[("satupintu_sla_breaches", (("process", "permit"),))] == 2
    assert ("satupintu_sla_breaches", (("process", "leave"),)) not in m

    assert m[("satupintu_notification_failures_total", (("channel", "email"),))] == 3
    assert m[("satupintu_notification_failures_total", (("channel", "whatsapp"),))] == 1
    assert m[("satupintu_notification_failures_total", (("channel", "inapp"),))] == 0
    assert m[("satupintu_notifications_failing", (("channel", "email"),))] == 1


async def test_latency_is_labelled_by_route_template(client):
    assert (await client.get("/api/v1/tasks/leave-404.persetujuan-atasan")).status_code == 401
    await client.get("/tidak-ada-halaman-ini")
    m = samples((await client.get("/metrics")).text)
    counted = {labels for (name, labels), value in m.items() if name == "satupintu_http_request_duration_seconds_count" and value >= 1}
    assert (("method", "GET"), ("route", "/api/v1/tasks/{task_id}"), ("status", "401")) in counted
    assert (("method", "GET"), ("route", "unmatched"), ("status", "404")) in counted
    assert not any("leave-404" in dict(labels)["route"] for labels in counted)  # never the raw path


async def test_token_is_asked_for_when_set(db):
    settings = db.settings.model_copy(update={"metrics_token": "rahasia-metrik"})
    app = create_app(settings)  # a second app in the same process: its own registry, no duplicate series
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        missing = await c.get("/metrics")
        assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
        assert (await c.get("/metrics", headers={"Authorization": "Bearer salah"})).status_code == 401
        scraped = await c.get("/metrics", headers={"Authorization": "Bearer rahasia-metrik"})
        assert scraped.status_code == 200 and "satupintu_runs_started_total" in scraped.text
