"""Passive authentication of reference data made by other implementations (../shared/interop)."""

from __future__ import annotations

from cardkit.results import CheckState
from cardkit.security.passive import verify_passive
from cardkit.security.signature import EcExplicitKey, load_public_key
from cardkit.security.trust import TrustStore

V, INV, U = CheckState.VALID, CheckState.INVALID, CheckState.UNVERIFIABLE


def bsi_files(interop_dir):
    d = interop_dir / "bsi2008"
    files = {"SOD": (d / "EF_SOD.bin").read_bytes(), "COM": (d / "EF_COM.bin").read_bytes()}
    for n in (1, 2, 3, 4, 14, 15):
        files[f"DG{n}"] = (d / f"Datagroup{n}.bin").read_bytes()
    return files


def loes_files(interop_dir):
    d = interop_dir / "loes2006"
    return {"SOD": (d / "ef011D.bin").read_bytes(), "COM": (d / "ef011E.bin").read_bytes(),
            "DG1": (d / "ef0101.bin").read_bytes(), "DG2": (d / "ef0102.bin").read_bytes(),
            "DG15": (d / "ef010F.bin").read_bytes()}


def test_bsi2008_expected_verdict(interop_dir):
    for trust in (None, TrustStore()):
        r = verify_passive(bsi_files(interop_dir), trust=trust)
        # DG4 and DG15 are in the sample but not in its SOD: not authenticated (issue 9)
        assert r.check("dg_hashes").state == INV
        assert "DG4, DG15 not covered by the issuer's signature" in r.check("dg_hashes").reason
        assert r.check("sod_signature").state == V
        assert r.check("dsc_chain").state == U
        assert r.check("dsc_validity").state == INV
        assert "expired on 2009-01-27" in r.check("dsc_validity").reason
        assert r.overall.state != V
        assert r.dsc_subject.endswith("CN=DS, O=BundesDruckerei GmbH, C=DE")
    assert r.dg_status == {1: "valid", 2: "valid", 3: "valid", 4: "not_listed",
                           14: "valid", 15: "not_listed"}
    assert r.signature_algorithm == "ECDSA SHA-1"
    assert r.dsc_key == "EC brainpoolP224r1 (explicit parameters)"
    line = r.summary_line()
    assert "expired on 2009-01-27" in line and "no CSCA" in line


def test_bsi2008_key_is_verified_by_pure_math(interop_dir):
    """brainpoolP224r1 is not offered by `cryptography`: the SEC 1 equation does the work."""
    from cardkit.lds.sod import parse_sod
    from cardkit.security import certs

    sod = parse_sod((interop_dir / "bsi2008" / "EF_SOD.bin").read_bytes())
    key = load_public_key(certs.spki(certs.load_certificate(sod.certificates[0])))
    assert isinstance(key, EcExplicitKey) and key.curve.name == "brainpoolP224r1"


def test_bsi2008_altered_dg_detected(interop_dir):
    files = bsi_files(interop_dir)
    files["DG1"] = files["DG1"].replace(b"MUSTERMANN", b"MUSTERFRAU")
    r = verify_passive(files, trust=None)
    assert r.check("dg_hashes").state == INV
    assert r.summary_line().startswith("NOT GENUINE: DG1 altered after issuance")


def test_loes2006_expected_verdict(interop_dir):
    r = verify_passive(loes_files(interop_dir), trust=None)
    assert [c.state for c in r.checks[:4]] == [V, V, U, INV]
    assert "expired on 2011-10-04" in r.check("dsc_validity").reason
    assert r.overall.state != V
    assert "CN=DS Test" in r.dsc_subject and r.country == "NL"
    assert r.dg_status == {1: "valid", 2: "valid", 15: "valid"}


def test_loes2006_valid_at_issue_time_except_chain(interop_dir):
    import datetime as dt

    r = verify_passive(loes_files(interop_dir), trust=None,
                       at=dt.datetime(2007, 1, 1, tzinfo=dt.timezone.utc))
    assert r.check("dsc_validity").state == V
    assert r.overall.state == U  # still no CSCA: never "valid"


def test_nz2013_signature_verifies(interop_dir):
    files = {"SOD": (interop_dir / "ef_sod" / "NZ2013_EF_SOD.BIN").read_bytes()}
    r = verify_passive(files, trust=None)
    assert r.check("sod_signature").state == V
    assert r.check("dg_hashes").state == CheckState.NOT_PERFORMED
    assert r.dg_status == {1: "not_read", 2: "not_read", 12: "not_read", 13: "not_read",
                           15: "not_read"}
    assert r.country == "NZ"
    assert r.overall.state != V
