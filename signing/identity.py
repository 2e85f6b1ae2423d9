"""The installation's signing identity: the key and certificate chain that seal documents (an operator's, or a
development CA made on first use), kept apart from the documents themselves."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

if TYPE_CHECKING:

    from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes, PrivateKeyTypes

    from store.settings import Settings


DEV_CA_KEY = "dev-ca.key.pem"


DEV_CA_CERT = "dev-ca.cert.pem"


DEV_SIGNER_KEY = "dev-signing.key.pem"


# Signer certificate followed by the CA: the same layout an operator uses for signing_cert_path.
DEV_SIGNER_CERT = "dev-signing.cert.pem"


DEV_VALIDITY = dt.timedelta(days=5 * 365)


# Loading an RSA key costs 50-150 ms here (OpenSSL checks the key's primes); the gateway's verification
# page and every document activity ask for the identity. Keyed by both files' versions, so a key or
# certificate replaced on disk (always by rename, see `_write_atomically`) is read again on the next call.
# Only unencrypted key files come through here: the officials' passphrase-locked keys never do.
_IDENTITY_CACHE: dict[tuple[Path, Path], tuple[tuple, SigningIdentity]] = {}


class SigningIdentity(NamedTuple):
    """The key and certificate that sign documents; unpacks as `(private_key, cert, chain)`."""

    private_key: PrivateKeyTypes
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def trust_roots(self) -> list[x509.Certificate]:
        """The anchors a verifier trusts: the self-signed certificates of the chain, else its top."""
        roots = [c for c in self.chain if c.subject == c.issuer]
        if roots:
            return roots
        return [self.chain[-1]] if self.chain else [self.cert]


def _load_pem_certs(path: Path) -> list[x509.Certificate]:
    certs = x509.load_pem_x509_certificates(path.read_bytes())
    if not certs:
        raise ValueError(f"no certificate in {path}")
    return certs


def _file_version(path: Path) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


_IDENTITY_LOCK = threading.Lock()


def _load_identity(key_path: Path, cert_path: Path) -> SigningIdentity:
    paths = (Path(os.path.abspath(key_path)), Path(os.path.abspath(cert_path)))
    version = (_file_version(paths[0]), _file_version(paths[1]))
    with _IDENTITY_LOCK:
        cached = _IDENTITY_CACHE.get(paths)
    if cached is not None and cached[0] == version:
        return cached[1]
    key = serialization.load_pem_private_key(paths[0].read_bytes(), password=None)
    certs = _load_pem_certs(paths[1])
    identity = SigningIdentity(key, certs[0], tuple(certs[1:]))
    # Stat again after reading: a file replaced while we read it is not cached under the old version.
    if (_file_version(paths[0]), _file_version(paths[1])) == version:
        with _IDENTITY_LOCK:
            _IDENTITY_CACHE[paths] = (version, identity)
    return identity


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SatuPintu Dev"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue_signing_certificate(ca_key: CertificateIssuerPrivateKeyTypes, ca_cert: x509.Certificate, subject: x509.Name, *,
                              not_after: dt.datetime, not_before: dt.datetime | None = None) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A new RSA key and a document-signing certificate for it, issued by the CA: the one way this
    installation makes signers (its own dev signer, and each official who signs with TTE)."""
    now = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)  # tolerate small clock skew
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(min(not_after, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    with contextlib.suppress(x509.ExtensionNotFound):
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def _make_dev_pems() -> dict[str, bytes]:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)  # tolerate small clock skew
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("SatuPintu Development CA (BUKAN BSrE)")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + DEV_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    # The CA's own start: a signer starting a second later would be valid a second short of DEV_VALIDITY.
    key, cert = issue_signing_certificate(ca_key, ca_cert, _name("SatuPintu Development Signing (BUKAN BSrE)"),
                                          not_after=now + DEV_VALIDITY, not_before=now)

    def key_pem(k: rsa.RSAPrivateKey) -> bytes:
        return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    pem = serialization.Encoding.PEM
    return {
        DEV_CA_KEY: key_pem(ca_key),
        DEV_CA_CERT: ca_cert.public_bytes(pem),
        DEV_SIGNER_KEY: key_pem(key),
        DEV_SIGNER_CERT: cert.public_bytes(pem) + ca_cert.public_bytes(pem),
    }


def _ensure_dev_identity_files(signing_dir: Path) -> None:
    if (signing_dir / DEV_SIGNER_CERT).exists():
        return
    signing_dir.parent.mkdir(parents=True, exist_ok=True)
    # Build the whole set in a private directory and publish it with one rename: another process
    # starting at the same moment either wins the rename (we then load its files) or loses it,
    # so nobody ever sees half a set or signs with a key that is later overwritten.
    staging = Path(tempfile.mkdtemp(prefix=".signing-", dir=signing_dir.parent))
    try:
        for name, data in _make_dev_pems().items():
            fd = os.open(staging / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        try:
            os.rename(staging, signing_dir)  # atomic; fails if signing_dir exists and is not empty
        except OSError:
            if not (signing_dir / DEV_SIGNER_CERT).exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_or_create_signing_identity(settings: Settings) -> SigningIdentity:
    """The configured signing key and certificate, or (dev mode only) a development CA and signer
    created once under the signing dir (`var_dir/signing` unless SATUPINTU_SIGNING_DIR) and reused from then on."""
    key_path, cert_path = settings.signing_key_path, settings.signing_cert_path
    if key_path or cert_path:
        if not (key_path and cert_path):
            raise ValueError("set both SATUPINTU_SIGNING_KEY_PATH and SATUPINTU_SIGNING_CERT_PATH")
        return _load_identity(Path(key_path), Path(cert_path))
    if not settings.dev_mode:
        raise RuntimeError("no signing key configured: set SATUPINTU_SIGNING_KEY_PATH and SATUPINTU_SIGNING_CERT_PATH")
    signing_dir = Path(settings.effective_signing_dir)
    _ensure_dev_identity_files(signing_dir)
    return _load_identity(signing_dir / DEV_SIGNER_KEY, signing_dir / DEV_SIGNER_CERT)
