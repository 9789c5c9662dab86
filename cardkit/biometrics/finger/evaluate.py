"""FVC evaluation helpers: data sets, pairs (FVC protocol), EER / FMR100 / FMR1000.

Used by `bench/finger_bench.py` (the side-by-side table) and `calibrate` (the operating points).
Scores are similarities: higher = more alike.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_DATASET = Path(__file__).resolve().parents[4] / "shared" / "datasets" / "fingerprints"

# sensor resolution of each FVC "B" set (../shared/datasets/README.md)
FVC_SETS: dict[str, float] = {
    "fvc2002/DB1_B": 500.0,
    "fvc2002/DB2_B": 569.0,
    "fvc2002/DB3_B": 500.0,
    "fvc2002/DB4_B": 500.0,
    "fvc2004/DB2_B": 500.0,
    "fvc2004/DB3_B": 512.0,
}


@dataclass(frozen=True)
class Impression:
    dataset: str
    finger: int
    impression: int
    path: Path
    ppi: float

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.finger}_{self.impression}"


def impressions(root: Path = DEFAULT_DATASET, sets: list[str] | None = None
                ) -> list[Impression]:
    out = []
    for name in sets or list(FVC_SETS):
        for path in sorted((root / name).glob("*_*.tif")):
            finger, imp = path.stem.split("_")
            out.append(Impression(name, int(finger), int(imp), path, FVC_SETS[name]))
    return out


def fvc_pairs(items: list[Impression], *, all_impostors: bool = False
              ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """FVC protocol within each data set: every genuine pair (i < j) and, as impostors, the first
    impression of each finger against the first of every other finger — or, with
    `all_impostors`, every cross-finger pair (needed to measure FMR1000)."""
    gen: list[tuple[str, str]] = []
    imp: list[tuple[str, str]] = []
    by_set: dict[str, list[Impression]] = {}
    for it in items:
        by_set.setdefault(it.dataset, []).append(it)
    for group in by_set.values():
        for a, b in itertools.combinations(group, 2):
            if a.finger == b.finger:
                gen.append((a.key, b.key))
            elif all_impostors or (a.impression == 1 and b.impression == 1):
                imp.append((a.key, b.key))
    return gen, imp


def eer(gen: np.ndarray, imp: np.ndarray) -> float:
    """Equal error rate (FVC definition: where FMR(t) and FNMR(t) cross, averaged at the
    crossing)."""
    gen, imp = np.asarray(gen, float), np.asarray(imp, float)
    ts = np.unique(np.concatenate([gen, imp]))
    best = (2.0, 1.0)
    for t in ts:
        fmr = float(np.mean(imp >= t))
        fnmr = float(np.mean(gen < t))
        if abs(fmr - fnmr) < best[0]:
            best = (abs(fmr - fnmr), (fmr + fnmr) / 2)
    return best[1]


def fnmr_at_fmr(gen: np.ndarray, imp: np.ndarray, target: float) -> float | None:
    """Lowest FNMR with FMR <= target (None when there are too few impostors: < 1/target)."""
    gen, imp = np.asarray(gen, float), np.asarray(imp, float)
    if len(imp) < 1 / target:
        return None
    t = threshold_at_fmr(imp, target)
    return float(np.mean(gen < t))


def threshold_at_fmr(imp: np.ndarray, target: float) -> float:
    """Smallest threshold (score >= t matches) whose FMR on `imp` is <= target."""
    s = np.sort(np.asarray(imp, float))[::-1]
    allowed = int(np.floor(target * len(s)))  # impostors allowed at or above t
    if allowed >= len(s):
        return float(s[-1])
    # t just above the (allowed+1)-th highest impostor score
    return float(np.nextafter(s[allowed], np.inf))
