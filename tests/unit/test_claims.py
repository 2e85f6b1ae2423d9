"""Claims on inbox tasks (issue 14, items 5 and 10): a claim ends when its holder acts or loses access, a process
owner or an administrator can always release it, a claim nobody can act on any more never locks a task, and of
officers claiming at once exactly one is told they hold it — on SQLite and on PostgreSQL."""

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from gateway.errors import DomainError, status_of
from gateway.services import tasks as task_service
from store.models import CaseEvent, Task, User, UserRole
from tests.factories import COURT, future_working_range, login, office_ids, wait_for
from tests.pgserver import demo_postgres, postgres_available

NUMBERING_TASK = "leave-claims.penomoran"


async def user_id(sessionmaker, username: str) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(User.id).where(User.username == username))


async def grant_role(sessionmaker, username: str, role: str) -> None:
    async with sessionmaker() as session:
        uid = await session.scalar(select(User.id).where(User.username == username))
        if not await session.scalar(select(UserRole).where(UserRole.user_id == uid, UserRole.role == role)):
            session.add(UserRole(user_id=uid, role=role))
            await session.commit()


async def numbering_task(sessionmaker, *, claimed_by: str | None = None, owner: str | None = None) -> str:
    """An open task of the court's numbering officers' role, as the projection writes it."""
    court = (await office_ids(sessionmaker))[COURT]
    async with sessionmaker() as session:
        session.add(Task(id=NUMBERING_TASK, office_id=court, workflow_id="leave-claims", process="leave", subject_id="claims", title="Beri nomor surat cuti",
                         summary={}, role="penomoran", owner_id=await user_id(sessionmaker, owner) if owner else None, status="open",
                         claimed_by_id=await user_id(sessionmaker, claimed_by) if claimed_by else None,
                         outcomes=[{"name": "assign_number", "label": "Beri nomor", "requires_reason": False, "requires_tte": False}],
                         form={}, created_at=datetime.now(UTC)))
        await session.commit()
    return NUMBERING_TASK


async def row(sessionmaker, task_id: str) -> Task:
    async with sessionmaker() as session:
        return await session.get(Task, task_id, populate_existing=True)


async def claim_events(sessionmaker, task_id: str, kind: str) -> list[CaseEvent]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(CaseEvent).where(CaseEvent.workflow_id == task_id.split(".")[0], CaseEvent.kind == kind)))


# --- item 5: a claim ends when its holder acts or loses access -------------------------------------------------------


async def leave_task_of_the_supervisor(http, *, weeks_ahead: int) -> tuple[dict, dict]:
    employee, owner = await login(http, "pegawai1"), await login(http, "atasan1")
    start, end = future_working_range(1, weeks_ahead=weeks_ahead)
    leave = await http.post("/api/v1/leave-requests", headers=employee, json={
        "leave_type": "alasan_penting", "start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "Urusan keluarga"})
    assert leave.status_code == 201, leave.text

    async def find():
        items = (await http.get("/api/v1/tasks", headers=owner, params={"process": "leave"})).json()["items"]
        return next((t for t in items if t["subject_id"] == str(leave.json()["id"])), None)

    return await wait_for(find), owner


async def test_a_delegates_claim_ends_with_their_recommendation(http, live_stack):
    """Owner delegates, the colleague claims and recommends: the task comes back to its owner unclaimed, the owner
    decides. Before, the colleague's claim outlived their access and locked the task for everyone (409, 403)."""
    task, owner = await leave_task_of_the_supervisor(http, weeks_ahead=14)
    colleague, admin = await login(http, "atasan2"), await login(http, "admin_ms")
    url = f"/api/v1/tasks/{task['id']}"
    delegated = await http.post(f"{url}/delegate", headers=owner, json={"username": "atasan2", "note": "Mohon telaah"})
    assert delegated.status_code == 200, delegated.text
    claimed = await http.post(f"{url}/claim", headers=colleague)
    assert claimed.status_code == 200 and claimed.json()["claimed_by"] == "atasan2", claimed.text
    recommended = await http.post(f"{url}/decision", headers=colleague, json={"outcome": "approve"})
    assert recommended.status_code == 200 and recommended.json()["status"] == "recommended", recommended.text

    # The colleague's part is done: they no longer see the task, and hold no claim on it.
    assert (await http.get(url, headers=colleague)).status_code == 403
    back = (await http.get(url, headers=owner)).json()
    assert (back["delegate"], back["claimed_by"]) == (None, None)
    assert (await row(live_stack.sessionmaker, task["id"])).claimed_by_id is None
    for releaser in (owner, admin):
        released = await http.post(f"{url}/unclaim", headers=releaser)
        assert released.status_code == 200, released.text
    decided = await http.post(f"{url}/decision", headers=owner, json={"outcome": "approve"})
    assert decided.status_code == 200 and decided.json()["status"] == "decided", decided.text


async def test_a_claim_its_holder_can_no_longer_act_on_never_locks_the_task(http, live_stack):
    """A claim left on a row from before the projection cleared them (or whose holder lost a role or a Plh. period):
    its holder no longer sees the task, so it blocks nobody; the owner decides, and may clear it."""
    task, owner = await leave_task_of_the_supervisor(http, weeks_ahead=15)
    stale = await user_id(live_stack.sessionmaker, "atasan2")
    async with live_stack.sessionmaker() as session:
        await session.execute(update(Task).where(Task.id == task["id"]).values(claimed_by_id=stale))
        await session.commit()
    url = f"/api/v1/tasks/{task['id']}"
    assert (await http.get(url, headers=await login(http, "atasan2"))).status_code == 403
    page = await http.get(f"/inbox/{task['id']}", headers=owner)
    assert page.status_code == 200 and 'id="form-keputusan"' in page.text and "Sedang dikerjakan rekan" not in page.text

    released = await http.post(f"{url}/unclaim", headers=owner)
    assert released.status_code == 200 and released.json()["claimed_by"] is None, released.text
    async with live_stack.sessionmaker() as session:
        await session.execute(update(Task).where(Task.id == task["id"]).values(claimed_by_id=stale))
        await session.commit()
    decided = await http.post(f"{url}/decision", headers=owner, json={"outcome": "approve"})
    assert decided.status_code == 200 and decided.json()["status"] == "decided", decided.text


async def test_a_process_owner_or_an_admin_releases_anyones_claim(client, db):
    await grant_role(db.sessionmaker, "pegawai2", "penomoran")
    task_id = await numbering_task(db.sessionmaker, claimed_by="penomoran1")
    url = f"/api/v1/tasks/{task_id}/unclaim"
    # A colleague of the same role sees the task but cannot release the claim; one outside it does not even see it.
    for colleague in ("pegawai2", "atasan2"):
        refused = await client.post(url, headers=await login(client, colleague))
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden", refused.text
    assert (await row(db.sessionmaker, task_id)).claimed_by_id == await user_id(db.sessionmaker, "penomoran1")

    released = await client.post(url, headers=await login(client, "pemilik1"))
    assert released.status_code == 200 and released.json()["claimed_by"] is None, released.text
    assert (await row(db.sessionmaker, task_id)).claimed_by_id is None
    [event] = await claim_events(db.sessionmaker, task_id, task_service.UNCLAIMED)
    assert event.actor_name == "Irwan Saputra, S.T., M.M." and "Cut Meutia Sari" in event.title

    officer = await login(client, "pegawai2")
    assert (await client.post(f"/api/v1/tasks/{task_id}/claim", headers=officer)).status_code == 200
    released = await client.post(url, headers=await login(client, "admin_ms"))
    assert released.status_code == 200 and released.json()["claimed_by"] is None, released.text
    assert len(await claim_events(db.sessionmaker, task_id, task_service.UNCLAIMED)) == 2


@pytest.mark.parametrize(("change", "claim_stays"), [
    pytest.param({"kind": "reminded"}, True, id="reminded"),                                         # nobody's access changes
    pytest.param({"kind": "delegated", "delegate_id": "pegawai2"}, False, id="delegated"),           # only the delegate may act now
    pytest.param({"kind": "delegated", "delegate_id": "penomoran1"}, True, id="delegated-to-claimant"),  # ... and it is the claimant
    pytest.param({"kind": "recommended", "clear_delegate": True}, False, id="recommended"),          # the delegate acted
    pytest.param({"kind": "escalated", "escalate_to_role": "atasan"}, False, id="escalated"),        # the due time passed: leadership decides
    pytest.param({"kind": "reassigned", "owner_id": "pegawai2"}, False, id="reassigned"),            # a process owner moved it
    pytest.param({"kind": "cancelled"}, False, id="cancelled"),                                      # the run is cancelled
])
async def test_the_projection_ends_a_claim_where_the_task_moves_past_its_holder(db, change, claim_stays):
    """Every change the run writes to an open task's row, with what it does to the claim on it, in one transaction."""
    from activities.tasks import TaskActivities
    from contracts import TaskChange

    task_id = await numbering_task(db.sessionmaker, claimed_by="penomoran1")
    ids = {k: await user_id(db.sessionmaker, v) if k in ("delegate_id", "owner_id") else v for k, v in change.items()}
    await TaskActivities(db.sessionmaker).update_task(TaskChange(task_id=task_id, title="Perubahan", occurred_at=datetime.now(UTC), **ids))
    assert (await row(db.sessionmaker, task_id)).claimed_by_id == (await user_id(db.sessionmaker, "penomoran1") if claim_stays else None)


async def test_only_the_delegate_may_claim_a_delegated_task(client, db):
    task_id = await numbering_task(db.sessionmaker, owner="penomoran1")
    async with db.sessionmaker() as session:
        await session.execute(update(Task).where(Task.id == task_id).values(delegate_id=await user_id(db.sessionmaker, "pegawai2")))
        await session.commit()
    refused = await client.post(f"/api/v1/tasks/{task_id}/claim", headers=await login(client, "penomoran1"))
    assert refused.status_code == 409 and refused.json()["code"] == "task_delegated" and "Nurul Aini" in refused.json()["detail"], refused.text
    claimed = await client.post(f"/api/v1/tasks/{task_id}/claim", headers=await login(client, "pegawai2"))
    assert claimed.status_code == 200 and claimed.json()["claimed_by"] == "pegawai2", claimed.text


# --- item 10: of concurrent claims, exactly one wins -----------------------------------------------------------------

CONCURRENT = 40


async def claim_as(sessionmaker, username: str, task_id: str) -> tuple[str, int, str | None]:
    """One officer's claim in a session of its own, as one request of the gateway: (who, status, holder named)."""
    async with sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == username))
        try:
            task = await task_service.claim(session, user=user, task_id=task_id)
        except DomainError as exc:
            return username, status_of(exc), f"{exc.code}: {exc.detail}"
        return username, 200, task.claimed_by.username


async def forty_concurrent_claims(sessionmaker) -> None:
    await grant_role(sessionmaker, "pegawai2", "penomoran")
    task_id = await numbering_task(sessionmaker)
    answers = await asyncio.gather(*(claim_as(sessionmaker, ("penomoran1", "pegawai2")[i % 2], task_id) for i in range(CONCURRENT)))
    winners = {who for who, status, _ in answers if status == 200}
    assert len(winners) == 1, answers
    [winner] = winners
    holder = await row(sessionmaker, task_id)
    assert holder.claimed_by_id == await user_id(sessionmaker, winner)
    # The winner's own repeats are told they hold it; every answer to the other officer is a 409 naming the holder.
    for who, status, said in answers:
        if who == winner:
            assert (status, said) == (200, winner), answers
        else:
            assert status == 409 and said.startswith("task_claimed:") and holder.claimed_by.full_name in said, answers
    assert len(await claim_events(sessionmaker, task_id, task_service.CLAIMED)) == 1

    # Releasing is as careful: of the holder's repeated releases one is recorded, and the task is free.
    releases = await asyncio.gather(*(release_as(sessionmaker, winner, task_id) for _ in range(CONCURRENT // 2)))
    assert set(releases) == {200}
    assert (await row(sessionmaker, task_id)).claimed_by_id is None
    assert len(await claim_events(sessionmaker, task_id, task_service.UNCLAIMED)) == 1


async def release_as(sessionmaker, username: str, task_id: str) -> int:
    async with sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == username))
        try:
            await task_service.unclaim(session, user=user, task_id=task_id)
        except DomainError as exc:
            return status_of(exc)
        return 200


async def test_forty_concurrent_claims_have_one_winner_on_sqlite(db):
    await forty_concurrent_claims(db.sessionmaker)


async def test_forty_concurrent_claims_over_http_have_one_winner(client, db):
    await grant_role(db.sessionmaker, "pegawai2", "penomoran")
    task_id = await numbering_task(db.sessionmaker)
    officers = {name: await login(client, name) for name in ("penomoran1", "pegawai2")}
    names = [("penomoran1", "pegawai2")[i % 2] for i in range(CONCURRENT)]
    answers = await asyncio.gather(*(client.post(f"/api/v1/tasks/{task_id}/claim", headers=officers[n]) for n in names))
    told_they_hold_it = {n for n, a in zip(names, answers, strict=True) if a.status_code == 200 and a.json()["claimed_by"] == n}
    assert len(told_they_hold_it) == 1, [(n, a.status_code, a.text) for n, a in zip(names, answers, strict=True)]
    [winner] = told_they_hold_it
    assert {a.status_code for n, a in zip(names, answers, strict=True) if n != winner} == {409}
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"task_claimed"}
    assert (await row(db.sessionmaker, task_id)).claimed_by_id == await user_id(db.sessionmaker, winner)


@pytest.mark.postgres
@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed (make test installs them)")
async def test_forty_concurrent_claims_have_one_winner_on_postgresql():
    async with demo_postgres() as (_, sessionmaker):
        await forty_concurrent_claims(sessionmaker)


async def test_a_process_owner_releases_a_claim_from_the_run_page(http, live_stack):
    import httpx

    task, holder = await leave_task_of_the_supervisor(http, weeks_ahead=9)
    assert (await http.post(f"/api/v1/tasks/{task['id']}/claim", headers=holder)).status_code == 200
    owner = (await login(http, "pemilik1"))["Authorization"].split()[1]
    run_page = f"/proses/{task['workflow_id']}"

    async with httpx.AsyncClient(base_url=live_stack.base_url, cookies={"satupintu_session": owner}, timeout=30) as browser:
        page = await browser.get(run_page)
        assert page.status_code == 200 and f'action="/inbox/{task["id"]}/lepas"' in page.text and "Lepas klaim" in page.text
        released = await browser.post(f"/inbox/{task['id']}/lepas", data={"next": run_page}, headers={"Origin": live_stack.base_url})
        assert released.status_code == 303 and released.headers["location"].startswith(run_page), released.text
        assert (await row(live_stack.sessionmaker, task["id"])).claimed_by_id is None
        after = await browser.get(released.headers["location"])
        assert "Klaim tugas telah dilepas" in after.text and "Lepas klaim" not in after.text
