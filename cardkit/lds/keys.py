"""Access keys: what the terminal knows before talking to the chip (ICAO 9303-11 §4.2, §4.4.1).

Plain data, so the LDS layer (MRZ parsing) can produce them; `cardkit.icao.keys` re-exports them
next to the key derivation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InputError

_DOC = re.compile(r"[0-9A-Za-z<]{1,22}", re.ASCII)
_YYMMDD = re.compile(r"[0-9]{6}", re.ASCII)
_CAN = re.compile(r"[0-9]{1,12}", re.ASCII)


def ascii_digits_only(text: str, what: str) -> None:
    """InputError when `text` holds digits other than 0-9 (full-width, Arabic-Indic ...):
    the key derivation works on the ASCII MRZ and such digits are a typing mistake."""
    if any(c.isdigit() and not c.isascii() for c in text) or not text.isascii():
        raise InputError(f"{what} must be typed with the digits 0-9 and letters A-Z only "
                         f"(it holds other characters; check the keyboard layout)")


@dataclass(frozen=True)
class MrzKey:
    """Document number, date of birth and date of expiry (YYMMDD) as printed in the MRZ.

    `__repr__` is redacted: the key opens the chip and must never reach a log.
    """

    document_number: str
    date_of_birth: str
    date_of_expiry: str

    @property
    def mrz_information(self) -> str:
        """MRZ_information of ICAO 9303-11 §9.7.2 (document number padded to 9 with '<')."""
        from .mrz import check_digit  # mrz.py imports this module

        doc = self.document_number.upper()
        if len(doc) < 9:
            doc = doc + "<" * (9 - len(doc))
        return (
            doc + check_digit(doc)
            + self.date_of_birth + check_digit(self.date_of_birth)
            + self.date_of_expiry + check_digit(self.date_of_expiry)
        )

    def __post_init__(self) -> None:
        for value, what in ((self.document_number, "document number"),
                            (self.date_of_birth, "date of birth"),
                            (self.date_of_expiry, "date of expiry")):
            ascii_digits_only(value, what)
        if not _DOC.fullmatch(self.document_number):
            raise InputError("document number must be letters and digits as printed")
        for value, what in ((self.date_of_birth, "date of birth"),
                            (self.date_of_expiry, "date of expiry")):
            if not _YYMMDD.fullmatch(value):
                raise InputError(f"{what} in the key must be YYMMDD (digits 0-9)")

    def __repr__(self) -> str:
        return "MrzKey(<redacted>)"


@dataclass(frozen=True)
class CanKey:
    """Card Access Number (Vietnamese CCCD: the last 6 digits of the 12-digit ID)."""

    can: str

    def __post_init__(self) -> None:
        ascii_digits_only(self.can, "CAN")
        if not _CAN.fullmatch(self.can):
            raise InputError("the CAN must be digits 0-9")

    def __repr__(self) -> str:
        return "CanKey(<redacted>)"


AccessKey = MrzKey | CanKey
