"""DG15: the Active Authentication public key (ICAO 9303-10 §4.7.15, 9303-11 §6.1;
tag 6F wrapping a SubjectPublicKeyInfo, RSA or EC)."""

from __future__ import annotations

from ..errors import ParseError
from . import tlv
from .security_infos import PublicKeyInfo, parse_public_key_info

DG15_TAG = 0x6F
MAX_SIZE = 16 * 1024


def parse_dg15(data: bytes) -> PublicKeyInfo:
    """Parse DG15 into the AA public key (kind "RSA" or "EC")."""
    if len(data) > MAX_SIZE:
        raise ParseError(f"DG15 of {len(data)} bytes is implausibly large")
    outer = tlv.parse(data, DG15_TAG, allow_trailing=True)
    key = parse_public_key_info(outer.value)
    if key.kind not in ("RSA", "EC"):
        raise ParseError(f"DG15 holds a {key.kind} key; Active Authentication needs RSA or EC")
    return key


def rsa_public_numbers(key: PublicKeyInfo) -> tuple[int, int]:
    """(n, e) of an RSA DG15 key (RSAPublicKey, RFC 8017 A.1.1), read leniently: some issued
    keys encode the modulus without its leading 00 (a "negative" INTEGER)."""
    if key.kind != "RSA":
        raise ParseError("not an RSA key")
    seq = tlv.parse(key.public, 0x30, allow_trailing=True).children()
    if len(seq) != 2 or seq[0].tag != 0x02 or seq[1].tag != 0x02:
        raise ParseError("RSAPublicKey: SEQUENCE { modulus, exponent } expected")
    n, e = (int.from_bytes(t.value, "big") for t in seq)
    if n.bit_length() < 512 or e < 3:
        raise ParseError("RSAPublicKey: modulus or exponent out of range")
    return n, e


def encode_dg15(spki_der: bytes) -> bytes:
    return tlv.encode(DG15_TAG, spki_der)
