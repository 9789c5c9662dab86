"""The one verdict rule: checks + policy → VERIFIED / REJECTED / INCOMPLETE, and the exit code.

For every check the policy does not switch off (cardkit.policy):
- failed (invalid / no match): a required check → REJECTED. Forgery or cloning evidence
  (passive_auth, chip_authentic, chip_auth, active_auth invalid) rejects at ANY level, even when
  the policy did not ask for the check: a configuration cannot wave a clone through.
- could not run (unverifiable / not performed / not supported): a required check → INCOMPLETE,
  unless the policy accepts unverifiable results (or "not supported" for that check, e.g. a chip
  without CA/AA).
- advisory checks that did not pass become notes, never change the verdict (except as above).
REJECTED beats INCOMPLETE beats VERIFIED (cardkit.results.worst_state is the same order).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .checks import POLICY_CHECKS, SECURITY_CHECKS, CheckName, teller_message
from .errors import ExitCode
from .i18n import N_, Message
from .policy import Level, Policy
from .results import FAILED, PASSED, CheckResult, CheckState


class Verdict(str, Enum):
    VERIFIED = "verified"
    REJECTED = "rejected"
    INCOMPLETE = "incomplete"

    def __str__(self) -> str:
        return self.value


VERDICT_TITLES = {
    Verdict.VERIFIED: N_("VERIFIED"),
    Verdict.REJECTED: N_("REJECTED"),
    Verdict.INCOMPLETE: N_("INCOMPLETE"),
}


@dataclass(frozen=True)
class Reason:
    """One thing a person can act on: which check, its state, and the words for it."""

    check: CheckName
    state: CheckState
    message: Message
    required: bool

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check.value, "state": self.state.value,
                "message": self.message.render(), "required": self.required}


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reasons: tuple[Reason, ...]  # why it is not VERIFIED (empty when VERIFIED)
    notes: tuple[Reason, ...]  # advisory outcomes and accepted gaps

    def to_dict(self) -> dict[str, Any]:
        return {"result": self.verdict.value,
                "reasons": [r.to_dict() for r in self.reasons],
                "notes": [r.to_dict() for r in self.notes]}


def decide(checks: Mapping[str, CheckResult], policy: Policy) -> Decision:
    """Apply `policy` to the checks (keyed by check name)."""
    rejected: list[Reason] = []
    incomplete: list[Reason] = []
    notes: list[Reason] = []
    names = list(POLICY_CHECKS) + [CheckName(n) for n in checks
                                   if n in CheckName._value2member_map_
                                   and CheckName(n) not in POLICY_CHECKS]
    for name in names:
        level = policy.level(name) if name in POLICY_CHECKS else Level.OFF
        check = checks.get(name.value)
        if check is None:
            if level is Level.OFF:
                continue
            check = CheckResult(name.value, CheckState.NOT_PERFORMED, "not run",
                                {"not_requested": True})
        state = check.state
        reason = Reason(name, state, teller_message(check, checks), level is Level.REQUIRED)
        if state in PASSED:
            continue
        if state in FAILED:
            if level is Level.REQUIRED or name in SECURITY_CHECKS:
                rejected.append(reason)
            elif level is Level.ADVISORY:
                notes.append(reason)
            continue
        if level is not Level.REQUIRED:
            if level is Level.ADVISORY:
                notes.append(reason)
            continue
        accepted = policy.accept_unverifiable or (
            state is CheckState.NOT_SUPPORTED and name in policy.accept_not_supported)
        (notes if accepted else incomplete).append(reason)
    # the derived teller line repeats its parts: keep the parts, not the duplicate
    rejected = _dedupe(rejected)
    if not rejected and not any(policy.level(c) is Level.REQUIRED for c in POLICY_CHECKS):
        nothing = Reason(CheckName.PASSIVE_AUTH, CheckState.NOT_PERFORMED,
                         Message(N_("nothing was verified: the policy requires no check")), True)
        return Decision(Verdict.INCOMPLETE, (nothing,), tuple(notes))
    if rejected:
        return Decision(Verdict.REJECTED, tuple(rejected), tuple(incomplete + notes))
    if incomplete:
        return Decision(Verdict.INCOMPLETE, tuple(incomplete), tuple(notes))
    return Decision(Verdict.VERIFIED, (), tuple(notes))


def _dedupe(reasons: list[Reason]) -> list[Reason]:
    seen: set[str] = set()
    out = []
    for r in reasons:
        key = r.message.render()
        if key in seen:
            continue
        seen.add(key)
        out.append(r)
    return out


def exit_code(decision: Decision, checks: Mapping[str, CheckResult] | None = None) -> ExitCode:
    """The documented exit code for a decision (README, "Exit codes") — the only mapping."""
    if decision.verdict is Verdict.VERIFIED:
        return ExitCode.OK
    failed = {r.check for r in decision.reasons}
    if decision.verdict is Verdict.REJECTED:
        if failed & SECURITY_CHECKS:
            return ExitCode.NOT_GENUINE
        if CheckName.DOCUMENT_VALID in failed:
            return ExitCode.DOCUMENT_INVALID
        return ExitCode.FACE_MISMATCH  # face or finger does not match
    face = (checks or {}).get(CheckName.FACE_MATCH.value)
    if (failed == {CheckName.FACE_MATCH} and face is not None
            and (face.details or {}).get("quality")):
        return ExitCode.BIOMETRIC_UNUSABLE
    return ExitCode.UNVERIFIABLE
