"""The shape of the HTTP surface: which router answers a path, and what each JSON route promises to answer."""

import re

from fastapi import routing
from starlette.routing import compile_path

from gateway.api import api_router
from gateway.app import create_app


def _samples(path: str) -> set[str]:
    """Concrete paths the pattern matches: every parameter as a number, as a word, and a `path` parameter as two segments."""
    return {re.sub(r"\{([^}:]+)(:path)?\}", lambda m: value if not m.group(2) else "a/b", path) for value in ("1", "x")}


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
