"""Reading the LDS of an eMRTD application (ICAO 9303-10 §3.5, §4.6; 9303-11 §4).

`read_card_access(transport)` reads EF.CardAccess before any application is selected,
`open_session(...)` authenticates (BAC, or PACE when the chip offers it) and selects the eMRTD
application, `read_lds(session)` reads EF.COM, EF.SOD and the data groups EF.COM or EF.SOD lists;
files the chip will not give are reported in `skipped`.
DG3/DG4 (fingerprints, iris) are not even asked for without Terminal Authentication: ICAO
9303-11 §7.1 and BSI TR-03110 protect them by EAC, so the chip would refuse them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import (
    FileNotFoundOnCard,
    InputError,
    ParseError,
    SecurityStatusError,
    StatusWordError,
)
from ..lds import files as lds_files
from ..lds import tlv
from ..lds.atr_info import ATR_INFO_FID, LengthInfo, from_atr, parse_atr_info
from ..lds.card_access import parse_card_access
from ..lds.com import parse_com
from ..rand import RandomSource
from ..transport.base import Transport
from .bac import perform_bac
from .keys import CanKey, MrzKey
from .pace import perform_pace
from .session import CardSession

log = logging.getLogger(__name__)

FileProgress = Callable[[str, int, int], None]  # (file name, bytes done, bytes total)
EAC_FILES = frozenset({"DG3", "DG4"})
_EAC_REASON = "protected: needs Terminal Authentication (EAC)"


@dataclass(frozen=True)
class ReadOutcome:
    """Files read (by LDS name: "COM", "SOD", "DG1" ...) and files skipped, with the reason."""

    files: dict[str, bytes] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


# --- EF.CardAccess --------------------------------------------------------------------------------


def read_card_access(transport: Transport) -> bytes | None:
    """Read EF.CardAccess (FID 011C) by direct SELECT (00 A4 02 0C 02 01 1C), before any
    application is selected; None when the chip has none (6A82) or refuses the SELECT (6D00 ...).
    ICAO 9303-10 §3.11.3."""
    session = CardSession(transport)
    try:
        session.select_ef(lds_files.CARD_ACCESS.fid)
    except StatusWordError:
        return None
    return session.read_file(lds_files.CARD_ACCESS.fid, select=False)


def read_length_info(transport: Transport) -> LengthInfo:
    """Does the chip offer extended length? The ATR's card capabilities decide; when the ATR
    is silent and the link itself does not know, EF.ATR/INFO (FID 2F01, in the MF, read before
    any application is selected) is asked. ICAO 9303-10 §3.11.5."""
    info = from_atr(transport.info.atr)
    if info.extended_length is not None or transport.info.extended_length is not None:
        return info
    session = CardSession(transport)
    try:
        session.select_ef(ATR_INFO_FID)
        return parse_atr_info(session.read_binary(0, 256))
    except StatusWordError:
        return LengthInfo()


def card_access_offers_pace(card_access: bytes | None) -> bool:
    """True when EF.CardAccess holds a PACEInfo (OID under id-PACE 0.4.0.127.0.7.2.2.4)."""
    if not card_access:
        return False
    try:
        return bool(parse_card_access(card_access).pace)
    except ParseError:
        return False


# --- access -----------------------------------------------------------------------------------------


def open_session(
    transport: Transport,
    key: MrzKey | CanKey,
    *,
    access: str = "auto",
    rng: RandomSource,
    card_access: bytes | None = None,
    session: CardSession | None = None,
) -> CardSession:
    """Authenticate and select the eMRTD application; return the protected session.

    `access`: "bac", "pace", or "auto" = PACE when the chip advertises it in EF.CardAccess and
    cardkit has PACE, else BAC. Raises AccessDeniedError on a wrong key.
    """
    if access not in ("auto", "bac", "pace"):
        raise ValueError("access must be 'auto', 'bac' or 'pace'")
    session = session or CardSession(transport)
    use_pace = access == "pace" or (access == "auto" and card_access_offers_pace(card_access))
    if use_pace:
        if card_access is None:
            raise InputError("PACE needs EF.CardAccess, which this chip did not provide: "
                             "use --access bac")
        try:
            result = perform_pace(session, key, card_access, rng)
        except StatusWordError as exc:
            # The chip refused a PACE step by status word (e.g. unsupported parameters): BAC
            # with the same MRZ key is allowed (ICAO 9303-11 §4.2). A failed MAC, token or a
            # refused password is never downgraded to BAC.
            if access == "pace" or not isinstance(key, MrzKey) or isinstance(
                    exc, SecurityStatusError):
                raise
            log.warning("PACE refused by the chip (%04X); falling back to BAC", exc.sw)
            session.sm = None
        else:
            session.pace_result = result  # type: ignore[attr-defined]
            session.access_method = "pace"
            session.select_application()
            _allow_reestablish(session, transport, key, rng, card_access)
            return session
    if not isinstance(key, MrzKey):
        raise InputError("this chip needs the ID number, date of birth and expiry (BAC); "
                         "the CAN works only with PACE")
    session.sm = None
    session.select_application()
    perform_bac(session, key, rng)
    # ID_PICC of Terminal Authentication after BAC: document number + check digit
    session.document_number_cd = key.mrz_information[:10]  # type: ignore[attr-defined]
    _allow_reestablish(session, transport, key, rng, card_access)
    return session


def _allow_reestablish(session: CardSession, transport: Transport, key: MrzKey | CanKey,
                       rng: RandomSource, card_access: bytes | None) -> None:
    """After the chip accepted `key`, a session it ends (e.g. on an error status) may be opened
    again with the same key and protocol. A key the chip rejects is never retried: the
    AccessDeniedError of a failed re-run propagates."""
    method = "pace" if session.access_method == "pace" else "bac"

    def again() -> None:
        session.sm = None
        open_session(transport, key, access=method, rng=rng, card_access=card_access,
                     session=session)

    session.reestablish = again


# --- the LDS --------------------------------------------------------------------------------------


def _com_data_groups(com: bytes) -> list[int]:
    """Data-group numbers listed in EF.COM's tag list (DO'5C'), ICAO 9303-10 §4.6.1."""
    try:
        return list(parse_com(com).data_groups)
    except ParseError as exc:
        log.warning("EF.COM is irregular (%s); reading its tag list leniently", exc)
    outer = tlv.parse(com, lds_files.COM.tag, allow_trailing=True)
    tags = outer.require(0x5C, "EF.COM").value
    return sorted({lds_files.TAG_TO_DG[b] for b in tags if b in lds_files.TAG_TO_DG})


def _sod_data_groups(sod: bytes | None) -> set[int]:
    """Data-group numbers EF.SOD lists (empty when there is no readable EF.SOD)."""
    if not sod:
        return set()
    from ..lds.sod import parse_sod

    try:
        return set(parse_sod(sod).dg_hashes)
    except ParseError as exc:
        log.warning("EF.SOD is malformed (%s); reading the data groups EF.COM lists", exc)
        return set()


def _skip_reason(name: str, exc: StatusWordError) -> str:
    if isinstance(exc, SecurityStatusError):
        if name in EAC_FILES:
            return _EAC_REASON
        return "protected: the chip refused access (6982)"
    if isinstance(exc, FileNotFoundOnCard):
        return "not on chip"
    return f"the chip answered {exc.sw:04X}"


def read_lds(
    session: CardSession,
    *,
    files: list[str] | None = None,
    progress: FileProgress | None = None,
) -> ReadOutcome:
    """Read EF.COM, EF.SOD, then the data groups EF.COM lists (or exactly `files`).

    A file the chip refuses (6982) or lacks (6A82) goes to `skipped` with the reason; secure
    messaging failures, card removal and reader errors propagate.
    """
    got: dict[str, bytes] = {}
    skipped: dict[str, str] = {}

    def read(name: str) -> bytes | None:
        f = lds_files.by_name(name)
        cb = (lambda done, total: progress(name, done, total)) if progress else None
        try:
            data = session.read_file(f.fid, cb, sfi=f.sfi)
        except StatusWordError as exc:
            skipped[name] = _skip_reason(name, exc)
            return None
        got[name] = data
        return data

    wanted = list(dict.fromkeys(files)) if files is not None else None
    if wanted is not None:
        for name in wanted:
            lds_files.by_name(name)  # unknown names fail before any APDU
    com = read("COM") if wanted is None or "COM" in wanted else None
    sod = read("SOD") if wanted is None or "SOD" in wanted else None
    if wanted is None:
        # EF.COM is not signed: a chip may hide a data group from it (e.g. the DG14 of a clone
        # that cannot do Chip Authentication). Read what EF.COM lists AND what EF.SOD lists.
        listed = set(_com_data_groups(com)) if com is not None else set()
        listed |= _sod_data_groups(sod)
        if com is None and not listed:  # no EF.COM: try the groups a CCCD carries
            listed = {1, 2, 3, 13, 14, 15}
        dgs = [f"DG{n}" for n in sorted(listed)]
    else:
        dgs = [n for n in wanted if n not in ("COM", "SOD")]
    for name in dgs:
        if name == "CardAccess":
            continue  # read before the session by read_card_access()
        if name in EAC_FILES and wanted is None and not session.terminal_authenticated:
            skipped[name] = _EAC_REASON  # the chip would refuse it: no APDU spent
            continue
        read(name)
    return ReadOutcome(got, skipped)
