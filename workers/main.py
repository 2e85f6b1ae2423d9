"""The worker process: registers every process workflow and the activities with their dependencies."""

import asyncio
import logging
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.service import TLSConfig
from temporalio.worker import Worker

from activities.complaints import ComplaintActivities
from activities.counter_documents import CounterDocumentActivities
from activities.documents import DocumentActivities
from activities.leave import LeaveActivities
from activities.letters import LetterActivities
from activities.notify import NotifyActivities
from activities.numbering import NumberingActivities
from activities.permits import CalendarActivities, PermitActivities
from activities.siramasakan import SiramasakanActivities
from activities.tasks import TaskActivities
from activities.walk_in import WalkInActivities
from activities.whatsapp import WhatsAppActivities
from store.db import make_engine, make_sessionmaker
from store.observability import client_interceptors
from store.payload_codec import data_converter
from store.settings import Settings, get_settings
from workflows.complaint import ComplaintWorkflow
from workflows.leave import LeaveRequestWorkflow
from workflows.letters import IncomingLetterWorkflow, OutgoingLetterWorkflow
from workflows.notification import NotificationWorkflow
from workflows.permit import PermitApplicationWorkflow
from workflows.siramasakan import SiramasakanWorkflow
from workflows.walk_in import WalkInVisitWorkflow
from workflows.whatsapp import WhatsAppConversationWorkflow

WORKFLOWS = [LeaveRequestWorkflow, PermitApplicationWorkflow, NotificationWorkflow, WalkInVisitWorkflow, IncomingLetterWorkflow, OutgoingLetterWorkflow,
             WhatsAppConversationWorkflow, ComplaintWorkflow, SiramasakanWorkflow]


def activities_for(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> list:
    tasks = TaskActivities(sessionmaker)
    documents = DocumentActivities(settings, sessionmaker)
    permits = PermitActivities(sessionmaker)
    letters = LetterActivities(sessionmaker)
    return [
        tasks.open_task,
        tasks.update_task,
        tasks.close_task,
        tasks.record_event,
        NumberingActivities(sessionmaker).assign_number,
        NotifyActivities(settings, sessionmaker).notify,
        documents.render_leave_letter,
        documents.render_permit,
        CounterDocumentActivities(settings, sessionmaker).render_counter_document,
        LeaveActivities(sessionmaker).update_leave_request,
        permits.update_permit,
        CalendarActivities().working_deadline,
        letters.update_letter,
        letters.attach_letter_file,
        WalkInActivities(sessionmaker).update_walk_in,
        WhatsAppActivities(settings).auto_reply,
        *_siramasakan(settings, sessionmaker),
        ComplaintActivities(sessionmaker).update_complaint,
    ]


def _siramasakan(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> list:
    sira = SiramasakanActivities(settings, sessionmaker)
    return [sira.update_siramasakan, sira.send_registry_handoff]


async def connect(settings: Settings) -> Client:
    # The tracing interceptor on the client also reaches every worker built from it (build_worker), so a
    # request's trace continues into the workflow and its activities. The data converter encrypts every payload
    # (store/payload_codec.py); outside dev mode a missing payload key stops the process here.
    return await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace, data_converter=data_converter(settings),
                                interceptors=client_interceptors(), tls=temporal_tls(settings))


def temporal_tls(settings: Settings) -> TLSConfig | bool:
    """mTLS to the Temporal cluster when its files are set (a cluster on other hosts must not accept anyone who
    reaches its port); False keeps plain gRPC for a server on this host or a private network."""
    paths = (settings.temporal_tls_ca_path, settings.temporal_tls_cert_path, settings.temporal_tls_key_path)
    if not any(paths):
        return False
    if settings.temporal_tls_cert_path is None or settings.temporal_tls_key_path is None:
        raise ValueError("SATUPINTU_TEMPORAL_TLS_CERT_PATH dan SATUPINTU_TEMPORAL_TLS_KEY_PATH harus diisi bersama (sertifikat dan kunci klien mTLS).")
    read = lambda path: Path(path).read_bytes() if path else None  # noqa: E731
    return TLSConfig(server_root_ca_cert=read(settings.temporal_tls_ca_path), client_cert=read(settings.temporal_tls_cert_path),
                     client_private_key=read(settings.temporal_tls_key_path), domain=settings.temporal_tls_server_name or None)


def build_worker(client: Client, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities_for(settings, sessionmaker),
    )


async def run_worker(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    engine = make_engine(settings.effective_database_url)
    client = await connect(settings)
    sessionmaker = make_sessionmaker(engine)
    worker = build_worker(client, settings, sessionmaker)
    logging.getLogger(__name__).info("worker listening on task queue %s", settings.task_queue)
    # The run index for the owners' pages (workers/run_index.py) is kept current beside the worker.
    from workers.run_index import run_index_loop  # noqa: PLC0415

    index = asyncio.create_task(run_index_loop(client, sessionmaker, settings.run_index_interval_seconds))
    try:
        await worker.run()
    finally:
        index.cancel()
        await asyncio.gather(index, return_exceptions=True)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(run_worker())
