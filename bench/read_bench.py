"""Read benchmark: a full BAC read of the virtual card persona "default" (~15 KB DG2).

For each READ BINARY chunk strategy it prints APDU round trips, bytes moved over the link, host
CPU time per read (terminal side alone, and with the in-process virtual card), and the modelled
link time at 424 kbit/s with 5 ms of turnaround per APDU.

    python bench/read_bench.py [--reads N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from cardkit.icao.reader import open_session, read_card_access, read_lds
from cardkit.icao.session import AdaptiveChunks, ChunkStrategy, FixedChunks
from cardkit.rand import SystemRandom
from cardkit.sim.card import Quirks, VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.transport.base import Transport, TransportInfo
from cardkit.transport.sim import SimTransport

LINK_BITS_PER_S = 424_000
TURNAROUND_S = 0.005


class TimedTransport(Transport):
    """Counts the CPU time spent inside the virtual card, to report the terminal's own share."""

    def __init__(self, inner: SimTransport) -> None:
        self.inner = inner
        self.card_cpu = 0.0
        self.apdus = 0
        self.bytes = 0

    def connect(self) -> None:
        self.inner.connect()

    def disconnect(self) -> None:
        self.inner.disconnect()

    @property
    def info(self) -> TransportInfo:
        return self.inner.info

    def _transmit_raw(self, apdu: bytes) -> bytes:
        t0 = time.process_time()
        try:
            resp = self.inner._transmit_raw(apdu)
        finally:
            self.card_cpu += time.process_time() - t0
        self.apdus += 1
        self.bytes += len(apdu) + len(resp)
        return resp


def one_read(persona, strategy: ChunkStrategy, quirks: Quirks | None) -> dict[str, float]:
    transport = TimedTransport(SimTransport(VirtualCard(persona, quirks=quirks)))
    transport.connect()
    t0 = time.process_time()
    card_access = read_card_access(transport)
    session = open_session(transport, persona.mrz_key, access="bac", rng=SystemRandom(),
                           card_access=card_access)
    session.chunks = strategy
    outcome = read_lds(session)
    cpu = time.process_time() - t0
    for name, data in outcome.files.items():
        assert data == persona.files[name], name
    apdus, moved = transport.apdus, transport.bytes  # all APDUs, EF.CardAccess probe included
    transport.disconnect()
    return {
        "apdus": apdus,
        "bytes": moved,
        "cpu_ms": cpu * 1000,
        "terminal_cpu_ms": (cpu - transport.card_cpu) * 1000,
        "link_ms": (moved * 8 / LINK_BITS_PER_S + apdus * TURNAROUND_S) * 1000,
        "step_downs": session.stats.step_downs,
        "files": len(outcome.files),
        "file_bytes": sum(len(v) for v in outcome.files.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=20, help="reads per strategy (median)")
    args = parser.parse_args()
    persona = get_persona("default")
    cases: list[tuple[str, object, Quirks | None]] = [
        ("fixed 0xA0", lambda: FixedChunks(0xA0), None),
        ("fixed 0xDF", lambda: FixedChunks(0xDF), None),
        ("adaptive (extended)", AdaptiveChunks, None),
        ("adaptive, short-only card", AdaptiveChunks, Quirks(extended_length=False)),
        ("adaptive, card max Le 0x400", AdaptiveChunks, Quirks(max_le=0x400)),
    ]
    print(f"persona 'default': DG2 {len(persona.files['DG2'])} bytes; BAC + full LDS read; "
          f"median of {args.reads} reads; link model {LINK_BITS_PER_S // 1000} kbit/s + "
          f"{TURNAROUND_S * 1000:.0f} ms/APDU")
    header = (f"{'strategy':30} {'APDUs':>6} {'bytes':>7} {'CPU ms':>7} {'term ms':>8} "
              f"{'link ms':>8} {'steps':>5}")
    print(header)
    print("-" * len(header))
    for label, make, quirks in cases:
        runs = [one_read(persona, make(), quirks) for _ in range(args.reads)]  # type: ignore[operator]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"{label:30} {med['apdus']:6.0f} {med['bytes']:7.0f} {med['cpu_ms']:7.1f} "
              f"{med['terminal_cpu_ms']:8.1f} {med['link_ms']:8.1f} {med['step_downs']:5.0f}")
    print("APDUs include GET CHALLENGE, EXTERNAL AUTHENTICATE, the SELECTs and the EF.CardAccess "
          "probe; 'term ms' = CPU time outside the in-process virtual card.")


if __name__ == "__main__":
    main()
