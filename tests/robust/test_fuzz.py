"""Fuzzing in CI (issue 11): every parser target of scripts/fuzz.py for a bounded time (40 s in
all), in a child process under a memory bound with a time bound per input. Only cardkit's own
exceptions may escape. `make fuzz` runs the same targets far longer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECONDS = float(os.environ.get("CARDKIT_FUZZ_SECONDS", "40"))


def test_every_parser_survives_fuzzing():
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "fuzz.py"), "--seconds",
                        str(SECONDS)], cwd=ROOT, capture_output=True, text=True,
                       timeout=SECONDS + 120, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-3000:]
    for name in ("tlv", "com", "dg1", "dg2", "dg3", "dg13", "dg14", "dg15", "card_access",
                 "sod", "verify_passive", "master_list", "fixture"):
        assert f"ok   {name} " in r.stdout, r.stdout
