"""A reader profile changes the READ BINARY chunk size (issue #6, "Done when").

The virtual card is configured with the same limits as the profile (Le at most N, no extended
length) and served through pcscd + vpcd; the session (cardkit.icao) chunks by
`transport.info.max_response` / `extended_length`, which PcscTransport fills from the profile.
With the profile, no READ BINARY exceeds N and the card never refuses one; on an unlimited card,
the built-in vpcd profile (extended length works) gives a handful of big reads instead.
"""

from __future__ import annotations

import pytest

from cardkit.rand import SystemRandom
from cardkit.transport.pcsc import PcscTransport
from cardkit.transport.profiles import match_profile, profile_from_dict

pytestmark = pytest.mark.pcscd

sim_card = pytest.importorskip("cardkit.sim.card")
sim_vpcd = pytest.importorskip("cardkit.sim.vpcd")
personas = pytest.importorskip("cardkit.sim.personas")
icao_reader = pytest.importorskip("cardkit.icao.reader")

LIMIT = 0x80


def _read_dg2(pcscd_vpcd, reader_index: int, profile, limited_card: bool = True):
    persona = personas.get_persona("default")
    quirks = sim_card.Quirks(max_le=LIMIT, extended_length=False) if limited_card else \
        sim_card.Quirks()
    card = sim_card.VirtualCard(persona, quirks=quirks)
    asked: list[tuple[int | None, int]] = []  # (Ne, SW) of every READ BINARY the card saw
    default = card.handlers[0xB0]

    def spy(c, cmd):
        reply = default(c, cmd)
        asked.append((cmd.le, reply.sw))
        return reply

    card.handlers[0xB0] = spy
    reader = pcscd_vpcd.readers[reader_index]
    thread, stop, _ = sim_vpcd.serve_in_thread(card, "127.0.0.1", pcscd_vpcd.port_for(reader))
    try:
        with PcscTransport(reader, wait=3, profile=profile) as t:
            session = icao_reader.open_session(t, persona.mrz_key, access="bac",
                                               rng=SystemRandom(), card_access=None)
            out = icao_reader.read_lds(session, files=["DG2"])
            info = t.info
    finally:
        stop.set()
        thread.join(3)
        pcscd_vpcd.wait_card(reader, present=False)
    assert out.files["DG2"] == persona.files["DG2"]
    return info, asked


def test_profile_limits_chunk_size(pcscd_vpcd, tmp_path, monkeypatch):
    user = tmp_path / "readers.json"
    user.write_text('{"profiles": [{"key": "slow-vpcd", "reader": "^Virtual PCD 00 00$", '
                    f'"extended_length": false, "max_response": {LIMIT}}}]}}')
    monkeypatch.setenv("CARDKIT_READER_PROFILES", str(user))
    profile = match_profile(pcscd_vpcd.readers[0])
    assert profile.key == "slow-vpcd"  # the user file wins over the built-in vpcd profile

    info, asked = _read_dg2(pcscd_vpcd, 0, None)  # PcscTransport matches the profile itself
    assert (info.max_response, info.extended_length) == (LIMIT, False)
    assert len(asked) > 14_000 // LIMIT // 2  # DG2 (~15 KB) really came in small chunks
    assert all(le is not None and le <= LIMIT for le, _ in asked), asked
    assert all(sw in (0x9000, 0x6282) for _, sw in asked), "card refused a chunk"


def test_same_card_other_profile_other_chunks(pcscd_vpcd):
    """An unlimited card: the vpcd profile (extended length works) gives big chunks, a profile
    with max_response = LIMIT gives small ones — the profile alone sets the chunk size."""
    vpcd = profile_from_dict({"key": "vpcd", "reader": "Virtual PCD", "extended_length": True})
    info, asked = _read_dg2(pcscd_vpcd, 1, vpcd, limited_card=False)
    assert info.extended_length is True and info.max_response is None
    assert max(le for le, _ in asked) > 4 * LIMIT  # extended length used
    assert len(asked) <= 6

    slow = profile_from_dict({"key": "slow", "reader": "Virtual PCD", "extended_length": False,
                              "max_response": LIMIT})
    _info, asked_small = _read_dg2(pcscd_vpcd, 1, slow, limited_card=False)
    assert max(le for le, _ in asked_small) <= LIMIT
    assert len(asked_small) > 10 * len(asked)
