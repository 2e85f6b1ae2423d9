"""PAdES signatures: signing a rendered PDF with an identity (off the event loop) and verifying a signed one."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from cryptography.hazmat.primitives import hashes, serialization

if TYPE_CHECKING:

    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
    from pyhanko.sign.attributes import CMSAttributeProvider, SignedAttributeProviderSpec
    from pyhanko.sign.signers import SimpleSigner
from signing.identity import SigningIdentity

# Per signing certificate (and chain): only public material, never a key, so caching it cannot make a
# key outlive its one-time TTE authorization. Bounded: one entry per official who signs.
_MATERIAL: OrderedDict[bytes, _SignerMaterial] = OrderedDict()


class _SignerMaterial(NamedTuple):
    """What signing needs of a certificate and its chain, encoded once: DER only, so no parsed ASN.1
    object (asn1crypto parses lazily, not thread-safely) is shared between concurrent signatures."""

    cert_der: bytes
    chain_der: tuple[bytes, ...]
    signing_certificate_v2: bytes  # DER of the ESS signing-certificate-v2 attribute value naming the certificate
    bytes_reserved: int | None  # hex room the CMS needs in the PDF, once measured


_MATERIAL_MAX = 256


_MATERIAL_LOCK = threading.Lock()


def _material_key(identity: SigningIdentity) -> bytes:
    digest = hashlib.sha256()
    for cert in (identity.cert, *identity.chain):
        digest.update(cert.fingerprint(hashes.SHA256()))
    return digest.digest()


def _material(identity: SigningIdentity) -> tuple[bytes, _SignerMaterial]:
    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module
    from pyhanko.sign.general import as_signing_certificate_v2  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module

    key = _material_key(identity)
    with _MATERIAL_LOCK:
        material = _MATERIAL.get(key)
        if material is not None:
            _MATERIAL.move_to_end(key)
            return key, material
    der = serialization.Encoding.DER
    return key, _SignerMaterial(
        cert_der=identity.cert.public_bytes(der),
        chain_der=tuple(c.public_bytes(der) for c in identity.chain),
        signing_certificate_v2=as_signing_certificate_v2(translate_pyca_cryptography_cert_to_asn1(identity.cert), "sha256").dump(),
        bytes_reserved=None,
    )


def _remember(key: bytes, material: _SignerMaterial) -> None:
    with _MATERIAL_LOCK:
        _MATERIAL[key] = material
        _MATERIAL.move_to_end(key)
        while len(_MATERIAL) > _MATERIAL_MAX:
            _MATERIAL.popitem(last=False)


@functools.cache
def _loaded_key_signer_class() -> Callable[[PrivateKeyTypes, _SignerMaterial], SimpleSigner]:
    """A pyHanko `SimpleSigner` that signs with an already loaded cryptography key.

    `SimpleSigner.sign_raw` turns its ASN.1 key back into a cryptography key on every call (twice per
    document: once for the size estimate, once for real), and OpenSSL's RSA key check makes each of
    those 50-150 ms — most of what signing cost. The key was checked when it was loaded (the identity
    file, or the passphrase unlock in signing.officials), so it is used as it is.

    The signing-certificate-v2 attribute (the PAdES binding of the signature to the certificate) is
    the same for every document of a certificate. Built from scratch, asn1crypto re-encodes its nested
    structure hundreds of times while the CMS is assembled (~60% of the rest of signing); parsed from
    its DER, encoded once per certificate, it is carried through as it is. The value is identical."""
    from asn1crypto import tsp  # noqa: PLC0415 - pyHanko's ASN.1 library, loaded with it on the first signature
    from asn1crypto import x509 as asn1_x509  # noqa: PLC0415 - pyHanko's ASN.1 library, loaded with it on the first signature
    from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey  # noqa: PLC0415 - with pyHanko's: the class is built on the first signature
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15  # noqa: PLC0415 - with pyHanko's: the class is built on the first signature
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey  # noqa: PLC0415 - with pyHanko's: the class is built on the first signature
    from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module
    from pyhanko.sign.attributes import SigningCertificateV2Provider  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module
    from pyhanko.sign.signers import SimpleSigner  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module
    from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module

    class EncodedSigningCertificateV2(SigningCertificateV2Provider):
        def __init__(self, signing_cert: asn1_x509.Certificate, encoded: bytes) -> None:
            super().__init__(signing_cert=signing_cert)
            self.encoded = encoded

        async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
            return tsp.SigningCertificateV2.load(self.encoded)

    class EncodedAttributes:
        """pyHanko's own signed-attribute spec, with its signing-certificate-v2 provider swapped."""

        def __init__(self, spec: SignedAttributeProviderSpec, signing_cert: asn1_x509.Certificate, encoded: bytes) -> None:
            self.spec, self.signing_cert, self.encoded = spec, signing_cert, encoded

        def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str) -> Iterator[CMSAttributeProvider]:
            for provider in self.spec.signed_attr_providers(data_digest=data_digest, digest_algorithm=digest_algorithm):
                if type(provider) is SigningCertificateV2Provider and provider.signing_cert is self.signing_cert:
                    provider = EncodedSigningCertificateV2(provider.signing_cert, self.encoded)
                yield provider

    class LoadedKeySigner(SimpleSigner):
        def __init__(self, private_key: PrivateKeyTypes, material: _SignerMaterial) -> None:
            super().__init__(
                signing_cert=asn1_x509.Certificate.load(material.cert_der),
                signing_key=translate_pyca_cryptography_key_to_asn1(private_key),
                cert_registry=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(d) for d in material.chain_der]),
            )
            self.private_key = private_key
            self.signing_certificate_v2 = material.signing_certificate_v2

        def _signed_attr_provider_spec(self, *args: Any, **kwargs: Any) -> EncodedAttributes:
            spec = super()._signed_attr_provider_spec(*args, **kwargs)
            return EncodedAttributes(spec, self.signing_cert, self.signing_certificate_v2)

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                algorithm = mechanism.signature_algo
            except ValueError:
                algorithm = mechanism["algorithm"].native
            key = self.private_key
            if algorithm == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
                return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            if algorithm == "rsassa_pss" and isinstance(key, RSAPrivateKey):
                padding, hash_algorithm = process_pss_params(mechanism["parameters"])
                return key.sign(data, padding, hash_algorithm)
            if algorithm == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
                return key.sign(data, ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
            return super().sign_raw(data, digest_algorithm)  # other key types: pyHanko's own path

    return LoadedKeySigner


async def _reserved_size(signer: SimpleSigner, md_algorithm: str) -> int:
    """The hex room for this signer's CMS, as pyHanko's `estimate_signature_container_size` computes
    it: a dry-run CMS over an empty digest, doubled for hex, plus 50%. Without a timestamp or
    revocation info the size depends only on the certificates and the key, so it is computed once per
    certificate instead of once per document (the dry run builds the whole CMS a second time)."""
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module

    empty_digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm)).finalize()
    dummy = await signer.async_sign(
        empty_digest, md_algorithm, use_pades=True, dry_run=True,
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=dt.datetime.now(dt.UTC)),
    )
    length = len(dummy.dump()) * 2
    return length + 2 * (length // 4)


async def sign_pdf(pdf_bytes: bytes, identity: SigningIdentity, *, reason: str, location: str, signer_name: str) -> bytes:
    """A PAdES (ETSI.CAdES.detached) signature over the whole PDF, in an invisible field: the one way
    every document of this installation is signed."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module
    from pyhanko.sign import fields, signers  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module

    md_algorithm = "sha256"
    cache_key, material = _material(identity)
    signer = _loaded_key_signer_class()(identity.private_key, material)
    if material.bytes_reserved is None:
        material = material._replace(bytes_reserved=await _reserved_size(signer, md_algorithm))
        _remember(cache_key, material)
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm=md_algorithm,
        reason=reason,
        location=location,
        name=signer_name,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    out = await signers.PdfSigner(meta, signer=signer).async_sign_pdf(
        writer, output=io.BytesIO(), bytes_reserved=material.bytes_reserved)
    return out.getvalue()


async def sign_pdf_off_loop(pdf_bytes: bytes, identity: SigningIdentity, *, reason: str, location: str, signer_name: str) -> bytes:
    """`sign_pdf` on its own event loop in a worker thread. pyHanko's signing is 10-20 ms of pure-Python
    CPU per document: on the worker's event loop it would stall every other workflow and activity."""
    return await asyncio.to_thread(
        lambda: asyncio.run(sign_pdf(pdf_bytes, identity, reason=reason, location=location, signer_name=signer_name))
    )


def _common_name(asn1_cert: asn1_x509.Certificate) -> str:
    try:
        return asn1_cert.subject.native.get("common_name") or asn1_cert.subject.human_friendly
    except Exception:  # noqa: BLE001 - the name is only shown: a subject that does not decode leaves it blank
        return ""


async def verify_document(pdf_bytes: bytes, identity: SigningIdentity) -> dict:
    """Check the last signature of a PDF against the signing identity's CA.

    Returns {"intact", "valid", "trusted", "signer", "signer_name", "signed_at", "covers_whole_file"}:
    `signer` is the certificate's common name, `signer_name` the official named in the signature
    dictionary (self-asserted, so only meaningful when `valid`). `valid`
    is pyHanko's bottom line: intact, cryptographically valid, chained to the trust root and with
    no disallowed changes after signing. A file that is not a PDF or carries no signature is
    reported as neither intact nor valid rather than raising.
    """
    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module
    from pyhanko.sign.validation import async_validate_pdf_signature  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module
    from pyhanko.sign.validation.status import SignatureCoverageLevel  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module
    from pyhanko_certvalidator import ValidationContext  # noqa: PLC0415 - pyHanko is heavy: loaded on the first signature, not with the module

    result = {
        "intact": False,
        "valid": False,
        "trusted": False,
        "signer": "",
        "signer_name": "",
        "signed_at": None,
        "covers_whole_file": False,
    }
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 - whatever the parser rejects is "not a signed PDF", reported, not raised
        return result
    if not signatures:
        return result
    embedded = signatures[-1]
    context = ValidationContext(
        trust_roots=[translate_pyca_cryptography_cert_to_asn1(c) for c in identity.trust_roots],
        other_certs=[translate_pyca_cryptography_cert_to_asn1(c) for c in identity.chain],
        allow_fetching=False,
        revocation_mode="soft-fail",  # the dev CA publishes no CRL or OCSP responder
    )
    try:
        status = await async_validate_pdf_signature(embedded, signer_validation_context=context)
    except Exception:  # noqa: BLE001 - a signature pyHanko cannot validate is reported as not intact, not raised
        return result
    result.update(
        intact=bool(status.intact),
        valid=bool(status.bottom_line),
        trusted=bool(status.trusted),
        signer=_common_name(status.signing_cert) if status.signing_cert is not None else "",
        signer_name=str(embedded.sig_object.get("/Name", "")),
        signed_at=status.signer_reported_dt,
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
    )
    return result
