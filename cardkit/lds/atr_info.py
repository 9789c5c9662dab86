"""What a chip says about extended length before any command: the ATR's historical bytes (card
capabilities, ISO/IEC 7816-4 §12.1.1.9 Table 119) and EF.ATR/INFO (FID 2F01, ISO/IEC 7816-4
§12.2.2.11; ICAO 9303-10 §3.11.5): DO'7F66' extended length information {INTEGER max command
bytes, INTEGER max response bytes}, DO'47' card capabilities.

Pure parsing on bytes; a malformed ATR or EF.ATR/INFO says nothing (None), it never raises.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParseError
from . import tlv

ATR_INFO_FID = 0x2F01
_EXTENDED_BIT = 0x40  # third software function table, b7: extended Lc and Le fields


@dataclass(frozen=True)
class LengthInfo:
    """`extended_length`: True/False when the chip says, None when it does not."""

    extended_length: bool | None = None
    max_command: int | None = None
    max_response: int | None = None
    source: str = ""


def historical_bytes(atr: bytes) -> bytes:
    """The historical bytes of an ATR (ISO/IEC 7816-3 §8.2); b'' when the ATR is malformed."""
    if len(atr) < 2:
        return b""
    k = atr[1] & 0x0F
    y = atr[1] >> 4
    pos = 2
    tck = False
    while True:
        for bit in (0x1, 0x2, 0x4):
            if y & bit:
                pos += 1
        if y & 0x8:
            if pos >= len(atr):
                return b""
            td = atr[pos]
            pos += 1
            if td & 0x0F:
                tck = True
            y = td >> 4
        else:
            break
    hist = atr[pos:pos + k]
    if len(hist) != k or (tck and pos + k >= len(atr)):
        return b""
    return hist


def _capabilities(value: bytes) -> bool | None:
    return bool(value[2] & _EXTENDED_BIT) if len(value) >= 3 else None


def from_atr(atr: bytes) -> LengthInfo:
    """Card capabilities (compact-TLV tag 7) in the historical bytes, if the ATR has them."""
    hist = historical_bytes(atr)
    if not hist or hist[0] not in (0x00, 0x80):
        return LengthInfo()
    body = hist[1:-3] if hist[0] == 0x00 else hist[1:]  # category 00: 3 status bytes at the end
    pos = 0
    while pos < len(body):
        tag, length = body[pos] >> 4, body[pos] & 0x0F
        value = body[pos + 1:pos + 1 + length]
        if len(value) != length:
            return LengthInfo()
        if tag == 0x7:
            ext = _capabilities(value)
            return LengthInfo(ext, source="ATR") if ext is not None else LengthInfo()
        pos += 1 + length
    return LengthInfo()


def parse_atr_info(data: bytes) -> LengthInfo:
    """EF.ATR/INFO content: DO'7F66' decides (extended length with its limits), else DO'47'."""
    objects = []
    pos = 0
    try:
        while pos < len(data) and data[pos] not in (0x00, 0xFF):  # 00/FF: padding after the DOs
            obj, pos = tlv.parse_one(data, pos)
            objects.append(obj)
    except ParseError:
        return LengthInfo()
    caps = None
    for obj in objects:
        if obj.tag == 0x7F66:
            try:
                ints = [t for t in obj.children() if t.tag == 0x02]
            except ParseError:
                return LengthInfo()
            if len(ints) >= 2 and all(1 <= len(t.value) <= 3 for t in ints[:2]):
                cmd, resp = (int.from_bytes(t.value, "big") for t in ints[:2])
                return LengthInfo(True, cmd, resp, "EF.ATR/INFO")
        elif obj.tag == 0x47:
            caps = _capabilities(obj.value)
    return LengthInfo(caps, source="EF.ATR/INFO") if caps is not None else LengthInfo()
