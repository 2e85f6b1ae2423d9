"""Annual-leave balance and carry-over, on a real database."""

from datetime import date

from gateway.deps import SESSION_COOKIE
from gateway.services.leave import annual_balance
from store.models import LeaveRequest
from tests.factories import COURT, login, speak_as_office, user


async def add_leave(db, employee_id: int, start: date, end: date, days: int, status: str = "approved") -> None:
    court = await speak_as_office(db.sessionmaker, COURT)  # the employees' office, whose calendar counts the days
    async with db.sessionmaker() as session:
        session.add(LeaveRequest(office_id=court, employee_id=employee_id, leave_type="tahunan", start_date=start, end_date=end, working_days=days,
                                 reason="x", status=status, workflow_id=f"leave-t{start.isoformat()}"))
        await session.commit()


async def test_unused_days_carry_over_up_to_the_limit(db):
    employee = await user(db.sessionmaker, "pegawai1")
    await speak_as_office(db.sessionmaker, COURT)
    async with db.sessionmaker() as session:
        fresh = await annual_balance(session, employee_id=employee.id, year=2027)
    assert (fresh.entitlement, fresh.carried_over, fresh.available) == (12, 6, 18)  # nothing used in 2026: carry 6 (the cap)

    await add_leave(db, employee.id, date(2026, 3, 2), date(2026, 3, 11), 8)  # 8 used in 2026 → 4 left to carry
    await add_leave(db, employee.id, date(2027, 2, 1), date(2027, 2, 3), 3)
    await add_leave(db, employee.id, date(2027, 3, 1), date(2027, 3, 2), 2, status="waiting_supervisor")
    async with db.sessionmaker() as session:
        balance = await annual_balance(session, employee_id=employee.id, year=2027)
    assert (balance.carried_over, balance.used, balance.pending, balance.available) == (4, 3, 2, 11)


async def test_rejected_requests_do_not_count(db):
    employee = await user(db.sessionmaker, "pegawai2")
    await add_leave(db, employee.id, date(2027, 5, 3), date(2027, 5, 7), 5, status="rejected")
    async with db.sessionmaker() as session:
        balance = await annual_balance(session, employee_id=employee.id, year=2027)
    assert balance.used == 0 and balance.pending == 0


async def test_a_client_key_held_by_another_employees_request_is_refused_never_resumed(db):
    """A key that turns out taken when the request is written (outside the employee's lock: another employee's request
    with the same key, recorded in that instant) is refused 409, as the leave service always did; only the employee's
    own request would be found again (processes.record_and_start, `belongs`)."""
    import pytest

    from gateway.errors import status_of
    from gateway.services import processes
    from gateway.services.errors import Conflict
    from workflows.leave import LeaveRequestWorkflow

    first, second = await user(db.sessionmaker, "pegawai1"), await user(db.sessionmaker, "pegawai2")

    def request(employee_id: int, workflow_id: str) -> LeaveRequest:
        return LeaveRequest(office_id=first.office_id, employee_id=employee_id, leave_type="tahunan", start_date=date(2027, 6, 7),
                            end_date=date(2027, 6, 8),
                            working_days=2, reason="x", status="waiting_supervisor", workflow_id=workflow_id, client_key="kunci-bersama")

    async with db.sessionmaker() as session:
        session.add(request(first.id, "leave-kunci-1"))
        await session.commit()

    async def record(employee_id: int):
        async with db.sessionmaker() as session:
            return await processes.record_and_start(
                session, None, db.settings, request(employee_id, "leave-kunci-2"), workflow=LeaveRequestWorkflow.run, what="permohonan",
                start_input=lambda row: None, belongs=lambda row: row.employee_id == employee_id)

    with pytest.raises(Conflict) as refused:
        await record(second.id)
    assert (status_of(refused.value), refused.value.detail) == (409, "Kunci pengiriman ini sudah dipakai.")
    found, created = await record(first.id)
    assert (found.workflow_id, created) == ("leave-kunci-1", False)


async def test_the_working_days_preview_reads_the_office_calendar_signed_in_or_not(client):
    """The leave form's live count (its API and its page fragment) works for anyone, in the signed-in employee's office
    calendar (it answered 500 before: no request there had read the offices)."""
    week = {"start_date": "2026-11-23", "end_date": "2026-11-29"}  # Monday to Sunday
    # The fragment first: in process, a request's context (the offices it read) outlives it, a real server's does not.
    fragment = await client.get("/cuti/hitung-hari", params=week)
    assert fragment.status_code == 200 and "5 hari kerja" in fragment.text
    counted = await client.get("/api/v1/working-days", params=week)
    assert counted.status_code == 200 and counted.json()["working_days"] == 5
    assert [d["date"] for d in counted.json()["excluded"]] == ["2026-11-28", "2026-11-29"]
    client.cookies.set(SESSION_COOKIE, (await login(client, "pegawai3"))["Authorization"].removeprefix("Bearer "))
    signed_in = await client.get("/cuti/hitung-hari", params=week)
    assert signed_in.status_code == 200 and "5 hari kerja" in signed_in.text
