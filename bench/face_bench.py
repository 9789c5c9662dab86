"""Face benchmark: model load, time per encoding (chip portrait 240×320 and a 1280×720 probe),
time per comparison, memory, and accuracy (FMR / FNMR, ROC points) on ../shared/datasets/faces.

    python bench/face_bench.py [--repeat N] [--dataset DIR] [--json OUT] [--no-accuracy]

Encoding = HOG detection at the working resolution + 5-point landmarks + ResNet descriptor.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from cardkit.biometrics.face import FaceMatcher, Probe
from cardkit.biometrics.face.calibrate import (
    PORTRAIT_FORMATS,
    STRESS_FORMATS,
    dataset_samples,
    pair_distances,
    rates,
)
from cardkit.biometrics.face.detect import detect_faces
from cardkit.biometrics.face.embed import distance, embed
from cardkit.biometrics.face.image import load_image
from cardkit.biometrics.face.models import load_models
from cardkit.biometrics.face.portrait import crop_portrait, encode_portrait

DEFAULT_DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "faces"


def rss_mb() -> float:
    """Peak resident memory of this process so far (MB, Linux ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timeit(fn, repeat: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1)}


def probe_1280x720(photo: np.ndarray) -> np.ndarray:
    """A 1280×720 frame with the face at counter distance (~300 px wide)."""
    h, w = photo.shape[:2]
    s = 720 / h
    r = cv2.resize(photo, (int(w * s), 720), interpolation=cv2.INTER_AREA)
    canvas = np.full((720, 1280, 3), 100, np.uint8)
    x = max(0, (1280 - r.shape[1]) // 2)
    canvas[:, x:x + min(1280, r.shape[1])] = r[:, :1280]
    return canvas


PROBE_SIZES = ((640, 480), (1920, 1080), (4000, 3000))


def probe_jpeg(path: Path, size: tuple[int, int]) -> bytes:
    """A JPEG probe (quality 90) of `size`: the photo scaled to the full height, centred."""
    import io

    from PIL import Image

    im = Image.open(path).convert("RGB")
    w, h = size
    s = h / im.height
    im = im.resize((round(im.width * s), h), Image.LANCZOS)
    canvas = Image.new("RGB", size, (100, 100, 100))
    canvas.paste(im, ((w - im.width) // 2, 0))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=90)
    return out.getvalue()


def compare_sizes(dataset: Path, repeat: int) -> list[dict[str, object]]:
    """`face compare` (portrait JPEG vs JPEG probe, decode included) per probe size, beside the
    same comparison with the probe decoded in full (the code before draft decoding)."""
    from cardkit.biometrics.face.camera import ProbeKind

    m = load_models()
    matcher = FaceMatcher(models=m)
    photo = load_image(dataset / "barack_obama" / "1.jpg")
    portrait = encode_portrait(crop_portrait(photo, detect_faces(photo, m)[0]), "jpeg", 12000)
    rows = []
    for size in PROBE_SIZES:
        data = probe_jpeg(dataset / "barack_obama" / "2.jpg", size)
        res = matcher.compare_images(portrait, data)
        fast = timeit(lambda d=data: matcher.compare_images(portrait, d), repeat)
        full = timeit(lambda d=data: matcher.match_portrait(
            portrait, Probe(ProbeKind.IMAGE, "full", image=load_image(d, "photo"))), repeat)
        dec = timeit(lambda d=data: Probe.from_image(d), repeat)
        rows.append({"probe": f"{size[0]}x{size[1]}", "jpeg_kb": round(len(data) / 1024),
                     "compare_ms": fast["median_ms"], "full_decode_compare_ms": full["median_ms"],
                     "probe_decode_ms": dec["median_ms"],
                     "decision": res.state.value, "distance": round(res.distance or 0, 3)})
    return rows


def speed(dataset: Path, repeat: int) -> dict[str, object]:
    out: dict[str, object] = {"rss_before_models_mb": round(rss_mb(), 1)}
    t = time.perf_counter()
    m = load_models()
    out["model_load_ms"] = round((time.perf_counter() - t) * 1000, 1)
    out["rss_after_models_mb"] = round(rss_mb(), 1)
    photo = load_image(dataset / "barack_obama" / "1.jpg")
    face = detect_faces(photo, m)[0]
    portraits = {k: encode_portrait(crop_portrait(photo, face), f, b)
                 for k, (f, b) in PORTRAIT_FORMATS.items()}
    probe = probe_1280x720(load_image(dataset / "barack_obama" / "2.jpg"))

    def encode(rgb: np.ndarray) -> np.ndarray:
        return embed(rgb, detect_faces(rgb, m)[0], m)

    res: dict[str, object] = {}
    for k, data in portraits.items():
        res[f"decode_{k}_portrait_{len(data)}B"] = timeit(lambda d=data: load_image(d), repeat)
        rgb = load_image(data)
        res[f"encode_{k}_portrait_240x320"] = timeit(lambda r=rgb: encode(r), repeat)
    res["detect_probe_1280x720"] = timeit(lambda: detect_faces(probe, m), repeat)
    res["encode_probe_1280x720"] = timeit(lambda: encode(probe), repeat)
    a, b = encode(load_image(portraits["jpeg"])), encode(probe)
    n = 20000
    t = time.perf_counter()
    for _ in range(n):
        distance(a, b)
    res["compare_embeddings"] = {"mean_us": round((time.perf_counter() - t) / n * 1e6, 2)}
    matcher = FaceMatcher(models=m)
    res["match_portrait_jpeg_vs_1280x720"] = timeit(
        lambda: matcher.match_portrait(portraits["jpeg"], Probe.from_image(probe)), repeat)
    out["timings"] = res
    out["rss_peak_mb"] = round(rss_mb(), 1)
    return out


def accuracy(dataset: Path, matcher: FaceMatcher) -> dict[str, object]:
    t = time.perf_counter()
    samples = dataset_samples(dataset, {**PORTRAIT_FORMATS, **STRESS_FORMATS})
    sets = {"photo-photo": pair_distances(samples, "photo", "photo")}
    for kind in (*PORTRAIT_FORMATS, *STRESS_FORMATS):
        sets[f"{kind}-photo"] = pair_distances(samples, kind, "photo")
    out: dict[str, object] = {"embedding_time_s": round(time.perf_counter() - t, 1)}
    points = {}
    for name, op in matcher.calibration.operating_points.items():
        points[name] = {"threshold": op.threshold,
                        **{k: rates(g, i, op.threshold) for k, (g, i) in sets.items()}}
    out["operating_points"] = points
    roc = {}
    for k, (g, i) in sets.items():
        roc[k] = [{"threshold": round(float(thr), 2), **{x: rates(g, i, float(thr))[x]
                                                         for x in ("fmr", "fnmr")}}
                  for thr in np.arange(0.40, 0.701, 0.02)]
        eer = min(roc[k], key=lambda r: abs(r["fmr"] - r["fnmr"]))  # type: ignore[operator]
        out.setdefault("eer_approx", {})[k] = {"threshold": eer["threshold"],  # type: ignore
                                               "fmr": eer["fmr"], "fnmr": eer["fnmr"]}
    out["roc"] = roc
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="cardkit face benchmark")
    ap.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument("--no-accuracy", action="store_true")
    args = ap.parse_args(argv)
    if not args.dataset.is_dir():
        print(f"data set not found: {args.dataset}", file=sys.stderr)
        return 2
    report: dict[str, object] = {"speed": speed(args.dataset, args.repeat)}
    sp = report["speed"]
    print(f"model load {sp['model_load_ms']} ms; RSS {sp['rss_before_models_mb']} → "  # type: ignore
          f"{sp['rss_after_models_mb']} MB after models, peak {sp['rss_peak_mb']} MB")  # type: ignore
    for k, v in sp["timings"].items():  # type: ignore[index,union-attr]
        print(f"  {k:<42} {v}")
    rows = compare_sizes(args.dataset, args.repeat)
    report["compare_by_probe_size"] = rows
    print("face compare (chip portrait JPEG 12 KB vs a JPEG probe, decode included; median ms)")
    print(f"  {'probe':>10} {'KB':>5} {'compare':>8} {'(full decode)':>13} {'decode':>7}  decision")
    for r in rows:
        print(f"  {r['probe']:>10} {r['jpeg_kb']:>5} {r['compare_ms']:>8} "
              f"{r['full_decode_compare_ms']:>13} {r['probe_decode_ms']:>7}  {r['decision']} "
              f"d={r['distance']}")
    if not args.no_accuracy:
        acc = accuracy(args.dataset, FaceMatcher())
        report["accuracy"] = acc
        for name, op in acc["operating_points"].items():  # type: ignore[union-attr]
            print(f"{name:>12} t={op['threshold']:.2f}: " + "; ".join(
                f"{k} FMR {v['fmr']} ({v['false_matches']}/{v['impostor_pairs']}, 95% ≤ "
                f"{v['fmr_upper_95']}) FNMR {v['fnmr']} ({v['false_non_matches']}/"
                f"{v['genuine_pairs']})" for k, v in op.items() if isinstance(v, dict)))
        print("approx. EER:", acc["eer_approx"])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
