from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardkit.apdu import Command, Response, status_error
from cardkit.errors import FileNotFoundOnCard, ParseError, SecurityStatusError, StatusWordError


def test_short_case_encodings() -> None:
    assert Command(0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("A0000002471001")).to_bytes() == bytes.fromhex(
        "00A4040C07A0000002471001"
    )
    assert Command(0x00, 0x84, 0, 0, le=8).to_bytes() == bytes.fromhex("0084000008")
    assert Command(0x00, 0xB0, 0, 0, le=256).to_bytes() == bytes.fromhex("00B0000000")


def test_extended_encodings() -> None:
    assert Command(0x00, 0xB0, 0, 0, le=65536).to_bytes() == bytes.fromhex("00B00000000000")
    assert Command(0x00, 0xB0, 0, 0, le=0x1000).to_bytes() == bytes.fromhex("00B00000001000")
    c = Command(0x00, 0x88, 0, 0, b"\x01" * 300, le=512)
    raw = c.to_bytes()
    assert raw[4:7] == b"\x00\x01\x2c" and raw[-2:] == b"\x02\x00"
    with pytest.raises(ValueError):
        c.to_bytes(extended=False)


@given(
    st.integers(0, 255), st.integers(0, 255), st.binary(max_size=400),
    st.one_of(st.none(), st.integers(1, 65536)),
)
def test_roundtrip(ins: int, p1: int, data: bytes, le: int | None) -> None:
    c = Command(0x0C, ins, p1, 0, data, le)
    assert Command.from_bytes(c.to_bytes()) == c


def test_response_and_status_mapping() -> None:
    r = Response.from_bytes(bytes.fromhex("01029000"))
    assert r.ok and r.data == b"\x01\x02" and r.check("x") is r
    with pytest.raises(SecurityStatusError):
        Response.from_bytes(bytes.fromhex("6982")).check("read DG3")
    assert isinstance(status_error(0x6A82, "select"), FileNotFoundOnCard)
    err = status_error(0x6A86, "select")
    assert isinstance(err, StatusWordError) and err.sw == 0x6A86 and "6A86" in str(err)
    with pytest.raises(ParseError):
        Response.from_bytes(b"\x90")
    with pytest.raises(ParseError):
        Command.from_bytes(bytes.fromhex("00A4040C07A000"))
