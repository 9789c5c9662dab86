"""Batch verification benchmark: dumps/s of `cardkit.batch.verify_dumps` with 1 and 2 workers.

The server-side case: a folder of uploaded dumps (virtual-card personas written as `read --out`
folders, ~20 KB each: RSA-2048, P-256 and brainpoolP256r1 DSCs, plus forged/revoked ones),
verified against the test CSCA and its CRL. Times include reading the files and writing nothing;
with 2 workers, the pool start-up is included. The machine's 2 cores are shared: noisy figures.

    python bench/batch_bench.py [--dumps 600]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from cardkit.batch import BatchOptions, find_dumps, verify_dumps
from cardkit.dump import save_dump
from cardkit.sim.personas import get_persona
from cardkit.sim.pki import sim_trust_paths

PERSONAS = ("default", "jp2", "ecdsa-dsc", "forged-dg", "revoked-dsc")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dumps", type=int, default=600)
    args = ap.parse_args(argv)
    csca, crl = sim_trust_paths()
    opts = BatchOptions((str(csca),), False, (str(crl),))
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.dumps):
            name = PERSONAS[i % len(PERSONAS)]
            save_dump(Path(tmp) / f"{i:06d}-{name}", dict(get_persona(name).files))
        folders = find_dumps([tmp])
        print(f"Batch verification of {len(folders)} dumps (passive authentication, "
              f"test CSCA + CRL)")
        print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: other work "
              f"shares them)")
        print(f"{'workers':>8} {'seconds':>8} {'dumps/s':>8}")
        for jobs in (1, 2):
            t0 = time.perf_counter()
            n = sum(1 for _ in verify_dumps(folders, opts, jobs=jobs))
            dt = time.perf_counter() - t0
            print(f"{jobs:>8} {dt:>8.2f} {n / dt:>8.0f}")


if __name__ == "__main__":
    main()
