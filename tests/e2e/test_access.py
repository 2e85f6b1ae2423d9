"""Access refused: every /api/v1 route turns away whoever may not use it (signed out, applicant, staff
without the role, another applicant) with 401/403/404, and a refused call changes nothing.

The gateway runs in process with a connected Temporal client (the shared dev server; no worker). With Temporal
down the same checks still come first: the gateway connects only when a permitted call needs Temporal, so only
someone who may act is told 503 (the last tests)."""

import re
import uuid
from datetime import date

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select

from gateway.security import hash_password
from store import models
from store.models import ApplicantProfile, User, UserRole
from tests.e2e.test_e2e_permit import application_body, upload
from tests.factories import leave_ids_apart, login

APPLICANT = "3374010101900001"

# Routes anyone may call without signing in, and why.
PUBLIC = {
    ("GET", "/api/v1/complaint-categories"): "the public complaint form lists its categories",
    ("POST", "/api/v1/complaints"): "citizens complain without an account (seed 002)",
    ("POST", "/api/v1/criticism"): "public criticism and suggestions box (seed 002)",
    ("GET", "/api/v1/complaints/track/{tracking_number}"): "tracking by the number the complainant was given",
    ("GET", "/api/v1/siramasakan-kinds"): "the public SIRAMASAKAN form lists the kinds of change",
    ("POST", "/api/v1/auth/login"): "signing in",
    ("GET", "/api/v1/auth/challenge"): "the arithmetic challenge of the registration form",
    ("POST", "/api/v1/auth/email-code"): "registration sends an email code (throttled)",
    ("POST", "/api/v1/applicants"): "applicant registration",
    ("POST", "/api/v1/auth/forgot-password"): "PIN reset request (throttled)",
    ("POST", "/api/v1/auth/reset-password"): "PIN reset with the emailed PIN (throttled)",
    ("POST", "/api/v1/auth/staff-forgot-password"): "a member of staff asks for a password link by e-mail (throttled)",
    ("POST", "/api/v1/auth/staff-reset-password"): "a new staff password with the e-mailed one-time link (throttled)",
    ("GET", "/api/v1/regions/provinces"): "region pickers of the registration form",
    ("GET", "/api/v1/regions/provinces/{code}/regencies"): "region pickers of the registration form",
    ("GET", "/api/v1/regions/regencies/{code}/districts"): "region pickers of the registration form",
    ("GET", "/api/v1/regions/districts/{code}/villages"): "region pickers of the registration form",
    ("GET", "/api/v1/leave-types"): "reference data, no personal data",
    ("GET", "/api/v1/working-days"): "the working-day calendar, no personal data",
    ("GET", "/api/v1/documents/{document_id}/verification"): "the QR code on a signed permit is checked by anyone",
    ("GET", "/api/v1/tracking/{resi}"): "public tracking by receipt code (resi)",
    ("GET", "/api/v1/catalog"): "the public service catalog",
    ("GET", "/api/v1/offices"): "the offices a citizen may send a case to",
    ("GET", "/api/v1/catalog/permit-types/{code}"): "the public service catalog",
    ("GET", "/api/v1/survey/questionnaire"): "the IKM questionnaire's questions",
    ("GET", "/api/v1/walk-in-services"): "the counter's services, shown on the kiosk",
    ("POST", "/api/v1/queue/{service_group}/tickets"): "the queue kiosk takes a number without an account",
    ("GET", "/api/v1/counters"): "the queue display",
    ("GET", "/api/v1/queue/display"): "the queue display",
}

# Routes for holders of a role only: (method, path, body) refused to the applicant and to plain staff (pegawai1).
ROLE_ONLY = [
    ("GET", "/api/v1/complaints", None),
    ("GET", "/api/v1/complaints/stats", None),
    ("GET", "/api/v1/ikm", None),
    ("GET", "/api/v1/walk-ins", None),
    ("GET", "/api/v1/walk-ins/dashboard", None),
    ("POST", "/api/v1/walk-ins", {"service_code": "informasi", "visitor": {"name": "Tamu Uji", "phone": "6281200000001"}}),
    ("GET", "/api/v1/counters/A/board", None),
    ("POST", "/api/v1/counters/A/call-next", {}),
    ("POST", "/api/v1/counters/A/recall", {}),
    ("POST", "/api/v1/counters/A/skip", {}),
    ("POST", "/api/v1/letters/incoming", {"sender": "Kanwil Kemenag Aceh", "sender_number": "B-1/Kw.01/OT.00/11/2026",
                                          "subject": "Undangan", "received_via": "kurir", "letter_date": "2026-11-02"}),
    ("GET", "/api/v1/whatsapp/conversations", None),
    ("GET", "/api/v1/whatsapp/conversations/6281234567890", None),
    ("GET", "/api/v1/dashboards", None),
    ("GET", "/api/v1/dashboards/throughput.csv", None),
    ("GET", "/api/v1/runs", None),
    ("GET", "/api/v1/runs/leave-1", None),
    ("GET", "/api/v1/runs/leave-1/history.json", None),
    ("GET", "/api/v1/runs/leave-1/audit.pdf", None),
    ("POST", "/api/v1/runs/leave-1/replay", {}),
    ("POST", "/api/v1/runs/leave-1/cancel", {"reason": "uji akses"}),
    ("POST", "/api/v1/runs/leave-1/tasks/leave-1.supervisor/reassign", {"assignee": "pegawai2", "reason": "uji akses"}),
    ("POST", "/api/v1/runs/leave-1/tasks/leave-1.supervisor/remind", {}),
]
# Staff-only routes an applicant may not use (any staff member may).
STAFF_ONLY = [
    ("GET", "/api/v1/letters", None),
    ("GET", "/api/v1/letters/options", None),
    ("POST", "/api/v1/leave-requests", {"leave_type": "tahunan", "start_date": "2027-02-01", "end_date": "2027-02-02", "reason": "Uji akses"}),
]
# Applicant-only routes a staff member may not use.
APPLICANT_ONLY = [
    ("GET", "/api/v1/profile", None),
    ("PUT", "/api/v1/profile", {"phone": "6281200000002"}),
    ("POST", "/api/v1/profile/email-code", {"email": "baru@example.org"}),
]

# The tables a refused call must leave as they were.
WATCHED = ["User", "LeaveRequest", "Task", "PermitApplication", "StoredFile", "Complaint", "SiramasakanRequest", "WalkInVisit",
           "Letter", "ChatMessage", "SurveyResponse", "Notification", "QueueTicket", "Substitution", "ProcessRun",
           "IssuedNumber", "Document", "WhatsAppMessage", "CaseEvent", "PermitRevision"]


def api_routes(app) -> list[tuple[str, str]]:
    # Every route however deeply its router is included (the API is one router of routers, gateway/api/__init__.py).
    routes = [rc for rc in iter_route_contexts(app.routes) if isinstance(rc.original_route, APIRoute)]
    return sorted({(m, r.path) for r in routes if r.path.startswith("/api/v1") for m in r.methods})


async def counts(sessionmaker) -> dict:
    out = {}
    async with sessionmaker() as session:
        for name in WATCHED:
            model = getattr(models, name, None)
            if model is not None:
                out[name] = await session.scalar(select(func.count()).select_from(model))
    return out


@pytest.fixture
async def api(db, local_env):
    from gateway.app import create_app

    await leave_ids_apart(db.sessionmaker)
    app = create_app(db.settings, temporal_client=local_env.client)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            c.app = app
            yield c


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_signed_out_is_refused_everywhere_but_the_public_routes(api, db) -> None:
    routes = api_routes(api.app)
    assert set(PUBLIC) <= set(routes), f"stale entries in PUBLIC: {set(PUBLIC) - set(routes)}"
    before = await counts(db.sessionmaker)
    wrong = []
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        response = await api.request(method, concrete(path), json={} if method in ("POST", "PUT") else None)
        if response.status_code != 401 or not response.json().get("detail"):
            wrong.append(f"{method} {path}: {response.status_code}")
    assert not wrong, "signed out but not refused:\n" + "\n".join(wrong)
    # A forged or expired token is no better than none.
    assert (await api.get("/api/v1/auth/me", headers={"Authorization": "Bearer abc.def.ghi"})).status_code == 401
    assert await counts(db.sessionmaker) == before


async def test_roles_are_required(api, db) -> None:
    applicant, staff = await login(api, APPLICANT), await login(api, "pegawai1")
    before = await counts(db.sessionmaker)
    wrong = []
    cases = [(who, headers, route) for route in ROLE_ONLY for who, headers in (("pemohon", applicant), ("pegawai1", staff))]
    cases += [("pemohon", applicant, route) for route in STAFF_ONLY] + [("pegawai1", staff, route) for route in APPLICANT_ONLY]
    for who, headers, (method, path, body) in cases:
        response = await api.request(method, path, headers=headers, json=body)
        if response.status_code not in (403, 404) or not response.json().get("detail"):
            wrong.append(f"{who}: {method} {path}: {response.status_code} {response.text[:200]}")
    assert not wrong, "not refused:\n" + "\n".join(wrong)
    assert await counts(db.sessionmaker) == before
    # Every role-only route is a real route (a renamed route must not silently leave the matrix).
    routes = {(m, concrete(p)) for m, p in api_routes(api.app)}
    for method, path, _ in ROLE_ONLY + STAFF_ONLY + APPLICANT_ONLY:
        normalised = re.sub(r"/(A|leave-1|leave-1\.supervisor|6281234567890|throughput)(?=/|$|\.csv)", "/1", path)
        assert (method, normalised) in routes, f"{method} {path} is not a route"


async def second_applicant(sessionmaker) -> str:
    nik = "3374010101900" + str(uuid.uuid4().int % 1000).zfill(3)
    async with sessionmaker() as session:
        other = User(username=nik, full_name="Siti Aminah", email=f"{nik}@example.org", phone="6281234500000",
                     password_hash=hash_password("Demo12345"), kind="applicant", roles=[UserRole(role="pemohon")])
        session.add(other)
        await session.flush()
        session.add(ApplicantProfile(user_id=other.id, nik=nik, gender="P", birth_date=date(1992, 5, 5), education="S1",
                                     address="Jl. Merdeka No. 1", province_code="33", regency_code="33.74", district_code="33.74.01",
                                     village_code="33.74.01.1007", postal_code="50132"))
        await session.commit()
    return nik


async def test_applicant_cannot_reach_another_applicants_things(api, db) -> None:
    """B files a permit, uploads a file, complains and files a SIRAMASAKAN request; A finds none of it (404)."""
    from tests.e2e.test_e2e_siramasakan import GOOD as SIRAMASAKAN

    a, b = await login(api, APPLICANT), await login(api, await second_applicant(db.sessionmaker))
    names = ["surat_permohonan", "ktp", "npwp", "desain_reklame", "foto_lokasi", "denah_lokasi"]
    documents = {name: await upload(api, b, name) for name in names}
    created = await api.post("/api/v1/permit-applications", headers=b, json=application_body(documents))
    assert created.status_code == 201, created.text
    resi = created.json()["resi"]
    complaint = await api.post("/api/v1/complaints/mine", headers=b, json={
        "category": "proses_perizinan", "title": "Permohonan lama", "content": "Permohonan saya belum diverifikasi.", "application_resi": resi})
    assert complaint.status_code == 201, complaint.text
    sira = await api.post("/api/v1/siramasakan", headers=b, json=SIRAMASAKAN)
    assert sira.status_code == 201, sira.text
    file_id, tracking, code = documents["ktp"], complaint.json()["tracking_number"], sira.json()["id"]
    # B sees them: the refusals below are about who asks, not about what exists.
    assert (await api.get(f"/api/v1/permit-applications/{resi}", headers=b)).status_code == 200
    assert (await api.get(f"/api/v1/files/{file_id}/content", headers=b)).status_code == 200

    before = await counts(db.sessionmaker)
    attempts = [
        ("GET", f"/api/v1/permit-applications/{resi}", None),
        ("PUT", f"/api/v1/permit-applications/{resi}", application_body(documents)),
        ("GET", f"/api/v1/permit-applications/{resi}/receipt.pdf", None),
        ("GET", f"/api/v1/permit-applications/{resi}/permit.pdf", None),
        ("GET", f"/api/v1/permit-applications/{resi}/messages", None),
        ("POST", f"/api/v1/permit-applications/{resi}/messages", {"text": "Halo"}),
        ("GET", f"/api/v1/permit-applications/{resi}/survey", None),
        ("POST", f"/api/v1/permit-applications/{resi}/survey", {"answers": {f"u{i}": 4 for i in range(1, 10)},
                                                                "integrity": {f"i{i}": False for i in range(1, 10)}}),
        ("GET", f"/api/v1/files/{file_id}", None),
        ("GET", f"/api/v1/files/{file_id}/content", None),
        ("DELETE", f"/api/v1/files/{file_id}", None),
        ("GET", f"/api/v1/complaints/{tracking}", None),
        ("GET", f"/api/v1/siramasakan/{code}", None),
    ]
    wrong = []
    for method, path, body in attempts:
        response = await api.request(method, path, headers=a, json=body)
        if response.status_code not in (404, 403, 422) or not response.json().get("detail"):
            wrong.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
        elif response.status_code == 422:
            wrong.append(f"{method} {path}: 422 before the ownership check: {response.text[:200]}")
    assert not wrong, "A reached B's things:\n" + "\n".join(wrong)
    # A's own lists do not show B's things; B's tasks are not A's to decide.
    assert resi not in (await api.get("/api/v1/permit-applications", headers=a)).text
    assert file_id not in (await api.get("/api/v1/files", headers=a)).text
    assert tracking not in (await api.get("/api/v1/complaints/mine", headers=a)).text
    assert code not in (await api.get("/api/v1/siramasakan", headers=a)).text
    decision = await api.post(f"/api/v1/tasks/permit-{resi}.verifikasi/decision", headers=a, json={"outcome": "setuju"})
    assert decision.status_code in (403, 404), decision.text
    assert await counts(db.sessionmaker) == before


# --- Temporal down: who may not act is refused first, only who may is told 503 -----------------------------

TASK_ID = "leave-424242.persetujuan-atasan"
LETTER = {"sender": "Kanwil Kemenag Aceh", "sender_number": "B-1/Kw.01/OT.00/11/2026", "subject": "Undangan", "received_via": "kurir",
          "letter_date": "2026-11-02"}
# Routes that reach Temporal, and who may use them.
NEEDS_TEMPORAL = [
    ("POST", f"/api/v1/tasks/{TASK_ID}/decision", {"outcome": "approve"}, "atasan1"),
    ("POST", f"/api/v1/tasks/{TASK_ID}/delegate", {"username": "atasan2", "note": "Mohon telaah"}, "atasan1"),
    ("GET", "/api/v1/runs/leave-424242", None, "pemilik1"),
    ("POST", "/api/v1/runs/leave-424242/cancel", {"reason": "Diajukan ganda"}, "pemilik1"),
    ("POST", f"/api/v1/runs/leave-424242/tasks/{TASK_ID}/reassign", {"to_username": "pimpinan1", "reason": "Atasan dinas luar"}, "pemilik1"),
    ("POST", f"/api/v1/runs/leave-424242/tasks/{TASK_ID}/remind", {"note": "Mohon segera"}, "pemilik1"),
    ("POST", "/api/v1/runs/leave-424242/replay", {}, "auditor1"),
    ("GET", "/api/v1/runs/leave-424242/audit.pdf", None, "auditor1"),
    ("GET", "/api/v1/runs/leave-424242/history.json", None, "auditor1"),
    ("POST", "/api/v1/walk-ins", {"service_code": "legalisir_ijazah", "visitor": {"name": "Tamu Uji", "phone": "6281200000001"}}, "fo1"),
    ("POST", "/api/v1/letters/incoming", LETTER, "fo1"),
]


async def _open_task_for_atasan1(sessionmaker) -> None:
    """The inbox row a leave request waiting on atasan1 has (its run is not needed: Temporal is down)."""
    from store.models import Task, utcnow

    async with sessionmaker() as session:
        atasan = await session.scalar(select(User).where(User.username == "atasan1"))
        session.add(Task(id=TASK_ID, office_id=atasan.office_id, workflow_id="leave-424242", process="leave", subject_id="424242", title="Persetujuan cuti",
                         role="atasan", owner_id=atasan.id, status="open", created_at=utcnow(),
                         outcomes=[{"name": "approve", "label": "Setujui"}, {"name": "reject", "label": "Tolak", "requires_reason": True}]))
        await session.commit()


@pytest.fixture
async def api_without_temporal(db):
    """The gateway as it runs when Temporal is down: its address is a port nobody listens on."""
    from gateway.app import create_app
    from tests.conftest import free_port

    app = create_app(db.settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"}))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            c.app = app
            yield c


async def test_with_temporal_down_the_access_checks_come_before_the_503(api_without_temporal, db) -> None:
    api = api_without_temporal
    await _open_task_for_atasan1(db.sessionmaker)
    people = {name: await login(api, name) for name in (APPLICANT, "pegawai1", "atasan1", "pemilik1", "auditor1", "fo1")}
    before = await counts(db.sessionmaker)
    wrong = []
    for method, path, body, allowed in NEEDS_TEMPORAL:
        anonymous = await api.request(method, path, json=body)
        if anonymous.status_code != 401:
            wrong.append(f"anonymous: {method} {path}: {anonymous.status_code} {anonymous.text[:160]}")
        for who in (APPLICANT, "pegawai1"):
            refused = await api.request(method, path, headers=people[who], json=body)
            if refused.status_code != 403 or not refused.json().get("detail"):
                wrong.append(f"{who}: {method} {path}: {refused.status_code} {refused.text[:160]}")
        unavailable = await api.request(method, path, headers=people[allowed], json=body)
        problem = unavailable.json() if unavailable.headers["content-type"].startswith("application/json") else {}
        if unavailable.status_code != 503 or set(problem) != {"detail", "code", "errors"} or problem["code"] != "temporal_unavailable" \
                or "coba lagi" not in problem["detail"]:
            wrong.append(f"{allowed}: {method} {path}: {unavailable.status_code} {unavailable.text[:160]}")
    assert not wrong, "\n".join(wrong)
    # Nothing was recorded, not even the visit or letter whose process could not start.
    assert await counts(db.sessionmaker) == before
    assert api.app.state.temporal.client is None


async def test_the_gateway_connects_on_first_use_once_temporal_is_up(db, local_env) -> None:
    """Started without a client, the gateway connects when a permitted call first needs Temporal, and keeps the connection."""
    from gateway.app import create_app

    address = local_env.client.service_client.config.target_host
    app = create_app(db.settings.model_copy(update={"temporal_address": address}))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as api:
        assert app.state.temporal.client is None
        refused = await api.post("/api/v1/runs/leave-424242/replay", headers=await login(api, "pegawai1"), json={})
        assert refused.status_code == 403 and app.state.temporal.client is None
        auditor = await login(api, "auditor1")
        missing = await api.post("/api/v1/runs/leave-424242/replay", headers=auditor, json={})
        assert missing.status_code == 404 and missing.json()["code"] == "not_found", missing.text
        connected = app.state.temporal.client
        assert connected is not None
        assert (await api.get("/api/v1/runs/leave-424242/history.json", headers=auditor)).status_code == 404
        assert app.state.temporal.client is connected
