"""The offices from the outside, without signing in (issue 17), in Bahasa Indonesia:

- `/kantor` — every office of the installation and what each offers the public;
- `/kantor/{code}` — an office's start page: its services (permits with their requirements and the application
  wizard, the walk-in counter's services with their requirements and its queue kiosk, complaints and Kritis,
  SIRAMASAKAN), its hours, address, telephone and e-mail. Every page under /kantor/{code} speaks for that office
  (header and footer name it), and its links carry `?kantor=<code>`, so the forms they open send to it.

An unknown or inactive code is a 404 page. GET /api/v1/offices gives the same list to clients."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import OptionalUser, SessionDep
from gateway.errors import not_found
from gateway.pages.framework import _render
from gateway.services.office_access import active_office, public_offices
from gateway.services.offices import OfficeEntry, speak_for
from process_defs.catalog import load_catalog
from process_defs.counter import load_counter
from process_defs.loader import OfficeFile

router = APIRouter(include_in_schema=False)

# What each process is to a citizen, in the order an office's page shows them. Leave and letters are the staff's own.
PUBLIC_SERVICES = {
    "permit": "Perizinan daring",
    "walk_in": "Layanan loket (datang langsung)",
    "complaint": "Pengaduan, kritik, dan saran",
    "siramasakan": "SIRAMASAKAN",
    "whatsapp": "Asisten WhatsApp",
}
_DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
_ZONES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def hours_text(office: OfficeFile) -> str:
    """Senin–Jumat, pukul 08.00–16.30 WIB."""
    days = sorted(office.calendar.working_weekdays)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        day_text = f"{_DAYS[days[0]]}–{_DAYS[days[-1]]}"
    else:
        day_text = ", ".join(_DAYS[d] for d in days)
    start = office.calendar.office_hours.get("start", "08:00").replace(":", ".")
    end = office.calendar.office_hours.get("end", "16:00").replace(":", ".")
    zone = _ZONES.get(office.office.timezone, office.office.timezone)
    return f"{day_text}, pukul {start}–{end} {zone}"


def _summary(entry: OfficeEntry) -> dict[str, Any]:
    o = entry.defs.office
    return {"code": entry.code, "name": o.name, "short_name": o.short_name, "city": o.city, "address": o.address,
            "services": [label for process, label in PUBLIC_SERVICES.items() if process in entry.processes], "url": f"/kantor/{entry.code}"}


@router.get("/kantor")
async def offices_page(request: Request, user: OptionalUser, session: SessionDep) -> Response:
    return await _render(request, "pages/offices/list.html", {"offices": [_summary(o) for o in public_offices()], "active": "kantor"},
                         session=session, user=user)


def _permits() -> list[dict[str, Any]]:
    catalog = load_catalog()
    return [{"name": a.name, "short_name": a.short_name,
             "permits": [{"code": p.code, "name": p.name, "sla": p.sla_working_days} for p in a.permit_types]}
            for a in catalog.agencies if a.permit_types]


def _walk_ins() -> list[dict[str, Any]]:
    counter = load_counter()
    return [{"code": s.code, "name": s.name, "one_day": s.one_day, "target_minutes": s.target_minutes, "sla": s.sla_working_days,
             "procedure": " ".join(s.procedure.split()), "requirements": [{"name": r.name, "mandatory": r.mandatory} for r in s.requirements]}
            for s in counter.services]


@router.get("/kantor/{code}")
async def office_page(request: Request, code: str, user: OptionalUser, session: SessionDep) -> Response:
    entry = active_office(code)
    if entry is None:
        raise not_found(f"Kantor dengan kode '{code[:60]}'")
    speak_for(entry.id)
    defs = entry.defs
    today = datetime.now(UTC).astimezone(ZoneInfo(defs.office.timezone)).date()
    holidays = sorted((h for h in defs.calendar.extra_holidays if h.date >= today), key=lambda h: h.date)[:5]
    ctx = {
        "entry": entry, "o": defs.office, "code": entry.code, "offers": set(entry.processes), "hours": hours_text(defs),
        "holidays": holidays, "services": [label for process, label in PUBLIC_SERVICES.items() if process in entry.processes],
        "agencies": _permits() if "permit" in entry.processes else [],
        "walk_ins": _walk_ins() if "walk_in" in entry.processes else [],
        "whatsapp": defs.office.whatsapp_number if "whatsapp" in entry.processes else None,
        "active": "kantor",
    }
    return await _render(request, "pages/offices/detail.html", ctx, session=session, user=user)
