"""End to end over HTTP: a visitor takes a queue number, the front office calls it and registers the
visit, checks the papers, the back office, the supervisor and the correspondence officer do their
parts, the front office hands the result over with the visitor's rating, and the archivist files it.
Every document is printable, and the visit's timeline tells the story in order."""

import io

import httpx
from pypdf import PdfReader

from tests.factories import login, wait_for


async def decide_step(http: httpx.AsyncClient, headers: dict, code: str, key: str, outcome: str, **body) -> dict:
    async def pending():
        visit = (await http.get(f"/api/v1/walk-ins/{code}", headers=headers)).json()
        return next((t for t in visit["pending_tasks"] if t["id"].endswith(f".{key}")), None)

    task = await wait_for(pending)
    response = await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=headers, json={"outcome": outcome, **body})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_whole_one_day_visit_over_http(live_stack):
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=30) as http:
        ticket = await http.post("/api/v1/queue/A/tickets")
        assert ticket.status_code == 201, ticket.text
        number = ticket.json()["number"]
        fo, bo, supervisor, numbering, archivist = [await login(http, u) for u in ("fo1", "bo1", "supervisor1", "penomoran2", "arsiparis1")]
        called = await http.post("/api/v1/counters/1/call-next", headers=fo)
        assert called.status_code == 200 and called.json()["number"] == number

        services = (await http.get("/api/v1/walk-in-services")).json()
        legalisir = next(s for s in services if s["code"] == "legalisir_ijazah")
        assert legalisir["one_day"] is True and len(legalisir["requirements"]) == 3

        registered = await http.post("/api/v1/walk-ins", headers={**fo, "Idempotency-Key": "visit-1"}, json={
            "service_code": "legalisir_ijazah", "visitor": {"name": "Cut Nyak Dhien", "phone": "0813-5555-0002", "nik": "1173014107800001"},
            "queue_number": number})
        assert registered.status_code == 201, registered.text
        visit = registered.json()
        code = visit["id"]
        assert visit["status"] == "registered" and visit["visitor"]["phone"] == "6281355550002" and visit["queue_number"] == number

        # The FO's checklist is checked by the workflow: a mandatory requirement missing is refused at once.
        async def checklist_task():
            body = (await http.get(f"/api/v1/walk-ins/{code}", headers=fo)).json()
            return body["pending_tasks"][0] if body["pending_tasks"] else None

        task = await wait_for(checklist_task)
        refused = await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=fo,
                                  json={"outcome": "lengkap", "data": {"present": ["fotokopi_ijazah"]}})
        assert refused.status_code == 422 and "Ijazah / transkrip asli" in refused.json()["detail"]
        await decide_step(http, fo, code, "kelengkapan", "lengkap", data={"present": [r["code"] for r in legalisir["requirements"]]})
        await decide_step(http, bo, code, "penelitian", "sesuai")
        await decide_step(http, supervisor, code, "koordinasi", "setujui")
        await decide_step(http, numbering, code, "penomoran", "beri_nomor")
        await decide_step(http, fo, code, "penyerahan", "diserahkan", data={"received_by": "Cut Nyak Dhien", "rating": 4})
        await decide_step(http, archivist, code, "pengarsipan", "diarsipkan", data={"archive_location": "Lemari PTSP 1"})

        async def finished():
            body = (await http.get(f"/api/v1/walk-ins/{code}", headers=fo)).json()
            return body if body["status"] == "done" else None

        done = await wait_for(finished)
        assert done["receipt_number"].startswith("TT-") and done["result_number"].startswith("B-") and done["rating"] == 4
        assert not done["overrun"] and done["pending_tasks"] == []
        steps = [e["kind"] for e in done["timeline"] if not e["kind"].startswith("task_")]
        assert steps == ["registered", "received", "coordination", "approved", "numbered", "handed-over", "archived", "done"]
        documents = {d["kind"]: d for d in done["documents"]}
        assert set(documents) == {"receipt", "result"}
        receipt = await http.get(f"/dokumen/{documents['receipt']['document_id']}.pdf", headers=fo)
        assert receipt.status_code == 200 and len(PdfReader(io.BytesIO(receipt.content)).pages) == 3  # rangkap 3
        # The back office may print them too; an applicant may not even learn they exist.
        assert (await http.get(f"/dokumen/{documents['result']['document_id']}.pdf", headers=bo)).status_code == 200
        applicant = await login(http, "3374010101900001")
        assert (await http.get(f"/dokumen/{documents['result']['document_id']}.pdf", headers=applicant)).status_code == 404
        assert (await http.get(f"/api/v1/walk-ins/{code}", headers=applicant)).status_code == 404

        # A repeated registration with the same key is the same visit.
        again = await http.post("/api/v1/walk-ins", headers={**fo, "Idempotency-Key": "visit-1"}, json={
            "service_code": "legalisir_ijazah", "visitor": {"name": "Cut Nyak Dhien"}})
        assert again.status_code == 200 and again.json()["id"] == code

        # The visitor heard of each step on WhatsApp (seed 000 §3 method 2), each message once, at the Cloud API.
        async def whatsapp_done():
            bodies = [m["text"] for m in live_stack.whatsapp.messages(to="6281355550002")]
            return bodies if any("telah diserahkan" in b for b in bodies) else None

        bodies = await wait_for(whatsapp_done)
        assert "Persyaratan:" in bodies[0] and done["receipt_number"] in "".join(bodies) and done["result_number"] in "".join(bodies)
        assert len(bodies) == len(set(bodies)) == 4

        dashboard = (await http.get("/api/v1/walk-ins/dashboard", headers=supervisor)).json()
        assert code not in [v["id"] for v in dashboard["open"]] and dashboard["today"]["finished"] >= 1
