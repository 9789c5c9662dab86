"""The vpcd bridge: framing against a fake vpcd, then through a real pcscd with pyscard."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from cardkit.errors import ReaderError
from cardkit.sim.card import VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.sim.vpcd import StopReason, serve, serve_in_thread

SELECT_AID = bytes.fromhex("00A4040C07A0000002471001")


class FakeVpcd:
    """The reader side of the vpcd protocol: listens, accepts the card, sends messages."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> None:
        self.server.settimeout(5)
        self.conn, _ = self.server.accept()
        self.conn.settimeout(5)

    def send(self, payload: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(len(payload).to_bytes(2, "big") + payload)

    def recv(self) -> bytes:
        assert self.conn is not None
        head = self._exact(2)
        return self._exact(int.from_bytes(head, "big"))

    def _exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.conn.recv(n - len(buf))  # type: ignore[union-attr]
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    def close(self) -> None:
        if self.conn:
            self.conn.close()
        self.server.close()


@pytest.fixture
def fake_vpcd():
    v = FakeVpcd()
    yield v
    v.close()


def _start(card: VirtualCard, port: int, **kw):
    results = []
    stop = threading.Event()
    th = threading.Thread(target=lambda: results.append(
        serve(card, "127.0.0.1", port, stop_event=stop, **kw)), daemon=True)
    th.start()
    return th, stop, results


def test_protocol_against_fake_vpcd(fake_vpcd: FakeVpcd) -> None:
    card = VirtualCard(get_persona("default"))
    th, stop, results = _start(card, fake_vpcd.port)
    fake_vpcd.accept()
    fake_vpcd.send(b"\x04")
    assert fake_vpcd.recv() == card.atr
    fake_vpcd.send(b"\x01")  # power on: no reply
    fake_vpcd.send(SELECT_AID)
    assert fake_vpcd.recv() == b"\x90\x00"
    assert card.session.applet_selected
    fake_vpcd.send(b"\x02")  # reset: session state gone
    fake_vpcd.send(b"\x04")  # ATR still answered at any time
    assert fake_vpcd.recv() == card.atr
    assert not card.session.applet_selected
    # two messages in one TCP segment, and one split across segments
    two = (len(SELECT_AID).to_bytes(2, "big") + SELECT_AID) * 2
    fake_vpcd.conn.sendall(two)
    assert fake_vpcd.recv() == b"\x90\x00" and fake_vpcd.recv() == b"\x90\x00"
    fake_vpcd.conn.sendall(b"\x00\x05\x00\x84")
    time.sleep(0.05)
    fake_vpcd.conn.sendall(b"\x00\x00\x08")
    r = fake_vpcd.recv()
    assert len(r) == 10 and r[-2:] == b"\x90\x00"
    fake_vpcd.send(b"\x00")  # power off
    stop.set()
    th.join(3)
    assert results and results[0].reason is StopReason.STOPPED and results[0].apdus == 4


def test_card_removal_closes_socket(fake_vpcd: FakeVpcd) -> None:
    card = VirtualCard(get_persona("default").with_quirks(remove_after=2))
    th, stop, results = _start(card, fake_vpcd.port)
    fake_vpcd.accept()
    fake_vpcd.send(SELECT_AID)
    assert fake_vpcd.recv() == b"\x90\x00"
    fake_vpcd.send(SELECT_AID)
    assert fake_vpcd.recv() == b"\x90\x00"
    with pytest.raises(ConnectionError):
        fake_vpcd.recv()  # the card left: socket closed
    th.join(3)
    assert results[0].reason is StopReason.CARD_REMOVED


def test_vpcd_closing_ends_serve(fake_vpcd: FakeVpcd) -> None:
    card = VirtualCard(get_persona("default"))
    th, stop, results = _start(card, fake_vpcd.port, max_seconds=5)
    fake_vpcd.accept()
    fake_vpcd.conn.close()
    th.join(3)
    assert results[0].reason is StopReason.VPCD_CLOSED


def test_max_seconds(fake_vpcd: FakeVpcd) -> None:
    card = VirtualCard(get_persona("default"))
    th, stop, results = _start(card, fake_vpcd.port, max_seconds=0.3)
    fake_vpcd.accept()
    th.join(3)
    assert results[0].reason is StopReason.TIMEOUT


def test_unreachable_vpcd_one_line_error() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(ReaderError) as exc:
        serve(VirtualCard(get_persona("default")), "127.0.0.1", port)
    assert str(exc.value) == (f"vpcd not reachable on 127.0.0.1:{port} — is pcscd with "
                              "vsmartcard-vpcd running?")


# --- through a real pcscd ------------------------------------------------------------------------


@pytest.mark.pcscd
def test_default_persona_over_pcscd_with_pyscard(pcscd_vpcd, terminal_for) -> None:
    from smartcard.System import readers as pcsc_readers

    reader = next(r for r in pcsc_readers() if str(r) == pcscd_vpcd.readers[0])
    p = get_persona("default")
    card = VirtualCard(p)
    thread, stop, results = serve_in_thread(card, "127.0.0.1", pcscd_vpcd.port_for(reader.name))
    try:
        conn = None
        deadline = time.monotonic() + 5
        while conn is None:
            c = reader.createConnection()
            try:
                c.connect()
                conn = c
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        try:
            assert bytes(conn.getATR()) == card.atr

            def send(apdu: bytes) -> bytes:
                data, sw1, sw2 = conn.transmit(list(apdu))
                return bytes(data) + bytes((sw1, sw2))

            assert send(bytes.fromhex("00A40000023F00")) == b"\x6d\x00"
            assert send(SELECT_AID) == b"\x90\x00"
            ch = send(bytes.fromhex("0084000008"))
            assert len(ch) == 10 and ch[-2:] == b"\x90\x00"
            t = terminal_for(send)
            assert t.bac(p.mrz_information) == 0x9000
            assert t.read_file(0x0101) == p.files["DG1"]
            t0 = time.perf_counter()
            dg2 = t.read_file(0x0102, chunk=0x1000, extended=True)
            elapsed = time.perf_counter() - t0
            assert dg2 == p.files["DG2"]
            assert elapsed < 2.0, f"DG2 over pcscd took {elapsed:.2f} s"
        finally:
            conn.disconnect()
    finally:
        stop.set()
        thread.join(3)
        _wait_until_empty(str(reader))  # leave the reader as found, for the next test
    assert results and results[0].apdus >= 8
    assert results[0].reason is StopReason.STOPPED


def _wait_until_empty(reader: str, timeout: float = 3.0) -> None:
    """Wait until pcscd has noticed the card left (it polls vpcd about every 0.4 s)."""
    from smartcard import scard

    rc, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert rc == scard.SCARD_S_SUCCESS
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc, states = scard.SCardGetStatusChange(ctx, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
            if rc == scard.SCARD_S_SUCCESS and states[0][1] & scard.SCARD_STATE_EMPTY:
                return
            time.sleep(0.05)
    finally:
        scard.SCardReleaseContext(ctx)
