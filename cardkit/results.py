"""Explicit check states: a security or biometric check is never a bare bool."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class CheckState(str, Enum):
    VALID = "valid"
    INVALID = "invalid"
    UNVERIFIABLE = "unverifiable"  # could not run (e.g. no CSCA): never reported as valid
    NOT_PERFORMED = "not_performed"
    NOT_SUPPORTED = "not_supported"  # the chip does not offer it (e.g. no DG15 -> no AA)
    MATCH = "match"
    NO_MATCH = "no_match"


@dataclass(frozen=True)
class CheckResult:
    name: str
    state: CheckState
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.state in (CheckState.VALID, CheckState.MATCH)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state.value, "reason": self.reason}
        if self.details:
            out["details"] = self.details
        return out


def combine(name: str, results: list[CheckResult], required: list[str] | None = None) -> CheckResult:
    """Overall state: valid only when every required check is valid.

    Any invalid -> invalid; else any unverifiable / not performed among the required ->
    unverifiable; else valid.
    """
    req = [r for r in results if required is None or r.name in required]
    bad = [r for r in req if r.state == CheckState.INVALID]
    if bad:
        return CheckResult(name, CheckState.INVALID, "; ".join(f"{r.name}: {r.reason}" for r in bad))
    unsure = [r for r in req if r.state != CheckState.VALID]
    if unsure:
        return CheckResult(
            name, CheckState.UNVERIFIABLE, "; ".join(f"{r.name}: {r.reason}" for r in unsure)
        )
    return CheckResult(name, CheckState.VALID, "all checks valid")
