"""The floor: the least a Temporal process with a human decision can do on this machine — one
activity writing a task row, one Workflow Update with a validator, one activity assigning a number
through the same numbering service, one notify activity (an outbox row, no delivery)."""

from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from temporalio import activity

from activities.numbering import assign_number
from bench.floor_workflow import FloorInput
from contracts import NumberingFormat, NumberRequest


class FloorBase(DeclarativeBase):
    pass


class FloorTask(FloorBase):
    __tablename__ = "floor_task"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))


class FloorNotice(FloorBase):
    __tablename__ = "floor_notice"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    body: Mapped[str] = mapped_column(String(200))


class FloorActivities:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    @activity.defn(name="floor_write_task")
    async def write_task(self, inp: FloorInput) -> None:
        async with self.sessionmaker() as session, session.begin():
            if await session.get(FloorTask, inp.key) is None:
                session.add(FloorTask(id=inp.key, status="open"))

    @activity.defn(name="floor_assign_number")
    async def assign(self, inp: FloorInput) -> str:
        async with self.sessionmaker() as session, session.begin():
            issued = await assign_number(session, NumberRequest(
                idempotency_key=inp.key, numbering=NumberingFormat(scope="floor", format="{seq}/{year}"),
                timezone="Asia/Jakarta", subject="floor"))
            return issued.number

    @activity.defn(name="floor_notify")
    async def notify(self, inp: FloorInput) -> None:
        async with self.sessionmaker() as session, session.begin():
            if await session.get(FloorNotice, inp.key) is None:
                session.add(FloorNotice(id=inp.key, body=f"Permohonan {inp.key} disetujui"))

    def all(self) -> list:
        return [self.write_task, self.assign, self.notify]
