"""Robustness: truncated or mutated real files and random input raise ParseError and nothing else."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardkit.errors import ParseError
from cardkit.lds import tlv
from cardkit.lds.com import parse_com
from cardkit.lds.dg1 import parse_dg1
from cardkit.lds.dg2 import parse_dg2
from cardkit.lds.dg3 import parse_dg3
from cardkit.lds.dg13 import encode_dg13, parse_dg13
from cardkit.lds.face_image import parse_face_record
from cardkit.lds.finger_image import parse_finger_record
from cardkit.lds.mrz import parse_mrz

FILES = [
    ("bsi2008/EF_COM.bin", parse_com),
    ("loes2006/ef011E.bin", parse_com),
    ("bsi2008/Datagroup1.bin", parse_dg1),
    ("loes2006/ef0101.bin", parse_dg1),
    ("bsi2008/Datagroup2.bin", parse_dg2),
    ("loes2006/ef0102.bin", parse_dg2),
    ("bsi2008/Datagroup3.bin", parse_dg3),
]


def _cuts(n: int) -> list[int]:
    """Every cut near both ends and inside headers, a stride through the middle."""
    stride = max(1, n // 1500)
    return sorted(set(range(min(n, 400))) | set(range(max(0, n - 200), n))
                  | set(range(0, n, stride)))


@pytest.mark.parametrize(("name", "parser"), FILES, ids=[f[0] for f in FILES])
def test_truncations_raise_parse_error(interop_dir, name, parser):
    data = (interop_dir / name).read_bytes()
    parser(data)  # the whole file parses
    for cut in _cuts(len(data)):
        with pytest.raises(ParseError):
            parser(data[:cut])


@pytest.mark.parametrize(("name", "parser"), FILES, ids=[f[0] for f in FILES])
def test_mutations_raise_parse_error_or_parse(interop_dir, name, parser):
    data = (interop_dir / name).read_bytes()
    rng = random.Random(name)
    limit = min(len(data), 600)  # headers and structure live at the front
    outcomes = []
    for _ in range(400):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            buf[rng.randrange(limit)] = rng.randrange(256)
        outcomes.append(_outcome(parser, bytes(buf)))
    assert "parse_error" in outcomes  # the mutations did reach the checks


def test_dg13_truncations_are_parse_error_or_lenient():
    data = encode_dg13({1: "001093000001", 2: "Nguyễn Văn An", 13: ("Ba", "Mẹ")})
    for cut in range(len(data)):
        with pytest.raises(ParseError):
            parse_dg13(data[:cut])
    # inner damage with a correct outer length: lenient, the fields before it survive
    inner = tlv.parse(data, 0x6D).value
    for cut in range(len(inner)):
        d = parse_dg13(tlv.encode(0x6D, inner[:cut]))
        assert isinstance(d.warnings, list)


def _outcome(parser, blob) -> str:
    """'ok' or 'parse_error'; any other exception escapes and fails the test."""
    try:
        parser(blob)
    except ParseError:
        return "parse_error"
    return "ok"


_PARSERS = [parse_com, parse_dg1, parse_dg2, parse_dg3, parse_dg13, parse_face_record,
            parse_finger_record]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([None, 0x60, 0x61, 0x75, 0x63, 0x6D]))
def test_random_bytes_only_parse_error(data, tag):
    blob = data if tag is None else tlv.encode(tag, data)
    for parser in _PARSERS:
        assert _outcome(parser, blob) in ("ok", "parse_error")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120))
def test_random_biometric_records_only_parse_error(tail):
    for prefix in (b"FAC\x00010\x00", b"FIR\x00010\x00"):
        for parser in (parse_face_record, parse_finger_record):
            assert _outcome(parser, prefix + tail) == "parse_error" or len(tail) >= 6


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<\n", max_size=100))
def test_random_mrz_only_parse_error(text):
    assert _outcome(parse_mrz, text) in ("ok", "parse_error")
