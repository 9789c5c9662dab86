"""The exception hierarchy and the exit codes the CLI maps them to.

Every message is written for the person at the counter: what went wrong and what to do.
"""

from __future__ import annotations

from enum import IntEnum


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

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # one line, always
        return " ".join(self.message.split())


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


class CardRemovedError(CardError):
    """The card left the field during the session."""

    def __init__(self, message: str = "Card removed during reading — place it back on the "
                 "reader and read again") -> None:
        super().__init__(message)


class TransmissionError(CardError):
    """The reader could not exchange an APDU (not a status word from the card)."""


class StatusWordError(CardError):
    """The card answered a status word the protocol cannot continue with."""

    def __init__(self, message: str, sw: int) -> None:
        super().__init__(message)
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
