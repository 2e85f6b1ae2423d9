"""The whole JSON API fuzzed from its own OpenAPI schema (schemathesis): whatever a client sends, the
gateway answers with a refusal it can read — never a crash.

The gateway runs in this process (uvicorn on a thread, its own event loop and lifespan) over a throwaway
database, with Temporal deliberately unreachable: calls that need a process must then answer a structured
503 "temporal_unavailable", never a 500. Bounded: a few examples per operation, derandomized, so the run is
the same in CI every time."""

import threading
import time

import hypothesis
import hypothesis.errors
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given
from schemathesis import GenerationMode

from gateway.app import JSON_PREFIXES
from tests.conftest import free_port
from tests.contract import Contract

STAFF = "pemilik1"  # a staff member with a process-owner role, so the owner routes are reached too
APPLICANT = "3374010101900001"
PASSWORD = "Demo12345"
# Signing out ends every token of the account, the one the rest of the run uses (it takes no input to fuzz).
ENDS_THE_SESSION = {"POST /api/v1/auth/logout"}


class ServerThread:
    def __init__(self, app) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "the gateway did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def gateway(db):
    """The gateway over `db`, with Temporal pointed at a port nobody listens on."""
    from gateway.app import create_app

    settings = db.settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    app = create_app(settings)
    with ServerThread(app) as base_url:
        yield app, base_url


def _token(base_url: str, username: str) -> dict:
    response = requests.post(f"{base_url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=30)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def check_response(case, response, contract: Contract | None = None) -> None:
    where = f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r}"
    content_type = response.headers.get("content-type") or [""]
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if contract is not None and 200 <= response.status_code < 300 and content_type.startswith("application/json"):
        # A success answers what the route publishes, no more and no less (tests/contract.py).
        problems = contract.problems(case.method, case.path, response.status_code, response.content)
        assert not problems, f"answer does not fit its schema on {where}:\n" + "\n".join(problems)
    if response.status_code >= 500:
        assert response.status_code == 503, f"{response.status_code} on {where}: {response.text[:500]}"
        body = response.json()
        if case.path == "/healthz":  # readiness: its 503 is its own JSON, saying which part does not answer
            assert body.get("ok") is False and body.get("temporal") is False, f"readiness 503 on {where}: {response.text[:500]}"
            return
        assert body.get("code") == "temporal_unavailable" and body.get("detail"), f"unstructured 503 on {where}: {response.text[:500]}"
    elif response.status_code >= 400 and case.path.startswith(JSON_PREFIXES):
        # Documented routes outside the JSON API (a PDF download, /dokumen/…) answer a person with an error page.
        assert content_type.startswith("application/json"), f"{response.status_code} not JSON on {where}"
        detail = response.json().get("detail")
        assert isinstance(detail, str) and detail.strip(), f"{response.status_code} without a readable detail on {where}: {response.text[:500]}"


def fuzz(schema, base_url: str, headers: dict, max_examples: int, mode: GenerationMode = GenerationMode.POSITIVE,
         contract: Contract | None = None) -> list[str]:
    """Runs every operation with data that fits the schema (positive) or breaks it (negative); returns the
    failures (all of them, so one run lists every crash)."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in ENDS_THE_SESSION:
            continue
        try:
            strategy = operation.as_strategy(mode)
        except Exception:
            continue

        @given(case=strategy)
        @hypothesis.settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                             phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck), print_blob=False)
        def run(case) -> None:
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            check_response(case, response, contract)

        try:
            run()
        except hypothesis.errors.Unsatisfiable:
            continue
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    return failures


def test_no_operation_crashes_for_staff_or_applicant(gateway) -> None:
    app, base_url = gateway
    # Sign in first: the fuzzed sign-ins below soon trip this client address's login throttle.
    staff, applicant = _token(base_url, STAFF), _token(base_url, APPLICANT)
    schema = schemathesis.openapi.from_dict(app.openapi())
    assert len(list(schema.get_all_operations())) >= 90
    contract = Contract(app.openapi())

    failures = fuzz(schema, base_url, staff, max_examples=8, contract=contract)
    failures += fuzz(schema, base_url, staff, max_examples=5, mode=GenerationMode.NEGATIVE, contract=contract)
    failures += fuzz(schema, base_url, applicant, max_examples=4, contract=contract)
    assert not failures, "\n".join(failures)


def test_temporal_unreachable_is_a_structured_503(gateway) -> None:
    """The one 5xx the fuzz accepts is this one: a leave request while Temporal is down."""
    _, base_url = gateway
    headers = _token(base_url, "pegawai1")
    response = requests.post(f"{base_url}/api/v1/leave-requests", headers=headers, timeout=30, json={
        "leave_type": "tahunan", "start_date": "2026-12-14", "end_date": "2026-12-15", "reason": "Keperluan keluarga"})
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "temporal_unavailable"
    # The gateway connects to Temporal only once the request has passed its checks: the service says it was not sent.
    assert "tidak tersedia" in response.json()["detail"] and "belum terkirim" in response.json()["detail"]
