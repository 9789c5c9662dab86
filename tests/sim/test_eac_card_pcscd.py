"""The `pace` and `clone` personas read through a real pcscd + vpcd (pyscard path), MRZ and CAN."""

from __future__ import annotations

import pytest

from cardkit.icao.keys import CanKey
from cardkit.read import read_card
from cardkit.results import CheckState

pytestmark = pytest.mark.pcscd

sim_card = pytest.importorskip("cardkit.sim.card")
sim_vpcd = pytest.importorskip("cardkit.sim.vpcd")
personas = pytest.importorskip("cardkit.sim.personas")
pcsc = pytest.importorskip("cardkit.transport.pcsc")


def _read(harness, persona: str, which: str, reader_index: int):
    p = personas.get_persona(persona)
    card = sim_card.VirtualCard(p)
    reader = harness.readers[reader_index]
    thread, stop, _ = sim_vpcd.serve_in_thread(card, "127.0.0.1", harness.port_for(reader))
    try:
        with pcsc.PcscTransport(reader, wait=3) as t:
            key = p.mrz_key if which == "mrz" else CanKey(p.can)
            return p, read_card(t, key)
    finally:
        stop.set()
        thread.join(3)
        harness.wait_card(reader, present=False)


@pytest.mark.parametrize("which, reader_index", [("mrz", 0), ("can", 1)])
def test_pace_persona_through_pcscd(pcscd_vpcd, which, reader_index):
    p, got = _read(pcscd_vpcd, "pace", which, reader_index)
    assert got.access.startswith("pace")
    assert got.files["DG1"] == p.files["DG1"] and got.files["DG14"] == p.files["DG14"]
    assert got.chip_auth.state is CheckState.VALID
    assert got.active_auth.state is CheckState.VALID


def test_clone_persona_through_pcscd(pcscd_vpcd):
    _, got = _read(pcscd_vpcd, "clone", "can", 0)
    assert got.chip_authentic.state is CheckState.INVALID
    assert "cloned or forged chip" in got.chip_authentic.reason
