"""Vietnamese DG13: named fields, nesting, leniency, property tests (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardkit.errors import ParseError
from cardkit.lds import tlv
from cardkit.lds.dg13 import FIELD_NAMES, Dg13, encode_dg13, parse_dg13

SYNTHETIC = {
    1: "001093000001", 2: "Nguyễn Văn An", 3: "05/01/1993", 4: "Nam", 5: "Việt Nam",
    6: "Kinh", 7: "Không", 8: "Xã Đông Hòa, Huyện Đông Sơn, Thanh Hóa",
    9: "Số 1 Phố Huế, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội",
    10: "Nốt ruồi C:1cm dưới trước đuôi mắt trái", 11: "10/07/2021", 12: "05/01/2033",
    13: ("Nguyễn Văn Bình", "Trần Thị Cúc"), 14: ("Lê Thị Dung",), 15: "171234567",
    16: "A1B2C3",
}


def _seq(n: int, *values: bytes) -> bytes:
    return tlv.encode(0x30, tlv.encode(0x02, bytes([n])) + b"".join(values))


def _utf8(s: str) -> bytes:
    return tlv.encode(0x0C, s.encode())


def test_all_named_fields_with_diacritics():
    d = parse_dg13(encode_dg13(SYNTHETIC, printable=[1, 15]))
    assert d.id_number == "001093000001"
    assert d.full_name == "Nguyễn Văn An"
    assert d.place_of_residence.endswith("Quận Hoàn Kiếm, Hà Nội")
    assert (d.father_name, d.mother_name, d.spouse_name) == (
        "Nguyễn Văn Bình", "Trần Thị Cúc", "Lê Thị Dung")
    assert (d.date_of_issue, d.date_of_expiry, d.old_id_number, d.card_string) == (
        "10/07/2021", "05/01/2033", "171234567", "A1B2C3")
    assert d.warnings == []
    assert sorted(d.raw) == list(range(1, 17))
    assert d.raw[1][0] == 0x13  # written as PrintableString, read back as text
    assert d.to_fields() == SYNTHETIC
    assert "Nguyễn" not in repr(d)


def test_layout_variants_seen_in_public_readers():
    # outer container with a version + OID header, fields in a SET, parents nested one deeper
    # with their own field numbers, a BMPString and a PrintableString
    fields = (
        _seq(1, tlv.encode(0x13, b"001093000001"))
        + _seq(2, tlv.encode(0x1E, "Phạm Thị Hà".encode("utf-16-be")))
        + _seq(13, _seq(1, _utf8("Phạm Văn Ba")), _seq(2, _utf8("Đỗ Thị Tư")))
    )
    body = tlv.encode(0x02, b"\x01") + tlv.encode(0x06, b"\x2b\x06\x01") + tlv.encode(0x31, fields)
    d = parse_dg13(tlv.encode(0x6D, tlv.encode(0x30, body)))
    assert (d.id_number, d.full_name) == ("001093000001", "Phạm Thị Hà")
    assert (d.father_name, d.mother_name) == ("Phạm Văn Ba", "Đỗ Thị Tư")
    assert d.spouse_name is None


def test_lenient_on_odd_fields():
    body = (
        _seq(1, _utf8("001093000001"))
        + _seq(2, tlv.encode(0x0C, b"\xff\xfe bad utf-8"))  # undecodable text
        + _seq(1, _utf8("999999999999"))  # duplicate
        + _seq(42, tlv.encode(0x04, b"\x01\x02"))  # unknown field
        + _seq(13, tlv.encode(0x30, b""), tlv.encode(0x30, _utf8("Mẹ")))  # no father
        + b"\x30\x05\x02\x01"  # truncated tail
    )
    d = parse_dg13(tlv.encode(0x6D, tlv.encode(0x30, body)))
    assert d.id_number == "001093000001"
    assert d.full_name is None and 2 in d.raw
    assert d.raw[42] == b"\x04\x02\x01\x02"
    assert (d.father_name, d.mother_name) == (None, "Mẹ")
    assert any("field 2" in w for w in d.warnings)
    assert any("twice" in w for w in d.warnings)
    assert any("damaged" in w for w in d.warnings)


def test_encoder_keeps_unknown_raw_fields():
    d = parse_dg13(encode_dg13({1: "001093000001", 77: b"\x04\x01\x07"}))
    assert d.raw[77] == b"\x04\x01\x07"
    assert parse_dg13(encode_dg13(d)).raw == d.raw


def test_broken_outer_tlv_is_parse_error():
    good = encode_dg13({1: "001093000001"})
    for bad in (b"", good[:-1], b"\x61" + good[1:], good + b"\x00"):
        with pytest.raises(ParseError):
            parse_dg13(bad)


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
_fields = st.fixed_dictionaries(
    {},
    optional={
        **{n: _text for n in FIELD_NAMES},
        13: st.tuples(st.none() | _text, st.none() | _text).filter(lambda t: any(t)),
        14: st.tuples(_text),
    },
)


@settings(max_examples=150, deadline=None)
@given(_fields)
def test_round_trip_property(fields):
    d = parse_dg13(encode_dg13(fields))
    expected = dict(fields)
    if 13 in expected:  # (None, None) is filtered out; keep the pair as written
        expected[13] = tuple(expected[13])
    assert d.to_fields() == expected
    assert d.warnings == [] or not fields


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_only_parse_error(data):
    for blob in (data, tlv.encode(0x6D, data)):
        try:
            d = parse_dg13(blob)
        except ParseError:
            continue
        assert isinstance(d, Dg13)
