"""Workflow benchmark: what one `verify_card` costs beyond reading, and the bundled trust list.

Prints, on this machine:
- the bundled CSCA master-list snapshot: load + verification against the pinned publisher (once
  per process; cached afterwards) and the cached lookup;
- `verify_card` on the in-process virtual card per preset policy (no face): total and per step
  (trust, read, passive_auth, document_valid), median of N runs;
- `verify_card` on files already read (a dump), policy inspect-only, with the bundled list;
- decide() alone (the verdict rule) per call.

    python bench/workflow_bench.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

from cardkit import CardSource, load_policy, verify_card
from cardkit.security import snapshot
from cardkit.verdict import decide


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args(argv)

    t = time.perf_counter()
    snap = snapshot.load_snapshot(snapshot.BUNDLED)
    first = time.perf_counter() - t
    t = time.perf_counter()
    snapshot.load_snapshot(snapshot.BUNDLED)
    cached = time.perf_counter() - t
    print(f"bundled master list ({snap.date}, {len(snap.store)} CSCAs, "
          f"{snapshot.BUNDLED.stat().st_size / 1024:.0f} KB): load+verify {first * 1000:.0f} ms "
          f"once per process, cached {cached * 1e6:.0f} µs")

    print(f"\n{'policy':<14}{'persona':<10}{'total ms':>9}   median per step (ms)")
    for policy in ("card", "bank", "clinic", "inspect-only"):
        for persona in ("default", "pace"):
            totals, steps = [], {}
            for _ in range(args.runs):
                t = time.perf_counter()
                r = verify_card(CardSource.from_sim(persona), policy=policy)
                totals.append(time.perf_counter() - t)
                for s in r.steps:
                    steps.setdefault(s.name, []).append(s.seconds)
            per = ", ".join(f"{k} {statistics.median(v) * 1000:.1f}" for k, v in steps.items())
            print(f"{policy:<14}{persona:<10}{statistics.median(totals) * 1000:>9.1f}   {per}  "
                  f"[{r.verdict.value}]")

    files = dict(verify_card(CardSource.from_sim("default"), policy="card").files)
    totals = []
    for _ in range(args.runs):
        t = time.perf_counter()
        r = verify_card(CardSource.from_files(files), policy="inspect-only",
                        default_trust=True)
        totals.append(time.perf_counter() - t)
    print(f"\ndump, inspect-only, bundled list: {statistics.median(totals) * 1000:.1f} ms "
          f"[{r.verdict.value}: {', '.join(str(m) for m in r.reasons)}]")

    checks = r.checks
    bank = load_policy("bank")
    n = 20000
    t = time.perf_counter()
    for _ in range(n):
        decide(checks, bank)
    print(f"decide() (the verdict rule): {(time.perf_counter() - t) / n * 1e6:.1f} µs per call")


if __name__ == "__main__":
    main()
