"""Dates as the teller types them and as the MRZ stores them (ICAO 9303-3 §4.4: YYMMDD).

Accepted input: `YYYY-MM-DD`, `DD/MM/YYYY` (also `DD.MM.YYYY`, `DD-MM-YYYY`) and MRZ `YYMMDD`.
Two-digit years are resolved with a pivot that depends on what the date is: a birth date lies in
the past, an expiry date at most 50 years ahead (ICAO 9303-3 leaves the century to the reader).
"""

from __future__ import annotations

import datetime as _dt
import re
from enum import Enum

from ..errors import InputError

__all__ = [
    "DateKind",
    "date_to_mrz",
    "mrz_to_date",
    "parse_date",
    "to_mrz_date",
]

EXPIRY_HORIZON_YEARS = 50

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", re.ASCII)
_DMY = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})$", re.ASCII)
_MRZ = re.compile(r"^\d{6}$", re.ASCII)


class DateKind(Enum):
    """What a date means; decides the century of a two-digit year."""

    BIRTH = "date of birth"
    EXPIRY = "date of expiry"
    ISSUE = "date of issue"
    OTHER = "date"


def _label(kind: DateKind, what: str | None) -> str:
    return what if what else kind.value


def _make(year: int, month: int, day: int, text: str, label: str) -> _dt.date:
    try:
        return _dt.date(year, month, day)
    except ValueError:
        raise InputError(f"{label} '{text}' is not a valid date") from None


def mrz_to_date(yymmdd: str, kind: DateKind = DateKind.OTHER, *,
                today: _dt.date | None = None, what: str | None = None) -> _dt.date:
    """Resolve an MRZ `YYMMDD` to a full date.

    BIRTH and ISSUE: the latest century that is not in the future. EXPIRY: the latest century at
    most `EXPIRY_HORIZON_YEARS` ahead. OTHER: like EXPIRY.
    """
    label = _label(kind, what)
    if not isinstance(yymmdd, str) or not _MRZ.match(yymmdd):
        raise InputError(f"{label} '{yymmdd}' is not a valid date (expected YYMMDD)")
    today = today or _dt.date.today()
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if kind in (DateKind.BIRTH, DateKind.ISSUE):
        year = (today.year // 100) * 100 + yy
        if year > today.year or (year == today.year and (mm, dd) > (today.month, today.day)):
            year -= 100
    else:
        limit = today.year + EXPIRY_HORIZON_YEARS
        year = (limit // 100) * 100 + yy
        if year > limit:
            year -= 100
    if mm == 2 and dd == 29:  # leap day: pick the nearest earlier leap century year if needed
        for candidate in (year, year - 100):
            try:
                return _dt.date(candidate, mm, dd)
            except ValueError:
                continue
    return _make(year, mm, dd, yymmdd, label)


def parse_date(text: str | _dt.date, kind: DateKind = DateKind.OTHER, *,
               today: _dt.date | None = None, what: str | None = None) -> _dt.date:
    """Parse a user-typed date (`YYYY-MM-DD`, `DD/MM/YYYY`, `YYMMDD`) into a `datetime.date`."""
    label = _label(kind, what)
    if isinstance(text, _dt.date):
        return text
    if not isinstance(text, str):
        raise InputError(f"{label} must be text like 1990-01-31 or 31/01/1990")
    s = text.strip()
    if not s.isascii():
        raise InputError(f"{label} must be typed with the digits 0-9 (it holds other "
                         f"characters; check the keyboard layout)")
    if m := _ISO.match(s):
        return _not_future(_make(int(m[1]), int(m[2]), int(m[3]), text, label), kind, today,
                           label)
    if m := _DMY.match(s):
        return _not_future(_make(int(m[4]), int(m[3]), int(m[1]), text, label), kind, today,
                           label)
    if _MRZ.match(s):
        return mrz_to_date(s, kind, today=today, what=what)
    raise InputError(
        f"{label} '{text}' is not a date: type it as YYYY-MM-DD, DD/MM/YYYY or YYMMDD"
    )


def _not_future(value: _dt.date, kind: DateKind, today: _dt.date | None,
                label: str) -> _dt.date:
    """A date of birth or issue after today is a typing mistake (the MRZ form never is)."""
    today = today or _dt.date.today()
    if kind in (DateKind.BIRTH, DateKind.ISSUE) and value > today:
        raise InputError(f"{label} {value.isoformat()} is in the future — check the date "
                         f"(DD/MM/YYYY or YYYY-MM-DD)")
    return value


def date_to_mrz(value: _dt.date) -> str:
    """`datetime.date` → MRZ `YYMMDD`."""
    return f"{value.year % 100:02d}{value.month:02d}{value.day:02d}"


def to_mrz_date(text: str | _dt.date, kind: DateKind = DateKind.OTHER, *,
                what: str | None = None) -> str:
    """Any accepted input form → MRZ `YYMMDD` (validated as a calendar date).

    A `YYMMDD` input is returned unchanged once it is known to be a real date.
    """
    if isinstance(text, str) and _MRZ.match(text.strip()):
        s = text.strip()
        label = _label(kind, what)
        # validate the calendar date in some century (29 Feb needs a leap year: use 2000)
        _make(2000, int(s[2:4]), int(s[4:]), text, label)
        return s
    return date_to_mrz(parse_date(text, kind, what=what))
