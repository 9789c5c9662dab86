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

