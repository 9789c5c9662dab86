"""ISO/IEC 19794-5:2005 face image records (`FAC\\0`), as stored in DG2 (ICAO 9303-10 §4.7.2).

Layout (§5.4–5.7): general header (14 bytes) → per face: facial information (20 bytes), feature
points (8 bytes each), image information (12 bytes), image data. The image format is decided by
its magic bytes (JPEG, JP2 file, raw J2K codestream); the header field is only a fallback.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

from ..errors import ParseError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "FaceImage",
    "FaceImageType",
    "FaceRecord",
    "FeaturePoint",
    "ImageDataType",
    "decode_image",
    "detect_mime",
    "encode_face_record",
    "parse_face_record",
]

FORMAT_ID = b"FAC\x00"
VERSION_010 = b"010\x00"
GENERAL_HEADER_LEN = 14
FACIAL_INFO_LEN = 20
FEATURE_POINT_LEN = 8
IMAGE_INFO_LEN = 12
MAX_FACES = 16
MAX_FEATURE_POINTS = 255

JPEG_MAGIC = b"\xff\xd8\xff"
JP2_MAGIC = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
J2K_MAGIC = b"\xff\x4f\xff\x51"
MIME_JPEG = "image/jpeg"
MIME_JP2 = "image/jp2"


class ImageDataType(IntEnum):
    """19794-5 §5.7.2."""

    JPEG = 0
    JPEG2000 = 1


class FaceImageType(IntEnum):
    """19794-5 §5.7.1."""

    BASIC = 0
    FULL_FRONTAL = 1
    TOKEN_FRONTAL = 2


@dataclass(frozen=True)
class FeaturePoint:
    """19794-5 §5.6.3: type 1 = MPEG-4 landmark (major.minor), x/y in pixels."""

    type: int
    major: int
    minor: int
    x: int
    y: int


@dataclass(frozen=True)
class FaceImage:
    """One face: the image as stored plus what the record says about it."""

    image_bytes: bytes
    mime: str  # "image/jpeg" | "image/jp2" (from magic bytes when recognisable)
    width: int
    height: int
    image_data_type: int  # header field: 0 JPEG, 1 JPEG 2000
    face_image_type: int = FaceImageType.FULL_FRONTAL
    gender: int = 0
    eye_colour: int = 0
    hair_colour: int = 0
    feature_mask: int = 0
    expression: int = 0
    pose_angle: tuple[int, int, int] = (0, 0, 0)  # yaw, pitch, roll (encoded bytes)
    pose_angle_uncertainty: tuple[int, int, int] = (0, 0, 0)
    feature_points: tuple[FeaturePoint, ...] = ()
    colour_space: int = 1  # 1 = 24-bit RGB
    source_type: int = 0
    device_type: int = 0
    quality: int = 0

    @property
    def header_mismatch(self) -> bool:
        """True when the record's image data type disagrees with the image's magic bytes."""
        expected = MIME_JPEG if self.image_data_type == ImageDataType.JPEG else MIME_JP2
        return self.mime != expected

    def __repr__(self) -> str:  # biometric data never in logs
        return f"FaceImage({self.mime}, {self.width}x{self.height}, {len(self.image_bytes)} bytes)"


@dataclass(frozen=True)
class FaceRecord:
    version: str
    faces: tuple[FaceImage, ...]


def detect_mime(image: bytes) -> str | None:
    """JPEG, JP2 box or raw J2K codestream by magic bytes; None when unrecognised."""
    if image.startswith(JPEG_MAGIC):
        return MIME_JPEG
    if image.startswith(JP2_MAGIC) or image.startswith(J2K_MAGIC):
        return MIME_JP2
    return None


def _parse_face(buf: bytes, pos: int, end: int) -> tuple[FaceImage, int]:
    if pos + FACIAL_INFO_LEN > end:
        raise ParseError("face record truncated in its facial information block")
    (block_len, n_points, gender, eye, hair, mask_hi, mask_lo, expression,
     y, p, r, uy, up, ur) = struct.unpack_from(">IHBBBBHH3B3B", buf, pos)
    mask = (mask_hi << 16) | mask_lo
    block_end = pos + block_len
    min_len = FACIAL_INFO_LEN + n_points * FEATURE_POINT_LEN + IMAGE_INFO_LEN
    if block_len < min_len or block_end > end:
        raise ParseError(f"face record block length {block_len} does not fit the record")
    if n_points > MAX_FEATURE_POINTS:
        raise ParseError("face record has too many feature points")
    q = pos + FACIAL_INFO_LEN
    points = []
    for _ in range(n_points):
        ftype, code, x, yy, _reserved = struct.unpack_from(">BBHHH", buf, q)
        points.append(FeaturePoint(ftype, code >> 4, code & 0x0F, x, yy))
        q += FEATURE_POINT_LEN
    (face_type, data_type, width, height, colour, source, device,
     quality) = struct.unpack_from(">BBHHBBHH", buf, q)
    q += IMAGE_INFO_LEN
    image = bytes(buf[q:block_end])
    if not image:
        raise ParseError("face record holds no image data")
    mime = detect_mime(image)
    if mime is None:
        if data_type == ImageDataType.JPEG:
            mime = MIME_JPEG
        elif data_type == ImageDataType.JPEG2000:
            mime = MIME_JP2
        else:
            raise ParseError(f"face image is neither JPEG nor JPEG 2000 (type {data_type})")
    face = FaceImage(
        image_bytes=image, mime=mime, width=width, height=height, image_data_type=data_type,
        face_image_type=face_type, gender=gender, eye_colour=eye, hair_colour=hair,
        feature_mask=mask, expression=expression, pose_angle=(y, p, r),
        pose_angle_uncertainty=(uy, up, ur), feature_points=tuple(points),
        colour_space=colour, source_type=source, device_type=device, quality=quality,
    )
    return face, block_end


def parse_face_record(data: bytes, warnings: list[str] | None = None) -> FaceRecord:
    """Parse a 19794-5 record (`FAC\\0`, version `010\\0`) into its faces."""
    buf = bytes(data)
    if len(buf) < GENERAL_HEADER_LEN:
        raise ParseError("face record shorter than its 14-byte header")
    if buf[:4] != FORMAT_ID:
        raise ParseError("biometric data is not an ISO/IEC 19794-5 face record (no 'FAC')")
    version = buf[4:8]
    if version[3] != 0 or not version[:3].isdigit():
        raise ParseError("face record version field is malformed")
    record_len, n_faces = struct.unpack_from(">IH", buf, 8)
    if warnings is not None and GENERAL_HEADER_LEN < record_len < len(buf):
        warnings.append(f"face record: {len(buf) - record_len} byte(s) after the record "
                        f"ignored")
        buf = buf[:record_len]
    if record_len != len(buf):
        raise ParseError(f"face record says {record_len} bytes but holds {len(buf)}")
    if not 1 <= n_faces <= MAX_FACES:
        raise ParseError(f"face record claims {n_faces} faces")
    pos = GENERAL_HEADER_LEN
    faces = []
    for _ in range(n_faces):
        face, pos = _parse_face(buf, pos, len(buf))
        faces.append(face)
    if pos != len(buf):
        if warnings is None:
            raise ParseError(f"{len(buf) - pos} unexpected bytes after the last face image")
        warnings.append(f"face record: {len(buf) - pos} byte(s) after the last face image "
                        f"ignored")
    return FaceRecord(version[:3].decode("ascii"), tuple(faces))


def encode_face_record(faces: Sequence[FaceImage]) -> bytes:
    """Encode a 19794-5:2005 record (version 010) holding `faces`."""
    if not 1 <= len(faces) <= MAX_FACES:
        raise ValueError("a face record holds 1 to 16 faces")
    blocks = []
    for f in faces:
        points = b"".join(
            struct.pack(">BBHHH", p.type, (p.major << 4) | (p.minor & 0x0F), p.x, p.y, 0)
            for p in f.feature_points
        )
        info = struct.pack(">BBHHBBHH", f.face_image_type, f.image_data_type, f.width, f.height,
                           f.colour_space, f.source_type, f.device_type, f.quality)
        block_len = FACIAL_INFO_LEN + len(points) + IMAGE_INFO_LEN + len(f.image_bytes)
        head = struct.pack(">IHBBBBHH3B3B", block_len, len(f.feature_points), f.gender,
                           f.eye_colour, f.hair_colour, (f.feature_mask >> 16) & 0xFF,
                           f.feature_mask & 0xFFFF, f.expression, *f.pose_angle,
                           *f.pose_angle_uncertainty)
        blocks.append(head + points + info + f.image_bytes)
    body = b"".join(blocks)
    total = GENERAL_HEADER_LEN + len(body)
    return FORMAT_ID + VERSION_010 + struct.pack(">IH", total, len(faces)) + body


def decode_image(image: bytes) -> np.ndarray:
    """Decode a JPEG or JPEG 2000 portrait to an RGB `uint8` array of shape (H, W, 3).

    OpenCV first, Pillow as fallback (both read JPEG 2000 via OpenJPEG). ParseError if neither can.
    """
    import numpy as np  # noqa: F811 - imported lazily: parsing must not need numpy

    if not image:
        raise ParseError("face image is empty")
    try:
        import cv2

        arr = cv2.imdecode(np.frombuffer(image, dtype=np.uint8), cv2.IMREAD_COLOR)
        if arr is not None and arr.size:
            return np.ascontiguousarray(arr[:, :, ::-1])
    except Exception:  # noqa: BLE001 - any decoder failure falls through to Pillow
        pass
    try:
        from PIL import Image

        with Image.open(io.BytesIO(image)) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except Exception:  # noqa: BLE001
        raise ParseError(
            f"face image ({detect_mime(image) or 'unknown format'}, {len(image)} bytes) "
            "cannot be decoded: damaged or unsupported"
        ) from None
