"""The HTTP contract checked on every answer the tests get: a 2xx JSON body must fit the response schema its route
publishes in the OpenAPI document, strictly — a key the schema does not declare is a failure too, so a response
model that forgot a field the service sends (the gateway would still send it: response models allow extra keys)
is caught here, not by a client."""

import copy
import json
from typing import Any

import jsonschema


def strict(schema: Any) -> Any:
    """The schema with every object that declares its properties closed to any other key."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and not isinstance(out.get("additionalProperties"), dict):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


class Contract:
    def __init__(self, openapi: dict) -> None:
        self.openapi = copy.deepcopy(openapi)
        self.components = strict(self.openapi.get("components", {}))

    def schema_for(self, method: str, path: str, status: int) -> dict | None:
        operation = self.openapi.get("paths", {}).get(path, {}).get(method.lower())
        if operation is None:
            return None
        responses = operation.get("responses", {})
        # A route answering 200 for a repeat of its 201 (an idempotent submit) answers the same body.
        answer = responses.get(str(status)) or next((r for s, r in responses.items() if s.startswith("2")), None)
        schema = ((answer or {}).get("content") or {}).get("application/json", {}).get("schema")
        return None if schema is None else {**strict(schema), "components": self.components}

    def problems(self, method: str, path: str, status: int, body: bytes) -> list[str]:
        schema = self.schema_for(method, path, status)
        if schema is None or not 200 <= status < 300 or not body:
            return []
        instance = json.loads(body)
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
        return [f"{method} {path} {status}: {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in errors[:5]]


class ContractCheck:
    """ASGI wrapper of the app: records every 2xx JSON answer that does not fit its route's published schema."""

    def __init__(self, app) -> None:
        self.app = app
        self.violations: list[str] = []
        self._contract: Contract | None = None

    def __getattr__(self, name: str):
        return getattr(self.app, name)

    @property
    def contract(self) -> Contract:
        if self._contract is None:
            self._contract = Contract(self.app.openapi())
        return self._contract

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status, json_body, chunks = 0, False, []

        async def recording_send(message) -> None:
            nonlocal status, json_body
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = dict(message.get("headers") or []).get(b"content-type", b"")
                json_body = content_type.startswith(b"application/json")
            elif message["type"] == "http.response.body" and json_body:
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, recording_send)
        route = scope.get("route")
        path = getattr(route, "path_format", None)
        if json_body and path and 200 <= status < 300:
            self.violations += self.contract.problems(scope["method"], path, status, b"".join(chunks))
