"""Defect 7 (issue 11): pcscd tests failed when another process on the machine ran its own pcscd
+ vpcd. The private pcscd now lives in its own network namespace too: its vpcd ports exist only
there, so two test runs — even with the very same port numbers — cannot meet."""

from __future__ import annotations

import tempfile
from pathlib import Path

from cardkit.sim import pcscd_harness as ph
from cardkit.transport.pcsc import SCARD_STATE_PRESENT, reader_state
from tests.conftest import need


def test_vpcd_ports_live_in_a_private_network_namespace(pcscd_vpcd):
    need(pcscd_vpcd.mode == "private" and pcscd_vpcd.netns is not None,
         "needs root and iproute2 for a private network namespace")
    port = pcscd_vpcd.port_for(0)
    assert ph._listening(port, pcscd_vpcd.process.pid)
    assert not ph._listening(port)  # nothing of ours listens in the machine's namespace
    assert ph.NETNS_VAR in pcscd_vpcd.env and str(port) in pcscd_vpcd.env[ph.NETNS_VAR]


def test_two_pcscds_with_the_same_ports_do_not_meet(pcscd_vpcd):
    need(pcscd_vpcd.mode == "private" and pcscd_vpcd.netns is not None,
         "needs root and iproute2 for a private network namespace")
    saved = dict(ph.wire.NETNS_OF_PORT)
    workdir = Path(tempfile.mkdtemp(prefix="cardkit-pcscd-twin-"))
    twin = ph._launch_private(workdir, ph.reader_conf(pcscd_vpcd.channels), pcscd_vpcd.channels)
    ph.wire.NETNS_OF_PORT.clear()
    ph.wire.NETNS_OF_PORT.update(saved)  # our card sides keep going to the session's pcscd
    try:
        assert twin.netns is not None and twin.netns != pcscd_vpcd.netns
        assert twin.ports == pcscd_vpcd.ports  # the very same port numbers, both listening
        reader = pcscd_vpcd.readers[0]
        card = ph.VpcdStubCard(pcscd_vpcd.port_for(reader), lambda apdu: b"\x90\x00")
        with card:
            assert pcscd_vpcd.wait_card(reader, True)
            with ph.pointed_at(twin.socket_path, pcscd_vpcd.socket_path):
                assert not reader_state(reader)[0] & SCARD_STATE_PRESENT  # the twin sees none
    finally:
        twin.stop()
        ph.wire.NETNS_OF_PORT.clear()
        ph.wire.NETNS_OF_PORT.update(saved)
    assert pcscd_vpcd.wait_card(pcscd_vpcd.readers[0], False)
