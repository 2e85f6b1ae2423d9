"""Server-rendered pages in Bahasa Indonesia, with htmx for partial updates.

Every page calls the same service functions as the JSON API, so what a page can do, a client can
do, and both refuse the same things with the same messages. Signed-in state is the API's token in
an httponly SameSite=Lax cookie; POST handlers also refuse a foreign `Origin`.
"""

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from jinja2_fragments.fastapi import Jinja2Blocks
from sqlalchemy import select
from temporalio.client import Client

from contracts import LEAVE_STATUSES
from gateway.api import leave as leave_api
from gateway.api.documents import verification
from gateway.api.system import outbox
from gateway.deps import RUN_READER_ROLES, SESSION_COOKIE, CurrentUser, OptionalUser, SessionDep, SettingsDep, _user_from_token, from_this_site, get_temporal
from gateway.errors import ApiError, DomainError, headers_of, not_found, status_of
from gateway.services import leave as leave_service
from gateway.services import people as people_service
from gateway.services import processes, throttle
from gateway.services import tasks as task_service
from gateway.services.dates import parse_day
from gateway.services.leave import LeaveForm
from gateway.services.queue import DESK_ROLES
from gateway.services.sessions import BAD_CREDENTIALS, revoke_sessions, session_token, sign_in
from gateway.services.walk_ins import COUNTER_ROLES
from process_defs.counter import load_counter
from process_defs.loader import load_leave, load_office
from store.models import User
from store.settings import PROJECT_ROOT, Settings

router = APIRouter(include_in_schema=False)

TEMPLATES_DIR = PROJECT_ROOT / "templates"
templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))

LOCALE = "id_ID"
_TZ_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
FINAL_STATUSES = LEAVE_STATUSES.final
STATUS_TONES = LEAVE_STATUSES.tones
OUTCOME_LABELS = {"approve": "Disetujui", "reject": "Ditolak", "assign_number": "Nomor surat diberikan",
                  "revise": "Dikembalikan untuk revisi", "sign": "Ditandatangani (TTE)", "reissue": "Diterbitkan ulang",
                  # the walk-in visit (workflows/walk_in.py)
                  "lengkap": "Lengkap", "tidak_lengkap": "Tidak lengkap", "sesuai": "Sesuai", "tidak_sesuai": "Tidak sesuai",
                  "setujui": "Disetujui", "beri_nomor": "Nomor dan stempel diberikan", "diserahkan": "Hasil diserahkan",
                  "dikembalikan": "Berkas dikembalikan", "diarsipkan": "Diarsipkan", "terkirim": "Sudah diantar"}
# Roles that are not "staff who receive tasks": such users see Kotak Tugas only when a task is theirs.
# Process owners and auditors watch runs from their own pages; a task of their own still shows them the inbox.
NON_STAFF_ROLES = {"pegawai", "pemohon", "pemilik_proses", "auditor"}
# Flash messages are fixed texts chosen by a code, so a crafted link cannot put words in the office's mouth.
FLASH = {
    "keputusan": "Keputusan Anda telah dikirim dan tercatat pada riwayat proses.",
    "rekomendasi": "Rekomendasi Anda telah dikirim kembali kepada pemilik tugas.",
    "delegasi": "Tugas telah didelegasikan. Penerima delegasi sudah diberi tahu.",
    "diklaim": "Tugas telah Anda klaim; rekan lain melihat bahwa Anda sedang mengerjakannya.",
    "dilepas": "Klaim tugas telah dilepas; tugas kembali terbuka untuk rekan seperan.",
    "plh-dibuat": "Penunjukan Plh. telah disimpan. Tugas Anda pada rentang tanggal itu akan diteruskan kepada Plh.",
    "plh-dibatalkan": "Penunjukan Plh. telah dibatalkan.",
    "dibaca": "Semua notifikasi telah ditandai sudah dibaca.",
    "keluar": "Anda telah keluar. Sampai jumpa.",
}
PAGE_SIZE = 25
# The counter's pages in the navigation: (active key, path, label, roles that see it; None = any staff).
ROLE_LINKS = (
    ("loket", "/loket", "Loket", DESK_ROLES),
    ("kunjungan", "/kunjungan", "Kunjungan", COUNTER_ROLES),
    ("surat", "/surat", "Surat", None),
    ("whatsapp", "/whatsapp", "WhatsApp", frozenset(load_counter().whatsapp.reply_roles)),
    ("pengaduan", "/pengaduan/staf", "Pengaduan", frozenset({"pengaduan_admin", "kepala_kantor", "kepala_seksi", "tata_usaha"})),
    # SIRAMASAKAN: applicants (role pemohon) file requests; court and registry staff follow the hand-offs.
    ("siramasakan", "/siramasakan", "SIRAMASAKAN", frozenset({"pemohon", "panitera", "dukcapil", "kepala_kantor"})),
    ("proses", "/proses", "Proses", RUN_READER_ROLES),
    ("dasbor", "/dasbor", "Dasbor", RUN_READER_ROLES),
    ("audit", "/audit", "Audit", frozenset({"auditor"})),
)
# A task's case page, by process: where "see the whole case" on the task page leads.
CASE_PAGES = {
    "leave": ("/cuti/{}", "Lihat permohonan lengkap dan riwayat prosesnya"),
    "walk_in": ("/kunjungan/{}", "Lihat kunjungan lengkap dan riwayatnya"),
    "letter": ("/surat/{}", "Lihat surat lengkap dan riwayatnya"),
    "siramasakan": ("/siramasakan/{}", "Lihat permohonan SIRAMASAKAN lengkap dan riwayatnya"),
    "whatsapp": ("/whatsapp/{}", "Lihat percakapan WhatsApp lengkap"),
    "complaint": ("/pengaduan/{}", "Lihat pengaduan lengkap dan riwayatnya"),
}
_CLIENT_KEY = re.compile(r"[A-Za-z0-9-]{8,64}")


# --- formatting (Jinja filters) ----------------------------------------------------------------


def office_tz() -> ZoneInfo:
    return ZoneInfo(load_office().office.timezone)


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(office_tz()).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    try:
        if len(str(value)) <= 10:
            return date.fromisoformat(str(value)[:10])
        moment = _as_datetime(value)
        return moment.astimezone(office_tz()).date() if moment is not None else None
    except (ValueError, AttributeError):
        return None


def _as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_DATE_PATTERNS = {"long": "d MMMM y", "full": "EEEE, d MMMM y", "short": "d MMM y"}


def tanggal(value: Any, fmt: str = "long") -> str:
    """23 November 2026 (fmt="full": Senin, 23 November 2026)."""
    d = _as_date(value)
    return format_date(d, _DATE_PATTERNS.get(fmt, fmt), locale=LOCALE) if d else "–"


def waktu(value: Any) -> str:
    """23 November 2026, 14.05 WIB — in the office's time zone."""
    moment = _as_datetime(value)
    if moment is None:
        return "–"
    tz = office_tz()
    local = moment.astimezone(tz)
    zone = _TZ_ABBREVIATIONS.get(tz.key, local.tzname() or tz.key)
    return f"{format_date(local, 'long', locale=LOCALE)}, {format_time(local, 'HH.mm', locale=LOCALE)} {zone}"


def iso_waktu(value: Any) -> str:
    moment = _as_datetime(value)
    return moment.isoformat() if moment else ""


def hari_kerja(n: int | None) -> str:
    return f"{n or 0} hari kerja"


def peran(role: str | None) -> str:
    """A role's name as the office calls it (office.yaml `roles`)."""
    return load_office().role_label(role) if role else ""


templates.env.filters.update(tanggal=tanggal, waktu=waktu, iso_waktu=iso_waktu, hari_kerja=hari_kerja, peran=peran)
templates.env.globals.update(OUTCOME_LABELS=OUTCOME_LABELS, STATUS_TONES=STATUS_TONES, FINAL_STATUSES=FINAL_STATUSES)


# --- small helpers -----------------------------------------------------------------------------


def _is_htmx(request: Request) -> bool:
    """A partial request from htmx (a history-restore request wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def _safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site relative paths, so a link cannot send a person elsewhere after signing in."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(("/masuk", "/keluar")):
        return default
    return value


def _with_flash(path: str, code: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}pesan={code}"


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _field(form: Any, name: str, max_length: int = 2000) -> str:
    value = form.get(name)
    return value[:max_length] if isinstance(value, str) else ""


def _parse_date(raw: str, field: str, label: str, errors: dict[str, str]) -> date | None:
    try:
        return parse_day(raw, field=field, label=label, required=True)
    except DomainError as exc:
        errors[field] = exc.detail
        return None


def _field_errors(exc: DomainError) -> dict[str, str]:
    return {e["field"]: e["message"] for e in exc.errors if e.get("field")}


def same_origin(request: Request, settings: SettingsDep) -> None:
    """CSRF defence in depth beside the SameSite=Lax cookie: a browser's cross-site POST carries its Origin."""
    if not from_this_site(request, settings, required=False):
        raise ApiError(403, "Permintaan ditolak: formulir ini dikirim dari situs lain.", code="bad_origin")


SameOrigin = Annotated[None, Depends(same_origin)]


async def _temporal(request: Request) -> Client:
    """The Temporal client, fetched inside a form handler so that "not reachable" re-renders the form
    with the message and everything typed, instead of an error page."""
    return await get_temporal(request)


def _role_links(user: User | None) -> list[dict[str, Any]]:
    """The counter's pages a staff member's roles open (seed 004); the only place these role checks live."""
    if user is None:
        return []
    # Applicants see only the links whose roles name them (pemohon); "None = any staff" is staff only.
    staff, roles = user.kind == "staff", set(user.role_names)
    return [{"key": key, "href": href, "label": label} for key, href, label, allowed in ROLE_LINKS
            if (allowed is None and staff) or (allowed is not None and (staff or "pemohon" in allowed) and roles & allowed)]


async def _nav(session: Any, user: User | None) -> dict[str, Any]:
    if user is None:
        return {}
    open_tasks = await task_service.open_task_count(session, user=user)
    staff = bool(set(user.role_names) - NON_STAFF_ROLES) or open_tasks.total > 0
    if not staff:
        staff = await people_service.has_subordinates(session, user=user)
    return {"open_tasks": open_tasks, "unread": await people_service.unread_notification_count(session, user=user),
            "show_inbox": staff, "links": _role_links(user)}


async def _render(request: Request, name: str, ctx: dict, *, session: Any = None, user: User | None = None,
                  status_code: int = 200, block: str | None = None, headers: Mapping[str, str] | None = None) -> Response:
    ctx = {"user": user, "office": load_office().office, "nav": {}, "flash": FLASH.get(request.query_params.get("pesan", "")), **ctx}
    if block is None and user is not None:
        # Without a session (the error page) the counts are left out; the role links still show.
        ctx["nav"] = await _nav(session, user) if session is not None else {"links": _role_links(user)}
    headers = {"Vary": "HX-Request", "Cache-Control": "no-store", **(headers or {})}
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers, block_name=block)


async def render_error(request: Request, exc: ApiError) -> Response:
    """The app's handler for ApiError on page paths: sign-in for 401, otherwise a readable error page."""
    if exc.status_code == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = "/masuk" if request.method != "GET" else f"/masuk?next={quote(_safe_next(target), safe='/')}"
        if _is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": login})
        return _redirect(login)
    user = None
    try:
        async with request.app.state.sessionmaker() as session:
            user = await _user_from_token(request.cookies.get(SESSION_COOKIE), session, request.app.state.settings)
            if user is not None:
                _ = user.role_names  # loaded while the session is open
    except Exception:  # noqa: BLE001 - the error page must render even when the database does not answer
        user = None
    referer = request.headers.get("referer") or ""
    back = _safe_next(urlsplit(referer).path + (f"?{urlsplit(referer).query}" if urlsplit(referer).query else "")) \
        if urlsplit(referer).netloc == request.headers.get("host") else "/"
    if back == request.url.path:
        back = "/"
    titles = {403: "Akses ditolak", 404: "Tidak ditemukan", 409: "Tidak dapat dilanjutkan", 422: "Isian tidak valid",
              503: "Layanan sedang tidak tersedia"}
    ctx = {"status_code": exc.status_code, "title": titles.get(exc.status_code, "Terjadi kesalahan"), "message": exc.detail,
           "back": back if user else "/"}
    if _is_htmx(request):
        return await _render(request, "pages/error.html", ctx, user=user, status_code=exc.status_code, block="error_box")
    return await _render(request, "pages/error.html", ctx, user=user, status_code=exc.status_code)


# --- sign in / out -----------------------------------------------------------------------------


@router.get("/masuk")
async def login_page(request: Request, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return _redirect(_safe_next(next))
    return await _render(request, "pages/login.html", {"next": _safe_next(next), "username": "", "error": None})


@router.post("/masuk")
async def login(request: Request, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    form = await request.form()
    username, password = _field(form, "username", 200), _field(form, "password", 200)
    target = _safe_next(_field(form, "next", 500))
    user, status_code, headers = None, 401, None
    error: str | None
    if not username.strip() or not password:
        error = "Nama pengguna dan kata sandi wajib diisi."
    else:
        try:
            user = await sign_in(session, settings, username, password, client_ip=throttle.client_ip(request))
            error = None if user else BAD_CREDENTIALS
        except DomainError as exc:  # slowed down after repeated failures (429), or too many sign-ins at once (503)
            error, status_code, headers = exc.detail, status_of(exc), headers_of(exc)
    if user is None:
        return await _render(request, "pages/login.html", {"next": target, "username": username, "error": error}, status_code=status_code,
                             headers=headers)
    return set_session_cookie(_redirect(target), request, settings, user)


def set_session_cookie(response: Response, request: Request, settings: Settings, user: User) -> Response:
    """Signs this browser in as `user` (under the account's current token version)."""
    response.set_cookie(SESSION_COOKIE, session_token(settings, user), max_age=settings.access_token_minutes * 60, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path="/")
    return response


@router.post("/keluar")
async def logout(user: OptionalUser, session: SessionDep, _: SameOrigin) -> Response:
    """Signs out everywhere: this cookie, and every other session and token of the account, stop working."""
    if user is not None:
        await revoke_sessions(session, user)
        await session.commit()
    response = _redirect(_with_flash("/masuk", "keluar"))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


# --- home --------------------------------------------------------------------------------------


def _greeting() -> str:
    hour = datetime.now(office_tz()).hour
    return "Selamat pagi" if hour < 11 else "Selamat siang" if hour < 15 else "Selamat sore" if hour < 18 else "Selamat malam"


@router.get("/")
async def home(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    requests = await leave_service.list_for_employee(session, employee=user)
    in_progress = [leave_service.serialize(r, settings) for r in requests if r.status not in FINAL_STATUSES][:5]
    represented = await people_service.officials_represented_by(session, user=user)
    acting_for = [u.full_name for u in await session.scalars(select(User).where(User.id.in_(represented)))] if represented else []
    return await _render(request, "pages/home.html", {"greeting": _greeting(), "in_progress": in_progress, "acting_for": acting_for,
                                                      "active": "home"}, session=session, user=user)


# --- leave (cuti) ------------------------------------------------------------------------------


@router.get("/cuti")
async def my_leave(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    balance = await leave_service.annual_balance(session, employee_id=user.id, year=people_service.office_today().year)
    items = [leave_service.serialize(r, settings) for r in await leave_service.list_for_employee(session, employee=user)]
    return await _render(request, "pages/leave_list.html", {"balance": balance, "items": items, "active": "cuti"},
                         session=session, user=user)


async def _working_days_preview(start_raw: str, end_raw: str) -> dict[str, Any]:
    """What the live preview shows for the dates typed so far."""
    try:
        start = date.fromisoformat(start_raw) if start_raw else None
        end = date.fromisoformat(end_raw) if end_raw else None
    except ValueError:
        return {"state": "invalid"}
    if start is None or end is None:
        return {"state": "empty"}
    if end < start:
        return {"state": "reversed"}
    result = await leave_api.working_days(start, end)
    return {"state": "ok", "working_days": result["working_days"], "calendar_days": (end - start).days + 1,
            "excluded": result["excluded"]}


async def _leave_form(request: Request, session: Any, user: User, values: dict, *, error: str | None = None,
                      field_errors: dict | None = None, status_code: int = 200) -> Response:
    official = await people_service.has_subordinates(session, user=user)
    supervisor = await session.get(User, user.supervisor_id) if user.supervisor_id else None
    balance = await leave_service.annual_balance(session, employee_id=user.id, year=people_service.office_today().year)
    ctx = {
        "values": values, "error": error, "field_errors": field_errors or {}, "leave_types": load_leave().leave_types,
        "is_official": official, "supervisor": supervisor, "balance": balance,
        "colleagues": await people_service.colleagues(session, user=user) if official else [],
        "preview": await _working_days_preview(values.get("start_date", ""), values.get("end_date", "")),
        "today": people_service.office_today().isoformat(), "active": "cuti",
    }
    return await _render(request, "pages/leave_new.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/cuti/baru")
async def new_leave_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    return await _leave_form(request, session, user, {"client_key": str(uuid.uuid4()), "leave_type": request.query_params.get("jenis", "")})


@router.get("/cuti/hitung-hari")
async def working_days_fragment(request: Request, start_date: str = "", end_date: str = "") -> Response:
    """Live preview for the leave form: the working days in the range and the days not counted."""
    preview = await _working_days_preview(start_date.strip()[:10], end_date.strip()[:10])
    return await _render(request, "pages/leave_new.html", {"preview": preview}, block="working_days")


@router.post("/cuti/baru")
async def submit_leave(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    form = await request.form()
    values = {name: _field(form, name) for name in ("leave_type", "start_date", "end_date", "reason", "address_during_leave",
                                                     "acting_official_username", "client_key")}
    errors: dict[str, str] = {}
    if not values["leave_type"]:
        errors["leave_type"] = "Pilih jenis cuti."
    start = _parse_date(values["start_date"], "start_date", "Tanggal mulai", errors)
    end = _parse_date(values["end_date"], "end_date", "Tanggal selesai", errors)
    if not values["reason"].strip():
        errors["reason"] = "Alasan cuti wajib diisi."
    if errors or start is None or end is None:  # a date that did not parse has its message in errors
        return await _leave_form(request, session, user, values, error="Periksa kembali isian yang ditandai: " + " ".join(errors.values()),
                                 field_errors=errors, status_code=422)
    client_key = values["client_key"] if _CLIENT_KEY.fullmatch(values["client_key"]) else None
    try:
        client = await _temporal(request)
        leave, _created = await leave_service.submit(session, client, settings, employee=user, form=LeaveForm(
            leave_type=values["leave_type"], start_date=start, end_date=end, reason=values["reason"],
            address_during_leave=values["address_during_leave"] or None,
            acting_official_username=values["acting_official_username"] or None,
            client_key=f"{user.id}:{client_key}" if client_key else None,
        ))
    except DomainError as exc:
        return await _leave_form(request, session, user, values, error=exc.detail, field_errors=_field_errors(exc),
                                 status_code=status_of(exc))
    return _redirect(f"/cuti/{leave.id}")


async def _leave_case(session: Any, settings: Any, user: User, request_id: str) -> dict[str, Any]:
    if not request_id.isdigit() or len(request_id) > 12:
        raise not_found("Permohonan cuti")
    leave = await leave_service.get_for_viewer(session, request_id=int(request_id), viewer=user)
    data = leave_service.serialize(leave, settings, await processes.timeline(session, workflow_id=leave.workflow_id))
    # Same origin as the page, whatever public_base_url says (behind a proxy it may name another host).
    if data["document_url"]:
        data["document_href"] = urlsplit(data["document_url"]).path
    return {"case": data, "final": leave.status in FINAL_STATUSES, "is_applicant": leave.employee_id == user.id}


@router.get("/cuti/{request_id}")
async def leave_detail(request: Request, request_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    ctx = await _leave_case(session, settings, user, request_id)
    return await _render(request, "pages/leave_detail.html", {**ctx, "active": "cuti"}, session=session, user=user)


@router.get("/cuti/{request_id}/status")
async def leave_status_fragment(request: Request, request_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    """The status, next step and timeline of a case: polled by its page until the case is final."""
    ctx = await _leave_case(session, settings, user, request_id)
    if not _is_htmx(request):
        return _redirect(f"/cuti/{request_id}")
    return await _render(request, "pages/leave_detail.html", ctx, user=user, block="case_status")


# --- task inbox --------------------------------------------------------------------------------


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


# --- acting officials (Plh.) -------------------------------------------------------------------


async def _plh_page(request: Request, session: Any, user: User, *, values: dict | None = None, error: str | None = None,
                    field_errors: dict | None = None, status_code: int = 200) -> Response:
    subs = await people_service.list_substitutions(session, user=user)
    ids = {s.official_id for s in subs} | {s.acting_id for s in subs}
    names = {u.id: u.full_name for u in await session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    today = people_service.office_today()
    rows = [{"id": s.id, "official": names.get(s.official_id), "acting": names.get(s.acting_id), "start_date": s.start_date,
             "end_date": s.end_date, "reason": s.reason, "source": s.source, "cancelled": s.cancelled_at is not None,
             "mine": s.official_id == user.id, "active": s.cancelled_at is None and s.start_date <= today <= s.end_date,
             "past": s.end_date < today,
             "can_cancel": s.cancelled_at is None and s.end_date >= today and (s.official_id == user.id or "admin" in user.role_names)}
            for s in subs]
    ctx = {"as_official": [r for r in rows if r["mine"]], "as_acting": [r for r in rows if not r["mine"]],
           "colleagues": await people_service.colleagues(session, user=user), "values": values or {}, "error": error,
           "field_errors": field_errors or {}, "today": today.isoformat(), "active": "plh",
           "latest_start": (today + timedelta(days=people_service.SUBSTITUTION_MAX_AHEAD_DAYS)).isoformat(),
           "max_days": people_service.SUBSTITUTION_MAX_DAYS}
    return await _render(request, "pages/plh.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/plh")
async def plh_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    return await _plh_page(request, session, user)


@router.post("/plh")
async def create_plh(request: Request, user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    form = await request.form()
    values = {name: _field(form, name, 500) for name in ("acting_username", "start_date", "end_date", "reason")}
    errors: dict[str, str] = {}
    if not values["acting_username"]:
        errors["acting_username"] = "Pilih pegawai yang ditunjuk sebagai Plh."
    start = _parse_date(values["start_date"], "start_date", "Tanggal mulai", errors)
    end = _parse_date(values["end_date"], "end_date", "Tanggal selesai", errors)
    if not values["reason"].strip():
        errors["reason"] = "Alasan penunjukan Plh. wajib diisi."
    if errors or start is None or end is None:  # a date that did not parse has its message in errors
        return await _plh_page(request, session, user, values=values, field_errors=errors, status_code=422,
                               error="Periksa kembali isian yang ditandai: " + " ".join(errors.values()))
    try:
        await people_service.create_substitution(session, official=user, acting_username=values["acting_username"],
                                                 start_date=start, end_date=end, reason=values["reason"])
    except DomainError as exc:
        return await _plh_page(request, session, user, values=values, error=exc.detail, field_errors=_field_errors(exc),
                               status_code=status_of(exc))
    return _redirect(_with_flash("/plh", "plh-dibuat"))


@router.post("/plh/{substitution_id}/batal")
async def cancel_plh(substitution_id: str, user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    if not substitution_id.isdigit() or len(substitution_id) > 12:
        raise not_found("Penunjukan Plh.")
    await people_service.cancel_substitution(session, user=user, substitution_id=int(substitution_id))
    return _redirect(_with_flash("/plh", "plh-dibatalkan"))


# --- notifications -----------------------------------------------------------------------------


@router.get("/notifikasi")
async def notifications_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Inbox (seed 003 §3.4): search in subject and body, only unread, pages of PAGE_SIZE; htmx swaps the list."""
    q = " ".join(request.query_params.get("q", "").split())[:100]
    unread_only = request.query_params.get("belum") == "1"
    raw_page = request.query_params.get("halaman", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) <= 100_000 else 1
    items = await people_service.notifications(session, user=user, unread=unread_only, q=q or None, limit=PAGE_SIZE,
                                               offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-items.total // PAGE_SIZE))
    if page > pages:  # past the end (e.g. after messages were read with "only unread" on): the last page
        page = pages
        items = await people_service.notifications(session, user=user, unread=unread_only, q=q or None, limit=PAGE_SIZE,
                                                   offset=(page - 1) * PAGE_SIZE)
    query = {k: v for k, v in (("q", q), ("belum", "1" if unread_only else "")) if v}
    here = "/notifikasi" + (f"?{urlencode({**query, **({'halaman': page} if page > 1 else {})})}" if query or page > 1 else "")
    ctx = {"items": items, "total": items.total, "q": q, "unread_only": unread_only, "page": page, "pages": pages, "here": here,
           "page_url": lambda n: "/notifikasi?" + urlencode({**query, "halaman": n}), "active": "notifikasi",
           "unread_here": await people_service.unread_notification_count(session, user=user)}
    if _is_htmx(request):
        return await _render(request, "pages/notifications.html", ctx, user=user, block="notif_list")
    return await _render(request, "pages/notifications.html", ctx, session=session, user=user)


@router.post("/notifikasi/baca-semua")
async def mark_all_read(user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    await people_service.mark_notifications_read(session, user=user)
    return _redirect(_with_flash("/notifikasi", "dibaca"))


# --- public verification of a document ----------------------------------------------------------


@router.get("/verifikasi/{document_id}")
async def verify_page(request: Request, document_id: str, user: OptionalUser, session: SessionDep, settings: SettingsDep) -> Response:
    """Public: whoever holds a letter checks that this office issued it and that it is unaltered."""
    if len(document_id) > 40:
        raise not_found("Dokumen")
    result = await verification(session, settings, document_id)
    signature = result["signature"]
    return await _render(request, "pages/verify.html", {"doc": result, "authentic": bool(signature.get("valid") and signature.get("intact"))},
                         session=session, user=user)


# --- development mail sink ------------------------------------------------------------------------


@router.get("/dev/surat")
async def dev_mail(request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep) -> Response:
    if not settings.dev_mode:
        raise not_found("Halaman")
    return await _render(request, "pages/dev_mail.html", {"items": await outbox(session, settings)}, session=session, user=user)
