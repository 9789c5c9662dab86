"""Face match against the chip portrait (DG2): dlib HOG + 5-point alignment + ResNet embeddings.

    from cardkit.biometrics.face import Probe, match_portrait
    result = match_portrait(dg2.face.image_bytes, Probe.from_camera(0))
    result.state  # CheckState.MATCH / NO_MATCH / NOT_PERFORMED, result.reason for the teller

dlib is imported lazily: importing this package does not need it.
"""

from __future__ import annotations

from .calibration import Calibration, OperatingPoint, load_calibration
from .camera import Probe, ProbeKind
from .match import FaceMatcher, FaceResult, compare_images, default_matcher, match_portrait
from .models import available
from .quality import QualityIssue, QualityThresholds

__all__ = ["Calibration", "FaceMatcher", "FaceResult", "OperatingPoint", "Probe", "ProbeKind",
           "QualityIssue", "QualityThresholds", "available", "compare_images", "default_matcher",
           "load_calibration", "match_portrait"]
