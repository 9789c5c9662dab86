"""Card side of Active Authentication for the virtual chip (ICAO 9303-11 §6.1, card's view).

INTERNAL AUTHENTICATE signs the terminal's challenge with the persona's `aa_private_key`:
RSA with ISO/IEC 9796-2 scheme 1 (partial recovery, SHA-1, trailer BC, min(s, n - s)), or
ECDSA with `cryptography` and the hash DG14's ActiveAuthenticationInfo names, answered as plain
r || s (TR-03111 §5.2.1).
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from ..apdu import SW, Command
from ..lds.dg14 import parse_dg14
from .card import Reply, VirtualCard

_HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
           "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def install(card: VirtualCard) -> None:
    key = getattr(card.persona, "aa_private_key", None)
    if key is None or "DG15" not in card.files:
        return
    hash_name = "sha256"
    if "DG14" in card.files:
        try:
            info = parse_dg14(card.files["DG14"]).active_auth
            hash_name = (info.hash_name if info else None) or hash_name
        except Exception:
            pass
    card.handlers[0x88] = lambda c, cmd: _internal_authenticate(c, cmd, key, hash_name)


def sign_9796_2(key: rsa.RSAPrivateKey, m1: bytes, m2: bytes) -> bytes:
    """ISO/IEC 9796-2 scheme 1, partial recovery, SHA-1: F = 6A || M1 || H(M1||M2) || BC."""
    nums = key.private_numbers()
    n, d = nums.public_numbers.n, nums.d
    f = b"\x6a" + m1 + hashlib.sha1(m1 + m2).digest() + b"\xbc"
    s = pow(int.from_bytes(f, "big"), d, n)
    s = min(s, n - s)
    return s.to_bytes((n.bit_length() + 7) // 8, "big")


def _internal_authenticate(card: VirtualCard, cmd: Command, key, hash_name: str) -> Reply:
    if card.session.sm is None:
        return Reply(sw=SW.SECURITY_STATUS)
    if len(cmd.data) != 8:
        return Reply(sw=SW.WRONG_DATA)
    if isinstance(key, rsa.RSAPrivateKey):
        size = (key.key_size + 7) // 8
        m1 = card.random(size - 2 - 20, "aa.m1")
        sig = sign_9796_2(key, m1, cmd.data)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        der = key.sign(cmd.data, ec.ECDSA(_HASHES[hash_name]()))
        r, s = decode_dss_signature(der)
        size = (key.curve.key_size + 7) // 8
        sig = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        return Reply(sw=SW.FUNCTION_NOT_SUPPORTED)
    return Reply(sig)
