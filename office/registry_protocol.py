"""How the office and the civil registry (Disdukcapil) recognise each other's messages: an HMAC-SHA256 of the raw
body with the shared secret, in one header, both ways (the hand-off the worker sends, the callback the gateway takes)."""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Registry-Signature"


def registry_signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the raw body>` with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    return hmac.compare_digest(registry_signature(secret, body).encode(), header.strip().encode())
