"""DG3 / ISO 19794-4 finger image records against the BSI 2008 reference DG3."""

from __future__ import annotations

import struct

import pytest

from cardkit.errors import ParseError
from cardkit.lds.biometric import FORMAT_FINGER_19794_4, TYPE_FINGER
from cardkit.lds.dg3 import encode_dg3, parse_dg3
from cardkit.lds.finger_image import (
    Compression,
    FingerView,
    encode_finger_record,
    finger_name,
    parse_finger_record,
)


def test_bsi2008_dg3(interop_dir):
    dg3 = parse_dg3((interop_dir / "bsi2008/Datagroup3.bin").read_bytes())
    assert len(dg3.records) == 2
    assert [f.position for f in dg3.fingers] == [2, 7]
    assert [f.finger for f in dg3.fingers] == ["right index", "left index"]
    for record, info in zip(dg3.records, dg3.infos, strict=True):
        assert record.compression == Compression.WSQ and record.compression_name == "WSQ"
        assert record.scan_resolution == (500, 500) and record.scale_units == 1
        assert (info.header.biometric_type, info.header.format_type) == (
            TYPE_FINGER, FORMAT_FINGER_19794_4)
    assert [info.header.biometric_subtype for info in dg3.infos] == [0x09, 0x0A]
    for view in dg3.fingers:
        assert (view.width, view.height) == (620, 620)
        assert view.image_bytes[:2] == b"\xff\xa0"  # WSQ start-of-image marker
    # the left index finger is the very WSQ file shipped in interop/wsq/
    assert dg3.fingers[1].image_bytes == (interop_dir / "wsq/fp.wsq").read_bytes()


def test_encode_dg3_reproduces_subtypes_and_round_trips(interop_dir):
    ref = parse_dg3((interop_dir / "bsi2008/Datagroup3.bin").read_bytes())
    again = parse_dg3(encode_dg3(ref.fingers))
    assert again.fingers == ref.fingers
    assert [i.header.biometric_subtype for i in again.infos] == [0x09, 0x0A]
    # one record per finger, same layout as the reference: identical record bytes
    assert [i.data for i in again.infos] == [i.data for i in ref.infos]


def test_multi_view_record_round_trip():
    views = [FingerView(1, n, 2, 80, 0, 10, 12, bytes([n]) * 7) for n in (1, 2)]
    rec = parse_finger_record(encode_finger_record(views, compression=Compression.PNG,
                                                   resolution=197, scale_units=2))
    assert rec.views == tuple(views)
    assert (rec.compression, rec.scale_units, rec.image_resolution) == (5, 2, (197, 197))


def test_unknown_finger_position_and_compression_survive():
    rec = parse_finger_record(encode_finger_record([FingerView(99, 1, 1, 0, 0, 1, 1, b"x")],
                                                   compression=42))
    assert rec.compression_name == "UNKNOWN_42"
    assert finger_name(99) == "position 99"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: b"FAC" + r[3:],
        lambda r: r[:8] + (len(r) + 3).to_bytes(6, "big") + r[14:],
        lambda r: r[:18] + b"\x00" + r[19:],  # zero views
        lambda r: r[:32] + struct.pack(">I", 3) + r[36:],  # view shorter than its header
        lambda r: r[:32] + struct.pack(">I", 10_000) + r[36:],  # view runs past the record
    ],
)
def test_malformed_finger_record(mutate):
    rec = encode_finger_record([FingerView(2, 1, 1, 60, 0, 4, 4, b"\xff\xa0" + b"\x00" * 10)])
    with pytest.raises(ParseError):
        parse_finger_record(mutate(rec))
