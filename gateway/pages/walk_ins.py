"""The counter's walk-in pages (seed 004 §A-E; seed 000 §3 method 2), in Bahasa Indonesia, for counter staff:

- `/kunjungan` — the counter dashboard: open visits (overruns first) with their age against the target,
  today's figures, refreshed by htmx every 15 s; a search over all visits with paging.
- `/kunjungan/baru` — the info desk registers a visitor for a service (`?antrian=A-001` from /loket fills
  the queue number); choosing the service shows its requirements and procedure (an htmx fragment from
  `/kunjungan/baru/layanan`) so the officer can explain them. A hidden `client_key` makes a double click
  one visit.
- `/kunjungan/{code}` — the visit: status, what happens next, numbers, target, documents to print, the
  open tasks and the timeline; `/kunjungan/{code}/status` is its block, polled while the visit is open.

The pages call the same service functions as the JSON API (gateway/services/walk_ins.py), so both refuse
the same things with the same words.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import WALK_IN_STATUSES
from gateway.deps import CurrentUser, SessionDep, SettingsDep
from gateway.errors import DomainError, forbidden, status_of
from gateway.pages.framework import _CLIENT_KEY, FLASH, SameOrigin, _field, _field_errors, _is_htmx, _redirect, _render, _temporal, office_tz
from gateway.services import processes
from gateway.services import tasks as task_service
from gateway.services import walk_ins as walk_in_service
from gateway.services.leave import office_calendar
from gateway.services.walk_ins import VisitorForm, WalkInForm
from process_defs.counter import load_counter
from store.models import Task, User, WalkInVisit
from store.settings import Settings
from workflows.walk_in import (
    RATING_LABELS,
    STATUS_CANCELLED,
    STATUS_DONE,
    STATUS_RETURNED_INCOMPLETE,
    STATUS_RETURNED_MISMATCH,
)

router = APIRouter(include_in_schema=False)

DASHBOARD_REFRESH_SECONDS = 15
VISIT_REFRESH_SECONDS = 5
SEARCH_PAGE_SIZE = 20
# Element ids the htmx requests name in HX-Target: each gets its own block of the page.
LIVE_ID, SEARCH_ID = "kunjungan-terbuka", "hasil-pencarian"
WALK_IN_FLASH = {
    "terdaftar": "Kunjungan telah didaftarkan. Persilakan pemohon menuju loket Front Office: pemeriksaan kelengkapan berkas "
                 "sudah menunggu di Kotak Tugas petugas FO.",
}
STATUS_TONES = WALK_IN_STATUSES.tones
# What the counter does next, by stage (seed 004 §C-G); a finished visit says so by its status.
NEXT_STEP = {
    "completeness_check": "Petugas Front Office memeriksa kelengkapan berkas dengan daftar periksa layanan (tanpa menilai isinya). "
                          "Lengkap: tanda terima dicetak rangkap 3 dengan perkiraan selesai. Tidak lengkap: daftar periksa dicetak "
                          "dan berkas dikembalikan kepada pemohon.",
    "research": "Petugas Back Office meneliti kebenaran dan keabsahan dokumen terhadap identitas pemohon.",
    "field_verification": "Unit kerja memverifikasi dokumen dan meninjau lokasi, lalu membuat Berita Acara hasil verifikasi.",
    "coordination": "Supervisor berkoordinasi dengan unit terkait dan menyetujui penerbitan dokumen hasil.",
    "numbering": "Petugas persuratan memberi nomor dan stempel pada dokumen hasil.",
    "handover": "Dokumen hasil siap. Panggil pemohon ke loket Front Office, minta tanda terimanya, serahkan hasil, "
                "dan tanyakan penilaian kepuasannya (1–4).",
    "return": "Panggil pemohon ke loket Front Office untuk menerima kembali berkasnya beserta Berita Acara ketidaksesuaian.",
    "archive": "Arsiparis mengarsipkan berkas dan dokumen hasil.",
    "delivery": "Caraka mengantar dokumen hasil ke alamat pemohon.",
}
FINISHED_STEP = {
    STATUS_DONE: "Kunjungan selesai; tidak ada langkah lanjutan.",
    STATUS_RETURNED_INCOMPLETE: "Berkas dikembalikan dengan daftar periksa. Bila pemohon datang lagi dengan berkas lengkap, "
                                "daftarkan sebagai kunjungan baru.",
    STATUS_RETURNED_MISMATCH: "Berkas dan Berita Acara ketidaksesuaian telah dikembalikan. Bila pemohon datang lagi dengan dokumen "
                              "yang sesuai, daftarkan sebagai kunjungan baru.",
    STATUS_CANCELLED: "Kunjungan dibatalkan oleh pemilik proses (alasannya di riwayat). Kembalikan berkas yang sudah diterima bila "
                      "pemohon datang; bila layanan masih diperlukan, daftarkan sebagai kunjungan baru.",
}
# The print buttons, in the order a visit produces its documents.
DOCUMENT_ACTIONS = {
    "checklist": "Cetak Daftar Periksa",
    "receipt": "Cetak Tanda Terima (rangkap 3)",
    "berita_acara": "Cetak Berita Acara Hasil Verifikasi",
    "ketidaksesuaian": "Cetak Berita Acara Ketidaksesuaian",
    "result": "Cetak Dokumen Hasil",
}
MSG_DASHBOARD_FORBIDDEN = "Hanya petugas PTSP yang dapat melihat dasbor loket."


# --- shared views ------------------------------------------------------------------------------------


def _flash(request: Request) -> str | None:
    code = request.query_params.get("pesan", "")
    return WALK_IN_FLASH.get(code) or FLASH.get(code)


def _require_counter_staff(user: User) -> None:
    if not walk_in_service.is_counter_staff(user):
        raise forbidden(MSG_DASHBOARD_FORBIDDEN)


def _target_minutes(row: dict) -> int | None:
    """A one-day visit's target as the visit was registered with (its target moment), else the catalog's."""
    if row["target_at"] is not None:
        return round((row["target_at"] - row["created_at"]).total_seconds() / 60)
    service = load_counter().service(row["service_code"])
    return service.target_minutes if service else None


def _timing(row: dict, now: datetime) -> dict[str, Any]:
    """How a visit stands against its target: minutes for one-day services ("45 / 30 menit"), the estimated
    completion and working days left for the others."""
    if row["one_day"]:
        target = _target_minutes(row)
        return {"one_day": True, "over": row["overrun"], "age": row["age_minutes"], "target": target,
                "text": f"{row['age_minutes']} / {target} menit" if target else f"{row['age_minutes']} menit"}
    service = load_counter().service(row["service_code"])
    sla = service.sla_working_days if service else None
    due = row["estimated_done_at"]
    view = {"one_day": False, "over": row["overrun"], "age": row["age_minutes"], "sla": sla, "due": due, "days_left": None}
    if due is None:
        view["text"] = f"Target {sla} hari kerja sejak berkas diterima" if sla else "Menunggu penerimaan berkas"
        return view
    tz = office_tz()
    today, due_day = now.astimezone(tz).date(), due.astimezone(tz).date()
    view["days_left"] = office_calendar().working_days_between(today + timedelta(days=1), due_day) if due_day > today else 0
    if row["finished_at"] is not None:
        view["text"] = "Selesai"
    elif row["overrun"]:
        view["text"] = "Melewati perkiraan selesai"
    elif view["days_left"] == 0:
        view["text"] = "Perkiraan selesai hari ini"
    else:
        view["text"] = f"{view['days_left']} hari kerja lagi"
    return view


def _row(data: dict, now: datetime) -> dict[str, Any]:
    """One visit as the dashboard and the search list show it."""
    return {**data, "tone": STATUS_TONES.get(data["status"], "wait"), "timing": _timing(data, now), "open": data["finished_at"] is None}


def _rating(value: int | None) -> str | None:
    return f"{value} — {RATING_LABELS[value]}" if value in RATING_LABELS else None


def _decimal(value: float | None) -> str | None:
    return None if value is None else f"{value:g}".replace(".", ",")


# --- the dashboard ------------------------------------------------------------------------------------


def _page_number(raw: str) -> int:
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 100_000 else 1


async def _dashboard_ctx(session: AsyncSession, settings: Settings, now: datetime) -> dict[str, Any]:
    data = await walk_in_service.dashboard(session, settings, now=now)
    today = data["today"]
    return {"open_rows": [_row(r, now) for r in data["open"]], "open_count": data["open_count"], "overrun_count": data["overrun_count"],
            "today": {**today, "average_rating_text": _decimal(today["average_rating"])}, "refresh_seconds": DASHBOARD_REFRESH_SECONDS,
            "live_id": LIVE_ID}


async def _search_ctx(session: AsyncSession, settings: Settings, request: Request, now: datetime) -> dict[str, Any]:
    q = " ".join(request.query_params.get("q", "").split())[:100]
    page = _page_number(request.query_params.get("halaman", "1"))
    rows, total = await walk_in_service.list_visits(session, q=q or None, limit=SEARCH_PAGE_SIZE, offset=(page - 1) * SEARCH_PAGE_SIZE)
    pages = max(1, -(-total // SEARCH_PAGE_SIZE))
    if page > pages:
        page = pages
        rows, total = await walk_in_service.list_visits(session, q=q or None, limit=SEARCH_PAGE_SIZE, offset=(page - 1) * SEARCH_PAGE_SIZE)
    query = {"q": q} if q else {}
    return {"q": q, "results": [_row(walk_in_service.serialize(v, settings, now=now), now) for v in rows], "total": total, "page": page,
            "pages": pages, "page_url": lambda n: "/kunjungan?" + urlencode({**query, "halaman": n}), "search_id": SEARCH_ID}


@router.get("/kunjungan")
async def dashboard(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    _require_counter_staff(user)
    now = datetime.now(UTC)
    target = request.headers.get("HX-Target") if _is_htmx(request) else None
    if target == LIVE_ID:  # the list refreshing itself
        return await _render(request, "pages/walk_ins/dashboard.html", await _dashboard_ctx(session, settings, now), user=user, block="live")
    if target == SEARCH_ID:  # a search or another page of results
        return await _render(request, "pages/walk_ins/dashboard.html", await _search_ctx(session, settings, request, now), user=user,
                             block="search_results")
    ctx = {**await _dashboard_ctx(session, settings, now), **await _search_ctx(session, settings, request, now),
           "can_register": walk_in_service.can_register(user), "flash": _flash(request), "active": "kunjungan"}
    return await _render(request, "pages/walk_ins/dashboard.html", ctx, session=session, user=user)


# --- registering a visitor ------------------------------------------------------------------------------


def _service_choices() -> list[dict[str, Any]]:
    """The services grouped by service group, as the select shows them."""
    counter = load_counter()
    services = walk_in_service.services()
    return [{"code": g.code, "name": g.name, "services": [s for s in services if s["group"] == g.code]} for g in counter.service_groups]


def _service_info(code: str) -> dict | None:
    """The chosen service's requirements and procedure, for the officer to explain (seed 004 §B)."""
    service = next((s for s in walk_in_service.services() if s["code"] == code), None)
    if service is None:
        return None
    counter = load_counter()
    group = counter.group(service["group"])
    return {**service, "group_name": group.name if group else service["group"],
            "work_unit_name": counter.work_units.get(service["work_unit"]) if service["work_unit"] else None}


async def _register_page(request: Request, session: AsyncSession, user: User, values: dict, *, error: str | None = None,
                         field_errors: dict | None = None, status_code: int = 200) -> Response:
    ctx = {"values": values, "error": error, "field_errors": field_errors or {}, "groups": _service_choices(),
           "info": _service_info(values.get("service_code", "")), "active": "kunjungan"}
    return await _render(request, "pages/walk_ins/new.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/kunjungan/baru")
async def register_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    walk_in_service.require_registrar(user)
    values = {"client_key": uuid.uuid4().hex, "service_code": request.query_params.get("layanan", "")[:60],
              "queue_number": request.query_params.get("antrian", "").strip().upper()[:16]}
    return await _register_page(request, session, user, values)


@router.get("/kunjungan/baru/layanan")
async def service_fragment(request: Request, user: CurrentUser, service_code: str = "") -> Response:
    """The requirements and procedure of the service chosen in the form (htmx)."""
    walk_in_service.require_registrar(user)
    if not _is_htmx(request):
        return _redirect("/kunjungan/baru" + (f"?{urlencode({'layanan': service_code[:60]})}" if service_code else ""))
    return await _render(request, "pages/walk_ins/new.html", {"info": _service_info(service_code[:60])}, user=user, block="service_info")


@router.post("/kunjungan/baru")
async def register(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    walk_in_service.require_registrar(user)
    form = await request.form()
    values = {"service_code": _field(form, "service_code", 60).strip(), "visitor.name": _field(form, "visitor.name", 200),
              "visitor.phone": _field(form, "visitor.phone", 30), "visitor.nik": _field(form, "visitor.nik", 30),
              "queue_number": _field(form, "queue_number", 16), "client_key": _field(form, "client_key", 64)}
    if _field(form, "aksi", 20) == "persyaratan":  # without JavaScript: show the chosen service's requirements
        return await _register_page(request, session, user, values)
    client_key = values["client_key"] if _CLIENT_KEY.fullmatch(values["client_key"]) else None
    walk_in = WalkInForm(service_code=values["service_code"], queue_number=values["queue_number"] or None,
                         visitor=VisitorForm(name=values["visitor.name"], phone=values["visitor.phone"] or None, nik=values["visitor.nik"] or None),
                         client_key=f"{user.id}:{client_key}" if client_key else None)
    try:
        walk_in_service.validate(walk_in)  # the form's own mistakes first, also while the process service is unreachable
        client = await _temporal(request)
        visit, _created = await walk_in_service.register(session, client, settings, user=user, form=walk_in)
    except DomainError as exc:
        if status_of(exc) in (401, 403):
            raise
        return await _register_page(request, session, user, values, status_code=status_of(exc), field_errors=_field_errors(exc),
                                    error=exc.detail)
    return _redirect(f"/kunjungan/{visit.code}?pesan=terdaftar")


# --- the visit ------------------------------------------------------------------------------------------


async def _tasks_view(session: AsyncSession, user: User, visit: WalkInVisit) -> list[dict[str, Any]]:
    """The visit's open tasks, and whether this person can open each one from their inbox."""
    tasks = await processes.open_tasks(session, workflow_id=visit.workflow_id)
    visible, _ = await task_service.visibility(session, user)  # the inbox's own rule of who sees a task
    mine = set(await session.scalars(select(Task.id).where(Task.id.in_([t.id for t in tasks]), visible))) if tasks else set()
    return [{"id": t.id, "title": t.title, "role": t.role, "due_at": t.due_at, "overdue": t.due_at is not None and t.due_at < datetime.now(UTC),
             "claimed_by": t.claimed_by.full_name if t.claimed_by else None, "escalated_to_role": t.escalated_to_role,
             "can_open": t.id in mine} for t in tasks]


async def _visit_ctx(session: AsyncSession, settings: Settings, user: User, visit: WalkInVisit) -> dict[str, Any]:
    now = datetime.now(UTC)
    events = await processes.timeline(session, workflow_id=visit.workflow_id)
    data = walk_in_service.serialize(visit, settings, now=now)
    documents = [{"kind": kind, "label": label, "href": f"/dokumen/{visit.documents[kind]}.pdf"}
                 for kind, label in DOCUMENT_ACTIONS.items() if (visit.documents or {}).get(kind)]
    service = load_counter().service(visit.service_code)
    is_open = visit.finished_at is None
    return {
        "visit": _row(data, now), "code": visit.code, "documents": documents, "tasks": await _tasks_view(session, user, visit),
        "next_step": NEXT_STEP.get(visit.stage) if is_open else FINISHED_STEP.get(visit.status),
        "rating": _rating(visit.rating), "polling": is_open, "refresh_seconds": VISIT_REFRESH_SECONDS,
        "target_label": service.target_label if service else None, "result_kind": service.result_kind if service else None,
        "history": [{"at": e.occurred_at, "kind": e.kind, "title": e.title, "actor": e.actor_name, "outcome": e.outcome, "reason": e.reason,
                     "detail": e.detail} for e in events],
    }


@router.get("/kunjungan/{code}")
async def visit_page(request: Request, code: str, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    visit = await walk_in_service.get_for_staff(session, user=user, code=code[:20])
    if visit.code != code:
        return _redirect(f"/kunjungan/{visit.code}")
    ctx = {**await _visit_ctx(session, settings, user, visit), "flash": _flash(request), "can_register": walk_in_service.can_register(user),
           "active": "kunjungan"}
    return await _render(request, "pages/walk_ins/visit.html", ctx, session=session, user=user)


@router.get("/kunjungan/{code}/status")
async def visit_status(request: Request, code: str, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    """The visit's block, polled by its page while the visit is open."""
    visit = await walk_in_service.get_for_staff(session, user=user, code=code[:20])
    if not _is_htmx(request):
        return _redirect(f"/kunjungan/{visit.code}")
    return await _render(request, "pages/walk_ins/visit.html", await _visit_ctx(session, settings, user, visit), user=user, block="visit_status")
