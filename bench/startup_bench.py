"""Start-up benchmark: wall time of whole `cardkit` processes (interpreter start included), beside
a bare interpreter (`python -c pass`), median of N runs.

Goals (issue 15): `cardkit --help` < 120 ms, `cardkit inspect DUMP` < 250 ms (a virtual-card dump
verified against the test CSCA + CRL), judged on the median wall time. The machine is shared:
figures are noisy; the child's CPU time (user + system) is printed beside, as the idle-machine
estimate.

    python bench/startup_bench.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cardkit.dump import save_dump
from cardkit.sim.personas import get_persona
from cardkit.sim.pki import sim_trust_paths

GOALS_MS = {"cardkit --help": 120, "cardkit inspect DUMP": 250}


def wall_ms(cmd: list[str], runs: int) -> tuple[float, float, float]:
    """(median wall, min wall, median CPU) milliseconds of `cmd` as a fresh process. CPU = user +
    system time of the child: what the wall time would be on an idle machine, near enough."""
    env = dict(os.environ, CARDKIT_TRUST_DIR="/nonexistent")
    subprocess.run(cmd, capture_output=True, env=env, check=False)  # warm the page cache
    times, cpus = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, env=env, check=False)
        times.append((time.perf_counter() - t) * 1000)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000)
    return statistics.median(times), min(times), statistics.median(cpus)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args(argv)
    bindir = Path(sys.executable).parent
    cardkit = str(bindir / "cardkit")
    csca, crl = sim_trust_paths()
    with tempfile.TemporaryDirectory() as tmp:
        save_dump(Path(tmp) / "dump", dict(get_persona("default").files))
        cases = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("python -c 'import numpy, cv2'", [sys.executable, "-c", "import numpy, cv2"]),
            ("cardkit --help", [cardkit, "--help"]),
            ("cardkit inspect DUMP", [cardkit, "inspect", str(Path(tmp) / "dump"), "--trust",
                                      str(csca), "--crl", str(crl), "--no-default-trust"]),
            # no trust named: the bundled master list (588 CSCAs) is parsed and checked first
            ("cardkit inspect DUMP (bundled)", [cardkit, "inspect", str(Path(tmp) / "dump")]),
            ("cardkit face --help", [cardkit, "face", "--help"]),
        ]
        print(f"Start-up: wall time of a whole process, median (min) of {args.runs} runs")
        print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: other work "
              f"shares them)")
        print(f"{'command':32} {'median ms':>10} {'min ms':>8} {'CPU ms':>7} {'goal':>12}")
        for label, cmd in cases:
            med, low, cpu = wall_ms(cmd, args.runs)
            goal = GOALS_MS.get(label)
            verdict = f"{'met' if med < goal else 'MISSED'} <{goal}" if goal else ""
            print(f"{label:32} {med:>10.0f} {low:>8.0f} {cpu:>7.0f} {verdict:>12}")


if __name__ == "__main__":
    main()
