"""The development SMTP sink: accepts every message and keeps it in a Maildir under var/mail."""

import asyncio
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


def start_sink(maildir: Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    maildir.parent.mkdir(parents=True, exist_ok=True)
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    controller = Controller(Mailbox(maildir), hostname=host, port=port)
    controller.start()
    return controller


async def serve(maildir: Path, host: str, port: int) -> None:
    controller = start_sink(maildir, host, port)
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()
