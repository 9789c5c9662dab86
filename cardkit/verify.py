"""The counter workflow: read → chip checks → passive authentication → (face) → verdict.

`check_document(files, ...)` judges files from anywhere (card, fixture, dump). `exit_code_for`
maps the checks to the documented exit codes.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ExitCode
from .results import CheckResult, CheckState


@dataclass
class TrustChoice:
    """Where the CSCAs come from, said in the report so nobody mistakes a test CSCA for a state's."""

    store: Any  # cardkit.security.trust.TrustStore | None
    label: str


def load_trust_choice(
    trust: Sequence[str | Path] | None, *, sim_default: bool = False, use_local: bool = True
) -> TrustChoice:
    """--trust paths if given; else the virtual card's test CSCA for the virtual card and its
    recordings; else the local trust directory (`cardkit trust import`) when it holds CSCAs."""
    from .security.trust import TrustStore, default_trust_dir

    if trust:
        store = TrustStore.from_paths(list(trust))
        return TrustChoice(store, ", ".join(str(t) for t in trust))
    if sim_default:
        from .sim.pki import sim_trust_paths

        return TrustChoice(TrustStore.from_paths(sim_trust_paths()),
                           "cardkit virtual card TEST CSCA (not a real state)")
    local = default_trust_dir()
    if use_local and local.is_dir():
        store = TrustStore.load(local)
        if len(store):
            return TrustChoice(store, f"local trust store {local}")
    return TrustChoice(None, "none (no CSCA configured: chain unverifiable)")


def passive_check(
    files: dict[str, bytes], trust: TrustChoice, crls: Sequence[str | Path] = (),
    at: _dt.datetime | None = None,
) -> tuple[CheckResult, Any]:
    """Passive authentication as one CheckResult named `passive_auth` (+ the full result)."""
    from .security.crl import load_crls
    from .security.passive import verify_passive

    result = verify_passive(files, trust=trust.store, crls=load_crls(list(crls)), at=at)
    overall = result.overall
    check = CheckResult("passive_auth", overall.state, result.summary_line(),
                        {"trust": trust.label, **result.to_dict()})
    return check, result


def exit_code_for(checks: Sequence[CheckResult], *, allow_unverifiable: bool = False) -> ExitCode:
    states = {c.state for c in checks}
    if CheckState.INVALID in states:
        return ExitCode.NOT_GENUINE
    if CheckState.NO_MATCH in states:
        return ExitCode.FACE_MISMATCH
    if CheckState.UNVERIFIABLE in states and not allow_unverifiable:
        return ExitCode.UNVERIFIABLE
    return ExitCode.OK
