"""Passive authentication against a PKI and SODs made by the OpenSSL command line."""

from __future__ import annotations

import subprocess

import pytest

from cardkit.errors import ParseError
from cardkit.results import CheckState
from cardkit.security.crl import load_crls
from cardkit.security.passive import verify_passive
from cardkit.security.trust import TrustStore

V, INV, U, N = (CheckState.VALID, CheckState.INVALID, CheckState.UNVERIFIABLE,
              CheckState.NOT_PERFORMED)
GOOD = ["rsa", "p256", "bp256", "pss"]


@pytest.fixture(scope="module")
def trust(pki):
    return TrustStore.load(pki.p("csca.pem"), pki.p("csca_ec.pem"))


@pytest.fixture(scope="module")
def signed(pki):
    """One signed file set per DSC (signing is the slow part)."""
    out = {}
    for dsc in (*GOOD, "expired", "revoked", "ec_ca", "rogue", "new"):
        out[dsc] = pki.files_for(dsc, pss=(dsc == "pss"))
    return out


def states(result):
    return {c.name: c.state for c in result.checks}


@pytest.mark.parametrize("dsc", [*GOOD, "ec_ca"])
def test_good_is_valid(signed, trust, at, dsc):
    r = verify_passive(signed[dsc], trust=trust, at=at)
    assert states(r) == {"dg_hashes": V, "sod_signature": V, "dsc_chain": V,
                         "dsc_validity": V, "crl": N}
    assert r.overall.state == V
    assert r.summary_line().startswith("Chip data genuine — signed by Test CSCA")
    assert r.authenticated_dgs == [1, 2, 13]


def test_key_and_algorithm_facts(signed, trust, at):
    bp = verify_passive(signed["bp256"], trust=trust, at=at)
    assert bp.dsc_key == "EC brainpoolP256r1 (explicit parameters)"
    assert bp.signature_algorithm == "ECDSA SHA-256"
    pss = verify_passive(signed["pss"], trust=trust, at=at)
    assert pss.signature_algorithm == "RSA-PSS SHA-256"
    assert verify_passive(signed["rsa"], trust=trust, at=at).dsc_key == "RSA-2048"
    assert verify_passive(signed["ec_ca"], trust=trust, at=at).country == "ZZ"


@pytest.mark.parametrize("dsc", GOOD)
def test_openssl_agrees(pki, signed, trust, at, tmp_path, dsc):
    """Independent check: OpenSSL's verdict on the good SOD and on a corrupted one equals ours.
    (OpenSSL refuses explicit-parameter certificates in chain building: -noverify for bp256.)"""
    for corrupt in (False, True):
        files = dict(signed[dsc])
        sod = bytearray(files["SOD"])
        if corrupt:
            sod[-3] ^= 0x55
        files["SOD"] = bytes(sod)
        (tmp_path / "sod.der").write_bytes(sod[4:] if sod[1] == 0x82 else sod[3:])
        chain = ["-noverify"] if dsc == "bp256" else ["-CAfile", str(pki.p("csca.pem")),
                                                      "-purpose", "any"]
        proc = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
                               str(tmp_path / "sod.der"), *chain, "-out", "/dev/null"],
                              capture_output=True)
        ours = verify_passive(files, trust=trust, at=at).check("sod_signature").state
        assert (proc.returncode == 0) == (not corrupt), proc.stderr
        assert ours == (INV if corrupt else V)


@pytest.mark.parametrize("dsc", GOOD)
def test_altered_dg(signed, trust, at, dsc):
    files = dict(signed[dsc])
    files["DG13"] = files["DG13"][:-1] + bytes([files["DG13"][-1] ^ 1])
    r = verify_passive(files, trust=trust, at=at)
    assert states(r)["dg_hashes"] == INV and states(r)["sod_signature"] == V
    assert r.dg_status == {1: "valid", 2: "valid", 13: "invalid"}
    assert r.overall.state == INV
    assert r.summary_line().startswith("NOT GENUINE: DG13 altered after issuance")
    assert 13 not in r.authenticated_dgs


@pytest.mark.parametrize("dsc", GOOD)
def test_bad_signature(signed, trust, at, dsc):
    files = dict(signed[dsc])
    sod = bytearray(files["SOD"])
    sod[-3] ^= 0x55  # inside the signature value (last field of the SignerInfo)
    files["SOD"] = bytes(sod)
    r = verify_passive(files, trust=trust, at=at)
    assert states(r)["sod_signature"] == INV
    assert r.overall.state == INV
    assert r.summary_line().startswith("NOT GENUINE: security object signature invalid")


def test_signed_content_swapped_detected_by_message_digest(pki, signed, trust, at):
    """Changing a hash inside the LDSSecurityObject breaks the message-digest attribute."""
    files = dict(signed["rsa"])
    sod = files["SOD"]
    from cardkit.lds.sod import parse_sod

    h = parse_sod(sod).dg_hashes[1]
    files["SOD"] = sod.replace(h, bytes(len(h)))
    files["DG1"] = files["DG1"]
    r = verify_passive(files, trust=trust, at=at)
    assert states(r)["sod_signature"] == INV
    assert "message-digest" in r.check("sod_signature").reason


def test_unknown_csca_same_name_is_invalid(signed, trust, at):
    r = verify_passive(signed["rogue"], trust=trust, at=at)
    assert states(r)["sod_signature"] == V  # the SOD is consistently signed ...
    assert states(r)["dsc_chain"] == INV  # ... by a DSC no trusted CSCA issued
    assert r.overall.state == INV
    assert "not issued by a trusted state" in r.summary_line()


def test_unknown_country_is_invalid_with_store(pki, signed, at):
    only_ec = TrustStore.load(pki.p("csca_ec.pem"))
    r = verify_passive(signed["rsa"], trust=only_ec, at=at)
    assert states(r)["dsc_chain"] == INV
    assert "no CSCA for VN" in r.check("dsc_chain").reason


def test_no_trust_store_is_unverifiable(signed, at):
    r = verify_passive(signed["rsa"], trust=None, at=at)
    assert states(r)["dsc_chain"] == U
    assert r.overall.state == U
    assert r.summary_line().startswith("CANNOT CONFIRM: data intact and signed by DS RSA")


def test_revoked_dsc(pki, signed, trust, at):
    crl = pki.p("crl.der").read_bytes()
    r = verify_passive(signed["revoked"], trust=trust, crls=[crl], at=at)
    assert states(r)["crl"] == INV
    assert r.overall.state == INV
    assert "revoked" in r.summary_line()
    # the same CRL clears a DSC it does not list
    ok = verify_passive(signed["rsa"], trust=trust, crls=load_crls(crl), at=at)
    assert states(ok)["crl"] == V and ok.overall.state == V
    # without the CRL, the revoked DSC is not caught (the crl check says so)
    blind = verify_passive(signed["revoked"], trust=trust, at=at)
    assert states(blind)["crl"] == N


def test_crl_pem_and_not_applicable(pki, signed, trust, at):
    pem = pki.p("crl.pem").read_bytes()
    r = verify_passive(signed["revoked"], trust=trust, crls=[pem], at=at)
    assert states(r)["crl"] == INV
    # a VN CRL says nothing about the ZZ DSC; since CRLs were given, crl is required
    other = verify_passive(signed["ec_ca"], trust=trust, crls=[pem], at=at)
    assert states(other)["crl"] == N and other.overall.state == U
    lenient = verify_passive(signed["ec_ca"], trust=trust, crls=[pem], at=at, require_crl=False)
    assert lenient.overall.state == V


def test_crl_inside_trust_dir(pki, signed, at, tmp_path):
    for n in ("csca.pem", "crl.pem"):
        (tmp_path / n).write_bytes(pki.p(n).read_bytes())
    store = TrustStore.load(tmp_path)
    assert len(store) == 1 and len(store.crls) == 1
    r = verify_passive(signed["revoked"], trust=store, at=at)
    assert states(r)["crl"] == INV


def test_expired_dsc(signed, trust, at):
    r = verify_passive(signed["expired"], trust=trust, at=at)
    assert states(r)["dsc_validity"] == INV
    assert states(r)["sod_signature"] == V and states(r)["dsc_chain"] == V
    assert r.overall.state == INV
    assert "expired on 2021-01-01" in r.summary_line()


def test_validity_at_given_time(signed, trust):
    import datetime as dt

    early = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)  # before DSC and CSCA
    r = verify_passive(signed["rsa"], trust=trust, at=early)
    assert states(r)["dsc_validity"] == INV
    assert "not valid before 2025-01-01" in r.check("dsc_validity").reason


def test_link_certificate_after_rollover(pki, signed, trust, at):
    # DSC under the new CSCA key: not trusted by the old CSCA certificate alone ...
    r = verify_passive(signed["new"], trust=trust, at=at)
    assert states(r)["dsc_chain"] == INV
    # ... but trusted once the link certificate (new key, signed by the old) is in the store
    with_link = TrustStore.load(pki.p("csca.pem"), pki.p("link.pem"))
    r2 = verify_passive(signed["new"], trust=with_link, at=at)
    assert states(r2)["dsc_chain"] == V and r2.overall.state == V
    assert r2.check("dsc_chain").details["link_certificate"] is True


def test_supplied_dsc(pki, signed, trust, at):
    files = signed["rsa"]
    r = verify_passive(files, trust=trust, at=at, dsc=pki.der("dsc-rsa"))
    assert r.overall.state == V
    wrong = verify_passive(files, trust=trust, at=at, dsc=pki.der("dsc-p256"))
    assert states(wrong)["sod_signature"] in (INV, U)
    assert wrong.overall.state != V


def test_dgs_not_read_and_not_listed(signed, trust, at):
    files = dict(signed["rsa"])
    del files["DG2"]
    files["DG15"] = b"\x6f\x03\x01\x02\x03"
    r = verify_passive(files, trust=trust, at=at)
    assert r.dg_status == {1: "valid", 2: "not_read", 13: "valid", 15: "not_listed"}
    reason = r.check("dg_hashes").reason
    # a data group the SOD does not list was added after issuance: not genuine (issue 9)
    assert r.check("dg_hashes").state == INV and r.overall.state == INV
    assert "listed but not read: DG2" in reason and "not listed in EF.SOD" in reason
    assert r.authenticated_dgs == [1, 13]
    assert "DG15 not covered by the issuer's signature" in r.summary_line()


def test_no_sod_and_junk_sod(signed, trust, at):
    files = {k: v for k, v in signed["rsa"].items() if k != "SOD"}
    r = verify_passive(files, trust=trust, at=at)
    assert r.overall.state == U and all(c.state == N for c in r.checks)
    with pytest.raises(ParseError):
        verify_passive({"SOD": b"\x77\x03\x30\x01\x00"}, trust=trust, at=at)


def test_to_dict_shape(signed, trust, at):
    d = verify_passive(signed["p256"], trust=trust, at=at).to_dict()
    assert d["overall"]["state"] == "valid"
    assert set(d["checks"]) == {"dg_hashes", "sod_signature", "dsc_chain", "dsc_validity", "crl"}
    assert d["data_groups"] == {"DG1": "valid", "DG2": "valid", "DG13": "valid"}
    assert d["facts"]["country"] == "VN" and d["facts"]["csca_subject"].startswith("CN=Test CSCA")
    import json

    json.dumps(d)  # serialisable
