"""Trust stores, CSCA master lists (built and signed with OpenSSL) and the inspect/trust CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cardkit.dump import save_dump
from cardkit.errors import ParseError, VerificationError
from cardkit.results import CheckState
from cardkit.security.masterlist import parse_master_list
from cardkit.security.passive import verify_passive
from cardkit.security.trust import TrustStore, import_master_list, list_trust
from cardkit_cli.inspect import inspect_cmd
from cardkit_cli.trust import trust_group

V, INV = CheckState.VALID, CheckState.INVALID


def test_master_list_parses_and_verifies(pki):
    ml = parse_master_list(pki.p("test.ml").read_bytes())
    assert ml.version == 0
    assert len(ml.certificates) == 3
    assert ml.signature.state == V
    assert ml.signer_chain.state == V  # the ML signer is issued by the listed VN CSCA
    assert "Master List Signer" in ml.signer_subject
    assert ml.countries == ["VN", "ZZ"]


def _tampered_ml(pki) -> bytes:
    data = bytearray(pki.p("test.ml").read_bytes())
    # flip a byte inside the first listed certificate's signature (content, not the CMS signature)
    csca = pki.der("csca")
    pos = bytes(data).index(csca) + len(csca) - 5
    data[pos] ^= 0x01
    return bytes(data)


def test_tampered_master_list_refused(pki, tmp_path):
    ml = parse_master_list(_tampered_ml(pki))
    assert ml.signature.state == INV and "message-digest" in ml.signature.reason
    with pytest.raises(VerificationError):
        TrustStore().add_master_list(_tampered_ml(pki), "bad.ml")
    bad = tmp_path / "bad.ml"
    bad.write_bytes(_tampered_ml(pki))
    with pytest.raises(VerificationError):
        import_master_list(bad, tmp_path / "trust")
    assert not (tmp_path / "trust").exists() or not any((tmp_path / "trust").iterdir())


def test_junk_master_list(tmp_path):
    with pytest.raises(ParseError):
        parse_master_list(b"\x30\x03\x02\x01\x00")


def test_import_then_verify(pki, tmp_path, at):
    folder = tmp_path / "trust"
    rep = import_master_list(pki.p("test.ml"), folder)
    assert (rep.added, rep.already_present) == (3, 0)
    assert rep.countries == ["VN", "ZZ"] and rep.signer_chain == "valid"
    again = import_master_list(pki.p("test.ml"), folder)
    assert (again.added, again.already_present) == (0, 3)
    store = TrustStore.load(folder)
    assert len(store) == 3
    entries = list_trust(store)
    assert sum(1 for e in entries if not e.self_signed) == 1  # the link certificate
    for dsc in ("rsa", "bp256", "ec_ca", "new"):
        r = verify_passive(pki.files_for(dsc), trust=store, at=at)
        assert r.overall.state == V, (dsc, r.summary_line())
    rogue = verify_passive(pki.files_for("rogue"), trust=store, at=at)
    assert rogue.check("dsc_chain").state == INV


def test_trust_store_from_mixed_files(pki, tmp_path):
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(pki.p("csca.pem").read_bytes() + pki.p("csca_ec.pem").read_bytes()
                       + pki.p("crl.pem").read_bytes())
    (tmp_path / "csca.der").write_bytes(pki.der("csca"))
    (tmp_path / "notes.bin").write_bytes(b"not a certificate")
    store = TrustStore.load(tmp_path)
    assert len(store) == 2 and len(store.crls) == 1  # DER duplicate of csca deduplicated
    with pytest.raises(ParseError):
        TrustStore.load(tmp_path / "notes.bin")


# --- CLI ------------------------------------------------------------------------------------------


@pytest.fixture()
def env(tmp_path, monkeypatch):
    trust_dir = tmp_path / "trustdir"
    monkeypatch.setenv("CARDKIT_TRUST_DIR", str(trust_dir))
    return trust_dir


def _dump(pki, tmp_path, dsc, name, alter=False):
    files = pki.files_for(dsc)
    if alter:
        files["DG13"] = files["DG13"][:-1] + b"X"
    folder = tmp_path / name
    save_dump(folder, files)
    return folder


def test_cli_trust_import_list_and_inspect(pki, tmp_path, env, at):
    runner = CliRunner()
    res = runner.invoke(trust_group, ["import", str(pki.p("test.ml"))])
    assert res.exit_code == 0, res.output
    assert "Stored 3 CSCA certificates" in res.output
    res = runner.invoke(trust_group, ["list", "--json"])
    data = json.loads(res.output)
    assert res.exit_code == 0 and len(data["csca"]) == 3
    assert {e["country"] for e in data["csca"]} == {"VN", "ZZ"}
    res = runner.invoke(trust_group, ["list"])
    assert "[link]" in res.output

    at_opt = ["--at", at.isoformat()]
    good = _dump(pki, tmp_path, "p256", "good")
    res = runner.invoke(inspect_cmd, [str(good), "--verbose", *at_opt])  # the local trust dir
    assert res.exit_code == 0, res.output
    assert "VERIFIED — all required checks passed" in res.output
    assert "Chip data genuine — signed by Test CSCA Vietnam (VN)" in res.output  # details

    forged = _dump(pki, tmp_path, "rsa", "forged", alter=True)
    res = runner.invoke(inspect_cmd, [str(forged), "--json", *at_opt])
    assert res.exit_code == 3
    out = json.loads(res.output)
    assert out["verdict"]["result"] == "rejected"
    assert out["checks"]["passive_auth"]["details"]["summary"].startswith(
        "NOT GENUINE: DG13 altered")

    revoked = _dump(pki, tmp_path, "revoked", "revoked")
    res = runner.invoke(inspect_cmd, [str(revoked), "--crl", str(pki.p("crl.der")), *at_opt])
    assert res.exit_code == 3 and "revoked" in res.output


def test_cli_inspect_unverifiable_and_bad_input(pki, tmp_path, env, at):
    runner = CliRunner()
    good = _dump(pki, tmp_path, "rsa", "good")
    at_opt = ["--at", at.isoformat()]
    res = runner.invoke(inspect_cmd, [str(good), *at_opt])  # empty local dir: bundled DE list
    assert res.exit_code == 3 and "not issued by a trusted authority" in res.output
    res = runner.invoke(inspect_cmd, [str(good), "--no-default-trust", *at_opt])  # no CSCA
    assert res.exit_code == 6 and "INCOMPLETE — not confirmed: the issuing authority's " \
        "certificate is not installed" in res.output
    res = runner.invoke(inspect_cmd, [str(good), "--no-default-trust", "--allow-unverifiable",
                                      *at_opt])
    assert res.exit_code == 0
    res = runner.invoke(inspect_cmd, [str(good), "--trust", str(pki.p("csca.pem")), *at_opt])
    assert res.exit_code == 0
    res = runner.invoke(inspect_cmd, [str(good), "--trust", str(pki.p("csca_ec.pem")), *at_opt])
    assert res.exit_code == 3 and "not issued by a trusted authority" in res.output
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "SOD.bin").write_bytes(b"\x77\x02\x30\x00")
    res = runner.invoke(inspect_cmd, [str(junk)])
    assert res.exit_code == 2 and "EF.SOD" in res.output
    res = runner.invoke(inspect_cmd, [str(tmp_path / "missing")])
    assert res.exit_code == 2
    res = runner.invoke(inspect_cmd, [str(good), "--at", "yesterday"])
    assert res.exit_code == 2


def test_cli_trust_add_and_inspect_with_ml(pki, tmp_path, env, at):
    runner = CliRunner()
    good = _dump(pki, tmp_path, "bp256", "good")
    at_opt = ["--at", at.isoformat()]
    res = runner.invoke(inspect_cmd, [str(good), "--trust", str(pki.p("test.ml")), *at_opt])
    assert res.exit_code == 0, res.output
    res = runner.invoke(trust_group, ["add", str(pki.p("csca.pem")), str(pki.p("crl.der"))])
    assert res.exit_code == 0 and "Stored 2 items" in res.output
    revoked = _dump(pki, tmp_path, "revoked", "revoked")
    res = runner.invoke(inspect_cmd, [str(revoked), "--json", *at_opt])  # CRL from the trust dir
    assert res.exit_code == 3
    assert json.loads(res.output)["checks"]["passive_auth"]["details"]["checks"]["crl"][
        "state"] == "invalid"
    res = runner.invoke(inspect_cmd, [str(good), *at_opt])
    assert res.exit_code == 0
