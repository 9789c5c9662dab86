"""Face detection (dlib HOG, frontal) and 5-point landmarks, at a bounded working resolution.

HOG finds faces of ~80 px and more in the image it scans. Large images are scanned downscaled
(cost ~ pixels), small chip portraits (e.g. 240×320) upscaled; when nothing is found the scan is
repeated with one 2× pyramid upsampling, so small faces are found and can be reported as too small.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np

from .image import resize
from .models import Models, load_models

MAX_WORK_SIDE = 640  # longest side of the scanned image (480×640 costs ~0.12 s on 2 cores)
MIN_WORK_SIDE = 480  # shortest side small portraits are upscaled to before scanning


class Pose(IntEnum):
    """Which of dlib's five HOG sub-detectors fired (dlib frontal_face_detector)."""

    FRONT = 0
    LEFT = 1
    RIGHT = 2
    FRONT_ROTATED_LEFT = 3
    FRONT_ROTATED_RIGHT = 4


@dataclass(frozen=True)
class FaceBox:
    """A detected face in original-image pixels."""

    left: int
    top: int
    right: int
    bottom: int
    score: float
    pose: Pose

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def frontal(self) -> bool:
        return self.pose in (Pose.FRONT, Pose.FRONT_ROTATED_LEFT, Pose.FRONT_ROTATED_RIGHT)

    def to_dlib(self) -> Any:
        import dlib

        return dlib.rectangle(self.left, self.top, self.right, self.bottom)


def working_scale(shape: tuple[int, ...], max_side: int = MAX_WORK_SIDE,
                  min_side: int = MIN_WORK_SIDE) -> float:
    """Scale applied before scanning: down to `max_side`, or up so the short side is `min_side`."""
    h, w = shape[:2]
    if max(h, w) > max_side:
        return max_side / max(h, w)
    if min(h, w) < min_side:
        return min(min_side / min(h, w), max_side / max(h, w) * 1.5)
    return 1.0


def detect_faces(rgb: np.ndarray, models: Models | None = None, *,
                 max_side: int = MAX_WORK_SIDE, retry_upsampled: bool = True
                 ) -> tuple[FaceBox, ...]:
    """All faces HOG finds in `rgb`, largest first, in original coordinates."""
    m = models or load_models()
    scale = working_scale(rgb.shape, max_side)
    work = resize(rgb, scale)
    with m.lock:
        rects, scores, idx = m.detector.run(work, 0, 0.0)
        if not rects and retry_upsampled:
            rects, scores, idx = m.detector.run(work, 1, 0.0)
    h, w = rgb.shape[:2]
    faces = []
    for r, s, i in zip(rects, scores, idx, strict=True):
        faces.append(FaceBox(
            left=max(0, int(round(r.left() / scale))),
            top=max(0, int(round(r.top() / scale))),
            right=min(w, int(round((r.right() + 1) / scale))),
            bottom=min(h, int(round((r.bottom() + 1) / scale))),
            score=float(s), pose=Pose(int(i)) if 0 <= int(i) <= 4 else Pose.FRONT,
        ))
    faces.sort(key=lambda f: f.width * f.height, reverse=True)
    return tuple(faces)


def landmarks(rgb: np.ndarray, face: FaceBox, models: Models | None = None) -> Any:
    """dlib full_object_detection with the 5 points (eye corners ×4, nose base)."""
    m = models or load_models()
    with m.lock:
        return m.shape_predictor(rgb, face.to_dlib())


def eye_distance(shape: Any) -> float:
    """Distance between the eye centres from the 5-point landmarks (pixels)."""
    pts = np.array([[shape.part(i).x, shape.part(i).y] for i in range(4)], dtype=np.float64)
    right, left = pts[0:2].mean(axis=0), pts[2:4].mean(axis=0)
    return float(np.linalg.norm(right - left))
