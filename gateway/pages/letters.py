"""Letter pages (seed 004 §H, Alur Tata Persuratan), for office staff, in Bahasa Indonesia:

- `/surat` — the register: incoming and outgoing tabs, status filter, search, pages.
- `/surat/masuk/baru` — the front office records a letter it received.
- `/surat/keluar/baru` — any staff member requests an outgoing number (a softcopy PDF may come along).
- `/surat/{code}` — the letter: data, documents to print, attached files, its timeline, and the current
  step's form right there for whoever holds it (the scan or softcopy upload included). The decision goes
  through the task service like every other; while the next step is being opened the page refreshes itself.

The pages call the same service functions as the JSON API (gateway/services/letters.py).
"""

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from contracts import LETTER_STATUSES
from gateway.deps import CurrentUser, SessionDep, SettingsDep
from gateway.errors import DomainError, forbidden, status_of
from gateway.pages import framework as pages
from gateway.pages.framework import PAGE_SIZE, SameOrigin, _field, _field_errors, _is_htmx, _parse_date, _redirect, _render, _temporal, _with_flash
from gateway.services import files as file_service
from gateway.services import letters as letter_service
from gateway.services import tasks as task_service
from gateway.services.letters import INCOMING, OUTGOING, IncomingForm, OutgoingForm
from gateway.services.people import office_today
from gateway.services.processes import timeline
from process_defs.counter import load_counter
from process_defs.processes import BY_NAME
from store.models import StoredFile, Task, User
from workflows.human_task import form_options
from workflows.letters import OUTCOME_LABELS, ROUTE_DIRECT

router = APIRouter(include_in_schema=False)

TABS = {"masuk": INCOMING, "keluar": OUTGOING}
STATUS_TONES = LETTER_STATUSES.tones
LETTER_FLASH = {
    "surat-masuk-dicatat": "Surat masuk telah dicatat. Petugas Back Office diberi tahu untuk memilahnya; langkah berikutnya tampil di bawah.",
    "nomor-diminta": "Permintaan nomor surat keluar telah dikirim. Petugas persuratan memeriksa format dan kode klasifikasinya; "
                     "Anda diberi tahu hasilnya.",
    "langkah": "Langkah ini telah dicatat pada riwayat surat. Langkah berikutnya diteruskan kepada petugasnya.",
}
FIELD_LABELS = {"sender": "Pengirim", "sender_number": "Nomor surat", "letter_date": "Tanggal surat", "subject": "Perihal",
                "received_via": "Diterima melalui", "recipient": "Kepada", "classification": "Kode klasifikasi", "softcopy": "Softcopy"}
# A form property with few options is offered as radio buttons; more, as a list.
RADIO_MAX = 4
# Text that may be longer than this gets a textarea (as on the inbox's task page).
TEXTAREA_MIN_LENGTH = 300
MAX_FORM_BYTES = 2 * file_service.MAX_BYTES


def _flash(request: Request) -> str | None:
    code = request.query_params.get("pesan", "")
    return LETTER_FLASH.get(code) or pages.FLASH.get(code)


def _require_staff(user: User) -> None:
    if not user.is_staff_for(BY_NAME["letter"].staff_roles):
        raise forbidden("Persuratan hanya untuk petugas kantor. Akun pemohon memantau permohonannya dari Permohonan Saya.")


def _view(data: dict) -> dict[str, Any]:
    return {**data, "tone": STATUS_TONES.get(data["status"], "info")}


async def _read_form(request: Request) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise file_service.too_large()
    return await request.form(max_files=2, max_fields=60)


# --- the register --------------------------------------------------------------------------------


@router.get("/surat")
async def register(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    _require_staff(user)
    q = request.query_params
    tab = q.get("arah", "masuk") if q.get("arah") in TABS else "masuk"
    direction = TABS[tab]
    status = q.get("status", "") if q.get("status") in letter_service.STATUSES[direction] else ""
    search = " ".join(q.get("q", "").split())[:100]
    raw_page = q.get("halaman", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) <= 100_000 else 1
    rows, total = await letter_service.list_letters(session, viewer=user, direction=direction, status=status or None, q=search or None,
                                                    limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    query = {k: v for k, v in (("arah", tab), ("status", status), ("q", search)) if v}
    ctx = {
        "active": "surat", "flash": _flash(request), "tab": tab, "status": status, "q": search, "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)), "total": total, "items": [_view(letter_service.serialize(r)) for r in rows],
        "counts": await letter_service.counts_by_direction(session, viewer=user, q=search or None),
        "statuses": [(s, letter_service.STATUS_LABELS[s]) for s in letter_service.STATUSES[direction]],
        "can_register": letter_service.can_register_incoming(user),
        "url": lambda **changes: "/surat?" + urlencode({k: v for k, v in {**query, **changes}.items() if v}),
        "page_url": lambda n: "/surat?" + urlencode({**query, "halaman": n}),
    }
    return await _render(request, "pages/letters/list.html", ctx, session=session, user=user)


# --- recording an incoming letter ------------------------------------------------------------------


async def _incoming_page(request: Request, session: AsyncSession, user: User, *, values: dict | None = None, errors: dict | None = None,
                         error: str | None = None, status_code: int = 200) -> Response:
    ctx = {"active": "surat", "values": values or {"client_key": uuid.uuid4().hex}, "field_errors": errors or {}, "error": error,
           "received_via": load_counter().letters.received_via, "today": office_today().isoformat(), "labels": FIELD_LABELS}
    return await _render(request, "pages/letters/incoming_new.html", ctx, session=session, user=user, status_code=status_code)


def _check_register_role(user: User) -> None:
    _require_staff(user)
    if not letter_service.can_register_incoming(user):
        raise forbidden("Surat masuk dicatat oleh petugas Front Office. Anda dapat melihat buku agenda di menu Persuratan.")


@router.get("/surat/masuk/baru")
async def incoming_form(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    _check_register_role(user)
    return await _incoming_page(request, session, user)


@router.post("/surat/masuk/baru")
async def incoming_submit(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    _check_register_role(user)
    form = await request.form()
    values = {name: _field(form, name, 1200) for name in ("sender", "sender_number", "letter_date", "subject", "received_via", "client_key",
                                                          "confidential")}
    date_errors: dict[str, str] = {}
    letter_date = _parse_date(values["letter_date"], "letter_date", "Tanggal surat", date_errors)
    data = IncomingForm(sender=values["sender"], sender_number=values["sender_number"], letter_date=letter_date, subject=values["subject"],
                        received_via=values["received_via"], confidential=bool(values["confidential"]),
                        client_key=_client_key(user, values["client_key"]))
    errors = {**letter_service.incoming_errors(data), **date_errors}
    if errors:
        return await _incoming_page(request, session, user, values=values, errors=errors, status_code=422,
                                    error="Periksa kembali isian yang ditandai.")
    try:
        letter, _created = await letter_service.register_incoming(session, await _temporal(request), settings, user=user, form=data)
    except DomainError as exc:
        return await _incoming_page(request, session, user, values=values, errors=_field_errors(exc), error=exc.detail,
                                    status_code=status_of(exc))
    return _redirect(_with_flash(f"/surat/{letter.code}", "surat-masuk-dicatat"))


def _client_key(user: User, raw: str) -> str | None:
    """The form's own key, so a double-clicked submit records one letter."""
    key = raw.strip()
    return f"{user.id}:{key}"[:100] if pages._CLIENT_KEY.fullmatch(key) else None


# --- requesting an outgoing number -----------------------------------------------------------------------


async def _outgoing_page(request: Request, session: AsyncSession, user: User, *, values: dict | None = None, errors: dict | None = None,
                         error: str | None = None, softcopy: StoredFile | None = None, status_code: int = 200) -> Response:
    ctx = {"active": "surat", "values": values or {"client_key": uuid.uuid4().hex}, "field_errors": errors or {}, "error": error,
           "classifications": load_counter().letters.classifications, "softcopy": softcopy, "max_mb": file_service.MAX_MB,
           "today": office_today().isoformat(), "labels": FIELD_LABELS}
    return await _render(request, "pages/letters/outgoing_new.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/surat/keluar/baru")
async def outgoing_form(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    _require_staff(user)
    return await _outgoing_page(request, session, user)


@router.post("/surat/keluar/baru")
async def outgoing_submit(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    _require_staff(user)
    form = await _read_form(request)
    try:
        values = {name: _field(form, name, 1200) for name in ("subject", "recipient", "classification", "letter_date", "client_key",
                                                              "softcopy_file_id")}
        errors: dict[str, str] = {}
        letter_date = _parse_date(values["letter_date"], "letter_date", "Tanggal surat", errors)
        softcopy = None
        # A softcopy kept from an earlier, refused submission stays chosen: nothing typed or sent is lost.
        if values["softcopy_file_id"]:
            try:
                softcopy = await letter_service.check_softcopy(session, user=user, file_id=values["softcopy_file_id"])
            except DomainError as exc:
                errors["softcopy"] = exc.detail
        upload = form.get("softcopy")
        if isinstance(upload, UploadFile) and upload.filename:
            try:
                softcopy = await letter_service.store_pdf(session, settings, owner=user, name=f"Softcopy: {values['subject'][:150] or 'surat keluar'}",
                                                          upload=upload)
                errors.pop("softcopy", None)
            except DomainError as exc:
                errors["softcopy"] = f"Softcopy tidak dapat diunggah: {exc.detail}"
    finally:
        await form.close()
    values["softcopy_file_id"] = softcopy.id if softcopy else ""
    data = OutgoingForm(subject=values["subject"], recipient=values["recipient"], classification=values["classification"],
                        letter_date=letter_date, softcopy_file_id=softcopy.id if softcopy else None,
                        client_key=_client_key(user, values["client_key"]))
    errors = {**letter_service.outgoing_errors(data), **errors}
    if errors:
        return await _outgoing_page(request, session, user, values=values, errors=errors, softcopy=softcopy, status_code=422,
                                    error="Periksa kembali isian yang ditandai.")
    try:
        letter, _created = await letter_service.request_outgoing(session, await _temporal(request), settings, user=user, form=data)
    except DomainError as exc:
        return await _outgoing_page(request, session, user, values=values, errors=_field_errors(exc), error=exc.detail, softcopy=softcopy,
                                    status_code=status_of(exc))
    return _redirect(_with_flash(f"/surat/{letter.code}", "nomor-diminta"))


# --- one letter, and its current step -------------------------------------------------------------------


def step_fields(schema: dict) -> list[dict[str, Any]]:
    """A task form (the JSON Schema subset the workflows use) as the inputs the step form shows."""
    required = set(schema.get("required", []))
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        items = prop.get("items") or {}
        labelled = {o["const"]: o.get("title", o["const"]) for o in (prop.get("oneOf") or items.get("oneOf") or [])}
        options = [(value, labelled.get(value, value)) for value in (form_options(prop) or form_options(items))]
        if prop.get("format") == "file-id":
            kind = "file"
        elif prop.get("type") == "array":
            kind = "checkboxes"
        elif options:
            kind = "radios" if len(options) <= RADIO_MAX else "select"
        else:
            kind = "textarea" if name == "note" or prop.get("maxLength", 0) > TEXTAREA_MIN_LENGTH else "text"
        fields.append({"name": name, "title": prop.get("title", name), "description": prop.get("description"), "kind": kind,
                       "options": options, "required": name in required, "default": prop.get("default")})
    return fields


def _step_values(form: Any, fields: list[dict]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in fields:
        key = f"data.{f['name']}"
        if f["kind"] == "checkboxes":
            values[key] = [v for v in form.getlist(key) if isinstance(v, str)][:50]
        elif f["kind"] != "file":
            values[key] = _field(form, key, 2000).strip()
    return values


def _step_errors(fields: list[dict], values: dict, uploads: dict) -> dict[str, str]:
    """What the page can say by the field before the workflow is asked (it still has the last word)."""
    errors = {}
    for f in fields:
        key = f"data.{f['name']}"
        if not f["required"]:
            continue
        if f["kind"] == "file" and f["name"] not in uploads:
            errors[key] = "Pilih berkas PDF yang akan diunggah."
        elif f["kind"] == "checkboxes" and not values.get(key):
            errors[key] = f"Pilih paling sedikit satu: {f['title'].lower()}."
        elif f["kind"] in ("radios", "select") and not values.get(key):
            errors[key] = f"Pilih {f['title'].lower()}."
        elif f["kind"] in ("text", "textarea") and not values.get(key):
            errors[key] = f"{f['title']} wajib diisi."
    if values.get("data.route") == ROUTE_DIRECT and "data.unit" in values and not values["data.unit"]:
        errors["data.unit"] = "Pilih unit kerja tujuan untuk surat yang langsung diproses di unit kerja."
    return errors


def _history(events: list) -> list[dict[str, Any]]:
    return [{"at": e.occurred_at, "kind": e.kind, "title": e.title, "actor": e.actor_name,
             "outcome": OUTCOME_LABELS.get(e.outcome or "", e.outcome), "reason": e.reason, "detail": e.detail} for e in events]


async def _letter_page(request: Request, session: AsyncSession, user: User, code: str, *, values: dict | None = None,
                       errors: dict | None = None, error: str | None = None, status_code: int = 200) -> Response:
    letter = await letter_service.get_for_viewer(session, viewer=user, code=code)
    events = await timeline(session, workflow_id=letter.workflow_id)
    task = await letter_service.open_task(session, letter)
    data = _view(letter_service.serialize(letter, events=events, task=task))
    held = await letter_service.held_task(session, user=user, letter=letter)
    requester = await session.get(User, letter.created_by_id)
    ctx = {
        "active": "surat", "flash": _flash(request), "letter": data, "history": _history(events), "requester": requester,
        "held": held is not None, "task": data["pending_task"], "fields": step_fields(held.form or {}) if held else [],
        # Only a claim that still stands keeps this person from deciding (one rule with the API's: tasks.blocking_claimant).
        "claimed_by_other": bool(held and await task_service.blocking_claimant(session, user=user, task=held)),
        "values": values or {}, "field_errors": errors or {}, "error": error, "max_mb": file_service.MAX_MB,
        # Between two steps the next task is a moment away: the page asks again until it is there.
        "waiting": task is None and not data["finished"],
    }
    if _is_htmx(request):
        return await _render(request, "pages/letters/detail.html", ctx, user=user, block="letter_live", status_code=status_code)
    return await _render(request, "pages/letters/detail.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/surat/{code}")
async def letter_page(request: Request, code: str, user: CurrentUser, session: SessionDep) -> Response:
    return await _letter_page(request, session, user, code)


@router.post("/surat/{code}/langkah")
async def letter_step(request: Request, code: str, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    letter = await letter_service.get_for_viewer(session, viewer=user, code=code)
    form = await _read_form(request)
    try:
        task_id, outcome, reason = _field(form, "task_id", 200), _field(form, "outcome", 40), _field(form, "reason", 2000)
        task = await session.get(Task, task_id) if task_id else None
        if task is None or task.workflow_id != letter.workflow_id or task.status != "open":
            return await _letter_page(request, session, user, code, status_code=409,
                                      error="Langkah ini sudah diputuskan atau berganti. Periksa langkah saat ini di bawah.")
        fields = step_fields(task.form or {})
        values = {"outcome": outcome, "reason": reason, **_step_values(form, fields)}
        uploads: dict[str, str] = {}
        errors: dict[str, str] = {}
        for f in fields:
            upload = form.get(f"upload.{f['name']}") if f["kind"] == "file" else None
            if isinstance(upload, UploadFile) and upload.filename:
                try:
                    stored = await letter_service.upload_for_letter(session, settings, user=user, code=code,
                                                                    purpose=f["name"].removesuffix("_file_id"), upload=upload)
                    uploads[f["name"]] = stored.id
                except DomainError as exc:
                    errors[f"data.{f['name']}"] = exc.detail
    finally:
        await form.close()
    errors = {**_step_errors(fields, values, uploads), **errors}
    if not outcome:
        errors["outcome"] = "Pilih salah satu keputusan."
    if errors:
        return await _letter_page(request, session, user, code, values=values, errors=errors, status_code=422,
                                  error="Periksa kembali isian yang ditandai.")
    data = {f["name"]: values[f"data.{f['name']}"] for f in fields if values.get(f"data.{f['name']}")} | uploads
    try:
        await letter_service.decide_step(session, await _temporal(request), settings, user=user, code=code, task_id=task_id,
                                         outcome=outcome, reason=reason, data=data)
    except DomainError as exc:
        # One field beside the message: the first the refusal mentions (the service reads them from the workflow's words), else the reason.
        field = next(iter(exc.mentions), None) or ("reason" if any(e["field"] == "reason" for e in exc.hints) else None)
        return await _letter_page(request, session, user, code, values=values, error=exc.detail, status_code=status_of(exc),
                                  errors={**_field_errors(exc), **({field: exc.detail} if field else {})})
    return _redirect(_with_flash(f"/surat/{letter.code}", "langkah"))
