"""Passive authentication of the virtual card's personas (SODs made by cardkit.sim)."""

from __future__ import annotations

import pytest

from cardkit.results import CheckState
from cardkit.security.crl import load_crl_paths
from cardkit.security.passive import verify_passive
from cardkit.security.trust import TrustStore

sim = pytest.importorskip("cardkit.sim.personas")
pki_mod = pytest.importorskip("cardkit.sim.pki")

V, INV = CheckState.VALID, CheckState.INVALID


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("simpki")
    pki_mod.export_pki(folder)
    return TrustStore.load(folder / "csca.pem"), load_crl_paths([folder / "crl.der"])


def run(name, exported):
    store, crls = exported
    return verify_passive(sim.get_persona(name).files, trust=store, crls=crls)


@pytest.mark.parametrize("name", ["default", "jp2", "ecdsa-dsc"])
def test_genuine_personas(name, exported):
    r = run(name, exported)
    assert r.overall.state == V, r.summary_line()
    assert r.check("crl").state == V
    assert r.summary_line().startswith("Chip data genuine")


def test_forged_dg(exported):
    r = run("forged-dg", exported)
    assert r.check("dg_hashes").state == INV and r.check("sod_signature").state == V
    assert r.summary_line().startswith("NOT GENUINE: DG13 altered after issuance")


def test_unknown_csca(exported):
    r = run("unknown-csca", exported)
    assert r.check("dsc_chain").state == INV and r.overall.state == INV


def test_revoked_dsc(exported):
    r = run("revoked-dsc", exported)
    assert r.check("crl").state == INV and r.overall.state == INV
    assert "revoked" in r.summary_line()
