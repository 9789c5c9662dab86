"""Record the committed fixture corpus through a real pcscd + vpcd and the virtual card.

    .venv/bin/python scripts/record_fixtures.py [OUTDIR]     (default: fixtures/)

Starts a private pcscd with the vsmartcard vpcd driver, serves each persona over vpcd and runs
`cardkit fixtures record --reader ...` against it, exactly as against a physical reader.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cardkit.sim.card import VirtualCard
from cardkit.sim.pcscd_harness import PcscdHarness
from cardkit.sim.personas import get_persona
from cardkit.sim.vpcd import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent

# (file, persona, key options, extra options, description)
CORPUS = [
    ("default-bac.json", "default", "mrz", ["--access", "bac"],
     "CCCD persona 'default': BAC, 3DES SM, JPEG portrait, CA + AA"),
    ("pace-can.json", "pace", "can", ["--access", "pace"],
     "persona 'pace': PACE-ECDH-GM-AES-128 on brainpoolP256r1 with the CAN, CA + AA"),
    ("pace-mrz.json", "pace", "mrz", ["--access", "pace"],
     "persona 'pace': PACE with the MRZ key"),
    ("small-le-bac.json", "small-le", "mrz", ["--access", "bac"],
     "persona 'small-le': short APDUs only, max Le 0x80"),
    ("clone.json", "clone", "mrz", ["--access", "auto"],
     "persona 'clone': genuine data, foreign CA/AA keys — must be detected"),
    ("forged-dg.json", "forged-dg", "mrz", ["--access", "bac"],
     "persona 'forged-dg': DG13 altered after signing — must fail passive auth"),
]


def key_options(persona_name: str, kind: str) -> list[str]:
    p = get_persona(persona_name)
    if kind == "can":
        return ["--can", p.can]
    k = p.mrz_key
    return ["--doc-number", k.document_number, "--dob", k.date_of_birth,
            "--expiry", k.date_of_expiry]


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "fixtures"
    out.mkdir(parents=True, exist_ok=True)
    harness = PcscdHarness.start()
    try:
        reader = harness.readers[0]
        for fname, persona, kind, extra, description in CORPUS:
            card = VirtualCard(get_persona(persona))
            thread, stop, _ = serve_in_thread(card, port=harness.port_for(reader))
            if not harness.wait_card(reader, present=True, timeout=5):
                raise SystemExit(f"{reader}: the virtual card did not appear")
            cmd = [sys.executable, "-m", "cardkit", "fixtures", "record", "--reader", reader,
                   "--persona", persona, "--description", description, "-o", str(out / fname),
                   *key_options(persona, kind), *extra]
            done = subprocess.run(cmd, env=harness.env, cwd=ROOT, capture_output=True, text=True)
            stop.set()
            thread.join(timeout=5)
            harness.wait_card(reader, present=False, timeout=5)
            print(f"{fname}: {done.stdout.strip() or done.stderr.strip()}")
            if done.returncode != 0:
                return done.returncode
    finally:
        harness.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
