"""Where the development WhatsApp API fake (cli/wa_fake.py) keeps the messages it accepted, so that the development
outbox page can list them without importing the fake."""


import json
from pathlib import Path

MESSAGES_FILE = "messages.jsonl"


def fake_dir(var_dir: Path) -> Path:
    return var_dir / "whatsapp"


def read_messages(directory: Path) -> list[dict]:
    """Every message the fake stored, oldest first (empty when the fake never ran here)."""
    path = directory / MESSAGES_FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # a line cut short by a crash: the rest is still readable
    return out
