"""Synthetic fingerprints: deterministic, distinct per finger and holder, impressions of one finger
related (the same ridge pattern under distortion), and the `sim finger` command."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from cardkit.sim import fingerprint_synth as fs
from cardkit.sim.personas import get_persona
from cardkit_cli.main import cli


def _inliers(a: np.ndarray, b: np.ndarray) -> int:
    """SIFT keypoints matched (ratio test) and kept by a RANSAC similarity transform: a crude but
    independent relatedness measure (the real matcher is issue 13's)."""
    sift = cv2.SIFT_create()
    ka, da = sift.detectAndCompute(a, None)
    kb, db = sift.detectAndCompute(b, None)
    good = [m for m, n in cv2.BFMatcher().knnMatch(da, db, k=2) if m.distance < 0.8 * n.distance]
    if len(good) < 4:
        return 0
    src = np.float32([ka[g.queryIdx].pt for g in good])
    dst = np.float32([kb[g.trainIdx].pt for g in good])
    _m, mask = cv2.estimateAffinePartial2D(src, dst, ransacReprojThreshold=6)
    return int(mask.sum()) if mask is not None else 0


def test_deterministic_and_shaped():
    a = fs.impression("001093000001", "right-index", 3)
    b = fs.impression("001093000001", "right-index", 3)
    assert a.dtype == np.uint8 and a.shape == (fs.HEIGHT, fs.WIDTH)
    assert np.array_equal(a, b)
    assert 40 < a.mean() < 230 and a.std() > 30  # ridges and valleys, not a blank


def test_impressions_of_one_finger_are_related_others_are_not():
    enrol = fs.impression("001093000001", "right-index", 0)
    same = [_inliers(enrol, fs.impression("001093000001", "right-index", n)) for n in (1, 2)]
    other_finger = _inliers(enrol, fs.impression("001093000001", "left-index", 1))
    other_person = _inliers(enrol, fs.impression("079185000777", "right-index", 1))
    assert min(same) >= 18, same  # observed 25, 26
    assert max(other_finger, other_person) <= 12, (other_finger, other_person)  # observed 8, 9
    assert not np.array_equal(enrol, fs.impression("001093000001", "right-index", 1))


def test_unknown_finger_is_refused():
    with pytest.raises(ValueError, match="unknown finger"):
        fs.finger_code("right-toe")


def test_cli_sim_finger_writes_png(tmp_path):
    out = tmp_path / "f.png"
    r = CliRunner().invoke(cli, ["sim", "finger", "eac", "--finger", "left-index",
                                 "--impression", "2", "--out", str(out)])
    assert r.exit_code == 0, r.output
    img = cv2.imdecode(np.frombuffer(out.read_bytes(), np.uint8), cv2.IMREAD_GRAYSCALE)
    p = get_persona("eac")
    assert np.array_equal(img, fs.persona_impression(p, "left-index", 2))
    r = CliRunner().invoke(cli, ["sim", "finger", "eac", "--finger", "nose", "--out", str(out)])
    assert r.exit_code == 2 and "unknown finger" in r.output
