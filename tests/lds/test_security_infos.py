"""SecurityInfos, EF.CardAccess, DG14 and DG15 parsers: interop files, encoders, hostile input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardkit.errors import ParseError
from cardkit.lds import security_infos as si
from cardkit.lds.card_access import parse_card_access, supported_pace_infos
from cardkit.lds.dg14 import encode_dg14, parse_dg14
from cardkit.lds.dg15 import parse_dg15

# EF.CardAccess of a German eID test card (openpace's example): PACE DH/ECDH + CA + TA infos
GERMAN_CARD_ACCESS = bytes.fromhex(
    "318182300D060804007F00070202020201023012060A04007F000702020302020201020201413012060A04007F"
    "0007020204020202010202010D301C060904007F000702020302300C060704007F0007010202010D020141302B"
    "060804007F0007020206161F655041202D2042447220476D6248202D20546573746B617274652076322E300449"
    "1715411928800A01B421FA07000000000000000000000000000000000000201010291010")


def test_german_card_access():
    infos = parse_card_access(GERMAN_CARD_ACCESS)
    (p,) = infos.pace
    assert p.protocol == "0.4.0.127.0.7.2.2.4.2.2" and p.version == 2 and p.parameter_id == 13
    assert p.algorithm.name == "PACE-ECDH-GM-AES-CBC-CMAC-128"
    (c,) = infos.chip_auth
    assert c.algorithm.name == "CA-ECDH-AES-CBC-CMAC-128" and c.key_id == 65
    assert infos.terminal_auth[0].version == 2
    assert any(isinstance(i, si.UnknownSecurityInfo) for i in infos.infos)  # CardInfoLocator
    assert supported_pace_infos(infos) == [p]


def test_bsi2008_dg14_explicit_ec_key(interop_dir):
    infos = parse_dg14((interop_dir / "bsi2008" / "Datagroup14.bin").read_bytes())
    (key,) = infos.chip_auth_public_keys
    assert key.protocol == si.ID_PK_ECDH and key.public_key.kind == "EC"
    assert len(key.public_key.public) == 57 and key.public_key.public[0] == 4  # 224-bit curve
    assert set(key.public_key.explicit) == {"p", "a", "b", "gx", "gy", "n"}
    assert infos.chip_auth[0].algorithm.name == "CA-ECDH-3DES-CBC-CBC"
    from cardkit.icao.chip_auth import domain_params_of

    assert domain_params_of(key.public_key).name == "brainpoolP224r1"


def test_icao_sample_dg14_dh_key(interop_dir):
    infos = parse_dg14((interop_dir / "doc9303" / "spec_sample_encoded_dg14.bin").read_bytes())
    (key,) = infos.chip_auth_public_keys
    assert key.public_key.kind == "DH" and len(key.public_key.public) == 128
    assert infos.chip_auth[0].algorithm.name == "CA-DH-3DES-CBC-CBC"


@pytest.mark.parametrize("path, bits", [("bsi2008/Datagroup15.bin", 1024),
                                        ("loes2006/ef010F.bin", 1024)])
def test_interop_dg15_rsa(interop_dir, path, bits):
    from cardkit.lds.dg15 import rsa_public_numbers

    key = parse_dg15((interop_dir / path).read_bytes())
    assert key.kind == "RSA"
    n, e = rsa_public_numbers(key)
    assert n.bit_length() == bits and e == 65537


def test_encoders_round_trip():
    point = b"\x04" + bytes(range(64))
    spki = si.encode_ec_spki("1.3.36.3.3.2.8.1.1.7", point)
    aa = si.encode_aa_info(si.ECDSA_PLAIN + ".3")
    der = si.encode_security_infos([
        si.encode_pace_info(si.pace_oid("ECDH", si.Mapping.CAM, "AES", 256), 2, 13),
        si.encode_ca_info(si.ca_oid("DH", "AES", 192), 1, 7),
        si.encode_ca_public_key_info(spki, 7),
        aa,
    ])
    infos = parse_dg14(encode_dg14(der))
    assert infos.pace[0].algorithm.mapping is si.Mapping.CAM and infos.pace[0].algorithm.key_bits == 256
    assert infos.chip_auth[0].key_id == 7 and infos.chip_auth[0].algorithm.agreement == "DH"
    pk = infos.chip_auth_public_keys[0].public_key
    assert pk.curve_oid == "1.3.36.3.3.2.8.1.1.7" and pk.public == point
    assert infos.active_auth.hash_name == "sha256"


def test_der_set_matches_asn1crypto():
    from asn1crypto import core

    der = si.encode_security_infos([si.encode_pace_info("0.4.0.127.0.7.2.2.4.2.2", 2, 13),
                                    si.encode_ca_info("0.4.0.127.0.7.2.2.3.2.2", 1)])
    assert core.SetOf.load(der, spec=core.Any).dump(force=True) == der or \
        core.load(der).dump(force=True) == der


@given(st.lists(st.integers(0, 2**40), min_size=1, max_size=8), st.integers(0, 2), st.integers(0, 39))
@settings(max_examples=200, deadline=None)
def test_oid_round_trip(tail, first, second):
    oid = ".".join(str(a) for a in [first, second, *tail])
    assert si.decode_oid(si.encode_oid(oid)[2:]) == oid


@given(st.binary(max_size=300))
@settings(max_examples=400, deadline=None)
def test_hostile_bytes_raise_parse_error_only(data):
    for parse in (si.parse_security_infos, parse_card_access, parse_dg14, parse_dg15):
        with contextlib.suppress(ParseError):
            parse(data)


@given(st.integers(0, 400), st.binary(min_size=1, max_size=1))
@settings(max_examples=300, deadline=None)
def test_corrupted_card_access_raises_parse_error_only(pos, byte):
    data = bytearray(GERMAN_CARD_ACCESS)
    data[pos % len(data)] = byte[0]
    with contextlib.suppress(ParseError):
        parse_card_access(bytes(data))


def test_truncated_and_oversized():
    with pytest.raises(ParseError):
        parse_card_access(GERMAN_CARD_ACCESS[:100])
    with pytest.raises(ParseError):
        parse_card_access(b"\x31" + b"\x84\x00\x10\x00\x00" + bytes(10))
    with pytest.raises(ParseError):
        parse_dg15(b"\x6f\x03\x30\x01\x00")
