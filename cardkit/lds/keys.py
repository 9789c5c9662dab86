"""Access keys: what the terminal knows before talking to the chip (ICAO 9303-11 §4.2, §4.4.1).

Plain data, so the LDS layer (MRZ parsing) can produce them; `cardkit.icao.keys` re-exports them
next to the key derivation.
"""

from __future__ import annotations

from dataclasses import dataclass


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

    def __repr__(self) -> str:
        return "MrzKey(<redacted>)"


@dataclass(frozen=True)
class CanKey:
    """Card Access Number (Vietnamese CCCD: the last 6 digits of the 12-digit ID)."""

    can: str

    def __repr__(self) -> str:
        return "CanKey(<redacted>)"


AccessKey = MrzKey | CanKey
