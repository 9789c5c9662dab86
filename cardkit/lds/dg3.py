"""DG3: encoded fingers (ICAO 9303-10 §4.7.3): 63 → 7F61 → 7F60 × n { A1, 5F2E 19794-4 record }.

On a real chip DG3 needs Terminal Authentication (EAC); without it the card answers 6982.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ParseError
from . import tlv
from .biometric import (
    FORMAT_FINGER_19794_4,
    OWNER_ISO_SC37,
    TYPE_FINGER,
    BiometricHeader,
    BiometricInfo,
    encode_bit_group,
    parse_biometric_dg,
)
from .finger_image import (
    Compression,
    FingerImageRecord,
    FingerView,
    encode_finger_record,
    parse_finger_record,
)

__all__ = ["Dg3", "encode_dg3", "parse_dg3"]

DG3_TAG = 0x63


@dataclass(frozen=True)
class Dg3:
    records: tuple[FingerImageRecord, ...]
    infos: tuple[BiometricInfo, ...]

    @property
    def fingers(self) -> tuple[FingerView, ...]:
        """All finger images of all records, in order."""
        return tuple(v for r in self.records for v in r.views)

    def __repr__(self) -> str:
        return f"Dg3({len(self.records)} record(s), {len(self.fingers)} finger image(s))"


def parse_dg3(data: bytes) -> Dg3:
    """DG3 bytes → its finger image records (image bytes raw, typically WSQ)."""
    infos = parse_biometric_dg(data, DG3_TAG, "DG3")
    records = []
    for info in infos:
        if info.enciphered:
            raise ParseError("DG3 finger data is enciphered; cardkit cannot read it")
        records.append(parse_finger_record(info.data))
    return Dg3(tuple(records), infos)


def encode_dg3(fingers: Sequence[FingerView], *, compression: int = Compression.WSQ,
               resolution: int = 500) -> bytes:
    """A DG3 with one BIT per finger image (as issuers do), each a 19794-4 record."""
    if not fingers:
        raise ValueError("DG3 needs at least one finger image")
    infos = []
    for view in fingers:
        header = BiometricHeader(
            format_owner=OWNER_ISO_SC37, format_type=FORMAT_FINGER_19794_4,
            icao_header_version=b"\x01\x01", biometric_type=TYPE_FINGER,
            biometric_subtype=_subtype(view.position),
        )
        record = encode_finger_record([view], compression=compression, resolution=resolution)
        infos.append(BiometricInfo(header, record))
    return tlv.encode(DG3_TAG, encode_bit_group(infos))


def _subtype(position: int) -> int:
    """CBEFF biometric subtype for a finger position (ISO/IEC 19785-1: bit 0x01 right, 0x02 left;
    bits 3-5 finger: 1 thumb … 5 little)."""
    if 1 <= position <= 5:
        return 0x01 | (position << 2)
    if 6 <= position <= 10:
        return 0x02 | ((position - 5) << 2)
    return 0
