"""The process owners' and auditors' dashboards (issue 6): every figure is a list of rows, so the same
numbers become a chart, a data table and a CSV file.

Figures, each over an optional period of office-local dates (inclusive):
- `open_tasks` — open tasks per role by age in working days (office calendar), plus the oldest;
- `sla` — SLA compliance per process and stage (stage = the task's key without its round suffix);
- `throughput` — runs completed per process per ISO week, from the run index (ProcessRun);
- `revisions` — revision rounds per permit type (PermitRevision rounds beyond the first submission);
- `complaint_times` — complaint response times per channel, median and p90 in working days;
- `ikm` — the IKM per permit type, by the national method (gateway/services/survey.py `summarize`);
- `walk_in_ratings` — the counter's 1–4 rating per service: a different measure from the IKM.

Counting is done by SQL aggregates where the databases agree (SQLite and PostgreSQL); what needs the
office calendar (working days, local weeks) is bucketed here, from the few columns it needs.
"""

import csv
import io
import re
import statistics
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.services.complaints import CHANNEL_LABELS
from gateway.services.dates import parse_day
from gateway.services.errors import invalid, not_found
from gateway.services.offices import current_office, office_calendar
from gateway.services.survey import _bounds, summarize
from process_defs import catalog
from process_defs.processes import PROCESS_LABELS
from store.models import Complaint, PermitApplication, PermitRevision, ProcessRun, SurveyResponse, Task, WalkInVisit

# Age of an open task in working days after the day it opened (opened today = 0).
AGE_BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    ("age_0", "Hari ini", 0, 0),
    ("age_1_2", "1–2 hari kerja", 1, 2),
    ("age_3_5", "3–5 hari kerja", 3, 5),
    ("age_6_plus", "Lebih dari 5 hari kerja", 6, None),
)
_ROUND_SUFFIX = re.compile(r"-\d+$")


@dataclass(frozen=True)
class Period:
    """Office-local dates, both included; None leaves that side open."""

    start: date | None = None
    end: date | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        return _bounds(self.start, self.end)

    def where(self, column: Any) -> list:
        lower, upper = self.bounds()
        return [c for c in (column >= lower if lower else None, column < upper if upper else None) if c is not None]


def parse_period(raw_from: str | None, raw_to: str | None) -> Period:
    """The period of a request's `from`/`to` (YYYY-MM-DD), refused with a readable message when wrong."""
    start = parse_day(raw_from, field="from", label="Tanggal awal")
    end = parse_day(raw_to, field="to", label="Tanggal akhir")
    if start and end and end < start:
        raise invalid("Tanggal akhir tidak boleh sebelum tanggal awal.", field="to")
    return Period(start, end)


def _percentile(values: Sequence[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    cuts = statistics.quantiles(sorted(values), n=100, method="inclusive")
    return round(cuts[int(share * 100) - 1], 1)


def _median(values: Sequence[float]) -> float | None:
    return round(float(statistics.median(values)), 1) if values else None


def role_label(role: str) -> str:
    return current_office().role_label(role)


def stage_of(task_id: str, workflow_id: str) -> str:
    """A task's stage: its key (the part of the id after the workflow id), without a round number."""
    key = task_id[len(workflow_id) + 1:] if task_id.startswith(workflow_id + ".") else task_id
    return _ROUND_SUFFIX.sub("", key)


def stage_label(stage: str) -> str:
    words = stage.replace("-", " ").replace("_", " ").strip()
    return words.upper() if len(words) <= 3 else words[:1].upper() + words[1:]


def _generic_title(title: str) -> str:
    """A task title without the case it is about ("Verifikasi Izin Reklame — resi AB12CD" → "Verifikasi Izin Reklame")."""
    for separator in (" — ", ": ", " ("):
        title = title.split(separator, 1)[0]
    words = title.split()
    while len(words) > 1 and any(ch.isdigit() for ch in words[-1]):
        words.pop()
    return " ".join(words)


# --- the figures ------------------------------------------------------------------------------------


async def open_tasks(session: AsyncSession, *, period: Period, now: datetime) -> list[dict]:
    calendar = office_calendar()
    rows = await session.execute(select(Task.role, Task.created_at).where(Task.status == "open", *period.where(Task.created_at)))
    by_role: dict[str, dict] = {}
    ages: dict[date, int] = {}
    for role, created in rows:
        day = calendar.local_today(created)
        if day not in ages:  # many tasks open on the same day: count its working days once
            ages[day] = calendar.working_days_elapsed(created, now)
        age = ages[day]
        row = by_role.setdefault(role, {"role": role, "role_label": role_label(role), "open": 0,
                                        **{key: 0 for key, *_ in AGE_BUCKETS}, "oldest_working_days": 0})
        row["open"] += 1
        row["oldest_working_days"] = max(row["oldest_working_days"], age)
        for key, _, low, high in AGE_BUCKETS:
            if age >= low and (high is None or age <= high):
                row[key] += 1
    return sorted(by_role.values(), key=lambda r: (-r["open"], r["role_label"]))


async def sla(session: AsyncSession, *, period: Period, now: datetime) -> list[dict]:
    # The stage key is cut from the task id in SQL (substr/length mean the same on SQLite and PostgreSQL).
    key = func.substr(Task.id, func.length(Task.workflow_id) + 2)
    completed = Task.status == "completed"
    met = case((and_(completed, Task.completed_at <= Task.due_at), 1), else_=0)
    late = case((and_(completed, Task.completed_at > Task.due_at), 1), else_=0)
    overdue = case((and_(Task.status == "open", Task.due_at < now), 1), else_=0)
    pending = case((and_(Task.status == "open", Task.due_at >= now), 1), else_=0)
    stmt = (select(Task.process, key, func.min(Task.title), func.sum(met), func.sum(late), func.sum(overdue), func.sum(pending))
            .where(Task.due_at.is_not(None), Task.status.in_(("open", "completed")), *period.where(Task.created_at))
            .group_by(Task.process, key))
    merged: dict[tuple[str, str], dict] = {}
    for process, task_key, title, n_met, n_late, n_overdue, n_pending in await session.execute(stmt):
        stage = _ROUND_SUFFIX.sub("", task_key or "")
        row = merged.setdefault((process, stage), {
            "process": process, "process_label": PROCESS_LABELS.get(process, process), "stage": stage,
            "stage_label": stage_label(stage), "title": _generic_title(title or ""), "met": 0, "late": 0, "open_overdue": 0,
            "open_on_time": 0})
        row["met"] += int(n_met or 0)
        row["late"] += int(n_late or 0)
        row["open_overdue"] += int(n_overdue or 0)
        row["open_on_time"] += int(n_pending or 0)
    out = []
    for row in merged.values():
        row["breached"] = row["late"] + row["open_overdue"]
        judged = row["met"] + row["breached"]
        row["compliance_percent"] = round(row["met"] * 100 / judged, 1) if judged else None
        out.append(row)
    return sorted(out, key=lambda r: (r["process_label"], r["stage"]))


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def throughput(session: AsyncSession, *, period: Period, now: datetime) -> list[dict]:
    """Completed runs per ISO week (office-local) and process; weeks without any are shown as zero."""
    calendar = office_calendar()
    rows = await session.execute(select(ProcessRun.process, ProcessRun.closed_at)
                                 .where(ProcessRun.status == "completed", ProcessRun.closed_at.is_not(None),
                                        *period.where(ProcessRun.closed_at)))
    counts: dict[tuple[date, str], int] = {}
    for process, closed in rows:
        if closed is None:  # (the query asks for closed runs only)
            continue
        day = calendar.local_today(closed)
        monday = day - timedelta(days=day.weekday())
        counts[(monday, process)] = counts.get((monday, process), 0) + 1
    if not counts:
        return []
    weeks = sorted({monday for monday, _ in counts})
    processes = sorted({p for _, p in counts}, key=lambda p: PROCESS_LABELS.get(p, p))
    out, monday = [], weeks[0]
    while monday <= weeks[-1]:
        for process in processes:
            out.append({"week": iso_week(monday), "week_start": monday.isoformat(), "process": process,
                        "process_label": PROCESS_LABELS.get(process, process), "completed": counts.get((monday, process), 0)})
        monday += timedelta(days=7)
    return out


async def revisions(session: AsyncSession, *, period: Period, now: datetime) -> list[dict]:
    """Revision rounds per application = submitted versions − 1 (round 1 is the first submission)."""
    last = (select(PermitRevision.application_id, func.max(PermitRevision.round).label("rounds"))
            .group_by(PermitRevision.application_id).subquery())
    extra = last.c.rounds - 1
    stmt = (select(PermitApplication.permit_type, func.count(), func.sum(case((extra > 0, 1), else_=0)), func.avg(extra), func.max(extra))
            .join(last, last.c.application_id == PermitApplication.id)
            .where(*period.where(PermitApplication.created_at))
            .group_by(PermitApplication.permit_type))
    out = []
    for code, applications, revised, average, most in await session.execute(stmt):
        definition = catalog.permit_type(code)
        out.append({"permit_type": code, "permit_type_name": definition.name if definition else code, "applications": int(applications),
                    "revised": int(revised or 0), "average_rounds": round(float(average or 0), 2), "max_rounds": int(most or 0)})
    return sorted(out, key=lambda r: r["permit_type_name"])


async def complaint_times(session: AsyncSession, *, period: Period, now: datetime) -> list[dict]:
    """Working days from filing to the approved response and to the end (any outcome), per channel."""
    calendar = office_calendar()
    rows = await session.execute(select(Complaint.channel, Complaint.created_at, Complaint.responded_at, Complaint.finished_at)
                                 .where(*period.where(Complaint.created_at)))
    by_channel: dict[str, dict[str, list[int]]] = {}
    for channel, created, responded, finished in rows:
        times = by_channel.setdefault(channel, {"filed": [], "response": [], "finish": []})
        times["filed"].append(1)
        if responded is not None:
            times["response"].append(calendar.working_days_elapsed(created, responded))
        if finished is not None:
            times["finish"].append(calendar.working_days_elapsed(created, finished))
    order = list(CHANNEL_LABELS)
    out = []
    for channel in sorted(by_channel, key=lambda c: (order.index(c) if c in order else len(order), c)):
        t = by_channel[channel]
        out.append({"channel": channel, "channel_label": CHANNEL_LABELS.get(channel, channel), "filed": len(t["filed"]),
                    "responded": len(t["response"]), "response_median_days": _median(t["response"]),
                    "response_p90_days": _percentile(t["response"], 0.9), "finished": len(t["finish"]),
                    "finish_median_days": _median(t["finish"]), "finish_p90_days": _percentile(t["finish"], 0.9)})
    return out


async def ikm(session: AsyncSession, *, period: Period, now: datetime) -> list[dict]:
    # Through the application: a staff member's session reads their office's applications only (store/offices.py).
    rows = list(await session.scalars(select(SurveyResponse).join(PermitApplication, PermitApplication.id == SurveyResponse.application_id)
                                      .where(*period.where(SurveyResponse.created_at))))
    by_type: dict[str, list[SurveyResponse]] = {}
    for row in rows:
        by_type.setdefault(row.permit_type, []).append(row)
    out = []
    for code, responses in by_type.items():
        summary = summarize(responses)
        definition = catalog.permit_type(code)
        out.append({"permit_type": code, "permit_type_name": definition.name if definition else code, "responses": summary["responses"],
                    "ikm": summary["ikm"], "grade": summary["grade"], "grade_label": summary["grade_label"]})
    return sorted(out, key=lambda r: r["permit_type_name"])


async def walk_in_ratings(session: AsyncSession, *, period: Period, now: datetime) -> list[dict]:
    stmt = (select(WalkInVisit.service_code, func.min(WalkInVisit.service_name), func.count(), func.avg(WalkInVisit.rating),
                   func.sum(case((WalkInVisit.rating <= 2, 1), else_=0)))
            .where(WalkInVisit.rating.is_not(None), *period.where(WalkInVisit.created_at))
            .group_by(WalkInVisit.service_code))
    out = [{"service_code": code, "service_name": name, "ratings": int(count), "average_rating": round(float(average), 2),
            "low_ratings": int(low or 0)} for code, name, count, average, low in await session.execute(stmt)]
    return sorted(out, key=lambda r: r["service_name"])


# --- the catalogue of figures ------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    description: str
    # (row key, header in Bahasa Indonesia): the table's and the CSV's columns, in order.
    columns: tuple[tuple[str, str], ...]
    compute: Callable[..., Awaitable[list[dict]]]


FIGURES: tuple[Figure, ...] = (
    Figure("open_tasks", "Tugas terbuka per peran dan umur",
           "Tugas yang belum diputuskan, menurut peran yang menerimanya dan umur dalam hari kerja sejak dibuka "
           "(kalender kantor: akhir pekan, libur nasional, dan cuti bersama tidak dihitung).",
           (("role", "Kode peran"), ("role_label", "Peran"), ("open", "Tugas terbuka"),
            *((key, label) for key, label, *_ in AGE_BUCKETS), ("oldest_working_days", "Tertua (hari kerja)")),
           open_tasks),
    Figure("sla", "Kepatuhan SLA per proses dan tahap",
           "Tugas tepat waktu bila diputuskan paling lambat pada batas waktunya (dihitung dalam hari kerja saat tugas dibuka). "
           "Terlambat = diputuskan setelah batas waktu, ditambah tugas terbuka yang sudah melewati batas waktu. "
           "Tugas terbuka yang belum jatuh tempo tidak ikut dihitung dalam persentase.",
           (("process", "Kode proses"), ("process_label", "Proses"), ("stage", "Tahap"), ("title", "Judul tugas"),
            ("met", "Tepat waktu"), ("late", "Diputuskan terlambat"), ("open_overdue", "Terbuka melewati batas"),
            ("breached", "Total terlambat"), ("open_on_time", "Terbuka belum jatuh tempo"), ("compliance_percent", "Kepatuhan (%)")),
           sla),
    Figure("throughput", "Proses selesai per minggu",
           "Jumlah proses yang selesai dengan sukses per minggu ISO (Senin–Minggu, waktu kantor), dari indeks proses.",
           (("week", "Minggu ISO"), ("week_start", "Mulai (Senin)"), ("process", "Kode proses"), ("process_label", "Proses"),
            ("completed", "Selesai")),
           throughput),
    Figure("revisions", "Putaran revisi per jenis izin",
           "Berapa kali permohonan dikembalikan untuk diperbaiki sebelum diputus: versi yang dikirim dikurangi pengajuan pertama.",
           (("permit_type", "Kode jenis izin"), ("permit_type_name", "Jenis izin"), ("applications", "Permohonan"),
            ("revised", "Pernah direvisi"), ("average_rounds", "Rata-rata putaran"), ("max_rounds", "Putaran terbanyak")),
           revisions),
    Figure("complaint_times", "Waktu tanggapan pengaduan per kanal",
           "Hari kerja dari pengaduan diterima sampai tanggapan disetujui, dan sampai selesai (termasuk yang ditolak); "
           "hari yang sama dihitung nol, seperti pada halaman pengaduan petugas. Median dan persentil ke-90.",
           (("channel", "Kode kanal"), ("channel_label", "Kanal"), ("filed", "Diterima"), ("responded", "Ditanggapi"),
            ("response_median_days", "Median sampai tanggapan (hari kerja)"), ("response_p90_days", "P90 sampai tanggapan (hari kerja)"),
            ("finished", "Selesai"), ("finish_median_days", "Median sampai selesai (hari kerja)"),
            ("finish_p90_days", "P90 sampai selesai (hari kerja)")),
           complaint_times),
    Figure("ikm", "Indeks Kepuasan Masyarakat (IKM) per layanan",
           "IKM menurut PermenPAN-RB No. 14 Tahun 2017 (rata-rata NRR sembilan unsur × 25, skala 25–100) dari survei setelah izin selesai.",
           (("permit_type", "Kode jenis izin"), ("permit_type_name", "Jenis izin"), ("responses", "Responden"), ("ikm", "IKM"),
            ("grade", "Mutu"), ("grade_label", "Kinerja")),
           ikm),
    Figure("walk_in_ratings", "Penilaian layanan loket (skala 1–4)",
           "Nilai 1–4 yang diberikan pengunjung loket saat hasil diserahkan. Ukuran ini berbeda dari IKM dan tidak dapat dibandingkan langsung.",
           (("service_code", "Kode layanan"), ("service_name", "Layanan"), ("ratings", "Penilaian"), ("average_rating", "Rata-rata (1–4)"),
            ("low_ratings", "Nilai 1–2")),
           walk_in_ratings),
)
BY_NAME = {f.name: f for f in FIGURES}


def figure(name: str) -> Figure:
    found = BY_NAME.get(name)
    if found is None:
        raise not_found(f"Grafik '{name[:60]}'")
    return found


async def rows_of(session: AsyncSession, *, name: str, period: Period, now: datetime | None = None) -> list[dict]:
    return await figure(name).compute(session, period=period, now=now or datetime.now(UTC))


async def dashboard(session: AsyncSession, *, period: Period, now: datetime | None = None) -> dict:
    """Every figure with its rows, for the API and the page."""
    now = now or datetime.now(UTC)
    figures = {}
    for f in FIGURES:
        figures[f.name] = {"title": f.title, "description": f.description,
                           "columns": [{"key": k, "label": label} for k, label in f.columns],
                           "rows": await f.compute(session, period=period, now=now)}
    return {"from": period.start.isoformat() if period.start else None, "to": period.end.isoformat() if period.end else None,
            "generated_at": now.isoformat(), "figures": figures}


# --- CSV ------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Excel in Indonesia reads a decimal comma (and a semicolon between fields).
        return (f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))).replace(".", ",")
    return str(value)


def to_csv(name: str, rows: list[dict]) -> bytes:
    """UTF-8 with a BOM, `;` between fields and a decimal comma: what a spreadsheet in an Indonesian locale
    opens by double-click. The header row is in Bahasa Indonesia."""
    columns = figure(name).columns
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([label for _, label in columns])
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key, _ in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_filename(name: str, period: Period) -> str:
    span = "-".join(d.isoformat() for d in (period.start, period.end) if d) or "semua"
    return f"satupintu-{name.replace('_', '-')}-{span}.csv"
