"""Explicit check states: a security or biometric check is never a bare bool."""

from __future__ import annotations

from collections.abc import Iterable
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


FAILED = frozenset({CheckState.INVALID, CheckState.NO_MATCH})
PASSED = frozenset({CheckState.VALID, CheckState.MATCH})


def worst_state(states: Iterable[CheckState]) -> CheckState:
    """The one rule: invalid (or no match) beats unverifiable / not performed beats valid.

    `not_supported` counts as not performed here; a policy decides whether it is acceptable
    (cardkit.verdict). An empty input is `not_performed`: nothing was checked.
    """
    seen = set(states)
    if seen & FAILED:
        return CheckState.INVALID
    if not seen or seen - PASSED:
        return CheckState.UNVERIFIABLE if CheckState.UNVERIFIABLE in seen \
            else CheckState.NOT_PERFORMED
    return CheckState.VALID

