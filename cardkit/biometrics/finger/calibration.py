"""Operating points (thresholds on the MCC score) and the score → false-match-rate mapping.

Produced by `python -m cardkit.biometrics.finger.calibrate` from every cross-finger (impostor) and
same-finger (genuine) pair of the FVC "B" sets (../shared/datasets/fingerprints) and stored in
data/calibration.json. The threshold of a point is read off the *measured* impostor distribution
(the smallest score with FMR ≤ target); the calibrated score is −log10 of the estimated FMR at a
score (how rarely a different finger scores this high), interpolated between measured impostor
quantiles and extrapolated log-linearly beyond the highest impostor seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import InputError
from ..common import read_calibration_json

CALIBRATION_FILE = Path(__file__).with_name("data") / "calibration.json"
DEFAULT_OPERATING_POINT = "strict"
MAX_LOG_FMR = 8.0  # calibrated scores are capped at "1 in 10^8"


@dataclass(frozen=True)
class OperatingPoint:
    """A named decision threshold: match when score >= threshold."""

    name: str
    threshold: float
    target_fmr: float
    description: str
    measured: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "threshold": self.threshold, "target_fmr": self.target_fmr,
                "description": self.description, "measured": self.measured}


@dataclass(frozen=True)
class Calibration:
    method: str
    operating_points: dict[str, OperatingPoint]
    tail_scores: tuple[float, ...]  # impostor score at each FMR in tail_fmr (increasing score)
    tail_fmr: tuple[float, ...]  # decreasing FMR
    source: str = ""

    def point(self, name: str | OperatingPoint | None = None) -> OperatingPoint:
        if isinstance(name, OperatingPoint):
            return name
        key = name or DEFAULT_OPERATING_POINT
        try:
            return self.operating_points[key]
        except KeyError:
            raise InputError(f"Unknown fingerprint operating point '{key}' — choose one of "
                             f"{', '.join(self.operating_points)}") from None

    def fmr(self, score: float) -> float:
        """Estimated probability that a different finger scores >= score."""
        xs = np.array(self.tail_scores)
        ys = np.log10(np.array(self.tail_fmr))
        if score <= xs[0]:
            return float(self.tail_fmr[0])
        if score <= xs[-1]:
            return float(10 ** np.interp(score, xs, ys))
        # log-linear extrapolation with the slope of the upper half of the tail
        k = len(xs) // 2
        slope = (ys[-1] - ys[k]) / max(xs[-1] - xs[k], 1e-12)
        return float(10 ** max(-MAX_LOG_FMR, ys[-1] + slope * (score - xs[-1])))

    def calibrated(self, score: float, comparisons: int = 1) -> float:
        """−log10 FMR of a score (3.0 = one different finger in 1000 scores this high); with
        `comparisons` > 1 (best of several card fingers) the FMR grows n-fold."""
        f = min(1.0, self.fmr(score) * comparisons)
        return round(min(MAX_LOG_FMR, -math.log10(max(f, 10 ** -MAX_LOG_FMR))), 3)


# Used only when data/calibration.json is missing (a wheel built without package data).
_FALLBACK: dict[str, Any] = {
    "method": "mcc",
    "operating_points": [
        {"name": "strict", "threshold": 0.05, "target_fmr": 0.001,
         "description": "bank default (fallback values)"},
        {"name": "balanced", "threshold": 0.04, "target_fmr": 0.01,
         "description": "fewer rejections (fallback values)"},
    ],
    "tail": {"scores": [0.02, 0.04, 0.05], "fmr": [0.5, 0.01, 0.001]},
}


def calibration_from_dict(data: dict[str, Any], source: str = "") -> Calibration:
    try:
        points = {p["name"]: OperatingPoint(p["name"], float(p["threshold"]),
                                            float(p["target_fmr"]), p.get("description", ""),
                                            dict(p.get("measured", {})))
                  for p in data["operating_points"]}
        tail = data["tail"]
        scores = tuple(float(x) for x in tail["scores"])
        fmr = tuple(float(x) for x in tail["fmr"])
        if len(scores) != len(fmr) or len(scores) < 2:
            raise ValueError("tail needs >= 2 matching points")
        return Calibration(str(data["method"]), points, scores, fmr, source)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"Fingerprint calibration file is malformed ({exc})") from None


def load_calibration(path: str | Path | None = None) -> Calibration:
    if path is None:
        return _default_calibration()
    return calibration_from_dict(read_calibration_json(path, "fingerprint"), str(path))


@lru_cache(maxsize=1)
def _default_calibration() -> Calibration:
    if CALIBRATION_FILE.is_file():
        return load_calibration(CALIBRATION_FILE)
    return calibration_from_dict(_FALLBACK, "built-in fallback")
