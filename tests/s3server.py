"""A real S3-protocol server for tests: moto in server mode (`moto_server`, from the dev extras) on a free port of
127.0.0.1, and a fresh bucket per test. Nothing here imports SatuPintu's storage code, so a test written against the
bucket can be run on a release that had none.

    from tests.s3server import CREDENTIALS, bucket_keys  # the fixtures moto_endpoint and bucket come with tests/conftest.py
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

BIN = Path(sys.prefix) / "bin"
# moto accepts any key; these are what the settings under test carry (SATUPINTU_S3_*).
CREDENTIALS = {"s3_access_key_id": "satupintu-test", "s3_secret_access_key": "satupintu-test-secret", "s3_region": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    # The test session may end with os._exit or be killed: the server must not outlive it (Linux prctl PDEATHSIG).
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server for the module that asks for it, stopped after that module."""
    port = _free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    server = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT,
                              preexec_fn=_die_with_parent)
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, "moto_server stopped at start"
            assert time.monotonic() < deadline, "moto_server did not listen within 60 s"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def s3_client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=CREDENTIALS["s3_access_key_id"],
                        aws_secret_access_key=CREDENTIALS["s3_secret_access_key"])


@pytest.fixture
def bucket(moto_endpoint: str) -> str:
    """A new, empty bucket."""
    name = f"satupintu-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=name)
    return name


def bucket_keys(endpoint: str, bucket: str) -> list[str]:
    answer = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in answer.get("Contents", []))
