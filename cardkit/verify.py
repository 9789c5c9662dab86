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


SIM_TEST_TRUST = "sim-test"  # `--trust sim-test`: the user names the virtual card's TEST CSCA
SIM_TEST_LABEL = "cardkit virtual card TEST CSCA (not a real state)"


def load_trust_choice(
    trust: Sequence[str | Path] | None, *, sim_default: bool = False, use_local: bool = True
) -> TrustChoice:
    """Where the CSCAs come from — only ever from the user, never from the card, fixture or dump.

    `trust`: paths the user gave (`--trust`), where the keyword `sim-test` names the virtual
    card's TEST CSCA (its private keys ship with cardkit: never a real state). `sim_default`:
    the user chose the in-process virtual card (`--sim`), whose TEST CSCA is then trusted. Else
    the local trust directory (`cardkit trust import`) when it holds CSCAs; else none."""
    from .security.trust import TrustStore, default_trust_dir
    from .sim.pki import sim_trust_paths

    if trust:
        paths: list[str | Path] = []
        labels = []
        for t in trust:
            if str(t) == SIM_TEST_TRUST:
                paths += sim_trust_paths()
                labels.append(SIM_TEST_LABEL)
            else:
                paths.append(t)
                labels.append(str(t))
        return TrustChoice(TrustStore.from_paths(paths), ", ".join(labels))
    if sim_default:
        return TrustChoice(TrustStore.from_paths(sim_trust_paths()), SIM_TEST_LABEL)
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
