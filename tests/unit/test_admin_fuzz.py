"""The administration API fuzzed from its own OpenAPI schema (as tests/unit/test_fuzz.py does for the whole API as a
process owner, who gets no further than 403 here): as an office administrator and as the installation's, whatever is
sent, the answer is a readable refusal or an answer that fits the published schema — never a crash."""

import schemathesis
from schemathesis import GenerationMode

from tests.contract import Contract
from tests.unit.test_fuzz import _token, fuzz, gateway  # noqa: F401 - the fixture

PATHS = ("/api/v1/admin/", "/api/v1/auth/staff-")


def test_no_administration_operation_crashes(gateway) -> None:  # noqa: F811 - the fixture
    app, base_url = gateway
    office_admin, installation_admin = _token(base_url, "admin_dpmptsp"), _token(base_url, "admin")
    openapi = app.openapi()
    openapi = {**openapi, "paths": {path: spec for path, spec in openapi["paths"].items() if path.startswith(PATHS)}}
    schema = schemathesis.openapi.from_dict(openapi)
    assert len(list(schema.get_all_operations())) >= 20
    contract = Contract(app.openapi())

    failures = fuzz(schema, base_url, office_admin, max_examples=15, contract=contract)
    failures += fuzz(schema, base_url, office_admin, max_examples=10, mode=GenerationMode.NEGATIVE, contract=contract)
    failures += fuzz(schema, base_url, installation_admin, max_examples=8, contract=contract)
    assert not failures, "\n".join(failures)
