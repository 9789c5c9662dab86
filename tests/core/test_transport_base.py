"""61xx / 6Cxx handling below the protocols, on a small scripted Transport subclass."""

from __future__ import annotations

import pytest

from cardkit.errors import TransmissionError
from cardkit.transport.base import Transport, TransportInfo


class Scripted(Transport):
    def __init__(self, answers: dict[bytes, list[bytes]]) -> None:
        self.answers = answers
        self.sent: list[bytes] = []

    @property
    def info(self) -> TransportInfo:
        return TransportInfo("scripted")

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    def _transmit_raw(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        return self.answers[apdu].pop(0)


def test_get_response_chain() -> None:
    t = Scripted({
        bytes.fromhex("0084000008"): [bytes.fromhex("6104")],
        bytes.fromhex("00C0000004"): [bytes.fromhex("01020304") + bytes.fromhex("6104"),
                                      bytes.fromhex("05060708") + bytes.fromhex("9000")],
    })
    assert t.transmit(bytes.fromhex("0084000008")) == bytes.fromhex("01020304050607089000")
    assert len(t.sent) == 3


def test_wrong_le_resent() -> None:
    t = Scripted({
        bytes.fromhex("00B0000000"): [bytes.fromhex("6C10")],
        bytes.fromhex("00B0000010"): [b"\x00" * 16 + bytes.fromhex("9000")],
    })
    assert t.transmit(bytes.fromhex("00B0000000"))[-2:] == b"\x90\x00"
    assert t.sent[-1] == bytes.fromhex("00B0000010")


def test_short_reader_answer_is_transmission_error() -> None:
    t = Scripted({bytes.fromhex("00B0000000"): [b"\x90"]})
    with pytest.raises(TransmissionError):
        t.transmit(bytes.fromhex("00B0000000"))


def test_endless_61xx_is_bounded() -> None:
    t = Scripted({bytes.fromhex("00B0000000"): [bytes.fromhex("6101")],
                  bytes.fromhex("00C0000001"): [bytes.fromhex("006101")] * 300})
    with pytest.raises(TransmissionError, match="never completes"):
        t.transmit(bytes.fromhex("00B0000000"))
