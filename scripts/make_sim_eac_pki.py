"""Regenerate the virtual card's TEST EAC PKI (cardkit/sim/data/eac/): CVCA → DV → IS.

TEST KEYS ONLY, committed so every run and every machine uses the same chain. Valid from
2025-01-01 (the virtual chip's personalization date) for 20 years (IS: 10 years).

    .venv/bin/python scripts/make_sim_eac_pki.py
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cardkit.security.cv_chain import make_test_chain

OUT = Path(__file__).resolve().parents[1] / "cardkit" / "sim" / "data" / "eac"

if __name__ == "__main__":
    chain = make_test_chain(OUT, country="VN", today=dt.date(2025, 1, 1), is_days=3652,
                            cvca_years=20, dv_years=15)
    for p in sorted(OUT.iterdir()):
        print(p.relative_to(OUT.parents[3]))
