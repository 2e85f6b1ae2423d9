"""The shape of the HTTP surface: which router answers a path, and what each JSON route promises to answer."""

import json
import re
from typing import get_args, get_origin

from fastapi import routing
from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import compile_path

from gateway.api.router import api_router
from gateway.app import JSON_PREFIXES, create_app


def _samples(path: str) -> set[str]:
    """Concrete paths the pattern matches: every parameter as a number, as a word, and a `path` parameter as two segments."""
    return {re.sub(r"\{([^}:]+)(:path)?\}", lambda m, value=value: value if not m.group(2) else "a/b", path) for value in ("1", "x")}


def _routes(routes) -> list[tuple[str, set[str]]]:  # noqa: ANN001
    return [(rc.path, set(rc.methods or ())) for rc in routing.iter_route_contexts(routes) if rc.path]


def test_no_api_route_and_page_route_answer_the_same_request() -> None:
    """app.py includes the API as one router before the pages: that changes which route answers a request only
    where an API path and a page path overlap, and none does."""
    api = _routes(api_router.routes)
    api_paths = {p for p, _ in api}
    others = [(p, m) for p, m in _routes(create_app().routes) if p not in api_paths]
    clashes = []
    for api_path, api_methods in api:
        api_rx = compile_path(api_path)[0]
        for other_path, other_methods in others:
            if not api_methods & other_methods:
                continue
            other_rx = compile_path(other_path)[0]
            if any(other_rx.fullmatch(s) for s in _samples(api_path)) or any(api_rx.fullmatch(s) for s in _samples(other_path)):
                clashes.append(f"{sorted(api_methods & other_methods)} {api_path} ~ {other_path}")
    assert not clashes, "\n".join(clashes)


def test_the_api_router_holds_every_api_route() -> None:
    api_paths = {p for p, _ in _routes(api_router.routes)}
    outside = [p for p, _ in _routes(create_app().routes) if p.startswith("/api/") and p not in api_paths]
    assert not outside, outside


def _typed(route: APIRoute) -> bool:
    """Whether the route says what it answers: a pydantic model (or a list of them), no body (204), or a response
    class that is not JSON (a file, a redirect, a page)."""
    if route.status_code == 204:
        return True
    response_class = route.response_class
    if not isinstance(response_class, DefaultPlaceholder) and not issubclass(response_class, JSONResponse):
        return True
    model = route.response_model
    if get_origin(model) is list:
        (model,) = get_args(model)
    return isinstance(model, type) and issubclass(model, BaseModel)


def test_every_json_route_says_what_it_answers() -> None:
    """The OpenAPI document describes every answer of the API: a route returning a bare dict publishes no schema."""
    routes = [rc.original_route for rc in routing.iter_route_contexts(create_app().routes)
              if isinstance(rc.original_route, APIRoute) and rc.path.startswith(JSON_PREFIXES)]
    labels = {f"{method} {route.path}": route for route in routes for method in route.methods}
    untyped = sorted(label for label, route in labels.items() if not _typed(route))
    assert not untyped, f"JSON routes without a response model (gateway/api/schemas.py says how): {untyped}"


def test_the_contract_check_refuses_a_key_the_schema_does_not_declare() -> None:
    """tests/contract.py, which every test client's answers go through, is strict: the answer of a response model that
    forgot a field (the key still goes out: models let extra keys through) does not pass."""
    from tests.contract import Contract

    contract = Contract(create_app().openapi())
    balance = {"year": 2026, "entitlement": 12, "carried_over": 0, "used": 2, "pending": 1, "available": 9}
    assert contract.problems("GET", "/api/v1/leave-balance", 200, json.dumps(balance).encode()) == []
    assert contract.problems("GET", "/api/v1/leave-balance", 200, json.dumps({**balance, "bonus": 1}).encode())
    assert contract.problems("GET", "/api/v1/leave-balance", 200, json.dumps({**balance, "year": "2026"}).encode())
