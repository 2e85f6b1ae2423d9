"""mTLS to a Temporal cluster (issue 14, item 4): with SATUPINTU_TEMPORAL_TLS_* set, workers and gateways reach
Temporal only with their client certificate, and a caller without one is turned away at the handshake.

The dev server speaks plain gRPC, so the test puts a TLS terminator in front of it that demands a client
certificate signed by the cluster's CA, as a Temporal cluster configured for mTLS (or its ingress) does."""

import asyncio
import datetime
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from temporalio.client import Client
from temporalio.service import TLSConfig

from store.settings import Settings
from store.temporal import connect, temporal_tls

CA = "SatuPintu Temporal CA"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool = False, server: bool = False) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer)).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("temporal.kantor.local"),
                                                                     x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key) -> tuple[Path, Path]:
    cert_path, key_path = path.with_suffix(".crt"), path.with_suffix(".key")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


@pytest.fixture
async def mtls_temporal(local_env, tmp_path: Path):
    ca_key, server_key, client_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca_path, _ = _write(tmp_path / "ca", _certificate(CA, ca_key, CA, ca_key, ca=True), ca_key)
    server_cert, server_key_path = _write(tmp_path / "server", _certificate("temporal.kantor.local", server_key, CA, ca_key, server=True), server_key)
    client_cert, client_key_path = _write(tmp_path / "worker", _certificate("satupintu-worker", client_key, CA, ca_key), client_key)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca_path))
    context.load_cert_chain(server_cert, server_key_path)
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])
    upstream_host, upstream_port = local_env.client.service_client.config.target_host.rsplit(":", 1)

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(upstream_host, int(upstream_port))
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = await asyncio.start_server(relay, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    yield {"address": f"127.0.0.1:{port}", "ca": ca_path, "cert": client_cert, "key": client_key_path}
    server.close()


async def test_workers_reach_a_cluster_over_mtls_and_strangers_do_not(db, mtls_temporal) -> None:
    settings = db.settings.model_copy(update={
        "temporal_address": mtls_temporal["address"], "temporal_tls_ca_path": mtls_temporal["ca"],
        "temporal_tls_cert_path": mtls_temporal["cert"], "temporal_tls_key_path": mtls_temporal["key"],
        "temporal_tls_server_name": "temporal.kantor.local"})
    client = await connect(settings)
    assert (await client.workflow_service.get_system_info(_system_info_request())).server_version

    # The CA is known, but no client certificate: the cluster does not let the caller in.
    stranger = settings.model_copy(update={"temporal_tls_cert_path": None, "temporal_tls_key_path": None})
    with pytest.raises(ValueError, match="harus diisi bersama"):
        temporal_tls(stranger)
    with pytest.raises(RuntimeError):
        await Client.connect(settings.temporal_address, tls=TLSConfig(server_root_ca_cert=Path(mtls_temporal["ca"]).read_bytes(),
                                                                    domain="temporal.kantor.local"))


def _system_info_request():
    from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

    return GetSystemInfoRequest()


def test_plain_grpc_when_no_tls_files_are_set() -> None:
    assert temporal_tls(Settings()) is False
