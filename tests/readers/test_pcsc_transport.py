"""PcscTransport against pcscd + vpcd with a stub card: selection, waiting, errors, 61xx."""

from __future__ import annotations

import threading
import time

import pytest

from cardkit.errors import CardRemovedError, NoCardError, ReaderError, TransmissionError
from cardkit.sim import pcscd_harness
from cardkit.sim.pcscd_harness import VpcdStubCard
from cardkit.transport.pcsc import (
    START_PCSCD,
    PcscTransport,
    card_events,
    list_readers,
    pcsc_error,
    pick_reader,
)

pytestmark = pytest.mark.pcscd

AID_SELECT = bytes.fromhex("00A4040C07A0000002471001")


def echo_with_61xx(apdu: bytes) -> bytes:
    if apdu[1] == 0xC0:  # GET RESPONSE: the rest
        return bytes(range(apdu[4])) + b"\x90\x00"
    if apdu[1] == 0xB0 and apdu[4] == 0x20:
        return b"\xaa" * 16 + b"\x61\x10"  # 16 bytes now, 16 more via GET RESPONSE
    if apdu[1] == 0xB0 and apdu[4] == 0x40:
        return b"\x6c\x08"  # wrong Le: re-send with 08
    if apdu[1] == 0xB0 and apdu[4] == 0x08:
        return b"\x55" * 8 + b"\x90\x00"
    if apdu == AID_SELECT:
        return b"\x90\x00"
    return b"\x6d\x00"


@pytest.fixture()
def stub(pcscd_vpcd):
    card = VpcdStubCard(pcscd_vpcd.port_for(0), echo_with_61xx).start()
    yield card
    card.stop()
    pcscd_vpcd.wait_card(pcscd_vpcd.readers[0], present=False)


def test_list_and_pick(pcscd_vpcd):
    names = list_readers()
    assert names == pcscd_vpcd.readers
    assert pick_reader(names, None) == names[0]
    assert pick_reader(names, 1) == names[1]
    assert pick_reader(names, "1") == names[1]
    assert pick_reader(names, "00 01") == names[1]
    with pytest.raises(ReaderError, match="several readers"):
        pick_reader(names, "virtual")
    with pytest.raises(ReaderError, match="No reader named"):
        pick_reader(names, "ACR122")
    with pytest.raises(ReaderError, match="No reader number 5"):
        pick_reader(names, 5)
    with pytest.raises(ReaderError, match="No card reader found"):
        pick_reader([], None)


def test_transmit_select_and_61xx_6cxx(pcscd_vpcd, stub):
    with PcscTransport(0, wait=3) as t:
        assert t.info.name == pcscd_vpcd.readers[0]
        assert t.info.atr == stub.atr
        assert t.info.protocol == "T=1"
        assert t.info.extended_length is True  # vsmartcard-vpcd profile
        assert t.transmit(AID_SELECT) == b"\x90\x00"
        assert t.transmit(bytes.fromhex("00B0000020")) == b"\xaa" * 16 + bytes(range(16)) + \
            b"\x90\x00"
        assert t.transmit(bytes.fromhex("00B0000040")) == b"\x55" * 8 + b"\x90\x00"
    assert bytes.fromhex("00C0000010") in stub.apdus
    assert bytes.fromhex("00B0000008") in stub.apdus


def test_no_card_times_out(pcscd_vpcd):
    t0 = time.monotonic()
    with pytest.raises(NoCardError, match="within 0.6 s"):
        PcscTransport(pcscd_vpcd.readers[1], wait=0.6).connect()
    assert 0.5 < time.monotonic() - t0 < 3


def test_wait_sees_card_arriving(pcscd_vpcd):
    port = pcscd_vpcd.port_for(1)
    cards: list[VpcdStubCard] = []
    timer = threading.Timer(0.3, lambda: cards.append(VpcdStubCard(port, echo_with_61xx).start()))
    timer.start()
    try:
        with PcscTransport(1, wait=5) as t:
            assert t.transmit(AID_SELECT) == b"\x90\x00"
    finally:
        timer.join()
        for c in cards:
            c.stop()
        time.sleep(0.05)


def test_card_removed_mid_session(pcscd_vpcd):
    card = VpcdStubCard(pcscd_vpcd.port_for(0), echo_with_61xx).start()
    t = PcscTransport(0, wait=3)
    t.connect()
    try:
        assert t.transmit(AID_SELECT) == b"\x90\x00"
        card.stop()
        with pytest.raises(CardRemovedError, match="place it back"):
            for _ in range(50):  # pcscd notices within one poll (~400 ms)
                t.transmit(AID_SELECT)
                time.sleep(0.02)
    finally:
        t.disconnect()


def test_events_show_insert_and_remove(pcscd_vpcd):
    reader = pcscd_vpcd.readers[0]
    stop = threading.Event()
    seen: list[tuple[str, str]] = []

    def watch() -> None:
        for ev, name, _atr in card_events(reader, poll_ms=100, stop=stop):
            seen.append((ev, name))

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    time.sleep(0.2)
    card = VpcdStubCard(pcscd_vpcd.port_for(reader), echo_with_61xx).start()
    deadline = time.monotonic() + 3
    while ("inserted", reader) not in seen and time.monotonic() < deadline:
        time.sleep(0.05)
    card.stop()
    while ("removed", reader) not in seen and time.monotonic() < deadline + 3:
        time.sleep(0.05)
    stop.set()
    th.join(2)
    assert ("inserted", reader) in seen
    assert ("removed", reader) in seen


def test_pcscd_not_running_message(pcscd_vpcd):
    with pcscd_harness.pointed_at(None, pcscd_vpcd.socket_path):
        with pytest.raises(ReaderError) as exc:
            list_readers()
        assert str(exc.value) == START_PCSCD
        with pytest.raises(ReaderError, match="systemctl start pcscd"):
            PcscTransport().connect()
    assert list_readers() == pcscd_vpcd.readers  # restored


def test_no_reader_message(no_reader_pcscd):
    assert list_readers() == []
    with pytest.raises(ReaderError, match="No card reader found .*cardkit doctor"):
        PcscTransport().connect()


def test_error_mapping():
    assert isinstance(pcsc_error(0x80100069, "x"), CardRemovedError)
    assert isinstance(pcsc_error(0x80100068, "x"), CardRemovedError)
    assert isinstance(pcsc_error(0x8010000C, "x"), NoCardError)
    assert "in use by another program" in str(pcsc_error(0x8010000B, "x", "R"))
    err = pcsc_error(0x80100013, "sending an APDU", "R")  # SCARD_E_COMM_ERROR... unmapped
    assert isinstance(err, TransmissionError) and "0x80100013" in str(err)
    # signed return codes (as some pyscard builds give them) map the same
    assert str(pcsc_error(0x8010001D - (1 << 32), "x")) == START_PCSCD


def test_escape_commands_from_profile(pcscd_vpcd, stub):
    from cardkit.transport.profiles import profile_from_dict

    prof = profile_from_dict({"key": "acr-like", "reader": "Virtual PCD",
                              "escape": {"buzzer_off": "FF00520000"}})
    with PcscTransport(0, wait=3, profile=prof) as t:
        assert t.escape("buzzer_off") == b"\x6d\x00"  # the stub does not know it
        with pytest.raises(ReaderError, match="no escape command 'beep'"):
            t.escape("beep")
    assert bytes.fromhex("FF00520000") in stub.apdus

    ioctl = profile_from_dict({"key": "ccid-escape", "reader": "Virtual PCD", "escape_ioctl": 3500,
                               "escape": {"firmware_version": "E000001800"}})
    with PcscTransport(0, wait=3, profile=ioctl) as t, pytest.raises(TransmissionError):
        t.escape("firmware_version")  # vpcd has no CCID escape: a clean error, no traceback
