"""The auditor's page, `/audit`: replay one run (by workflow id) or every run of a process since a date against
the current code, and download a run's history (JSON) and signed audit report (PDF).

`POST /audit` also takes the "Putar ulang" button of the run page (`/proses/{workflow_id}`), which sends only
`workflow_id`. The page calls the same service as `POST /api/v1/runs/{id}/replay`, so both answer alike.
"""

from datetime import date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.deps import Auditor, SessionDep
from gateway.errors import DomainError, status_of
from gateway.pages.framework import SameOrigin, _field, _field_errors, _parse_date, _render, _temporal, office_tz
from gateway.services import audit as service
from process_defs.processes import PROCESSES
from store.models import User

router = APIRouter(include_in_schema=False)


def _today() -> date:
    return datetime.now(office_tz()).date()


async def _page(request: Request, session: AsyncSession, user: User, *, values: dict | None = None, results: list[dict] | None = None,
                field_errors: dict | None = None, error: str | None = None, truncated: bool = False, asked: str | None = None,
                status_code: int = 200) -> Response:
    values = values or {"workflow_id": "", "process": "", "since": _today().isoformat()}
    bad = sum(not r["deterministic"] for r in results or [])
    return await _render(request, "pages/audit/index.html", {
        "values": values, "results": results, "field_errors": field_errors or {}, "error": error, "truncated": truncated,
        "limit": service.PAGE_REPLAY_LIMIT, "asked": asked, "not_deterministic": bad,
        "processes": [(p.name, p.label) for p in PROCESSES], "active": "audit",
    }, session=session, user=user, status_code=status_code)


@router.get("/audit")
async def audit_page(request: Request, user: Auditor, session: SessionDep) -> Response:
    return await _page(request, session, user)


@router.post("/audit")
async def replay(request: Request, user: Auditor, session: SessionDep, _: SameOrigin) -> Response:
    form = await request.form()
    mode = _field(form, "mode", 20) or "run"
    values = {"workflow_id": _field(form, "workflow_id", 300).strip(), "process": _field(form, "process", 40),
              "since": _field(form, "since", 20).strip() or _today().isoformat(), "mode": mode}
    errors: dict[str, str] = {}
    try:
        if mode == "process":
            since = _parse_date(values["since"], "since", "Tanggal mulai", errors)
            if since is not None and since > _today():
                errors["since"] = "Tanggal mulai tidak boleh setelah hari ini."
            if not values["process"]:
                errors["process"] = "Pilih proses yang akan diputar ulang."
            if errors or since is None:  # a date that did not parse has its message in errors
                return await _page(request, session, user, values=values, field_errors=errors, status_code=422)
            outcomes, truncated = await service.replay_process(session, await _temporal(request), user=user, process=values["process"],
                                                               since=since)
            label = {p.name: p.label for p in PROCESSES}.get(values["process"], values["process"])
            asked = f"Semua run proses {label} yang dimulai sejak {values['since']}"
        else:
            outcome = await service.replay_one(session, await _temporal(request), user=user, workflow_id=values["workflow_id"])
            outcomes, truncated, asked = [outcome], False, f"Run {outcome.workflow_id}"
    except DomainError as exc:
        if status_of(exc) in (401, 403):
            raise
        return await _page(request, session, user, values=values, field_errors=_field_errors(exc), error=exc.detail,
                           status_code=status_of(exc))
    return await _page(request, session, user, values=values, results=[service.serialize_outcome(o) for o in outcomes],
                       truncated=truncated, asked=asked)
