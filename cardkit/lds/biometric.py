"""CBEFF biometric information templates shared by DG2, DG3, DG4 (ICAO 9303-10 §4.7.2–4.7.4,
ISO/IEC 7816-11 Table 7).

Structure: DG → 7F61 BIT group template { 02 count, 7F60 BIT × count }; each BIT holds a
biometric header template (BHT, A1) and a biometric data block (5F2E plain, 7F2E enciphered).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import ParseError
from . import tlv

__all__ = [
    "BiometricHeader",
    "BiometricInfo",
    "encode_bit_group",
    "parse_bit_group",
    "parse_biometric_dg",
]

BIT_GROUP_TAG = 0x7F61
BIT_TAG = 0x7F60
COUNT_TAG = 0x02
BDB_TAG = 0x5F2E
BDB_ENCIPHERED_TAG = 0x7F2E
BHT_TAGS = range(0xA1, 0xB0)  # A1 for the first BIT; some issuers number them A1, A2 ...
MAX_BITS = 32

# BHT element tags (ISO/IEC 7816-11 Table 7)
ICAO_HEADER_VERSION = 0x80
BIOMETRIC_TYPE = 0x81
BIOMETRIC_SUBTYPE = 0x82
CREATION_DATE = 0x83
VALIDITY_PERIOD = 0x85
CREATOR = 0x86
FORMAT_OWNER = 0x87
FORMAT_TYPE = 0x88

# CBEFF values used by ICAO (ISO/IEC 19785-3, 9303-10 §4.7.2)
TYPE_FACE = 0x02
TYPE_FINGER = 0x08
TYPE_IRIS = 0x10
OWNER_ISO_SC37 = 0x0101
FORMAT_FACE_19794_5 = 0x0008
FORMAT_FINGER_19794_4 = 0x0007
FORMAT_IRIS_19794_6 = 0x0009


@dataclass(frozen=True)
class BiometricHeader:
    """Biometric header template (BHT). Unknown elements are kept in `elements`."""

    format_owner: int
    format_type: int
    biometric_type: int | None = None
    biometric_subtype: int | None = None
    icao_header_version: bytes | None = None
    creation_date: bytes | None = None
    validity_period: bytes | None = None
    creator: bytes | None = None
    elements: dict[int, bytes] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class BiometricInfo:
    """One BIT: its header and the biometric data block as stored (enciphered or not)."""

    header: BiometricHeader
    data: bytes
    enciphered: bool = False


def _int(b: bytes) -> int:
    return int.from_bytes(b, "big")


def _parse_bht(t: tlv.TLV) -> BiometricHeader:
    elements: dict[int, bytes] = {}
    for child in t.children():
        if child.tag in elements:
            raise ParseError(f"biometric header repeats element {child.tag:X}")
        elements[child.tag] = child.value
    if FORMAT_OWNER not in elements or FORMAT_TYPE not in elements:
        raise ParseError("biometric header lacks the format owner/type (87/88)")
    if len(elements[FORMAT_OWNER]) != 2 or len(elements[FORMAT_TYPE]) != 2:
        raise ParseError("biometric header format owner/type must be 2 bytes each")
    btype = elements.get(BIOMETRIC_TYPE)
    subtype = elements.get(BIOMETRIC_SUBTYPE)
    if btype is not None and not 1 <= len(btype) <= 3:
        raise ParseError("biometric header type (81) must be 1 to 3 bytes")
    if subtype is not None and len(subtype) != 1:
        raise ParseError("biometric header subtype (82) must be 1 byte")
    return BiometricHeader(
        format_owner=_int(elements[FORMAT_OWNER]),
        format_type=_int(elements[FORMAT_TYPE]),
        biometric_type=_int(btype) if btype is not None else None,
        biometric_subtype=_int(subtype) if subtype is not None else None,
        icao_header_version=elements.get(ICAO_HEADER_VERSION),
        creation_date=elements.get(CREATION_DATE),
        validity_period=elements.get(VALIDITY_PERIOD),
        creator=elements.get(CREATOR),
        elements=elements,
    )


def _parse_bit(t: tlv.TLV) -> BiometricInfo:
    header: BiometricHeader | None = None
    data: bytes | None = None
    enciphered = False
    for child in t.children():
        if child.tag in BHT_TAGS:
            if header is not None:
                raise ParseError("biometric information template has two headers")
            header = _parse_bht(child)
        elif child.tag in (BDB_TAG, BDB_ENCIPHERED_TAG):
            if data is not None:
                raise ParseError("biometric information template has two data blocks")
            data, enciphered = child.value, child.tag == BDB_ENCIPHERED_TAG
    if header is None:
        raise ParseError("biometric information template has no header (A1)")
    if data is None:
        raise ParseError("biometric information template has no data block (5F2E)")
    return BiometricInfo(header, data, enciphered)


def parse_bit_group(value: bytes, warnings: list[str] | None = None
                    ) -> tuple[BiometricInfo, ...]:
    """Parse the content of a data group: one 7F61 BIT group → its BITs (count checked).

    With a `warnings` list, bytes after the group are ignored with a warning."""
    group = tlv.parse(value, BIT_GROUP_TAG, allow_trailing=warnings is not None)
    extra = len(value) - len(tlv.encode(BIT_GROUP_TAG, group.value))
    if extra and warnings is not None:
        warnings.append(f"{extra} byte{'s' if extra > 1 else ''} after the biometric group "
                        f"ignored")
    children = group.children()
    if not children or children[0].tag != COUNT_TAG or len(children[0].value) != 1:
        raise ParseError("biometric group template does not start with its count (02)")
    count = children[0].value[0]
    if count == 0 or count > MAX_BITS:
        raise ParseError(f"biometric group template claims {count} entries")
    bits = [c for c in children[1:] if c.tag == BIT_TAG]
    if len(bits) != count:
        raise ParseError(f"biometric group template claims {count} entries but holds {len(bits)}")
    return tuple(_parse_bit(b) for b in bits)


def parse_biometric_dg(data: bytes, dg_tag: int, name: str,
                       warnings: list[str] | None = None) -> tuple[BiometricInfo, ...]:
    """Outer data-group TLV (e.g. 75 for DG2) → the BITs it holds.

    Bytes after the outer TLV are refused, unless a `warnings` list is given: then they are
    ignored with a warning (the data group's hash covers them; the content is intact)."""
    outer = tlv.parse(bytes(data), dg_tag, allow_trailing=warnings is not None)
    extra = len(data) - len(tlv.encode(dg_tag, outer.value))
    if extra and warnings is not None:
        warnings.append(f"{name}: {extra} byte{'s' if extra > 1 else ''} after the data group "
                        f"ignored")
    if not outer.value:
        raise ParseError(f"{name} is empty")
    return parse_bit_group(outer.value, warnings)


def encode_bht(header: BiometricHeader) -> bytes:
    """Encode a header; elements in the order of ISO/IEC 7816-11 Table 7."""
    parts = []
    if header.icao_header_version is not None:
        parts.append(tlv.encode(ICAO_HEADER_VERSION, header.icao_header_version))
    if header.biometric_type is not None:
        parts.append(tlv.encode(BIOMETRIC_TYPE, bytes((header.biometric_type,))))
    if header.biometric_subtype is not None:
        parts.append(tlv.encode(BIOMETRIC_SUBTYPE, bytes((header.biometric_subtype,))))
    if header.creation_date is not None:
        parts.append(tlv.encode(CREATION_DATE, header.creation_date))
    if header.validity_period is not None:
        parts.append(tlv.encode(VALIDITY_PERIOD, header.validity_period))
    if header.creator is not None:
        parts.append(tlv.encode(CREATOR, header.creator))
    parts.append(tlv.encode(FORMAT_OWNER, header.format_owner.to_bytes(2, "big")))
    parts.append(tlv.encode(FORMAT_TYPE, header.format_type.to_bytes(2, "big")))
    return b"".join(parts)


def encode_bit_group(items: Sequence[BiometricInfo]) -> bytes:
    """Encode a 7F61 BIT group holding `items` (1–32 entries)."""
    if not 1 <= len(items) <= MAX_BITS:
        raise ValueError("a biometric group holds 1 to 32 entries")
    body = [tlv.encode(COUNT_TAG, bytes((len(items),)))]
    for item in items:
        bdb_tag = BDB_ENCIPHERED_TAG if item.enciphered else BDB_TAG
        bit = tlv.encode(0xA1, encode_bht(item.header)) + tlv.encode(bdb_tag, item.data)
        body.append(tlv.encode(BIT_TAG, bit))
    return tlv.encode(BIT_GROUP_TAG, b"".join(body))
