"""The task inbox (Kotak Tugas): claiming, a task's page with the form its step asks for, decisions and delegation."""


from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import CurrentUser, SessionDep, SettingsDep
from gateway.errors import DomainError, status_of
from gateway.pages.framework import CASE_PAGES, PAGE_SIZE, SameOrigin, _field, _field_errors, _is_htmx, _redirect, _render, _safe_next, _temporal, _with_flash
from gateway.services import people as people_service
from gateway.services import processes
from gateway.services import tasks as task_service
from store.models import User

router = APIRouter(include_in_schema=False)


def _inbox_filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    page = q.get("halaman", "1")
    return {
        "proses": q.get("proses", "") if q.get("proses", "") in task_service.PROCESS_LABELS else "",
        "status": "selesai" if q.get("status") == "selesai" else "terbuka",
        "terlambat": q.get("terlambat", "") in ("1", "on", "true", "ya"),
        "halaman": int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1,
    }


@router.get("/inbox")
async def inbox_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    if request.query_params.get("task"):  # links in notifications point at one task
        return _redirect(f"/inbox/{quote(request.query_params['task'], safe='')}")
    f = _inbox_filters(request)
    page = await task_service.inbox(session, user=user, filters=task_service.InboxFilter(
        process=f["proses"] or None, status="completed" if f["status"] == "selesai" else "open", overdue=f["terlambat"],
        limit=PAGE_SIZE, offset=(f["halaman"] - 1) * PAGE_SIZE))
    items = [task_service.serialize(t, viewer=user, represented=page.represented) for t in page.items]
    query = {k: v for k, v in (("proses", f["proses"]), ("status", f["status"] if f["status"] != "terbuka" else ""),
                               ("terlambat", "1" if f["terlambat"] else "")) if v}
    ctx = {"items": items, "total": page.total, "filters": f, "processes": task_service.PROCESS_LABELS, "active": "inbox",
           "page_size": PAGE_SIZE, "query": query, "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
           "page_url": lambda n: "/inbox?" + urlencode({**query, "halaman": n})}
    if _is_htmx(request):
        return await _render(request, "pages/inbox.html", ctx, user=user, block="task_list")
    return await _render(request, "pages/inbox.html", ctx, session=session, user=user)


@router.post("/inbox/{task_id}/klaim")
async def claim_task(request: Request, task_id: str, user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    await task_service.claim(session, user=user, task_id=task_id)
    form = await request.form()
    return _redirect(_with_flash(_safe_next(_field(form, "next", 500), "/inbox"), "diklaim"))


@router.post("/inbox/{task_id}/lepas")
async def unclaim_task(request: Request, task_id: str, user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    await task_service.unclaim(session, user=user, task_id=task_id)
    form = await request.form()
    return _redirect(_with_flash(_safe_next(_field(form, "next", 500), "/inbox"), "dilepas"))


# Up to this many choices show as radio buttons; more as a select (e.g. the classification codes).
RADIO_MAX = 5


# Strings allowed to be longer than this get a textarea (findings, notes) instead of one line.
TEXTAREA_MIN_LENGTH = 300


def _options(prop: dict) -> list[dict[str, Any]]:
    """A property's choices as the page shows them: the `oneOf` titles, or an `enum`'s own values.
    `value` is the HTML value (a string); `const` the typed value sent to the workflow."""
    if prop.get("oneOf"):
        return [{"value": str(o["const"]), "const": o["const"], "label": o.get("title", str(o["const"]))} for o in prop["oneOf"]]
    return [{"value": str(v), "const": v, "label": str(v)} for v in prop.get("enum", [])]


def _widget(prop: dict, options: list[dict]) -> str:
    kind = prop.get("type", "string")
    if prop.get("format") == "file-id":  # an upload: made on the case's own page (e.g. a letter's scan on /surat/…)
        return "file"
    if kind == "array":
        return "checkboxes" if options else "input"
    if kind == "boolean":
        return "checkbox"
    if options:
        return "radios" if len(options) <= RADIO_MAX else "select"
    if kind == "string" and prop.get("maxLength", 0) > TEXTAREA_MIN_LENGTH:
        return "textarea"
    return "input"


def _form_fields(schema: dict) -> list[dict[str, Any]]:
    """The task's own form (the JSON Schema subset the workflows use, see workflows/human_task.py `_check_form`)
    as inputs named data.<property>: a checkbox group for an array of choices, radios or a select for a choice,
    a textarea for long text."""
    required = set(schema.get("required", []))
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        options = _options(prop.get("items", {}) if prop.get("type") == "array" else prop)
        fields.append({"name": name, "title": prop.get("title", name), "type": prop.get("type", "string"), "required": name in required,
                       "description": prop.get("description"), "options": options, "widget": _widget(prop, options),
                       "max_length": prop.get("maxLength")})
    return fields


def _form_values(form: Any, fields: list[dict]) -> dict[str, Any]:
    """What was submitted, as the form shows it again after a refusal: a list for a checkbox group."""
    values: dict = {}
    for f in fields:
        key = f"data.{f['name']}"
        if f["widget"] == "checkboxes":
            values[key] = [v[:200] for v in form.getlist(key) if isinstance(v, str)][:100]
        else:
            values[key] = _field(form, key)
    return values


def _typed(raw: str, f: dict) -> Any:
    """A submitted choice as the workflow's value (the rating 1-4 is an integer); an unknown choice stays as
    sent, so the workflow's validator names the field."""
    return next((o["const"] for o in f["options"] if o["value"] == raw), raw)


def _form_data(form: Any, fields: list[dict]) -> dict[str, Any]:
    data: dict = {}
    values = _form_values(form, fields)
    for f in fields:
        raw = values[f"data.{f['name']}"]
        if f["widget"] == "checkboxes":
            # Always sent, also empty: "nothing ticked" is an answer (e.g. no requirement brought).
            data[f["name"]] = [_typed(v, f) for v in dict.fromkeys(raw)]
        elif f["type"] == "boolean":
            data[f["name"]] = raw in ("1", "on", "true")
        elif raw == "":
            continue
        elif f["options"]:
            data[f["name"]] = _typed(raw, f)
        elif f["type"] in ("integer", "number"):
            try:
                data[f["name"]] = int(raw) if f["type"] == "integer" else float(raw.replace(",", "."))
            except ValueError:
                data[f["name"]] = raw  # the workflow's validator names the field
        else:
            data[f["name"]] = raw
    return data


async def _task_page(request: Request, session: Any, user: User, task_id: str, *, error: str | None = None,
                     values: dict | None = None, field_errors: dict | None = None, status_code: int = 200) -> Response:
    task = await task_service.get_visible(session, user=user, task_id=task_id)
    represented = await people_service.officials_represented_by(session, user=user)
    data = task_service.serialize(task, viewer=user, represented=represented)
    is_open = task.status == "open"
    ctx = {
        "task": data, "error": error, "values": values or {}, "field_errors": field_errors or {}, "active": "inbox",
        "can_decide": is_open and await task_service.blocking_claimant(session, user=user, task=task) is None,
        "can_claim": is_open and task.owner_id is None,
        "claimed_by_me": task.claimed_by_id == user.id,
        "can_delegate": is_open and task.owner_id == user.id and task.delegate_id is None,
        "is_delegate": task.delegate_id == user.id,
        "case_url": CASE_PAGES[task.process][0].format(quote(task.subject_id, safe="")) if task.process in CASE_PAGES and task.subject_id else None,
        "case_label": CASE_PAGES[task.process][1] if task.process in CASE_PAGES else None,
        "form_fields": _form_fields(task.form or {}),
        "completed_by": (await session.get(User, task.completed_by_id)).full_name if task.completed_by_id else None,
        # The case's history: the delegation note, a delegate's recommendation, reminders and escalations.
        "history": [{"at": e.occurred_at, "kind": e.kind, "title": e.title, "actor": e.actor_name, "outcome": e.outcome,
                     "reason": e.reason, "detail": e.detail} for e in await processes.timeline(session, workflow_id=task.workflow_id)],
    }
    if ctx["can_delegate"]:
        ctx["colleagues"] = await people_service.colleagues(session, user=user)
    return await _render(request, "pages/task.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/inbox/{task_id}")
async def task_page(request: Request, task_id: str, user: CurrentUser, session: SessionDep) -> Response:
    return await _task_page(request, session, user, task_id)


@router.post("/inbox/{task_id}/keputusan")
async def decide_task(request: Request, task_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    form = await request.form()
    outcome, reason = _field(form, "outcome", 40), _field(form, "reason", 2000)
    task = await task_service.get_visible(session, user=user, task_id=task_id)
    fields = _form_fields(task.form or {})
    values = {"outcome": outcome, "reason": reason, **_form_values(form, fields)}
    if not outcome:
        return await _task_page(request, session, user, task_id, error="Pilih salah satu keputusan.", values=values,
                                field_errors={"outcome": "Pilih salah satu keputusan."}, status_code=422)
    try:
        client = await _temporal(request)
        data = _form_data(form, fields)
        if _field(form, "passphrase", 200):  # a TTE outcome: exchanged for a signing token, never stored or echoed
            data["passphrase"] = _field(form, "passphrase", 200)
        ack = await task_service.decide(session, client, settings, user=user, task_id=task_id, outcome=outcome, reason=reason, data=data)
    except DomainError as exc:
        # The fields the refusal names (the service reads them from the workflow's words): the message goes beside them too.
        return await _task_page(request, session, user, task_id, error=exc.detail, values=values,
                                field_errors={**_field_errors(exc), **{e["field"]: e["message"] for e in exc.hints}},
                                status_code=status_of(exc))
    return _redirect(_with_flash("/inbox", "rekomendasi" if ack.status == "recommended" else "keputusan"))


@router.post("/inbox/{task_id}/delegasi")
async def delegate_task(request: Request, task_id: str, user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    form = await request.form()
    username, note = _field(form, "username", 80), _field(form, "note", 2000)
    values = {"delegate_username": username, "note": note}
    if not username:
        return await _task_page(request, session, user, task_id, error="Pilih rekan penerima delegasi.", values=values,
                                field_errors={"username": "Pilih rekan penerima delegasi."}, status_code=422)
    try:
        client = await _temporal(request)
        await task_service.delegate(session, client, user=user, task_id=task_id, delegate_username=username, note=note)
    except DomainError as exc:
        return await _task_page(request, session, user, task_id, error=exc.detail, values=values,
                                field_errors={"username": exc.detail} if status_of(exc) == 422 else {}, status_code=status_of(exc))
    return _redirect(_with_flash("/inbox", "delegasi"))
