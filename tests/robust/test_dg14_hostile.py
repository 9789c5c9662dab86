"""Defect 3b (issue 11): a DG14 with a malformed curve gave a traceback (ZeroDivisionError,
IndexError). The chip's DG14 is the card's word: a curve cardkit cannot use makes Chip
Authentication unverifiable (never valid, never a crash); the read itself goes on."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cardkit.errors import ParseError
from cardkit.icao.chip_auth import domain_params_of
from cardkit.lds.dg14 import parse_dg14
from cardkit.sim.personas import get_persona
from cardkit_cli.main import cli
from tests.robust.hostile import dg14_with_ca_params, explicit_ec_params_der, temporary_persona

BAD_CURVES = {
    "p=0": explicit_ec_params_der(0, base=b"\x04"),
    "curve without b": explicit_ec_params_der(23, curve_fields=1),
    "toy curve p=23": explicit_ec_params_der(23),
    "huge field": explicit_ec_params_der((1 << 4423) - 1, base=b"\x04" + b"\x01" * 1106),
}


@pytest.mark.parametrize("name", list(BAD_CURVES))
def test_malformed_curve_is_a_parse_error(name):
    dg14 = dg14_with_ca_params(BAD_CURVES[name])
    with pytest.raises(ParseError):
        infos = parse_dg14(dg14)
        domain_params_of(infos.chip_auth_public_keys[0].public_key)


@pytest.mark.parametrize(("name", "code"), [("p=0", 0), ("curve without b", 0),
                                           ("toy curve p=23", 0)])
def test_read_of_a_card_with_a_malformed_dg14_curve(name, code):
    """DG14 is issuer data (hash-checked): malformed or a non-standard curve, CA cannot run —
    unverifiable, never "CLONED" — and Active Authentication still proves this chip (exit 0)."""
    with temporary_persona(f"robust-dg14-{name}",
                           lambda seed: get_persona("default", seed).with_files(
                               DG14=dg14_with_ca_params(BAD_CURVES[name]))) as persona:
        r = CliRunner().invoke(cli, ["read", "--sim", persona, "--json"])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert "Traceback" not in r.output + r.stderr
    assert r.exit_code == code, r.output + r.stderr
    assert json.loads(r.stdout)["checks"]["chip_auth"]["state"] == "unverifiable"
