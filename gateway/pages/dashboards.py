"""`/dasbor` — the process owners' and auditors' dashboards: every figure as an SVG chart with its data
table and a CSV download, over an optional period. Same figures as `GET /api/v1/dashboards`."""

from datetime import date
from urllib.parse import urlencode

from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from gateway import charts
from gateway.deps import RunReader, SessionDep
from gateway.errors import DomainError
from gateway.pages.framework import LOCALE, _field_errors, _render
from gateway.services import dashboards as service
from gateway.services.dashboards import AGE_BUCKETS, Period

router = APIRouter(include_in_schema=False)
# The page's query names (Bahasa, as on /ikm) for the API's `from` and `to`.
PAGE_FIELDS = {"from": "dari", "to": "sampai"}


def _week_label(monday: str) -> str:
    return format_date(date.fromisoformat(monday), "d MMM", locale=LOCALE)


def chart_for(name: str, title: str, rows: list[dict]) -> Markup:
    """The chart that fits each figure; the table under it carries every number."""
    desc = f"{title}. Angka lengkapnya ada pada tabel data di bawah grafik."
    if name == "open_tasks":
        return charts.stacked_bar([r["role_label"] for r in rows], [(label, [r[key] for r in rows]) for key, label, *_ in AGE_BUCKETS],
                                  chart_id=name, title=title, description=desc)
    if name == "sla":
        return charts.horizontal_bar([(f"{r['process_label']} · {r['stage_label']}", r["compliance_percent"]) for r in rows],
                                     chart_id=name, title=title, description=desc, max_value=100, unit="%")
    if name == "throughput":
        weeks = list(dict.fromkeys(r["week_start"] for r in rows))
        labels = dict.fromkeys(r["process_label"] for r in rows)
        counts = {(r["week_start"], r["process_label"]): r["completed"] for r in rows}
        return charts.weekly_columns([_week_label(w) for w in weeks], [(p, [counts.get((w, p), 0) for w in weeks]) for p in labels],
                                     chart_id=name, title=title, description=desc)
    if name == "revisions":
        return charts.stacked_bar([r["permit_type_name"] for r in rows],
                                  [("Rata-rata putaran", [r["average_rounds"] for r in rows]), ("Putaran terbanyak", [r["max_rounds"] for r in rows])],
                                  chart_id=name, title=title, description=desc, stacked=False)
    if name == "complaint_times":
        return charts.stacked_bar([r["channel_label"] for r in rows], [
            ("Median sampai tanggapan", [r["response_median_days"] for r in rows]), ("P90 sampai tanggapan", [r["response_p90_days"] for r in rows]),
            ("Median sampai selesai", [r["finish_median_days"] for r in rows]), ("P90 sampai selesai", [r["finish_p90_days"] for r in rows])],
            chart_id=name, title=title, description=desc, stacked=False, unit=" hari kerja")
    if name == "ikm":
        return charts.horizontal_bar([(r["permit_type_name"], r["ikm"]) for r in rows], chart_id=name, title=title, description=desc, max_value=100)
    if name == "walk_in_ratings":
        return charts.horizontal_bar([(r["service_name"], r["average_rating"]) for r in rows], chart_id=name, title=title,
                                     description=desc, max_value=4)
    raise KeyError(name)


@router.get("/dasbor")
async def dashboards(request: Request, user: RunReader, session: SessionDep) -> Response:
    raw_from, raw_to = request.query_params.get("dari", "")[:20], request.query_params.get("sampai", "")[:20]
    error, field_errors, status_code = None, {}, 200
    try:
        period = service.parse_period(raw_from, raw_to)
    except DomainError as exc:
        # A wrong date shows the figures of every date with the message, rather than nothing.
        period, error, status_code = Period(), exc.detail, 422
        field_errors = {PAGE_FIELDS.get(k, k): v for k, v in _field_errors(exc).items()}
    data = await service.dashboard(session, period=period)
    query = urlencode({k: v for k, v in (("from", period.start), ("to", period.end)) if v})
    figures = [{"name": name, **f, "chart": chart_for(name, f["title"], f["rows"]),
                "csv": f"/api/v1/dashboards/{name}.csv" + (f"?{query}" if query else "")} for name, f in data["figures"].items()]
    return await _render(request, "pages/dashboards/index.html", {
        "figures": figures, "period": period, "values": {"dari": raw_from, "sampai": raw_to}, "error": error, "field_errors": field_errors,
        "generated_at": data["generated_at"], "number": charts.number, "active": "dasbor"}, session=session, user=user, status_code=status_code)
