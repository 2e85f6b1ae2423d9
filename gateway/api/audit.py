"""Auditors (role `auditor`): replay a run against the current code and export its evidence.

- `POST /api/v1/runs/{workflow_id}/replay` — `{"workflow_id","run_id","workflow_type","deterministic","error","events"}`;
- `GET /api/v1/runs/{workflow_id}/audit.pdf` — the signed audit report (PAdES), as an attachment;
- `GET /api/v1/runs/{workflow_id}/history.json` — the raw history in Temporal's JSON format.

Unknown run: 404; Temporal unreachable: 503. The run list and run detail are in gateway/api/runs.py.
"""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from audit.cli import safe_file_stem
from gateway.api.schemas import ERRORS, ErrorOut, Out, PdfResponse, Responses
from gateway.deps import Auditor, SessionDep, SettingsDep, TemporalDep
from gateway.services import audit as service

router = APIRouter(prefix="/api/v1/runs", tags=["audit"])

_RESPONSES: Responses = {401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404], 422: ERRORS[422],
              503: {"model": ErrorOut, "description": "Layanan proses (Temporal) tidak terjangkau"}}


class ReplayOut(Out):
    workflow_id: str
    run_id: str
    workflow_type: str
    process: str | None
    process_label: str
    deterministic: bool
    error: str | None
    events: int


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                                             "Cache-Control": "no-store"})


@router.post("/{workflow_id}/replay", response_model=ReplayOut, responses=_RESPONSES)
async def replay_run(workflow_id: str, user: Auditor, session: SessionDep, client: TemporalDep) -> dict[str, Any]:
    """Replays the run's history (its latest run) against the workflow code the workers run now."""
    return service.serialize_outcome(await service.replay_one(session, client, user=user, workflow_id=workflow_id))


@router.get("/{workflow_id}/audit.pdf", response_class=PdfResponse,
            responses={**_RESPONSES, 200: {"content": {"application/pdf": {}}, "description": "Laporan audit bertanda tangan"}})
async def audit_report(workflow_id: str, user: Auditor, client: TemporalDep, session: SessionDep, settings: SettingsDep) -> Response:
    """Every decision, number and document (with its hash) of the run, and the SHA-256 of its history JSON; PAdES-signed."""
    export = await service.export(client, session, settings, workflow_id=workflow_id, user=user)
    return _download(export.pdf, "application/pdf", f"{safe_file_stem(workflow_id)}.audit.pdf")


@router.get("/{workflow_id}/history.json", response_class=Response,
            responses={**_RESPONSES, 200: {"content": {"application/json": {}}, "description": "Riwayat Temporal"}})
async def history(workflow_id: str, user: Auditor, session: SessionDep, client: TemporalDep) -> Response:
    """The run's history as Temporal exports it (loadable with `WorkflowHistory.from_json`)."""
    raw = await service.raw_history(session, client, user=user, workflow_id=workflow_id)
    return _download(raw, "application/json", f"{safe_file_stem(workflow_id)}.history.json")
