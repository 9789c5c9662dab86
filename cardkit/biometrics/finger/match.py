"""Fingerprint 1:1 verification: is the finger on the scanner one of the card's (DG3) fingers?

    from cardkit.biometrics.finger import match_card
    result = match_card(dg3, "live.png", position="right-index")
    result.state  # CheckState.MATCH / NO_MATCH / NOT_PERFORMED; result.reason for the operator

Features: NIST mindtct minutiae (nbis-py) of the image and of its Gabor-enhanced version
(`enhance`); comparison: cardkit's Minutia Cylinder-Code with LSS-R (`mcc`), fused over the two
minutiae sets (`mcc.fused_score`), chosen on the side-by-side benchmark (bench/finger_bench.py, README). Decision: the
score against the threshold of a named operating point measured on the impostor distribution
(`calibration`). Quality problems never raise: they give NOT_PERFORMED with the operator's
instruction; only unusable inputs (undecodable file) raise InputError.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ...errors import BiometricError, InputError
from ...lds.finger_image import FingerImageRecord, FingerView, finger_name
from ...results import CheckResult, CheckState
from ..common import BiometricOutcome
from .calibration import Calibration, OperatingPoint, load_calibration
from .extract import ExtractionError, extract_enhanced, extract_mindtct
from .image import (
    STANDARD_PPI,
    FingerImage,
    ImageInput,
    as_grey,
    load_finger_image,
    to_standard,
)
from .mcc import fused_score
from .minutiae import FingerTemplate
from .quality import DEFAULT_THRESHOLDS, QualityIssue, QualityReport, QualityThresholds, assess

__all__ = ["FingerMatcher", "FingerResult", "Prepared", "compare_images", "default_matcher",
           "match_card", "parse_position"]

# 19794-4 Table 2 finger positions, as the operator names them (`right-index`)
POSITIONS: dict[str, int] = {
    "unknown": 0, "right-thumb": 1, "right-index": 2, "right-middle": 3, "right-ring": 4,
    "right-little": 5, "left-thumb": 6, "left-index": 7, "left-middle": 8, "left-ring": 9,
    "left-little": 10,
}


def parse_position(name: str | int | None) -> int | None:
    """'right-index' / 'right index' / 2 → 2; None → None."""
    if name is None:
        return None
    if isinstance(name, int):
        if 0 <= name <= 10:
            return name
        raise InputError(f"Finger position {name} is not 0–10 (ISO/IEC 19794-4 Table 2)")
    key = name.strip().lower().replace(" ", "-").replace("_", "-")
    if key.isdigit():
        return parse_position(int(key))
    if key not in POSITIONS:
        raise InputError(f"Unknown finger position '{name}' — use one of "
                         f"{', '.join(p for p in POSITIONS if p != 'unknown')}")
    return POSITIONS[key]


@dataclass(frozen=True)
class Prepared:
    """A finger ready to compare: its template, the minutiae of its enhanced image and its
    quality report."""

    template: FingerTemplate
    quality: QualityReport
    source: str = ""
    enhanced: FingerTemplate | None = None

    def score(self, other: Prepared) -> float:
        """The fused MCC similarity (0–1) of two prepared fingers."""
        empty = FingerTemplate((), 0, 0)
        return fused_score(self.template, self.enhanced or empty, other.template,
                           other.enhanced or empty)

    @property
    def usable(self) -> bool:
        return self.quality.usable


@dataclass(frozen=True)
class FingerResult(BiometricOutcome):
    """Outcome of one fingerprint verification. Holds no image and no minutiae."""

    state: CheckState
    reason: str
    score: float | None = None  # MCC similarity 0–1
    calibrated: float | None = None  # −log10 of the estimated false-match rate at this score
    threshold: float | None = None
    operating_point: str = ""
    quality: tuple[QualityIssue, ...] = ()
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "state": self.state.value, "reason": self.reason,
            "score": None if self.score is None else round(self.score, 4),
            "calibrated_score": self.calibrated, "threshold": self.threshold,
            "operating_point": self.operating_point,
            "quality": [q.value for q in self.quality],
        }
        out.update(self.details)
        return out

    def to_check(self, name: str = "finger") -> CheckResult:
        d = self.to_dict()
        return CheckResult(name, self.state, self.reason,
                           {k: v for k, v in d.items() if k not in ("state", "reason")})


class FingerMatcher:
    def __init__(self, operating_point: str | OperatingPoint | None = None,
                 calibration: Calibration | None = None,
                 thresholds: QualityThresholds = DEFAULT_THRESHOLDS, *,
                 nfiq2: bool = True) -> None:
        self.calibration = calibration or load_calibration()
        self.point = self.calibration.point(operating_point)
        self.thresholds = thresholds
        self.nfiq2 = nfiq2

    # -- preparation ----------------------------------------------------------------------------

    def prepare(self, image: FingerImage | ImageInput, *, ppi: float | None = None,
                position: int = 0, reference: bool = False, what: str = "fingerprint image"
                ) -> Prepared:
        """Decode (if needed), extract, assess. A `reference` (card image, cannot be retaken)
        is refused only when it holds no usable print; a probe gets every check."""
        img = image if isinstance(image, FingerImage) else load_finger_image(
            image, ppi=ppi, what=what)
        th = self.thresholds
        if reference:
            th = QualityThresholds(min_area_mm2=min(th.min_area_mm2, 20.0),
                                   min_coherence=th.min_coherence,
                                   min_minutiae=th.min_minutiae, min_nfiq2=0)
        empty = FingerTemplate((), img.width, img.height, 500.0, position)
        first = assess(img, thresholds=th)
        if not first.usable:  # nothing worth extracting (blank, noise, a sliver)
            return Prepared(empty, first, img.source)
        try:
            tpl = extract_mindtct(img, nfiq2=self.nfiq2 and not reference, position=position)[0]
        except ExtractionError:
            rep = QualityReport((QualityIssue.NO_RIDGES,), first.area_mm2, first.coherence, 0)
            return Prepared(empty, rep, img.source)
        rep = assess(img, minutiae=len(tpl), nfiq2=tpl.quality, thresholds=th)
        try:
            enhanced = extract_enhanced(img, position=position)
        except ExtractionError:
            enhanced = None
        return Prepared(tpl, rep, img.source, enhanced)

    def prepare_view(self, view: FingerView, record: FingerImageRecord | None = None
                     ) -> Prepared:
        """A DG3 finger image (19794-4 view, decoded by `finger_images`) at the record's
        resolution."""
        if record is None:
            return self.prepare(view.image_bytes, position=view.position, reference=True,
                                what=f"card finger ({view.finger})")
        from ..finger_images import decode_view

        try:
            pixels = decode_view(view, record).image
        except BiometricError as exc:
            raise InputError(f"The card's {exc}") from None
        img = to_standard(FingerImage(as_grey(pixels, f"card finger ({view.finger})"),
                                      _record_ppi(record) or STANDARD_PPI, view.finger))
        return self.prepare(img, position=view.position, reference=True)

    # -- comparison -----------------------------------------------------------------------------

    def compare(self, reference: Prepared, probe: Prepared, *, comparisons: int = 1,
                details: dict[str, Any] | None = None, t0: float | None = None) -> FingerResult:
        t0 = time.perf_counter() if t0 is None else t0
        details = dict(details or {})
        details["probe_quality"] = probe.quality.to_dict()
        details["reference_quality"] = reference.quality.to_dict()
        if not reference.usable:
            return self._not_performed(
                "The card's finger image holds no usable print — verify the customer by other "
                "means", reference.quality.issues, details, t0)
        if not probe.usable:
            return self._not_performed(probe.quality.advice, probe.quality.issues, details, t0)
        score = reference.score(probe)
        return self._decide(score, comparisons, details, t0)

    def _decide(self, score: float, comparisons: int, details: dict[str, Any],
                t0: float) -> FingerResult:
        thr = self.point.threshold
        if comparisons > 1:  # best of n: keep the family FMR at the target (Bonferroni)
            thr = self._threshold_for_fmr(self.point.target_fmr / comparisons)
            details["comparisons"] = comparisons
        cal = self.calibration.calibrated(score, comparisons)
        details["elapsed_ms"] = round((time.perf_counter() - t0) * 1000)
        if score >= thr:
            return FingerResult(CheckState.MATCH, "Fingerprint matches the card", score, cal,
                                round(thr, 5), self.point.name, (), details)
        return FingerResult(CheckState.NO_MATCH, "Fingerprint does not match the card — check "
                            "the finger used, or verify the customer by other means", score, cal,
                            round(thr, 5), self.point.name, (), details)

    def _threshold_for_fmr(self, fmr: float) -> float:
        """The score where the calibrated FMR falls to `fmr` (bisection on the tail model)."""
        lo, hi = self.point.threshold, 1.0
        for _ in range(50):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if self.calibration.fmr(mid) > fmr else (lo, mid)
        return hi

    def compare_images(self, reference: ImageInput, probe: ImageInput, *,
                       reference_ppi: float | None = None,
                       probe_ppi: float | None = None) -> FingerResult:
        t0 = time.perf_counter()
        ref = self.prepare(reference, ppi=reference_ppi, reference=True,
                           what="reference fingerprint")
        prb = self.prepare(probe, ppi=probe_ppi, what="fingerprint")
        return self.compare(ref, prb, t0=t0)

    def match_card(self, fingers: Sequence[tuple[FingerView, FingerImageRecord | None]],
                   probe: Prepared | FingerImage | ImageInput, *, position: int | str | None,
                   best_of: bool = False, probe_ppi: float | None = None) -> FingerResult:
        """Match the live finger against the card's finger at `position` (the finger the
        operator says was scanned), or with `best_of` against every card finger (reported)."""
        t0 = time.perf_counter()
        pos = parse_position(position)
        if not fingers:
            return self._not_performed("The card holds no finger images (DG3 empty or not "
                                       "read)", (), {}, t0)
        held = ", ".join(sorted({v.finger for v, _ in fingers}))
        if best_of:
            chosen = list(fingers)
        else:
            if pos is None:
                raise InputError("Say which finger was scanned (e.g. --finger-position "
                                 "right-index) or ask for the best of the card's fingers")
            chosen = [(v, r) for v, r in fingers if v.position == pos]
            if not chosen:
                return self._not_performed(
                    f"The card holds no {finger_name(pos)} (it holds: {held}) — scan one of "
                    "those fingers", (), {"card_fingers": held}, t0)
        prb = probe if isinstance(probe, Prepared) else self.prepare(probe, ppi=probe_ppi)
        details: dict[str, Any] = {"card_fingers": held,
                                   "mode": "best of the card's fingers" if best_of
                                   else f"operator says {finger_name(pos or 0)}"}
        if not prb.usable:
            return self._not_performed(prb.quality.advice, prb.quality.issues,
                                       {**details, "probe_quality": prb.quality.to_dict()}, t0)
        best: tuple[float, str, Prepared] | None = None
        for view, record in chosen:
            ref = self.prepare_view(view, record)
            if not ref.usable:
                continue
            s = ref.score(prb)
            if best is None or s > best[0]:
                best = (s, view.finger, ref)
        if best is None:
            return self._not_performed(
                "The card's finger images hold no usable print — verify the customer by other "
                "means", (), details, t0)
        details["card_finger"] = best[1]
        details["probe_quality"] = prb.quality.to_dict()
        details["reference_quality"] = best[2].quality.to_dict()
        return self._decide(best[0], len(chosen) if best_of else 1, details, t0)

    def _not_performed(self, reason: str, issues: tuple[QualityIssue, ...],
                       details: dict[str, Any], t0: float) -> FingerResult:
        details["elapsed_ms"] = round((time.perf_counter() - t0) * 1000)
        return FingerResult(CheckState.NOT_PERFORMED, reason, None, None,
                            self.point.threshold, self.point.name, issues, details)


def _record_ppi(record: FingerImageRecord | None) -> float | None:
    """19794-4 §8.2.6 scale units: 1 = pixels per inch, 2 = pixels per cm."""
    if record is None:
        return None
    res = record.image_resolution[0] or record.scan_resolution[0]
    if not res:
        return None
    return res * 2.54 if record.scale_units == 2 else float(res)


@lru_cache(maxsize=4)
def default_matcher(operating_point: str | None = None) -> FingerMatcher:
    return FingerMatcher(operating_point)


def compare_images(a: ImageInput, b: ImageInput, *, operating_point: str | None = None,
                   a_ppi: float | None = None, b_ppi: float | None = None) -> FingerResult:
    """`cardkit finger compare A B`: A is the reference, B the probe (every quality check)."""
    return default_matcher(operating_point).compare_images(a, b, reference_ppi=a_ppi,
                                                           probe_ppi=b_ppi)


def match_card(fingers: Sequence[tuple[FingerView, FingerImageRecord | None]],
               probe: Prepared | FingerImage | ImageInput, *, position: int | str | None,
               best_of: bool = False, operating_point: str | None = None,
               probe_ppi: float | None = None) -> FingerResult:
    return default_matcher(operating_point).match_card(fingers, probe, position=position,
                                                       best_of=best_of, probe_ppi=probe_ppi)
