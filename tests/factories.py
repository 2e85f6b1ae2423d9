"""Small builders shared by the tests."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cli.seed import COURT, KEMENAG, PERMIT_OFFICE  # noqa: F401 - the demo offices' codes, for the tests
from contracts import Actor, LeaveInput
from gateway.services.people import actor, office_today, person
from office.calendar import OfficeCalendar
from process_defs.loader import OfficeFile, calendar_snapshot, leave_snapshot, load_leave, load_office, office_defs_dir, office_file
from store.models import Office, Task, User


def office_defs(code: str = COURT) -> OfficeFile:
    """A demo office as its office.yaml ships it (what a fresh test database holds)."""
    return load_office(office_defs_dir(code))


def calendar_of(code: str = COURT) -> OfficeCalendar:
    return OfficeCalendar(calendar_snapshot(office_defs(code)))


async def office_id(sessionmaker, code: str) -> int:
    """The database id of a demo office."""
    async with sessionmaker() as session:
        return await session.scalar(select(Office.id).where(Office.code == code))


async def office_ids(sessionmaker) -> dict[str, int]:
    """Every office's database id by its code."""
    async with sessionmaker() as session:
        return dict((await session.execute(select(Office.code, Office.id))).all())


async def speak_as_office(sessionmaker, code: str | None = COURT) -> int | None:
    """What gateway/deps.py sets for a request, for a test that calls the gateway's services directly: the directory of
    offices, and the office the request speaks for (`code`; None: none, as on a public page). Returns its id."""
    from gateway.services.offices import OfficeDirectory, speak_for, use_directory

    directory = OfficeDirectory()
    async with sessionmaker() as session:
        await directory.refresh(session)
    use_directory(directory)
    entry = directory.by_code(code) if code else None
    speak_for(entry.id if entry else None)
    return entry.id if entry else None


@asynccontextmanager
async def as_staff(sessionmaker, username: str) -> AsyncIterator[tuple[AsyncSession, User]]:
    """A session as the gateway gives a signed-in member of staff (gateway/deps.py): it reads only their office's rows,
    and the request speaks for their office. For tests that call the gateway's services directly."""
    from store.offices import scope_to_office

    async with sessionmaker() as session:
        member = await session.scalar(select(User).where(User.username == username))
        assert member is not None and member.office_id is not None, f"{username} is no office's staff"
        await speak_as_office(sessionmaker, (await session.get(Office, member.office_id)).code)
        scope_to_office(session, member.office_id)
        yield session, member


async def office_file_of(sessionmaker, code: str) -> OfficeFile:
    """An office as the gateway reads it (its database row over its office.yaml), by its code."""
    async with sessionmaker() as session:
        return office_file(await session.scalar(select(Office).where(Office.code == code)))


async def office_of_user(sessionmaker, username: str) -> OfficeFile:
    """The office a member of staff works in, as the gateway reads it (the database's row over its office.yaml)."""
    async with sessionmaker() as session:
        office = await session.scalar(select(Office).join(User, User.office_id == Office.id).where(User.username == username))
        assert office is not None, f"{username} belongs to no office"
        return office_file(office)


async def login(http, username: str) -> dict:
    """Bearer headers of a demo account, signed in through the API."""
    response = await http.post("/api/v1/auth/login", json={"username": username, "password": "Demo12345"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def future_working_range(days: int, *, weeks_ahead: int = 3, office: str = COURT) -> tuple[date, date]:
    """`days` consecutive working days of `office` starting on a working day a few weeks from today."""
    return working_days_from(office_today() + timedelta(weeks=weeks_ahead), days, office=office)


def working_days_from(start: date, days: int, *, office: str = COURT) -> tuple[date, date]:
    """`days` working days of `office`'s calendar from the first working day on or after `start`."""
    calendar = calendar_of(office)
    while not calendar.is_working_day(start):
        start += timedelta(days=1)
    end, counted = start, 1
    while counted < days:
        end += timedelta(days=1)
        counted += calendar.is_working_day(end)
    return start, end


async def user(sessionmaker, username: str) -> User:
    async with sessionmaker() as session:
        return await session.scalar(select(User).where(User.username == username))


async def actor_for(sessionmaker, username: str, acting_for: str | None = None) -> Actor:
    return actor(await user(sessionmaker, username), acting_for=await user(sessionmaker, acting_for) if acting_for else None)


async def leave_input(sessionmaker, *, request_id: int, employee: str = "pegawai1", days: int = 3, leave_type: str = "tahunan") -> LeaveInput:
    emp = await user(sessionmaker, employee)
    async with sessionmaker() as session:
        supervisor = await session.get(User, emp.supervisor_id)
    office = await office_of_user(sessionmaker, employee)
    start, end = future_working_range(days, office=office.code)
    return LeaveInput(
        request_id=request_id, employee=person(emp), supervisor=person(supervisor), leave_type=leave_type,
        leave_type_label=load_leave().leave_type(leave_type).label, start_date=start, end_date=end,
        working_days=OfficeCalendar(calendar_snapshot(office)).working_days_between(start, end), reason="Keperluan keluarga",
        definition=leave_snapshot(office),
    )


async def record_golden_history(handle, name: str, *, codec=None) -> None:
    """Saves a finished run's history under tests/histories when SATUPINTU_RECORD_HISTORIES is set
    (only when a change was deliberately made replay-safe; see tests/workflows/test_replay.py). A run on the dev server
    has encrypted payloads: pass its client's codec, so the golden history is kept in clear, as readable as the
    others and replayable without the tests' key."""
    import json
    import os
    from pathlib import Path

    from store.payload_codec import decode_message

    if not os.environ.get("SATUPINTU_RECORD_HISTORIES"):
        return
    history = await handle.fetch_history()
    for event in history.events:
        await decode_message(event, codec)
    golden = {"workflow_id": handle.id, "history": json.loads(history.to_json())}
    (Path(__file__).parent / "histories" / f"{name}.json").write_text(json.dumps(golden, indent=1))


async def wait_for(predicate, timeout: float = 20):
    """Polls `predicate` until it returns something truthy, as a person refreshing a page would."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.1)


async def wait_for_task(sessionmaker, task_id: str, *, status: str = "open", timeout: float = 20) -> Task:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with sessionmaker() as session:
            task = await session.get(Task, task_id)
            if task is not None and task.status == status:
                return task
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"task {task_id} did not reach status {status!r}")
        await asyncio.sleep(0.1)


async def wait_until_decidable(handle, task_id: str) -> None:
    """The inbox row is there a moment before the workflow records the task as open. Decisions are taken in
    that moment; a delegation or an owner's action sent through the workflow handle (not the gateway, which
    asks again) and a test waiting for the task's timers wait for the workflow's own view."""
    async def open_in_workflow():
        return task_id in await handle.query("open_tasks", result_type=list[str])

    await wait_for(open_in_workflow)


async def decide(handle, key: str, username: str, outcome: str, db, reason: str | None = None, data: dict | None = None):
    """`username` decides the run's task `key` through the workflow handle, once its inbox row is there."""
    from contracts import DECIDE_TASK, DecisionRequest, TaskAck

    task_id = f"{handle.id}.{key}"
    await wait_for_task(db.sessionmaker, task_id)
    return await handle.execute_update(DECIDE_TASK, DecisionRequest(task_id=task_id, actor=await actor_for(db.sessionmaker, username),
                                                                    outcome=outcome, reason=reason, data=data or {}), result_type=TaskAck)


async def refused(handle, key: str, username: str, outcome: str, db, reason: str | None = None, data: dict | None = None) -> str:
    """The workflow's refusal of that decision, in Bahasa, as the person would read it."""
    import pytest
    from temporalio.client import WorkflowUpdateFailedError

    with pytest.raises(WorkflowUpdateFailedError) as info:
        await decide(handle, key, username, outcome, db, reason, data)
    return info.value.cause.message


async def leave_ids_apart(sessionmaker) -> None:
    """The real dev server is shared by the whole test session and refuses a second run called leave-1: an old,
    rejected request with a random high id makes this database's next leave ids unlike any other test's."""
    import uuid

    from store.models import LeaveRequest

    employee = await user(sessionmaker, "pegawai1")
    first = 10**6 + uuid.uuid4().int % 10**9
    async with sessionmaker() as session:
        session.add(LeaveRequest(id=first, office_id=employee.office_id, employee_id=employee.id, leave_type="tahunan", start_date=date(2001, 1, 3),
                                 end_date=date(2001, 1, 3),
                                 working_days=1, reason="Penanda", status="rejected", workflow_id=f"leave-placeholder-{first}"))
        await session.commit()


async def start_leave(client, sessionmaker, *, task_queue: str, employee: str = "pegawai1", days: int = 3):
    """Records a leave request and starts its workflow, as the gateway does after its checks."""
    from store.models import LeaveRequest
    from workflows.leave import LeaveRequestWorkflow, leave_workflow_id

    async with sessionmaker() as session:
        emp = await session.scalar(select(User).where(User.username == employee))
        # A random high id: the real dev server is shared by the test session, and a leave-1 another test left
        # waiting there would refuse this run's start.
        row = LeaveRequest(id=10**6 + uuid.uuid4().int % 10**9, office_id=emp.office_id, employee_id=emp.id, leave_type="tahunan", start_date=date.today(),
                           end_date=date.today(), working_days=days, reason="Keperluan keluarga", status="waiting_supervisor",
                           workflow_id=f"tmp-{id(object())}")
        session.add(row)
        await session.flush()
        row.workflow_id = leave_workflow_id(row.id)
        inp = await leave_input(sessionmaker, request_id=row.id, employee=employee, days=days)
        row.start_date, row.end_date, row.working_days = inp.start_date, inp.end_date, inp.working_days
        await session.commit()
    handle = await client.start_workflow(LeaveRequestWorkflow.run, inp, id=row.workflow_id, task_queue=task_queue)
    return handle, inp


# --- permits -----------------------------------------------------------------------------------

PERMIT_NUMBERING = {"scope": "permit:test", "format": "503/{seq}/DPMPTSP/{month_roman}/{year}"}


def permit_definition(**overrides):
    """A permit definition built by hand, so workflow tests do not depend on the shipped catalog."""
    from contracts import NumberingFormat, PermitDefinitionSnapshot, TaskPolicy
    from process_defs.loader import office_snapshot

    office = office_defs(PERMIT_OFFICE)
    values = dict(
        office=office_snapshot(office), calendar=calendar_snapshot(office), agency_code="dpmptsp",
        agency_name="Dinas Penanaman Modal dan PTSP", permit_type_code="reklame", permit_type_name="Izin Reklame",
        request_kind="baru", request_kind_label="Baru", sla_working_days=5,
        verification=TaskPolicy(role="verifikator", due_working_days=3, escalate_after_working_days=2, escalate_to_role="kepala_kantor"),
        signing=TaskPolicy(role="penandatangan", due_working_days=2), revision_deadline_working_days=5,
        numbering=NumberingFormat(scope=PERMIT_NUMBERING["scope"], format=PERMIT_NUMBERING["format"], office=office.code), validity_years=1,
    )
    values.update(overrides)
    return PermitDefinitionSnapshot(**values)


async def applicant_user(sessionmaker, nik: str = "3374010101900099"):
    from gateway.security import hash_password
    from store.models import UserRole

    async with sessionmaker() as session:
        existing = await session.scalar(select(User).where(User.username == nik))
        if existing:
            return existing
        applicant = User(username=nik, full_name="Siti Aminah", kind="applicant", email=f"{nik}@contoh.id", phone="6281200000000",
                         password_hash=hash_password("Demo12345"), roles=[UserRole(role="pemohon")])
        session.add(applicant)
        await session.commit()
    return await user(sessionmaker, nik)


async def start_permit(client, sessionmaker, *, task_queue: str, definition=None):
    """Records an application and starts its workflow, as the gateway does after its checks."""
    import secrets

    from contracts import PermitInput
    from gateway.services.people import person
    from store.models import PermitApplication
    from workflows.permit import PermitApplicationWorkflow, permit_workflow_id

    applicant = await applicant_user(sessionmaker)
    resi = secrets.token_hex(3).upper()
    permit_office = await office_id(sessionmaker, PERMIT_OFFICE)
    async with sessionmaker() as session:
        row = PermitApplication(resi=resi, office_id=permit_office, applicant_id=applicant.id, agency_code="dpmptsp", permit_type="reklame",
                                request_kind="baru",
                                status="in_process", stage="verification", workflow_id=permit_workflow_id(resi),
                                applicant_data={"full_name": applicant.full_name, "nik": applicant.username},
                                location={"street": "Jl. Pemuda 1", "rt": "001", "rw": "002", "latitude": -6.98, "longitude": 110.41},
                                details={"ukuran": "4x6 m"})
        session.add(row)
        await session.commit()
    handle = await client.start_workflow(
        PermitApplicationWorkflow.run,
        PermitInput(application_id=row.id, resi=resi, applicant=person(applicant), definition=definition or permit_definition()),
        id=row.workflow_id, task_queue=task_queue)
    return handle, row, applicant


# --- walk-in visits ------------------------------------------------------------------------------


async def start_walk_in(client, sessionmaker, *, task_queue: str, service_code: str = "legalisir_ijazah",
                        phone: str | None = "6281355550001", registrar: str = "info1"):
    """Records a visit and starts its workflow, as the gateway does after its checks."""
    import secrets

    from contracts import Visitor, WalkInInput
    from gateway.services.people import person
    from process_defs.counter import walk_in_snapshot
    from store.models import WalkInVisit
    from workflows.walk_in import WalkInVisitWorkflow, walk_in_workflow_id

    definition = walk_in_snapshot(await office_of_user(sessionmaker, registrar), service_code)
    registered_by = await user(sessionmaker, registrar)
    code = "K" + secrets.token_hex(3).upper()
    async with sessionmaker() as session:
        row = WalkInVisit(code=code, office_id=registered_by.office_id, workflow_id=walk_in_workflow_id(code), service_code=service_code,
                          service_name=definition.service.name,
                          one_day=definition.service.one_day, visitor_name="Ahmad Fauzi", visitor_phone=phone, registered_by_id=registered_by.id,
                          status="registered", stage="completeness_check")
        session.add(row)
        await session.commit()
    handle = await client.start_workflow(
        WalkInVisitWorkflow.run,
        WalkInInput(visit_id=row.id, code=code, visitor=Visitor(name="Ahmad Fauzi", phone=phone, nik="3524010101800001"),
                    registered_by=person(registered_by), definition=definition),
        id=row.workflow_id, task_queue=task_queue)
    return handle, row, definition
