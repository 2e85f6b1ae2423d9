"""The owners' and auditors' dashboards over a small known dataset: the figures' numbers, the page with its
SVG charts, the CSV, and who may see them."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gateway import charts
from gateway.deps import SESSION_COOKIE
from gateway.errors import DomainError, status_of
from gateway.services import dashboards
from gateway.services.dashboards import Period
from gateway.services.survey import ELEMENT_CODES
from store.models import Complaint, PermitApplication, PermitRevision, ProcessRun, SurveyResponse, Task, User, WalkInVisit
from store.offices import scope_to_office
from tests.factories import COURT, KEMENAG, PERMIT_OFFICE, office_ids, speak_as_office
from tests.pgserver import demo_postgres, postgres_available

WIB = ZoneInfo("Asia/Jakarta")
# A Thursday in a month without holidays: every figure below is counted as of this moment.
NOW = datetime(2026, 7, 16, 10, 0, tzinfo=WIB)
APPLICANT_NIK = "3374010101900001"


def wib(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=WIB)


def task(office_id: int, workflow_id: str, key: str, process: str, role: str, *, created: datetime, due: datetime,
         completed: datetime | None = None, title: str) -> Task:
    return Task(id=f"{workflow_id}.{key}", office_id=office_id, workflow_id=workflow_id, process=process, subject_id=workflow_id, title=title, role=role,
                status="completed" if completed else "open", created_at=created, due_at=due, completed_at=completed)


async def seed_figures(sessionmaker) -> None:
    """Each process's rows in the office that runs it: leave in the court, permits and complaints in the permit office,
    the counter's visits in the Kemenag office."""
    offices = await office_ids(sessionmaker)
    court, permit_office, kemenag = offices[COURT], offices[PERMIT_OFFICE], offices[KEMENAG]
    async with sessionmaker() as session:
        applicant = await session.scalar(select(User).where(User.username == APPLICANT_NIK))
        officer = await session.scalar(select(User).where(User.username == "info1"))
        session.add_all([
            # Leave approvals: one on time, one late, one still open past its due time (opened 5 working days ago).
            task(court, "leave-1", "persetujuan-atasan", "leave", "atasan", created=wib(7, 6), due=wib(7, 8, 17), completed=wib(7, 7),
                 title="Persetujuan Cuti Tahunan Budi (6–8 Juli 2026)"),
            task(court, "leave-2", "persetujuan-atasan", "leave", "atasan", created=wib(7, 6), due=wib(7, 8, 17), completed=wib(7, 10),
                 title="Persetujuan Cuti Tahunan Sari (6–8 Juli 2026)"),
            task(court, "leave-3", "persetujuan-atasan", "leave", "atasan", created=wib(7, 9), due=wib(7, 13, 17),
                 title="Persetujuan Cuti Sakit Budi (9 Juli 2026)"),
            # Permit verification: two rounds of one application on time, another opened today and not yet due.
            task(permit_office, "permit-AAA111", "verifikasi-1", "permit", "verifikator", created=wib(7, 1), due=wib(7, 3, 17), completed=wib(7, 2),
                 title="Verifikasi Izin Reklame — resi AAA111"),
            task(permit_office, "permit-AAA111", "verifikasi-2", "permit", "verifikator", created=wib(7, 6), due=wib(7, 8, 17), completed=wib(7, 8),
                 title="Verifikasi Izin Reklame — resi AAA111 (perbaikan ke-1)"),
            task(permit_office, "permit-BBB222", "verifikasi-1", "permit", "verifikator", created=wib(7, 16, 8), due=wib(7, 21, 17),
                 title="Verifikasi Izin Reklame — resi BBB222"),
            # Signing: open, one day past due, opened two working days ago.
            task(permit_office, "permit-CCC333", "tte-1", "permit", "penandatangan", created=wib(7, 14), due=wib(7, 15, 17),
                 title="Tanda tangan elektronik Izin Usaha Mikro Kecil — resi CCC333"),
        ])
        session.add_all([
            ProcessRun(office_id=court, workflow_id="leave-1", run_id="r1", process="leave", workflow_type="LeaveRequest", business_key="1",
                       status="completed", started_at=wib(6, 29, 8), closed_at=wib(6, 29, 15)),
            ProcessRun(office_id=permit_office, workflow_id="permit-AAA111", run_id="r2", process="permit", workflow_type="PermitApplication",
                       business_key="AAA111",
                       status="completed", started_at=wib(7, 1), closed_at=wib(7, 6)),
            ProcessRun(office_id=permit_office, workflow_id="permit-DDD444", run_id="r3", process="permit", workflow_type="PermitApplication",
                       business_key="DDD444",
                       status="completed", started_at=wib(7, 1), closed_at=wib(7, 8)),
            ProcessRun(office_id=permit_office, workflow_id="permit-EEE555", run_id="r4", process="permit", workflow_type="PermitApplication",
                       business_key="EEE555",
                       status="completed", started_at=wib(7, 2), closed_at=wib(7, 14)),
            ProcessRun(office_id=permit_office, workflow_id="permit-BBB222", run_id="r5", process="permit", workflow_type="PermitApplication",
                       business_key="BBB222",
                       status="running", started_at=wib(7, 16, 8)),
            ProcessRun(office_id=court, workflow_id="leave-9", run_id="r6", process="leave", workflow_type="LeaveRequest", business_key="9",
                       status="failed", started_at=wib(7, 1), closed_at=wib(7, 2)),
        ])
        apps = {}
        for resi, permit_type, rounds in (("AAA111", "izin_reklame", 1), ("BBB222", "izin_reklame", 3), ("CCC333", "iumk", 2)):
            app = PermitApplication(office_id=permit_office, resi=resi, applicant_id=applicant.id, agency_code="dpmptsp", permit_type=permit_type,
                                    request_kind="baru",
                                    status="finished", stage="finished", workflow_id=f"permit-{resi}", created_at=wib(7, 1))
            session.add(app)
            await session.flush()
            apps[resi] = app
            session.add_all([PermitRevision(application_id=app.id, round=n, snapshot={}) for n in range(1, rounds + 1)])
        for resi, answer in (("AAA111", 4), ("BBB222", 3), ("CCC333", 2)):
            app = apps[resi]
            session.add(SurveyResponse(application_id=app.id, permit_type=app.permit_type, answers={"unsur": dict.fromkeys(ELEMENT_CODES, answer)},
                                       ikm=answer * 25.0, created_at=wib(7, 10)))
        for n, (channel, created, responded, finished) in enumerate((
                ("pengaduan", wib(7, 6), wib(7, 8), wib(7, 8)),     # 2 working days
                ("pengaduan", wib(7, 6), wib(7, 13), wib(7, 13)),   # 5 working days (over a weekend)
                ("pengaduan", wib(7, 7), None, wib(7, 9)),          # refused as invalid after 2 working days
                ("kritik", wib(7, 10), None, None))):               # still open
            session.add(Complaint(office_id=permit_office, tracking_number=f"ADU-TEST{n}", workflow_id=f"pengaduan-ADU-TEST{n}", channel=channel,
                                  category="lainnya",
                                  title="Uji", content="Uji", stage="selesai" if finished else "verifikasi", status="x",
                                  created_at=created, responded_at=responded, finished_at=finished))
        for n, (code, name, rating) in enumerate((("legalisir_ijazah", "Legalisir Ijazah", 4), ("legalisir_ijazah", "Legalisir Ijazah", 3),
                                                  ("surat_keterangan", "Surat Keterangan", 2), ("surat_keterangan", "Surat Keterangan", None))):
            session.add(WalkInVisit(office_id=kemenag, code=f"K-{n}", workflow_id=f"walkin-K-{n}", service_code=code, service_name=name, one_day=True,
                                    visitor_name="Pengunjung", registered_by_id=officer.id, status="selesai", stage="selesai",
                                    rating=rating, created_at=wib(7, 9)))
        await session.commit()


async def figures(db, period: Period | None = None, *, office: str | None = None) -> dict:
    """Every office's figures (an unscoped session), or one office's as its staff see them."""
    office_id = await speak_as_office(db.sessionmaker, office or COURT)
    async with db.sessionmaker() as session:
        if office:
            scope_to_office(session, office_id)
        data = await dashboards.dashboard(session, period=period or Period(), now=NOW)
    return {name: f["rows"] for name, f in data["figures"].items()}


async def test_figures_count_the_known_dataset(db):
    await seed_figures(db.sessionmaker)
    f = await figures(db)

    open_tasks = {r["role"]: r for r in f["open_tasks"]}
    assert open_tasks["atasan"] == {"role": "atasan", "role_label": "Atasan Langsung", "open": 1, "age_0": 0, "age_1_2": 0,
                                         "age_3_5": 1, "age_6_plus": 0, "oldest_working_days": 5}
    assert (open_tasks["verifikator"]["age_0"], open_tasks["penandatangan"]["age_1_2"]) == (1, 1)
    assert open_tasks["penandatangan"]["oldest_working_days"] == 2

    sla = {(r["process"], r["stage"]): r for r in f["sla"]}
    leave = sla[("leave", "persetujuan-atasan")]
    assert (leave["met"], leave["late"], leave["open_overdue"], leave["breached"], leave["compliance_percent"]) == (1, 1, 1, 2, 33.3)
    assert leave["process_label"] == "Cuti Pegawai" and leave["title"] == "Persetujuan Cuti Sakit Budi"
    verification = sla[("permit", "verifikasi")]  # both rounds are one stage
    assert (verification["met"], verification["open_on_time"], verification["compliance_percent"]) == (2, 1, 100.0)
    assert verification["title"] == "Verifikasi Izin Reklame"
    assert (sla[("permit", "tte")]["breached"], sla[("permit", "tte")]["compliance_percent"]) == (1, 0.0)

    weekly = [(r["week"], r["process"], r["completed"]) for r in f["throughput"]]
    assert weekly == [("2026-W27", "leave", 1), ("2026-W27", "permit", 0), ("2026-W28", "leave", 0), ("2026-W28", "permit", 2),
                      ("2026-W29", "leave", 0), ("2026-W29", "permit", 1)]

    revisions = {r["permit_type"]: r for r in f["revisions"]}
    assert {k: revisions["izin_reklame"][k] for k in ("applications", "revised", "average_rounds", "max_rounds")} == \
        {"applications": 2, "revised": 1, "average_rounds": 1.0, "max_rounds": 2}
    assert (revisions["iumk"]["applications"], revisions["iumk"]["max_rounds"]) == (1, 1)

    complaints = {r["channel"]: r for r in f["complaint_times"]}
    public = complaints["pengaduan"]
    assert (public["filed"], public["responded"], public["response_median_days"], public["response_p90_days"]) == (3, 2, 3.5, 4.7)
    assert (public["finished"], public["finish_median_days"], public["finish_p90_days"]) == (3, 2.0, 4.4)
    assert (complaints["kritik"]["filed"], complaints["kritik"]["response_median_days"]) == (1, None)
    assert public["channel_label"] == "Formulir publik"

    ikm = {r["permit_type"]: r for r in f["ikm"]}
    assert (ikm["izin_reklame"]["responses"], ikm["izin_reklame"]["ikm"], ikm["izin_reklame"]["grade"]) == (2, 87.5, "B")
    assert (ikm["iumk"]["ikm"], ikm["iumk"]["grade_label"]) == (50.0, "Tidak Baik")

    ratings = {r["service_code"]: r for r in f["walk_in_ratings"]}
    assert (ratings["legalisir_ijazah"]["ratings"], ratings["legalisir_ijazah"]["average_rating"]) == (2, 3.5)
    assert (ratings["surat_keterangan"]["ratings"], ratings["surat_keterangan"]["low_ratings"]) == (1, 1)


async def test_each_office_counts_only_its_own_work(db):
    await seed_figures(db.sessionmaker)
    court, permit_office, kemenag = [await figures(db, office=code) for code in (COURT, PERMIT_OFFICE, KEMENAG)]
    assert {r["role"] for r in court["open_tasks"]} == {"atasan"} and {r["process"] for r in court["sla"]} == {"leave"}
    assert {r["process"] for r in court["throughput"]} == {"leave"}
    assert court["revisions"] == court["complaint_times"] == court["ikm"] == court["walk_in_ratings"] == []
    assert {r["role"] for r in permit_office["open_tasks"]} == {"verifikator", "penandatangan"}
    assert {r["process"] for r in permit_office["throughput"]} == {"permit"}
    # The survey rows belong to no office themselves: their applications' office counts them.
    assert {r["permit_type"] for r in permit_office["ikm"]} == {"izin_reklame", "iumk"} and permit_office["walk_in_ratings"] == []
    assert {r["channel"] for r in permit_office["complaint_times"]} == {"pengaduan", "kritik"}
    assert kemenag["open_tasks"] == kemenag["sla"] == kemenag["ikm"] == kemenag["complaint_times"] == []
    assert {r["service_code"] for r in kemenag["walk_in_ratings"]} == {"legalisir_ijazah", "surat_keterangan"}


@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed")
async def test_the_figures_agree_on_postgresql(db):
    from gateway.metrics import read_snapshot

    await seed_figures(db.sessionmaker)
    on_sqlite = await figures(db)
    async with demo_postgres() as (_, sessionmaker):
        await seed_figures(sessionmaker)
        async with sessionmaker() as session:
            on_postgres = {name: f["rows"] for name, f in (await dashboards.dashboard(session, period=Period(), now=NOW))["figures"].items()}
            snapshot = await read_snapshot(session, now=NOW)
    assert on_postgres == on_sqlite
    assert snapshot.sla_breaches == {"leave": 2, "permit": 1} and snapshot.open_tasks == {"atasan": 1, "penandatangan": 1, "verifikator": 1}


async def test_a_period_limits_every_figure(db):
    await seed_figures(db.sessionmaker)
    f = await figures(db, dashboards.parse_period("2026-07-13", "2026-07-16"))
    assert [(r["week"], r["process"], r["completed"]) for r in f["throughput"]] == [("2026-W29", "permit", 1)]
    assert {r["role"] for r in f["open_tasks"]} == {"verifikator", "penandatangan"}
    assert f["complaint_times"] == [] and f["revisions"] == [] and f["walk_in_ratings"] == []


@pytest.mark.parametrize(("raw_from", "raw_to", "field", "words"), [
    ("2026-07-32", "", "from", "Tanggal awal tidak valid"),
    ("", "16/07/2026", "to", "Tanggal akhir tidak valid"),
    ("2026-07-16", "2026-07-01", "to", "tidak boleh sebelum"),
])
def test_a_wrong_period_is_refused_in_bahasa(raw_from, raw_to, field, words):
    with pytest.raises(DomainError) as caught:
        dashboards.parse_period(raw_from, raw_to)
    assert status_of(caught.value) == 422 and words in caught.value.detail and caught.value.errors[0]["field"] == field


def test_charts_are_accessible_escaped_and_indonesian():
    svg = charts.horizontal_bar([("<Layanan & Izin>", 1234.5)], chart_id="uji", title="Judul <uji>", description="Ket")
    assert 'role="img"' in svg and 'aria-labelledby="uji-title uji-desc"' in svg and "<title id=\"uji-title\">Judul &lt;uji&gt;</title>" in svg
    assert "&lt;Layanan &amp; Izin&gt;" in svg and "<Layanan" not in svg
    assert "1.234,5" in svg
    stacked = charts.stacked_bar(["Verifikator"], [("Hari ini", [2]), ("1–2 hari kerja", [3])], chart_id="s", title="T", description="D")
    assert stacked.count("<rect") >= 4 and ">5</text>" in stacked  # two legend keys, two segments, the total
    weekly = charts.weekly_columns(["6 Jul", "13 Jul"], [("Perizinan", [2, 1])], chart_id="w", title="T", description="D")
    assert "6 Jul" in weekly and "13 Jul" in weekly
    assert "Belum ada data" in charts.horizontal_bar([], chart_id="k", title="T", description="D")


async def login(client, username: str) -> str:
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": "Demo12345"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


# Each office's owners and auditors see its own work drawn: together the three offices draw every figure.
CHARTED = {
    "pemilik1": {"open_tasks", "sla", "throughput"},
    "auditor1": {"open_tasks", "sla", "throughput"},
    "pemilik2": {"open_tasks", "sla", "throughput", "revisions", "complaint_times", "ikm"},
    "pemilik3": {"walk_in_ratings"},
}


@pytest.mark.parametrize("username", list(CHARTED))
async def test_the_page_shows_every_figure_as_a_chart_with_its_table(client, db, username):
    await seed_figures(db.sessionmaker)
    token = await login(client, username)
    client.cookies.set(SESSION_COOKIE, token)
    page = await client.get("/dasbor")
    assert page.status_code == 200, page.text
    html = page.text
    assert set().union(*CHARTED.values()) == {f.name for f in dashboards.FIGURES}
    assert html.count('<svg class="chart" role="img"') == len(CHARTED[username])
    for f in dashboards.FIGURES:
        assert f'href="/api/v1/dashboards/{f.name}.csv"' in html and f.title in html
        assert (f'aria-labelledby="{f.name}-title {f.name}-desc"' in html) == (f.name in CHARTED[username]), f.name
    if "sla" in CHARTED[username]:
        label = "Cuti Pegawai · Persetujuan atasan" if username != "pemilik2" else "Perizinan · Verifikasi"
        assert label in html  # the SLA chart's label
    assert html.count("Belum ada data untuk periode ini.") == len(dashboards.FIGURES) - len(CHARTED[username])
    assert "Unduh CSV" in html and "<details" in html
    assert ("Atasan Langsung" in html) == (username in ("pemilik1", "auditor1"))
    assert 'href="/dasbor"' in html  # the navigation offers the dashboards to owners and auditors

    narrowed = await client.get("/dasbor", params={"dari": "2026-07-13", "sampai": "2026-07-16"})
    assert narrowed.status_code == 200 and "/api/v1/dashboards/sla.csv?from=2026-07-13&amp;to=2026-07-16" in narrowed.text
    wrong = await client.get("/dasbor", params={"dari": "kemarin"})
    assert wrong.status_code == 422 and "Tanggal awal tidak valid" in wrong.text


async def test_api_gives_json_and_csv(client, db):
    await seed_figures(db.sessionmaker)
    # The permit office's auditor: its permits, their IKM and revisions.
    headers = {"Authorization": f"Bearer {await login(client, 'auditor2')}"}
    data = (await client.get("/api/v1/dashboards", headers=headers)).json()
    assert list(data["figures"]) == [f.name for f in dashboards.FIGURES]
    assert {r["permit_type"] for r in data["figures"]["ikm"]["rows"]} == {"izin_reklame", "iumk"}

    response = await client.get("/api/v1/dashboards/revisions.csv", headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="satupintu-revisions-semua.csv"' == response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Kode jenis izin", "Jenis izin", "Permohonan", "Pernah direvisi", "Rata-rata putaran", "Putaran terbanyak"]
    reklame = next(r for r in rows[1:] if r[0] == "izin_reklame")
    assert reklame[2:] == ["2", "1", "1", "2"]

    ikm = list(csv.reader(io.StringIO((await client.get("/api/v1/dashboards/ikm.csv", headers=headers)).content.decode("utf-8-sig")),
                          delimiter=";"))
    assert next(r for r in ikm[1:] if r[0] == "izin_reklame")[3] == "87,5"  # decimal comma

    period = await client.get("/api/v1/dashboards/throughput.csv", params={"from": "2026-07-13", "to": "2026-07-16"}, headers=headers)
    assert period.headers["content-disposition"] == 'attachment; filename="satupintu-throughput-2026-07-13-2026-07-16.csv"'

    unknown = await client.get("/api/v1/dashboards/rahasia.csv", headers=headers)
    assert unknown.status_code == 404 and unknown.json()["detail"] == "Grafik 'rahasia' tidak ditemukan."
    reversed_period = await client.get("/api/v1/dashboards", params={"from": "2026-07-16", "to": "2026-07-01"}, headers=headers)
    assert reversed_period.status_code == 422 and reversed_period.json()["errors"][0]["field"] == "to"


@pytest.mark.parametrize("username", [APPLICANT_NIK, "pegawai1"])
async def test_applicants_and_plain_staff_are_refused(client, username):
    token = await login(client, username)
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/dashboards", "/api/v1/dashboards/sla.csv"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 403 and response.json()["detail"] == "Halaman ini hanya untuk pemilik proses dan auditor."
    client.cookies.set(SESSION_COOKIE, token)
    page = await client.get("/dasbor")
    assert page.status_code == 403 and "hanya untuk pemilik proses dan auditor" in page.text
    assert 'href="/dasbor"' not in page.text


async def test_signed_out_visitors_are_asked_to_sign_in(client):
    for path in ("/api/v1/dashboards", "/api/v1/dashboards/sla.csv"):
        assert (await client.get(path)).status_code == 401
    page = await client.get("/dasbor")
    assert page.status_code == 303 and page.headers["location"] == "/masuk?next=/dasbor"
