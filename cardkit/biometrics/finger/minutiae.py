"""Minutiae: the features every cardkit fingerprint matcher and template codec works on.

Conventions (those of ISO/IEC 19794-2): pixel coordinates at 500 ppi with the origin at the
top-left, x to the right, y down; angle in radians, counter-clockwise from the x axis as seen on
the image, in [0, 2π); kind ridge ending / bifurcation / other; quality 0–100 (0 = not given).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


class MinutiaKind(IntEnum):
    """19794-2 §7.4.1.1 minutia type (2 bits)."""

    OTHER = 0
    RIDGE_ENDING = 1
    BIFURCATION = 2


@dataclass(frozen=True)
class Minutia:
    x: int
    y: int
    angle: float  # radians, counter-clockwise, [0, 2π)
    kind: MinutiaKind = MinutiaKind.OTHER
    quality: int = 0  # 0–100; 0 = not reported

    def __repr__(self) -> str:
        return "Minutia(…)"  # biometric data never in logs


@dataclass(frozen=True)
class FingerTemplate:
    """The minutiae of one finger impression and the image geometry they refer to."""

    minutiae: tuple[Minutia, ...]
    width: int
    height: int
    ppi: float = 500.0
    position: int = 0  # 19794-4 finger position code (0 unknown, 2 right index …)
    quality: int | None = None  # NFIQ 2 (0–100) when computed
    extractor: str = ""
    _arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.minutiae)

    def __repr__(self) -> str:
        return (f"FingerTemplate({len(self.minutiae)} minutiae, {self.width}x{self.height}, "
                f"{self.extractor})")

    @property
    def xy(self) -> np.ndarray:
        """(n, 2) float64 x, y."""
        if "xy" not in self._arrays:
            self._arrays["xy"] = np.array([(m.x, m.y) for m in self.minutiae],
                                          dtype=np.float64).reshape(-1, 2)
        return self._arrays["xy"]

    @property
    def angles(self) -> np.ndarray:
        if "angles" not in self._arrays:
            self._arrays["angles"] = np.array([m.angle for m in self.minutiae], np.float64)
        return self._arrays["angles"]

    def cache(self, key: str, value: np.ndarray | None = None) -> np.ndarray | None:
        """Per-template derived data (e.g. MCC cylinders), computed once."""
        if value is not None:
            self._arrays[key] = value
        return self._arrays.get(key)


def normalise_angle(a: float) -> float:
    return a % (2 * math.pi)
