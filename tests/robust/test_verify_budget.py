"""Issue 11 ("a time budget for verification"): past the budget passive authentication is
unverifiable — never valid — and the caller is not held up. The key limits make a real hang
unreachable (tests/robust/test_key_limits.py); here a tiny budget shows the last line works."""

from __future__ import annotations

import time

from cardkit.errors import ParseError
from cardkit.results import CheckState
from cardkit.sim.personas import get_persona
from cardkit.verify import load_trust_choice, passive_check


def test_past_the_budget_everything_is_unverifiable():
    files = dict(get_persona("default").files)
    trust = load_trust_choice(None, sim_default=True)
    t0 = time.monotonic()
    check, result = passive_check(files, trust, budget=1e-6)
    assert time.monotonic() - t0 < 1.0
    assert check.state == CheckState.UNVERIFIABLE and "did not finish" in check.reason
    assert result.authenticated_dgs == []
    assert passive_check(files, trust)[0].state == CheckState.VALID  # the default budget


def test_errors_still_reach_the_caller():
    files = {**get_persona("default").files, "SOD": b"\x77\x03\x30\x01\x00"}
    trust = load_trust_choice(None, sim_default=True)
    try:
        passive_check(files, trust)
    except ParseError:
        pass
    else:
        raise AssertionError("a malformed SOD must stay a ParseError")
