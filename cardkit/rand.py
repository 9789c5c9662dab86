"""The one injectable source of terminal randomness (RND.IFD, K.IFD, ephemeral keys, challenges).

Every protocol takes a `RandomSource`. `SystemRandom` draws from the OS and remembers what it drew
(so a recording can store it); `ReplayRandom` hands back recorded draws in order, so a replayed
session is byte-exact; `FixedRandom` serves the published worked examples in tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Protocol

from .errors import FixtureError


class RandomSource(Protocol):
    def __call__(self, n: int, purpose: str) -> bytes:
        """Return `n` random bytes; `purpose` names the draw (e.g. "bac.rnd_ifd")."""
        ...


@dataclass(frozen=True)
class Draw:
    purpose: str
    value: bytes


@dataclass
class SystemRandom:
    """OS randomness; remembers the draws (values are never logged)."""

    draws: list[Draw] = field(default_factory=list)

    def __call__(self, n: int, purpose: str) -> bytes:
        value = os.urandom(n)
        self.draws.append(Draw(purpose, value))
        return value


@dataclass
class ReplayRandom:
    """Serves recorded draws in order; a draw of another size or purpose is a divergence."""

    recorded: list[Draw]
    position: int = 0

    def __call__(self, n: int, purpose: str) -> bytes:
        if self.position >= len(self.recorded):
            raise FixtureError(
                f"replay diverged: the terminal asked for random bytes ({purpose}) "
                f"beyond the {len(self.recorded)} recorded draws"
            )
        draw = self.recorded[self.position]
        if len(draw.value) != n or draw.purpose != purpose:
            raise FixtureError(
                f"replay diverged at random draw {self.position + 1}: recorded "
                f"{draw.purpose} ({len(draw.value)} bytes), asked {purpose} ({n} bytes)"
            )
        self.position += 1
        return draw.value

    @property
    def draws(self) -> list[Draw]:
        return self.recorded[: self.position]


class FixedRandom:
    """Serves given values by purpose (for published worked examples); falls back to an error."""

    def __init__(self, values: dict[str, bytes | list[bytes]]) -> None:
        self._values = {k: list(v) if isinstance(v, list) else [v] for k, v in values.items()}
        self.draws: list[Draw] = []

    def __call__(self, n: int, purpose: str) -> bytes:
        queue = self._values.get(purpose)
        if not queue:
            raise AssertionError(f"FixedRandom has no value for {purpose!r}")
        value = queue.pop(0)
        if len(value) != n:
            raise AssertionError(f"FixedRandom value for {purpose!r} has {len(value)} bytes, not {n}")
        self.draws.append(Draw(purpose, value))
        return value
