"""The floor's worker as its own process, so its CPU and memory are measured like SatuPintu's worker:
`python -m bench.floor_worker <temporal address> <task queue> <sqlite file>`."""

import asyncio
import sys

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from bench.floor import FloorActivities, FloorBase
from bench.floor_workflow import FloorWorkflow
from store.db import create_schema, make_engine, make_sessionmaker


async def main(address: str, queue: str, db_file: str) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{db_file}")
    await create_schema(engine)
    async with engine.begin() as conn:
        await conn.run_sync(FloorBase.metadata.create_all)
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    acts = FloorActivities(make_sessionmaker(engine))
    async with Worker(client, task_queue=queue, workflows=[FloorWorkflow], activities=acts.all()):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
