"""Is this capture good enough to match? Segmentation of the print area + quality measures.

Measures, all at 500 ppi:
- foreground: 16×16 blocks whose ridge-band (band-pass) contrast is high enough, cleaned by a
  morphological close/open; its area in mm² (a full plain impression is ~150–300 mm²; below
  ~40 mm² there are too few minutiae to tell fingers apart).
- coherence: mean orientation coherence (structure tensor) over the foreground — ~0.1–0.3 for
  noise or a dirty sensor, ≥ 0.5 for ridges.
- minutiae: how many mindtct found.
- NFIQ 2 (ISO/IEC 29794-4, NIST's implementation compiled into nbis-py): 0–100, informative.
  NFIQ 2 is trained on 500 ppi plain impressions of optical scanners; it rates capacitive,
  thermal-sweep and synthetic prints low even when they match well (the FVC2002 DB3 and FVC2004
  DB3 prints score 20–40), so cardkit refuses on it only below a floor that every FVC image
  clears.

Each failed check is a `QualityIssue` whose advice the operator can act on. A refused capture is
never matched (state not_performed).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from .image import FingerImage

BLOCK = 16
PX_PER_MM = 500 / 25.4


class QualityIssue(str, Enum):
    NO_FINGER = "no_finger"
    TOO_SMALL = "area_too_small"
    NO_RIDGES = "no_ridges"
    TOO_FEW_MINUTIAE = "too_few_minutiae"
    LOW_NFIQ2 = "low_nfiq2"

    @property
    def advice(self) -> str:
        return ADVICE[self]


ADVICE: dict[QualityIssue, str] = {
    QualityIssue.NO_FINGER: "No finger found on the image — place the finger flat on the sensor",
    QualityIssue.TOO_SMALL: "Too little of the finger was captured — press the finger flat and "
                            "still, centred on the sensor",
    QualityIssue.NO_RIDGES: "No clear ridges — clean the sensor, wipe the finger (dry or wet "
                            "finger) and press it flat and still",
    QualityIssue.TOO_FEW_MINUTIAE: "Too few ridge details — press the finger flat and still; "
                                   "clean the sensor if the image is smudged",
    QualityIssue.LOW_NFIQ2: "Image quality too low (NFIQ 2) — clean the sensor and press the "
                            "finger flat and still",
}


@dataclass(frozen=True)
class QualityThresholds:
    min_area_mm2: float = 40.0
    min_coherence: float = 0.25
    min_minutiae: int = 12
    min_nfiq2: int = 5


DEFAULT_THRESHOLDS = QualityThresholds()


@dataclass(frozen=True)
class Segmentation:
    mask: np.ndarray  # (H, W) bool foreground
    area_mm2: float
    coherence: float  # mean over foreground blocks, 0–1
    contrast: float  # median ridge-band contrast over foreground blocks


@dataclass(frozen=True)
class QualityReport:
    issues: tuple[QualityIssue, ...]
    area_mm2: float
    coherence: float
    minutiae: int | None = None
    nfiq2: int | None = None

    @property
    def usable(self) -> bool:
        return not self.issues

    @property
    def advice(self) -> str:
        return "; ".join(i.advice for i in self.issues)

    def to_dict(self) -> dict[str, object]:
        return {"issues": [i.value for i in self.issues], "area_mm2": round(self.area_mm2, 1),
                "coherence": round(self.coherence, 3), "minutiae": self.minutiae,
                "nfiq2": self.nfiq2}


def segment(img: FingerImage, min_contrast: float = 6.0) -> Segmentation:
    """Foreground blocks: ridge-band contrast (difference of Gaussians, ridge period 6–15 px)."""
    import cv2

    g = img.pixels.astype(np.float32)
    band = cv2.GaussianBlur(g, (0, 0), 1.0) - cv2.GaussianBlur(g, (0, 0), 4.0)
    h, w = g.shape
    bh, bw = h // BLOCK, w // BLOCK
    if bh == 0 or bw == 0:
        return Segmentation(np.zeros_like(img.pixels, bool), 0.0, 0.0, 0.0)
    crop = band[:bh * BLOCK, :bw * BLOCK].reshape(bh, BLOCK, bw, BLOCK)
    contrast = crop.std(axis=(1, 3))
    # orientation coherence per block from the structure tensor
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)

    def blocksum(a: np.ndarray) -> np.ndarray:
        return a[:bh * BLOCK, :bw * BLOCK].reshape(bh, BLOCK, bw, BLOCK).sum(axis=(1, 3))

    gxx, gyy, gxy = blocksum(gx * gx), blocksum(gy * gy), blocksum(gx * gy)
    coh = np.sqrt((gxx - gyy) ** 2 + 4 * gxy ** 2) / np.maximum(gxx + gyy, 1e-6)
    fg = (contrast >= min_contrast).astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, kernel)
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, kernel).astype(bool)
    area = float(fg.sum()) * BLOCK * BLOCK / PX_PER_MM ** 2
    mean_coh = float(coh[fg].mean()) if fg.any() else 0.0
    med_con = float(np.median(contrast[fg])) if fg.any() else 0.0
    mask = np.zeros((h, w), bool)
    mask[:bh * BLOCK, :bw * BLOCK] = np.kron(fg, np.ones((BLOCK, BLOCK), bool)).astype(bool)
    return Segmentation(mask, area, mean_coh, med_con)


def assess(img: FingerImage, *, minutiae: int | None = None, nfiq2: int | None = None,
           thresholds: QualityThresholds = DEFAULT_THRESHOLDS) -> QualityReport:
    seg = segment(img)
    issues: list[QualityIssue] = []
    if seg.area_mm2 <= 1.0:
        issues.append(QualityIssue.NO_FINGER)
    else:
        if seg.area_mm2 < thresholds.min_area_mm2:
            issues.append(QualityIssue.TOO_SMALL)
        if seg.coherence < thresholds.min_coherence:
            issues.append(QualityIssue.NO_RIDGES)
    if not issues:
        if minutiae is not None and minutiae < thresholds.min_minutiae:
            issues.append(QualityIssue.TOO_FEW_MINUTIAE)
        if nfiq2 is not None and nfiq2 < thresholds.min_nfiq2:
            issues.append(QualityIssue.LOW_NFIQ2)
    return QualityReport(tuple(issues), seg.area_mm2, seg.coherence, minutiae, nfiq2)
