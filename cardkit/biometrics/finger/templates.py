"""Finger minutiae records: ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004, written and read.

A bank can keep a template instead of the image. Both formats start with `FMR\\0` and version
` 20\\0`; they differ in the header (ANSI adds a CBEFF product id and a 2- or 6-byte length; ISO a
4-byte length) and in the angle unit (ISO: 256 steps of 1.40625°; ANSI: 180 steps of 2°).
Resolution is in pixels per centimetre in both (500 ppi → 197). Each finger view: position,
view number / impression type, quality, minutiae (6 bytes: 2-bit type + 14-bit x, 2 reserved
bits + 14-bit y, angle, quality), then the extended data block length (0 here; kept when read).

No package writes valid records (see ../shared/README.md), hence this codec. Readers are bounded:
every length is checked against the data before it is used.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

from ...errors import ParseError
from .minutiae import FingerTemplate, Minutia, MinutiaKind

MAGIC = b"FMR\x00"
VERSION = b" 20\x00"
ISO_HEADER = 24
ANSI_HEADER = 26
VIEW_HEADER = 4
MINUTIA = 6
MAX_COORD = 0x3FFF
CM_PER_INCH = 2.54


def _ppcm(ppi: float) -> int:
    return round(ppi / CM_PER_INCH)


def _views(templates: Sequence[FingerTemplate], ansi: bool) -> bytes:
    out = bytearray()
    counts: dict[int, int] = {}
    for t in templates:
        if len(t.minutiae) > 255:
            raise ValueError("a finger view holds at most 255 minutiae")
        view = counts.get(t.position, 0)
        counts[t.position] = view + 1
        if view > 15:
            raise ValueError("at most 16 views of one finger")
        quality = 0 if t.quality is None else max(0, min(100, t.quality))
        out += struct.pack(">BBBB", t.position, (view << 4) | 0, quality, len(t.minutiae))
        for m in t.minutiae:
            if not (0 <= m.x <= MAX_COORD and 0 <= m.y <= MAX_COORD):
                raise ValueError("minutia coordinate outside 0–16383")
            deg = math.degrees(m.angle) % 360
            angle = round(deg / 2) % 180 if ansi else round(deg / (360 / 256)) % 256
            out += struct.pack(">HHBB", (int(m.kind) & 3) << 14 | m.x, m.y & MAX_COORD, angle,
                               max(0, min(100, m.quality)))
        out += b"\x00\x00"  # extended data block length
    return bytes(out)


def _check(templates: Sequence[FingerTemplate]) -> FingerTemplate:
    if not templates:
        raise ValueError("a minutiae record needs at least one finger view")
    first = templates[0]
    if any((t.width, t.height, t.ppi) != (first.width, first.height, first.ppi)
           for t in templates):
        raise ValueError("all views of one record share the image size and resolution")
    if len(templates) > 255:
        raise ValueError("at most 255 finger views")
    return first


def encode_iso(templates: Sequence[FingerTemplate], *, device_id: int = 0) -> bytes:
    """ISO/IEC 19794-2:2005 finger minutiae record."""
    first = _check(templates)
    body = _views(templates, ansi=False)
    total = ISO_HEADER + len(body)
    res = _ppcm(first.ppi)
    header = MAGIC + VERSION + struct.pack(">IHHHHHBB", total, device_id & 0xFFF, first.width,
                                           first.height, res, res, len(templates), 0)
    return header + body


def encode_ansi(templates: Sequence[FingerTemplate], *, product_owner: int = 0,
                product_type: int = 0, device_id: int = 0) -> bytes:
    """ANSI INCITS 378-2004 finger minutiae record."""
    first = _check(templates)
    body = _views(templates, ansi=True)
    res = _ppcm(first.ppi)
    rest = struct.pack(">HHHHHHHBB", product_owner, product_type, device_id & 0xFFF, first.width,
                       first.height, res, res, len(templates), 0)
    total = 4 + 4 + 2 + len(rest) + len(body)
    length = struct.pack(">H", total) if total <= 0xFFFF else struct.pack(">HI", 0, total + 4)
    return MAGIC + VERSION + length + rest + body


def decode(data: bytes) -> tuple[str, list[FingerTemplate]]:
    """Either format → ("iso" | "ansi", the finger views). ParseError when malformed.

    The two formats share magic and version; the length field tells them apart: ISO's 4-byte
    length equals the data size, ANSI's 2-byte (or 0 + 4-byte) length does."""
    buf = bytes(data)
    if len(buf) < ISO_HEADER or buf[:4] != MAGIC:
        raise ParseError("not a finger minutiae record (no 'FMR' header)")
    if buf[4:8] != VERSION:
        raise ParseError(f"unsupported minutiae record version {buf[4:8]!r} (' 20' expected)")
    if struct.unpack_from(">I", buf, 8)[0] == len(buf):
        return "iso", _decode_iso(buf)
    return "ansi", _decode_ansi(buf)


def decode_iso(data: bytes) -> list[FingerTemplate]:
    kind, views = decode(data)
    if kind != "iso":
        raise ParseError("the record is ANSI INCITS 378, not ISO/IEC 19794-2")
    return views


def decode_ansi(data: bytes) -> list[FingerTemplate]:
    kind, views = decode(data)
    if kind != "ansi":
        raise ParseError("the record is ISO/IEC 19794-2, not ANSI INCITS 378")
    return views


def _decode_iso(buf: bytes) -> list[FingerTemplate]:
    (_total, device, w, h, rx, _ry, n_views, _r) = struct.unpack_from(">IHHHHHBB", buf, 8)
    return _read_views(buf, ISO_HEADER, n_views, w, h, rx, ansi=False)


def _decode_ansi(buf: bytes) -> list[FingerTemplate]:
    total = struct.unpack_from(">H", buf, 8)[0]
    pos = 10
    if total == 0:
        if len(buf) < 14:
            raise ParseError("minutiae record truncated in its length field")
        total = struct.unpack_from(">I", buf, 10)[0]
        pos = 14
    if total != len(buf):
        raise ParseError(f"minutiae record says {total} bytes but holds {len(buf)}")
    if len(buf) < pos + 16:
        raise ParseError("minutiae record truncated in its header")
    (_owner, _type, _device, w, h, rx, _ry, n_views, _r) = struct.unpack_from(
        ">HHHHHHHBB", buf, pos)
    return _read_views(buf, pos + 16, n_views, w, h, rx, ansi=True)


def _read_views(buf: bytes, pos: int, n_views: int, w: int, h: int, res_cm: int,
                ansi: bool) -> list[FingerTemplate]:
    if not n_views:
        raise ParseError("minutiae record holds no finger view")
    if not res_cm:
        raise ParseError("minutiae record gives no resolution")
    ppi = res_cm * CM_PER_INCH
    out = []
    for _ in range(n_views):
        if pos + VIEW_HEADER > len(buf):
            raise ParseError("minutiae record truncated in a finger view header")
        position, _view_imp, quality, count = struct.unpack_from(">BBBB", buf, pos)
        pos += VIEW_HEADER
        if pos + count * MINUTIA + 2 > len(buf):
            raise ParseError(f"finger view claims {count} minutiae beyond the record's end")
        mins = []
        for _i in range(count):
            tx, ry, angle, q = struct.unpack_from(">HHBB", buf, pos)
            pos += MINUTIA
            kind = tx >> 14
            if ansi and angle >= 180:
                raise ParseError(f"ANSI minutia angle {angle} outside 0–179")
            deg = angle * 2.0 if ansi else angle * 360 / 256
            mins.append(Minutia(tx & MAX_COORD, ry & MAX_COORD, math.radians(deg),
                                MinutiaKind(kind) if kind < 3 else MinutiaKind.OTHER,
                                min(q, 100)))
        ext = struct.unpack_from(">H", buf, pos)[0]
        pos += 2
        if pos + ext > len(buf):
            raise ParseError("extended data block runs past the record's end")
        pos += ext
        out.append(FingerTemplate(tuple(mins), w, h, ppi, position, quality or None,
                                  "ansi378" if ansi else "iso19794-2"))
    if pos != len(buf):
        raise ParseError(f"{len(buf) - pos} unexpected bytes after the last finger view")
    return out
