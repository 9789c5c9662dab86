"""The test PKI and EF.SOD, checked with an independent tool: the OpenSSL command line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cardkit.lds import tlv
from cardkit.sim import pki
from cardkit.sim.issuer import encode_sod
from cardkit.sim.personas import get_persona

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl CLI not installed")


def _openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OPENSSL, *args], capture_output=True, text=True, timeout=30)


@pytest.fixture(scope="module")
def trust(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    written = pki.export_pki(d)
    assert sorted(p.name for p in written) == ["crl.der", "crl.pem", "csca.der", "csca.pem"]
    assert not list(d.glob("*key*")) and not (d / "csca-unexported.pem").exists()
    return d


def _verify_sod(persona: str, trust: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    p = get_persona(persona)
    der = tmp / f"{persona}.sod.der"
    der.write_bytes(tlv.parse(p.files["SOD"], 0x77).value)
    return _openssl("cms", "-verify", "-inform", "DER", "-in", str(der), "-CAfile",
                    str(trust / "csca.pem"), "-binary", "-out", str(tmp / f"{persona}.lds"))


@pytest.mark.parametrize("persona", ["default", "jp2", "ecdsa-dsc", "forged-dg"])
def test_sod_verifies_with_openssl(persona: str, trust: Path, tmp_path: Path) -> None:
    r = _verify_sod(persona, trust, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Verification successful" in r.stderr
    lds = (tmp_path / f"{persona}.lds").read_bytes()
    parsed = _openssl("asn1parse", "-inform", "DER", "-in", str(tmp_path / f"{persona}.lds"))
    assert ":sha256" in parsed.stdout and lds[0] == 0x30


def test_unknown_csca_does_not_verify(trust: Path, tmp_path: Path) -> None:
    r = _verify_sod("unknown-csca", trust, tmp_path)
    assert r.returncode != 0
    assert "unable to get local issuer certificate" in r.stderr


def test_crl_lists_the_revoked_dsc(trust: Path, tmp_path: Path) -> None:
    text = _openssl("crl", "-inform", "DER", "-in", str(trust / "crl.der"), "-text", "-noout")
    assert text.returncode == 0
    serial = f"{pki.dsc('revoked').certificate.serial_number:X}"
    assert f"Serial Number: {serial}" in text.stdout
    assert f"Serial Number: {pki.dsc('rsa').certificate.serial_number:X}" not in text.stdout
    assert "CardKit Test CSCA" in text.stdout
    for name, expect_ok in (("rsa", True), ("revoked", False)):
        cert = tmp_path / f"{name}.pem"
        cert.write_bytes((pki.DATA_DIR / f"dsc-{name}.pem").read_bytes())
        r = _openssl("verify", "-crl_check", "-CAfile", str(trust / "csca.pem"), "-CRLfile",
                     str(trust / "crl.pem"), str(cert))
        assert (r.returncode == 0) is expect_ok, r.stdout + r.stderr
        if not expect_ok:
            assert "certificate revoked" in r.stdout + r.stderr


def test_revoked_dsc_persona_signed_by_revoked_dsc() -> None:
    from asn1crypto import cms

    sod = get_persona("revoked-dsc").files["SOD"]
    ci = cms.ContentInfo.load(tlv.parse(sod, 0x77).value)
    cert = ci["content"]["certificates"][0].chosen
    assert cert.serial_number == pki.dsc("revoked").certificate.serial_number


def test_csca_is_a_labelled_test_ca() -> None:
    cert = pki.csca_certificate()
    subject = cert.subject.rfc4514_string()
    assert "CN=CardKit Test CSCA" in subject and "C=VN" in subject and "not for production" in subject
    assert "TEST KEYS" in (pki.DATA_DIR / "README.txt").read_text()


def test_signing_is_deterministic() -> None:
    files = {"DG1": b"\x61\x00", "DG2": b"\x75\x00"}
    for name in ("rsa", "p256", "bp256"):
        assert encode_sod(files, pki.dsc(name)) == encode_sod(files, pki.dsc(name))


def test_export_is_byte_identical(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    pki.export_pki(a)
    pki.export_pki(b)
    for f in ("csca.pem", "crl.der"):
        assert (a / f).read_bytes() == (b / f).read_bytes()
    assert (a / "csca.pem").read_bytes() == (pki.DATA_DIR / "csca.pem").read_bytes()
