"""The pcscd + vpcd harness itself: pyscard in this process talks to a stub card through it."""

from __future__ import annotations

import time

import pytest
from smartcard.System import readers as pcsc_readers

from cardkit.sim.pcscd_harness import (
    VpcdChannel,
    VpcdStubCard,
    parse_vpcd_conf,
    reader_conf,
)

pytestmark = pytest.mark.pcscd


def _wait_for_card(reader, timeout=3.0):
    deadline = time.monotonic() + timeout
    while True:
        conn = reader.createConnection()
        try:
            conn.connect()
            return conn
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_readers_visible_to_pyscard(pcscd_vpcd):
    names = [str(r) for r in pcsc_readers()]
    assert names == pcscd_vpcd.readers
    assert pcscd_vpcd.port_for(names[1]) == pcscd_vpcd.port_for(names[0]) + 1


def test_stub_card_answers_through_pcscd(pcscd_vpcd):
    reader = next(r for r in pcsc_readers() if str(r) == pcscd_vpcd.readers[0])
    atr = bytes.fromhex("3B8880010000000000718100F9")

    def handler(apdu: bytes) -> bytes:
        return apdu[::-1] + b"\x90\x00"

    with VpcdStubCard(pcscd_vpcd.port_for(reader.name), handler, atr=atr) as card:
        conn = _wait_for_card(reader)
        try:
            assert bytes(conn.getATR()) == atr
            data, sw1, sw2 = conn.transmit(list(bytes.fromhex("00A4040C07A0000002471001")))
            assert (sw1, sw2) == (0x90, 0x00)
            assert bytes(data) == bytes.fromhex("00A4040C07A0000002471001")[::-1]
            # latency: with TCP_QUICKACK re-armed after each recv, 40 round trips take far less
            # than the ~40 ms delayed-ACK wait each would otherwise cost
            t0 = time.perf_counter()
            for _ in range(40):
                conn.transmit([0x00, 0xB0, 0x00, 0x00, 0x10])
            per_apdu = (time.perf_counter() - t0) / 40
            assert per_apdu < 0.015, f"{per_apdu * 1000:.1f} ms per APDU"
        finally:
            conn.disconnect()
        assert bytes.fromhex("00A4040C07A0000002471001") in card.apdus
    assert pcscd_vpcd.wait_card(reader.name, present=False)


def test_reader_conf_round_trip():
    chans = [VpcdChannel("Virtual PCD", 45963), VpcdChannel("Other", 0x8C7D)]
    assert parse_vpcd_conf(reader_conf(chans)) == chans
    system_style = ('FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x8C7B\n'
                    "LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    0x8C7B\n")
    assert parse_vpcd_conf(system_style) == [VpcdChannel("Virtual PCD", 35963)]
    assert VpcdChannel("Virtual PCD", 1).reader_names() == ["Virtual PCD 00 00",
                                                            "Virtual PCD 00 01"]


def test_late_start_is_refused_clearly(pcscd_vpcd, tmp_path):
    """libpcsclite caches the socket name at the first PC/SC call: a harness started after that
    must say so rather than silently talk to another pcscd."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PCSCLITE_CSOCK_NAME"}
    code = ("from smartcard.System import readers\n"
            "try:\n    readers()\nexcept Exception:\n    pass\n"
            "from cardkit.sim.pcscd_harness import PcscdHarness\n"
            "from cardkit.errors import ReaderError\n"
            "try:\n    PcscdHarness.start()\nexcept ReaderError as e:\n    print(e)\n")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60)
    assert "PCSCLITE_CSOCK_NAME was fixed before the harness started" in proc.stdout, proc.stderr
