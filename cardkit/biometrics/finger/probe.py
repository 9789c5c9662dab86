"""The live finger as a probe for the card workflow: image or scanner → check result on DG3.

    probe = FingerProbe.from_image("live.png", position="right-index")
    check = probe(document)        # CheckResult "finger_match" — plugs into the workflow
    result = probe.match(dg3_bytes)  # FingerResult with score, threshold, quality

A DG3 that is missing (Terminal Authentication not done) or unreadable gives NOT_PERFORMED with
the reason; it never raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import CardkitError
from ...results import CheckResult, CheckState
from .image import FingerImage, ImageInput
from .match import FingerMatcher, FingerResult, default_matcher, parse_position
from .scanner import FingerprintScanner

CHECK_NAME = "finger_match"


@dataclass
class FingerProbe:
    """Where the live finger comes from and which card finger it is compared with."""

    source: FingerImage | ImageInput | FingerprintScanner
    position: str | int | None = "right-index"
    best_of: bool = False
    operating_point: str | None = None
    ppi: float | None = None
    timeout: float = 15.0
    matcher: FingerMatcher | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        parse_position(self.position)  # a typo is an input error before the card is read

    @classmethod
    def from_image(cls, path: str | Path | bytes, **kw: Any) -> FingerProbe:
        return cls(path, **kw)

    @classmethod
    def from_scanner(cls, scanner: FingerprintScanner, **kw: Any) -> FingerProbe:
        return cls(scanner, **kw)

    def _matcher(self) -> FingerMatcher:
        return self.matcher or default_matcher(self.operating_point)

    def match(self, dg3: bytes | None) -> FingerResult:
        m = self._matcher()
        if dg3 is None:
            self.close()
            return FingerResult(CheckState.NOT_PERFORMED, "The card's fingerprints (DG3) were "
                                "not read — they need Terminal Authentication (give the "
                                "terminal certificate chain and key)", None, None,
                                m.point.threshold, m.point.name)
        from ...lds.dg3 import parse_dg3

        try:
            fingers = [(v, r) for r in parse_dg3(dg3).records for v in r.views]
        except CardkitError as exc:
            self.close()
            return FingerResult(CheckState.NOT_PERFORMED, f"The card's fingerprints (DG3) "
                                f"cannot be read: {exc}", None, None, m.point.threshold,
                                m.point.name)
        try:
            live = self.capture() if isinstance(self.source, FingerprintScanner) else self.source
        finally:
            self.close()
        return m.match_card(fingers, live, position=self.position, best_of=self.best_of,
                            probe_ppi=self.ppi)

    def capture(self) -> FingerImage:
        assert isinstance(self.source, FingerprintScanner)
        return self.source.capture(timeout=self.timeout)

    def __call__(self, document: Any) -> CheckResult:
        """The workflow hook: `document.files["DG3"]` → CheckResult named finger_match. The
        workflow calls it only with a DG3 that EF.SOD covers (cardkit.verify)."""
        files = getattr(document, "files", None) or {}
        return self.match(files.get("DG3")).to_check(CHECK_NAME)

    def close(self) -> None:
        if isinstance(self.source, FingerprintScanner):
            self.source.close()
