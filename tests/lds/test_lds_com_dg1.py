"""EF.COM and DG1 against the BSI 2008 and Dutch 2006 reference files (../shared/interop)."""

from __future__ import annotations

import pytest

from cardkit.errors import ParseError
from cardkit.lds import tlv
from cardkit.lds.com import encode_com, parse_com
from cardkit.lds.dg1 import encode_dg1, parse_dg1
from cardkit.lds.mrz import MrzFormat, encode_vn_td1


def test_bsi2008_dg1(interop_dir):
    raw = (interop_dir / "bsi2008/Datagroup1.bin").read_bytes()
    m = parse_dg1(raw)
    assert m.format is MrzFormat.TD3
    assert (m.primary_identifier, m.secondary_identifier) == ("MUSTERMANN", "ERIKA")
    assert m.document_number == "C11T002JM"
    assert (m.issuing_state, m.nationality, m.sex) == ("D", "D", "F")
    assert (m.date_of_birth, m.date_of_expiry) == ("960812", "131031")
    assert encode_dg1(m) == raw  # byte-exact round trip


def test_loes2006_dg1(interop_dir):
    raw = (interop_dir / "loes2006/ef0101.bin").read_bytes()
    m = parse_dg1(raw)
    assert m.document_number == "XX0001328"
    assert (m.primary_identifier, m.secondary_identifier) == ("MEULENDIJK", "LOES ALBERTINE")
    assert m.optional_data_1 == "123456789"
    assert encode_dg1(m.text) == raw


@pytest.mark.parametrize(
    ("name", "groups"),
    [("bsi2008/EF_COM.bin", (1, 2, 3, 14)), ("loes2006/ef011E.bin", (1, 2, 15))],
)
def test_ef_com_reference_files(interop_dir, name, groups):
    raw = (interop_dir / name).read_bytes()
    com = parse_com(raw)
    assert com.data_groups == groups
    assert (com.lds_version, com.unicode_version) == ("1.7", "4.0.0")
    assert encode_com(groups) == raw


def test_vn_com_round_trip():
    com = parse_com(encode_com([1, 2, 3, 13, 14, 15]))
    assert com.data_groups == (1, 2, 3, 13, 14, 15)


def test_com_rejects_unknown_tag_and_bad_version():
    def com(version: bytes, tags: bytes) -> bytes:
        return tlv.encode(0x60, tlv.encode(0x5F01, version) + tlv.encode(0x5F36, b"040000")
                          + tlv.encode(0x5C, tags))

    assert parse_com(com(b"0107", b"\x61\x75")).data_groups == (1, 2)
    with pytest.raises(ParseError, match="FF"):
        parse_com(com(b"0107", b"\x61\xff"))
    with pytest.raises(ParseError, match="LDS version"):
        parse_com(com(b"01a7", b"\x61"))
    with pytest.raises(ParseError, match="twice"):
        parse_com(com(b"0107", b"\x61\x61"))


def test_vn_dg1_round_trip():
    text = encode_vn_td1(id12="079201000123", date_of_birth="2001-02-03", sex="F",
                         date_of_expiry="2026-02-03", primary_identifier="Lê",
                         secondary_identifier="Thị Hồng")
    m = parse_dg1(encode_dg1(text))
    assert m.vn_id_number == "079201000123"
    assert m.document_number == "201000123"
    assert (m.primary_identifier, m.secondary_identifier) == ("LE", "THI HONG")


def test_dg1_wrong_tag_and_non_ascii():
    with pytest.raises(ParseError):
        parse_dg1(bytes.fromhex("6203 5f1f 00".replace(" ", "")))
    with pytest.raises(ParseError, match="non-ASCII"):
        parse_dg1(bytes.fromhex("61045f1f01ff"))
