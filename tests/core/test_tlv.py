from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardkit.errors import ParseError
from cardkit.lds import tlv


def test_multibyte_tag_and_long_length() -> None:
    value = b"\xAB" * 300
    enc = tlv.encode(0x5F1F, value)
    assert enc[:5] == bytes.fromhex("5F1F82012C")
    t = tlv.parse(enc, 0x5F1F)
    assert t.value == value and t.header_len == 5
    assert tlv.read_header(enc[:6]) == (0x5F1F, 300, 5)


def test_nested_find() -> None:
    inner = tlv.encode(0x5F01, b"0107") + tlv.encode(0x5C, b"\x61\x75")
    t = tlv.parse(tlv.encode(0x60, inner), 0x60)
    assert t.constructed
    assert t.require(0x5C).value == b"\x61\x75"
    assert t.find(0x99) is None
    with pytest.raises(ParseError, match="5F36"):
        t.require(0x5F36, "EF.COM")


@pytest.mark.parametrize(
    "raw, msg",
    [
        (bytes.fromhex("6105"), "truncated"),
        (bytes.fromhex("6180"), "indefinite"),
        (bytes.fromhex("6185FFFFFFFFFF"), "too long"),
        (bytes.fromhex("5FFFFFFFFF01"), "4 bytes"),
        (bytes.fromhex("5F"), "truncated"),
        (bytes.fromhex("610100FF"), "unexpected bytes"),
    ],
)
def test_malformed(raw: bytes, msg: str) -> None:
    with pytest.raises(ParseError, match=msg):
        tlv.parse(raw)


@given(st.binary(max_size=64))
def test_random_bytes_only_parse_error(raw: bytes) -> None:
    with contextlib.suppress(ParseError):
        list(tlv.iter_tlv(raw))


@given(st.integers(1, 0x7F).filter(lambda t: t & 0x1F != 0x1F), st.binary(max_size=1000))
def test_roundtrip(tag: int, value: bytes) -> None:
    assert tlv.parse(tlv.encode(tag, value)).value == value
