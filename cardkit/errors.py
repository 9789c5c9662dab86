"""The exception hierarchy and the exit codes the CLI maps them to.

Every message is written for the person at the counter: what went wrong and what to do.
A message is an English msgid with `{name}` placeholders and their values
(`InputError(N_("bad date {value}"), value=v)`): `str(exc)` is the English text (logs, JSON),
`exc.render(gettext)` the text in the user's language, or None when the catalogue has no
translation for it (an f-string built detail).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from .i18n import N_, Gettext, Message


class ExitCode(IntEnum):
    """Documented exit codes of the `cardkit` command (README, "Exit codes")."""

    OK = 0
    INTERNAL = 1  # a bug: please report
    USAGE = 2  # bad option, unreadable or malformed input file, replay divergence
    NOT_GENUINE = 3  # a security check said invalid (forged data, cloned chip, revoked DSC)
    CARD = 4  # reader/card problem: no pcscd, no reader, no card, card removed, wrong key
    FACE_MISMATCH = 5  # face does not match the chip portrait
    UNVERIFIABLE = 6  # a required check could not run (e.g. no CSCA) and not allowed
    BIOMETRIC_UNUSABLE = 7  # probe unusable: no face, several faces, too blurry ...
    DOCUMENT_INVALID = 8  # genuine card, but the document has expired


class CardkitError(Exception):
    """Base of every error cardkit raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str | Message, **params: Any) -> None:
        text = message if isinstance(message, Message) else Message(message, params)
        super().__init__(text.render())
        self.text = text
        self.message = text.render()

    def __str__(self) -> str:  # one line, always
        return " ".join(self.message.split())

    def render(self, gettext: Gettext) -> str | None:
        """The message in gettext's language; None when it has no translation."""
        if gettext(self.text.msgid) == self.text.msgid and not _same_in_all(self.text.msgid):
            return None
        return " ".join(self.text.render(gettext).split())


def _same_in_all(msgid: str) -> bool:
    """A message that is all placeholders ("{reader}: {error}") needs no translation."""
    import re

    return not re.sub(r"\{\w+\}", "", msgid).strip(" :;,.()-—")


# --- bad input (exit 2) -------------------------------------------------------------------------


class InputError(CardkitError):
    """The user gave something unusable (option, date, MRZ, file)."""

    exit_code = ExitCode.USAGE


class ParseError(InputError):
    """Bytes that do not follow the structure they claim (TLV, data group, SOD ...)."""


class FixtureError(InputError):
    """A fixture file is unreadable, or a replay diverged from the recording."""


# --- card / reader (exit 4) ---------------------------------------------------------------------


class CardError(CardkitError):
    """Anything between the host and the chip went wrong."""

    exit_code = ExitCode.CARD


class ReaderError(CardError):
    """PC/SC service or reader unavailable."""


class NoCardError(CardError):
    """No card on the reader (within the wait time)."""


_REMOVED = N_("Card removed during reading — place it back on the reader and read again")


class CardRemovedError(CardError):
    """The card left the field during the session."""

    def __init__(self, message: str | Message = _REMOVED, **params: Any) -> None:
        super().__init__(message, **params)


class TransmissionError(CardError):
    """The reader could not exchange an APDU (not a status word from the card)."""


class StatusWordError(CardError):
    """The card answered a status word the protocol cannot continue with."""

    def __init__(self, message: str | Message, sw: int, **params: Any) -> None:
        super().__init__(message, **params)
        self.sw = sw


class AccessDeniedError(CardError):
    """Authentication with the access key failed (wrong ID/date of birth/expiry, wrong CAN)."""


class SecurityStatusError(StatusWordError):
    """6982: the file needs an access right we do not have (e.g. DG3 without Terminal Auth)."""


class FileNotFoundOnCard(StatusWordError):
    """6A82: the file does not exist on this chip."""


class SecureMessagingError(CardError):
    """A secure-messaging response failed its MAC or structure check."""


class NotAnEmrtdError(CardError):
    """The card answers, but not as an ICAO eMRTD does (another kind of card or applet that
    says 9000 to everything, or a faulty chip): its answers cannot be parsed."""


# --- verification (exit 3) ----------------------------------------------------------------------


class VerificationError(CardkitError):
    """A verification could not be carried out for a reason the caller must see."""

    exit_code = ExitCode.NOT_GENUINE


class BiometricError(CardkitError):
    """A biometric sample is unusable (no face, several faces, too blurry ...)."""

    exit_code = ExitCode.BIOMETRIC_UNUSABLE


# What asn1crypto raises on malformed DER besides ValueError (found by fuzzing: e.g. an
# AttributeError for an ObjectDescriptor where AlgorithmIdentifier parameters are expected).
# Parsers turn these into ParseError; anything else escaping is a bug.
ASN1_DECODE_ERRORS: tuple[type[Exception], ...] = (
    ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError)
