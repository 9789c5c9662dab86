"""Signature verification for SODs, certificates, CRLs and master lists (ICAO 9303-12 §4.1, App. A).

Algorithms: RSA PKCS#1 v1.5 (sha*WithRSAEncryption, or rsaEncryption with the signer's digest),
RSASSA-PSS (RFC 4055 parameters), ECDSA (X9.62 ecdsa-with-SHA*, and BSI TR-03111 ecdsa-plain-SHA*),
digests SHA-1/224/256/384/512.

Explicit-parameter EC keys (as in real DSCs and CSCAs): `cryptography` refuses them, so the domain
parameters are compared with the standard curves (cardkit.icao.domain_params: NIST, brainpool);
a match is verified by `cryptography` on the named curve, a standard curve it lacks (e.g.
brainpoolP192r1) by the plain ECDSA verification equation (SEC 1 §4.1.4) on Python integers.

Limits, checked before any arithmetic (a hostile chip chooses the DSC in its SOD): a key of at most
`MAX_SPKI_SIZE` bytes; EC fields of at most 521 bits and explicit parameters equal to a known
curve (a made-up curve is refused: its size decides the work, and a forger picks weak ones);
RSA moduli of at most `MAX_RSA_BITS`. A refused key makes the check unverifiable, never valid.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from asn1crypto import algos, keys
from asn1crypto import x509 as ax509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ..icao import domain_params
from ..lds.sod import SodSignerInfo
from . import certs


class SignatureInvalid(Exception):
    """The signature does not verify under the key."""


class SignatureUnsupported(Exception):
    """The key or algorithm is not one cardkit can verify (reason in the message)."""


HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}
_ECDSA_PLAIN = {  # BSI TR-03111 §5.2.1 ecdsa-plain-signatures
    "0.4.0.127.0.7.1.1.4.1.1": "sha1", "0.4.0.127.0.7.1.1.4.1.2": "sha224",
    "0.4.0.127.0.7.1.1.4.1.3": "sha256", "0.4.0.127.0.7.1.1.4.1.4": "sha384",
    "0.4.0.127.0.7.1.1.4.1.5": "sha512",
}
_ECDSA_X962 = {
    "1.2.840.10045.4.1": "sha1", "1.2.840.10045.4.3.1": "sha224", "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384", "1.2.840.10045.4.3.4": "sha512",
}
_RSA_PKCS1 = {
    "1.2.840.113549.1.1.5": "sha1", "1.2.840.113549.1.1.14": "sha224",
    "1.2.840.113549.1.1.11": "sha256", "1.2.840.113549.1.1.12": "sha384",
    "1.2.840.113549.1.1.13": "sha512",
}
_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
_RSA_PSS = "1.2.840.113549.1.1.10"
_ECDSA_BARE = "1.2.840.10045.4"  # some signers put ecdsa without hash; use the signer digest


def _hash(name: str) -> hashes.HashAlgorithm:
    try:
        return HASHES[name]()
    except KeyError:
        raise SignatureUnsupported(f"unsupported digest {name}") from None


MAX_SPKI_SIZE = 4096  # an RSA-8192 key is 1.1 KB, explicit P-521 parameters 0.6 KB
MAX_EC_FIELD_BITS = 521
MAX_RSA_BITS = 8192


class EcExplicitKey:
    """An EC public key on a curve `cryptography` cannot load; verified with SEC 1 §4.1.4."""

    def __init__(self, curve: domain_params.EcCurve, point: tuple[int, int]) -> None:
        self.curve = curve
        self.point = point

    def verify(self, r: int, s: int, digest: bytes) -> bool:
        c = self.curve
        if not (0 < r < c.n and 0 < s < c.n):
            return False
        e = int.from_bytes(digest, "big")
        excess = len(digest) * 8 - c.n.bit_length()
        if excess > 0:
            e >>= excess
        w = pow(s, -1, c.n)
        pt = c.add(c.mul(e * w % c.n, c.g), c.mul(r * w % c.n, self.point))
        return pt is not None and pt[0] % c.n == r


def _explicit_curve(params: Any) -> domain_params.EcCurve:
    """Build (or match) the curve from SpecifiedECDomain (SEC 1 §C.2)."""
    field = params["field_id"]
    if field["field_type"].native != "prime_field":
        raise SignatureUnsupported("EC key on a binary field is not supported")
    p = field["parameters"].native
    if not isinstance(p, int) or p.bit_length() > MAX_EC_FIELD_BITS:
        bits = p.bit_length() if isinstance(p, int) else "?"
        raise SignatureUnsupported(f"EC key on a {bits}-bit field: not a known curve "
                                   f"(at most {MAX_EC_FIELD_BITS} bits)")
    a = int.from_bytes(params["curve"]["a"].native, "big")
    b = int.from_bytes(params["curve"]["b"].native, "big")
    base = params["base"].native
    size = (p.bit_length() + 7) // 8
    if len(base) != 1 + 2 * size or base[0] != 4:
        raise SignatureUnsupported("EC base point is not uncompressed")
    gx, gy = int.from_bytes(base[1 : 1 + size], "big"), int.from_bytes(base[1 + size :], "big")
    n = params["order"].native
    known = domain_params.match_curve(p, a, b, gx, gy, n)
    if known is None:
        raise SignatureUnsupported("EC key with explicit parameters that are not a known curve")
    return known


@lru_cache(maxsize=256)
def curve_name_of(spki_der: bytes) -> str | None:
    """Display name of the EC curve of a key (named or explicit parameters), None for RSA."""
    info = keys.PublicKeyInfo.load(spki_der)
    if info["algorithm"]["algorithm"].native != "ec":
        return None
    params = info["algorithm"]["parameters"]
    if params.name == "named":
        return str(params.chosen.native)
    if params.name == "specified":
        try:
            return _explicit_curve(params.chosen).name + " (explicit parameters)"
        except (SignatureUnsupported, ValueError):
            return "explicit parameters"
    return "implicit"


@lru_cache(maxsize=256)
def load_public_key(spki_der: bytes) -> Any:
    """A `cryptography` public key, or an EcExplicitKey for curves it cannot represent.

    Raises SignatureUnsupported for keys outside the limits (module docstring)."""
    if len(spki_der) > MAX_SPKI_SIZE:
        raise SignatureUnsupported(f"public key of {len(spki_der)} bytes is too large "
                                   f"(a curve or RSA modulus beyond the accepted sizes)")
    try:
        key = serialization.load_der_public_key(spki_der)
    except (ValueError, UnsupportedAlgorithm):
        pass
    else:
        if isinstance(key, rsa.RSAPublicKey) and key.key_size > MAX_RSA_BITS:
            raise SignatureUnsupported(f"RSA key of {key.key_size} bits "
                                       f"(at most {MAX_RSA_BITS} accepted)")
        return key
    try:
        info = keys.PublicKeyInfo.load(spki_der)
        if info["algorithm"]["algorithm"].native != "ec":
            raise SignatureUnsupported(
                f"unsupported public key algorithm {info['algorithm']['algorithm'].dotted}")
        params = info["algorithm"]["parameters"]
        if params.name != "specified":
            raise SignatureUnsupported("EC key with unsupported domain parameters")
        curve = _explicit_curve(params.chosen)
        point = curve.decode_point(bytes(info["public_key"].native))
    except SignatureUnsupported:
        raise
    except Exception as exc:  # noqa: BLE001 — any failure here means "cannot use this key"
        raise SignatureUnsupported(f"unreadable public key ({exc.__class__.__name__})") from None
    named = domain_params.cryptography_curve(curve) if curve.oid else None
    if named is not None:
        return ec.EllipticCurvePublicNumbers(point[0], point[1], named).public_key()
    return EcExplicitKey(curve, point)


def _pss_params(params: Any) -> tuple[str, padding.PSS]:
    p = algos.RSASSAPSSParams.load(params.dump()) if params.native is not None \
        else algos.RSASSAPSSParams({})
    digest = p["hash_algorithm"]["algorithm"].native
    mgf = p["mask_gen_algorithm"]
    if mgf["algorithm"].native != "mgf1":
        raise SignatureUnsupported("RSA-PSS with a mask generation function other than MGF1")
    mgf_digest = mgf["parameters"]["algorithm"].native
    if p["trailer_field"].native not in (None, "trailer_field_bc"):
        raise SignatureUnsupported("RSA-PSS with a non-standard trailer field")
    return digest, padding.PSS(mgf=padding.MGF1(_hash(mgf_digest)),
                               salt_length=p["salt_length"].native)


def algorithm_name(sig_alg_der: bytes, digest_hint: str | None = None) -> str:
    """Human name: 'RSA PKCS#1 v1.5 SHA-256', 'ECDSA SHA-1', 'RSA-PSS SHA-256' ..."""
    try:
        alg = algos.SignedDigestAlgorithm.load(sig_alg_der)
        oid = alg["algorithm"].dotted
    except ValueError:
        return "unknown"
    d = (_RSA_PKCS1.get(oid) or _ECDSA_X962.get(oid) or _ECDSA_PLAIN.get(oid) or digest_hint or "")
    if oid == _RSA_PSS:
        try:
            d = _pss_params(alg["parameters"])[0]
        except Exception:  # noqa: BLE001
            d = "?"
        kind = "RSA-PSS"
    elif oid in _RSA_PKCS1 or oid == _RSA_ENCRYPTION:
        kind = "RSA PKCS#1 v1.5"
    elif oid in _ECDSA_PLAIN:
        kind = "ECDSA (plain)"
    elif oid in _ECDSA_X962 or oid == _ECDSA_BARE:
        kind = "ECDSA"
    else:
        return oid
    return f"{kind} {d.upper().replace('SHA', 'SHA-')}".strip()


@lru_cache(maxsize=256)
def _algorithm(sig_alg_der: bytes) -> tuple[algos.SignedDigestAlgorithm, str]:
    """The parsed AlgorithmIdentifier and its OID (parsed once per distinct DER; read-only)."""
    try:
        alg = algos.SignedDigestAlgorithm.load(sig_alg_der)
        oid = alg["algorithm"].dotted
        if oid == _RSA_PSS:
            alg["parameters"].native  # noqa: B018 — parse now, not lazily in a shared object
    except ValueError:
        raise SignatureUnsupported("unreadable signature algorithm") from None
    return alg, oid


def verify(spki_der: bytes, sig_alg_der: bytes, signature: bytes, message: bytes,
           digest_hint: str | None = None) -> None:
    """Verify `signature` over `message`. Raises SignatureInvalid or SignatureUnsupported.

    `digest_hint` is the CMS SignerInfo digestAlgorithm, used when the signature algorithm
    names no hash (rsaEncryption, bare ecdsa).
    """
    alg, oid = _algorithm(sig_alg_der)
    key = load_public_key(spki_der)
    try:
        if oid in _RSA_PKCS1 or oid in (_RSA_ENCRYPTION, _RSA_PSS):
            if not isinstance(key, rsa.RSAPublicKey):
                raise SignatureUnsupported("RSA signature but the key is not RSA")
            if oid == _RSA_PSS:
                digest, pad = _pss_params(alg["parameters"])
                key.verify(signature, message, pad, _hash(digest))
            else:
                digest = _RSA_PKCS1.get(oid) or digest_hint
                if digest is None:
                    raise SignatureUnsupported("rsaEncryption signature without a digest")
                key.verify(signature, message, padding.PKCS1v15(), _hash(digest))
            return
        if oid in _ECDSA_X962 or oid in _ECDSA_PLAIN or oid == _ECDSA_BARE:
            digest = _ECDSA_X962.get(oid) or _ECDSA_PLAIN.get(oid) or digest_hint
            if digest is None:
                raise SignatureUnsupported("ECDSA signature without a digest")
            if oid in _ECDSA_PLAIN:
                if len(signature) % 2:
                    raise SignatureInvalid("plain ECDSA signature of odd length")
                half = len(signature) // 2
                r = int.from_bytes(signature[:half], "big")
                s = int.from_bytes(signature[half:], "big")
            else:
                try:
                    sig = algos.DSASignature.load(signature, strict=True)
                    r, s = sig["r"].native, sig["s"].native
                except (ValueError, TypeError):
                    raise SignatureInvalid("ECDSA signature is not a DER SEQUENCE {r, s}") \
                        from None
            if isinstance(key, EcExplicitKey):
                if not key.verify(r, s, hashlib.new(digest, message).digest()):
                    raise SignatureInvalid("ECDSA signature does not verify")
                return
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise SignatureUnsupported("ECDSA signature but the key is not EC")
            if r <= 0 or s <= 0:
                raise SignatureInvalid("ECDSA signature out of range")
            key.verify(encode_dss_signature(r, s), message, ec.ECDSA(_hash(digest)))
            return
    except InvalidSignature:
        raise SignatureInvalid("signature does not verify") from None
    except ValueError as exc:
        raise SignatureInvalid(f"signature does not verify ({exc})") from None
    raise SignatureUnsupported(f"unsupported signature algorithm {oid}")


def verify_certificate(cert: ax509.Certificate, issuer_spki_der: bytes) -> None:
    """Check `cert`'s signature with the issuer's key (RFC 5280 §6.1.3 a.1)."""
    f = certs.facts(cert)
    verify(issuer_spki_der, f.signature_algorithm, f.signature_value, f.tbs)


def find_signer_certificate(si: SodSignerInfo, candidates: list[ax509.Certificate]
                            ) -> ax509.Certificate | None:
    """The certificate named by a SignerInfo's sid (RFC 5652 §5.3), or None."""
    for cert in candidates:
        f = certs.facts(cert)
        if si.sid_ski is not None:
            if f.ski == si.sid_ski:
                return cert
        elif (si.sid_serial == f.serial and si.sid_issuer_der is not None
              and certs.same_name_der(si.sid_issuer_der, cert.issuer)):
            return cert
    return None


def verify_signer_info(si: SodSignerInfo, econtent: bytes, econtent_type: str,
                       signer_spki: bytes) -> None:
    """RFC 5652 §5.4/§5.6: signed attributes content-type and message-digest, then the signature.

    Raises SignatureInvalid (with a one-line reason) or SignatureUnsupported.
    """
    if si.signed_attrs_der is not None:
        if si.content_type is None or si.message_digest is None:
            raise SignatureInvalid("signed attributes lack content-type or message-digest")
        if si.content_type != econtent_type:
            raise SignatureInvalid(f"signed content-type {si.content_type} does not match "
                                   f"the content ({econtent_type})")
        if hashlib.new(si.digest_algorithm, econtent).digest() != si.message_digest:
            raise SignatureInvalid("message-digest does not match the signed content")
        signed = si.signed_attrs_der
    else:
        signed = econtent
    verify(signer_spki, si.signature_algorithm_der, si.signature, signed, si.digest_algorithm)
