"""The transport interface: the seam between cardkit and whatever carries APDUs.

Implementations: `PcscTransport` (pyscard, pcsc.py), `ReplayTransport` (fixture, replay.py),
`SimTransport` (in-process virtual card, sim.py) and `RecordingTransport` (wraps any, record.py).
Code above this layer never knows which one it has.

`transmit()` takes a command APDU's bytes and returns the complete response (data + SW1 SW2).
ISO/IEC 7816-3/-4 transport details are handled here, below the protocols:
- `61xx`: GET RESPONSE (00 C0 00 00 xx) is sent until the data is complete;
- `6Cxx`: the same command is re-sent once with Le = xx.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from ..errors import TransmissionError

MAX_GET_RESPONSE_ROUNDS = 256  # 256 x 256 bytes: more than any eMRTD answer


@dataclass(frozen=True)
class TransportInfo:
    """What the layers above may know about the link.

    `extended_length`: True = known to work, False = known not to, None = unknown (try, step down).
    `max_response`: the largest response data the reader/card is known to pass (None = unknown).
    """

    name: str
    atr: bytes = b""
    protocol: str = "T=1"
    extended_length: bool | None = None
    max_response: int | None = None
    max_command: int | None = None


class Transport(ABC):
    """One card on one link. Subclasses implement `_transmit_raw`, `connect`, `disconnect`, `info`."""

    @abstractmethod
    def connect(self) -> None: ...

    @abstractmethod
    def disconnect(self) -> None: ...

    @property
    @abstractmethod
    def info(self) -> TransportInfo: ...

    @abstractmethod
    def _transmit_raw(self, apdu: bytes) -> bytes:
        """Send one APDU, return data + SW1 SW2 exactly as the link delivered them."""

    def transmit(self, apdu: bytes) -> bytes:
        """Send a command APDU; resolve 61xx / 6Cxx; return data + SW1 SW2."""
        if len(apdu) < 4:
            raise TransmissionError("refusing to send an APDU shorter than 4 bytes")
        resp = self._checked(self._transmit_raw(apdu))
        sw1, sw2 = resp[-2], resp[-1]
        if sw1 == 0x6C:
            resp = self._checked(self._transmit_raw(_with_le(apdu, sw2)))
            sw1, sw2 = resp[-2], resp[-1]
        data = bytearray(resp[:-2])
        rounds = 0
        while sw1 == 0x61:
            rounds += 1
            if rounds > MAX_GET_RESPONSE_ROUNDS:
                raise TransmissionError("card keeps answering 61xx: response never completes")
            more = self._checked(self._transmit_raw(bytes((apdu[0] & 0x03, 0xC0, 0, 0, sw2))))
            data += more[:-2]
            sw1, sw2 = more[-2], more[-1]
        return bytes(data) + bytes((sw1, sw2))

    @staticmethod
    def _checked(resp: bytes) -> bytes:
        if len(resp) < 2:
            raise TransmissionError(f"reader returned {len(resp)} bytes: no status word")
        return resp

    def __enter__(self) -> Transport:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()


def _with_le(apdu: bytes, le: int) -> bytes:
    """The same short APDU with its Le replaced by `le` (ISO 7816-4 §5.1, 6Cxx handling)."""
    le_byte = bytes((le,))
    if len(apdu) == 4:
        return apdu + le_byte
    if len(apdu) == 5:  # case 2: header + Le
        return apdu[:4] + le_byte
    lc = apdu[4]
    if lc and len(apdu) == 5 + lc:  # case 3: append Le
        return apdu + le_byte
    if lc and len(apdu) == 6 + lc:  # case 4: replace Le
        return apdu[:-1] + le_byte
    return apdu  # extended or odd: send as is
