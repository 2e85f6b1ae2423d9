"""Issue 17 item 4: an installation made before offices upgrades by migration 0006. Its office, staff, cases, runs
and numbers become the first office's, nothing lost, and its running processes finish under the identity they
started with.

The database of such an installation is the previous release's dump (tests/upgrades/0091149, one row in every table
of that release) brought to revision 0005, the last one before offices, plus the rows a working installation has
there and the dump has not: its letter registers (leave letters, outgoing letters), a run in the run index, an open
task, a queue ticket, a WhatsApp conversation and a start waiting in the outbox. All written through plain SQL: the
models describe the schema after the upgrade, not before it."""

import asyncio
import dataclasses
import importlib.util
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from pypdf import PdfReader
from sqlalchemy import MetaData, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.numbering import assign_number
from contracts import DECIDE_TASK, DecisionRequest, LeaveInput, LeaveResult, NumberingFormat, NumberRequest, Person, TaskAck
from contracts.office import CalendarSnapshot
from gateway.services.people import actor
from office.calendar import OfficeCalendar
from process_defs.loader import leave_snapshot, load_leave, load_office, office_defs_dir, office_file
from store.db import alembic_config, make_engine, make_sessionmaker, migrate
from store.models import Base, IssuedNumber, LeaveRequest, NumberSequence, Office, OfficeOwned, Task, User
from store.offices import scope_to_office
from store.settings import Settings
from tests.pgserver import ThrowawayPostgres, _client_env, postgres_available

ROOT = Path(__file__).resolve().parents[2]
UPGRADES = Path(__file__).parents[1] / "upgrades"
PREVIOUS_RELEASE = "0091149"
FIRST = "ms-lhokseumawe"
# Every table whose rows belong to an office, as the models say after the upgrade.
OWNED = sorted({m.class_.__tablename__ for m in Base.registry.mappers if issubclass(m.class_, OfficeOwned)})
AT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)

# The rows a working installation holds at 0005 beside the release's dump.
OLD_ROWS: dict[str, list[dict]] = {
    "number_sequence": [{"scope": "leave_letter", "year": 2026, "last_value": 41},
                        {"scope": "outgoing_letter", "year": 2026, "last_value": 17}],
    "issued_number": [
        {"id": 141, "idempotency_key": "leave-41.surat-izin-cuti", "scope": "leave_letter", "year": 2026, "sequence": 41,
         "number": "B-41/Kk.13.21/1/KP.07.6/12/2026", "subject": "Surat Izin Cuti Muhammad Rizki, S.Kom.", "issued_at": AT},
        {"id": 117, "idempotency_key": "walkin-9.surat-keluar", "scope": "outgoing_letter", "year": 2026, "sequence": 17,
         "number": "B-17/Kk.01.17/HM.00/12/2026", "subject": "Surat keluar layanan tamu", "issued_at": AT},
    ],
    "process_run": [{"workflow_id": "leave-41", "run_id": "run-41", "process": "leave", "workflow_type": "LeaveRequest",
                     "business_key": "41", "status": "running", "started_at": AT, "synced_at": AT}],
    "task": [{"id": "leave-41.penomoran-surat", "workflow_id": "leave-41", "process": "leave", "subject_id": "41",
              "title": "Penomoran Surat Izin Cuti Muhammad Rizki, S.Kom.", "summary": {"Pegawai": "Muhammad Rizki, S.Kom."},
              "role": "penomoran", "status": "open", "outcomes": [{"name": "assign_number", "label": "Beri nomor surat"}],
              "form": {}, "created_at": AT, "data": {}}],
    "queue_ticket": [{"id": 100, "service_day": date(2026, 12, 7), "group_code": "A", "sequence": 1, "number": "A-001",
                      "status": "waiting", "recall_count": 0, "created_at": AT}],
    "whatsapp_conversation": [{"id": 100, "phone": "6281234567890", "workflow_id": "whatsapp-3f9a0c", "created_at": AT}],
    "process_start": [{"workflow_id": "leave-42", "workflow_type": "LeaveRequest", "task_queue": "satupintu",
                       "case_table": "leave_request", "payload": b"\x00sealed", "created_at": AT, "attempts": 0}],
}

# process_defs/office.yaml as an installation of the release before kept it, edited for its own office.
LEGACY_OFFICE_YAML = """\
# The office this installation serves. Edit for your own office; running processes keep the
# snapshot they started with.
office:
  name: Mahkamah Syar'iyah Lhokseumawe Kelas IB
  short_name: MS Lhokseumawe IB
  address: Jl. Banda Aceh-Medan Km. 275, Lhokseumawe, Aceh
  city: Lhokseumawe
  timezone: Asia/Jakarta
  head_title: Ketua Mahkamah Syar'iyah Lhokseumawe

calendar:
  country: ID
  holiday_categories: [public]
  working_weekdays: [0, 1, 2, 3, 4, 5]
  office_hours: { start: "07:45", end: "16:15" }
  extra_holidays:
    - { date: 2026-12-26, name: "Peringatan Tsunami Aceh (libur daerah)" }
  extra_working_days: [2026-12-27]

roles:
  pegawai: Pegawai
  penomoran: Petugas Penomoran Surat

numbering:
  leave_letter:
    format: "B-{seq}/{unit_code}/{classification}/{month}/{year}"
    unit_code: "Kk.13.21/1"
    classification: "KP.07.6"
"""


# --- databases -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[ThrowawayPostgres]:
    with ThrowawayPostgres() as pg:
        yield pg


class Databases:
    """New databases of one kind (SQLite files, or databases of the module's PostgreSQL cluster)."""

    def __init__(self, kind: str, tmp_path: Path, pg: ThrowawayPostgres | None) -> None:
        self.kind, self.tmp_path, self.pg = kind, tmp_path, pg

    def empty(self) -> str:
        name = f"db{uuid.uuid4().hex[:10]}"
        if self.pg is None:
            return f"sqlite+aiosqlite:///{self.tmp_path / f'{name}.db'}"
        created = subprocess.run([str(Path(self.pg.bin_dir) / "createdb"), "-h", self.pg.host, "-p", str(self.pg.port), "-U", "postgres", name],
                                 env=_client_env(), capture_output=True, text=True, timeout=60)
        assert created.returncode == 0, created.stderr
        return self.pg.url_for(name)

    def previous_release(self) -> str:
        """A new database holding the previous release's dump (made before migrations: at the baseline, unstamped)."""
        url = self.empty()
        if self.pg is None:
            with sqlite3.connect(url.split(":///", 1)[1]) as conn:
                conn.executescript((UPGRADES / f"{PREVIOUS_RELEASE}.sqlite.sql").read_text())
        else:
            loaded = subprocess.run([str(Path(self.pg.bin_dir) / "psql"), "-v", "ON_ERROR_STOP=1", "-q", "-f",
                                     str(UPGRADES / f"{PREVIOUS_RELEASE}.postgres.sql"), self.pg.dsn(url.rsplit("/", 1)[1])],
                                    env=_client_env(), capture_output=True, text=True, timeout=120)
            assert loaded.returncode == 0, loaded.stderr
        return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=[
    pytest.mark.postgres,
    pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed (make test installs them)")])])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Databases:
    pg = request.getfixturevalue("pg_cluster") if request.param == "postgresql" else None
    return Databases(request.param, tmp_path, pg)


async def alembic(engine: AsyncEngine, *steps: tuple[str, str]) -> None:
    """Alembic commands ("upgrade", "0005"), … on `engine` in one transaction, as `satupintu init-db` runs them."""
    def work(conn: sa.Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = conn
        for step, revision in steps:
            getattr(command, step)(config, revision)

    await migrate(engine, work)


def _typed(value: object) -> sa.types.TypeEngine | None:
    if isinstance(value, datetime):
        return sa.DateTime(timezone=True)
    if isinstance(value, date):
        return sa.Date()
    if isinstance(value, dict | list):
        return sa.JSON()
    if isinstance(value, bytes):
        return sa.LargeBinary()
    return None


async def insert(engine: AsyncEngine, table: str, rows: list[dict]) -> None:
    async with engine.begin() as conn:
        for row in rows:
            await conn.execute(sa.table(table, *(sa.column(k, _typed(v)) for k, v in row.items())).insert().values(**row))


async def at_0005_with_data(url: str) -> AsyncEngine:
    """The previous release's database migrated to 0005, with a working installation's rows added."""
    engine = make_engine(url)
    await alembic(engine, ("stamp", "0001"), ("upgrade", "0005"))
    for table, rows in OLD_ROWS.items():
        await insert(engine, table, rows)
    return engine


async def counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
        return {n: (await conn.execute(sa.text(f'SELECT count(*) FROM "{n}"'))).scalar_one() for n in names if n != "alembic_version"}


async def every_row(engine: AsyncEngine) -> dict[str, list[dict]]:
    async with engine.connect() as conn:
        metadata = MetaData()
        await conn.run_sync(metadata.reflect)
        return {t.name: sorted((dict(r._mapping) for r in (await conn.execute(select(t))).all()), key=repr)
                for t in metadata.sorted_tables if t.name != "alembic_version"}


async def rows(engine: AsyncEngine, sql: str, **params: object) -> list[tuple]:
    async with engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(sa.text(sql), params)).all()]


def migration_0006():
    spec = importlib.util.spec_from_file_location("migration_0006", ROOT / "store/migrations/versions/0006_offices.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the upgrade -----------------------------------------------------------------------------------


async def assert_one_office_owns_everything(engine: AsyncEngine, before: dict[str, int]) -> int:
    """Exactly one office, every office-owned row and staff account its, applicants nobody's, no row lost."""
    offices = await rows(engine, "SELECT id, code FROM office")
    assert len(offices) == 1 and offices[0][1] == FIRST, offices
    first = offices[0][0]
    for table in OWNED:
        owners = await rows(engine, f"SELECT office_id, count(*) FROM {table} GROUP BY office_id")
        assert owners and owners == [(first, before[table])], f"{table}: {owners}"
    kinds = await rows(engine, "SELECT kind, office_id FROM app_user")
    assert {o for k, o in kinds if k == "staff"} == {first} and sum(k == "staff" for k, _ in kinds) >= 20
    assert [o for k, o in kinds if k == "applicant"] == [None]
    assert await rows(engine, "SELECT office_id FROM process_start") == [(first,)]
    after = await counts(engine)
    assert {t: after[t] for t in before} == before, "rows lost or added"
    assert after["office"] == 1 and after["admin_change"] == 0
    return first


@pytest.mark.parametrize("legacy_file", [True, False], ids=["its-office-yaml", "the-shipped-office"])
async def test_an_installation_with_data_becomes_the_first_office(databases: Databases, legacy_file: bool, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    engine = await at_0005_with_data(databases.previous_release())
    try:
        before = await counts(engine)
        old_scopes = await rows(engine, "SELECT scope, year, last_value FROM number_sequence ORDER BY scope")
        old_issued = await rows(engine, "SELECT id, scope, sequence, number FROM issued_number ORDER BY id")
        legacy = tmp_path / "office.yaml"
        if legacy_file:
            legacy.write_text(LEGACY_OFFICE_YAML, encoding="utf-8")
        # Where the installation kept it: a file that is not there means the release's shipped office.
        monkeypatch.setenv("SATUPINTU_LEGACY_OFFICE_YAML", str(legacy))

        await alembic(engine, ("upgrade", "head"))

        first = await assert_one_office_owns_everything(engine, before)
        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            office = await session.get(Office, first)
        assert office is not None
        identity = (office.name, office.short_name, office.address, office.city, office.timezone, office.head_title)
        calendar = office_file(office).calendar
        if legacy_file:
            assert identity == ("Mahkamah Syar'iyah Lhokseumawe Kelas IB", "MS Lhokseumawe IB", "Jl. Banda Aceh-Medan Km. 275, Lhokseumawe, Aceh",
                                "Lhokseumawe", "Asia/Jakarta", "Ketua Mahkamah Syar'iyah Lhokseumawe")
            assert calendar.working_weekdays == [0, 1, 2, 3, 4, 5] and calendar.office_hours == {"start": "07:45", "end": "16:15"}
            assert [(h.date, h.name) for h in calendar.extra_holidays] == [(date(2026, 12, 26), "Peringatan Tsunami Aceh (libur daerah)")]
            assert calendar.extra_working_days == [date(2026, 12, 27)]
            # The office kept no cuti bersama: neither does the first office.
            assert calendar.holiday_categories == ["public"]
        else:
            assert identity == ("Mahkamah Syar'iyah Lhokseumawe", "MS Lhokseumawe", "Jl. Iskandar Muda, Lhokseumawe, Aceh", "Lhokseumawe",
                                "Asia/Jakarta", "Ketua")
            assert calendar.working_weekdays == [0, 1, 2, 3, 4] and calendar.office_hours == {"start": "08:00", "end": "16:30"}
            assert [h.date for h in calendar.extra_holidays] == [date(2026, 12, 26), date(2027, 12, 26)]
            assert calendar.holiday_categories == ["public", "government"]
        # It goes on offering everything the installation did.
        assert set(office.processes) == {"leave", "permit", "walk_in", "letter", "whatsapp", "siramasakan", "complaint"} and office.is_active

        # The registers are the first office's, every number where it was.
        assert await rows(engine, "SELECT scope, year, last_value FROM number_sequence ORDER BY scope") == [
            (f"{FIRST}/{scope}", year, last) for scope, year, last in old_scopes]
        assert await rows(engine, "SELECT id, scope, sequence, number FROM issued_number ORDER BY id") == [
            (i, f"{FIRST}/{scope}", seq, number) for i, scope, seq, number in old_issued]

        # A run from before offices (its format names no office) numbers on in them; so does a new run of the office.
        async def next_number(key: str, scope: str, office_code: str) -> int:
            async with sessionmaker() as session, session.begin():
                issued = await assign_number(session, NumberRequest(
                    idempotency_key=key, numbering=NumberingFormat(scope=scope, format="B-{seq}/{year}", office=office_code),
                    timezone="Asia/Jakarta", subject="Surat"), now=datetime(2026, 12, 10, 3, tzinfo=UTC))
            return issued.sequence

        assert await next_number("old-run.leave", "leave_letter", "") == 42
        assert await next_number("old-run.outgoing", "outgoing_letter", "") == 18
        assert await next_number("new-run.leave", "leave_letter", FIRST) == 43
        async with sessionmaker() as session:
            assert (await session.get(NumberSequence, (f"{FIRST}/leave_letter", 2026))).last_value == 43
            assert await session.scalar(select(sa.func.count()).select_from(IssuedNumber).where(IssuedNumber.scope == "leave_letter")) == 0

        # Unit codes are unique per office now: another office may have a PTSP of its own, the first office not a second one.
        await insert(engine, "office", [{"code": "dpmptsp", "name": "DPMPTSP", "short_name": "DPMPTSP", "address": "Jl. A", "city": "Lamongan",
                                         "timezone": "Asia/Jakarta", "head_title": "Kepala Dinas", "letterhead": [], "agency_letterheads": {},
                                         "calendar": {}, "processes": [], "is_active": True, "created_at": AT}])
        (second,) = (await rows(engine, "SELECT id FROM office WHERE code = 'dpmptsp'"))[0]
        await insert(engine, "unit", [{"code": "PTSP", "name": "PTSP DPMPTSP", "office_id": second}])
        with pytest.raises(IntegrityError):
            await insert(engine, "unit", [{"code": "PTSP", "name": "Another PTSP", "office_id": first}])

        # With a second office there is no way back to one: the downgrade refuses, and leaves everything as it was.
        at_head = await counts(engine)
        with pytest.raises(RuntimeError, match="lebih dari satu kantor"):
            await alembic(engine, ("downgrade", "0005"))
        assert await counts(engine) == at_head
    finally:
        await engine.dispose()


async def test_downgrading_and_upgrading_again_keep_the_data(databases: Databases, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SATUPINTU_LEGACY_OFFICE_YAML", str(tmp_path / "absent.yaml"))
    engine = await at_0005_with_data(databases.previous_release())
    try:
        before, before_counts = await every_row(engine), await counts(engine)

        await alembic(engine, ("upgrade", "head"), ("downgrade", "0005"))
        assert await every_row(engine) == before, "a row changed going to offices and back"

        await alembic(engine, ("upgrade", "head"))
        await assert_one_office_owns_everything(engine, before_counts)
        # Prefixed once, not twice.
        assert sorted(s for (s,) in await rows(engine, "SELECT scope FROM number_sequence")) == sorted(
            f"{FIRST}/{r['scope']}" for r in before["number_sequence"])
    finally:
        await engine.dispose()


async def test_a_new_empty_database_gets_no_office(databases: Databases) -> None:
    engine = make_engine(databases.empty())
    try:
        await alembic(engine, ("upgrade", "head"))
        assert await rows(engine, "SELECT count(*) FROM office") == [(0,)]
    finally:
        await engine.dispose()


def test_the_migration_reads_the_office_yaml_where_the_release_before_kept_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SATUPINTU_LEGACY_OFFICE_YAML", raising=False)
    assert migration_0006().legacy_office_yaml() == ROOT / "process_defs" / "office.yaml"


# --- a run started before offices finishes after the upgrade -----------------------------------------------

OLD_NAME, OLD_ADDRESS = "Mahkamah Syar'iyah Lhokseumawe", "Jl. Iskandar Muda, Lhokseumawe, Aceh"
NEW_NAME, NEW_ADDRESS = "Mahkamah Syar'iyah Kota Lhokseumawe", "Jl. Merdeka Timur No. 1, Lhokseumawe"


def old_release_leave_input(request_id: int, employee: Person, supervisor: Person) -> dict:
    """A leave run's argument as the release before wrote it: its snapshot names no office and has none of the
    fields offices brought (the worker decodes it with their defaults), and numbers with that release's format."""
    snapshot = leave_snapshot(load_office(office_defs_dir(FIRST)))
    old = dataclasses.replace(
        snapshot,
        office=dataclasses.replace(snapshot.office, name=OLD_NAME, address=OLD_ADDRESS),
        numbering=dataclasses.replace(snapshot.numbering, fields={"unit_code": "Kk.13.21/1", "classification": "KP.07.6"}),
    )
    calendar = OfficeCalendar(snapshot.calendar)
    start = datetime.now(UTC).date() + timedelta(weeks=3)
    while not calendar.is_working_day(start):
        start += timedelta(days=1)
    end = start + timedelta(days=1)
    while not calendar.is_working_day(end):
        end += timedelta(days=1)
    inp = LeaveInput(request_id=request_id, employee=employee, supervisor=supervisor, leave_type="tahunan",
                     leave_type_label=load_leave().leave_type("tahunan").label, start_date=start, end_date=end,
                     working_days=calendar.working_days_between(start, end), reason="Keperluan keluarga", definition=old)
    payload = dataclasses.asdict(inp)
    definition = payload["definition"]
    for new_field in ("code", "letterhead", "agency_letterheads", "logo_key", "phone", "email"):
        del definition["office"][new_field]
    del definition["calendar"]["office"]
    del definition["numbering"]["office"]
    assert set(definition["calendar"]) == {f.name for f in dataclasses.fields(CalendarSnapshot)} - {"office"}
    return payload


async def test_a_run_started_before_offices_finishes_as_the_first_offices_under_its_old_identity(local_env, databases: Databases, tmp_path: Path,
                                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.smtp_sink import start_sink
    from tests.conftest import TEST_PAYLOAD_KEY, TEST_SECRET_KEY, free_port
    from workers.main import build_worker
    from workflows.leave import leave_workflow_id

    monkeypatch.setenv("SATUPINTU_LEGACY_OFFICE_YAML", str(tmp_path / "absent.yaml"))
    url = databases.previous_release()
    smtp_port = free_port()
    sink = start_sink(tmp_path / "mail", port=smtp_port)
    settings = Settings(var_dir=tmp_path, dev_mode=True, payload_key=TEST_PAYLOAD_KEY, secret_key=TEST_SECRET_KEY, database_url=url,
                        smtp_port=smtp_port, task_queue=f"upgrade-{uuid.uuid4().hex[:8]}")
    engine = make_engine(url)
    worker = None
    try:
        # Before the upgrade: the installation numbered leave letters up to 41 this year, and a leave request came in.
        await alembic(engine, ("stamp", "0001"), ("upgrade", "0005"))
        year = datetime.now(ZoneInfo("Asia/Jakarta")).year
        await insert(engine, "number_sequence", [{"scope": "leave_letter", "year": year, "last_value": 41}])
        people = {u: (i, f, n, p) for i, u, f, n, p in await rows(
            engine, "SELECT id, username, full_name, nip, position FROM app_user WHERE username IN ('pegawai1', 'atasan1')")}
        request_id = 10**6 + uuid.uuid4().int % 10**9
        await insert(engine, "leave_request", [{
            "id": request_id, "employee_id": people["pegawai1"][0], "leave_type": "tahunan", "start_date": date.today(), "end_date": date.today(),
            "working_days": 2, "reason": "Keperluan keluarga", "status": "waiting_supervisor", "workflow_id": leave_workflow_id(request_id),
            "created_at": datetime.now(UTC)}])

        def who(username: str) -> Person:
            i, f, n, p = people[username]
            return Person(id=i, username=username, full_name=f, nip=n, position=p)

        handle = await local_env.client.start_workflow("LeaveRequest", old_release_leave_input(request_id, who("pegawai1"), who("atasan1")),
                                                       id=leave_workflow_id(request_id), task_queue=settings.task_queue,
                                                       result_type=LeaveResult)

        # The upgrade; then the office's administrator renames the office.
        await alembic(engine, ("upgrade", "head"))
        async with engine.begin() as conn:
            await conn.execute(sa.text("UPDATE office SET name = :name, address = :address WHERE code = :code"),
                               {"name": NEW_NAME, "address": NEW_ADDRESS, "code": FIRST})
            first = (await conn.execute(sa.text("SELECT id FROM office WHERE code = :code"), {"code": FIRST})).scalar_one()

        # The new release's worker takes the run on.
        sessionmaker = make_sessionmaker(engine)
        worker = build_worker(local_env.client, settings, sessionmaker)
        asyncio.get_running_loop().create_task(worker.run())

        async def open_task(key: str) -> Task:
            for _ in range(300):
                async with sessionmaker() as session:
                    # In the first office's inbox: a session scoped to it sees the task.
                    scope_to_office(session, first)
                    task = await session.get(Task, f"{handle.id}.{key}")
                if task is not None and task.status == "open":
                    return task
                await asyncio.sleep(0.1)
            raise AssertionError(f"no open task {key}")

        async def decide(key: str, username: str, outcome: str) -> None:
            async with sessionmaker() as session:
                user = await session.scalar(select(User).where(User.username == username))
                assert user is not None and user.office_id == first
                who_acts = actor(user)
            await handle.execute_update(DECIDE_TASK, DecisionRequest(task_id=f"{handle.id}.{key}", actor=who_acts, outcome=outcome),
                                        result_type=TaskAck)

        approval = await open_task("persetujuan-atasan")
        assert approval.office_id == first and approval.owner_id == people["atasan1"][0]
        await decide("persetujuan-atasan", "atasan1", "approve")
        numbering = await open_task("penomoran-surat")
        assert numbering.office_id == first and numbering.role == "penomoran"
        await decide("penomoran-surat", "penomoran1", "assign_number")
        result = await asyncio.wait_for(handle.result(), timeout=60)

        # Numbered in the first office's register, on from the installation's 41, in the format the run started with.
        assert result.status == "approved"
        assert result.letter_number.startswith("B-42/Kk.13.21/1/KP.07.6/"), result.letter_number
        async with sessionmaker() as session:
            issued = (await session.scalars(select(IssuedNumber).where(IssuedNumber.number == result.letter_number))).one()
            leave = await session.get(LeaveRequest, request_id)
        assert (issued.scope, issued.sequence) == (f"{FIRST}/leave_letter", 42)
        assert leave is not None and leave.status == "approved" and leave.office_id == first and leave.letter_number == result.letter_number

        # Its letter carries the identity it started with, not the office row's new one.
        text = " ".join(PdfReader(settings.documents_dir / f"{result.document_id}.pdf").pages[0].extract_text().split())
        assert OLD_NAME.upper() in text and OLD_ADDRESS in text, text
        assert NEW_NAME.upper() not in text and NEW_ADDRESS not in text
    finally:
        if worker is not None:
            await worker.shutdown()
        await engine.dispose()
        sink.stop()
