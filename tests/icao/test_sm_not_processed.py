"""A short-only chip refusing an extended protected READ BINARY with a bare 6700 (before its
secure messaging runs) must not desynchronise the SSC: the read steps down and completes."""

from __future__ import annotations

from dataclasses import replace

from cardkit.icao.reader import open_session, read_lds
from cardkit.rand import SystemRandom
from cardkit.sim.card import VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.transport.base import Transport, TransportInfo
from cardkit.transport.sim import SimTransport


class UnknownCapabilities(Transport):
    """The virtual card behind a reader that does not say whether extended length works."""

    def __init__(self, inner: SimTransport) -> None:
        self.inner = inner
        self.extended_refusals = 0

    @property
    def info(self) -> TransportInfo:
        return replace(self.inner.info, extended_length=None, max_response=None)

    def connect(self) -> None:
        self.inner.connect()

    def disconnect(self) -> None:
        self.inner.disconnect()

    def _transmit_raw(self, apdu: bytes) -> bytes:
        resp = self.inner._transmit_raw(apdu)
        if resp == b"\x67\x00":
            self.extended_refusals += 1
        return resp


def test_bare_6700_steps_down_without_breaking_sm() -> None:
    persona = get_persona("small-le")
    assert persona.quirks.extended_length is False
    t = UnknownCapabilities(SimTransport(VirtualCard(persona)))
    with t:
        session = open_session(t, persona.mrz_key, access="bac", rng=SystemRandom())
        outcome = read_lds(session)
    assert t.extended_refusals >= 1  # the extended attempt really happened and was refused
    for name in ("COM", "SOD", "DG1", "DG2", "DG13"):
        assert outcome.files[name] == persona.files[name]
