"""MRZ parsing/encoding (ICAO 9303-3/-4/-5), user dates, Vietnamese CCCD helpers."""

from __future__ import annotations

import datetime as dt

import pytest

from cardkit.errors import InputError, ParseError
from cardkit.icao.keys import MrzKey
from cardkit.lds.dates import DateKind, mrz_to_date, parse_date, to_mrz_date
from cardkit.lds.mrz import (
    MrzFormat,
    check_digit,
    encode_td1,
    encode_td2,
    encode_td3,
    encode_vn_td1,
    parse_mrz,
    to_mrz_name,
    vn_access_key,
    vn_can,
)

VN_MRZ = (
    "IDVNM0930000011001093000001<<2\n"
    "9301054M3301052VNM<<<<<<<<<<<8\n"
    "NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"
)
# ICAO 9303-5 Appendix A (TD1 with a long document number), 9303-4 Appendix A (TD3)
ICAO_TD1_LONG = (
    "I<UTOD23145890<7349<<<<<<<<<<<\n"
    "7408122F1204159UTO<<<<<<<<<<<6\n"
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)
ICAO_TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
)
ICAO_TD2 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"


def test_check_digit_published_examples():
    # ICAO 9303-3 §4.9 worked example and the BAC vector of 9303-11 Appendix D
    assert check_digit("520727") == "3"
    assert check_digit("L898902C<") == "3"
    assert check_digit("690806") == "1"
    assert check_digit("940623") == "6"


def test_vn_example_td1_all_fields():
    m = parse_mrz(VN_MRZ)
    assert m.format is MrzFormat.TD1
    assert (m.document_code, m.issuing_state, m.nationality) == ("ID", "VNM", "VNM")
    assert m.document_number == "093000001"
    assert m.optional_data_1 == "001093000001<<2"
    assert m.optional_data_2 == ""
    assert (m.date_of_birth, m.sex, m.date_of_expiry) == ("930105", "M", "330105")
    assert (m.primary_identifier, m.secondary_identifier) == ("NGUYEN", "VAN AN")
    assert m.vn_id_number == "001093000001"
    key = m.access_key()
    assert isinstance(key, MrzKey)
    assert key.mrz_information == "093000001" + "1" + "930105" + "4" + "330105" + "2"
    assert "093000001" not in repr(m)  # the MRZ is the chip key: redacted in logs


def test_vn_example_without_line_breaks_as_in_dg1():
    assert parse_mrz(VN_MRZ.replace("\n", "")) == parse_mrz(VN_MRZ)


def test_icao_td1_long_document_number():
    m = parse_mrz(ICAO_TD1_LONG)
    assert m.document_number == "D23145890734"
    assert m.optional_data_1 == ""
    assert m.access_key().document_number == "D23145890734"


def test_icao_td3_specimen():
    m = parse_mrz(ICAO_TD3)
    assert m.format is MrzFormat.TD3
    assert m.document_number == "L898902C3"
    assert m.optional_data_1 == "ZE184226B"
    assert (m.primary_identifier, m.secondary_identifier) == ("ERIKSSON", "ANNA MARIA")


def test_icao_td2_specimen():
    m = parse_mrz(ICAO_TD2)
    assert m.format is MrzFormat.TD2
    assert m.document_number == "D23145890"
    assert m.date_of_expiry == "120415"


@pytest.mark.parametrize(
    ("line", "pos", "field"),
    [
        (0, 14, "document number"),
        (1, 6, "date of birth"),
        (1, 14, "date of expiry"),
        (1, 29, "composite"),
    ],
)
def test_wrong_check_digit_names_the_field(line, pos, field):
    lines = VN_MRZ.split("\n")
    ch = lines[line][pos]
    lines[line] = lines[line][:pos] + str((int(ch) + 1) % 10) + lines[line][pos + 1:]
    with pytest.raises(ParseError, match=field):
        parse_mrz("\n".join(lines))


def test_td3_personal_number_check_digit():
    bad = ICAO_TD3[:-2] + "2" + ICAO_TD3[-1]
    with pytest.raises(ParseError, match="personal number"):
        parse_mrz(bad)


@pytest.mark.parametrize("text", ["", "ABC", "x" * 90, VN_MRZ.lower(), "<" * 500, VN_MRZ[:-1]])
def test_malformed_mrz_is_parse_error(text):
    with pytest.raises(ParseError):
        parse_mrz(text)


def test_encode_td1_reproduces_vn_example():
    text = encode_td1(
        document_code="ID", issuing_state="VNM", document_number="093000001",
        date_of_birth="1993-01-05", sex="M", date_of_expiry="05/01/2033", nationality="VNM",
        primary_identifier="Nguyễn", secondary_identifier="Văn An",
        optional_data_1="001093000001<<2",
    )
    assert text == VN_MRZ
    assert encode_vn_td1(id12="001093000001", date_of_birth="930105", sex="M",
                         date_of_expiry="330105", primary_identifier="NGUYEN",
                         secondary_identifier="VAN AN") == VN_MRZ


def test_encode_td1_long_number_matches_icao_example():
    text = encode_td1(issuing_state="UTO", document_number="D23145890734",
                      date_of_birth="740812", sex="F", date_of_expiry="120415",
                      nationality="UTO", primary_identifier="ERIKSSON",
                      secondary_identifier="ANNA MARIA")
    assert text == ICAO_TD1_LONG


def test_encode_td3_and_td2_match_icao_specimens():
    assert encode_td3(issuing_state="UTO", document_number="L898902C3", date_of_birth="740812",
                      sex="F", date_of_expiry="120415", nationality="UTO",
                      primary_identifier="ERIKSSON", secondary_identifier="ANNA MARIA",
                      personal_number="ZE184226B") == ICAO_TD3
    assert encode_td2(issuing_state="UTO", document_number="D23145890", date_of_birth="740812",
                      sex="F", date_of_expiry="120415", nationality="UTO",
                      primary_identifier="ERIKSSON",
                      secondary_identifier="ANNA MARIA") == ICAO_TD2


def test_name_transliteration_and_truncation():
    assert to_mrz_name("Đặng Thị Ánh") == "DANG<THI<ANH"
    long = encode_td1(issuing_state="VNM", document_number="1", date_of_birth="000101",
                      sex="F", date_of_expiry="300101", nationality="VNM",
                      primary_identifier="Tôn Nữ Hoàng Thị Phương Khánh Linh",
                      secondary_identifier="An")
    assert len(long.split("\n")[2]) == 30
    with pytest.raises(InputError):
        to_mrz_name("李")


def test_vn_helpers():
    assert vn_can("001093000001") == "000001"
    key = vn_access_key("001093000001", "05/01/1993", "2033-01-05")
    assert key.document_number == "093000001"
    assert key.mrz_information == "093000001" "1" "930105" "4" "330105" "2"
    for bad in ("12345", "00109300000A", "0010930000012"):
        with pytest.raises(InputError, match="12 digits"):
            vn_can(bad)
    with pytest.raises(InputError, match="date of birth '31/02/1990' is not a valid date"):
        vn_access_key("001093000001", "31/02/1990", "330105")


def test_dates_user_forms():
    assert to_mrz_date("1990-01-31") == "900131"
    assert to_mrz_date("31/01/1990") == "900131"
    assert to_mrz_date("900131") == "900131"
    assert to_mrz_date(dt.date(2033, 1, 5)) == "330105"
    with pytest.raises(InputError, match="date of birth '31/02/1990' is not a valid date"):
        to_mrz_date("31/02/1990", DateKind.BIRTH)
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        parse_date("next tuesday")
    with pytest.raises(InputError, match="not a valid date"):
        to_mrz_date("901301")


def test_two_digit_year_pivot():
    today = dt.date(2025, 6, 1)
    assert mrz_to_date("930105", DateKind.BIRTH, today=today) == dt.date(1993, 1, 5)
    assert mrz_to_date("250531", DateKind.BIRTH, today=today) == dt.date(2025, 5, 31)
    assert mrz_to_date("250602", DateKind.BIRTH, today=today) == dt.date(1925, 6, 2)
    assert mrz_to_date("330105", DateKind.EXPIRY, today=today) == dt.date(2033, 1, 5)
    assert mrz_to_date("750101", DateKind.EXPIRY, today=today) == dt.date(2075, 1, 1)
    assert mrz_to_date("760101", DateKind.EXPIRY, today=today) == dt.date(1976, 1, 1)
    assert mrz_to_date("000229", DateKind.BIRTH, today=today) == dt.date(2000, 2, 29)


def test_lds_modules_do_not_load_icao_or_transport():
    import subprocess
    import sys

    code = (
        "import sys, cardkit.lds.mrz, cardkit.lds.dates, cardkit.lds.com, cardkit.lds.dg1, "
        "cardkit.lds.dg2, cardkit.lds.dg3, cardkit.lds.dg13\n"
        "bad = [m for m in sys.modules if m.startswith(('cardkit.icao', 'cardkit.transport'))]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
