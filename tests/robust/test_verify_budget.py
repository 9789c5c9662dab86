"""Issue 11 ("a time budget for verification"): past the budget passive authentication is
unverifiable — never valid — and the caller is not held up. The key limits make a real hang
unreachable (tests/robust/test_key_limits.py); here a tiny budget shows the last line works."""

from __future__ import annotations

import threading
import time

import pytest

from cardkit.errors import ParseError
from cardkit.results import CheckState
from cardkit.security.passive import verify_passive
from cardkit.security.trust import TrustStore
from cardkit.sim.personas import get_persona
from cardkit.sim.pki import sim_trust_paths
from cardkit.verify import passive_within_budget

TRUST = TrustStore.from_paths(sim_trust_paths())


def test_past_the_budget_everything_is_unverifiable():
    files = dict(get_persona("default").files)
    release = threading.Event()

    def slow_verification():  # type: ignore[no-untyped-def]
        release.wait(10)  # stands in for a verification that does not finish in time
        return verify_passive(files, trust=TRUST)

    t0 = time.monotonic()
    try:
        result = passive_within_budget(slow_verification, budget=0.2)
    finally:
        release.set()
    assert time.monotonic() - t0 < 5.0
    assert result.overall.state == CheckState.UNVERIFIABLE
    assert "did not finish" in result.overall.reason
    assert result.authenticated_dgs == []
    result.summary_line()
    result.to_dict()
    ok = passive_within_budget(lambda: verify_passive(files, trust=TRUST))  # default budget
    assert ok.overall.state == CheckState.VALID


def test_errors_still_reach_the_caller():
    files = {**get_persona("default").files, "SOD": b"\x77\x03\x30\x01\x00"}
    with pytest.raises(ParseError):
        passive_within_budget(lambda: verify_passive(files, trust=TRUST))
