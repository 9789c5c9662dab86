"""Face match: is the person at the counter the holder of the card? (ICAO 9303-10 §4.7.2 DG2)

One call: `match_portrait(dg2_portrait, Probe.from_camera(0))` → `FaceResult` with an explicit
state: MATCH / NO_MATCH / NOT_PERFORMED (+ a reason the teller can act on). Quality problems never
raise: they give NOT_PERFORMED with `quality` issues. Only unusable *inputs* raise (unreadable
file → InputError, camera that cannot be opened → BiometricError).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from ...results import CheckResult, CheckState
from ..common import BiometricOutcome
from .calibration import Calibration, OperatingPoint, load_calibration
from .camera import Probe, ProbeKind
from .detect import FaceBox, detect_faces
from .embed import distance as embedding_distance
from .embed import embed
from .image import ImageInput, is_greyscale, load_image, to_grey_rgb
from .models import Models, load_models
from .quality import DEFAULT_THRESHOLDS, QualityIssue, QualityReport, QualityThresholds, assess

__all__ = ["FaceMatcher", "FaceResult", "FrameChoice", "Probe", "compare_images",
           "default_matcher", "match_portrait"]


@dataclass(frozen=True)
class FaceResult(BiometricOutcome):
    """Outcome of one face comparison. Holds no image and no embedding (biometric data)."""

    state: CheckState
    reason: str
    distance: float | None = None
    score: float | None = None
    threshold: float | None = None
    operating_point: str = ""
    quality: tuple[QualityIssue, ...] = ()
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "state": self.state.value, "reason": self.reason,
            "distance": None if self.distance is None else round(self.distance, 4),
            "score": None if self.score is None else round(self.score, 4),
            "threshold": self.threshold, "operating_point": self.operating_point,
            "quality": [q.value for q in self.quality],
        }
        out.update(self.details)
        return out

    def to_check(self, name: str = "face_match") -> CheckResult:
        """The same result as a generic CheckResult for the verification report."""
        d = self.to_dict()
        details = {k: v for k, v in d.items() if k not in ("state", "reason")}
        return CheckResult(name, self.state, self.reason, details)


@dataclass(frozen=True)
class FrameChoice:
    """The frame kept from a probe and why."""

    frame: int
    image: np.ndarray = field(repr=False, compare=False)
    report: QualityReport
    frames_seen: int


class FaceMatcher:
    """Loads the models once; thread-safe (dlib calls are serialised)."""

    def __init__(self, operating_point: str | OperatingPoint | None = None,
                 calibration: Calibration | None = None,
                 thresholds: QualityThresholds = DEFAULT_THRESHOLDS,
                 models: Models | None = None) -> None:
        self.calibration = calibration or load_calibration()
        self.point = self.calibration.point(operating_point)
        self.thresholds = thresholds
        self._models = models

    @property
    def models(self) -> Models:
        if self._models is None:
            self._models = load_models()
        return self._models

    # -- checks ---------------------------------------------------------------------------------

    def assess_probe(self, rgb: np.ndarray, scale: float = 1.0) -> QualityReport:
        """All checks: exactly one face, big enough, sharp, well lit (`scale`: of `rgb` relative
        to the original image, for the size check)."""
        return assess(rgb, detect_faces(rgb, self.models), self.thresholds, scale=scale)

    def assess_portrait(self, rgb: np.ndarray) -> QualityReport:
        """Chip portrait: only 'no face' blocks; the largest face is used."""
        return assess(rgb, detect_faces(rgb, self.models), self.thresholds,
                      require_single=False, check_image=False)

    def select_frame(self, probe: Probe) -> FrameChoice:
        """The sharpest usable frame; if none is usable, the frame with the fewest issues."""
        best: FrameChoice | None = None
        seen = 0
        for n, rgb in probe.iter_frames():
            seen += 1
            rep = self.assess_probe(rgb, probe.scale)
            if best is None or _rank(rep) > _rank(best.report):
                best = FrameChoice(n, rgb, rep, 0)
        assert best is not None  # iter_frames raises when it yields nothing
        return FrameChoice(best.frame, best.image, best.report, seen)

    # -- matching -------------------------------------------------------------------------------

    def match_portrait(self, portrait: ImageInput, probe: Probe | ImageInput) -> FaceResult:
        """Chip portrait (DG2 image bytes or RGB array) against a live probe."""
        t0 = time.perf_counter()
        if not isinstance(probe, Probe):
            probe = Probe.from_image(probe)
        ref = load_image(portrait, "chip portrait")
        ref_rep = self.assess_portrait(ref)
        details: dict[str, Any] = {"probe": probe.to_dict(),
                                   "portrait_quality": ref_rep.to_dict()}
        if not ref_rep.usable:
            return self._not_performed(
                "No face found in the chip portrait — check the customer against the card "
                "photo by eye", (), details, t0)
        choice = self.select_frame(probe)
        details["probe_quality"] = choice.report.to_dict()
        if probe.kind is not ProbeKind.IMAGE:
            details["probe"] = {**probe.to_dict(), "frame": choice.frame,
                                "frames_seen": choice.frames_seen}
        if not choice.report.usable:
            return self._not_performed(choice.report.advice, choice.report.issues, details, t0)
        assert choice.report.face is not None
        img, face = probe.face_image(choice.image, choice.report.face)
        return self._compare(ref, ref_rep.face, img, face, details, t0)

    def compare_images(self, reference: ImageInput, probe: ImageInput) -> FaceResult:
        """Two images: `reference` treated as the portrait, `probe` gets every check; the
        wording speaks of two faces, not of a chip portrait."""
        result = self.match_portrait(reference, Probe.from_image(probe))
        reason = {CheckState.MATCH: "The two faces match (same person)",
                  CheckState.NO_MATCH: "The two faces do not match (not shown to be the same "
                                       "person)"}.get(result.state)
        if reason is None:
            reason = result.reason.replace("the chip portrait", "the first image")
        return replace(result, reason=reason)

    def _compare(self, ref: np.ndarray, ref_face: FaceBox | None, img: np.ndarray,
                 face: FaceBox, details: dict[str, Any], t0: float) -> FaceResult:
        assert ref_face is not None
        if is_greyscale(ref) != is_greyscale(img):  # compare like with like
            ref, img = to_grey_rgb(ref), to_grey_rgb(img)
            details["greyscale"] = True
        d = embedding_distance(embed(ref, ref_face, self.models), embed(img, face, self.models))
        thr = self.point.threshold
        score = self.calibration.score(d, thr)
        details["elapsed_ms"] = round((time.perf_counter() - t0) * 1000)
        if d <= thr:
            return FaceResult(CheckState.MATCH, "Face matches the chip portrait", d, score, thr,
                              self.point.name, (), details)
        return FaceResult(
            CheckState.NO_MATCH, "Face does not match the chip portrait — check the customer's "
            "identity by other means", d, score, thr, self.point.name, (), details)

    def _not_performed(self, reason: str, issues: tuple[QualityIssue, ...],
                       details: dict[str, Any], t0: float) -> FaceResult:
        details["elapsed_ms"] = round((time.perf_counter() - t0) * 1000)
        return FaceResult(CheckState.NOT_PERFORMED, reason, None, None, self.point.threshold,
                          self.point.name, issues, details)


def _rank(rep: QualityReport) -> tuple[int, int, float]:
    single = 1 if rep.faces_found == 1 else 0
    sharp = rep.measures.sharpness if rep.measures else -1.0
    return (-len(rep.issues), single, sharp)


@lru_cache(maxsize=8)
def default_matcher(operating_point: str | None = None) -> FaceMatcher:
    """A cached matcher per operating point (models are loaded once per process)."""
    return FaceMatcher(operating_point)


def match_portrait(portrait: ImageInput, probe: Probe | ImageInput, *,
                   operating_point: str | None = None,
                   matcher: FaceMatcher | None = None) -> FaceResult:
    """Match the DG2 portrait against the live probe at the operating point (default strict)."""
    return (matcher or default_matcher(operating_point)).match_portrait(portrait, probe)


def compare_images(a: ImageInput, b: ImageInput, *, operating_point: str | None = None,
                   matcher: FaceMatcher | None = None) -> FaceResult:
    """`cardkit face compare A B`: A is the reference, B the probe."""
    return (matcher or default_matcher(operating_point)).compare_images(a, b)
