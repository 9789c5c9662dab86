"""Inputs the fuzzer (scripts/fuzz.py) found, kept as regression tests.

1. master_list (found after 15378 inputs): digestAlgorithms whose NULL parameters became an
   ObjectDescriptor (tag 07) made asn1crypto raise AttributeError: a traceback. The SOD shares
   the CMS parser, so it is checked too."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cardkit.errors import ParseError
from cardkit.lds.sod import parse_sod
from cardkit.security.masterlist import parse_master_list
from cardkit.sim.personas import get_persona

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from fuzz import _master_list  # noqa: E402

SHA256_ALG = bytes.fromhex("300d06096086480165030402010500")  # AlgorithmIdentifier, NULL params
# the found input: the OID's first byte 60 → 00 and the NULL turned into an ObjectDescriptor
ODD_ALG = bytes.fromhex("300d06090086480165030402010700")


def test_master_list_with_object_descriptor_parameters():
    ml = _master_list()
    assert SHA256_ALG in ml
    with pytest.raises(ParseError):
        parse_master_list(ml.replace(SHA256_ALG, ODD_ALG, 1))


def test_sod_with_object_descriptor_parameters():
    sod = get_persona("default").files["SOD"]
    assert SHA256_ALG in sod
    with pytest.raises(ParseError):
        parse_sod(sod.replace(SHA256_ALG, ODD_ALG, 1))
