"""Face package parts that need no dlib: image loading, calibration maths, probe construction."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from PIL import Image

from cardkit.biometrics.face.calibrate import choose_thresholds, rates, upper_bound
from cardkit.biometrics.face.calibration import (
    CALIBRATION_FILE,
    calibration_from_dict,
    load_calibration,
)
from cardkit.biometrics.face.camera import Probe, ProbeKind
from cardkit.biometrics.face.detect import working_scale
from cardkit.biometrics.face.image import is_greyscale, load_image
from cardkit.errors import InputError


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_load_image_modes():
    rgba = Image.new("RGBA", (64, 48), (10, 20, 30, 0))  # fully transparent → white background
    out = load_image(_png(rgba))
    assert out.shape == (48, 64, 3) and out.dtype == np.uint8 and (out == 255).all()
    grey = load_image(_png(Image.new("L", (40, 50), 77)))
    assert grey.shape == (50, 40, 3) and (grey == 77).all() and is_greyscale(grey)
    colour = load_image(_png(Image.new("RGB", (40, 40), (200, 10, 10))))
    assert not is_greyscale(colour)


def test_load_image_exif_orientation():
    img = Image.new("RGB", (80, 40), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    assert load_image(buf.getvalue()).shape[:2] == (80, 40)


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\xff\xd8\xff\xe0garbage"])
def test_load_image_rejects_garbage(data):
    with pytest.raises(InputError):
        load_image(data)


def test_load_image_rejects_tiny_and_missing(tmp_path):
    with pytest.raises(InputError, match="too small"):
        load_image(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(InputError, match="Cannot read"):
        load_image(tmp_path / "nope.jpg")


def test_working_scale_bounds():
    assert working_scale((2333, 1434)) == pytest.approx(640 / 2333)
    assert working_scale((320, 240)) == pytest.approx(2.0)  # chip portrait upsampled
    assert working_scale((480, 640)) == 1.0


def test_upper_bound_matches_rule_of_three_and_clopper_pearson():
    assert upper_bound(0, 421) == pytest.approx(1 - 0.05 ** (1 / 421), rel=1e-6)
    assert upper_bound(0, 1000) == pytest.approx(3 / 1000, rel=0.01)  # rule of three
    # Clopper-Pearson one-sided 95 % for 1 error in 100 (scipy.stats.beta.ppf(.95, 2, 99))
    assert upper_bound(1, 100) == pytest.approx(0.04656, abs=2e-4)


def test_rates_and_thresholds():
    r = rates([0.3, 0.5, 0.7], [0.55, 0.9], 0.6)
    assert (r["false_matches"], r["false_non_matches"]) == (1, 1)
    assert r["fmr"] == 0.5 and r["fnmr"] == pytest.approx(1 / 3, abs=1e-4)
    imp = list(np.random.default_rng(0).normal(0.83, 0.07, 2000))
    t = choose_thresholds(imp)
    assert t["strict"] <= t["balanced"] <= min(imp)
    assert t["strict"] <= min(imp) - 0.10 + 1e-9


def test_shipped_calibration_is_consistent():
    data = json.loads(CALIBRATION_FILE.read_text())
    cal = load_calibration()
    strict, balanced = cal.point("strict"), cal.point()
    assert balanced is strict  # default is the bank setting
    assert cal.point("strict").threshold < cal.point("balanced").threshold < 0.6
    for op in data["operating_points"]:
        if op["target_fmr"] is not None:
            assert op["measured"]["jpeg-photo"]["fmr"] <= op["target_fmr"]
            assert op["measured"]["jp2-photo"]["fmr"] <= op["target_fmr"]
    scores = [cal.score(d) for d in np.linspace(0.2, 1.1, 50)]
    assert all(a >= b for a, b in zip(scores, scores[1:], strict=False))  # monotonic
    mid = (cal.genuine_mean + cal.impostor_mean) / 2
    assert math.isclose(cal.score(mid), 0.5, abs_tol=1e-9)
    with pytest.raises(InputError, match="operating point"):
        cal.point("lax")


def test_calibration_malformed():
    with pytest.raises(InputError):
        calibration_from_dict({"operating_points": [{"name": "x"}]})


def test_probe_constructors(tmp_path):
    cam = Probe.from_camera("1", frames=3)
    assert cam.kind is ProbeKind.CAMERA and cam.device == 1 and cam.to_dict()["source"] == "camera 1"
    with pytest.raises(InputError):
        Probe.from_camera(0, frames=0)
    with pytest.raises(InputError, match="not found"):
        Probe.from_video(tmp_path / "none.avi")
    img = Probe.from_image(np.full((64, 64, 3), 5, np.uint8))
    assert img.kind is ProbeKind.IMAGE and "array" not in repr(img)
