"""The card side of vsmartcard's vpcd protocol: serve a `VirtualCard` to a real pcscd.

Protocol (vsmartcard vpcd; README, "pcscd + vsmartcard vpcd"): the card side CONNECTS to vpcd's
TCP port (35963 for `Virtual PCD 00 00`). Every message both ways is a big-endian uint16 length +
payload. From vpcd, a 1-byte payload is a control code — 00 power off, 01 power on, 02 reset (no
reply), 04 get ATR (reply: the ATR); longer payloads are command APDUs, answered with data + SW.
Closing the socket = card removed. TCP_QUICKACK is re-armed after every recv, otherwise each APDU
waits ~40 ms for vpcd's delayed ACK.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from dataclasses import dataclass
from enum import Enum

from ..errors import CardRemovedError
from . import vpcd_wire as wire
from .card import VirtualCard
from .vpcd_wire import GET_ATR, POWER_OFF, POWER_ON, RESET

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 35963
_POLL = 0.2  # seconds between checks of stop_event / max_seconds


class StopReason(str, Enum):
    STOPPED = "stopped"  # stop_event set
    TIMEOUT = "timeout"  # max_seconds elapsed
    INTERRUPTED = "interrupted"  # Ctrl-C
    CARD_REMOVED = "card removed"  # the remove_after quirk fired
    VPCD_CLOSED = "vpcd closed the connection"


@dataclass(frozen=True)
class ServeResult:
    reason: StopReason
    apdus: int
    seconds: float


def connect(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, timeout: float = 3.0
            ) -> socket.socket:
    """Open the card-side connection to vpcd, or raise ReaderError with a one-line hint."""
    return wire.connect(host, port, timeout)


def handle_message(card: VirtualCard, msg: bytes) -> bytes | None:
    """One vpcd message → the reply payload (None = no reply). Raises CardRemovedError."""
    if len(msg) == 1:
        code = msg[0]
        if code == GET_ATR:
            return card.atr
        if code == POWER_OFF:
            card.power_off()
        elif code == POWER_ON:
            card.power_on()
        elif code == RESET:
            card.reset()
        return None
    if not msg:
        return None
    return card.process(msg)


def serve(card: VirtualCard, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
          stop_event: threading.Event | None = None, max_seconds: float | None = None
          ) -> ServeResult:
    """Serve `card` to vpcd until stopped, timed out, interrupted, removed or disconnected.

    Raises ReaderError when vpcd is not listening.
    """
    sock = connect(host, port)
    log.info("virtual card inserted into vpcd at %s:%d", host, port)
    return serve_socket(card, sock, stop_event=stop_event, max_seconds=max_seconds)


def serve_socket(card: VirtualCard, sock: socket.socket, *,
                 stop_event: threading.Event | None = None, max_seconds: float | None = None
                 ) -> ServeResult:
    """The serving loop on an already connected socket (closed on return)."""
    sock.settimeout(_POLL)
    start = time.monotonic()
    apdus = 0
    framer = wire.Framer()
    reason = StopReason.VPCD_CLOSED
    try:
        while True:
            if stop_event is not None and stop_event.is_set():
                reason = StopReason.STOPPED
                break
            if max_seconds is not None and time.monotonic() - start >= max_seconds:
                reason = StopReason.TIMEOUT
                break
            try:
                data = sock.recv(65538)
            except TimeoutError:
                continue
            except OSError:
                break
            wire.quickack(sock)
            if not data:
                break
            removed = False
            for msg in framer.feed(data):
                try:
                    reply = handle_message(card, msg)
                except CardRemovedError:
                    removed = True
                    break
                if len(msg) > 1:
                    apdus += 1
                if reply is not None:
                    wire.send(sock, reply)
                if card.removed:
                    removed = True
                    break
            if removed:
                reason = StopReason.CARD_REMOVED
                break
    except KeyboardInterrupt:
        reason = StopReason.INTERRUPTED
    finally:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        card.power_off()
    return ServeResult(reason, apdus, time.monotonic() - start)


def serve_in_thread(card: VirtualCard, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
                    ) -> tuple[threading.Thread, threading.Event, list[ServeResult]]:
    """Start `serve` in a daemon thread; returns (thread, stop_event, result holder).

    The connection is made before returning, so a missing vpcd raises here.
    """
    stop = threading.Event()
    results: list[ServeResult] = []
    sock = connect(host, port)  # fail early, in the caller's thread

    def run() -> None:
        results.append(serve_socket(card, sock, stop_event=stop))

    thread = threading.Thread(target=run, name="cardkit-vpcd", daemon=True)
    thread.start()
    return thread, stop, results
