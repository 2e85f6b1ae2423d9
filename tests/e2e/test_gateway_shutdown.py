"""`satupintu gateway` stopped with SIGTERM (as `satupintu run` and container runtimes stop it) leaves by itself,
exit code 0, with the spans of its last requests written."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port


def test_sigterm_stops_the_gateway_cleanly_and_keeps_its_last_spans(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "SATUPINTU_VAR_DIR": str(tmp_path), "SATUPINTU_DEV_MODE": "true", "SATUPINTU_TRACES_EXPORTER": "console",
           "SATUPINTU_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}", "SATUPINTU_LOG_FORMAT": "json"}
    subprocess.run([sys.executable, "-m", "cli.main", "init-db", "--no-seed"], env=env, check=True, capture_output=True, timeout=60)
    gateway = subprocess.Popen([sys.executable, "-m", "cli.main", "gateway", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/catalog", timeout=5)
                break
            except httpx.TransportError:
                assert gateway.poll() is None and time.monotonic() < deadline, "the gateway did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        trace_id = response.headers["x-trace-id"]
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=30) == 0
    finally:
        if gateway.poll() is None:
            gateway.kill()
    spans = [json.loads(line) for line in (tmp_path / "log" / "traces-gateway.jsonl").read_text().splitlines()]
    assert any(span["context"]["trace_id"].removeprefix("0x") == trace_id for span in spans)
