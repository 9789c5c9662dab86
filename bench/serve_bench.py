"""Counter service benchmark: dump verifications per second through `cardkit serve` with 1, 2 and
4 worker processes, p50/p99 latency, against `cardkit inspect`'s work done in-process.

The dump is the virtual card's `default` persona (RSA-2048 DSC, JPEG portrait, DG1/2/3/13/14/15,
~25 KB) uploaded as multipart files to POST /api/dumps/verify (policy inspect-only, audit off —
pass --audit to record every verification in a temporary SQLite audit DB). The in-process figure
is `verify_card(CardSource.from_files(...), policy="inspect-only")` on the same files — what
`cardkit inspect` runs — plus the bare `verify_passive` underneath it, for scale. The
clients run in this process (threads, a new connection per request), 2 per worker: on a 2-core machine
the client shares the CPU with the server, so the figures are a lower bound.

    python bench/serve_bench.py [--seconds 5] [--workers 1 2 4] [--audit]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from cardkit.security.passive import verify_passive
from cardkit.security.trust import TrustStore
from cardkit.sim.personas import get_persona
from cardkit.sim.pki import sim_trust_paths
from cardkit.verify import CardSource, verify_card


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def in_process(files: dict[str, bytes], seconds: float, workflow: bool
               ) -> tuple[float, list[float]]:
    store = TrustStore.from_paths(sim_trust_paths())
    lat: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        if workflow:
            ok = verify_card(CardSource.from_files(files), policy="inspect-only",
                             trust=store).verdict.value == "verified"
        else:
            ok = verify_passive(files, trust=store).overall.state.value == "valid"
        lat.append(time.perf_counter() - t)
        assert ok
    return len(lat) / (time.perf_counter() - start), lat


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workers: int, audit: str | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    script = Path(sys.executable).parent / "cardkit"  # the installed console script
    cmd = [str(script), "serve", "--port", str(port), "--sim-trust", "--workers", str(workers)]
    cmd += ["--audit-db", audit] if audit else ["--no-audit"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True,
                            cwd=Path(__file__).resolve().parent.parent)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode()[-500:]}")
    raise SystemExit("server did not start")


def through_service(url: str, files: dict[str, bytes], clients: int, seconds: float
                    ) -> tuple[float, list[float], int]:
    parts = [("files", (f"{n}.bin", d, "application/octet-stream")) for n, d in files.items()]
    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client() -> None:
        # A new connection per request (as phones uploading dumps do): keep-alive connections
        # would stick to one worker and hide the others.
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=url, timeout=30, limits=limits) as c:
            c.post("/api/dumps/verify", files=parts)  # warm-up (connection, worker caches)
            while time.perf_counter() < stop_at:
                t = time.perf_counter()
                r = c.post("/api/dumps/verify", files=parts)
                dt = time.perf_counter() - t
                with lock:
                    if r.status_code == 200 and r.json()["teller"]["label"] == "VERIFIED":
                        lat.append(dt)
                    else:
                        errors[0] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return len(lat) / (time.perf_counter() - start), lat, errors[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--audit", action="store_true")
    args = ap.parse_args()
    files = dict(get_persona("default").files)
    print(f"dump: persona default, {len(files)} files, {sum(map(len, files.values()))} bytes; "
          f"{os.cpu_count()} CPUs")
    for label, workflow in (("in-process verify_passive", False),
                            ("in-process inspect (workflow)", True)):
        rate, lat = in_process(files, args.seconds, workflow)
        print(f"{label:<32} {rate:8.1f} /s   p50 {pct(lat, .5) * 1e3:7.2f} ms"
              f"   p99 {pct(lat, .99) * 1e3:7.2f} ms")
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as tmp:
            audit = f"sqlite:///{tmp}/audit.db" if args.audit else None
            proc, url = start_server(workers, audit)
            try:
                rate, lat, errors = through_service(url, files, 2 * workers, args.seconds)
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(20)
        label = f"service, {workers} worker{'s' if workers > 1 else ''}"
        print(f"{label:<32} {rate:8.1f} /s   p50 {statistics.median(lat) * 1e3:7.2f} ms   "
              f"p99 {pct(lat, .99) * 1e3:7.2f} ms   ({2 * workers} clients, {len(lat)} requests, "
              f"{errors} errors{', audit on' if args.audit else ''})")


if __name__ == "__main__":
    main()
