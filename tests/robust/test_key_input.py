"""Defect 3d and 6d (issue 11): non-ASCII digits in --id/--doc-number gave a traceback
(UnicodeEncodeError while deriving the key), and a date of birth in the future was accepted."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from cardkit.errors import InputError
from cardkit.lds.dates import DateKind, parse_date
from cardkit.lds.keys import CanKey, MrzKey
from cardkit_cli.main import cli

FULLWIDTH = "００１０９３０００００１"  # what a Japanese/Chinese IME types
ARABIC_INDIC = "٠٠١٠٩٣٠٠٠٠٠١"


def _run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["read", "--sim", *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r.exit_code, r.stderr


@pytest.mark.parametrize("args", [
    ["--id", FULLWIDTH, "--dob", "05/01/1993", "--expiry", "2033-01-05"],
    ["--id", ARABIC_INDIC, "--dob", "05/01/1993", "--expiry", "2033-01-05"],
    ["--doc-number", "٠٩٣٠٠٠٠٠١", "--dob", "05/01/1993", "--expiry", "2033-01-05"],
    ["--doc-number", "０９３０００００１", "--dob", "930105", "--expiry", "330105"],
    ["--id", "001093000001", "--dob", "٠٥/٠١/١٩٩٣", "--expiry", "2033-01-05"],
    ["--id", "001093000001", "--dob", "1993-01-05", "--expiry", "２０３３-01-05"],
    ["--can", "١٢٣٤٥٦"],
], ids=["id-fullwidth", "id-arabic", "doc-arabic", "doc-fullwidth", "dob-arabic",
        "expiry-fullwidth", "can-arabic"])
def test_non_ascii_digits_are_one_line_exit_2(args):
    code, err = _run(*args)
    assert code == 2, err
    assert err.count("\n") == 1 and "0-9" in err, err


def test_keys_refuse_non_ascii_in_the_library_too():
    with pytest.raises(InputError):
        MrzKey("٠٩٣٠٠٠٠٠١", "930105", "330105")
    with pytest.raises(InputError):
        MrzKey("093000001", "９３0105", "330105")
    with pytest.raises(InputError):
        CanKey("１２３４５６")


def test_future_date_of_birth_refused():
    future = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    with pytest.raises(InputError, match="future"):
        parse_date(future, DateKind.BIRTH)
    code, err = _run("--id", "001093000001", "--dob", future, "--expiry", "2033-01-05")
    assert code == 2 and "future" in err, err


def test_today_and_past_births_still_fine():
    assert parse_date(dt.date.today().isoformat(), DateKind.BIRTH) == dt.date.today()
    assert parse_date("05/01/1993", DateKind.BIRTH) == dt.date(1993, 1, 5)
