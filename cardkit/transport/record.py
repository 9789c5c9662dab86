"""`RecordingTransport`: wraps any transport and keeps every exchange for a fixture."""

from __future__ import annotations

from .base import Transport, TransportInfo
from .fixtures import Exchange


class RecordingTransport(Transport):
    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.exchanges: list[Exchange] = []

    @property
    def info(self) -> TransportInfo:
        return self.inner.info

    def connect(self) -> None:
        self.inner.connect()

    def disconnect(self) -> None:
        self.inner.disconnect()

    def transmit(self, apdu: bytes) -> bytes:
        response = self.inner.transmit(apdu)
        self.exchanges.append(Exchange(bytes(apdu), bytes(response)))
        return response

    def _transmit_raw(self, apdu: bytes) -> bytes:  # pragma: no cover - transmit is overridden
        return self.inner._transmit_raw(apdu)
