"""The development SMTP sink: accepts every message and keeps it in a Maildir under var/mail.

A message is kept once per X-SatuPintu-Idempotency-Key (activities/notify.py sends the same key on every retry):
a second copy is not stored, as a recipient's mail system would drop it by Message-ID, and is counted in
`handler.duplicates` and logged, so a test can see that a resend happened and that the recipient saw it once."""

import asyncio
import logging
import mailbox
import threading
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

IDEMPOTENCY_HEADER = "X-SatuPintu-Idempotency-Key"


class DedupingMailbox(Mailbox):
    def __init__(self, mail_dir: Path) -> None:
        super().__init__(mail_dir)
        self._lock = threading.Lock()
        self.duplicates: dict[str, int] = {}
        # Keys already in the Maildir: a restarted sink on the same directory still drops a resend.
        self.keys = {m[IDEMPOTENCY_HEADER] for m in mailbox.Maildir(mail_dir, factory=None, create=False) if m[IDEMPOTENCY_HEADER]}

    def handle_message(self, message: Message) -> None:
        key = message[IDEMPOTENCY_HEADER]
        with self._lock:
            if key and key in self.keys:
                self.duplicates[key] = self.duplicates.get(key, 0) + 1
                logging.getLogger(__name__).info("duplicate message dropped: %s", key)
                return
            if key:
                self.keys.add(key)
            super().handle_message(message)


def start_sink(maildir: Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    maildir.parent.mkdir(parents=True, exist_ok=True)
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    controller = Controller(DedupingMailbox(maildir), hostname=host, port=port)
    controller.start()
    return controller


async def serve(maildir: Path, host: str, port: int) -> None:
    controller = start_sink(maildir, host, port)
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()
