"""The Inbox (search, paging, read), the chat per application with attachments and notifications of the
other side, and the IKM survey with its index and grade — over HTTP against the live stack (real gateway,
SQLite, the SMTP sink). Application rows are written directly, as the permit workflow would leave them:
chat works on any status, a survey needs "finished"."""

import email
import email.policy
import mailbox
import re
import secrets
import struct
import zlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from gateway.deps import SESSION_COOKIE
from gateway.services import survey as survey_service
from gateway.services.people import office_today
from store.models import Notification, PermitApplication, StoredFile, User
from tests.factories import PERMIT_OFFICE, applicant_user, office_ids, wait_for
from tests.unit.test_files import pdf_bytes

PDF = pdf_bytes("Denah lokasi")  # a real PDF: uploads are parsed, a hand-made one without a cross-reference table is refused


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


ALL_FOUR = dict.fromkeys(survey_service.ELEMENT_CODES, 4)
SOUND = {q.code: q.sound for q in survey_service.INTEGRITY}


# --- helpers ----------------------------------------------------------------------------------------


@pytest.fixture
async def pages_for(live_stack):
    """Page clients signed in with the session cookie (the API's token), one per person."""
    clients: list[httpx.AsyncClient] = []

    def open_for(headers: dict) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=live_stack.base_url, timeout=30,
                                   cookies={SESSION_COOKIE: headers["Authorization"].removeprefix("Bearer ")})
        clients.append(client)
        return client

    yield open_for
    for client in clients:
        await client.aclose()


async def token(http: httpx.AsyncClient, username: str) -> str:
    response = await http.post("/api/v1/auth/login", json={"username": username, "password": "Demo12345"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def login(http: httpx.AsyncClient, username: str) -> dict:
    return {"Authorization": f"Bearer {await token(http, username)}"}


def new_nik() -> str:
    return "3374" + "".join(str(secrets.randbelow(10)) for _ in range(12))


async def new_applicant(live_stack) -> User:
    return await applicant_user(live_stack.sessionmaker, new_nik())


async def new_application(live_stack, applicant: User, *, permit_type: str = "izin_reklame", status: str = "in_process") -> str:
    """A case row as the permit workflow leaves it (the chat and the survey do not touch the workflow)."""
    async with live_stack.sessionmaker() as session:
        while True:
            resi = secrets.token_hex(3).upper()
            if await session.scalar(select(PermitApplication.id).where(PermitApplication.resi == resi)) is None:
                break
        session.add(PermitApplication(
            office_id=(await office_ids(live_stack.sessionmaker))[PERMIT_OFFICE], resi=resi, applicant_id=applicant.id, agency_code="dpmptsp",
            permit_type=permit_type, request_kind="baru", status=status,
            stage="issued" if status == "finished" else "verification", workflow_id=f"permit-{resi}",
            applicant_data={"full_name": applicant.full_name, "nik": applicant.username},
            location={"street": "Jl. Pemuda 1", "latitude": -6.98, "longitude": 110.41},
            finished_at=datetime.now(UTC) if status == "finished" else None))
        await session.commit()
    return resi


async def finish(live_stack, resi: str) -> None:
    async with live_stack.sessionmaker() as session:
        row = await session.scalar(select(PermitApplication).where(PermitApplication.resi == resi))
        row.status, row.stage, row.finished_at = "finished", "issued", datetime.now(UTC)
        await session.commit()


def mails_to(live_stack, address: str) -> list:
    box = mailbox.Maildir(live_stack.settings.maildir, factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default),
                          create=False)
    return [m for m in box if str(m["To"] or "").lower() == address.lower()]


async def mail_about(live_stack, address: str, text: str):
    async def find():
        return next((m for m in mails_to(live_stack, address) if text in str(m["Subject"] or "")), None)

    return await wait_for(find)


async def inapp_row(live_stack, user_id: int, key: str) -> Notification:
    async def find():
        async with live_stack.sessionmaker() as session:
            return await session.scalar(select(Notification).where(
                Notification.recipient_id == user_id, Notification.channel == "inapp", Notification.idempotency_key == f"{key}|{user_id}"))

    return await wait_for(find)


# --- IKM: the method ------------------------------------------------------------------------------


@pytest.mark.parametrize(("ikm", "grade", "label"), [
    (100, "A", "Sangat Baik"), (88.31, "A", "Sangat Baik"), (88.305, "A", "Sangat Baik"), (88.30, "B", "Baik"),
    (76.61, "B", "Baik"), (76.60, "C", "Kurang Baik"), (65.00, "C", "Kurang Baik"), (64.995, "C", "Kurang Baik"),
    (64.99, "D", "Tidak Baik"), (25, "D", "Tidak Baik"),
])
def test_grade_boundaries(ikm, grade, label):
    assert survey_service.grade(ikm) == (grade, label)


def test_grade_outside_range_is_refused():
    for value in (24.99, 100.01):
        with pytest.raises(ValueError):
            survey_service.grade(value)


def test_ikm_is_the_average_of_element_averages_times_25():
    assert survey_service.respondent_ikm(ALL_FOUR) == 100.0
    assert survey_service.respondent_ikm(dict.fromkeys(survey_service.ELEMENT_CODES, 1)) == 25.0
    mixed = {**dict.fromkeys(survey_service.ELEMENT_CODES, 3), "u9": 2}
    assert survey_service.respondent_ikm(mixed) == 72.22  # 26/9 × 25 = 72,2̅
    assert survey_service.ELEMENT_CODES == tuple(f"u{i}" for i in range(1, 10))
    assert [e.name for e in survey_service.ELEMENTS][7:] == ["Penanganan Pengaduan, Saran, dan Masukan", "Sarana dan Prasarana"]

    class Row:
        def __init__(self, unsur: dict, integrity: dict) -> None:
            self.answers = {"unsur": unsur, "integrity": integrity}

    summary = survey_service.summarize([Row(ALL_FOUR, SOUND), Row(mixed, {**SOUND, "i2": True})])
    # NRR u1–u8 = 3,5, u9 = 3,0 → (8 × 3,5 + 3) / 9 × 25 = 86,11 → B
    assert summary["nrr"]["u1"] == 3.5 and summary["nrr"]["u9"] == 3.0
    assert (summary["responses"], summary["ikm"], summary["grade"], summary["grade_label"]) == (2, 86.11, "B", "Baik")
    assert summary["integrity"]["i2"] == {"problems": 1, "answered": 2} and summary["integrity"]["i1"]["problems"] == 0
    assert survey_service.summarize([])["ikm"] is None


# --- Inbox ------------------------------------------------------------------------------------------


async def test_inbox_search_paging_and_read(http, live_stack, pages_for):
    me = await new_applicant(live_stack)
    other = await new_applicant(live_stack)
    start = datetime.now(UTC) - timedelta(hours=1)
    async with live_stack.sessionmaker() as session:
        for i in range(27):
            session.add(Notification(idempotency_key=f"uji-{me.id}-{i}", channel="inapp", recipient_id=me.id, address=me.username,
                                     subject=f"Info layanan {i}", body=f"Jadwal pelayanan ke-{i}.", status="sent",
                                     created_at=start + timedelta(minutes=i)))
        for i in range(3):
            session.add(Notification(idempotency_key=f"uji-{me.id}-resi-{i}", channel="inapp", recipient_id=me.id, address=me.username,
                                     subject=f"Permohonan diproses ({i})", body=f"Berkas dengan resi ABC12{i} sedang diverifikasi.",
                                     status="sent", created_at=start + timedelta(minutes=40 + i)))
        session.add(Notification(idempotency_key=f"uji-{other.id}-x", channel="inapp", recipient_id=other.id, address=other.username,
                                 subject="Milik orang lain", body="Resi ABC129", status="sent", created_at=start))
        await session.commit()
    headers = await login(http, me.username)

    first = (await http.get("/api/v1/notifications", headers=headers, params={"limit": 10})).json()
    assert first["total"] == 30 and len(first["items"]) == 10 and first["unread"] == 30
    assert first["items"][0]["subject"] == "Permohonan diproses (2)"  # newest first
    assert {"id", "subject", "body", "link", "created_at", "read"} <= set(first["items"][0])
    third = (await http.get("/api/v1/notifications", headers=headers, params={"limit": 10, "offset": 20})).json()
    assert third["total"] == 30 and [n["subject"] for n in third["items"]][-1] == "Info layanan 0"
    ids = {n["id"] for n in first["items"]} | {n["id"] for n in third["items"]}
    assert len(ids) == 20

    # Search in subject and body, case-insensitive; another person's message never shows.
    found = (await http.get("/api/v1/notifications", headers=headers, params={"q": "abc12"})).json()
    assert found["total"] == 3 and all("ABC12" in n["body"] for n in found["items"])
    assert (await http.get("/api/v1/notifications", headers=headers, params={"q": "PERMOHONAN DIPROSES"})).json()["total"] == 3
    assert (await http.get("/api/v1/notifications", headers=headers, params={"q": "100%_"})).json()["total"] == 0
    assert (await http.get("/api/v1/notifications", headers=headers, params={"q": "Milik orang lain"})).json()["total"] == 0

    # Mark one read; someone else's message is not found.
    target = found["items"][0]
    marked = await http.post(f"/api/v1/notifications/{target['id']}/read", headers=headers)
    assert marked.status_code == 200 and marked.json()["read"] is True
    unread = (await http.get("/api/v1/notifications", headers=headers, params={"unread": True, "q": "abc12"})).json()
    assert unread["total"] == 2 and target["id"] not in {n["id"] for n in unread["items"]}
    foreign = (await http.get("/api/v1/notifications", headers=await login(http, other.username))).json()["items"][0]
    assert (await http.post(f"/api/v1/notifications/{foreign['id']}/read", headers=headers)).status_code == 404

    # The page: search box, pages of 25, unread highlighted; htmx gets only the list.
    pages = pages_for(headers)
    page = await pages.get("/notifikasi")
    assert page.status_code == 200 and 'name="q"' in page.text and "Hal 1 dari 2" in page.text and "is-unread" in page.text
    second = await pages.get("/notifikasi", params={"halaman": 2})
    assert "Info layanan 0" in second.text and "Hal 2 dari 2" in second.text
    partial = await pages.get("/notifikasi", params={"q": "abc12"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text and 'id="daftar-notifikasi"' in partial.text
    assert partial.text.count('class="card notif') == 3 and partial.text.count("is-unread") == 2
    # Opening one message shows it in full and marks it read.
    unread_id = unread["items"][0]["id"]
    detail = await pages.get(f"/notifikasi/{unread_id}")
    assert detail.status_code == 200 and "Kepada" in detail.text and "sedang diverifikasi" in detail.text
    assert (await http.get("/api/v1/notifications", headers=headers, params={"unread": True, "q": "abc12"})).json()["total"] == 1
    assert (await pages.get(f"/notifikasi/{foreign['id']}")).status_code == 404


# --- Chat ---------------------------------------------------------------------------------------------


async def test_chat_both_ways_with_attachments_and_notifications(http, live_stack, pages_for):
    applicant = await new_applicant(live_stack)
    stranger = await new_applicant(live_stack)
    resi = await new_application(live_stack, applicant)
    me, officer, outsider = await login(http, applicant.username), await login(http, "verifikator1"), await login(http, stranger.username)
    async with live_stack.sessionmaker() as session:
        verifier = await session.scalar(select(User).where(User.username == "verifikator1"))
    url = f"/api/v1/permit-applications/{resi}/messages"

    # Applicant → officers: text (JSON), then a PDF with a short note (multipart).
    sent = await http.post(url, headers=me, json={"body": "Selamat pagi, apakah berkas saya sudah lengkap?"})
    assert sent.status_code == 201, sent.text
    first = sent.json()
    assert first["sender"]["side"] == "applicant" and first["mine"] is True and first["attachment"] is None
    with_file = await http.post(url, headers=me, data={"body": "Berikut denah lokasi terbaru."},
                                files={"file": ("denah lokasi.pdf", PDF, "application/pdf")})
    assert with_file.status_code == 201, with_file.text
    applicant_file = with_file.json()["attachment"]
    assert applicant_file["original_filename"] == "denah lokasi.pdf" and applicant_file["extension"] == "pdf"
    # The attachment went into the applicant's File Saya.
    library = (await http.get("/api/v1/files", headers=me)).json()["items"]
    assert applicant_file["id"] in {f["id"] for f in library}

    # The verifiers are told: in the app and by email, with a link to the chat page.
    row = await inapp_row(live_stack, verifier.id, f"chat-{first['id']}")
    assert row.link == f"/permohonan/{resi}/chat" and resi in row.subject and "sudah lengkap" in row.body
    mail = await mail_about(live_stack, "verifikator1@satupintu.local", f"Pesan baru dari pemohon — {resi}")
    assert f"/permohonan/{resi}/chat" in mail.get_body(("plain",)).get_content()
    async def officer_told_twice():
        return (await http.get("/api/v1/notifications", headers=officer, params={"q": resi})).json()["total"] >= 2

    await wait_for(officer_told_twice)

    # Officer reads and replies with a picture.
    seen = (await http.get(url, headers=officer)).json()
    assert [m["body"] for m in seen["items"]] == ["Selamat pagi, apakah berkas saya sudah lengkap?", "Berikut denah lokasi terbaru."]
    assert seen["items"][0]["sender"]["name"] == applicant.full_name and seen["items"][0]["mine"] is False
    reply = await http.post(url, headers=officer, files={"file": ("contoh-foto.png", png_bytes(), "image/png")})
    assert reply.status_code == 201, reply.text
    officer_message = reply.json()
    assert officer_message["body"] == "" and officer_message["sender"]["side"] == "staff"
    officer_file = officer_message["attachment"]
    async with live_stack.sessionmaker() as session:
        assert (await session.get(StoredFile, officer_file["id"])).owner_id == verifier.id
    text_reply = await http.post(url, headers=officer, json={"body": "Berkas lengkap. Mohon tunggu proses verifikasi."})
    assert text_reply.status_code == 201

    # The applicant is told, in the app and by email.
    row = await inapp_row(live_stack, applicant.id, f"chat-{officer_message['id']}")
    assert row.link == f"/permohonan/{resi}/chat" and "contoh-foto.png" in row.body
    await mail_about(live_stack, applicant.email, f"Pesan baru dari petugas — {resi}")
    async def applicant_told_twice():
        return (await http.get("/api/v1/notifications", headers=me, params={"q": resi})).json()["total"] == 2

    await wait_for(applicant_told_twice)

    # Each side downloads the other's attachment, through the chat and through the file itself.
    mine = (await http.get(url, headers=me)).json()
    assert mine["total"] == 4 and [m["sender"]["side"] for m in mine["items"]] == ["applicant", "applicant", "staff", "staff"]
    picture = await http.get(officer_file["url"], headers=me)
    assert picture.status_code == 200 and picture.content == png_bytes()
    assert (await http.get(f"/api/v1/files/{officer_file['id']}/content", headers=me)).status_code == 200
    document = await http.get(applicant_file["url"], headers=officer)
    assert document.status_code == 200 and document.content == PDF
    assert (await http.get(f"/api/v1/files/{applicant_file['id']}/content", headers=officer)).status_code == 200
    newer = (await http.get(url, headers=me, params={"after": officer_message["id"]})).json()
    assert [m["body"] for m in newer["items"]] == ["Berkas lengkap. Mohon tunggu proses verifikasi."]

    # Another applicant: the chat, its attachments and the files do not exist for them.
    assert (await http.get(url, headers=outsider)).status_code == 404
    assert (await http.post(url, headers=outsider, json={"body": "Halo"})).status_code == 404
    for file in (officer_file, applicant_file):
        assert (await http.get(file["url"], headers=outsider)).status_code == 404
        assert (await http.get(f"/api/v1/files/{file['id']}/content", headers=outsider)).status_code == 404
        assert (await http.get(f"/api/v1/files/{file['id']}", headers=outsider)).status_code == 404
    assert (await http.get(f"/api/v1/permit-applications/{resi}/messages/{first['id']}/attachment", headers=me)).status_code == 404
    assert (await http.get("/api/v1/permit-applications/ZZZZZZ/messages", headers=me)).status_code == 404

    # Body required unless a file is attached; at most 4000 characters.
    empty = await http.post(url, headers=me, json={"body": "   "})
    assert empty.status_code == 422 and empty.json()["detail"] == "Tulis pesan atau lampirkan berkas."
    too_long = await http.post(url, headers=me, json={"body": "x" * 4001})
    assert too_long.status_code == 422 and "4000" in too_long.json()["detail"]
    assert (await http.post(url, headers=me, json={"body": "x" * 4000})).status_code == 201
    script = await http.post(url, headers=me, data={"body": "lihat"}, files={"file": ("a.pdf", b"<?php echo 1; ?>", "application/pdf")})
    assert script.status_code == 422 and "PHP" in script.json()["detail"]
    assert (await http.post(url, json={"body": "tanpa login"})).status_code == 401

    # The page, for the applicant and for staff; the 5-second poll answers 204 when nothing is new.
    my_pages, officer_pages, outsider_pages = pages_for(me), pages_for(officer), pages_for(outsider)
    page = await my_pages.get(f"/permohonan/{resi}/chat")
    assert page.status_code == 200 and "Berkas lengkap. Mohon tunggu" in page.text and "WIB" in page.text
    assert 'hx-trigger="every 5s"' in page.text and 'name="file"' in page.text
    staff_page = await officer_pages.get(f"/permohonan/{resi}/chat")
    assert staff_page.status_code == 200 and f"/staf/permohonan/{resi}" in staff_page.text
    # Reading the conversation read its notifications.
    assert (await http.get("/api/v1/notifications", headers=me, params={"q": resi, "unread": True})).json()["total"] == 0
    last = (await http.get(url, headers=me)).json()["items"][-1]["id"]
    quiet = await my_pages.get(f"/permohonan/{resi}/chat/baru", params={"setelah": last}, headers={"HX-Request": "true"})
    assert quiet.status_code == 204
    fresh = await my_pages.get(f"/permohonan/{resi}/chat/baru", params={"setelah": first["id"]}, headers={"HX-Request": "true"})
    assert fresh.status_code == 200 and 'hx-swap-oob="beforeend:#percakapan"' in fresh.text and f"setelah={last}" in fresh.text
    assert (await outsider_pages.get(f"/permohonan/{resi}/chat")).status_code == 404

    # Sending from the page (multipart form, redirect back to the conversation).
    posted = await my_pages.post(f"/permohonan/{resi}/chat", data={"body": "Terima kasih, Pak."}, files={"file": ("", b"", "application/octet-stream")})
    assert posted.status_code == 303 and posted.headers["location"].startswith(f"/permohonan/{resi}/chat?pesan=terkirim#pesan-")
    from_page = int(posted.headers["location"].rsplit("#pesan-", 1)[1])
    assert "Terima kasih, Pak." in (await inapp_row(live_stack, verifier.id, f"chat-{from_page}")).body
    refused = await my_pages.post(f"/permohonan/{resi}/chat", data={"body": ""}, files={"file": ("", b"", "application/octet-stream")})
    assert refused.status_code == 422 and "Tulis pesan atau lampirkan berkas." in refused.text


# --- Survey IKM ---------------------------------------------------------------------------------------


async def test_survey_once_after_finish_and_ikm_per_service(http, live_stack, pages_for):
    applicant = await new_applicant(live_stack)
    stranger = await new_applicant(live_stack)
    # A permit type of its own, so the shared stack's other surveys do not change the numbers.
    kind = f"uji_ikm_{secrets.token_hex(3)}"
    resi = await new_application(live_stack, applicant, permit_type=kind)
    me, officer = await login(http, applicant.username), await login(http, "verifikator1")
    url = f"/api/v1/permit-applications/{resi}/survey"
    body = {"answers": ALL_FOUR, "integrity": SOUND, "comment": "Pelayanan cepat dan ramah."}

    early = await http.post(url, headers=me, json=body)
    assert early.status_code == 409 and early.json()["detail"] == "Survei dapat diisi setelah izin selesai."
    state = (await http.get(url, headers=me)).json()
    assert state["can_submit"] is False and state["reason"] == "Survei dapat diisi setelah izin selesai."
    await finish(live_stack, resi)

    assert (await http.post(url, headers=await login(http, stranger.username), json=body)).status_code == 404
    assert (await http.post(url, headers=officer, json=body)).status_code == 403
    bad = await http.post(url, headers=me, json={**body, "answers": {**ALL_FOUR, "u3": 5}})
    assert bad.status_code == 422 and "Waktu Penyelesaian" in bad.json()["detail"]
    missing = await http.post(url, headers=me, json={**body, "answers": {k: v for k, v in ALL_FOUR.items() if k != "u9"}})
    assert missing.status_code == 422 and "Sarana dan Prasarana" in missing.json()["detail"]
    assert (await http.post(url, headers=me, json={**body, "integrity": {"i1": True}})).status_code == 422

    created = await http.post(url, headers=me, json=body)
    assert created.status_code == 201, created.text
    assert (created.json()["ikm"], created.json()["grade"], created.json()["grade_label"]) == (100.0, "A", "Sangat Baik")
    again = await http.post(url, headers=me, json=body)
    assert again.status_code == 409 and again.json()["detail"] == "Survei untuk permohonan ini sudah diisi."
    state = (await http.get(url, headers=me)).json()
    assert state["can_submit"] is False and state["response"]["answers"] == ALL_FOUR

    # A second application, surveyed from the page: 3 on eight elements, 2 on the ninth, an officer asked for money.
    resi2 = await new_application(live_stack, applicant, permit_type=kind, status="finished")
    my_pages = pages_for(me)
    form = await my_pages.get(f"/permohonan/{resi2}/survei")
    assert form.status_code == 200 and "Sangat sesuai" in form.text and "Kuesioner Persepsi Korupsi" in form.text
    answers = {**dict.fromkeys(survey_service.ELEMENT_CODES, "3"), "u9": "2"}
    integrity = {q.code: ("ya" if q.sound else "tidak") for q in survey_service.INTEGRITY} | {"i2": "ya"}
    no_declaration = await my_pages.post(f"/permohonan/{resi2}/survei", data={**answers, **integrity})
    assert no_declaration.status_code == 422 and "Centang pernyataan" in no_declaration.text
    posted = await my_pages.post(f"/permohonan/{resi2}/survei", data={**answers, **integrity, "declaration": "1"})
    assert posted.status_code == 303, posted.text
    done = await my_pages.get(posted.headers["location"])
    assert "Survei berhasil dikirim" in done.text and "Survei sudah diisi" in done.text
    second = (await http.get(f"/api/v1/permit-applications/{resi2}/survey", headers=me)).json()["response"]
    assert (second["ikm"], second["grade"]) == (72.22, "C")

    # The office's recap: per service and period.
    today = office_today()
    report = await http.get("/api/v1/ikm", headers=officer, params={"from": today.isoformat(), "to": today.isoformat()})
    assert report.status_code == 200, report.text
    row = next(i for i in report.json()["items"] if i["permit_type"] == kind)
    assert row["responses"] == 2 and row["nrr"]["u1"] == 3.5 and row["nrr"]["u9"] == 3.0
    assert (row["ikm"], row["grade"], row["grade_label"]) == (86.11, "B", "Baik")
    assert row["integrity"]["i2"] == {"problems": 1, "answered": 2}
    assert [e["code"] for e in report.json()["elements"]] == list(survey_service.ELEMENT_CODES)
    later = (await http.get("/api/v1/ikm", headers=officer, params={"from": (today + timedelta(days=1)).isoformat()})).json()
    assert all(i["permit_type"] != kind for i in later["items"])
    one = (await http.get("/api/v1/ikm", headers=officer, params={"permit_type": "izin_reklame"})).json()
    assert [i["permit_type"] for i in one["items"]] == ["izin_reklame"] and one["items"][0]["permit_type_name"]
    assert (await http.get("/api/v1/ikm", headers=officer, params={"permit_type": "tidak_ada"})).status_code == 422
    assert (await http.get("/api/v1/ikm", headers=officer, params={"from": "2026-02-01", "to": "2026-01-01"})).status_code == 422
    assert (await http.get("/api/v1/ikm", headers=me)).status_code == 403
    # The court's head may read an IKM recap too, of the court's own applications: none of these.
    court = (await http.get("/api/v1/ikm", headers=await login(http, "pimpinan1"), params={"from": today.isoformat()})).json()
    assert all(i["permit_type"] != kind for i in court["items"])

    page = await pages_for(officer).get("/ikm")
    assert page.status_code == 200 and "Indeks Kepuasan Masyarakat" in page.text and "Mutu" in page.text
    assert (await my_pages.get("/ikm")).status_code == 403
    search = await my_pages.get("/survei")
    assert search.status_code == 200 and resi in search.text and resi2 in search.text


def test_questionnaire_shape():
    data = survey_service.questionnaire()
    assert [len(e["options"]) for e in data["elements"]] == [4] * 9
    assert data["elements"][0]["options"][0] == {"value": 1, "label": "Tidak sesuai"}
    assert data["elements"][0]["options"][3] == {"value": 4, "label": "Sangat sesuai"}
    assert len(data["integrity"]) == len(survey_service.INTEGRITY) >= 5


# --- in a real browser: the conversation updates itself ------------------------------------------------


@pytest.fixture
async def chromium():
    from pathlib import Path

    from playwright.async_api import async_playwright

    from tests.chromium import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        await b.close()


@pytest.mark.browser
async def test_chat_page_shows_a_reply_without_reload_and_sends_with_attachment(http, live_stack, chromium, tmp_path):
    from playwright.async_api import expect

    applicant = await new_applicant(live_stack)
    resi = await new_application(live_stack, applicant)
    me, officer = await login(http, applicant.username), await login(http, "verifikator1")
    context = await chromium.new_context(base_url=live_stack.base_url, viewport={"width": 390, "height": 844})
    await context.add_cookies([{"name": SESSION_COOKIE, "value": me["Authorization"][7:], "url": live_stack.base_url}])
    page = await context.new_page()
    await page.goto(f"/permohonan/{resi}/chat")
    await expect(page.get_by_text("Belum ada pesan.")).to_be_visible()

    # The applicant writes, with a PDF; the page comes back with the message.
    attachment = tmp_path / "surat kuasa.pdf"
    attachment.write_bytes(PDF)
    await page.get_by_role("textbox", name="Pesan").fill("Mohon info, kapan verifikasi selesai?")
    await page.get_by_label("Lampiran (opsional)").set_input_files(str(attachment))
    await page.get_by_role("button", name="Kirim").click()
    await expect(page.get_by_role("status")).to_contain_text("Pesan terkirim")
    await expect(page.locator("#percakapan li")).to_have_count(1)
    await expect(page.locator("#percakapan")).to_contain_text("surat kuasa.pdf")
    tab = page.url

    # An officer answers; the open page shows it within the 5-second poll, without a reload.
    assert (await http.post(f"/api/v1/permit-applications/{resi}/messages", headers=officer,
                            json={"body": "Verifikasi selesai paling lambat Jumat."})).status_code == 201
    await expect(page.locator("#percakapan li")).to_have_count(2, timeout=15_000)
    await expect(page.locator("#percakapan li").last).to_contain_text("Verifikasi selesai paling lambat Jumat.")
    await expect(page.locator("#percakapan li").last).to_contain_text("Petugas")
    assert page.url == tab
    assert await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0

    # The inbox: the applicant's notification of the reply; searching swaps the list in place.
    await page.goto("/notifikasi")
    await page.get_by_label("Pencarian").fill(resi)
    await page.get_by_role("button", name="Cari").click()
    await expect(page).to_have_url(re.compile(rf"/notifikasi\?q={resi}"))
    await expect(page.locator("#daftar-notifikasi .notif")).to_have_count(1)
    await expect(page.locator("#daftar-notifikasi")).to_contain_text(f"Pesan baru dari petugas — {resi}")
    await context.close()
