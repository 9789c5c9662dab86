"""Benchmark: host (terminal-side) CPU time of PACE + Chip Authentication + Active Authentication.

The virtual card runs in-process (SimTransport); the CPU time spent inside the card is measured
separately and subtracted, so the figures are what the terminal's host pays per read.

    .venv/bin/python bench/eac_bench.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from cardkit.icao import active_auth, chip_auth, pace
from cardkit.icao.keys import CanKey
from cardkit.icao.session import CardSession
from cardkit.rand import SystemRandom
from cardkit.sim.card import VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.transport.sim import SimTransport


class TimedCard:
    """Wraps a VirtualCard and accumulates the CPU time spent answering APDUs."""

    def __init__(self, card: VirtualCard) -> None:
        self.card = card
        self.cpu = 0.0

    def __getattr__(self, name):
        return getattr(self.card, name)

    def process(self, apdu: bytes) -> bytes:
        t = time.thread_time()
        try:
            return self.card.process(apdu)
        finally:
            self.cpu += time.thread_time() - t


def one_round(persona: str) -> dict[str, float]:
    p = get_persona(persona)
    card = TimedCard(VirtualCard(p))
    transport = SimTransport(card)
    transport.connect()
    session = CardSession(transport)
    rng = SystemRandom()
    out = {}
    for step, run in (
        ("pace", lambda: pace.perform_pace(session, CanKey(p.can), p.files["CardAccess"], rng)),
        ("select", session.select_application),
        ("ca", lambda: chip_auth.chip_authenticate(session, p.files["DG14"], rng)),
        ("aa", lambda: active_auth.active_authenticate(session, p.files["DG15"], p.files["DG14"],
                                                       rng)),
    ):
        card.cpu = 0.0
        t = time.thread_time()
        result = run()
        out[step] = (time.thread_time() - t - card.cpu) * 1000
        if step in ("ca", "aa") and not result.ok:
            raise SystemExit(f"{step} failed: {result.reason}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    for persona in ("pace", "pace-ec-aa"):
        one_round(persona)  # warm-up (imports, persona build)
        rows = [one_round(persona) for _ in range(args.rounds)]
        print(f"persona {persona!r} ({args.rounds} reads, host CPU per read, card excluded)")
        for step in ("pace", "ca", "aa"):
            vals = [r[step] for r in rows]
            print(f"  {step:5s} median {statistics.median(vals):7.2f} ms   "
                  f"p90 {sorted(vals)[int(0.9 * len(vals)) - 1]:7.2f} ms")
        total = [r["pace"] + r["ca"] + r["aa"] for r in rows]
        print(f"  total median {statistics.median(total):7.2f} ms (PACE + CA + AA)")


if __name__ == "__main__":
    main()
