"""vsmartcard vpcd wire framing, shared by the virtual card's server (`sim.vpcd`) and the pcscd
test harness (`sim.pcscd_harness`).

Every message both ways is a big-endian uint16 length + payload; from vpcd a 1-byte payload is a
control code (00 power off, 01 power on, 02 reset — no reply; 04 get ATR — reply with the ATR),
longer payloads are command APDUs answered with data + SW1 SW2. TCP_QUICKACK is re-armed after
every recv: vpcd writes length and APDU separately without TCP_NODELAY, so a delayed ACK would
cost ~40 ms per APDU (Linux only).
"""

from __future__ import annotations

import contextlib
import socket

from ..errors import ReaderError

POWER_OFF, POWER_ON, RESET, GET_ATR = 0x00, 0x01, 0x02, 0x04
MAX_MESSAGE = 0xFFFF


def quickack(sock: socket.socket) -> None:
    flag = getattr(socket, "TCP_QUICKACK", None)
    if flag is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, flag, 1)


def connect(host: str, port: int, timeout: float = 3.0) -> socket.socket:
    """Open the card-side connection to vpcd, or raise ReaderError with a one-line hint."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        raise ReaderError(f"vpcd not reachable on {host}:{port} — is pcscd with "
                          "vsmartcard-vpcd running?") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    quickack(sock)
    return sock


def encode(payload: bytes) -> bytes:
    if len(payload) > MAX_MESSAGE:
        raise ValueError(f"vpcd message of {len(payload)} bytes is too long")
    return len(payload).to_bytes(2, "big") + payload


def send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(encode(payload))


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("vpcd closed the connection")
        buf += chunk
    quickack(sock)
    return bytes(buf)


def recv_message(sock: socket.socket) -> bytes:
    """One whole message (blocking)."""
    n = int.from_bytes(recv_exact(sock, 2), "big")
    return recv_exact(sock, n) if n else b""


class Framer:
    """Splits a byte stream into uint16-length-prefixed messages (non-blocking readers)."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self.buf += data
        out = []
        while len(self.buf) >= 2:
            n = int.from_bytes(self.buf[:2], "big")
            if len(self.buf) < 2 + n:
                break
            out.append(bytes(self.buf[2:2 + n]))
            del self.buf[:2 + n]
        return out
