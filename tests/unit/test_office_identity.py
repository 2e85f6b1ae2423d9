"""Every page, e-mail and message about a case speaks for the office the case belongs to (issue 17): the public
verification page names the office that issued the document, a queue slip its office, an e-mail is signed by the
office it is about, the WhatsApp assistant answers as its conversation's office."""

import email
import email.policy
import mailbox
from datetime import UTC, datetime

from sqlalchemy import select, update

from activities.notify import NotifyActivities
from activities.whatsapp import WhatsAppActivities
from cli.seed import COURT, KEMENAG
from contracts import NO_OFFICE, AutoReplyInput, ConversationState, NotifyInput
from gateway.services import queue as queue_service
from store.models import Document, Office, QueueTicket, User, WalkInVisit

KEMENAG_NAME = "Kantor Kementerian Agama Kabupaten Lamongan"
COURT_NAME = "Mahkamah Syar'iyah Lhokseumawe"


async def office_id(db, code: str) -> int:
    async with db.sessionmaker() as session:
        return await session.scalar(select(Office.id).where(Office.code == code))


async def page_login(client, username: str) -> None:
    response = await client.post("/masuk", data={"username": username, "password": "Demo12345", "next": "/"})
    assert response.status_code == 303, response.text


def mails(db) -> list[email.message.EmailMessage]:
    box = mailbox.Maildir(db.settings.maildir, factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default), create=False)
    return list(box)


# --- pages ---------------------------------------------------------------------------------------------


async def test_the_verification_page_names_the_office_that_issued_the_document(db, client):
    kemenag = await office_id(db, KEMENAG)
    async with db.sessionmaker() as session, session.begin():
        fo = await session.scalar(select(User).where(User.username == "fo1"))
        session.add(WalkInVisit(code="KX0001", office_id=kemenag, workflow_id="walkin-KX0001", service_code="legalisir_ijazah",
                                service_name="Legalisir Ijazah Madrasah", one_day=True, visitor_name="Siti Aminah", registered_by_id=fo.id,
                                status="registered", stage="research"))
        session.add(Document(id="kx0001tandaterima", idempotency_key="walkin-KX0001.tanda-terima", kind="walkin_receipt",
                             workflow_id="walkin-KX0001", title="Tanda Terima Berkas KX0001", file_name="kx0001tandaterima.pdf",
                             sha256="0" * 64, summary={"Dokumen": "Tanda Terima Berkas"}))
        # A document whose run no row names (one from a run the register no longer has).
        session.add(Document(id="tanpakantor", idempotency_key="lama.1", kind="surat_izin_cuti", workflow_id="leave-hilang",
                             title="Surat Izin Cuti", file_name="tanpakantor.pdf", sha256="1" * 64, summary={}))

    api = (await client.get("/api/v1/documents/kx0001tandaterima/verification")).json()
    assert api["office"] == {"code": KEMENAG, "name": KEMENAG_NAME}
    page = await client.get("/verifikasi/kx0001tandaterima")
    assert page.status_code == 200
    assert f"diterbitkan oleh {KEMENAG_NAME}" in page.text and f"<dd>{KEMENAG_NAME}</dd>" in page.text
    assert "Lhokseumawe" not in page.text

    # Whoever asks: staff of another office, whose own reads see none of Kemenag's rows, are told the same.
    await page_login(client, "pegawai1")
    page = await client.get("/verifikasi/kx0001tandaterima")
    assert f"diterbitkan oleh {KEMENAG_NAME}" in page.text

    unknown = await client.get("/verifikasi/tanpakantor")
    assert unknown.status_code == 200 and "diterbitkan oleh kantor penerbitnya" in unknown.text
    assert (await client.get("/api/v1/documents/tanpakantor/verification")).json()["office"] is None


async def test_a_queue_slip_names_the_office_whose_queue_it_is(db, client):
    async with db.sessionmaker() as session, session.begin():
        ticket = QueueTicket(office_id=await office_id(db, KEMENAG), service_day=queue_service.service_day(), group_code="A", sequence=1,
                             number="A-001", status="waiting", recall_count=0, created_at=datetime.now(UTC))
        session.add(ticket)
    page = await client.get(f"/antrian/tiket/{ticket.id}")
    assert page.status_code == 200
    assert f'<p class="queue-slip-office">{KEMENAG_NAME}</p>' in page.text and "A-001" in page.text
    assert "Lhokseumawe" not in page.text


# --- messages ----------------------------------------------------------------------------------------


async def test_an_email_is_signed_by_the_office_it_is_about(db):
    notify = NotifyActivities(db.settings, db.sessionmaker)
    await notify.send(NotifyInput(idempotency_key="walkin-KX0002.selesai", subject="Berkas Anda selesai", body="Silakan ambil di loket.",
                                  channels=["email"], recipient_emails=["warga@contoh.id"], office=KEMENAG))
    [mail] = mails(db)
    assert mail["From"] == f"{KEMENAG_NAME} <noreply@satupintu.local>"
    assert mail["Subject"] == "[Kemenag Lamongan] Berkas Anda selesai"
    signature = mail.get_content().split("\n-- \n", 1)[1]
    assert signature.splitlines()[:3] == [KEMENAG_NAME, "Jl. Veteran No. 2, Lamongan, Jawa Timur 62211",
                                          "Telp. 0322-321234, Email: kablamongan@kemenag.go.id"]
    assert "Lhokseumawe" not in mail.as_string()


async def test_a_message_of_a_run_from_before_offices_is_signed_by_the_first_office_as_it_is_named_today(db):
    async with db.sessionmaker() as session, session.begin():
        await session.execute(update(Office).where(Office.code == COURT).values(name="Mahkamah Syar'iyah Kota Lhokseumawe"))
    await NotifyActivities(db.settings, db.sessionmaker).send(NotifyInput(
        idempotency_key="leave-7.approved", subject="Cuti disetujui", body="Surat izin cuti terlampir.", channels=["email"],
        recipient_emails=["pegawai@contoh.id"]))
    [mail] = mails(db)
    assert mail.get_content().split("\n-- \n", 1)[1].startswith("Mahkamah Syar'iyah Kota Lhokseumawe\nJl. Iskandar Muda")


async def test_the_whatsapp_assistant_answers_as_its_conversations_office(db):
    assistant = WhatsAppActivities(db.settings, db.sessionmaker)
    reply = await assistant.auto_reply(AutoReplyInput(text="halo", state=ConversationState(), office=COURT))
    assert f"Selamat datang di layanan WhatsApp PTSP {COURT_NAME}" in reply.reply
    reply = await assistant.auto_reply(AutoReplyInput(text="halo", state=ConversationState(), office=KEMENAG))
    assert f"PTSP {KEMENAG_NAME}" in reply.reply and "Lhokseumawe" not in reply.reply
    # A conversation from before offices: the first office's assistant.
    reply = await assistant.auto_reply(AutoReplyInput(text="halo", state=ConversationState()))
    assert f"PTSP {COURT_NAME}" in reply.reply


async def test_an_applicants_own_email_speaks_for_no_office(db):
    """A registration code belongs to the applicant's account, which belongs to no office: no office signs it, not even
    the first one (before NO_OFFICE it went out signed by the court, whatever office the applicant came for)."""
    from gateway.services import applicants as applicant_service

    async with db.sessionmaker() as session:
        pending = await applicant_service.prepare_code(session, db.settings, email="calon@contoh.id",
                                                       purpose=applicant_service.PURPOSE_REGISTER)
    assert pending.message.office == NO_OFFICE
    await NotifyActivities(db.settings, db.sessionmaker).send(pending.message)
    [mail] = mails(db)
    assert mail["Subject"].startswith("[SatuPintu] ")
    assert mail.get_content().split("\n-- \n", 1)[1].strip() == "Pesan otomatis SatuPintu. Mohon tidak membalas email ini."
    assert COURT_NAME not in mail.as_string() and "Lhokseumawe" not in mail.as_string()
