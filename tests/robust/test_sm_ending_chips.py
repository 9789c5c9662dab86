"""Defect 5 (issue 11): chips that end secure messaging on an error. cardkit probed an
extended-length READ BINARY even when the chip did not offer extended length; a chip answering
6700 and closing SM made every read fail ("read again"), and reading again failed the same way.
Now: the ATR's card capabilities and EF.ATR/INFO decide extended length; when a chip ends SM,
a new session is opened with the key it already accepted and the read goes on with short
chunks; a rejected key is never retried."""

from __future__ import annotations

import dataclasses

import pytest

from cardkit.errors import AccessDeniedError
from cardkit.lds.atr_info import from_atr, historical_bytes, parse_atr_info
from cardkit.read import read_card
from cardkit.sim.card import VirtualCard, _with_tck
from cardkit.sim.personas import get_persona
from cardkit.transport.sim import SimTransport

# the virtual card's ATR plus card capabilities 73 00 00 xx (ISO/IEC 7816-4 Table 119)
ATR_NO_EXTENDED = _with_tck(bytes.fromhex("3B8A8001") + bytes.fromhex("8064") + b"CKVN"
                            + bytes.fromhex("73000000"))
ATR_EXTENDED = _with_tck(bytes.fromhex("3B8A8001") + bytes.fromhex("8064") + b"CKVN"
                         + bytes.fromhex("73000040"))


class CountingSim(SimTransport):
    """The virtual card behind a reader that does not know whether extended length works."""

    def __init__(self, card: VirtualCard) -> None:
        super().__init__(card)
        self.sent: list[bytes] = []

    @property
    def info(self):  # type: ignore[no-untyped-def,override]
        return dataclasses.replace(super().info, extended_length=None, max_response=None,
                                   max_command=None)

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(bytes(apdu))
        return super().transmit(apdu)


def _sm_ending_chip(**quirks) -> VirtualCard:  # type: ignore[no-untyped-def]
    p = get_persona("default").with_quirks(extended_length=False, max_le=0xE7,
                                           end_sm_on_wrong_length=True, **quirks)
    return VirtualCard(p)


def test_atr_card_capabilities_are_read():
    assert historical_bytes(ATR_EXTENDED)[:1] == b"\x80"
    assert from_atr(ATR_EXTENDED).extended_length is True
    assert from_atr(ATR_NO_EXTENDED).extended_length is False
    assert from_atr(VirtualCard(get_persona("default")).atr).extended_length is None
    assert from_atr(b"\x3b").extended_length is None  # malformed: says nothing


def test_ef_atr_info_extended_length_information():
    info = parse_atr_info(bytes.fromhex("7F66 08 0202 0800 0202 0F00".replace(" ", "")))
    assert (info.extended_length, info.max_command, info.max_response) == (True, 0x800, 0xF00)
    assert parse_atr_info(bytes.fromhex("4703000000")).extended_length is False
    assert parse_atr_info(b"\x7f\x66\x05\x02").extended_length is None  # damaged: silent


def test_chip_that_ends_sm_on_6700_is_read_whole():
    p = get_persona("default")
    card = _sm_ending_chip()
    t = CountingSim(card)
    with t:
        got = read_card(t, p.mrz_key)
    assert got.files["DG2"] == p.files["DG2"] and got.files["SOD"] == p.files["SOD"]
    assert got.chip_auth.state.value == "valid"


def test_no_extended_probe_when_the_atr_says_no():
    p = get_persona("default")
    card = _sm_ending_chip()
    card.atr = ATR_NO_EXTENDED
    t = CountingSim(card)
    with t:
        got = read_card(t, p.mrz_key)
    assert got.files["DG2"] == p.files["DG2"]
    assert all(len(a) <= 5 + 255 + 1 for a in t.sent)  # short APDUs only: no extended probe
    assert not any(a[1] == 0x82 for a in t.sent[12:])  # BAC ran once: SM never ended


def test_ef_atr_info_is_asked_when_the_atr_is_silent():
    p = get_persona("default")
    t = CountingSim(_sm_ending_chip())
    with t:
        read_card(t, p.mrz_key)
    assert any(a[:7] == bytes.fromhex("00A4020C022F01") for a in t.sent)


def test_a_rejected_key_is_not_retried():
    """The chip ends SM, and then (a worn chip, a swapped card) refuses the key: no loop."""
    p = get_persona("default")
    card = _sm_ending_chip()
    t = CountingSim(card)
    calls = {"n": 0}
    from cardkit.sim import card as card_module

    original = card.handlers[0x82]

    def refuse_second(c, cmd):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 1:
            return card_module.Reply(b"", 0x6300)
        return original(c, cmd)

    card.handlers[0x82] = refuse_second
    with t, pytest.raises(AccessDeniedError):
        read_card(t, p.mrz_key)
    assert calls["n"] == 2  # the first BAC, one re-establishment, no retry of the refused key
