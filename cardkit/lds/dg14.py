"""DG14: security options of the chip (ICAO 9303-10 §4.7.14, 9303-11 §9.2; tag 6E wrapping a
SecurityInfos SET with ChipAuthenticationInfo / ChipAuthenticationPublicKeyInfo / AA info ...)."""

from __future__ import annotations

from ..errors import ParseError
from . import tlv
from .security_infos import SecurityInfos, parse_security_infos

DG14_TAG = 0x6E
MAX_SIZE = 64 * 1024


def parse_dg14(data: bytes) -> SecurityInfos:
    """Parse DG14 (outer tag 6E) into SecurityInfos."""
    if len(data) > MAX_SIZE:
        raise ParseError(f"DG14 of {len(data)} bytes is implausibly large")
    outer = tlv.parse(data, DG14_TAG, allow_trailing=True)
    return parse_security_infos(outer.value)


def encode_dg14(security_infos_der: bytes) -> bytes:
    return tlv.encode(DG14_TAG, security_infos_der)
