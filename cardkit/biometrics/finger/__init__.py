"""Fingerprint 1:1 verification against the card's DG3 fingers.

    from cardkit.biometrics.finger import match_card, compare_images
    result = compare_images("card.wsq", "live.png")
    result.state  # CheckState.MATCH / NO_MATCH / NOT_PERFORMED, result.reason for the operator

nbis-py (mindtct, NFIQ 2) and wsq are imported lazily: importing this package needs neither.
"""

from __future__ import annotations

from .calibration import Calibration, OperatingPoint, load_calibration
from .image import FingerImage, from_raw, load_finger_image
from .match import (
    POSITIONS,
    FingerMatcher,
    FingerResult,
    Prepared,
    compare_images,
    default_matcher,
    match_card,
    parse_position,
)
from .minutiae import FingerTemplate, Minutia, MinutiaKind
from .probe import FingerProbe
from .quality import QualityIssue, QualityThresholds

__all__ = ["POSITIONS", "Calibration", "FingerImage", "FingerMatcher", "FingerProbe", "FingerResult",
           "FingerTemplate", "Minutia", "MinutiaKind", "OperatingPoint", "Prepared",
           "QualityIssue", "QualityThresholds", "compare_images", "default_matcher",
           "from_raw", "load_calibration", "load_finger_image", "match_card", "parse_position"]
