"""TTE: an official signs only after entering their signing passphrase.

National TTE services (BSrE) sign only when the official types a passphrase, and the passphrase
must never reach the workflow history, the database or a log. The flow:

1. Each official who signs has a personal key and certificate. The private key is stored
   **encrypted with the official's passphrase** (PKCS#8, `BestAvailableEncryption`) under
   `<signing dir>/officials/<username>.key.pem` (SATUPINTU_SIGNING_DIR, by default `var_dir/signing`: a local
   folder apart from the document storage, mounted read-only in production); `<username>.cert.pem` holds the official's
   certificate followed by the issuing CA chain. Nothing else on the server can decrypt the key.
2. When the official decides a signing task, the gateway calls `authorize_signing` with the
   passphrase. The key is decrypted in memory, re-wrapped under a random one-time token (HKDF-SHA256
   of the token → Fernet) and stored as a `SigningAuthorization` row keyed by the token's SHA-256;
   the token goes back to the gateway, which puts *only the token* into the workflow update.
3. The signing activity calls `load_authorized_key` with the token, signs, and calls `consume` in the
   same transaction that registers the signed document. Expired rows are purged on the way.

Provisioning. In development `ensure_official_identity` issues the official's certificate from the
installation's development CA (`signing.identity.load_or_create_signing_identity`), so signatures
chain to the same root `verify_document` trusts; the dev seed calls it with the demo passphrase.
In production the agency provisions the same two files for each official (key encrypted with the
official's passphrase, certificate chained to the agency's CA — the root of
`SATUPINTU_SIGNING_CERT_PATH`); `ensure_official_identity` then refuses to invent one. An installation
that signs through the national TTE service instead replaces this module with a pyHanko `Signer`
subclass that forwards the passphrase to the service's API, keeping the same three functions.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, cast

from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from signing.identity import DEV_CA_CERT, DEV_CA_KEY, issue_signing_certificate, load_or_create_signing_identity
from store.locks import get_held
from store.models import SigningAuthorization, Throttle, User

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes, PrivateKeyTypes
    from sqlalchemy.ext.asyncio import AsyncSession

    from store.settings import Settings

log = logging.getLogger(__name__)

OFFICIALS_DIRNAME = "officials"
OFFICIAL_VALIDITY = dt.timedelta(days=2 * 365)
MAX_WRONG_PASSPHRASES = 5
WRONG_PASSPHRASE_WINDOW = dt.timedelta(minutes=15)
_HKDF_INFO = b"satupintu/tte-authorization/v1"
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")

WRONG_PASSPHRASE = "Passphrase TTE salah."
TOO_MANY_ATTEMPTS = "Terlalu banyak percobaan passphrase. Coba lagi nanti."


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class SigningError(Exception):
    """Base of the TTE errors; the message is Bahasa Indonesia, fit to show the official."""


class SigningPassphraseError(SigningError):
    """Wrong passphrase, or too many wrong ones."""


class SigningAuthorizationError(SigningError):
    """The signing token is unknown, already used or expired."""


class SigningIdentityError(SigningPassphraseError):
    """The official has no signing key and certificate (yet), or they do not match. A kind of
    passphrase refusal, so a caller that shows the passphrase error shows this one too."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- the official's key and certificate --------------------------------------------------------


def _official_paths(settings: Settings, username: str) -> tuple[Path, Path]:
    if not _USERNAME.match(username):
        raise ValueError(f"username not usable as a file name: {username!r}")
    folder = Path(settings.effective_signing_dir) / OFFICIALS_DIRNAME
    return folder / f"{username}.key.pem", folder / f"{username}.cert.pem"


def has_official_identity(settings: Settings, user: User) -> bool:
    key_path, cert_path = _official_paths(settings, user.username)
    return key_path.exists() and cert_path.exists()


def _issue_official_pems(ca_key: CertificateIssuerPrivateKeyTypes, ca_cert: x509.Certificate, user: User,
                         passphrase: bytes) -> tuple[bytes, bytes]:
    now = _utcnow() - dt.timedelta(minutes=5)  # tolerate small clock skew
    not_after = now + OFFICIAL_VALIDITY
    organization = [a.value for a in ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "ID")]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(organization[0])))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, user.full_name[:64]))
    if user.nip:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, user.nip))
    key, cert = issue_signing_certificate(ca_key, ca_cert, x509.Name(attributes), not_after=not_after)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(passphrase)
    )
    pem = serialization.Encoding.PEM
    return key_pem, cert.public_bytes(pem) + ca_cert.public_bytes(pem)


def ensure_official_identity(settings: Settings, user: User, passphrase: str) -> None:
    """Issue `user`'s signing key and certificate from the development CA unless they exist.

    The certificate names the official (CN = full name, serialNumber = NIP) and allows
    digitalSignature + nonRepudiation; the key is stored encrypted with `passphrase`. Outside
    development (or when the installation uses a configured certificate) there is no CA key here:
    the agency provisions `<username>.key.pem` / `<username>.cert.pem` and this raises if they are
    missing.
    """
    key_path, cert_path = _official_paths(settings, user.username)
    if key_path.exists() and cert_path.exists():
        return
    if not settings.dev_mode or settings.signing_key_path or settings.signing_cert_path:
        raise SigningIdentityError(
            f"Sertifikat elektronik untuk {user.username} belum dipasang: letakkan {key_path.name} dan "
            f"{cert_path.name} di {key_path.parent}."
        )
    load_or_create_signing_identity(settings)  # makes the dev CA on first use
    signing_dir = Path(settings.effective_signing_dir)
    # The development CA's key, which signing.identity made (an RSA key): a key that can issue certificates.
    ca_key = cast("CertificateIssuerPrivateKeyTypes",
                  serialization.load_pem_private_key((signing_dir / DEV_CA_KEY).read_bytes(), password=None))
    ca_cert = x509.load_pem_x509_certificate((signing_dir / DEV_CA_CERT).read_bytes())
    key_path.parent.mkdir(parents=True, exist_ok=True)
    # Two seeders at once must not leave a key from one and a certificate from the other.
    with open(key_path.parent / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if key_path.exists() and cert_path.exists():
                return
            key_pem, chain_pem = _issue_official_pems(ca_key, ca_cert, user, passphrase.encode("utf-8"))
            _write_atomically(key_path, key_pem)
            _write_atomically(cert_path, chain_pem)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    log.info("issued a development signing certificate for user %s", user.id)


def _unlock(key_pem: bytes, password: bytes) -> PrivateKeyTypes | None:
    """The decrypted key, or None for a wrong passphrase. Kept apart so that no exception raised
    to callers carries a frame holding the passphrase."""
    try:
        return serialization.load_pem_private_key(key_pem, password=password)
    except (ValueError, TypeError):
        return None


def _public_der(key: PrivateKeyTypes) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# --- one-time authorizations -------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _fernet(token: str, signer_id: int) -> Fernet:
    # The signer id is bound into the derivation: a row whose signer was changed no longer decrypts.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO + b"/" + str(signer_id).encode()).derive(
        token.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


async def _purge_expired(session: AsyncSession) -> None:
    await session.execute(delete(SigningAuthorization).where(SigningAuthorization.expires_at <= _utcnow()))


async def _record_wrong_passphrase(session: AsyncSession, key: str, now: dt.datetime, *, signer: User) -> bool:
    """Count a wrong passphrase and commit; True when the signer is now blocked. The count's row is held while it is
    counted (store/locks.py), so wrong passphrases sent at once each count; the first two at once may both find no row,
    and the one that loses the insert counts on the other's."""
    for attempt in range(2):
        try:
            row = await get_held(session, Throttle, key)
            if row is None:
                row = Throttle(key=key, failures=0, window_started_at=now)
                session.add(row)
            if row.window_started_at <= now - WRONG_PASSPHRASE_WINDOW:
                row.failures, row.window_started_at, row.blocked_until = 0, now, None
            row.failures += 1
            if row.failures >= MAX_WRONG_PASSPHRASES:
                row.blocked_until = now + WRONG_PASSPHRASE_WINDOW
            blocked = row.blocked_until is not None and row.blocked_until > now
            await session.commit()
            return blocked
        except IntegrityError:
            await session.rollback()
            await session.refresh(signer)  # the rollback expired the caller's user
            if attempt:
                raise
    return True  # not reached: the second attempt returns or raises


async def authorize_signing(session: AsyncSession, settings: Settings, *, signer: User, passphrase: str, ttl_minutes: int = 60) -> str:
    """Check `signer`'s TTE passphrase and return a one-time signing token valid for `ttl_minutes`.

    Wrong passphrase → `SigningPassphraseError("Passphrase TTE salah.")`; 5 wrong within 15 minutes
    block the signer for 15 minutes. The passphrase is used only to decrypt the key in memory; it
    is not stored, logged or put into any exception.
    """
    key_path, cert_path = _official_paths(settings, signer.username)
    if not (key_path.exists() and cert_path.exists()):
        del passphrase
        raise SigningIdentityError("Sertifikat elektronik penandatangan belum tersedia. Hubungi administrator.")
    throttle_key = f"tte:{signer.id}"
    now = _utcnow()
    throttle = await session.get(Throttle, throttle_key)
    if throttle is not None and throttle.blocked_until is not None and throttle.blocked_until > now:
        del passphrase
        raise SigningPassphraseError(TOO_MANY_ATTEMPTS)

    key_pem, chain_pem = await asyncio.to_thread(lambda: (key_path.read_bytes(), cert_path.read_bytes()))
    # PBKDF2 in the PKCS#8 decryption is deliberately slow: off the event loop.
    private_key = await asyncio.to_thread(_unlock, key_pem, passphrase.encode("utf-8"))
    del passphrase
    if private_key is None:
        blocked = await _record_wrong_passphrase(session, throttle_key, now, signer=signer)
        log.warning("wrong TTE passphrase for user %s", signer.id)
        raise SigningPassphraseError(TOO_MANY_ATTEMPTS if blocked else WRONG_PASSPHRASE)

    chain = x509.load_pem_x509_certificates(chain_pem)
    if not chain or _public_der(private_key) != chain[0].public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise SigningIdentityError("Kunci dan sertifikat elektronik penandatangan tidak cocok. Hubungi administrator.")

    token = secrets.token_urlsafe(32)
    payload = json.dumps(
        {
            "key": private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode("ascii"),
            "chain": chain_pem.decode("ascii"),
        }
    ).encode("utf-8")
    await _purge_expired(session)
    if throttle is not None:
        await session.delete(throttle)
    session.add(
        SigningAuthorization(
            token_hash=_token_hash(token),
            signer_id=signer.id,
            wrapped_key=_fernet(token, signer.id).encrypt(payload).decode("ascii"),
            expires_at=now + dt.timedelta(minutes=ttl_minutes),
        )
    )
    await session.commit()
    log.info("TTE signing authorized for user %s", signer.id)
    return token


async def load_authorized_key(session: AsyncSession, *, token: str) -> tuple[PrivateKeyTypes, list[x509.Certificate], int]:
    """`(private_key, cert_chain, signer_id)` for a live token; the chain starts with the official's
    certificate. Unknown, used or expired → `SigningAuthorizationError`."""
    row = await session.scalar(select(SigningAuthorization).where(SigningAuthorization.token_hash == _token_hash(token)))
    if row is None:
        raise SigningAuthorizationError("Otorisasi TTE tidak dikenal atau sudah dipakai.")
    if row.expires_at <= _utcnow():
        raise SigningAuthorizationError("Otorisasi TTE sudah kedaluwarsa.")
    try:
        payload = json.loads(_fernet(token, row.signer_id).decrypt(row.wrapped_key.encode("ascii")))
    except (InvalidToken, ValueError):
        raise SigningAuthorizationError("Otorisasi TTE tidak dapat dibuka.") from None
    # OpenSSL's RSA key check (50-150 ms, most of a permit's signing time) already ran when
    # `authorize_signing` unlocked the key with the passphrase; Fernet authenticates the payload, so
    # what comes out is that same checked key, unaltered, and is not checked again.
    private_key = serialization.load_pem_private_key(
        payload["key"].encode("ascii"), password=None, unsafe_skip_rsa_key_validation=True
    )
    chain = x509.load_pem_x509_certificates(payload["chain"].encode("ascii"))
    return private_key, chain, row.signer_id


async def consume(session: AsyncSession, token: str) -> None:
    """Delete the authorization (and any expired ones). Does not commit: the caller does so in the
    transaction that records the signed document."""
    await session.execute(delete(SigningAuthorization).where(SigningAuthorization.token_hash == _token_hash(token)))
    await _purge_expired(session)


__all__ = [
    "SigningAuthorizationError",
    "SigningError",
    "SigningIdentityError",
    "SigningPassphraseError",
    "authorize_signing",
    "consume",
    "ensure_official_identity",
    "has_official_identity",
    "load_authorized_key",
]
