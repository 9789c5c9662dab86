"""DG3 finger images decoded: the BSI 2008 reference passport (WSQ) and cardkit's own DG3s
(WSQ, JPEG 2000), checked against their ISO/IEC 19794-4 headers; corrupt images are refused."""

from __future__ import annotations

import dataclasses
import io
import json
import stat

import numpy as np
import pytest
from PIL import Image

from cardkit.biometrics.finger_images import decode_dg3, write_fingers
from cardkit.errors import BiometricError
from cardkit.lds.dg3 import encode_dg3, parse_dg3
from cardkit.lds.finger_image import Compression, FingerView
from cardkit.sim import fingerprint_synth as fs
from cardkit.sim.personas import get_persona


def test_bsi2008_dg3_decodes_to_two_fingers(interop_dir):
    dg3 = parse_dg3((interop_dir / "bsi2008" / "Datagroup3.bin").read_bytes())
    fingers = decode_dg3(dg3)
    assert [f.view.finger for f in fingers] == ["right index", "left index"]
    for f in fingers:
        d = f.describe()
        assert (d["width"], d["height"]) == (d["decoded_width"], d["decoded_height"]) == (620, 620)
        assert d["resolution"] == "500x500 ppi" and d["compression"] == "WSQ"
        assert f.image.std() > 20  # a fingerprint, not a flat image


def test_eac_persona_dg3_matches_the_generator():
    dg3 = parse_dg3(get_persona("eac").files["DG3"])
    fingers = decode_dg3(dg3)
    assert all(f.size_matches_header for f in fingers)
    original = fs.persona_impression(get_persona("eac"), "right-index", 0).astype(int)
    assert np.abs(fingers[0].image.astype(int) - original).mean() < 12  # WSQ is lossy


def test_jpeg2000_and_size_mismatch_reported(tmp_path):
    img = fs.impression("x", "right-thumb", 0)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG2000")
    view = FingerView(1, 1, 1, 50, 0, fs.WIDTH, fs.HEIGHT, buf.getvalue())
    lying = dataclasses.replace(view, width=fs.WIDTH + 8)
    dg3 = parse_dg3(encode_dg3([view, lying], compression=Compression.JPEG2000))
    good, bad = decode_dg3(dg3)
    assert good.size_matches_header and not bad.size_matches_header
    written = write_fingers(tmp_path / "f", dg3)
    meta = json.loads((tmp_path / "f" / "fingers.json").read_text())
    assert [m["size_matches_header"] for m in meta] == [True, False]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written)


def test_corrupt_wsq_is_a_biometric_error():
    view = FingerView(2, 1, 1, 50, 0, 100, 100, b"\xff\xa0garbage")
    dg3 = parse_dg3(encode_dg3([view], compression=Compression.WSQ))
    with pytest.raises(BiometricError, match="cannot be decoded"):
        decode_dg3(dg3)


def test_uncompressed_size_checked():
    view = FingerView(2, 1, 1, 50, 0, 10, 10, bytes(99))
    dg3 = parse_dg3(encode_dg3([view], compression=Compression.UNCOMPRESSED))
    with pytest.raises(BiometricError):
        decode_dg3(dg3)
