"""Operating points (thresholds on the embedding distance) and the distance → score mapping.

Produced by `python -m cardkit.biometrics.face.calibrate` from genuine / impostor pairs of real
photos (../shared/datasets/faces), chip-like portraits (JPEG, JPEG 2000) against photos; stored in
data/calibration.json. ISO/IEC 19795-1 terms: FMR = false match rate, FNMR = false non-match rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...errors import InputError
from ..common import read_calibration_json

CALIBRATION_FILE = Path(__file__).with_name("data") / "calibration.json"
DEFAULT_OPERATING_POINT = "strict"


@dataclass(frozen=True)
class OperatingPoint:
    """A named decision threshold: match when distance <= threshold."""

    name: str
    threshold: float
    target_fmr: float | None
    description: str
    measured: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "threshold": self.threshold, "target_fmr": self.target_fmr,
                "description": self.description, "measured": self.measured}


@dataclass(frozen=True)
class Calibration:
    """Operating points and the score model (equal-variance Gaussians of the two distance sets)."""

    operating_points: dict[str, OperatingPoint]
    genuine_mean: float
    impostor_mean: float
    pooled_sd: float
    source: str = ""

    def point(self, name: str | OperatingPoint | None = None) -> OperatingPoint:
        if isinstance(name, OperatingPoint):
            return name
        key = name or DEFAULT_OPERATING_POINT
        try:
            return self.operating_points[key]
        except KeyError:
            raise InputError(f"Unknown face operating point '{key}' — choose one of "
                             f"{', '.join(self.operating_points)}") from None

    def score(self, distance: float, threshold: float | None = None) -> float:
        """P(same person | distance) under the fitted model, in [0, 1].

        Without `threshold`: at equal priors. With it: at the prior the operating point implies,
        i.e. the log-likelihood ratio is taken relative to the threshold's, so the score is 0.5
        exactly at the threshold and agrees with the decision (`distance <= threshold`): a
        NO MATCH never shows a score above 0.5.
        """
        llr = self._llr(distance) - (self._llr(threshold) if threshold is not None else 0.0)
        llr = max(-50.0, min(50.0, llr))
        return 1.0 / (1.0 + math.exp(-llr))

    def _llr(self, distance: float) -> float:
        sd2 = self.pooled_sd ** 2
        return ((distance - self.impostor_mean) ** 2 - (distance - self.genuine_mean) ** 2) / (
            2 * sd2)


# Used only when data/calibration.json is missing (e.g. a wheel built without package data).
_FALLBACK = {
    "score_model": {"genuine_mean": 0.44, "impostor_mean": 0.83, "pooled_sd": 0.066},
    "operating_points": [
        {"name": "strict", "threshold": 0.5, "target_fmr": 0.001,
         "description": "bank default (fallback values)"},
        {"name": "balanced", "threshold": 0.55, "target_fmr": 0.01,
         "description": "fewer rejections (fallback values)"},
        {"name": "dlib-default", "threshold": 0.6, "target_fmr": None,
         "description": "dlib's published LFW threshold; reference only"},
    ],
}


def calibration_from_dict(data: dict[str, Any], source: str = "") -> Calibration:
    try:
        points = {
            p["name"]: OperatingPoint(p["name"], float(p["threshold"]), p.get("target_fmr"),
                                      p.get("description", ""), dict(p.get("measured", {})))
            for p in data["operating_points"]
        }
        sm = data["score_model"]
        return Calibration(points, float(sm["genuine_mean"]), float(sm["impostor_mean"]),
                           float(sm["pooled_sd"]), source)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"Face calibration file is malformed ({exc})") from None


def load_calibration(path: str | Path | None = None) -> Calibration:
    """The calibration shipped with cardkit, or one from `path`."""
    if path is None:
        return _default_calibration()
    return calibration_from_dict(read_calibration_json(path, "face"), str(path))


@lru_cache(maxsize=1)
def _default_calibration() -> Calibration:
    if CALIBRATION_FILE.is_file():
        return load_calibration(CALIBRATION_FILE)
    return calibration_from_dict(_FALLBACK, "built-in fallback")
