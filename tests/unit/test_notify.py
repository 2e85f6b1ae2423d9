"""The notification activity: every message recorded per recipient and channel; an SMTP outage
makes the activity fail (Temporal retries it), and the retry delivers each message exactly once."""

import mailbox

import pytest
from sqlalchemy import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import NotifyActivities
from cli.smtp_sink import start_sink
from contracts import NotifyInput
from store.models import Notification
from tests.factories import user


async def test_outage_delays_and_retry_delivers_once(db):
    settings = db.settings.model_copy(update={"smtp_port": _closed_port()})
    notify = NotifyActivities(settings, db.sessionmaker)
    employee = await user(db.sessionmaker, "pegawai1")
    message = NotifyInput(idempotency_key="leave-9.approved", subject="Permohonan cuti disetujui", body="Nomor surat: B-9/…",
                          recipient_ids=[employee.id], recipient_roles=["penomoran"])

    with pytest.raises(ApplicationError, match="will retry"):
        await ActivityEnvironment().run(notify.notify, message)
    async with db.sessionmaker() as session:
        rows = (await session.scalars(select(Notification).order_by(Notification.id))).all()
    assert {(r.channel, r.status) for r in rows} == {("inapp", "sent"), ("email", "failed")}
    assert len([r for r in rows if r.channel == "email"]) == 2  # the employee and the numbering officer

    maildir = db.settings.var_dir / "mail-after-outage"
    sink = start_sink(maildir, port=settings.smtp_port)
    try:
        await ActivityEnvironment().run(notify.notify, message)  # the retry, once the server is back
        await ActivityEnvironment().run(notify.notify, message)  # and a duplicate retry sends nothing more
    finally:
        sink.stop()
    delivered = list(mailbox.Maildir(maildir, factory=None, create=False))
    assert sorted(m["To"] for m in delivered) == ["pegawai1@satupintu.local", "penomoran1@satupintu.local"]
    async with db.sessionmaker() as session:
        rows = (await session.scalars(select(Notification))).all()
    assert len(rows) == 4 and all(r.status == "sent" for r in rows)
    assert all(r.attempts == 2 for r in rows if r.channel == "email")


def _closed_port() -> int:
    from tests.conftest import free_port

    return free_port()
