"""Reading a chip end to end: access (BAC/PACE), LDS files, chip checks (CA, AA).

`read_card(transport, key, ...)` is the one library call behind `cardkit read`; it returns raw
files exactly as read plus the chip-authentication results. Judging the data (passive
authentication, face match) is a separate step (cardkit.verify).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import (
    CardkitError,
    CardRemovedError,
    NotAnEmrtdError,
    ParseError,
    ReaderError,
    SecureMessagingError,
    TransmissionError,
)
from .icao import reader as icao_reader
from .icao.keys import CanKey, MrzKey
from .rand import Draw, RandomSource, SystemRandom
from .results import CheckResult, CheckState
from .transport.base import Transport, TransportInfo

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (file name, bytes done, bytes total)


@dataclass
class CardRead:
    """What came off the chip, and how."""

    files: dict[str, bytes]
    skipped: dict[str, str]
    access: str  # "bac" or "pace" (with mapping)
    transport: TransportInfo
    chip_auth: CheckResult
    active_auth: CheckResult
    random_draws: list[Draw] = field(default_factory=list)
    seconds: float = 0.0
    apdus: int | None = None
    terminal_auth: CheckResult = field(default_factory=lambda: CheckResult(
        "terminal_auth", CheckState.NOT_PERFORMED, "no terminal certificate chain given"))

    @property
    def chip_authentic(self) -> CheckResult:
        """Is the chip the original (not a copy)? CA or AA valid; invalid if either failed."""
        name = "chip_authentic"
        pair = (self.chip_auth, self.active_auth)
        failed = [r for r in pair if r.state == CheckState.INVALID]
        if failed:
            uncovered = any((r.details or {}).get("key_covered_by_sod") is False for r in failed)
            return CheckResult(name, CheckState.INVALID,
                               "cloned or forged chip: " + "; ".join(
                                   f"{r.name}: {r.reason}" for r in failed),
                               {"key_covered_by_sod": False} if uncovered else {})
        passed = [r for r in pair if r.state == CheckState.VALID]
        if passed:
            return CheckResult(name, CheckState.VALID,
                               "chip is original (" + ", ".join(r.name for r in passed) + ")")
        if all(r.state == CheckState.NOT_SUPPORTED for r in pair):
            return CheckResult(name, CheckState.NOT_SUPPORTED,
                               "the chip offers neither Chip nor Active Authentication")
        if all(r.state == CheckState.NOT_PERFORMED for r in pair):
            return CheckResult(name, CheckState.NOT_PERFORMED, "chip checks not requested")
        return CheckResult(name, CheckState.UNVERIFIABLE,
                           "; ".join(f"{r.name}: {r.reason}" for r in pair))


def read_card(
    transport: Transport,
    key: MrzKey | CanKey,
    *,
    access: str = "auto",
    rng: RandomSource | None = None,
    files: list[str] | None = None,
    progress: Progress | None = None,
    chip_checks: bool = True,
    terminal: Terminal | None = None,
) -> CardRead:
    """Open the chip with `key`, read the LDS, run CA/AA when the chip supports them.

    Raises AccessDeniedError on a wrong key, CardRemovedError when the card leaves, and other
    CardError subclasses for reader problems; a failed CA/AA is a verdict in the result.
    """
    if access not in ("auto", "bac", "pace"):
        raise ValueError("access must be auto, bac or pace")
    rng = rng if rng is not None else SystemRandom()
    started = time.perf_counter()
    try:
        card_access = icao_reader.read_card_access(transport)
        lengths = icao_reader.read_length_info(transport)
        session = icao_reader.open_session(
            transport, key, access=access, rng=rng, card_access=card_access
        )
        session.card_extended = lengths.extended_length
        session.card_max_response = lengths.max_response
        outcome = icao_reader.read_lds(
            session, files=files,
            progress=(lambda name, done, total: progress(name, done, total)) if progress else None,
        )
    except ParseError as exc:  # the card's own answers: a card problem, not the user's input
        raise NotAnEmrtdError(
            f"The card's answers are not those of a chip ID card or passport ({exc}) — check "
            f"that it is the customer's ID card, place it alone on the reader and read again"
        ) from None
    got = dict(outcome.files)
    if card_access is not None:
        got["CardAccess"] = card_access
    chip_auth = CheckResult("chip_auth", CheckState.NOT_PERFORMED, "not requested")
    active_auth = CheckResult("active_auth", CheckState.NOT_PERFORMED, "not requested")
    if chip_checks:
        # AA first: a failed CA ends the secure-messaging session, which would then hide
        # AA's own verdict behind a session error.
        active_auth = _active_auth(session, got, outcome.skipped,
                                   files is None or "DG15" in files, rng)
        chip_auth = _chip_auth(session, got, outcome.skipped,
                               files is None or "DG14" in files, rng)
    skipped = dict(outcome.skipped)
    ta = CardRead.__dataclass_fields__["terminal_auth"].default_factory()  # type: ignore[misc]
    eac_wanted = [n for n in ("DG3", "DG4") if n in skipped]
    if terminal is not None and eac_wanted:
        ta = _terminal_auth(session, terminal, chip_auth, eac_wanted, got, skipped, progress)
    draws = list(getattr(rng, "draws", []))
    return CardRead(
        files=got,
        skipped=skipped,
        access=getattr(session, "access_method", "bac"),
        transport=transport.info,
        chip_auth=chip_auth,
        active_auth=active_auth,
        random_draws=draws,
        seconds=time.perf_counter() - started,
        terminal_auth=ta,
    )


@dataclass(frozen=True)
class Terminal:
    """What Terminal Authentication needs: the CV certificates (CVCA link, DV, IS; any order) and
    the IS private key (a file or a PKCS#11 token, `cardkit.security.terminal_key`)."""

    certificates: tuple  # cardkit.lds.cvc.CVCertificate, ...
    key: object  # cardkit.security.terminal_key.TerminalKey
    today: object = None  # datetime.date for the local validity check (None = today)


def _terminal_auth(session, terminal: Terminal, chip_auth: CheckResult, wanted: list[str],
                   got: dict[str, bytes], skipped: dict[str, str], progress) -> CheckResult:
    """TA after CA, then READ DG3/DG4; failures become the skip reason of the EAC files."""
    import datetime as dt

    from .icao import terminal_auth as ta
    from .security.cv_chain import ChainError, chain_for

    def fail(message: str, reason: str) -> CheckResult:
        for name in wanted:
            skipped[name] = f"protected: Terminal Authentication failed: {message}"
        return CheckResult("terminal_auth", CheckState.INVALID, message, {"reason": reason})

    if chip_auth.state != CheckState.VALID:
        return fail("it needs a successful Chip Authentication first "
                    f"(chip authentication: {chip_auth.state.value})", "ca_required")
    if getattr(session, "ca_terminal_public", None) is None:  # chip proved itself in PACE-CAM
        return fail("Terminal Authentication after PACE-CAM is not supported by cardkit yet "
                    "(read with --access bac)", "unsupported")
    start = session.stats.apdus
    started = time.perf_counter()
    try:
        trusted = ta.read_ef_cvca(session)
        try:
            chain = chain_for(list(terminal.certificates), trusted)
        except ChainError as exc:
            raise ta.TerminalAuthError(str(exc), "unknown_cvca") from None
        ta.check_validity(chain, terminal.today or dt.date.today())
        result = ta.perform_terminal_auth(session, chain, terminal.key.sign, trusted=trusted,
                                          start_apdus=start)
    except ta.TerminalAuthError as exc:
        return fail(str(exc), exc.reason)
    seconds = time.perf_counter() - started
    for name in wanted:
        allowed = result.dg3_allowed if name == "DG3" else result.dg4_allowed
        outcome = icao_reader.read_lds(session, files=[name], progress=progress)
        if name in outcome.files:
            got[name] = outcome.files[name]
            skipped.pop(name, None)
        elif not allowed:
            skipped[name] = (f"protected: the terminal certificate {result.is_chr} does not "
                             f"grant reading {name} (CHAT)")
        else:
            skipped[name] = outcome.skipped.get(name, "not read")
    return CheckResult("terminal_auth", CheckState.VALID,
                       f"the chip accepted terminal {result.is_chr}",
                       {"chain": list(result.chain), "trusted_cvca": list(result.trusted_cars),
                        "dg3_allowed": result.dg3_allowed, "dg4_allowed": result.dg4_allowed,
                        "apdus": result.apdus, "seconds": round(seconds, 4)})


def _chip_key_file(name: str, protocol: str, files: dict[str, bytes],
                   skipped: dict[str, str], requested: bool) -> tuple[bytes | None, CheckResult | None]:
    """The DG14/DG15 to take a chip key from — only when EF.SOD lists it with a matching hash.

    Returns (file, None) when usable, else (None, the verdict): a key the issuer did not sign is
    a clone's own key (invalid); a listed file the chip withholds is a clone's dodge (invalid).
    """
    from .security.passive import covered_by_sod, sod_listed

    check = "chip_auth" if name == "DG14" else "active_auth"
    data = files.get(name)
    if data is None:
        if int(name[2:]) in (sod_listed(files) or ()):
            if name in skipped or requested:
                why = skipped.get(name, "not given")
                return None, CheckResult(
                    check, CheckState.INVALID,
                    f"EF.SOD lists {name} ({protocol} key) but the chip did not give it ({why})")
            return None, CheckResult(check, CheckState.NOT_PERFORMED, f"{name} not read")
        return None, CheckResult(check, CheckState.NOT_SUPPORTED, f"no {name} on the chip")
    ok, why = covered_by_sod(files, name)
    if not ok:
        return None, CheckResult(
            check, CheckState.INVALID,
            f"the chip's {protocol} key ({name}) is not covered by the issuer's signature ({why})",
            {"key_covered_by_sod": False})
    return data, None


def _chip_auth(session: object, files: dict[str, bytes], skipped: dict[str, str],
               requested: bool, rng: RandomSource) -> CheckResult:
    dg14, verdict = _chip_key_file("DG14", "Chip Authentication", files, skipped, requested)
    if verdict is not None:
        return verdict
    from .icao.chip_auth import chip_authenticate

    return _guarded("chip_auth", lambda: chip_authenticate(session, dg14, rng))


def _active_auth(session: object, files: dict[str, bytes], skipped: dict[str, str],
                 requested: bool, rng: RandomSource) -> CheckResult:
    dg15, verdict = _chip_key_file("DG15", "Active Authentication", files, skipped, requested)
    if verdict is not None:
        return verdict
    from .icao.active_auth import active_authenticate
    from .security.passive import covered_by_sod

    # DG14 may name the ECDSA hash: only a DG14 the issuer signed may choose it
    dg14 = files.get("DG14") if covered_by_sod(files, "DG14")[0] else None
    return _guarded("active_auth", lambda: active_authenticate(session, dg15, dg14, rng))


_CHECK_TITLES = {"chip_auth": "Chip Authentication", "active_auth": "Active Authentication"}


def _guarded(name: str, run: Callable[[], CheckResult]) -> CheckResult:
    """A chip check that fails is a verdict; a card that left the reader, or a garbled answer
    (MAC error, transmission error: the link, not the chip's proof), is an error: read again."""
    try:
        return run()
    except (CardRemovedError, ReaderError):
        raise
    except (SecureMessagingError, TransmissionError) as exc:
        kind = SecureMessagingError if isinstance(exc, SecureMessagingError) else TransmissionError
        raise kind(
            f"Communication error during {_CHECK_TITLES.get(name, name)}: {exc}. If this happens "
            f"on every read of this card, do not accept it as genuine") from None
    except CardkitError as exc:
        return CheckResult(name, CheckState.INVALID, str(exc))
