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


VERIFY_BUDGET_SECONDS = 20.0  # passive authentication of a genuine card takes milliseconds


def passive_check(
    files: dict[str, bytes], trust: TrustChoice, crls: Sequence[str | Path] = (),
    at: _dt.datetime | None = None, budget: float | None = VERIFY_BUDGET_SECONDS,
) -> tuple[CheckResult, Any]:
    """Passive authentication as one CheckResult named `passive_auth` (+ the full result).

    `budget`: seconds verification may take. Key sizes and curves are limited before any
    arithmetic (cardkit.security.signature), so this is the last line: past it the checks are
    unverifiable ("did not finish"), never valid, and the caller is not held up. (The worker
    thread cannot be stopped; it ends with the process.)"""
    from .security.crl import load_crls
    from .security.passive import verify_passive

    crl_list = load_crls(list(crls))
    result = _within_budget(
        lambda: verify_passive(files, trust=trust.store, crls=crl_list, at=at), budget, at)
    overall = result.overall
    check = CheckResult("passive_auth", overall.state, result.summary_line(),
                        {"trust": trust.label, **result.to_dict()})
    return check, result


def _within_budget(run: Any, budget: float | None, at: _dt.datetime | None) -> Any:
    """`run()` in a worker thread for at most `budget` seconds (its exceptions re-raised here);
    past the budget, a PassiveResult whose checks are all unverifiable."""
    import threading

    if budget is None:
        return run()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = run()
        except BaseException as exc:  # noqa: BLE001 — handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=work, name="cardkit-passive-auth", daemon=True)
    worker.start()
    worker.join(budget)
    if "error" in box:
        raise box["error"]
    if "result" in box:
        return box["result"]
    from .security.passive import CHECK_NAMES, PassiveResult

    why = (f"verification did not finish within {budget:g} s (an unusual or hostile "
           f"certificate?) — not verified")
    checks = [CheckResult(n, CheckState.UNVERIFIABLE, why) for n in CHECK_NAMES]
    overall = CheckResult("passive_authentication", CheckState.UNVERIFIABLE, why,
                          {"required": list(CHECK_NAMES[:4])})
    when = at or _dt.datetime.now(_dt.timezone.utc)
    return PassiveResult(checks, overall, when if when.tzinfo else
                         when.replace(tzinfo=_dt.timezone.utc))


def exit_code_for(checks: Sequence[CheckResult], *, allow_unverifiable: bool = False) -> ExitCode:
    states = {c.state for c in checks}
    if CheckState.INVALID in states:
        return ExitCode.NOT_GENUINE
    if CheckState.NO_MATCH in states:
        return ExitCode.FACE_MISMATCH
    if CheckState.UNVERIFIABLE in states and not allow_unverifiable:
        return ExitCode.UNVERIFIABLE
    return ExitCode.OK
