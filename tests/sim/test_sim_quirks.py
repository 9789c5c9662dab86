"""Quirks of the virtual card and the in-process SimTransport."""

from __future__ import annotations

import time

import pytest

from cardkit.errors import CardRemovedError, TransmissionError
from cardkit.sim.card import Quirks, VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.transport.sim import SimTransport

SELECT_AID = bytes.fromhex("00A4040C07A0000002471001")


def _bac_card(quirks: Quirks, terminal_for):
    p = get_persona("default").with_quirks(quirks)
    card = VirtualCard(p)
    t = terminal_for(card.process)
    assert t.bac(p.mrz_information) == 0x9000
    return p, card, t


def test_max_le_6700(terminal_for) -> None:
    p, card, t = _bac_card(Quirks(max_le=0x80), terminal_for)
    assert t.select(0x0102) == 0x9000
    assert t.sm(0, 0xB0, 0, 0, le=0x81)[1] == 0x6700
    d, sw = t.sm(0, 0xB0, 0, 0, le=0x80)
    assert sw == 0x9000 and d == p.files["DG2"][:0x80]


def test_max_le_6cxx_in_plain() -> None:
    files = {"CardAccess": bytes(300)}
    card = VirtualCard(files, quirks=Quirks(max_le=0x80, wrong_le_sw=0x6C00))
    assert card.process(bytes.fromhex("00A4020C02011C")) == b"\x90\x00"
    assert card.process(bytes.fromhex("00B0000000")) == b"\x6c\x80"
    # the transport layer resolves 6Cxx by re-sending with Le = xx (ISO 7816-4 §5.1)
    tr = SimTransport(card)
    tr.connect()
    tr.transmit(bytes.fromhex("00A4020C02011C"))
    assert tr.transmit(bytes.fromhex("00B0000000")) == bytes(0x80) + b"\x90\x00"


def test_small_le_persona_refuses_extended_length(terminal_for) -> None:
    p = get_persona("small-le")
    assert p.quirks.max_le == 0x80 and not p.quirks.extended_length
    card = VirtualCard(p)
    t = terminal_for(card.process)
    assert t.bac(p.mrz_information) == 0x9000
    assert t.select(0x0102) == 0x9000
    apdu = t.protect(0, 0xB0, 0, 0, le=0x80, extended=True)
    assert card.process(apdu) == b"\x67\x00"  # extended APDU: refused, plain status
    t.ssc -= 1  # the card did not count the refused APDU
    d, sw = t.sm(0, 0xB0, 0, 0, le=0x80)
    assert sw == 0x9000 and d == p.files["DG2"][:0x80]
    assert SimTransport(card).info.extended_length is False
    assert SimTransport(card).info.max_response == 0x80


def test_remove_after_raises_card_removed() -> None:
    card = VirtualCard(get_persona("default").with_quirks(remove_after=3))
    tr = SimTransport(card)
    tr.connect()
    for _ in range(3):
        tr.transmit(SELECT_AID)
    assert card.removed
    with pytest.raises(CardRemovedError):
        tr.transmit(SELECT_AID)
    with pytest.raises(CardRemovedError):
        tr.connect()
    card.insert()
    tr.connect()
    assert tr.transmit(SELECT_AID) == b"\x90\x00"


def test_corrupt_mac_after(terminal_for) -> None:
    p, card, t = _bac_card(Quirks(corrupt_mac_after=5), terminal_for)  # 3 APDUs so far
    assert t.select(0x0101) == 0x9000  # APDU 4
    t.sm(0, 0xB0, 0, 0, le=4)  # APDU 5: still fine
    with pytest.raises(Exception, match="response MAC wrong"):
        t.sm(0, 0xB0, 0, 4, le=4)  # APDU 6: flipped bit


def test_delay_ms() -> None:
    card = VirtualCard(get_persona("default").with_quirks(delay_ms=30))
    t0 = time.perf_counter()
    card.process(SELECT_AID)
    assert time.perf_counter() - t0 >= 0.03


def test_sim_transport_basics() -> None:
    card = VirtualCard(get_persona("default"))
    tr = SimTransport(card)
    assert tr.info.name == "cardkit virtual card" and tr.info.atr == card.atr
    assert tr.info.extended_length is True and tr.info.protocol == "T=1"
    with pytest.raises(TransmissionError):
        tr.transmit(SELECT_AID)
    with tr:
        assert tr.transmit(SELECT_AID) == b"\x90\x00"
        assert card.session.applet_selected
    assert not card.powered and not card.session.applet_selected
