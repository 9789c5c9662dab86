"""Benchmark: host (terminal-side) CPU time of PACE + Chip Authentication + Active Authentication,
and what Terminal Authentication + READ DG3 add to a read (persona `eac`, BAC and `eac-pace`).

The virtual card runs in-process (SimTransport); the CPU time spent inside the card is measured
separately and subtracted, so the figures are what the terminal's host pays per read.
`--apdus` prints the command headers of one TA run (data lengths only, no content).

    .venv/bin/python bench/eac_bench.py [--rounds N] [--apdus]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

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


def _open(persona: str):
    """The persona on a timed in-process card: (persona, card, transport, session, rng)."""
    p = get_persona(persona)
    card = TimedCard(VirtualCard(p))
    transport = SimTransport(card)
    transport.connect()
    return p, card, transport, CardSession(transport), SystemRandom()


def one_round(persona: str) -> dict[str, float]:
    p, card, _transport, session, rng = _open(persona)
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


def log_apdus(session: CardSession, lines: list[str]) -> None:
    """Record header, Lc, Le, answer length and SW of every command (no data)."""
    original = session.send

    def send(cmd):
        resp = original(cmd)
        lines.append(f"{cmd.cla:02X} {cmd.ins:02X} {cmd.p1:02X} {cmd.p2:02X}  Lc={len(cmd.data):<4d} "
                     f"Le={cmd.le!s:<5} -> {len(resp.data):5d} bytes, SW {resp.sw:04X}  "
                     f"{_name(cmd)}")
        return resp

    session.send = send  # type: ignore[method-assign]


def _name(cmd) -> str:
    return {(0x22, 0xB6): "MSE:SET DST", (0x2A, 0xBE): "PSO:VERIFY CERTIFICATE",
            (0x22, 0xA4): "MSE:SET AT", (0x84, 0x00): "GET CHALLENGE",
            (0x82, 0x00): "EXTERNAL AUTHENTICATE", (0xA4, 0x0C): "SELECT EF",
            (0xB0, 0x00): "READ BINARY"}.get((cmd.ins, cmd.p2), "READ BINARY"
                                             if cmd.ins in (0xB0, 0xB1) else "")


def ta_round(persona: str, log: list[str] | None = None) -> dict[str, float]:
    """One full read of an EAC persona; TA and the DG3 read timed on the host (card excluded)."""
    from cardkit.icao import terminal_auth as ta
    from cardkit.icao.reader import read_lds
    from cardkit.security.cv_chain import chain_for, load_chain
    from cardkit.security.terminal_key import load_pem_key

    data = Path(__file__).resolve().parents[1] / "cardkit" / "sim" / "data" / "eac"
    certs = [c for c in load_chain([data]) if c.role != "cvca"]
    key = load_pem_key(data / "is.key.pem")
    p, card, transport, session, rng = _open(persona)
    from cardkit.icao.reader import open_session, read_card_access

    open_session(transport, p.mrz_key, rng=rng, card_access=read_card_access(transport),
                 session=session)
    if not chip_auth.chip_authenticate(session, p.files["DG14"], rng).ok:
        raise SystemExit("CA failed")
    if log is not None:
        log_apdus(session, log)
    out = {}
    card.cpu = 0.0
    t = time.thread_time()
    trusted = ta.read_ef_cvca(session)
    ta.perform_terminal_auth(session, chain_for(certs, trusted), key.sign, trusted=trusted)
    out["ta"] = (time.thread_time() - t - card.cpu) * 1000
    card.cpu = 0.0
    t = time.thread_time()
    got = read_lds(session, files=["DG3"]).files
    out["dg3"] = (time.thread_time() - t - card.cpu) * 1000
    if "DG3" not in got:
        raise SystemExit("DG3 not read after TA")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--apdus", action="store_true", help="print the APDUs of one TA run")
    args = ap.parse_args()
    if args.apdus:
        lines: list[str] = []
        ta_round("eac", lines)
        print("APDUs of one Terminal Authentication + DG3 read (BAC, after CA; all under SM):")
        for line in lines:
            print("  " + line)
        return
    for persona in ("eac", "eac-pace"):
        ta_round(persona)  # warm-up
        rows = [ta_round(persona) for _ in range(args.rounds)]
        print(f"persona {persona!r} ({args.rounds} runs, host CPU, card excluded)")
        for step, label in (("ta", "TA (EF.CVCA, 2 certs, challenge, ECDSA sign)"),
                            ("dg3", "READ DG3 (~14 KB, 2 WSQ fingers)")):
            vals = sorted(r[step] for r in rows)
            print(f"  {label:46s} median {statistics.median(vals):7.2f} ms   "
                  f"p90 {vals[int(0.9 * len(vals)) - 1]:7.2f} ms")
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
