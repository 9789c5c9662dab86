"""Fingerprint building blocks without the FVC data: ISO/ANSI template codecs (round trip, bounds),
image decoding (WSQ, JPEG 2000, raw, resolution), finger positions, the calibration model, MCC
invariance to rotation and translation of the minutiae."""

from __future__ import annotations

import io
import math
import struct

import numpy as np
import pytest

from cardkit.biometrics.finger import (
    FingerTemplate,
    Minutia,
    MinutiaKind,
    from_raw,
    load_calibration,
    load_finger_image,
    parse_position,
)
from cardkit.biometrics.finger.mcc import mcc_score
from cardkit.biometrics.finger.templates import (
    decode,
    decode_ansi,
    decode_iso,
    encode_ansi,
    encode_iso,
)
from cardkit.errors import InputError, ParseError


def _template(n: int = 40, seed: int = 1, position: int = 2) -> FingerTemplate:
    rng = np.random.default_rng(seed)
    mins = tuple(Minutia(int(rng.integers(20, 380)), int(rng.integers(20, 460)),
                         float(rng.uniform(0, 2 * math.pi)),
                         MinutiaKind(int(rng.integers(1, 3))), int(rng.integers(0, 101)))
                 for _ in range(n))
    return FingerTemplate(mins, 400, 480, 500.0, position, 57, "test")


def _same_within(a: FingerTemplate, b: FingerTemplate, step_deg: float) -> None:
    assert len(a) == len(b)
    for m, r in zip(a.minutiae, b.minutiae, strict=True):
        assert (m.x, m.y, m.kind, m.quality) == (r.x, r.y, r.kind, r.quality)
        d = (math.degrees(m.angle - r.angle) + 180) % 360 - 180
        assert abs(d) <= step_deg / 2 + 1e-9


def test_iso_round_trip_and_header_fields() -> None:
    t = _template()
    data = encode_iso([t])
    assert data[:8] == b"FMR\x00 20\x00"
    assert struct.unpack(">I", data[8:12])[0] == len(data)
    assert struct.unpack(">HH", data[18:22]) == (197, 197)  # 500 ppi in pixels per cm
    assert len(data) == 24 + 4 + 6 * len(t) + 2
    kind, (back,) = decode(data)
    assert kind == "iso"
    assert (back.width, back.height, back.position, back.quality) == (400, 480, 2, 57)
    assert back.ppi == pytest.approx(500.38, abs=0.01)
    _same_within(t, back, 360 / 256)
    assert encode_iso([back]) == data  # stable once quantised


def test_ansi_round_trip_uses_two_degree_angles() -> None:
    t = _template(seed=2, position=7)
    data = encode_ansi([t], product_owner=0x0103, product_type=0x0001)
    assert struct.unpack(">H", data[8:10])[0] == len(data)
    assert struct.unpack(">HH", data[10:14]) == (0x0103, 0x0001)
    angles = [data[26 + 4 + 6 * i + 4] for i in range(len(t))]
    assert max(angles) < 180
    (back,) = decode_ansi(data)
    _same_within(t, back, 2.0)
    assert back.position == 7
    with pytest.raises(ParseError, match="ANSI"):
        decode_iso(data)


def test_two_views_and_empty_view() -> None:
    a, b = _template(5, 3, position=2), FingerTemplate((), 400, 480, 500.0, 7, None)
    views = decode_iso(encode_iso([a, b]))
    assert [v.position for v in views] == [2, 7] and len(views[1]) == 0


@pytest.mark.parametrize("mutate", [
    lambda d: d[:20],  # truncated header
    lambda d: b"FMX\x00" + d[4:],  # wrong magic
    lambda d: d[:4] + b" 30\x00" + d[8:],  # other version
    lambda d: d[:-3],  # truncated minutiae (length no longer matches → read as ANSI → bad)
    lambda d: d[:27] + bytes([250]) + d[28:],  # claims 250 minutiae
    lambda d: d[:-2] + b"\x00\x09",  # extended data past the end
    lambda d: d + b"\x00",  # trailing byte
])
def test_malformed_records_are_refused(mutate) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ParseError):
        decode(mutate(encode_iso([_template(10)])))


def test_encoder_refuses_what_the_format_cannot_hold() -> None:
    with pytest.raises(ValueError):
        encode_iso([_template(256)])
    big = FingerTemplate((Minutia(20000, 5, 0.0),), 30000, 10, 500.0)
    with pytest.raises(ValueError):
        encode_iso([big])


def test_wsq_decodes_with_its_resolution(interop_dir) -> None:  # type: ignore[no-untyped-def]
    img = load_finger_image(interop_dir / "wsq" / "sample_image.wsq")
    assert img.ppi == 500 and min(img.width, img.height) > 100


def test_jpeg2000_png_and_rescaling(shared_dir) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    src = shared_dir / "datasets/fingerprints/fvc2002/DB2_B/101_1.tif"
    native = np.asarray(Image.open(src).convert("L"))
    img = load_finger_image(src, ppi=569)  # DB2_B is 569 ppi: 296×560 → 260×492 at 500
    assert (img.width, img.height) == (260, 492)
    buf = io.BytesIO()
    Image.fromarray(native).save(buf, "JPEG2000", irreversible=False)
    j2k = load_finger_image(buf.getvalue(), ppi=569)
    assert np.abs(j2k.pixels.astype(int) - img.pixels).max() <= 1
    with pytest.raises(InputError, match="implausible"):
        load_finger_image(src, ppi=50)


def test_raw_frames_and_bad_input() -> None:
    frame = bytes(range(256)) * 400  # 320 × 320
    img = from_raw(frame, 320, 320)
    assert img.pixels.shape == (320, 320)
    with pytest.raises(InputError, match="holds"):
        from_raw(frame[:-1], 320, 320)
    with pytest.raises(InputError):
        load_finger_image(b"not an image at all")
    with pytest.raises(InputError):
        load_finger_image(b"")


def test_positions() -> None:
    assert parse_position("right-index") == 2
    assert parse_position("Left Index") == 7
    assert parse_position("2") == 2
    assert parse_position(None) is None
    with pytest.raises(InputError, match="Unknown finger position"):
        parse_position("right-toe")


def test_calibration_model_is_monotonic_and_has_the_points() -> None:
    cal = load_calibration()
    strict, balanced = cal.point("strict"), cal.point("balanced")
    assert strict.target_fmr == 0.001 and balanced.target_fmr == 0.01
    assert strict.threshold > balanced.threshold
    xs = np.linspace(0, 0.3, 60)
    f = [cal.fmr(x) for x in xs]
    assert all(a >= b for a, b in zip(f, f[1:], strict=False))
    assert cal.calibrated(strict.threshold) == pytest.approx(3.0, abs=0.35)
    assert cal.calibrated(strict.threshold, comparisons=2) < cal.calibrated(strict.threshold)
    with pytest.raises(InputError):
        cal.point("lenient")


def test_mcc_is_invariant_to_rotation_and_translation() -> None:
    t = _template(45, seed=5)
    theta = math.radians(25)
    c, s = math.cos(theta), math.sin(theta)
    moved = []
    for m in t.minutiae:  # rotate counter-clockwise as seen (y down) about (200, 240), shift
        dx, dy = m.x - 200, m.y - 240
        x = 200 + c * dx + s * dy + 30
        y = 240 - s * dx + c * dy - 10
        moved.append(Minutia(round(x), round(y), (m.angle + theta) % (2 * math.pi), m.kind))
    t2 = FingerTemplate(tuple(moved), 400, 480)
    other = _template(45, seed=6)
    same = mcc_score(t, t2)
    assert same > 0.5
    assert mcc_score(t, other) < same / 5


def test_file_scanner_reads_a_folder_in_order(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import cv2

    from cardkit.biometrics.finger.scanner import FileScanner, ScannerError, open_scanner

    for i, shade in enumerate((40, 200)):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((120, 100), shade, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    with open_scanner(tmp_path) as sc:
        assert isinstance(sc, FileScanner)
        assert sc.capture().pixels.mean() == 40
        assert sc.capture().pixels.mean() == 200
        with pytest.raises(ScannerError, match="No more images"):
            sc.capture()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="No fingerprint images"):
        FileScanner(empty)
