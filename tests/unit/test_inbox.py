"""The inbox query (gateway/services/tasks.py inbox): the union of one indexed branch per way a task reaches a
person must show exactly what the single visibility rule allows, in the same order, page after page; its count
stops at a cap; and every branch reads an index, on SQLite and on PostgreSQL, so a million open tasks cost what a
thousand do (the speed itself is `make bench`, figure 4)."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert, select

from gateway.services import tasks as task_service
from gateway.services.people import office_today
from store.models import Substitution, Task, User
from store.offices import scope_to_office
from tests.factories import COURT, PERMIT_OFFICE, office_ids
from tests.pgserver import demo_postgres, postgres_available

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def users(sessionmaker, *names: str) -> list[User]:
    async with sessionmaker() as session:
        found = {u.username: u for u in (await session.scalars(select(User).where(User.username.in_(names)))).all()}
    return [found[n] for n in names]


def task_row(k: int, *, office: int, role: str, owner: int | None = None, delegate: int | None = None, escalated_to: str | None = None,
             status: str = "open", completed_by: int | None = None, created_at: datetime | None = None, process: str = "leave",
             due_at: datetime | None = None) -> dict:
    created = created_at or T0 + timedelta(minutes=k)
    return {"id": f"run-{k:05d}.tugas", "office_id": office, "workflow_id": f"run-{k:05d}", "process": process, "subject_id": str(k), "title": f"Tugas {k}",
            "summary": {}, "role": role, "owner_id": owner, "delegate_id": delegate, "escalated_to_role": escalated_to,
            "status": status, "completed_by_id": completed_by, "completed_at": created + timedelta(hours=1) if status == "completed" else None,
            "outcomes": ["approve"], "form": {}, "data": {}, "created_at": created, "due_at": due_at}


async def reference(session, user: User, **filters) -> list[str]:
    """The inbox as the one visibility rule says it is, newest first."""
    visible, _ = await task_service.visibility(session, user)
    query = select(Task.id).where(Task.status == "open", visible)
    if filters.get("process"):
        query = query.where(Task.process == filters["process"])
    if filters.get("overdue"):
        query = query.where(Task.due_at < datetime.now(UTC))
    return list(await session.scalars(query.order_by(Task.created_at.desc(), Task.id.desc())))


async def test_the_union_shows_what_the_visibility_rule_allows_page_after_page(db):
    me, plh_for, colleague, clerk = await users(db.sessionmaker, "atasan1", "pimpinan1", "atasan2", "pegawai1")
    offices = await office_ids(db.sessionmaker)
    court, elsewhere = offices[COURT], offices[PERMIT_OFFICE]
    rnd = random.Random(7)
    now = datetime.now(UTC)
    ways = [
        lambda k: task_row(k, office=court, role="atasan", owner=me.id),                                       # mine
        lambda k: task_row(k, office=court, role="atasan", owner=plh_for.id, delegate=me.id),                  # delegated to me
        lambda k: task_row(k, office=court, role="atasan"),                                                    # open to my role
        lambda k: task_row(k, office=court, role="atasan", owner=colleague.id),                                # my role, but someone's: not mine
        lambda k: task_row(k, office=court, role="penomoran", owner=clerk.id, escalated_to="atasan"),          # escalated to my role
        lambda k: task_row(k, office=court, role="atasan", owner=me.id, escalated_to="atasan"),                # two ways at once: shown once
        lambda k: task_row(k, office=court, role="kepala_kantor", owner=plh_for.id),                           # the official I stand in for
        lambda k: task_row(k, office=court, role="penomoran", owner=clerk.id),                                 # nothing to do with me
        lambda k: task_row(k, office=court, role="atasan", owner=me.id, status="completed", completed_by=me.id),  # done
        lambda k: task_row(k, office=elsewhere, role="atasan"),                                  # my role in another office: not mine
        lambda k: task_row(k, office=elsewhere, role="kepala_kantor", escalated_to="atasan"),    # escalated there: not mine either
    ]
    rows = []
    for k in range(400):
        row = rnd.choice(ways)(k)
        if k % 7 == 0:  # ties on the time: the id decides, the same in every branch
            row["created_at"] = T0
        row["process"] = rnd.choice(["leave", "permit"])
        row["due_at"] = now + timedelta(days=rnd.choice([-2, 3]))
        rows.append(row)
    async with db.sessionmaker() as session:
        await session.execute(insert(Task), rows)
        session.add(Substitution(official_id=plh_for.id, acting_id=me.id, start_date=office_today(), end_date=office_today(),
                                 reason="Dinas luar", source="manual"))
        await session.commit()

    async with db.sessionmaker() as session:
        scope_to_office(session, court)  # as the gateway scopes a signed-in officer's session
        me = await session.get(User, me.id)
        for filters in ({}, {"process": "permit"}, {"overdue": True}):
            expected = await reference(session, me, **filters)
            assert 50 < len(expected) < 400
            seen: list[str] = []
            for offset in range(0, len(expected) + 37, 37):
                page = await task_service.inbox(session, user=me, filters=task_service.InboxFilter(limit=37, offset=offset, **filters))
                assert page.total.total == len(expected) and not page.total.capped
                seen += [t.id for t in page.items]
            assert seen == expected, filters
        # The Plh. sees the official's tasks, and the page says whose they are.
        page = await task_service.inbox(session, user=me, filters=task_service.InboxFilter(limit=400))
        served = [task_service.serialize(t, viewer=me, represented=page.represented) for t in page.items]
        assert {s["acting_for"] for s in served if s["owner"] == "pimpinan1" and s["delegate"] is None} == {plh_for.full_name}
        assert not {r["id"] for r in rows if r["office_id"] == elsewhere} & {t.id for t in page.items}
        done = await task_service.inbox(session, user=me, filters=task_service.InboxFilter(status="completed", limit=400))
        assert [t.id for t in done.items] == sorted((r["id"] for r in rows if r["status"] == "completed"),
                                                    key=lambda i: next(r for r in rows if r["id"] == i)["completed_at"], reverse=True)
        count = await task_service.open_task_count(session, user=me)
        assert count.total == len(await reference(session, me))


async def test_the_count_stops_at_the_cap(db):
    (me,) = await users(db.sessionmaker, "atasan1")
    court = me.office_id
    cap = task_service.INBOX_COUNT_CAP
    async with db.sessionmaker() as session:
        scope_to_office(session, court)
        await session.execute(insert(Task), [task_row(k, office=court, role="atasan", owner=me.id) for k in range(cap)])
        await session.commit()
        me = await session.get(User, me.id)
        exact = await task_service.open_task_count(session, user=me)
        assert (exact.total, exact.capped, exact.label) == (cap, False, str(cap))
        # One more, reaching the inbox by another way (open to the role): now past the cap.
        await session.execute(insert(Task), [task_row(cap, office=court, role="atasan")])
        await session.commit()
        page = await task_service.inbox(session, user=me, filters=task_service.InboxFilter())
        assert (page.total.total, page.total.capped, page.total.label) == (cap, True, "1 000+")
        assert page.items[0].id == f"run-{cap:05d}.tugas" and len(page.items) == 50


def capture_inbox_statements(engine) -> list[tuple[str, object]]:
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM task" in statement and not statement.startswith("EXPLAIN"):
            captured.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    return captured


async def fill(sessionmaker, size: int) -> User:
    """`size` open tasks, most of them other people's: what makes an OR over the whole table slow."""
    (me,) = await users(sessionmaker, "atasan1")
    async with sessionmaker() as session:
        # Spread over everyone else, so one person's tasks look few to the planner beside all unowned ones; a third of
        # them in the other offices, which the office scope leaves out.
        others = list((await session.scalars(select(User.id).where(User.id != me.id))).all())
        offices = sorted((await office_ids(sessionmaker)).values())
        for start in range(0, size, 10_000):
            await session.execute(insert(Task), [
                task_row(k, office=me.office_id if k % 3 else offices[k % len(offices)], role="atasan" if k % 10 else "tidak-diukur",
                         owner=me.id if k % 10 == 1 else None if k % 10 == 0 else others[k % len(others)])
                for k in range(start, min(size, start + 10_000))])
        await session.commit()
    return me


async def test_every_branch_reads_an_index_on_sqlite(db):
    me = await fill(db.sessionmaker, 30_000)
    async with db.engine.begin() as conn:  # with statistics, as a long-lived database has them: the planner weighs the indexes
        await conn.exec_driver_sql("ANALYZE")
    captured = capture_inbox_statements(db.engine)
    async with db.sessionmaker() as session:
        scope_to_office(session, me.office_id)
        me = await session.get(User, me.id)
        page = await task_service.inbox(session, user=me, filters=task_service.InboxFilter())
        assert len(page.items) == 50 and page.total.label == "1 000+"
        connection = await session.connection()
        for statement, parameters in list(captured):
            plan = [r[-1] for r in await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            reads = [d for d in plan if " task" in d and ("SCAN" in d or "SEARCH" in d)]
            assert reads and all("INDEX" in d for d in reads), plan
            assert any("ix_task_inbox_owned" in d for d in plan) and any("ix_task_inbox_role_unowned" in d for d in plan), plan


@pytest.mark.postgres
@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed (make test installs them)")
async def test_every_branch_reads_an_index_on_postgresql():
    async with demo_postgres() as (engine, sessionmaker):
        me = await fill(sessionmaker, 30_000)
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE task")
        captured = capture_inbox_statements(engine)
        async with sessionmaker() as session:
            scope_to_office(session, me.office_id)
            me = await session.get(User, me.id)
            page = await task_service.inbox(session, user=me, filters=task_service.InboxFilter())
            assert len(page.items) == 50 and page.total.label == "1 000+"
            connection = await session.connection()
            for statement, parameters in list(captured):
                plan = "\n".join(r[0] for r in await connection.exec_driver_sql("EXPLAIN " + statement, parameters))
                assert "Seq Scan on task" not in plan, plan
                # Each branch is read in order from its index's newest end: nothing of a role's unowned tasks is sorted.
                assert "Backward using ix_task_inbox_owned" in plan and "Backward using ix_task_inbox_role_unowned" in plan, plan
