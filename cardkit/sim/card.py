"""The virtual CCCD chip: an ISO/IEC 7816-4 card with the eMRTD application (ICAO 9303-10/-11).

Written as a card would be, from the standards — it never imports the terminal's protocols
(`cardkit.icao`). What it does, like the Vietnamese chip:

- SELECT the eMRTD application by AID A0000002471001, EFs by FID (P1=02, P2=0C or 00);
  EF.CardAccess (011C) is selectable directly; SELECT of the MF (P1=00, 3F00) answers 6D00.
- BAC (ICAO 9303-11 §4.3): GET CHALLENGE + EXTERNAL AUTHENTICATE, then 3DES secure messaging.
  A wrong key answers 6300. A wrong command MAC answers 6988 and closes the session.
- READ BINARY B0 (offset ≤ 32767, or SFI in P1) and B1 (offset in DO'54', data in DO'53'),
  short and extended Le. LDS files need secure messaging (6982 otherwise); DG3 answers 6982
  until Terminal Authentication.

Extension points for the PACE / CA / AA card side: `handlers` maps INS → handler
(`handler(card, command) -> Reply`), `install_sm(sm)` switches the session to a new
card-side SM object (takes effect after the current response), `close_session()` drops it,
and `session.extra` keeps protocol state. Modules `cardkit.sim.pace_card`,
`cardkit.sim.chip_auth_card`, `cardkit.sim.active_auth_card` are loaded when present and their
`install(card)` function is called.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..apdu import SW, Command
from ..errors import CardRemovedError
from ..lds import files as lds_files
from ..lds import tlv
from ..lds.mrz import check_digit
from .sm import CardSM, SMError, TripleDesSM, des3_decrypt, des3_encrypt, kdf, retail_mac

log = logging.getLogger(__name__)

# ISO/IEC 7816-3 §8: TS=3B, T0=86 (TD1, 6 historical bytes), TD1=80 (TD2), TD2=01 (T=1),
# historical bytes 80 (compact-TLV) 64 'CKVN' (pre-issuing data), TCK.
_ATR_BODY = bytes.fromhex("3B868001") + bytes.fromhex("8064") + b"CKVN"


def _with_tck(body: bytes) -> bytes:
    tck = 0
    for b in body[1:]:
        tck ^= b
    return body + bytes((tck,))


ATR = _with_tck(_ATR_BODY)

EAC_PROTECTED = frozenset({"DG3", "DG4"})  # need Terminal Authentication (ICAO 9303-11 §7.1)
MAX_FILE = 0xFFFFFF  # B1 offsets are 3 bytes at most here


@dataclass(frozen=True)
class Quirks:
    """How this card departs from the ideal chip.

    `max_le`: largest Ne accepted by READ BINARY (larger → `wrong_le_sw`: 6700, or 6Cxx with
    xx = max_le when `wrong_le_sw` is 0x6C00 and the command is plain); `extended_length`: False
    → extended APDUs answer 6700; `delay_ms`: per APDU; `remove_after`: the card leaves the
    field after answering that many APDUs; `corrupt_mac_after`: every SM response after that
    many APDUs carries a flipped MAC bit; `corrupt_mac_at`: only the SM responses to these APDU
    numbers (1-based) do (a transient link error); `end_sm_on_wrong_length`: a wrong-length
    command (extended APDU on a short-only chip, Le above `max_le`) is answered with a bare 6700
    and ends the secure-messaging session, as some chips do on any error; `sfi_sw`: READ BINARY
    by short EF identifier is not supported and answers this status word (e.g. 0x6A86, 0x6A82).
    """

    max_le: int = 65536
    extended_length: bool = True
    delay_ms: int = 0
    remove_after: int | None = None
    corrupt_mac_after: int | None = None
    corrupt_mac_at: tuple[int, ...] = ()
    end_sm_on_wrong_length: bool = False
    wrong_le_sw: int = 0x6700
    sfi_sw: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.max_le <= 65536:
            raise ValueError("max_le must be 1..65536")
        if self.wrong_le_sw not in (0x6700, 0x6C00):
            raise ValueError("wrong_le_sw must be 0x6700 or 0x6C00")
        if self.delay_ms < 0:
            raise ValueError("delay_ms must be >= 0")


class Access(Enum):
    """What the terminal has proved in this session."""

    NONE = "none"
    BAC = "bac"
    PACE = "pace"


@dataclass(frozen=True)
class Reply:
    """A handler's answer before secure messaging: response data and status word."""

    data: bytes = b""
    sw: int = SW.OK


@dataclass
class Session:
    """Volatile state: lost on power off, reset and card removal."""

    applet_selected: bool = False
    current: str | None = None  # name of the selected EF ("COM", "DG1", "CardAccess" ...)
    challenge: bytes | None = None
    sm: CardSM | None = None
    access: Access = Access.NONE
    terminal_authenticated: bool = False
    via_sm: bool = False  # the command being processed arrived under secure messaging
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[["VirtualCard", Command], Reply]
CardRandom = Callable[[int, str], bytes]


def _os_random(n: int, purpose: str) -> bytes:
    return os.urandom(n)


def mrz_information(document_number: str, date_of_birth: str, date_of_expiry: str) -> str:
    """ICAO 9303-11 §9.7.2 (card side): document number (padded to 9) + DOB + DOE, each with
    its check digit."""
    doc = document_number.upper().ljust(9, "<")
    return (doc + check_digit(doc) + date_of_birth + check_digit(date_of_birth)
            + date_of_expiry + check_digit(date_of_expiry))


class VirtualCard:
    """One virtual chip. `process()` answers any byte string with a response APDU; it never
    raises on hostile input (an internal error answers 6F00)."""

    atr: bytes = ATR

    def __init__(
        self,
        source: Any,
        *,
        mrz_info: str | None = None,
        quirks: Quirks | None = None,
        random: CardRandom | None = None,
        extensions: bool = True,
    ) -> None:
        """`source` is a `Persona` (files, MRZ key, quirks taken from it) or a mapping of file
        name → bytes (then pass `mrz_info`, the MRZ information for BAC)."""
        if isinstance(source, Mapping):
            self.persona = None
            self.files: dict[str, bytes] = dict(source)
        else:
            self.persona = source
            self.files = dict(source.files)
            if mrz_info is None:
                mrz_info = source.mrz_information
            if quirks is None:
                quirks = source.quirks
        self.mrz_info = mrz_info
        self.quirks = quirks or Quirks()
        self.random: CardRandom = random or _os_random
        self.session = Session()
        self.apdu_count = 0
        self.removed = False
        self.powered = False
        self._pending_sm: CardSM | None | bool = False  # False = nothing pending
        self.handlers: dict[int, Handler] = {
            0xA4: _select,
            0xB0: _read_binary,
            0xB1: _read_binary,
            0x84: _get_challenge,
            0x82: _external_authenticate,
        }
        self._defaults = dict(self.handlers)
        if extensions:
            self._load_extensions()

    # --- extension API -------------------------------------------------------------------------

    def default_handler(self, ins: int) -> Handler | None:
        """The built-in handler for `ins` (for extensions that chain to it)."""
        return self._defaults.get(ins)

    def install_sm(self, sm: CardSM | None, access: Access | None = None) -> None:
        """Switch secure messaging (None = plain). Inside a handler it takes effect after the
        current response is sent (so the response to the establishing command is protected with
        the old keys, or plain); outside a handler, at once."""
        if access is not None:
            self.session.access = access
        if self._in_process:
            self._pending_sm = sm
        else:
            self.session.sm = sm

    def close_session(self) -> None:
        """Drop secure messaging and every access right (ICAO 9303-11 §9.8.7: SM error)."""
        self.session.sm = None
        self.session.access = Access.NONE
        self.session.terminal_authenticated = False
        self.session.challenge = None
        self._pending_sm = False

    def _load_extensions(self) -> None:
        # imported here: these card-side protocol modules import VirtualCard from this module
        from . import active_auth_card, chip_auth_card, pace_card, terminal_auth_card

        for module in (pace_card, chip_auth_card, active_auth_card, terminal_auth_card):
            module.install(self)

    # --- power ---------------------------------------------------------------------------------

    _in_process = False

    def power_on(self) -> bytes:
        self.powered = True
        self.session = Session()
        self._pending_sm = False
        return self.atr

    def power_off(self) -> None:
        self.powered = False
        self.session = Session()
        self._pending_sm = False

    def reset(self) -> bytes:
        return self.power_on()

    def insert(self) -> None:
        """Put a removed card back on the reader (APDU counter restarts)."""
        self.removed = False
        self.apdu_count = 0
        self.power_off()

    # --- APDU processing -----------------------------------------------------------------------

    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU with data + SW1 SW2. Raises only CardRemovedError (the card
        has left the field)."""
        if self.removed:
            raise CardRemovedError()
        if not self.powered:
            self.power_on()
        self.apdu_count += 1
        if self.quirks.delay_ms:
            time.sleep(self.quirks.delay_ms / 1000)
        self._in_process = True
        try:
            return self._process(bytes(apdu))
        except Exception:  # a bug in a handler must not crash the reader loop
            log.exception("virtual card: internal error")
            self.close_session()
            return SW.UNKNOWN.to_bytes(2, "big")
        finally:
            self._in_process = False
            if self._pending_sm is not False:
                self.session.sm = self._pending_sm  # type: ignore[assignment]
                self._pending_sm = False
            q = self.quirks.remove_after
            if q is not None and self.apdu_count >= q:
                self.removed = True
                self.power_off()

    def _process(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return _sw(SW.WRONG_LENGTH)
        try:
            cmd = Command.from_bytes(apdu)
        except Exception:
            return _sw(SW.WRONG_LENGTH)
        if cmd.cla & 0xE3:  # proprietary class, logical channels: not supported
            return _sw(SW.CLA_NOT_SUPPORTED)
        extended = _is_extended(apdu)
        if extended and not self.quirks.extended_length:
            if self.quirks.end_sm_on_wrong_length:
                self.close_session()
            return _sw(SW.WRONG_LENGTH)
        if cmd.cla & 0x0C == 0x0C:
            return self._process_protected(apdu, cmd, extended)
        if self.session.sm is not None:  # a plain command ends the SM session (§9.8.7)
            self.close_session()
        self.session.via_sm = False
        reply = self._dispatch(cmd)
        return reply.data + reply.sw.to_bytes(2, "big")

    def _process_protected(self, apdu: bytes, cmd: Command, extended: bool) -> bytes:
        sm = self.session.sm
        if sm is None:
            return _sw(SW.SM_DATA_MISSING)
        try:
            inner = sm.unwrap_command(apdu[:4], cmd.data)
        except SMError as exc:
            self.close_session()
            return _sw(exc.sw)
        plain = Command(cmd.cla & ~0x0C & 0xFF, cmd.ins, cmd.p1, cmd.p2, inner.data, inner.ne)
        self.session.via_sm = True
        reply = self._dispatch(plain)
        if (not extended and not self.quirks.extended_length
                and sm.protected_size(len(reply.data), odd_ins=bool(cmd.ins & 1)) > 256):
            reply = Reply(b"", SW.WRONG_LENGTH)  # does not fit a short protected response
        if reply.sw == SW.WRONG_LENGTH and self.quirks.end_sm_on_wrong_length:
            self.close_session()
            return _sw(SW.WRONG_LENGTH)
        corrupt = ((self.quirks.corrupt_mac_after is not None
                    and self.apdu_count > self.quirks.corrupt_mac_after)
                   or self.apdu_count in self.quirks.corrupt_mac_at)
        return sm.wrap_response(reply.data, reply.sw, odd_ins=bool(cmd.ins & 1),
                                corrupt_mac=corrupt)

    def _dispatch(self, cmd: Command) -> Reply:
        handler = self.handlers.get(cmd.ins)
        if handler is None:
            return Reply(sw=SW.INS_NOT_SUPPORTED)
        return handler(self, cmd)

    # --- helpers for handlers ------------------------------------------------------------------

    def file_by_fid(self, fid: int) -> str | None:
        if (fid == lds_files.CVCA.fid and "CVCA" in self.files
                and self.session.applet_selected):
            return "CVCA"  # EF.CVCA inside the application shadows EF.CardAccess (MF)
        for name in self.files:
            f = lds_files.ALL.get(name)
            if f is not None and f.fid == fid:
                return name
        return None

    def file_by_sfi(self, sfi: int) -> str | None:
        if (sfi == lds_files.CVCA.sfi and "CVCA" in self.files
                and self.session.applet_selected):
            return "CVCA"
        for name in self.files:
            f = lds_files.ALL.get(name)
            if f is not None and f.sfi == sfi:
                return name
        return None

    def may_read(self, name: str) -> int:
        """SW for reading `name` now: 9000, or 6982 (needs SM / Terminal Authentication)."""
        if name == "CardAccess":
            return SW.OK
        if self.session.sm is None:
            return SW.SECURITY_STATUS
        if name in EAC_PROTECTED and (not self.session.terminal_authenticated
                                      or name not in self.session.extra.get("eac_files", ())):
            return SW.SECURITY_STATUS  # DG3/DG4: after TA, and only with the CHAT's right
        return SW.OK


def _is_extended(apdu: bytes) -> bool:
    return len(apdu) >= 7 and apdu[4] == 0


def _sw(sw: int) -> bytes:
    return int(sw).to_bytes(2, "big")


# --- SELECT (ISO/IEC 7816-4 §11.2.2) ------------------------------------------------------------


def _select(card: VirtualCard, cmd: Command) -> Reply:
    s = card.session
    if cmd.p1 == 0x04:  # by DF name
        if cmd.data != lds_files.EMRTD_AID:
            return Reply(sw=SW.FILE_NOT_FOUND)
        if cmd.p2 not in (0x0C, 0x00, 0x04):
            return Reply(sw=0x6A86)
        s.applet_selected = True
        s.current = None
        return Reply()
    if cmd.p1 == 0x00:  # MF / by FID from MF: not supported, like the Vietnamese chip
        return Reply(sw=SW.INS_NOT_SUPPORTED)
    if cmd.p1 != 0x02:
        return Reply(sw=0x6A86)
    if cmd.p2 not in (0x0C, 0x00, 0x04):
        return Reply(sw=0x6A86)
    if len(cmd.data) != 2:
        return Reply(sw=SW.WRONG_LENGTH)
    fid = int.from_bytes(cmd.data, "big")
    name = card.file_by_fid(fid)
    if name is None or (name != "CardAccess" and not s.applet_selected):
        return Reply(sw=SW.FILE_NOT_FOUND)
    if name != "CardAccess" and card.session.sm is None:
        return Reply(sw=SW.SECURITY_STATUS)
    s.current = name
    if cmd.p2 == 0x0C:
        return Reply()
    size = len(card.files[name])
    fcp = (tlv.encode(0x80, size.to_bytes(2 if size < 65536 else 3, "big"))
           + tlv.encode(0x82, b"\x01") + tlv.encode(0x83, cmd.data))
    return Reply(tlv.encode(0x62, fcp))


# --- READ BINARY (ISO/IEC 7816-4 §11.3.3) --------------------------------------------------------


def _read_binary(card: VirtualCard, cmd: Command) -> Reply:
    s = card.session
    odd = cmd.ins == 0xB1
    if odd:
        if cmd.p1 or cmd.p2:
            name = card.file_by_fid((cmd.p1 << 8) | cmd.p2)
            if name is None or (name != "CardAccess" and not s.applet_selected):
                return Reply(sw=SW.FILE_NOT_FOUND)
        else:
            name = s.current
        try:
            do54 = tlv.parse(cmd.data, 0x54)
        except Exception:
            return Reply(sw=SW.WRONG_DATA)
        if not 1 <= len(do54.value) <= 3:
            return Reply(sw=SW.WRONG_DATA)
        offset = int.from_bytes(do54.value, "big")
    elif cmd.p1 & 0x80:  # short EF identifier in P1, offset in P2
        if card.quirks.sfi_sw is not None:
            return Reply(sw=card.quirks.sfi_sw)
        if cmd.p1 & 0x60:
            return Reply(sw=0x6A86)
        name = card.file_by_sfi(cmd.p1 & 0x1F)
        if name is None or (name != "CardAccess" and not s.applet_selected):
            return Reply(sw=SW.FILE_NOT_FOUND)
        offset = cmd.p2
    else:
        name = s.current
        offset = (cmd.p1 << 8) | cmd.p2
    if name is None:
        return Reply(sw=0x6986)  # no current EF
    access = card.may_read(name)
    if access != SW.OK:
        return Reply(sw=access)
    ne = cmd.le
    if ne is None:
        return Reply(sw=SW.WRONG_LENGTH)
    q = card.quirks
    if ne > q.max_le:
        if q.wrong_le_sw == 0x6C00 and not s.via_sm and q.max_le <= 256:
            return Reply(sw=0x6C00 | (q.max_le & 0xFF))
        return Reply(sw=SW.WRONG_LENGTH)
    s.current = name
    content = card.files[name]
    if offset > len(content):
        return Reply(sw=SW.WRONG_P1P2)
    if odd:
        n = ne - 2 if ne <= 0x81 else ne - 3 if ne <= 0x102 else ne - 4
        n = max(0, n)
        chunk = content[offset: offset + n]
        data = tlv.encode(0x53, chunk)
        short = len(chunk) < n
    else:
        data = content[offset: offset + ne]
        short = len(data) < ne
    wildcard = ne in (256, 65536)
    return Reply(data, SW.WARNING_END_OF_FILE if short and not wildcard else SW.OK)


# --- BAC (ICAO 9303-11 §4.3, card side) ----------------------------------------------------------


def _get_challenge(card: VirtualCard, cmd: Command) -> Reply:
    if cmd.p1 or cmd.p2:
        return Reply(sw=0x6A86)
    if cmd.le != 8:
        return Reply(sw=SW.WRONG_LENGTH)
    card.session.challenge = card.random(8, "card.rnd_ic")
    return Reply(card.session.challenge)


def _external_authenticate(card: VirtualCard, cmd: Command) -> Reply:
    s = card.session
    if s.via_sm:  # Terminal Authentication is not offered by the base card
        return Reply(sw=SW.CONDITIONS_NOT_SATISFIED)
    if card.mrz_info is None:
        return Reply(sw=SW.CONDITIONS_NOT_SATISFIED)
    if s.challenge is None:
        return Reply(sw=SW.CONDITIONS_NOT_SATISFIED)
    if len(cmd.data) != 40 or cmd.p1 or cmd.p2:
        s.challenge = None
        return Reply(sw=SW.WRONG_LENGTH if len(cmd.data) != 40 else 0x6A86)
    k_seed = hashlib.sha1(card.mrz_info.encode("ascii")).digest()[:16]
    k_enc, k_mac = kdf(k_seed, 1), kdf(k_seed, 2)
    e_ifd, m_ifd = cmd.data[:32], cmd.data[32:]
    rnd_ic = s.challenge
    s.challenge = None  # one attempt per challenge
    if not hmac.compare_digest(retail_mac(k_mac, e_ifd), m_ifd):
        return Reply(sw=0x6300)
    plain = des3_decrypt(k_enc, e_ifd)
    rnd_ifd, echoed, k_ifd = plain[:8], plain[8:16], plain[16:32]
    if not hmac.compare_digest(echoed, rnd_ic):
        return Reply(sw=0x6300)
    k_ic = card.random(16, "card.k_ic")
    e_ic = des3_encrypt(k_enc, rnd_ic + rnd_ifd + k_ic)
    m_ic = retail_mac(k_mac, e_ic)
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
    ssc = int.from_bytes(rnd_ic[4:] + rnd_ifd[4:], "big")
    card.install_sm(TripleDesSM(kdf(seed, 1), kdf(seed, 2), ssc), Access.BAC)
    return Reply(e_ic + m_ic)
