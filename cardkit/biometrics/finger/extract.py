"""Minutiae extraction with NIST mindtct (NBIS, through the `nbis-py` package) + NFIQ 2.

nbis-py is NIST's NBIS (mindtct, bozorth3) and NFIQ 2 compiled into one library (MIT). It reads
PNG bytes at 500 ppi; cardkit hands it the 500 ppi image (`image.to_standard`).
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache
from typing import Any

from ...errors import InputError
from .image import FingerImage, to_png
from .minutiae import FingerTemplate, Minutia, MinutiaKind

_LOCK = threading.Lock()


class ExtractionError(InputError):
    """mindtct / NFIQ 2 could not process the image (e.g. no ridge structure at all)."""  # the native extractor is not documented as thread-safe


def available() -> bool:
    try:
        import nbis  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=2)
def _extractor(nfiq2: bool) -> Any:
    try:
        import nbis
    except ImportError:
        raise InputError("Fingerprint matching needs the 'nbis-py' package "
                         "(pip install 'cardkit[finger]')") from None
    settings = nbis.NbisExtractorSettings(min_quality=0.0, get_center=False,
                                          check_fingerprint=False, compute_nfiq2=nfiq2,
                                          ppi=500.0)
    return nbis.new_nbis_extractor(settings)


_KINDS = {"RIDGE_ENDING": MinutiaKind.RIDGE_ENDING, "BIFURCATION": MinutiaKind.BIFURCATION}


def extract_mindtct(img: FingerImage, *, nfiq2: bool = False,
                    position: int = 0) -> tuple[FingerTemplate, Any]:
    """mindtct minutiae of a 500 ppi image → (FingerTemplate, the nbis Minutiae handle for
    bozorth3). With `nfiq2`, the template's quality is the NFIQ 2 score (0–100)."""
    import nbis

    png = to_png(img)
    try:
        with _LOCK:
            raw = _extractor(nfiq2).extract_minutiae(png)
    except nbis.NbisError as exc:
        raise ExtractionError(f"mindtct could not process the fingerprint image ({exc})") from None
    mins = []
    for m in raw.get():
        kind = _KINDS.get(getattr(m.kind(), "name", ""), MinutiaKind.OTHER)
        q = max(0, min(100, round(float(m.reliability()) * 100)))
        mins.append(Minutia(int(m.x()), int(m.y()), math.radians(float(m.angle())) % (2 * math.pi),
                            kind, q))
    quality = None
    if nfiq2:
        quality = int(raw.quality().score)
    tpl = FingerTemplate(tuple(mins), img.width, img.height, 500.0, position, quality, "mindtct")
    return tpl, raw


def extract_enhanced(img: FingerImage, *, position: int = 0) -> FingerTemplate:
    """mindtct minutiae of the Gabor-enhanced image (`enhance`), without those within
    `enhance.BORDER` pixels of the background — the second minutiae set MCC is fused over."""
    from .enhance import BORDER, enhance

    pixels, inside = enhance(img.pixels)
    tpl, _ = extract_mindtct(FingerImage(pixels, 500.0, img.source), position=position)
    h, w = inside.shape
    kept = tuple(m for m in tpl.minutiae
                 if inside[min(max(m.y, 0), h - 1), min(max(m.x, 0), w - 1)] >= BORDER)
    return FingerTemplate(kept, img.width, img.height, 500.0, position, None, "mindtct+gabor")


def nfiq2_actionable(raw: Any) -> dict[str, float]:
    """NFIQ 2 actionable feedback (e.g. UniformImage, EmptyImageOrContrastTooLow)."""
    out: dict[str, float] = {}
    for v in raw.quality().actionable:
        name = getattr(v, "name", None) or getattr(v, "key", None)
        val = getattr(v, "value", None)
        if name is not None and val is not None:
            out[str(name)] = float(val)
    return out
