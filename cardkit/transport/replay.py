"""`ReplayTransport`: plays a recorded session back, byte for byte.

Every command the terminal sends must equal the recorded one; the first difference raises
FixtureError naming the APDU number and how it differs.
"""

from __future__ import annotations

from ..errors import FixtureError
from .base import Transport, TransportInfo
from .fixtures import Fixture


def _show(b: bytes, limit: int = 24) -> str:
    h = b.hex().upper()
    return h if len(b) <= limit else f"{h[: 2 * limit]}… ({len(b)} bytes)"


def describe_difference(expected: bytes, got: bytes) -> str:
    if expected[:4] != got[:4]:
        return f"header {_show(got[:4])} instead of {_show(expected[:4])}"
    if len(expected) != len(got):
        return f"{len(got)} bytes instead of {len(expected)} (same header {_show(got[:4])})"
    first = next(i for i, (a, b) in enumerate(zip(expected, got, strict=True)) if a != b)
    return f"differs from byte {first} on (header {_show(got[:4])}, {len(got)} bytes)"


class ReplayTransport(Transport):
    def __init__(self, fixture: Fixture) -> None:
        self._fixture = fixture
        self.position = 0
        self._connected = False

    @property
    def info(self) -> TransportInfo:
        return self._fixture.info

    def connect(self) -> None:
        self._connected = True

    def disconnect(self) -> None:
        self._connected = False

    @property
    def remaining(self) -> int:
        return len(self._fixture.exchanges) - self.position

    def transmit(self, apdu: bytes) -> bytes:
        # The recording holds complete responses (61xx/6Cxx were resolved when recording).
        return self._transmit_raw(apdu)

    def _transmit_raw(self, apdu: bytes) -> bytes:
        n = self.position + 1
        if self.position >= len(self._fixture.exchanges):
            raise FixtureError(
                f"replay diverged at APDU {n}: the recording ended after "
                f"{len(self._fixture.exchanges)} APDUs but the terminal sent {_show(apdu[:4])}"
            )
        ex = self._fixture.exchanges[self.position]
        if ex.command != apdu:
            raise FixtureError(
                f"replay diverged at APDU {n}: command {describe_difference(ex.command, apdu)} — "
                "was it recorded with another access key, or by a cardkit that behaves differently?"
            )
        self.position += 1
        return ex.response
