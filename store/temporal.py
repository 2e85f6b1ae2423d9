"""The other store: how every SatuPintu process (worker, gateway, audit) reaches Temporal, with the payload codec, tracing and mTLS."""


from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import TLSConfig

from store.observability import client_interceptors
from store.payload_codec import data_converter
from store.settings import Settings


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


# How SatuPintu names a run's state in its run index and pages.
STATUS_NAMES = {
    WorkflowExecutionStatus.RUNNING: "running",
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued_as_new",
}
