"""Every virtual-card persona reads through the in-process card, through a recorded fixture
replay, and through a real pcscd + vpcd with pyscard."""

from __future__ import annotations

import pytest

from cardkit.rand import ReplayRandom, SystemRandom
from cardkit.read import read_card
from cardkit.sim.card import VirtualCard
from cardkit.sim.personas import get_persona, list_personas
from cardkit.sim.vpcd import serve_in_thread
from cardkit.transport.fixtures import Fixture
from cardkit.transport.pcsc import PcscTransport
from cardkit.transport.record import RecordingTransport
from cardkit.transport.replay import ReplayTransport
from cardkit.transport.sim import SimTransport

PERSONAS = [name for name, _ in list_personas() if not name.startswith("test-")]
# the lying chips have their own pcscd test (tests/security/test_hostile_cards_pcscd.py)
HONEST = [name for name, desc in list_personas()
          if not name.startswith("test-") and not desc.startswith("HOSTILE")]


def _expected_files(name: str) -> dict[str, bytes]:
    files = dict(get_persona(name).files)
    files.pop("DG3", None)  # refused without Terminal Authentication, as on the real chip
    files.pop("CVCA", None)  # EF.CVCA (EAC personas) is read only by Terminal Authentication
    return files


@pytest.mark.parametrize("name", PERSONAS)
def test_in_process_and_replay(name: str) -> None:
    p = get_persona(name)
    rec = RecordingTransport(SimTransport(VirtualCard(p)))
    rng = SystemRandom()
    with rec:
        first = read_card(rec, p.mrz_key, rng=rng)
    assert first.files == _expected_files(name)
    replay = ReplayTransport(Fixture(rec.exchanges, list(rng.draws), rec.info))
    with replay:
        second = read_card(replay, p.mrz_key, rng=ReplayRandom(list(rng.draws)))
    assert replay.remaining == 0 and second.files == first.files
    assert second.chip_auth.state == first.chip_auth.state
    assert second.active_auth.state == first.active_auth.state


def test_every_persona_through_pcscd(pcscd_vpcd) -> None:  # type: ignore[no-untyped-def]
    reader = pcscd_vpcd.readers[0]
    for name in HONEST:
        p = get_persona(name)
        thread, stop, _ = serve_in_thread(VirtualCard(p), port=pcscd_vpcd.port_for(reader))
        try:
            assert pcscd_vpcd.wait_card(reader, present=True, timeout=5), name
            with PcscTransport(reader, wait=5) as t:
                got = read_card(t, p.mrz_key, rng=SystemRandom())
        finally:
            stop.set()
            thread.join(timeout=5)
            pcscd_vpcd.wait_card(reader, present=False, timeout=5)
        assert got.files == _expected_files(name), name
        clone = name.startswith("clone")
        assert (got.chip_authentic.state.value == "invalid") == clone, (name, got.chip_authentic)
