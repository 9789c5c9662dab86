"""`PcscTransport`: APDUs through a PC/SC reader (pcsc-lite / WinSCard) via pyscard.

PC/SC part 5 (ICC resource manager): establish a context, list readers, wait for a card
(SCardGetStatusChange), connect T=0 or T=1, transmit. 61xx / 6Cxx are resolved by
`Transport.transmit` (base.py). Every PC/SC failure becomes a cardkit error with a message a
teller can act on — never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable

from ..errors import CardError, CardRemovedError, NoCardError, ReaderError, TransmissionError
from .base import Transport, TransportInfo
from .profiles import ReaderProfile, match_profile

log = logging.getLogger(__name__)

START_PCSCD = "PC/SC service not running — start it with `sudo systemctl start pcscd` (or `pcscd`)"
NO_READER = ("No card reader found — plug the reader in (check `lsusb`), then run `cardkit doctor`"
             " for the fix")

try:  # pyscard is a hard dependency, but keep import errors readable
    from smartcard import scard as _scard
except ImportError:  # pragma: no cover - exercised only on broken installs
    _scard = None

# PC/SC return codes (pcsclite.h); fixed values so the mapping works without pyscard constants.
SCARD_S_SUCCESS = 0x00000000
SCARD_E_CANCELLED = 0x80100002
SCARD_E_INVALID_HANDLE = 0x80100003
SCARD_E_UNKNOWN_READER = 0x80100009
SCARD_E_TIMEOUT = 0x8010000A
SCARD_E_SHARING_VIOLATION = 0x8010000B
SCARD_E_NO_SMARTCARD = 0x8010000C
SCARD_E_PROTO_MISMATCH = 0x8010000F
SCARD_E_NOT_TRANSACTED = 0x80100016
SCARD_E_READER_UNAVAILABLE = 0x80100017
SCARD_E_NO_SERVICE = 0x8010001D
SCARD_E_SERVICE_STOPPED = 0x8010001E
SCARD_E_NO_READERS_AVAILABLE = 0x8010002E
SCARD_W_UNSUPPORTED_CARD = 0x80100065
SCARD_W_UNRESPONSIVE_CARD = 0x80100066
SCARD_W_UNPOWERED_CARD = 0x80100067
SCARD_W_RESET_CARD = 0x80100068
SCARD_W_REMOVED_CARD = 0x80100069
SCARD_E_COMM_DATA_LOST = 0x8010002F
SCARD_E_NO_ACCESS = 0x80100027

SCARD_STATE_UNAWARE = 0x0000
SCARD_STATE_CHANGED = 0x0002
SCARD_STATE_EMPTY = 0x0010
SCARD_STATE_PRESENT = 0x0020
SCARD_STATE_MUTE = 0x0200
SCARD_STATE_INUSE = 0x0100
SCARD_STATE_EXCLUSIVE = 0x0080

_SETTLING = {SCARD_W_UNRESPONSIVE_CARD, SCARD_W_UNPOWERED_CARD, SCARD_E_NO_SMARTCARD,
             SCARD_W_REMOVED_CARD, SCARD_W_RESET_CARD, SCARD_E_NOT_TRANSACTED}
WAIT_SLICE_MS = 500  # GetStatusChange slices, so Ctrl-C stays responsive


def _u32(rc: int) -> int:
    return rc & 0xFFFFFFFF


def pcsc_error(rc: int, doing: str, reader: str = "") -> CardError:
    """Map a PC/SC return code to the cardkit error a caller should see."""
    rc = _u32(rc)
    where = f" on {reader}" if reader else ""
    if rc in (SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED):
        return ReaderError(START_PCSCD)
    if rc == SCARD_E_NO_READERS_AVAILABLE:
        return ReaderError(NO_READER)
    if rc in (SCARD_E_UNKNOWN_READER, SCARD_E_READER_UNAVAILABLE):
        return ReaderError(f"Reader{where or ''} unplugged or unavailable — plug it in again and "
                           "retry (`cardkit readers` lists what is connected)")
    if rc == SCARD_E_NO_ACCESS:
        return ReaderError("Access to the PC/SC service denied for this user (polkit) — see "
                           "README, Readers, Troubleshooting")
    if rc == SCARD_E_SHARING_VIOLATION:
        return ReaderError(f"Reader{where} is in use by another program — close it and retry")
    if rc in (SCARD_E_NO_SMARTCARD, SCARD_E_TIMEOUT):
        return NoCardError(f"No card on the reader{where} — place the ID card flat on the reader")
    if rc == SCARD_W_REMOVED_CARD:
        return CardRemovedError()
    if rc == SCARD_W_RESET_CARD:
        return CardRemovedError("Card was reset (the reader dropped the field) — hold the card "
                                "still on the reader and read again")
    if rc in (SCARD_W_UNRESPONSIVE_CARD, SCARD_W_UNPOWERED_CARD, SCARD_W_UNSUPPORTED_CARD):
        return NoCardError(f"The card does not answer{where} — place it flat and centred, away "
                           "from other cards and metal, and retry")
    if rc == SCARD_E_PROTO_MISMATCH:
        return TransmissionError(f"Card and reader share no protocol (T=0/T=1){where}")
    return TransmissionError(f"Reader error while {doing}{where}: {_describe(rc)}")


def _describe(rc: int) -> str:
    text = ""
    if _scard is not None:
        try:
            text = _scard.SCardGetErrorMessage(rc).strip().rstrip(".")
        except Exception:  # noqa: BLE001 - a message lookup must never mask the real error
            text = ""
    return f"{text} (0x{rc:08X})" if text else f"0x{rc:08X}"


def _lib() -> object:
    if _scard is None:
        raise ReaderError("pyscard is not installed — install it with `pip install pyscard`")
    return _scard


class _Context:
    """A PC/SC context; released on exit."""

    def __init__(self) -> None:
        lib = _lib()
        try:
            rc, self.handle = lib.SCardEstablishContext(lib.SCARD_SCOPE_USER)
        except Exception as exc:  # noqa: BLE001 - pyscard raises on some platforms
            raise ReaderError(START_PCSCD) from exc
        if rc != SCARD_S_SUCCESS:
            raise pcsc_error(rc, "connecting to the PC/SC service")
        self.lib = lib

    def readers(self) -> list[str]:
        rc, names = self.lib.SCardListReaders(self.handle, [])
        if _u32(rc) == SCARD_E_NO_READERS_AVAILABLE:
            return []
        if rc != SCARD_S_SUCCESS:
            raise pcsc_error(rc, "listing readers")
        return list(names or [])

    def states(self, readers: Iterable[tuple[str, int]], timeout_ms: int
               ) -> list[tuple[str, int, bytes]]:
        rc, new = self.lib.SCardGetStatusChange(self.handle, timeout_ms, list(readers))
        if _u32(rc) == SCARD_E_TIMEOUT:
            return []
        if rc != SCARD_S_SUCCESS:
            raise pcsc_error(rc, "watching the reader")
        return [(name, state, bytes(atr)) for name, state, atr in new]

    def release(self) -> None:
        with contextlib.suppress(Exception):  # releasing is best effort
            self.lib.SCardReleaseContext(self.handle)

    def __enter__(self) -> _Context:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def list_readers() -> list[str]:
    """Names of the PC/SC readers; [] when none. ReaderError when pcscd is unreachable."""
    with _Context() as ctx:
        return ctx.readers()


def service_id() -> str:
    """Which pcscd this process's PC/SC client talks to: the device and inode of its socket
    (PCSCLITE_CSOCK_NAME, else the system socket). Reader names are unique only within one pcscd —
    two pcscd instances on one machine (a private test pcscd, a container) both have "… 00 01"."""
    import os

    path = os.environ.get("PCSCLITE_CSOCK_NAME") or "/run/pcscd/pcscd.comm"
    try:
        st = os.stat(path)
    except OSError:
        return path
    return f"{st.st_dev}:{st.st_ino}"


def reader_state(reader: str) -> tuple[int, bytes]:
    """(SCARD_STATE_* flags, ATR) of one reader right now."""
    with _Context() as ctx:
        got = ctx.states([(reader, SCARD_STATE_UNAWARE)], 0)
        if not got:
            return 0, b""
        return got[0][1], got[0][2]


def pick_reader(names: list[str], reader: str | int | None) -> str:
    """Choose a reader by exact name, index, or case-insensitive substring; None = the first."""
    if not names:
        raise ReaderError(NO_READER)
    if reader is None:
        return names[0]
    if isinstance(reader, int) or (isinstance(reader, str) and reader.isdigit()):
        idx = int(reader)
        if 0 <= idx < len(names):
            return names[idx]
        raise ReaderError(f"No reader number {idx} — there are {len(names)}: "
                          + "; ".join(f"{i}: {n}" for i, n in enumerate(names)))
    if reader in names:
        return reader
    hits = [n for n in names if reader.lower() in n.lower()]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise ReaderError(f"No reader named {reader!r} — connected: {'; '.join(names)}")
    raise ReaderError(f"{reader!r} matches several readers ({'; '.join(hits)}) — give the full "
                      "name or its number")


class PcscTransport(Transport):
    """One card on one PC/SC reader.

    `reader`: name, index or unique substring (None = first reader). `wait`: seconds to wait for a
    card at connect (0 = must be there now). `protocol`: "T=0", "T=1" or None (either).
    `profile`: a ReaderProfile to use instead of the matched one.
    """

    def __init__(self, reader: str | int | None = None, *, wait: float = 0.0,
                 protocol: str | None = None, profile: ReaderProfile | None = None,
                 exclusive: bool = False) -> None:
        self._want = reader
        self._wait = max(0.0, wait)
        self._want_protocol = protocol
        self._profile_override = profile
        self._exclusive = exclusive
        self._ctx: _Context | None = None
        self._card: int | None = None
        self._proto: int = 0
        self._reader = ""
        self._atr = b""
        self._profile: ReaderProfile | None = profile

    # -- Transport ----------------------------------------------------------------------------

    def connect(self) -> None:
        if self._card is not None:
            return
        ctx = _Context()
        try:
            self._reader = pick_reader(ctx.readers(), self._want)
            lib = ctx.lib
            protos = {"T=0": lib.SCARD_PROTOCOL_T0, "T=1": lib.SCARD_PROTOCOL_T1,
                      None: lib.SCARD_PROTOCOL_T0 | lib.SCARD_PROTOCOL_T1}
            if self._want_protocol not in protos:
                raise ReaderError(f"unknown protocol {self._want_protocol!r}: use T=0 or T=1")
            share = lib.SCARD_SHARE_EXCLUSIVE if self._exclusive else lib.SCARD_SHARE_SHARED
            deadline = time.monotonic() + self._wait
            while True:
                self._wait_for_card(ctx, deadline)
                rc, card, proto = lib.SCardConnect(ctx.handle, self._reader, share,
                                                   protos[self._want_protocol])
                if rc == SCARD_S_SUCCESS:
                    break
                # a card still settling on the antenna (or just swapped): retry while we may wait
                if _u32(rc) in _SETTLING and time.monotonic() + 0.1 < deadline:
                    time.sleep(0.1)
                    continue
                raise pcsc_error(rc, "connecting to the card", self._reader)
            self._card, self._proto = card, proto
            rc, _name, _state, _p, atr = lib.SCardStatus(card)
            self._atr = bytes(atr) if rc == SCARD_S_SUCCESS else b""
        except BaseException:
            ctx.release()
            self._card = None
            raise
        self._ctx = ctx
        self._profile = self._profile_override or match_profile(self._reader, self._atr)
        log.debug("connected to %s (%s), profile %s", self._reader, self.info.protocol,
                  self._profile.key)

    def _wait_for_card(self, ctx: _Context, deadline: float) -> None:
        state = SCARD_STATE_UNAWARE
        while True:
            got = ctx.states([(self._reader, state)], 0 if state == SCARD_STATE_UNAWARE
                             else max(1, min(WAIT_SLICE_MS,
                                             int((deadline - time.monotonic()) * 1000))))
            if got:
                state = got[0][1] & ~SCARD_STATE_CHANGED
                if state & SCARD_STATE_PRESENT and not state & SCARD_STATE_MUTE:
                    return
            if time.monotonic() >= deadline:
                waited = f" within {self._wait:g} s" if self._wait else ""
                if state & SCARD_STATE_MUTE:
                    raise pcsc_error(SCARD_W_UNRESPONSIVE_CARD, "waiting", self._reader)
                raise NoCardError(f"No card on {self._reader}{waited} — place the ID card flat "
                                  "on the reader")

    def disconnect(self) -> None:
        if self._card is not None and self._ctx is not None:
            with contextlib.suppress(Exception):  # the card may be gone already
                self._ctx.lib.SCardDisconnect(self._card, self._ctx.lib.SCARD_LEAVE_CARD)
        self._card = None
        if self._ctx is not None:
            self._ctx.release()
            self._ctx = None

    @property
    def profile(self) -> ReaderProfile:
        if self._profile is None:
            self._profile = self._profile_override or match_profile(self._reader or "", self._atr)
        return self._profile

    @property
    def info(self) -> TransportInfo:
        proto = "T=0" if self._ctx is not None and self._proto == self._ctx.lib.SCARD_PROTOCOL_T0 \
            else "T=1"
        return self.profile.transport_info(self._reader, self._atr, proto)

    @property
    def reader(self) -> str:
        return self._reader

    @property
    def atr(self) -> bytes:
        return self._atr

    def _transmit_raw(self, apdu: bytes) -> bytes:
        if self._card is None or self._ctx is None:
            raise TransmissionError("not connected to a card — connect first")
        if self.profile.delay_ms:
            time.sleep(self.profile.delay_ms / 1000)
        try:
            rc, resp = self._ctx.lib.SCardTransmit(self._card, self._proto, list(apdu))
        except Exception as exc:  # noqa: BLE001 - pyscard raises on bad arguments
            raise TransmissionError(f"Reader error while sending an APDU: {exc}") from exc
        if rc != SCARD_S_SUCCESS:
            err = pcsc_error(rc, "sending an APDU", self._reader)
            if isinstance(err, NoCardError) or (
                    _u32(rc) in (SCARD_E_NOT_TRANSACTED, SCARD_E_COMM_DATA_LOST)
                    and self._card_left()):
                err = CardRemovedError()  # mid-session: the card went away
            raise err
        if len(resp) < 2 and self._card_left():
            # A card always answers with a status word; nothing at all while the card is gone
            # means it left mid-exchange (vpcd under load: the card side closed during the APDU).
            raise CardRemovedError()
        log.debug("APDU %s… (%d bytes) -> %d bytes", apdu[:4].hex(), len(apdu), len(resp))
        return bytes(resp)

    def escape(self, name: str) -> bytes:
        """Send the profile's escape command `name` (e.g. "buzzer_off", "firmware_version").

        With `escape_ioctl` set it goes through SCardControl(SCARD_CTL_CODE(n)) (CCID escape,
        PC/SC part 10); otherwise as a pseudo-APDU (class FF) through SCardTransmit.
        Returns the reader's raw answer.
        """
        commands = dict(self.profile.escape)
        if name not in commands:
            known = ", ".join(commands) or "none"
            raise ReaderError(f"Reader profile {self.profile.key} has no escape command "
                              f"{name!r} (known: {known})")
        data = bytes.fromhex(commands[name])
        if self.profile.escape_ioctl is None:
            return self._transmit_raw(data)
        if self._card is None or self._ctx is None:
            raise TransmissionError("not connected to a card — connect first")
        lib = self._ctx.lib
        code = lib.SCARD_CTL_CODE(self.profile.escape_ioctl)
        rc, resp = lib.SCardControl(self._card, code, list(data))
        if rc != SCARD_S_SUCCESS:
            raise pcsc_error(rc, f"sending escape command {name}", self._reader)
        return bytes(resp)

    def _card_left(self, settle_ms: int = 700) -> bool:
        """After a failed exchange: did the card leave? (pcscd notices within one poll)."""
        if self._ctx is None:
            return False
        try:
            got = self._ctx.states([(self._reader, SCARD_STATE_UNAWARE)], 0)
            state = got[0][1] & ~SCARD_STATE_CHANGED if got else 0
            if state & SCARD_STATE_PRESENT:
                got = self._ctx.states([(self._reader, state)], settle_ms)
                state = got[0][1] if got else state
            return not state & SCARD_STATE_PRESENT
        except CardError:
            return False

    def __del__(self) -> None:  # pragma: no cover - safety net only
        with contextlib.suppress(Exception):
            self.disconnect()


def card_events(reader: str | None = None, poll_ms: int = WAIT_SLICE_MS,
                stop: object = None) -> Iterable[tuple[str, str, bytes]]:
    """Yield (event, reader, atr) as cards and readers come and go.

    Events: "present" (card already there at start), "inserted", "removed", "reader-added",
    "reader-removed".

    Uses SCardGetStatusChange (PC/SC part 5 §3.1.3) plus the `\\\\?PnP?\\Notification` pseudo
    reader for hot-plug. `stop`: an object with `is_set()`; checked every `poll_ms`.
    """
    pnp = "\\\\?PnP?\\Notification"
    with _Context() as ctx:
        known: dict[str, int] = {}
        pnp_state = SCARD_STATE_UNAWARE
        first = True
        while stop is None or not stop.is_set():  # type: ignore[attr-defined]
            names = [n for n in ctx.readers() if reader is None or n == reader]
            for gone in [n for n in known if n not in names]:
                del known[gone]
                yield "reader-removed", gone, b""
            for n in names:
                if n not in known:
                    known[n] = SCARD_STATE_UNAWARE
                    if not first:
                        yield "reader-added", n, b""
            query = [(n, s) for n, s in known.items()] + [(pnp, pnp_state)]
            got = ctx.states(query, 0 if first else poll_ms)
            for name, state, atr in got:
                state &= ~SCARD_STATE_CHANGED
                if name == pnp:
                    pnp_state = state
                    continue
                old = known.get(name)
                if old is None:
                    continue
                was = bool(old & SCARD_STATE_PRESENT)
                now = bool(state & SCARD_STATE_PRESENT)
                if now and not was:
                    yield ("present" if first else "inserted"), name, atr
                elif was and not now:
                    yield "removed", name, b""
                known[name] = state
            first = False
