"""The page framework: server-rendered pages in Bahasa Indonesia, with htmx for partial updates. The templates and
their filters, the navigation, forms and their field errors, sign-in state, redirects with a flash, and the error page;
the pages themselves are the other modules of this package.

Every page calls the same service functions as the JSON API, so what a page can do, a client can
do, and both refuse the same things with the same messages. Signed-in state is the API's token in
an httponly SameSite=Lax cookie; POST handlers also refuse a foreign `Origin`.
"""


import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from jinja2_fragments.fastapi import Jinja2Blocks
from temporalio.client import Client

from contracts import LEAVE_STATUSES
from gateway.deps import RUN_READER_ROLES, SESSION_COOKIE, SettingsDep, _user_from_token, from_this_site, get_temporal
from gateway.errors import ApiError, DomainError
from gateway.services import people as people_service
from gateway.services import tasks as task_service
from gateway.services.dates import parse_day
from gateway.services.offices import current_office, current_office_entry, office_zone
from gateway.services.queue import DESK_ROLES
from gateway.services.sessions import session_token
from gateway.services.walk_ins import COUNTER_ROLES
from process_defs.counter import load_counter
from store.models import User
from store.settings import PROJECT_ROOT, Settings

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
    ("admin", "/admin", "Administrasi", frozenset({"admin", "admin_instalasi"})),
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


def office_tz() -> ZoneInfo:
    return office_zone()


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
    """A role's name as the request's office calls it (roles.yaml, and its office.yaml `role_labels`)."""
    return current_office().role_label(role) if role else ""


templates.env.filters.update(tanggal=tanggal, waktu=waktu, iso_waktu=iso_waktu, hari_kerja=hari_kerja, peran=peran)


templates.env.globals.update(OUTCOME_LABELS=OUTCOME_LABELS, STATUS_TONES=STATUS_TONES, FINAL_STATUSES=FINAL_STATUSES)


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
    entry = current_office_entry()
    ctx = {"user": user, "office": entry.defs.office if entry else None, "office_code": entry.code if entry else "",
           # What the office offers (None: the page speaks for no office): its header and footer link only those.
           "office_processes": list(entry.processes) if entry else None, "nav": {},
           "flash": FLASH.get(request.query_params.get("pesan", "")), **ctx}
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


def set_session_cookie(response: Response, request: Request, settings: Settings, user: User) -> Response:
    """Signs this browser in as `user` (under the account's current token version)."""
    response.set_cookie(SESSION_COOKIE, session_token(settings, user), max_age=settings.access_token_minutes * 60, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path="/")
    return response
