"""`SimTransport`: the virtual card in-process, behind the same interface as a PC/SC reader."""

from __future__ import annotations

from ..errors import CardRemovedError, TransmissionError
from .base import Transport, TransportInfo


class SimTransport(Transport):
    """Talks to a `cardkit.sim.card.VirtualCard` directly (no pcscd). `connect()` powers the card
    on; a removed card raises `CardRemovedError` like a real reader."""

    def __init__(self, card, name: str = "cardkit virtual card") -> None:  # card: VirtualCard
        self.card = card
        self.name = name
        self.connected = False

    @property
    def info(self) -> TransportInfo:
        q = self.card.quirks
        return TransportInfo(
            name=self.name,
            atr=self.card.atr,
            protocol="T=1",
            extended_length=q.extended_length,
            max_response=min(q.max_le, 65536 if q.extended_length else 256),
            max_command=65535 if q.extended_length else 255,
        )

    def connect(self) -> None:
        if self.card.removed:
            raise CardRemovedError("No card on the virtual reader — the virtual card was removed")
        self.card.power_on()
        self.connected = True

    def disconnect(self) -> None:
        if self.connected and not self.card.removed:
            self.card.power_off()
        self.connected = False

    def _transmit_raw(self, apdu: bytes) -> bytes:
        if not self.connected:
            raise TransmissionError("virtual card not connected: call connect() first")
        if self.card.removed:
            self.connected = False
            raise CardRemovedError()
        return self.card.process(apdu)
