"""Defect 6c (issue 11): `face compare A B` of two photos said "does not match the chip portrait"
and printed "score 1.000" for a NO MATCH at distance 0.528. The wording now names the two images,
and the score agrees with the decision (0.5 at the operating point's threshold)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from cardkit.biometrics.face import available, load_calibration
from cardkit_cli.face import face_group
from tests.conftest import need


def test_score_agrees_with_the_threshold():
    cal = load_calibration()
    for op in cal.operating_points.values():
        t = op.threshold
        assert cal.score(t, threshold=t) == pytest.approx(0.5)
        assert cal.score(t + 0.018, threshold=t) < 0.5 < cal.score(t - 0.018, threshold=t)
        scores = [cal.score(d, threshold=t) for d in np.linspace(0.2, 1.1, 40)]
        assert all(a >= b for a, b in zip(scores, scores[1:], strict=False))


def test_two_photos_no_match_wording_and_score(shared_dir):
    need(available(), "dlib / face_recognition_models not installed")
    faces = shared_dir / "datasets" / "faces"
    r = CliRunner().invoke(face_group, ["compare", str(faces / "alex_lacamoire/1.jpg"),
                                        str(faces / "alex_lacamoire/3.png")])
    assert r.exit_code == 5, r.output  # strict: 0.528 > 0.51, a genuine pair rejected
    assert "chip portrait" not in r.output
    assert "NO MATCH" in r.output and "the two faces" in r.output.lower()
    score = float(r.output.split("score ")[1].split()[0].rstrip(","))
    assert score < 0.5, r.output
