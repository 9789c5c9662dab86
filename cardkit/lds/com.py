"""EF.COM: LDS version, Unicode version and the list of data groups present (ICAO 9303-10 §4.6.1)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import ParseError
from . import tlv
from .files import DG_TAGS, TAG_TO_DG

__all__ = ["Com", "encode_com", "parse_com"]

COM_TAG = 0x60
LDS_VERSION_TAG = 0x5F01
UNICODE_VERSION_TAG = 0x5F36
TAG_LIST_TAG = 0x5C


@dataclass(frozen=True)
class Com:
    """Parsed EF.COM. Versions as stored (`"0107"`, `"040000"`); `data_groups` sorted."""

    lds_version_raw: str
    unicode_version_raw: str
    data_groups: tuple[int, ...]

    @property
    def lds_version(self) -> str:
        """`"0107"` → `"1.7"` (9303-10: aabb = major aa, minor bb)."""
        return f"{int(self.lds_version_raw[:2])}.{int(self.lds_version_raw[2:])}"

    @property
    def unicode_version(self) -> str:
        """`"040000"` → `"4.0.0"`."""
        r = self.unicode_version_raw
        return f"{int(r[:2])}.{int(r[2:4])}.{int(r[4:])}"


def _digits(t: tlv.TLV, n: int, what: str) -> str:
    try:
        s = t.value.decode("ascii")
    except UnicodeDecodeError:
        raise ParseError(f"EF.COM {what} is not ASCII digits") from None
    if not re.fullmatch(rf"\d{{{n}}}", s):
        raise ParseError(f"EF.COM {what} {s!r} is not {n} digits")
    return s


def parse_com(data: bytes) -> Com:
    """Parse EF.COM (tag 60): 5F01 LDS version, 5F36 Unicode version, 5C tag list."""
    outer = tlv.parse(bytes(data), COM_TAG)
    lds_version = _digits(outer.require(LDS_VERSION_TAG, "EF.COM"), 4, "LDS version")
    unicode_version = _digits(outer.require(UNICODE_VERSION_TAG, "EF.COM"), 6, "Unicode version")
    tags = outer.require(TAG_LIST_TAG, "EF.COM").value
    groups = []
    for b in tags:
        if b not in TAG_TO_DG:
            raise ParseError(f"EF.COM lists tag {b:02X}, which is no data group")
        groups.append(TAG_TO_DG[b])
    if len(set(groups)) != len(groups):
        raise ParseError("EF.COM lists a data group twice")
    return Com(lds_version, unicode_version, tuple(sorted(groups)))


def encode_com(data_groups: Iterable[int], lds_version: str = "0107",
               unicode_version: str = "040000") -> bytes:
    """Encode EF.COM listing `data_groups` (numbers 1–16), in the given order."""
    dgs = list(data_groups)
    for n in dgs:
        if n not in DG_TAGS:
            raise ValueError(f"no data group {n}")
    body = (
        tlv.encode(LDS_VERSION_TAG, lds_version.encode("ascii"))
        + tlv.encode(UNICODE_VERSION_TAG, unicode_version.encode("ascii"))
        + tlv.encode(TAG_LIST_TAG, bytes(DG_TAGS[n] for n in dgs))
    )
    return tlv.encode(COM_TAG, body)
