"""End to end (issue 17): an administrator makes a member of staff who signs in and receives a task; deactivating them
ends their sessions at once and hands their open task to where the process says — the task's role while others in the
office hold it, else their supervisor — through the run (its history says who, and why); all of it in the change
record. On its own stack (tests/e2e/test_faults.py `stack`): a gateway process, a worker, the Temporal dev server."""

import httpx
from sqlalchemy import select

from store.models import CaseEvent, Task, User
from tests.e2e.test_e2e_permit import application_body, task_for, upload
from tests.factories import login, wait_for

PASSWORD = "Verifikasi-2026"
APPLICANT = "3374010101900001"


async def _task_row(stack, task_id: str) -> Task:
    async with stack.db.sessionmaker() as session:
        return await session.get(Task, task_id)


async def _user_id(stack, username: str) -> int:
    async with stack.db.sessionmaker() as session:
        return await session.scalar(select(User.id).where(User.username == username))


async def _reassignments(http: httpx.AsyncClient, owner: dict, workflow_id: str) -> list[dict]:
    run = await http.get(f"/api/v1/runs/{workflow_id}", headers=owner)
    assert run.status_code == 200, run.text
    return [line for line in run.json()["timeline"] if line["kind"] == "task_changed" and "dialihkan" in line["title"]]


async def test_a_new_verifier_works_then_leaves_and_the_task_goes_where_the_process_says(stack):
    stack.start_gateway()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.gateway_port}", timeout=60) as http:
        admin = await login(http, "admin_dpmptsp")
        created = await http.post("/api/v1/admin/users", headers=admin, json={
            "username": "verifikator2", "full_name": "Dewi Lestari, S.T.", "email": "dewi.lestari@semarangkota.go.id",
            "nip": "199001012015032001", "unit": "PERIZINAN", "position": "Verifikator Perizinan", "supervisor": "kepala1",
            "roles": ["pegawai", "verifikator"], "password": PASSWORD})
        assert created.status_code == 201, created.text
        signed_in = await http.post("/api/v1/auth/login", json={"username": "dewi.lestari@semarangkota.go.id", "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        verifier = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

        # An applicant applies; the new verifier sees the verification task and claims it.
        applicant = await login(http, APPLICANT)
        names = ["surat_permohonan", "ktp", "npwp", "desain_reklame", "foto_lokasi", "denah_lokasi"]
        documents = {name: await upload(http, applicant, name) for name in names}
        submitted = await http.post("/api/v1/permit-applications", headers=applicant, json=application_body(documents))
        assert submitted.status_code == 201, submitted.text
        resi = submitted.json()["resi"]
        task = await task_for(http, verifier, resi, "verifikasi-1")
        workflow_id, task_id = task["workflow_id"], task["id"]
        claimed = await http.post(f"/api/v1/tasks/{task_id}/claim", headers=verifier)
        assert claimed.status_code == 200, claimed.text
        # The process owner gives it to her by name (a task she holds as its owner, not only as one of the role).
        owner = await login(http, "pemilik2")
        given = await http.post(f"/api/v1/runs/{workflow_id}/tasks/{task_id}/reassign", headers=owner,
                                json={"to_username": "verifikator2", "reason": "Ditangani verifikator yang baru"})
        assert given.status_code == 200, given.text
        dewi = await _user_id(stack, "verifikator2")

        async def owned_by_dewi():
            row = await _task_row(stack, task_id)
            return row if row.owner_id == dewi else None

        await wait_for(owned_by_dewi)

        # Another office's administrator cannot touch her.
        court = await login(http, "admin_ms")
        assert (await http.get("/api/v1/admin/users/verifikator2", headers=court)).status_code == 404
        assert (await http.post("/api/v1/admin/users/verifikator2/deactivate", headers=court, json={"reason": "x"})).status_code == 404

        # Before: what deactivating her would hand on. Another verifier is active, so the task goes back to the role.
        plan = (await http.get("/api/v1/admin/users/verifikator2/deactivation-plan", headers=admin)).json()
        assert [(h["task_id"], h["held_as"], h["to"]) for h in plan["handovers"]] == [(task_id, "owner", "role")]
        done = await http.post("/api/v1/admin/users/verifikator2/deactivate", headers=admin, json={"reason": "Mutasi ke Dinas Kesehatan"})
        assert done.status_code == 200, done.text
        result = done.json()
        assert result["complete"] is True and result["user"]["is_active"] is False
        assert [(h["task_id"], h["to"], h["role"], h["done"]) for h in result["handovers"]] == [(task_id, "role", "verifikator", True)]
        # Her sessions ended at once.
        assert (await http.get("/api/v1/tasks", headers=verifier)).status_code == 401
        assert (await http.post("/api/v1/auth/login", json={"username": "verifikator2", "password": PASSWORD})).status_code == 401
        row = await _task_row(stack, task_id)
        assert row.status == "open" and row.owner_id is None and row.role == "verifikator" and row.claimed_by_id is None
        # Any verifier of the office has it now.
        other = await login(http, "verifikator1")
        assert task_id in [t["id"] for t in (await http.get("/api/v1/tasks", headers=other, params={"process": "permit"})).json()["items"]]
        # The run's own history says who handed it on, to whom, and why; the case's timeline names the administrator.
        moved = await _reassignments(http, owner, workflow_id)
        assert len(moved) == 2, moved
        assert moved[-1]["actor"] == "Administrator DPMPTSP Kota Semarang (admin_dpmptsp)"
        assert "dialihkan kepada Verifikator Perizinan" in moved[-1]["title"]
        assert "Mutasi ke Dinas Kesehatan" in moved[-1]["reason"] and "Dewi Lestari" in moved[-1]["reason"]
        async with stack.db.sessionmaker() as session:
            lines = list(await session.scalars(select(CaseEvent.title).where(CaseEvent.workflow_id == workflow_id, CaseEvent.kind == "task_reassigned")
                                               .order_by(CaseEvent.occurred_at)))
        assert lines[-1].startswith("Dialihkan oleh Administrator DPMPTSP Kota Semarang (administrator) dari Dewi Lestari"), lines

        # A second newcomer gets it by name; when the last other verifier has also left, it goes to the supervisor.
        second = await http.post("/api/v1/admin/users", headers=admin, json={
            "username": "verifikator3", "full_name": "Rudi Hartono, S.T.", "email": "rudi.hartono@semarangkota.go.id", "unit": "PERIZINAN",
            "supervisor": "kasi1", "roles": ["pegawai", "verifikator"], "password": PASSWORD})
        assert second.status_code == 201, second.text
        given = await http.post(f"/api/v1/runs/{workflow_id}/tasks/{task_id}/reassign", headers=owner,
                                json={"to_username": "verifikator3", "reason": "Dilanjutkan verifikator baru"})
        assert given.status_code == 200, given.text
        rudi = await _user_id(stack, "verifikator3")

        async def owned_by_rudi():
            row = await _task_row(stack, task_id)
            return row if row.owner_id == rudi else None

        await wait_for(owned_by_rudi)
        first = await http.post("/api/v1/admin/users/verifikator1/deactivate", headers=admin, json={"reason": "Tugas belajar"})
        assert first.status_code == 200 and first.json()["handovers"] == []
        done = await http.post("/api/v1/admin/users/verifikator3/deactivate", headers=admin, json={"reason": "Mengundurkan diri"})
        assert done.status_code == 200, done.text
        assert [(h["to"], h["to_user"], h["done"]) for h in done.json()["handovers"]] == [("supervisor", "kasi1", True)]
        kasi = await _user_id(stack, "kasi1")
        row = await _task_row(stack, task_id)
        assert row.status == "open" and row.owner_id == kasi
        moved = await _reassignments(http, owner, workflow_id)
        assert "dialihkan kepada Ir. Mukhlis, M.Si. (kasi1)" in moved[-1]["title"] and moved[-1]["reason"].endswith("Mengundurkan diri")
        supervisor = await login(http, "kasi1")
        assert task_id in [t["id"] for t in (await http.get("/api/v1/tasks", headers=supervisor)).json()["items"]]

        # All of it is in the change record, newest first.
        record = (await http.get("/api/v1/admin/changes", headers=admin)).json()["items"]
        assert [(c["action"], c["target"]) for c in record[:5]] == [
            ("user.deactivate", "user:verifikator3"), ("user.deactivate", "user:verifikator1"), ("user.create", "user:verifikator3"),
            ("user.deactivate", "user:verifikator2"), ("user.create", "user:verifikator2")]
        assert record[0]["reason"] == "Mengundurkan diri" and record[0]["after"]["handovers"][0]["to"] == "Ir. Mukhlis, M.Si."
        assert record[3]["after"]["handovers"][0]["to"] == "peran Verifikator Perizinan" and record[3]["actor"] == "Administrator DPMPTSP Kota Semarang"
        assert (await http.get("/api/v1/admin/changes", headers=court)).json()["items"] == []
