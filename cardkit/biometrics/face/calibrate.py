"""Calibrate the face operating points on real genuine / impostor pairs (ISO/IEC 19795-1 terms).

    python -m cardkit.biometrics.face.calibrate [--dataset ../shared/datasets/faces] [--out FILE]

Every photo is also turned into a chip-like portrait (240×320, JPEG ~12 KB and JPEG 2000 ~6 KB)
and compared with the *other* photos, as at the counter (chip portrait vs live probe). The data set
is small (10 people), so an FMR of 0.1 % cannot be measured: thresholds come from a Gaussian fit of
the impostor distances, with a margin below the closest impostor pair (see `choose_thresholds`).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .calibration import CALIBRATION_FILE
from .detect import detect_faces
from .embed import distance, embed
from .image import load_image
from .models import load_models
from .portrait import crop_portrait, encode_portrait

PORTRAIT_FORMATS = {"jpeg": ("jpeg", 12000), "jp2": ("jp2", 6000)}
STRESS_FORMATS = {"jp2-1.5k": ("jp2", 1500)}
IMAGE_EXT = (".jpg", ".jpeg", ".png")
STEPS = 0.01


@dataclass(frozen=True)
class Sample:
    person: str
    photo: str  # path relative to the data set
    kind: str  # "photo" or a portrait format
    embedding: np.ndarray


def dataset_samples(dataset: Path, formats: dict[str, tuple[str, int]] | None = None
                    ) -> list[Sample]:
    """Embeddings of every photo (largest face) and of its chip-like portraits."""
    fmts = PORTRAIT_FORMATS if formats is None else formats
    m = load_models()
    out: list[Sample] = []
    for path in sorted(p for p in dataset.glob("*/*") if p.suffix.lower() in IMAGE_EXT):
        rel = f"{path.parent.name}/{path.name}"
        rgb = load_image(path)
        faces = detect_faces(rgb, m)
        if not faces:
            print(f"warning: no face in {rel}", file=sys.stderr)
            continue
        out.append(Sample(path.parent.name, rel, "photo", embed(rgb, faces[0], m)))
        crop = crop_portrait(rgb, faces[0])
        for kind, (fmt, size) in fmts.items():
            img = load_image(encode_portrait(crop, fmt, size))
            pf = detect_faces(img, m)
            if pf:
                out.append(Sample(path.parent.name, rel, kind, embed(img, pf[0], m)))
            else:
                print(f"warning: no face in the {kind} portrait of {rel}", file=sys.stderr)
    return out


def pair_distances(samples: list[Sample], kind_a: str, kind_b: str
                   ) -> tuple[list[float], list[float]]:
    """(genuine, impostor) distances between kind_a and kind_b samples of different photos."""
    gen: list[float] = []
    imp: list[float] = []
    a_s = [s for s in samples if s.kind == kind_a]
    b_s = [s for s in samples if s.kind == kind_b]
    if kind_a == kind_b:
        pairs = itertools.combinations(a_s, 2)
    else:
        pairs = ((a, b) for a in a_s for b in b_s if a.photo != b.photo)
    for a, b in pairs:
        (gen if a.person == b.person else imp).append(distance(a.embedding, b.embedding))
    return gen, imp


def upper_bound(errors: int, n: int, confidence: float = 0.95) -> float:
    """One-sided Clopper-Pearson upper bound of an error rate (errors=0 → 1-(1-c)^(1/n))."""
    if n == 0:
        return 1.0
    if errors >= n:
        return 1.0
    lo, hi = errors / n, 1.0
    for _ in range(60):  # bisection on P(X <= errors; p) = 1 - confidence
        mid = (lo + hi) / 2
        cdf = sum(_binom_pmf(n, k, mid) for k in range(errors + 1))
        lo, hi = (mid, hi) if cdf > 1 - confidence else (lo, mid)
    return hi


def _binom_pmf(n: int, k: int, p: float) -> float:
    if p <= 0.0:
        return 1.0 if k == 0 else 0.0
    if p >= 1.0:
        return 1.0 if k == n else 0.0
    log = (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
           + k * math.log(p) + (n - k) * math.log1p(-p))
    return math.exp(log)


def rates(gen: list[float], imp: list[float], threshold: float) -> dict[str, float | int]:
    fm = sum(d <= threshold for d in imp)
    fnm = sum(d > threshold for d in gen)
    return {"genuine_pairs": len(gen), "impostor_pairs": len(imp),
            "false_matches": fm, "false_non_matches": fnm,
            "fmr": round(fm / len(imp), 5) if imp else None,
            "fnmr": round(fnm / len(gen), 5) if gen else None,
            "fmr_upper_95": round(upper_bound(fm, len(imp)), 5)}


def _z(p: float) -> float:
    return statistics.NormalDist().inv_cdf(p)


def choose_thresholds(imp: list[float]) -> dict[str, float]:
    """strict: min(Gaussian-fit impostor quantile at 1e-4, closest impostor − 0.10);
    balanced: min(quantile at 1e-3, closest impostor − 0.05). Each rounded down to 0.01.

    The 10× stricter quantile and the margins cover what 10 people cannot show: other
    populations (dlib's training set is mostly Western faces), look-alikes, worse cameras.
    """
    mu, sd, lo = statistics.fmean(imp), statistics.pstdev(imp), min(imp)

    def floor(x: float) -> float:
        return math.floor(x / STEPS) * STEPS

    return {"strict": round(floor(min(mu + _z(1e-4) * sd, lo - 0.10)), 2),
            "balanced": round(floor(min(mu + _z(1e-3) * sd, lo - 0.05)), 2)}


def calibrate(dataset: Path) -> dict[str, object]:
    samples = dataset_samples(dataset, {**PORTRAIT_FORMATS, **STRESS_FORMATS})
    sets = {"photo-photo": pair_distances(samples, "photo", "photo")}
    for kind in (*PORTRAIT_FORMATS, *STRESS_FORMATS):
        sets[f"{kind}-photo"] = pair_distances(samples, kind, "photo")
    # decision data: chip portrait vs photo (JPEG and JPEG 2000 pooled)
    gen = sets["jpeg-photo"][0] + sets["jp2-photo"][0]
    imp = sets["jpeg-photo"][1] + sets["jp2-photo"][1]
    all_imp = imp + sets["photo-photo"][1]
    t = choose_thresholds(all_imp)
    mu_g, mu_i = statistics.fmean(gen), statistics.fmean(imp)
    sd = math.sqrt((statistics.pvariance(gen) + statistics.pvariance(imp)) / 2)
    sd_i = statistics.pstdev(imp)
    points = [
        ("strict", t["strict"], 0.001, "Bank default: target FMR <= 0.1 %. Rejected customers "
         "are checked by the teller against the chip portrait."),
        ("balanced", t["balanced"], 0.01, "Target FMR <= 1 %: fewer rejections, for low-risk "
         "desks (e.g. hospital check-in) where a false match costs little."),
        ("dlib-default", 0.6, None, "dlib's published threshold (99.38 % accuracy on LFW); "
         "reference only, too lenient for identity checks."),
    ]
    ops = []
    for name, thr, target, desc in points:
        measured = {k: rates(g, i, thr) for k, (g, i) in sets.items()}
        measured["gaussian_fmr_estimate"] = float(
            f"{statistics.NormalDist(mu_i, sd_i).cdf(thr):.2e}")
        ops.append({"name": name, "threshold": thr, "target_fmr": target, "description": desc,
                    "measured": measured})
    roc = []
    for thr in np.arange(0.30, 0.801, 0.02):
        r = rates(gen, imp, float(thr))
        roc.append({"threshold": round(float(thr), 2), "fmr": r["fmr"], "fnmr": r["fnmr"]})
    summary = {k: {"genuine": _stats(g), "impostor": _stats(i)} for k, (g, i) in sets.items()}
    return {
        "about": "cardkit face calibration: dlib ResNet (dlib_face_recognition_resnet_model_v1), "
                 "HOG + 5-point alignment. Distances are Euclidean; match when distance <= "
                 "threshold. Made by python -m cardkit.biometrics.face.calibrate.",
        "dataset": {"path": "shared/datasets/faces", "photos": len({s.photo for s in samples}),
                    "people": len({s.person for s in samples}),
                    "portraits": {k: f"240x320 {f} <= {b} bytes"
                                  for k, (f, b) in {**PORTRAIT_FORMATS, **STRESS_FORMATS}.items()},
                    "threshold_data": "jpeg-photo + jp2-photo (+ photo-photo for the closest "
                                      "impostor)"},
        "distances": summary,
        "score_model": {"genuine_mean": round(mu_g, 4), "impostor_mean": round(mu_i, 4),
                        "pooled_sd": round(sd, 4)},
        "operating_points": ops,
        "roc_portrait_vs_photo": roc,
    }


def _stats(values: list[float]) -> dict[str, float | int]:
    return {"n": len(values), "min": round(min(values), 4), "max": round(max(values), 4),
            "mean": round(statistics.fmean(values), 4),
            "sd": round(statistics.pstdev(values), 4)}


def main(argv: list[str] | None = None) -> int:
    default = Path(__file__).resolve().parents[3].parent / "shared" / "datasets" / "faces"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, default=default)
    ap.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    args = ap.parse_args(argv)
    if not args.dataset.is_dir():
        print(f"data set not found: {args.dataset}", file=sys.stderr)
        return 2
    result = calibrate(args.dataset)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for op in result["operating_points"]:  # type: ignore[union-attr]
        m = op["measured"]
        print(f"{op['name']:>12}: threshold {op['threshold']:.2f}  "
              + "  ".join(f"{k} FMR {v['fmr']} FNMR {v['fnmr']}" for k, v in m.items()
                          if isinstance(v, dict)))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
