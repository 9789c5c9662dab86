"""Active Authentication, terminal side (ICAO 9303-11 §6.1).

INTERNAL AUTHENTICATE with a fresh 8-byte challenge from the injected RandomSource; the chip
signs it with the DG15 key. RSA: ISO/IEC 9796-2 digital signature scheme 1 (partial message
recovery), SHA-1 trailer BC or the hash named by a two-byte trailer xx CC. ECDSA: plain r||s
(BSI TR-03111 §5.2.1; DER accepted too), hash named by DG14's ActiveAuthenticationInfo.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from ..apdu import Command, sw_text
from ..errors import (
    CardkitError,
    CardRemovedError,
    ParseError,
    ReaderError,
    SecureMessagingError,
    TransmissionError,
)
from ..lds.dg14 import parse_dg14
from ..lds.dg15 import parse_dg15, rsa_public_numbers
from ..lds.security_infos import PublicKeyInfo
from ..rand import RandomSource
from ..results import CheckResult, CheckState
from .domain_params import EcCurve

log = logging.getLogger(__name__)
NAME = "active_auth"

# ISO/IEC 10118-3 hash identifiers used in the 9796-2 two-byte trailer
TRAILER_HASHES = {0x31: "ripemd160", 0x33: "sha1", 0x34: "sha256", 0x35: "sha512",
                  0x36: "sha384", 0x38: "sha224"}
FALLBACK_HASHES = ("sha256", "sha1", "sha384", "sha512", "sha224")


def _hash(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


def verify_rsa_9796_2(modulus: int, exponent: int, challenge: bytes, signature: bytes) -> str:
    """Verify an ISO/IEC 9796-2 scheme 1 signature over M2 = challenge; return the hash name.

    Raises ValueError with the reason when it does not verify.
    """
    s = int.from_bytes(signature, "big")
    if not 0 < s < modulus:
        raise ValueError("signature value out of range")
    f = pow(s, exponent, modulus)
    if f & 0xF != 0xC:  # ISO/IEC 9796-2 §B.6: the chip may send min(s, n - s)
        f = modulus - f
    if f & 0xF != 0xC:
        raise ValueError("recovered message has no 9796-2 trailer")
    fb = f.to_bytes((modulus.bit_length() + 7) // 8, "big").lstrip(b"\x00")
    if len(fb) < 24 or fb[0] >> 6 != 0b01:
        raise ValueError("recovered message has no 9796-2 header")
    if fb[-1] == 0xBC:
        name, t = "sha1", 1
    elif fb[-1] == 0xCC and fb[-2] in TRAILER_HASHES:
        name, t = TRAILER_HASHES[fb[-2]], 2
    else:
        raise ValueError(f"unknown 9796-2 trailer {fb[-2:].hex()}")
    hlen = hashlib.new(name).digest_size
    digest = fb[-t - hlen : -t]
    m1 = fb[1 : -t - hlen]
    partial = bool(fb[0] & 0x20)
    expected = _hash(name, m1 + challenge) if partial else _hash(name, m1)
    if not partial and not hmac.compare_digest(m1[-len(challenge):], challenge):
        raise ValueError("signature does not cover the challenge")
    if not hmac.compare_digest(digest, expected):
        raise ValueError("signature does not match the challenge")
    return name


def verify_ecdsa(curve: EcCurve, point: bytes, digest: bytes, signature: bytes) -> bool:
    """ECDSA verification (TR-03111 §4.2.1.4) on our own arithmetic; plain r||s or DER."""
    n = curve.n
    r, s = _split_signature(signature, curve.order_bytes)
    if not (0 < r < n and 0 < s < n):
        return False
    q = curve.decode_point(point)
    e = int.from_bytes(digest, "big")
    if len(digest) * 8 > n.bit_length():
        e >>= len(digest) * 8 - n.bit_length()
    w = pow(s, -1, n)
    x = curve.add(curve.mul(e * w % n, curve.g), curve.mul(r * w % n, q))
    return x is not None and x[0] % n == r


def _split_signature(sig: bytes, size: int) -> tuple[int, int]:
    if len(sig) == 2 * size:
        return int.from_bytes(sig[:size], "big"), int.from_bytes(sig[size:], "big")
    if sig[:1] == b"\x30":
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        try:
            return decode_dss_signature(sig)
        except ValueError:
            raise ParseError("ECDSA signature is neither plain nor DER") from None
    raise ParseError(f"ECDSA signature of {len(sig)} bytes does not fit the curve")


def internal_authenticate(session, challenge: bytes, expected_size: int) -> bytes:
    """INTERNAL AUTHENTICATE 00 88 00 00 (ISO/IEC 7816-4 §7.5.2); extended Le when needed."""
    le = 65536 if expected_size + 32 > 256 else 256
    resp = session.send(Command(0x00, 0x88, 0x00, 0x00, challenge, le=le))
    if resp.sw != 0x9000:
        raise ValueError(f"the chip refused INTERNAL AUTHENTICATE: {sw_text(resp.sw)}")
    if not resp.data:
        raise ValueError("the chip returned no signature")
    return resp.data


def active_authenticate(session, dg15_bytes: bytes | None, dg14_bytes: bytes | None,
                        rng: RandomSource) -> CheckResult:
    """Active Authentication as a verdict: valid / invalid (+ reason) / not_supported."""
    if not dg15_bytes:
        return CheckResult(NAME, CheckState.NOT_SUPPORTED, "no DG15 on the chip")
    hash_name = None
    if dg14_bytes:  # only for ActiveAuthenticationInfo's hash: without it, the usual hashes
        try:
            aa_info = parse_dg14(dg14_bytes).active_auth
            hash_name = aa_info.hash_name if aa_info else None
        except ParseError:
            hash_name = None
    try:
        key = parse_dg15(dg15_bytes)
    except ParseError as exc:
        # issuer data (hash-checked by passive authentication): AA cannot run, no verdict
        return CheckResult(NAME, CheckState.UNVERIFIABLE,
                           f"Active Authentication cannot run: DG15 is malformed ({exc})")
    challenge = rng(8, "aa.challenge")
    try:
        if key.kind == "RSA":
            n, e = rsa_public_numbers(key)
            sig = internal_authenticate(session, challenge, (n.bit_length() + 7) // 8)
            used = verify_rsa_9796_2(n, e, challenge, sig)
            detail = {"algorithm": f"RSA-{n.bit_length()} ISO/IEC 9796-2", "hash": used}
        else:
            curve = _aa_curve(key)
            sig = internal_authenticate(session, challenge, 2 * curve.order_bytes + 8)
            candidates = (hash_name,) if hash_name else FALLBACK_HASHES
            used = next((h for h in candidates
                         if verify_ecdsa(curve, key.public, _hash(h, challenge), sig)), None)
            if used is None:
                raise ValueError("ECDSA signature does not match the challenge")
            detail = {"algorithm": f"ECDSA {curve.name}", "hash": used}
    except (CardRemovedError, ReaderError, SecureMessagingError, TransmissionError):
        raise  # the card left, or the link garbled an answer: an error (read again), no verdict
    except (CardkitError, ValueError) as exc:
        log.info("Active Authentication failed: %s", exc)
        return CheckResult(NAME, CheckState.INVALID, f"the chip failed Active Authentication ({exc})")
    return CheckResult(NAME, CheckState.VALID, "the chip signed a fresh challenge with the DG15 key",
                       detail)


def _aa_curve(key: PublicKeyInfo) -> EcCurve:
    from .chip_auth import domain_params_of

    params = domain_params_of(key)
    if not isinstance(params, EcCurve):
        raise ParseError("DG15 EC key without elliptic-curve parameters")
    return params
