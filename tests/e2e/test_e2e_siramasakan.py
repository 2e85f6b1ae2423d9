"""End to end over HTTP: an applicant files a SIRAMASAKAN request with the case, court staff mark the case
decided and the documents complete, the civil-registry officer processes the change in the inbox, and the
applicant sees the request finished with the documents to collect. Wrong input is refused with Bahasa
messages naming the fields, and nothing starts."""

from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from process_defs.siramasakan import load_siramasakan
from store.models import SiramasakanRequest
from tests.factories import COURT, calendar_of, login, wait_for

GOOD = {"case_number": "77/Pdt.G/2026/MS.Lsm", "kk_number": "1173010101200077",
        "changes": [{"nik": "1173014107800077", "kind": "status_perkawinan", "description": "Cerai gugat"},
                    {"nik": "1173014107800078", "kind": "hak_asuh_anak", "description": ""}]}


async def decide_step(http: httpx.AsyncClient, headers: dict, applicant: dict, code: str, key: str, outcome: str, **body) -> None:
    async def pending():
        req = (await http.get(f"/api/v1/siramasakan/{code}", headers=headers)).json()
        return next((t for t in req["pending_tasks"] if t["id"].endswith(f".{key}")), None)

    task = await wait_for(pending)
    response = await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=headers, json={"outcome": outcome, **body})
    assert response.status_code == 200, response.text


async def test_applicant_files_court_completes_registry_processes_over_http(live_stack):
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=30) as http:
        applicant, panitera, dukcapil = [await login(http, u) for u in ("3374010101900001", "panitera1", "dukcapil1")]
        kinds = (await http.get("/api/v1/siramasakan-kinds")).json()
        assert {"code": "status_perkawinan", "label": load_siramasakan().change_kinds["status_perkawinan"].label,
                "documents": ["KK", "KTP-el"]} in kinds

        filed = await http.post("/api/v1/siramasakan", headers={**applicant, "Idempotency-Key": "sira-e2e-1"}, json=GOOD)
        assert filed.status_code == 201, filed.text
        code = filed.json()["id"]
        assert filed.json()["status"] == "menunggu_putusan" and filed.json()["case_number"] == "77/Pdt.G/2026/MS.Lsm"
        again = await http.post("/api/v1/siramasakan", headers={**applicant, "Idempotency-Key": "sira-e2e-1"}, json=GOOD)
        assert again.status_code == 200 and again.json()["id"] == code

        # Only court and registry staff see every request and the over-SLA list.
        assert (await http.get("/api/v1/siramasakan", headers=applicant, params={"over_sla": "true"})).status_code == 403
        assert code in [r["id"] for r in (await http.get("/api/v1/siramasakan", headers=panitera)).json()["items"]]
        assert (await http.get("/api/v1/siramasakan", headers=panitera, params={"over_sla": "true"})).status_code == 200

        today = calendar_of(COURT).local_today(datetime.now(UTC)).isoformat()  # the court's date
        await decide_step(http, panitera, applicant, code, "putusan", "lengkap", data={"case_number": GOOD["case_number"], "decision_date": today})
        await decide_step(http, dukcapil, applicant, code, "dukcapil", "diproses")

        async def finished():
            body = (await http.get(f"/api/v1/siramasakan/{code}", headers=applicant)).json()
            return body if body["status"] == "selesai" else None

        done = await wait_for(finished)
        assert done["documents_to_collect"] == ["KK", "KTP-el"] and done["collection_office"] == load_siramasakan().collection_office
        assert done["handoff_path"] == "internal" and done["decision_date"] == today and done["pending_tasks"] == []
        steps = [e["kind"] for e in done["timeline"] if not e["kind"].startswith("task_")]
        assert steps == ["filed", "decided", "handed-off", "processed"]

        page = await http.get(f"/siramasakan/{code}", headers=applicant)
        assert page.status_code == 200 and "Selesai" in page.text and "KTP-el" in page.text and "Apa selanjutnya" in page.text
        staff_page = await http.get("/siramasakan", headers=dukcapil)
        assert staff_page.status_code == 200 and "Hand-off melewati SLA" in staff_page.text and code in staff_page.text
        own = await http.get("/siramasakan", headers=applicant)
        assert own.status_code == 200 and "Ajukan permohonan" in own.text and code in own.text
        # Another person cannot even learn the request exists.
        assert (await http.get(f"/api/v1/siramasakan/{code}", headers=await login(http, "pegawai1"))).status_code == 404


async def test_wrong_input_is_refused_in_bahasa_and_nothing_starts(live_stack):
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=30) as http:
        applicant = await login(http, "3374010101900001")
        async with live_stack.sessionmaker() as session:
            before = await session.scalar(select(func.count()).select_from(SiramasakanRequest))
        bad = {"case_number": "123/Pid.B/2026/PN.Lsm", "kk_number": "12345",
               "changes": [{"nik": "11730141078000", "kind": "ganti_agama", "description": "x" * 1001},
                           {"nik": "1173014107800077", "kind": "status_perkawinan"},
                           {"nik": "1173014107800077", "kind": "status_perkawinan"}]}
        refused = await http.post("/api/v1/siramasakan", headers=applicant, json=bad)
        assert refused.status_code == 422
        body = refused.json()
        fields = {e["field"]: e["message"] for e in body["errors"]}
        assert body["code"] == "invalid" and "Nomor perkara tidak sesuai format" in fields["case_number"]
        assert fields["kk_number"] == "Nomor KK harus 16 digit angka."
        assert "NIK harus 16 digit" in fields["changes.0.nik"] and "pilih jenis perubahan" in fields["changes.0.kind"]
        assert "1000 karakter" in fields["changes.0.description"] and "sudah ada di baris lain" in fields["changes.2.kind"]
        empty = await http.post("/api/v1/siramasakan", headers=applicant, json={**GOOD, "changes": []})
        assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "changes"
        too_many = await http.post("/api/v1/siramasakan", headers=applicant, json={**GOOD, "changes": [
            {"nik": f"11730141078001{i:02d}", "kind": "perwalian"} for i in range(11)]})
        assert too_many.status_code == 422 and "Paling banyak 10" in too_many.json()["detail"]
        missing = await http.post("/api/v1/siramasakan", headers=applicant, json={"kk_number": "1173010101200077"})
        assert missing.status_code == 422 and {"case_number", "changes"} <= {e["field"] for e in missing.json()["errors"]}
        # The page's form: "Tambah baris" keeps what was typed and adds a row; a wrong KK is named beside its field.
        form = {"case_number": "12/Pdt.P/2026/MS.Lsm", "kk_number": "123", "rows": "3", "client_key": "abcdef0123456789",
                "changes.0.nik": "1173014107800077", "changes.0.kind": "perwalian"}
        more = await http.post("/siramasakan", headers=applicant, data={**form, "aksi": "tambah"})
        assert more.status_code == 200 and 'name="changes.3.nik"' in more.text and 'value="12/Pdt.P/2026/MS.Lsm"' in more.text
        page = await http.post("/siramasakan", headers=applicant, data=form)
        assert page.status_code == 422 and "Nomor KK harus 16 digit angka." in page.text and 'id="kk_number-galat"' in page.text
        # Staff do not file requests.
        assert (await http.post("/api/v1/siramasakan", headers=await login(http, "panitera1"), json=GOOD)).status_code == 403
        async with live_stack.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(SiramasakanRequest)) == before


async def test_the_callback_refuses_the_published_dev_secret_outside_development(db):
    import hashlib
    import hmac

    from gateway.app import create_app

    body = b'{"event_id": "e-1", "request_id": "S123456", "status": "processed"}'
    signature = "sha256=" + hmac.new(b"dev-registry-secret", body, hashlib.sha256).hexdigest()
    app = create_app(db.settings.model_copy(update={"dev_mode": False}))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            response = await client.post("/webhooks/civil-registry", content=body,
                                         headers={"Content-Type": "application/json", "X-Registry-Signature": signature})
    assert response.status_code == 503 and response.json()["code"] == "registry_not_configured"
