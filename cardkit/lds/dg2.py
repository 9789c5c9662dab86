"""DG2: encoded face (ICAO 9303-10 §4.7.2): 75 → 7F61 → 7F60 { A1 BHT, 5F2E 19794-5 record }."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParseError
from . import tlv
from .biometric import (
    FORMAT_FACE_19794_5,
    OWNER_ISO_SC37,
    TYPE_FACE,
    BiometricHeader,
    BiometricInfo,
    encode_bit_group,
    parse_biometric_dg,
)
from .face_image import (
    FaceImage,
    ImageDataType,
    detect_mime,
    encode_face_record,
    parse_face_record,
)

__all__ = ["Dg2", "encode_dg2", "parse_dg2"]

DG2_TAG = 0x75


@dataclass(frozen=True)
class Dg2:
    faces: tuple[FaceImage, ...]
    infos: tuple[BiometricInfo, ...]
    warnings: tuple[str, ...] = ()  # stray bytes ignored around an intact image

    @property
    def face(self) -> FaceImage:
        """The (first) portrait."""
        return self.faces[0]

    def __repr__(self) -> str:
        return f"Dg2({len(self.faces)} face(s))"


def parse_dg2(data: bytes) -> Dg2:
    """DG2 bytes → every face image it holds (at least one).

    Lenient where the structure is intact: bytes after the data group, after a face record or
    after the last image are ignored with a warning (EF.SOD's hash covers the whole file, so a
    stray byte must not hide a genuine portrait)."""
    warnings: list[str] = []
    infos = parse_biometric_dg(data, DG2_TAG, "DG2", warnings)
    faces: list[FaceImage] = []
    for info in infos:
        if info.enciphered:
            raise ParseError("DG2 face data is enciphered; cardkit cannot read it")
        faces.extend(parse_face_record(info.data, warnings).faces)
    return Dg2(tuple(faces), infos, tuple(warnings))


def encode_dg2(image_bytes: bytes, width: int, height: int,
               image_type: ImageDataType | int | None = None) -> bytes:
    """A DG2 holding one full-frontal face image (19794-5:2005 record in one BIT).

    `image_type` defaults to what the image's magic bytes say (JPEG or JPEG 2000).
    """
    if image_type is None:
        mime = detect_mime(image_bytes)
        if mime is None:
            raise ValueError("image is neither JPEG nor JPEG 2000")
        image_type = ImageDataType.JPEG if mime == "image/jpeg" else ImageDataType.JPEG2000
    image_type = ImageDataType(image_type)
    face = FaceImage(
        image_bytes=bytes(image_bytes),
        mime="image/jpeg" if image_type == ImageDataType.JPEG else "image/jp2",
        width=width, height=height, image_data_type=int(image_type),
    )
    header = BiometricHeader(
        format_owner=OWNER_ISO_SC37, format_type=FORMAT_FACE_19794_5,
        icao_header_version=b"\x01\x01", biometric_type=TYPE_FACE, biometric_subtype=0,
    )
    info = BiometricInfo(header, encode_face_record([face]))
    return tlv.encode(DG2_TAG, encode_bit_group([info]))
