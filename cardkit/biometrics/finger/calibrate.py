"""Calibrate the fingerprint operating points on the FVC "B" sets (ISO/IEC 19795-1 terms).

    python -m cardkit.biometrics.finger.calibrate [--dataset ../shared/datasets/fingerprints]
                                                 [--out FILE] [--scores CACHE.pkl]

Scores: MCC fused over mindtct minutiae of the image and of its Gabor-enhanced version (the
shipped method) for every genuine pair (1680) and every
cross-finger impostor pair within each set (17280). A threshold is the smallest score whose
measured FMR is <= its target. The same procedure is also run on a held-out split — calibrated on
the four FVC2002 sets, applied to the two FVC2004 sets it never saw — and those rates are stored
beside the point, so the file says how well the threshold carries over to unseen fingers.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path

import numpy as np

from .calibration import CALIBRATION_FILE
from .evaluate import DEFAULT_DATASET, eer, fvc_pairs, impressions, threshold_at_fmr
from .extract import extract_enhanced, extract_mindtct
from .image import load_finger_image
from .mcc import fused_score

POINTS = [("strict", 0.001, "bank default: FMR <= 0.1 % (one different finger in 1000)"),
          ("balanced", 0.01, "fewer rejections: FMR <= 1 %")]
TAIL_FMR = [0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002]


def pair_scores(dataset: Path) -> tuple[dict, list, list]:
    items = impressions(dataset)
    tpl = {}
    for it in items:
        img = load_finger_image(it.path, ppi=it.ppi)
        tpl[it.key] = (extract_mindtct(img)[0], extract_enhanced(img))
    gen, _ = fvc_pairs(items)
    _, imp = fvc_pairs(items, all_impostors=True)
    scores = {p: fused_score(*tpl[p[0]], *tpl[p[1]]) for p in gen + imp}
    return scores, gen, imp


def rates(gen: np.ndarray, imp: np.ndarray, thr: float) -> dict[str, float | int]:
    return {"genuine_pairs": len(gen), "impostor_pairs": len(imp),
            "false_matches": int((imp >= thr).sum()), "false_non_matches": int((gen < thr).sum()),
            "fmr": round(float((imp >= thr).mean()), 5),
            "fnmr": round(float((gen < thr).mean()), 5)}


def build(scores: dict, gen: list, imp: list) -> dict:
    g = np.array([scores[p] for p in gen])
    i = np.array([scores[p] for p in imp])
    cal_sets = ("fvc2002/",)
    i_cal = np.array([scores[p] for p in imp if p[0].startswith(cal_sets)])
    g_val = np.array([scores[p] for p in gen if not p[0].startswith(cal_sets)])
    i_val = np.array([scores[p] for p in imp if not p[0].startswith(cal_sets)])
    points = []
    for name, target, desc in POINTS:
        thr = threshold_at_fmr(i, target)
        held = threshold_at_fmr(i_cal, target)
        points.append({"name": name, "threshold": round(thr, 6), "target_fmr": target,
                       "description": desc,
                       "measured": {**rates(g, i, thr),
                                    "held_out": {"calibrated_on": "fvc2002 DB1-4_B",
                                                 "threshold": round(held, 6),
                                                 "applied_to": "fvc2004 DB2_B, DB3_B",
                                                 **rates(g_val, i_val, held)}}})
    tail_scores = [threshold_at_fmr(i, f) for f in TAIL_FMR]
    return {"method": "mcc fused over two minutiae sets",
            "extractor": "mindtct (nbis-py) on the image and on its Gabor-enhanced version",
            "data": "FVC2002 DB1-4_B, FVC2004 DB2_B/DB3_B (all genuine and cross-finger pairs)",
            "eer": round(eer(g, i), 5),
            "operating_points": points,
            "tail": {"scores": [round(s, 6) for s in tail_scores], "fmr": TAIL_FMR}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    ap.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    ap.add_argument("--scores", type=Path, help="pickle cache of the pair scores")
    args = ap.parse_args(argv)
    if args.scores and args.scores.exists():
        scores, gen, imp = pickle.loads(args.scores.read_bytes())
    else:
        scores, gen, imp = pair_scores(args.dataset)
        if args.scores:
            args.scores.write_bytes(pickle.dumps((scores, gen, imp)))
    data = build(scores, gen, imp)
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    for p in data["operating_points"]:
        m = p["measured"]
        h = m["held_out"]
        print(f"{p['name']}: threshold {p['threshold']} FMR {m['fmr']} FNMR {m['fnmr']}; held-out"
              f" threshold {h['threshold']} → FMR {h['fmr']} FNMR {h['fnmr']} on unseen sets")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
