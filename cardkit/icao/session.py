"""One card session: send APDUs (through secure messaging when set), SELECT and READ BINARY,
and read whole LDS files in the largest chunks the card and reader accept.

ICAO 9303-10 §3.5 (file access), ISO/IEC 7816-4 §11.2.2 (SELECT), §11.3.3 (READ BINARY, odd INS
B1 with DO'54' for offsets above 32767). Chunk sizes come from a `ChunkStrategy` kept for the
whole session: `FixedChunks(n)` or `AdaptiveChunks()` (extended length first, stepping down on
6700 / 6Cxx / truncated answers and remembering what worked).

Round trips (each costs ~5 ms of turnaround on a contactless link): the first READ of a file asks
for a whole chunk, not just the TLV header, so a file that fits one chunk costs one READ; a file
with a short EF identifier is read with READ BINARY by SFI (ISO/IEC 7816-4 §11.3.3: P1 = 80|SFI),
which selects it in the same APDU. A chip that refuses SFI reads is read by SELECT from then on.
An answer shorter than asked at the end of the file is the end of the file, not a card limit.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from ..apdu import SW, Command, Response, status_error
from ..errors import (
    CardError,
    FileNotFoundOnCard,
    ParseError,
    SecurityStatusError,
    StatusWordError,
    TransmissionError,
)
from ..lds import tlv
from ..lds.files import EMRTD_AID
from ..transport.base import Transport
from .sm import SecureMessaging, SessionEndedError, TruncatedResponseError

MAX_FILE_SIZE = 1 << 20  # 1 MiB: far above any LDS file (a DG2 is tens of KB)
MAX_SFI_OFFSET = 0xFF  # READ BINARY by SFI carries the offset in P2
MAX_REESTABLISH = 2  # new secure-messaging sessions per read after the chip ended one
MAX_B0_OFFSET = 0x7FFF
MAX_EXTENDED_RESPONSE = 0xFFFF - 2  # response data + SW1 SW2 in one 16-bit-sized message
SHORT_LADDER = (0xDF, 0xC0, 0xA0, 0x80, 0x40)
EXTENDED_STEPS = (0x1000, 0x400)  # intermediate extended sizes before falling back to short

Progress = Callable[[int, int], None]  # (bytes done, bytes total)

_log = logging.getLogger(__name__)


@dataclass
class SessionStats:
    """Counters for benchmarks and reports (no content)."""

    apdus: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    step_downs: int = 0


@dataclass(frozen=True)
class ChunkLimits:
    """What the link allows for one READ BINARY answer, in plain data bytes."""

    short_max: int  # largest plain chunk whose (protected) answer fits a short APDU
    extended_max: int | None  # largest with extended length; None = extended not allowed


class ChunkStrategy(ABC):
    """Chooses the plain chunk size of each READ BINARY; learns from failures."""

    @abstractmethod
    def size(self, remaining: int, limits: ChunkLimits) -> int:
        """Plain bytes to ask for next (1..remaining)."""

    def failed(self, asked: int, limits: ChunkLimits) -> bool:
        """`asked` bytes failed in a way a smaller Le may cure; True = retry smaller."""
        return False

    def succeeded(self, asked: int, limits: ChunkLimits) -> None:  # noqa: B027 (optional hook)
        """`asked` bytes worked."""

    def short_answer(self, asked: int, got: int) -> None:  # noqa: B027 (optional hook)
        """The card gave `got` < `asked` bytes although the file has more (e.g. after the
        transport resolved a 6Cxx): a hint of its real limit."""


class FixedChunks(ChunkStrategy):
    """Always the same chunk size (e.g. 0xA0 or 0xDF), never stepping down."""

    def __init__(self, chunk: int) -> None:
        if not 1 <= chunk <= 65536:
            raise ValueError("chunk size must be 1..65536")
        self.chunk = chunk

    def size(self, remaining: int, limits: ChunkLimits) -> int:
        return max(1, min(self.chunk, remaining))

    def __repr__(self) -> str:
        return f"FixedChunks(0x{self.chunk:X})"


class AdaptiveChunks(ChunkStrategy):
    """Largest chunk first: extended length (up to the link's maximum) when allowed, then
    intermediate extended sizes, then the largest short answer and the short ladder
    0xDF → 0xC0 → 0xA0 → 0x80 → 0x40. A size that failed is never tried again this session."""

    def __init__(self) -> None:
        self.ceiling: int | None = None  # largest size not known to fail
        self.extended_ok: bool | None = None

    def _ladder(self, limits: ChunkLimits) -> list[int]:
        sizes: list[int] = []
        if limits.extended_max is not None and self.extended_ok is not False:
            sizes += [limits.extended_max, *EXTENDED_STEPS]
        sizes += [limits.short_max, *SHORT_LADDER]
        out = sorted({s for s in sizes if s > 0}, reverse=True)
        if self.ceiling is not None:
            out = [s for s in out if s <= self.ceiling]
        return out or [min(SHORT_LADDER)]

    def size(self, remaining: int, limits: ChunkLimits) -> int:
        return max(1, min(self._ladder(limits)[0], remaining))

    def failed(self, asked: int, limits: ChunkLimits) -> bool:
        smaller = [s for s in self._ladder(limits) if s < asked]
        if asked > limits.short_max and all(s <= limits.short_max for s in smaller):
            self.extended_ok = False
        if not smaller:
            return False
        self.ceiling = smaller[0]
        return True

    def succeeded(self, asked: int, limits: ChunkLimits) -> None:
        if asked > limits.short_max:
            self.extended_ok = True

    def short_answer(self, asked: int, got: int) -> None:
        if got > 0 and (self.ceiling is None or got < self.ceiling):
            self.ceiling = got

    def __repr__(self) -> str:
        return "AdaptiveChunks()"


class CardSession:
    """APDU exchange with one chip over `transport`; `sm` protects commands once set."""

    def __init__(self, transport: Transport, *, log: logging.Logger | None = None,
                 chunks: ChunkStrategy | None = None) -> None:
        self.transport = transport
        self.sm: SecureMessaging | None = None
        self.log = log or _log
        self.chunks: ChunkStrategy = chunks or AdaptiveChunks()
        self.stats = SessionStats()
        self.access_method: str | None = None  # "bac" / "pace" once authenticated
        self.sfi_reads: bool | None = None  # READ BINARY by SFI: works / refused / untried
        self.terminal_authenticated = False  # set by Terminal Authentication (EAC) when done
        # what the chip says about extended length (ATR, EF.ATR/INFO): False = never probe it
        self.card_extended: bool | None = None
        self.card_max_response: int | None = None
        # re-runs the access protocol with the key the chip already accepted (set by
        # open_session); used when the chip ends secure messaging on an error
        self.reestablish: Callable[[], None] | None = None
        self.reestablished = 0
        self._current_fid: int | None = None  # the EF selected (by SELECT or an SFI read)

    def __repr__(self) -> str:
        return f"CardSession({self.transport.info.name!r}, sm={self.sm!r})"

    # --- APDU exchange ------------------------------------------------------------------------

    def send(self, cmd: Command) -> Response:
        """Send one command (wrapped and unwrapped under secure messaging); no SW check."""
        sm = self.sm
        wire = sm.wrap(cmd) if sm is not None else cmd
        raw_cmd = wire.to_bytes()
        try:
            raw = self.transport.transmit(raw_cmd)
        except TransmissionError:
            if sm is not None:
                sm.skip_response()  # the card most likely answered and counted it
            raise
        self.stats.apdus += 1
        self.stats.bytes_sent += len(raw_cmd)
        self.stats.bytes_received += len(raw)
        resp = Response.from_bytes(raw)
        # Headers, lengths and status only: data may hold cryptograms or personal data.
        self.log.debug("APDU %02X %02X %02X %02X lc=%d le=%s -> %d bytes, SW %04X%s",
                       cmd.cla, cmd.ins, cmd.p1, cmd.p2, len(cmd.data), cmd.le,
                       len(resp.data), resp.sw, " (SM)" if sm is not None else "")
        return sm.unwrap(resp) if sm is not None else resp

    # --- ISO/IEC 7816-4 commands --------------------------------------------------------------

    def select_application(self, aid: bytes = EMRTD_AID) -> None:
        """SELECT the eMRTD application by DF name (ICAO 9303-10 §3.5.1; P1=04, P2=0C)."""
        self.send(Command(0x00, 0xA4, 0x04, 0x0C, bytes(aid))).check("selecting the ID application")

    def select_ef(self, fid: int) -> None:
        """SELECT an elementary file by file identifier (P1=02, P2=0C: no FCI)."""
        self.send(Command(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))).check(
            f"selecting file {fid:04X}")
        self._current_fid = fid

    def read_binary_response(self, offset: int, le: int, *, sfi: int | None = None) -> Response:
        """READ BINARY of `le` plain bytes at `offset` of the current EF (or of the EF with short
        identifier `sfi`, which becomes the current EF); data unwrapped from DO'53' for offsets
        above 32767 (odd INS B1 with DO'54')."""
        if not 0 <= offset <= 0xFFFFFF:
            raise ValueError("offset out of range")
        if sfi is not None:
            if not 1 <= sfi <= 30 or offset > MAX_SFI_OFFSET:
                raise ValueError("SFI 1..30 with an offset of at most 255")
            return self.send(Command(0x00, 0xB0, 0x80 | sfi, offset, le=le))
        if offset <= MAX_B0_OFFSET:
            return self.send(Command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=le))
        off = offset.to_bytes(max(1, (offset.bit_length() + 7) // 8), "big")
        resp = self.send(Command(0x00, 0xB1, 0x00, 0x00, tlv.encode(0x54, off),
                                 le=min(65536, le + _do53_header(le))))
        if not resp.data:
            return resp
        try:
            do53 = tlv.parse(resp.data, 0x53)
        except ParseError as exc:
            raise ParseError(f"READ BINARY (B1) answer is not a DO'53': {exc}") from None
        return Response(do53.value, resp.sw)

    def read_binary(self, offset: int, le: int) -> bytes:
        """READ BINARY; returns the data (9000, or 6282 end of file reached early)."""
        resp = self.read_binary_response(offset, le)
        if resp.sw not in (SW.OK, SW.WARNING_END_OF_FILE):
            raise status_error(resp.sw, f"reading at offset {offset}")
        return resp.data

    # --- whole files --------------------------------------------------------------------------

    def limits(self, *, odd_ins: bool = False) -> ChunkLimits:
        """Largest plain chunks the link allows now (short / extended), SM overhead included."""
        info = self.transport.info
        ext_limit = MAX_EXTENDED_RESPONSE
        if info.max_response is not None:
            ext_limit = min(ext_limit, info.max_response)
        if self.card_max_response is not None:
            ext_limit = min(ext_limit, max(self.card_max_response, 1))
        short_limit = min(256, ext_limit)
        sm = self.sm
        if sm is not None:
            short_max = sm.max_plain(short_limit, odd_ins=odd_ins)
            ext_max = sm.max_plain(ext_limit, odd_ins=odd_ins)
        else:
            short_max, ext_max = short_limit, ext_limit
        if odd_ins:
            short_max -= _do53_header(short_max)
            ext_max -= _do53_header(ext_max)
        allowed = (info.extended_length is not False and self.card_extended is not False
                   and ext_max > short_max)
        return ChunkLimits(short_max, ext_max if allowed else None)

    def read_file(self, fid: int, progress: Progress | None = None, *,
                  select: bool = True, sfi: int | None = None) -> bytes:
        """Read file `fid` whole: the TLV header in the first answer gives the size
        (ICAO 9303-10 §4.6). With `sfi` (its short EF identifier) the first READ selects the file
        by SFI when the chip allows it; otherwise SELECT by `fid` first (`select=False`: read the
        file selected already).

        Raises SecurityStatusError (6982), FileNotFoundOnCard (6A82), ParseError for a header
        that is not TLV or a size above 1 MiB; CardRemovedError propagates unchanged.
        """
        by_sfi = select and sfi is not None and self.sfi_reads is not False
        if select and not by_sfi:
            self.select_ef(fid)
        head, asked = self._first_read(fid, sfi if by_sfi else None)
        try:
            _tag, length, header_len = tlv.read_header(head)
        except ParseError as exc:
            raise ParseError(f"file {fid:04X} does not start with a TLV header: {exc}") from None
        total = header_len + length
        if total > MAX_FILE_SIZE:
            raise ParseError(f"file {fid:04X} claims {total} bytes (more than 1 MiB): refused")
        if len(head) < min(asked, total):
            self.chunks.short_answer(asked, len(head))  # a limit, not the end of the file
        buf = bytearray(head[:total])
        if progress:
            progress(len(buf), total)
        while len(buf) < total:
            chunk, asked = self._read_chunk(len(buf), total - len(buf))
            if not chunk:
                raise ParseError(f"file {fid:04X} ended at {len(buf)} of {total} bytes")
            if len(chunk) < asked:
                self.chunks.short_answer(asked, len(chunk))
            buf += chunk[: total - len(buf)]
            if progress:
                progress(len(buf), total)
        return bytes(buf)

    def _first_read(self, fid: int, sfi: int | None) -> tuple[bytes, int]:
        """The first chunk of a file (as large as the strategy allows: most files fit), by SFI
        when given. A chip that answers an SFI read with anything but data, 6982 (access refused)
        or 6A82 is read by SELECT from now on; 6A82 is confirmed by SELECT (a chip that does not
        know SFIs may say 'not found')."""
        if sfi is None:
            head, asked = self._read_chunk(0, MAX_FILE_SIZE)
        else:
            try:
                head, asked = self._read_chunk(0, MAX_FILE_SIZE, sfi=sfi)
                self.sfi_reads = True
                self._current_fid = fid  # an SFI read selects the file
            except StatusWordError as exc:
                if isinstance(exc, SecurityStatusError):
                    raise
                self.log.debug("READ BINARY by SFI %02X refused (%04X): SELECT instead",
                               sfi, exc.sw)
                if not isinstance(exc, FileNotFoundOnCard):
                    self.sfi_reads = False
                self.select_ef(fid)  # FileNotFoundOnCard here: the file is really absent
                self.sfi_reads = False  # the file exists, but not for an SFI read
                head, asked = self._read_chunk(0, MAX_FILE_SIZE)
        return head, asked

    def _read_chunk(self, offset: int, remaining: int, *,
                    sfi: int | None = None) -> tuple[bytes, int]:
        """Read up to `remaining` bytes at `offset`, as large as the strategy allows.
        Returns the data and the size asked for."""
        odd = offset > MAX_B0_OFFSET
        while True:
            limits = self.limits(odd_ins=odd)
            asked = self.chunks.size(remaining, limits)
            if limits.extended_max is None:
                asked = min(asked, limits.short_max)
            try:
                resp = self.read_binary_response(offset, asked, sfi=sfi)
            except SessionEndedError:
                # The chip ended SM (after refusing a size, typically): the key was accepted
                # before, so open a new session with it, select the file again and go on
                # with smaller chunks; the strategy remembers the chip's limit.
                if self.reestablish is None or self.reestablished >= MAX_REESTABLISH:
                    raise
                self.reestablished += 1
                self.log.info("the chip ended secure messaging; establishing it again")
                self.reestablish()
                if sfi is None and self._current_fid is not None:  # (an SFI read selects)
                    self.select_ef(self._current_fid)
                if asked > limits.short_max:  # the extended size itself may have ended it
                    self.chunks.failed(asked, limits)
                continue
            except (TruncatedResponseError, TransmissionError) as exc:
                if self.chunks.failed(asked, limits):
                    self._stepped(asked, exc)
                    continue
                raise
            if resp.sw == SW.WRONG_LENGTH or resp.sw >> 8 == 0x6C or (
                    resp.sw == SW.WARNING_END_OF_FILE and not resp.data):
                if self.chunks.failed(asked, limits):
                    self._stepped(asked, None, resp.sw)
                    continue
                raise status_error(resp.sw, f"reading at offset {offset}")
            if resp.sw not in (SW.OK, SW.WARNING_END_OF_FILE):
                raise status_error(resp.sw, f"reading at offset {offset}")
            if resp.data:
                self.chunks.succeeded(asked, limits)
            return resp.data[:asked], asked

    def _stepped(self, asked: int, exc: CardError | None, sw: int | None = None) -> None:
        self.stats.step_downs += 1
        why = f"SW {sw:04X}" if sw is not None else type(exc).__name__
        self.log.debug("READ BINARY of %d bytes failed (%s): stepping down", asked, why)


def _do53_header(n: int) -> int:
    """Size of the DO'53' header around `n` data bytes (B1 answers)."""
    return 2 if n < 0x80 else 3 if n < 0x100 else 4


__all__ = [
    "AdaptiveChunks",
    "CardSession",
    "ChunkLimits",
    "ChunkStrategy",
    "FixedChunks",
    "SessionStats",
]
