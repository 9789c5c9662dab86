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
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from ..errors import ReaderError

POWER_OFF, POWER_ON, RESET, GET_ATR = 0x00, 0x01, 0x02, 0x04
MAX_MESSAGE = 0xFFFF
NETNS_VAR = "CARDKIT_VPCD_NETNS"  # "/proc/PID/ns/net:PORT,PORT": where a test pcscd's vpcd listens
CLONE_NEWNET = 0x40000000


def quickack(sock: socket.socket) -> None:
    flag = getattr(socket, "TCP_QUICKACK", None)
    if flag is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, flag, 1)


# --- the test pcscd's network namespace (cardkit.sim.pcscd_harness) ---------------------------

def _in_netns(netns: Path, work: Callable[[], socket.socket]) -> socket.socket:
    """Run `work` (which makes a socket) in a helper thread that joined the network namespace
    `netns` with setns(2) — namespaces are per thread on Linux, and a socket stays in the
    namespace it was created in. (`os.setns` needs Python 3.12; ctypes works on 3.11.)"""
    import ctypes

    result: dict[str, object] = {}

    def run() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(netns, os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns({netns}): {os.strerror(err)}")
            finally:
                os.close(fd)
            result["sock"] = work()
        except BaseException as exc:  # noqa: BLE001 — handed to the caller's thread
            result["error"] = exc

    t = threading.Thread(target=run, name="vpcd-netns-connect", daemon=True)
    t.start()
    t.join()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["sock"]  # type: ignore[return-value]


NETNS_OF_PORT: dict[int, Path] = {}  # vpcd ports of private pcscds started by this process


def netns_spec(netns: Path, ports: list[int]) -> str:
    """`$CARDKIT_VPCD_NETNS` value: the namespace and the vpcd ports that live there."""
    return f"{netns}:{','.join(str(p) for p in ports)}"


def _netns_for(port: int) -> Path | None:
    if port in NETNS_OF_PORT:
        return NETNS_OF_PORT[port]
    spec = os.environ.get(NETNS_VAR, "")
    path, _, ports = spec.rpartition(":")
    if path and str(port) in ports.split(","):
        return Path(path)
    return None


def open_tcp(host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to vpcd, made inside the private test pcscd's network namespace when
    `port` is one of its vpcd ports (registered by the harness in this process, or named by
    `$CARDKIT_VPCD_NETNS` in a subprocess), else in this process's own namespace."""
    netns = _netns_for(port)
    if netns is None:
        return socket.create_connection((host, port), timeout=timeout)
    return _in_netns(netns, lambda: socket.create_connection((host, port), timeout=timeout))


def connect(host: str, port: int, timeout: float = 3.0) -> socket.socket:
    """Open the card-side connection to vpcd, or raise ReaderError with a one-line hint."""
    try:
        sock = open_tcp(host, port, timeout)
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
