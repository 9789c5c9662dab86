"""Checks before matching: is there exactly one usable face? (ISO/IEC 29794-5 spirit, simplified)

Each failed check is a `QualityIssue` with advice the teller can act on. Measures are taken on the
face region only, normalised to a fixed size so they do not depend on the camera resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from .detect import FaceBox

NORM_SIZE = 100  # face crop side for the sharpness / brightness measures


class QualityIssue(str, Enum):
    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    FACE_TOO_SMALL = "face_too_small"
    TOO_BLURRY = "too_blurry"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"

    @property
    def advice(self) -> str:
        return ADVICE[self]


ADVICE: dict[QualityIssue, str] = {
    QualityIssue.NO_FACE: "No face found — ask the customer to face the camera",
    QualityIssue.SEVERAL_FACES: "Several faces found — make sure only the customer is in view",
    QualityIssue.FACE_TOO_SMALL: "Face too small — ask the customer to come closer to the camera",
    QualityIssue.TOO_BLURRY: "Image too blurry — ask the customer to hold still; clean or focus "
                             "the camera",
    QualityIssue.TOO_DARK: "Image too dark — add light in front of the customer",
    QualityIssue.TOO_BRIGHT: "Image overexposed — reduce light or move away from the window",
}


@dataclass(frozen=True)
class QualityThresholds:
    """Limits of the checks (defaults set on the faces data set and chip-like portraits)."""

    min_face_px: int = 80  # face box width in the original image
    min_sharpness: float = 60.0  # variance of the Laplacian on the 100×100 grey face crop
    min_brightness: float = 45.0  # mean grey level of the face crop (0-255)
    max_brightness: float = 220.0


DEFAULT_THRESHOLDS = QualityThresholds()


@dataclass(frozen=True)
class FaceMeasures:
    face_px: int
    sharpness: float
    brightness: float
    frontal: bool

    def to_dict(self) -> dict[str, object]:
        return {"face_px": self.face_px, "sharpness": round(self.sharpness, 1),
                "brightness": round(self.brightness, 1), "frontal": self.frontal}


@dataclass(frozen=True)
class QualityReport:
    """Outcome of the checks on one image; `face` is the face to use when `usable`."""

    issues: tuple[QualityIssue, ...]
    faces_found: int
    face: FaceBox | None
    measures: FaceMeasures | None

    @property
    def usable(self) -> bool:
        return not self.issues and self.face is not None

    @property
    def advice(self) -> str:
        return "; ".join(i.advice for i in self.issues)

    def to_dict(self) -> dict[str, object]:
        return {"issues": [i.value for i in self.issues], "faces_found": self.faces_found,
                "measures": self.measures.to_dict() if self.measures else None}


def _crop(rgb: np.ndarray, face: FaceBox) -> np.ndarray:
    import cv2

    # inner part of the box: skin, eyes, mouth, little background
    dx, dy = face.width // 10, face.height // 10
    region = rgb[face.top + dy:max(face.top + dy + 1, face.bottom - dy),
                 face.left + dx:max(face.left + dx + 1, face.right - dx)]
    grey = cv2.cvtColor(np.ascontiguousarray(region), cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (NORM_SIZE, NORM_SIZE), interpolation=cv2.INTER_AREA)


def measure(rgb: np.ndarray, face: FaceBox, scale: float = 1.0) -> FaceMeasures:
    """Size (in original-image pixels: `rgb` may be a reduced decode at `scale`), sharpness
    (Laplacian variance) and brightness of one face."""
    import cv2

    grey = _crop(rgb, face)
    sharp = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    return FaceMeasures(round(face.width / scale), sharp, float(grey.mean()), face.frontal)


def assess(rgb: np.ndarray, faces: tuple[FaceBox, ...],
           thresholds: QualityThresholds = DEFAULT_THRESHOLDS, *,
           require_single: bool = True, check_image: bool = True,
           scale: float = 1.0) -> QualityReport:
    """Run the checks. For a chip portrait use require_single=False, check_image=False: the
    largest face is used and only 'no face' blocks (the teller cannot retake it)."""
    if not faces:
        return QualityReport((QualityIssue.NO_FACE,), 0, None, None)
    face = faces[0]
    m = measure(rgb, face, scale)
    issues: list[QualityIssue] = []
    if require_single and len(faces) > 1:
        issues.append(QualityIssue.SEVERAL_FACES)
    if check_image:
        if m.face_px < thresholds.min_face_px:
            issues.append(QualityIssue.FACE_TOO_SMALL)
        if m.brightness < thresholds.min_brightness:
            issues.append(QualityIssue.TOO_DARK)
        elif m.brightness > thresholds.max_brightness:
            issues.append(QualityIssue.TOO_BRIGHT)
        if m.sharpness < thresholds.min_sharpness:
            issues.append(QualityIssue.TOO_BLURRY)
    return QualityReport(tuple(issues), len(faces), face, m)
