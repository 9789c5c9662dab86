"""DG2 / ISO 19794-5 face records: reference files, magic-byte detection, decoding, encoder."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from cardkit.errors import ParseError
from cardkit.lds.biometric import FORMAT_FACE_19794_5, OWNER_ISO_SC37, TYPE_FACE
from cardkit.lds.dg2 import encode_dg2, parse_dg2
from cardkit.lds.face_image import (
    FaceImage,
    FeaturePoint,
    ImageDataType,
    decode_image,
    detect_mime,
    encode_face_record,
    parse_face_record,
)


def _jp2_ihdr_size(jp2: bytes) -> tuple[int, int]:
    """Width/height from the JP2 'ihdr' box (ISO/IEC 15444-1 §I.5.3.1), read independently."""
    i = jp2.index(b"ihdr")
    height, width = struct.unpack_from(">II", jp2, i + 4)
    return width, height


@pytest.mark.parametrize(
    ("name", "size"),
    [("loes2006/ef0102.bin", (449, 598)), ("bsi2008/Datagroup2.bin", (337, 449))],
)
def test_reference_dg2_parses_and_decodes(interop_dir, name, size):
    dg2 = parse_dg2((interop_dir / name).read_bytes())
    assert len(dg2.faces) == 1
    face = dg2.face
    info = dg2.infos[0].header
    assert (info.format_owner, info.format_type, info.biometric_type) == (
        OWNER_ISO_SC37, FORMAT_FACE_19794_5, TYPE_FACE)
    assert face.mime == "image/jp2"
    assert face.image_data_type == ImageDataType.JPEG2000
    assert (face.width, face.height) == size  # as the 19794-5 header states
    pixels = decode_image(face.image_bytes)
    assert pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3
    assert (pixels.shape[1], pixels.shape[0]) == _jp2_ihdr_size(face.image_bytes)
    assert pixels.std() > 10  # a real picture, not a flat block
    assert "bytes" in repr(face) and str(face.image_bytes[:8]) not in repr(face)


def test_bsi_header_size_differs_from_image(interop_dir):
    # BSI 2008 DG2 states 337x449 while its JPEG 2000 is 413x531: trust the image, keep the field
    face = parse_dg2((interop_dir / "bsi2008/Datagroup2.bin").read_bytes()).face
    assert _jp2_ihdr_size(face.image_bytes) == (413, 531)


def _jpeg(w: int = 64, h: int = 80) -> bytes:
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _j2k_codestream(w: int = 48, h: int = 40) -> bytes:
    img = Image.fromarray(np.full((h, w, 3), 128, dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, "JPEG2000", no_jp2=True)
    return buf.getvalue()


def test_encode_dg2_jpeg_round_trip():
    jpeg = _jpeg()
    dg2 = parse_dg2(encode_dg2(jpeg, 64, 80))
    face = dg2.face
    assert face.image_bytes == jpeg
    assert (face.mime, face.width, face.height) == ("image/jpeg", 64, 80)
    assert face.image_data_type == ImageDataType.JPEG and not face.header_mismatch
    assert decode_image(face.image_bytes).shape == (80, 64, 3)


def test_magic_bytes_win_over_header_field():
    j2k = _j2k_codestream()
    assert detect_mime(j2k) == "image/jp2"
    # header claims JPEG, payload is a raw J2K codestream
    face = parse_dg2(encode_dg2(j2k, 48, 40, ImageDataType.JPEG)).face
    assert face.mime == "image/jp2" and face.header_mismatch
    assert decode_image(face.image_bytes).shape == (40, 48, 3)


def test_face_record_with_feature_points_round_trip():
    face = FaceImage(image_bytes=_jpeg(), mime="image/jpeg", width=64, height=80,
                     image_data_type=0, gender=2, eye_colour=3, feature_mask=0x123456,
                     pose_angle=(1, 2, 3), feature_points=(FeaturePoint(1, 12, 1, 20, 30),
                                                           FeaturePoint(1, 12, 2, 40, 30)))
    record = parse_face_record(encode_face_record([face, face]))
    assert record.version == "010"
    assert record.faces == (face, face)


def test_undecodable_image_is_parse_error():
    with pytest.raises(ParseError, match="cannot be decoded"):
        decode_image(b"\xff\xd8\xff" + b"\x00" * 50)
    with pytest.raises(ParseError):
        decode_image(b"")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: b"FAX" + r[3:],  # not a face record
        lambda r: r[:8] + struct.pack(">I", len(r) + 1) + r[12:],  # record length lies
        lambda r: r[:12] + b"\x00\x00" + r[14:],  # zero faces
        lambda r: r[:14] + struct.pack(">I", 5) + r[18:],  # block shorter than its headers
        lambda r: r + b"\x00",  # trailing garbage
    ],
)
def test_malformed_face_record(mutate):
    record = encode_face_record([FaceImage(_jpeg(), "image/jpeg", 64, 80, 0)])
    with pytest.raises(ParseError):
        parse_face_record(mutate(record))
