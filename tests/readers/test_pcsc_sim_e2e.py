"""PcscTransport end to end: the virtual card (cardkit.sim) served to pcscd through vpcd."""

from __future__ import annotations

import pytest

from cardkit.errors import CardRemovedError
from cardkit.sim.pcscd_harness import VpcdStubCard
from cardkit.transport.pcsc import PcscTransport

pytestmark = pytest.mark.pcscd

sim_card = pytest.importorskip("cardkit.sim.card")
sim_vpcd = pytest.importorskip("cardkit.sim.vpcd")
personas = pytest.importorskip("cardkit.sim.personas")

SELECT_EMRTD = bytes.fromhex("00A4040C07A0000002471001")


@pytest.fixture()
def served(pcscd_vpcd):
    """The default persona on reader 0; yields (card, reader name)."""
    card = sim_card.VirtualCard(personas.get_persona("default"))
    reader = pcscd_vpcd.readers[0]
    thread, stop, _results = sim_vpcd.serve_in_thread(card, "127.0.0.1",
                                                      pcscd_vpcd.port_for(reader))
    yield card, reader
    stop.set()
    thread.join(3)
    pcscd_vpcd.wait_card(reader, present=False)


def test_select_emrtd_and_get_challenge(served):
    card, reader = served
    with PcscTransport(reader, wait=3) as t:
        assert t.info.atr == card.atr
        assert t.info.name == reader
        assert t.transmit(SELECT_EMRTD) == b"\x90\x00"
        resp = t.transmit(bytes.fromhex("0084000008"))
        assert len(resp) == 10 and resp[-2:] == b"\x90\x00"
    assert card.apdu_count >= 2


def test_card_leaves_mid_session(pcscd_vpcd):
    persona = personas.get_persona("default")
    card = sim_card.VirtualCard(persona, quirks=sim_card.Quirks(remove_after=2))
    reader = pcscd_vpcd.readers[1]
    thread, stop, _ = sim_vpcd.serve_in_thread(card, "127.0.0.1", pcscd_vpcd.port_for(reader))
    try:
        with PcscTransport(reader, wait=3) as t:
            t.transmit(SELECT_EMRTD)
            with pytest.raises(CardRemovedError):
                for _ in range(20):
                    t.transmit(SELECT_EMRTD)
    finally:
        stop.set()
        thread.join(3)
        pcscd_vpcd.wait_card(reader, present=False)


def test_extended_length_through_pcscd(pcscd_vpcd):
    """A 4000-byte answer to an extended Le passes pyscard + pcscd + vpcd unchanged."""
    blob = bytes(i * 7 % 251 for i in range(4000))

    def handler(apdu: bytes) -> bytes:
        if apdu[:4] == bytes.fromhex("00B00000") and len(apdu) == 7 and apdu[4] == 0:
            n = int.from_bytes(apdu[5:7], "big") or 65536
            return blob[:n] + b"\x90\x00"
        return b"\x67\x00"

    reader = pcscd_vpcd.readers[1]
    with VpcdStubCard(pcscd_vpcd.port_for(reader), handler), PcscTransport(reader, wait=3) as t:
        assert t.transmit(bytes.fromhex("00B0000000") + (4000).to_bytes(2, "big")) == \
            blob + b"\x90\x00"
        big_cmd = bytes.fromhex("00D60000") + b"\x00" + (3000).to_bytes(2, "big") + \
            b"\x01" * 3000
        assert t.transmit(big_cmd) == b"\x67\x00"
