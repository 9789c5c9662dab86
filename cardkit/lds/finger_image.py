"""ISO/IEC 19794-4:2005 finger image records (`FIR\\0`), as stored in DG3 (ICAO 9303-10 §4.7.3).

Layout (§8.2–8.3): general record header (32 bytes) → finger/palm image records, one per view:
14-byte header (length, position, view count, view number, quality, impression type, width,
height) + image data. Image bytes are kept raw (WSQ decoding lives with the biometrics code).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from ..errors import ParseError

__all__ = [
    "Compression",
    "FingerImageRecord",
    "FingerView",
    "encode_finger_record",
    "finger_name",
    "parse_finger_record",
]

FORMAT_ID = b"FIR\x00"
VERSION_010 = b"010\x00"
GENERAL_HEADER_LEN = 32
VIEW_HEADER_LEN = 14
MAX_VIEWS = 64


class Compression(IntEnum):
    """19794-4 §8.2.14 image compression algorithm."""

    UNCOMPRESSED = 0
    UNCOMPRESSED_BIT_PACKED = 1
    WSQ = 2
    JPEG = 3
    JPEG2000 = 4
    PNG = 5


_FINGER_NAMES = {
    0: "unknown finger", 1: "right thumb", 2: "right index", 3: "right middle", 4: "right ring",
    5: "right little", 6: "left thumb", 7: "left index", 8: "left middle", 9: "left ring",
    10: "left little", 11: "plain right thumb", 12: "plain left thumb",
    13: "plain right four fingers", 14: "plain left four fingers", 15: "plain thumbs (2)",
}


def finger_name(position: int) -> str:
    """19794-4 Table 2 (finger position codes 0–15); palms and others as `position N`."""
    return _FINGER_NAMES.get(position, f"position {position}")


@dataclass(frozen=True)
class FingerView:
    """One finger image (one view of one finger)."""

    position: int
    view_number: int
    view_count: int
    quality: int
    impression_type: int  # 0 live-scan plain, 1 live-scan rolled, 2/3 non-live ...
    width: int  # horizontal line length, pixels
    height: int  # vertical line length, pixels
    image_bytes: bytes

    @property
    def finger(self) -> str:
        return finger_name(self.position)

    def __repr__(self) -> str:  # biometric data never in logs
        return (f"FingerView({self.finger}, view {self.view_number}, {self.width}x{self.height}, "
                f"{len(self.image_bytes)} bytes)")


@dataclass(frozen=True)
class FingerImageRecord:
    """A 19794-4 record: capture settings shared by all its views, and the views."""

    version: str
    capture_device_id: int
    acquisition_level: int
    scale_units: int  # 1 = pixels per inch, 2 = pixels per cm
    scan_resolution: tuple[int, int]  # horizontal, vertical
    image_resolution: tuple[int, int]
    pixel_depth: int
    compression: int  # a `Compression` value (kept as int: unknown codes survive)
    views: tuple[FingerView, ...]

    @property
    def compression_name(self) -> str:
        try:
            return Compression(self.compression).name
        except ValueError:
            return f"UNKNOWN_{self.compression}"


def parse_finger_record(data: bytes) -> FingerImageRecord:
    """Parse a 19794-4:2005 record (`FIR\\0`, version `010\\0`)."""
    buf = bytes(data)
    if len(buf) < GENERAL_HEADER_LEN:
        raise ParseError("finger record shorter than its 32-byte header")
    if buf[:4] != FORMAT_ID:
        raise ParseError("biometric data is not an ISO/IEC 19794-4 finger record (no 'FIR')")
    version = buf[4:8]
    if version[3] != 0 or not version[:3].isdigit():
        raise ParseError("finger record version field is malformed")
    record_len = int.from_bytes(buf[8:14], "big")
    (device, level, n_views, units, sh, sv, ih, iv, depth, compression,
     _reserved) = struct.unpack_from(">HHBBHHHHBBH", buf, 14)
    if record_len != len(buf):
        raise ParseError(f"finger record says {record_len} bytes but holds {len(buf)}")
    if not 1 <= n_views <= MAX_VIEWS:
        raise ParseError(f"finger record claims {n_views} finger images")
    pos = GENERAL_HEADER_LEN
    views = []
    for _ in range(n_views):
        if pos + VIEW_HEADER_LEN > len(buf):
            raise ParseError("finger record truncated in a finger image header")
        (length, position, count, number, quality, impression, width,
         height, _r) = struct.unpack_from(">IBBBBBHHB", buf, pos)
        if length < VIEW_HEADER_LEN or pos + length > len(buf):
            raise ParseError(f"finger image length {length} does not fit the record")
        image = buf[pos + VIEW_HEADER_LEN:pos + length]
        views.append(FingerView(position, number, count, quality, impression, width, height,
                                image))
        pos += length
    if pos != len(buf):
        raise ParseError(f"{len(buf) - pos} unexpected bytes after the last finger image")
    return FingerImageRecord(
        version=version[:3].decode("ascii"), capture_device_id=device, acquisition_level=level,
        scale_units=units, scan_resolution=(sh, sv), image_resolution=(ih, iv),
        pixel_depth=depth, compression=compression, views=tuple(views),
    )


def encode_finger_record(views: Sequence[FingerView], *, compression: int = Compression.WSQ,
                         resolution: int = 500, scale_units: int = 1, pixel_depth: int = 8,
                         acquisition_level: int = 31, capture_device_id: int = 0) -> bytes:
    """Encode a 19794-4:2005 record holding `views` (same resolution for scan and image)."""
    if not 1 <= len(views) <= MAX_VIEWS:
        raise ValueError("a finger record holds 1 to 64 finger images")
    body = b"".join(
        struct.pack(">IBBBBBHHB", VIEW_HEADER_LEN + len(v.image_bytes), v.position, v.view_count,
                    v.view_number, v.quality, v.impression_type, v.width, v.height, 0)
        + v.image_bytes
        for v in views
    )
    total = GENERAL_HEADER_LEN + len(body)
    header = FORMAT_ID + VERSION_010 + total.to_bytes(6, "big") + struct.pack(
        ">HHBBHHHHBBH", capture_device_id, acquisition_level, len(views), scale_units,
        resolution, resolution, resolution, resolution, pixel_depth, int(compression), 0)
    return header + body
