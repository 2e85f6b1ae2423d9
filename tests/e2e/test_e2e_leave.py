"""End to end over HTTP: the real gateway, the real Temporal dev server, a worker, SQLite and the
SMTP sink — what an employee, a supervisor and the numbering officer do, through the API."""

from datetime import date, timedelta

import httpx

from gateway.services.people import office_today
from tests.factories import COURT, KEMENAG, calendar_of, future_working_range, login, wait_for


async def open_task_for(client: httpx.AsyncClient, headers: dict, subject_id: int, process: str = "leave") -> dict:
    async def find():
        items = (await client.get("/api/v1/tasks", headers=headers, params={"process": process})).json()["items"]
        return next((t for t in items if t["subject_id"] == str(subject_id)), None)

    return await wait_for(find)


async def test_health_and_contract(http):
    health = (await http.get("/healthz")).json()
    assert health == {"ok": True, "database": True, "temporal": True}
    assert (await http.post("/api/v1/auth/login", json={"username": "pegawai1", "password": "salah"})).status_code == 401
    assert (await http.post("/api/v1/auth/login", json={"username": "tidakada", "password": "x"})).status_code == 401
    assert (await http.get("/api/v1/tasks")).status_code == 401
    spec = (await http.get("/openapi.json")).json()
    assert "/api/v1/tasks/{task_id}/decision" in spec["paths"]


async def test_leave_from_request_to_letter(http, live_stack):
    employee, supervisor, numbering = await login(http, "pegawai1"), await login(http, "atasan1"), await login(http, "penomoran1")
    start, end = future_working_range(3, weeks_ahead=2)
    created = await http.post("/api/v1/leave-requests", headers=employee, json={
        "leave_type": "tahunan", "start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "Menghadiri pernikahan adik"})
    assert created.status_code == 201, created.text
    leave = created.json()
    assert leave["status"] == "waiting_supervisor" and leave["working_days"] == 3

    task = await open_task_for(http, supervisor, leave["id"])
    assert task["outcomes"][0]["name"] == "approve" and task["role"] == "atasan" and task["due_at"]
    assert task["form"] == {}
    # The employee does not see the supervisor's task; a colleague cannot decide it.
    assert (await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=employee, json={"outcome": "approve"})).status_code == 403
    refused = await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=supervisor, json={"outcome": "reject"})
    assert refused.status_code == 422 and "Alasan wajib diisi" in refused.json()["detail"]
    assert (await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=supervisor, json={"outcome": "terbang"})).status_code == 422
    approved = await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=supervisor, json={"outcome": "approve"})
    assert approved.status_code == 200, approved.text
    # Answered as soon as the run has recorded it: from that moment the task is out of the inbox and cannot be decided
    # again, whether or not the run has closed its row yet ("closing", then "completed").
    inbox = (await http.get("/api/v1/tasks", headers=supervisor)).json()
    assert task["id"] not in [t["id"] for t in inbox["items"]]
    assert (await http.get(f"/api/v1/tasks/{task['id']}", headers=supervisor)).json()["status"] in ("closing", "completed")
    again = await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=supervisor, json={"outcome": "approve"})
    assert again.status_code == 409

    number_task = await open_task_for(http, numbering, leave["id"])
    assert [o["name"] for o in number_task["outcomes"]] == ["assign_number"]
    assert (await http.post(f"/api/v1/tasks/{number_task['id']}/decision", headers=numbering, json={"outcome": "assign_number"})).status_code == 200

    async def approved_leave():
        body = (await http.get(f"/api/v1/leave-requests/{leave['id']}", headers=employee)).json()
        return body if body["status"] == "approved" else None

    final = await wait_for(approved_leave)
    # The court's leave-letter register and format (process_defs/offices/ms-lhokseumawe/office.yaml).
    assert final["letter_number"].startswith("B-") and final["letter_number"].endswith(f"/MS.W1-A5/KP.05.2/{office_today().month}/{office_today().year}")
    kinds = [h["kind"] for h in final["history"]]
    assert kinds[0] == "submitted" and kinds[-1] == "approved"
    decision = next(h for h in final["history"] if h["kind"] == "task_decided" and h["outcome"] == "approve")
    assert decision["actor"] == "Rahmawati, S.H., M.H." and decision["at"]

    letter = await http.get(final["document_url"].removeprefix(live_stack.base_url), headers=employee)
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")
    assert (await http.get(final["document_url"].removeprefix(live_stack.base_url), headers=await login(http, "pegawai2"))).status_code == 404
    document_id = final["document_url"].rsplit("/", 1)[1].removesuffix(".pdf")
    verification = (await http.get(f"/api/v1/documents/{document_id}/verification")).json()
    assert verification["number"] == final["letter_number"] and verification["signature"]["valid"] is True

    balance = (await http.get("/api/v1/leave-balance", headers=employee, params={"year": start.year})).json()
    assert balance["used"] >= 3

    # Notifications go out beside the process, not before its status moves: wait for the letter's mail.
    async def letter_mailed():
        outbox = (await http.get("/dev/outbox")).json()
        mailed = any(m["channel"] == "email" and m["to"] == "pegawai1@satupintu.local" and final["letter_number"] in m["body"] for m in outbox)
        return outbox if mailed else None

    outbox = await wait_for(letter_mailed)
    assert any(m["channel"] == "email" and m["to"] == "atasan1@satupintu.local" and "Tugas baru" in m["subject"] for m in outbox)
    assert any(m["channel"] == "inapp" and m["to"] == "pegawai1" for m in outbox)


async def test_bad_requests_are_refused_and_nothing_starts(http):
    employee = await login(http, "pegawai2")
    # The live stack is shared by the session: other tests may have left requests of pegawai2 behind.
    earlier = (await http.get("/api/v1/leave-requests", headers=employee)).json()["items"]
    taken = [(date.fromisoformat(r["start_date"]), date.fromisoformat(r["end_date"])) for r in earlier]
    weeks = 5
    while True:
        start, end = future_working_range(2, weeks_ahead=weeks)
        if not any(s <= end and e >= start for s, e in taken):
            break
        weeks += 1
    base = {"leave_type": "tahunan", "start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "Urusan keluarga"}

    async def refused(body: dict, fragment: str) -> None:
        response = await http.post("/api/v1/leave-requests", headers=employee, json=body)
        assert response.status_code == 422, response.text
        assert fragment in response.json()["detail"]

    await refused({**base, "end_date": (start - timedelta(days=1)).isoformat()}, "sebelum tanggal mulai")
    past = office_today() - timedelta(days=3)
    await refused({**base, "start_date": past.isoformat(), "end_date": past.isoformat()}, "masa lalu")
    await refused({**base, "leave_type": "piknik"}, "tidak dikenal")
    await refused({**base, "start_date": "besok"}, "start_date")
    far_start, far_end = future_working_range(25, weeks_ahead=8)
    await refused({**base, "start_date": far_start.isoformat(), "end_date": far_end.isoformat()}, "tidak mencukupi")
    assert (await http.get("/api/v1/leave-requests", headers=employee)).json()["items"] == earlier

    first = await http.post("/api/v1/leave-requests", headers={**employee, "Idempotency-Key": "klik-1"}, json=base)
    double = await http.post("/api/v1/leave-requests", headers={**employee, "Idempotency-Key": "klik-1"}, json=base)
    assert first.status_code == 201 and double.status_code == 200 and double.json()["id"] == first.json()["id"]
    await refused(base, "bertumpuk")
    assert len((await http.get("/api/v1/leave-requests", headers=employee)).json()["items"]) == len(earlier) + 1


async def test_acting_official_sees_and_decides_the_absent_supervisors_task(http):
    official, acting, employee = await login(http, "atasan1"), await login(http, "atasan2"), await login(http, "pegawai1")
    today = office_today()
    sub = await http.post("/api/v1/substitutions", headers=official, json={
        "acting_username": "atasan2", "start_date": today.isoformat(), "end_date": (today + timedelta(days=2)).isoformat(),
        "reason": "Dinas luar ke Banda Aceh"})
    assert sub.status_code == 201, sub.text
    try:
        start, end = future_working_range(1, weeks_ahead=6)
        leave = (await http.post("/api/v1/leave-requests", headers=employee, json={
            "leave_type": "sakit", "start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "Kontrol pascaoperasi"})).json()
        task = await open_task_for(http, acting, leave["id"])
        assert task["acting_for"] == "Rahmawati, S.H., M.H."
        decided = await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=acting, json={"outcome": "reject", "reason": "Lengkapi surat dokter"})
        assert decided.status_code == 200, decided.text

        async def decision_on_the_timeline():
            detail = (await http.get(f"/api/v1/leave-requests/{leave['id']}", headers=employee)).json()
            return next((h for h in detail["history"] if h["kind"] == "task_decided"), None)

        decision = await wait_for(decision_on_the_timeline)
        assert "Plh. Rahmawati" in decision["title"] and decision["actor"] == "Teuku Iskandar, S.E."
    finally:
        await http.delete(f"/api/v1/substitutions/{sub.json()['id']}", headers=official)


async def test_the_kemenag_office_runs_its_own_leave_beside_the_court(http):
    """The same process in another office: its own people decide it, its own register numbers the letter, and the court's
    holders of the same roles neither see its tasks nor may open them."""
    employee, supervisor, numbering = await login(http, "pegawai3"), await login(http, "unitkerja1"), await login(http, "penomoran2")
    court_numbering, court_supervisor = await login(http, "penomoran1"), await login(http, "atasan1")
    start, end = future_working_range(2, weeks_ahead=9, office=KEMENAG)
    created = await http.post("/api/v1/leave-requests", headers=employee, json={
        "leave_type": "tahunan", "start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "Mengantar orang tua berobat"})
    assert created.status_code == 201, created.text
    leave = created.json()
    task = await open_task_for(http, supervisor, leave["id"])
    assert task["role"] == "atasan"
    assert (await http.get(f"/api/v1/tasks/{task['id']}", headers=court_supervisor)).status_code == 404
    assert (await http.get(f"/api/v1/leave-requests/{leave['id']}", headers=court_supervisor)).status_code == 404
    assert (await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=supervisor, json={"outcome": "approve"})).status_code == 200
    number_task = await open_task_for(http, numbering, leave["id"])
    court_inbox = (await http.get("/api/v1/tasks", headers=court_numbering, params={"process": "leave"})).json()["items"]
    assert number_task["id"] not in [t["id"] for t in court_inbox]
    assert (await http.post(f"/api/v1/tasks/{number_task['id']}/decision", headers=court_numbering,
                            json={"outcome": "assign_number"})).status_code == 404
    assert (await http.post(f"/api/v1/tasks/{number_task['id']}/decision", headers=numbering, json={"outcome": "assign_number"})).status_code == 200

    async def approved_leave():
        body = (await http.get(f"/api/v1/leave-requests/{leave['id']}", headers=employee)).json()
        return body if body["status"] == "approved" else None

    final = await wait_for(approved_leave)
    # The Kemenag office's leave-letter format and register, from 1 whatever the court has numbered.
    assert final["letter_number"].startswith("B-") and "/Kk.13.21/1/KP.07.6/" in final["letter_number"]


async def test_claiming_a_role_task(http, live_stack):
    """Role tasks are claimed so two officers do not work on one; a claimed task is refused to others."""
    from sqlalchemy import select

    from store.models import UserRole
    from tests.factories import user

    # A second numbering officer for this test.
    async with live_stack.sessionmaker() as session:
        colleague = await user(live_stack.sessionmaker, "pegawai2")
        if not await session.scalar(select(UserRole).where(UserRole.user_id == colleague.id, UserRole.role == "penomoran")):
            session.add(UserRole(user_id=colleague.id, role="penomoran"))
            await session.commit()
    employee, supervisor = await login(http, "pegawai1"), await login(http, "atasan1")
    officer, other = await login(http, "penomoran1"), await login(http, "pegawai2")
    start, end = future_working_range(1, weeks_ahead=10)
    leave = (await http.post("/api/v1/leave-requests", headers=employee, json={
        "leave_type": "alasan_penting", "start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "Orang tua sakit"})).json()
    task = await open_task_for(http, supervisor, leave["id"])
    await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=supervisor, json={"outcome": "approve"})
    number_task = await open_task_for(http, officer, leave["id"])
    assert (await http.post(f"/api/v1/tasks/{number_task['id']}/claim", headers=officer)).json()["claimed_by"] == "penomoran1"
    assert (await http.post(f"/api/v1/tasks/{number_task['id']}/claim", headers=other)).status_code == 409
    assert (await http.post(f"/api/v1/tasks/{number_task['id']}/decision", headers=other, json={"outcome": "assign_number"})).status_code == 409
    assert (await http.post(f"/api/v1/tasks/{number_task['id']}/unclaim", headers=officer)).status_code == 200
    assert (await http.post(f"/api/v1/tasks/{number_task['id']}/decision", headers=other, json={"outcome": "assign_number"})).status_code == 200


async def test_an_official_on_approved_leave_has_tasks_routed_to_the_plh(http, live_stack):
    """atasan1 takes sick leave from today with atasan2 as Plh.; once approved, pegawai1's new request
    goes to atasan2 as Plh. for those dates."""
    from sqlalchemy import select

    from store.models import Substitution

    # The court's: its head is atasan1's supervisor.
    official, head, officer = await login(http, "atasan1"), await login(http, "pimpinan1"), await login(http, "penomoran1")
    today = office_today()
    end = today + timedelta(days=9)
    assert calendar_of(COURT).working_days_between(today, end) > 0
    leave = (await http.post("/api/v1/leave-requests", headers=official, json={
        "leave_type": "sakit", "start_date": today.isoformat(), "end_date": end.isoformat(), "reason": "Rawat inap",
        "acting_official_username": "atasan2"})).json()
    approval = await open_task_for(http, head, leave["id"])  # her own supervisor decides
    assert (await http.post(f"/api/v1/tasks/{approval['id']}/decision", headers=head, json={"outcome": "approve"})).status_code == 200
    numbering = await open_task_for(http, officer, leave["id"])
    assert (await http.post(f"/api/v1/tasks/{numbering['id']}/decision", headers=officer, json={"outcome": "assign_number"})).status_code == 200

    async def substitution():
        async with live_stack.sessionmaker() as session:
            return await session.scalar(select(Substitution).where(Substitution.leave_request_id == leave["id"]))

    sub = await wait_for(substitution)
    assert (sub.start_date, sub.end_date, sub.source) == (today, end, "leave")
    try:
        acting, employee = await login(http, "atasan2"), await login(http, "pegawai2")
        start, finish = future_working_range(1, weeks_ahead=12)
        request = (await http.post("/api/v1/leave-requests", headers=employee, json={
            "leave_type": "alasan_penting", "start_date": start.isoformat(), "end_date": finish.isoformat(), "reason": "Akad nikah"})).json()
        task = await open_task_for(http, acting, request["id"])
        assert task["owner"] == "atasan1" and task["acting_for"] == "Rahmawati, S.H., M.H."
        assert (await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=acting, json={"outcome": "approve"})).status_code == 200
    finally:
        async with live_stack.sessionmaker() as session:  # later tests expect atasan1 at her desk
            (await session.get(Substitution, sub.id)).cancelled_at = sub.created_at
            await session.commit()
