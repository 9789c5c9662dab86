"""DG1: the MRZ as stored on the chip (ICAO 9303-10 §4.7.1: tag 61 → 5F1F)."""

from __future__ import annotations

from ..errors import ParseError
from . import tlv
from .mrz import Mrz, parse_mrz

__all__ = ["encode_dg1", "parse_dg1"]

DG1_TAG = 0x61
MRZ_TAG = 0x5F1F


def parse_dg1(data: bytes) -> Mrz:
    """DG1 bytes → `Mrz` (all check digits verified)."""
    outer = tlv.parse(bytes(data), DG1_TAG)
    inner = outer.require(MRZ_TAG, "DG1")
    try:
        text = inner.value.decode("ascii")
    except UnicodeDecodeError:
        raise ParseError("DG1 MRZ holds non-ASCII bytes") from None
    return parse_mrz(text)


def encode_dg1(mrz: Mrz | str) -> bytes:
    """`Mrz` or MRZ text (lines with or without `\\n`) → DG1 bytes; the MRZ is checked first."""
    parsed = mrz if isinstance(mrz, Mrz) else parse_mrz(mrz)
    return tlv.encode(DG1_TAG, tlv.encode(MRZ_TAG, parsed.raw.encode("ascii")))
