"""OpenPACE (`cvc-create`, `cvc-print`) as the independent second implementation of CV
certificates: cardkit's certificates and requests print and verify with `cvc-print`; a chain made
by `cvc-create` is parsed and checked by cardkit and accepted end to end by the virtual chip."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cardkit.lds import cvc
from cardkit.results import CheckState
from cardkit.security.cv_chain import load_chain, make_request, verify_chain
from cardkit.security.terminal_key import load_pem_key
from cardkit.sim.terminal_auth_card import set_trust

from .conftest import SIM_EAC, make_openpace_chain, read_eac

pytestmark = pytest.mark.skipif(not shutil.which("cvc-create") or not shutil.which("cvc-print"),
                                reason="OpenPACE not installed (apt-get install openpace)")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=30)


def cvc_print(path: Path, trust_dir: Path | None = None) -> str:
    args = ["cvc-print", "--cvc", str(path)] + (["--cvc-dir", str(trust_dir)] if trust_dir else [])
    r = run(*args)
    return r.stdout


@pytest.fixture(scope="module")
def trust_dir(tmp_path_factory) -> Path:
    """OpenPACE's trust folder layout: each CVC under its CHR."""
    d = tmp_path_factory.mktemp("cvc-dir")
    for c in load_chain([SIM_EAC]):
        if c.role != "terminal":
            (d / c.chr).write_bytes(c.raw)
    return d


@pytest.mark.parametrize(("name", "chr_", "rights"), [
    ("cvca.cvcert", "VNCVCA00001", "CVCA certificate"),
    ("dv.cvcert", "VNDVBANK00001", "DV certificate"),
    ("is.cvcert", "VNISDESK00001", "Terminal certificate"),
])
def test_cardkit_certificates_print_and_verify_with_openpace(trust_dir, name, chr_, rights):
    out = cvc_print(SIM_EAC / name, trust_dir)
    assert f"CHR: {chr_}" in out and rights in out
    assert "Read fingerprint" in out and "Read iris" in out
    assert out.rstrip().endswith("certificate verified")


def test_openpace_rejects_a_tampered_cardkit_certificate(trust_dir, tmp_path):
    raw = bytearray((SIM_EAC / "is.cvcert").read_bytes())
    raw[-5] ^= 0x01  # inside the signature
    bad = tmp_path / "bad.cvcert"
    bad.write_bytes(bytes(raw))
    assert not cvc_print(bad, trust_dir).rstrip().endswith("certificate verified")


def test_cardkit_request_verifies_with_openpace(tmp_path):
    req = tmp_path / "is.cvreq"
    req.write_bytes(make_request(key=load_pem_key(SIM_EAC / "is.key.pem"), chr="VNISNEW0000001"))
    r = run("cvc-print", "--csr", str(req))
    assert "CHR: VNISNEW0000001" in r.stdout and "certificate request verified" in r.stdout
    assert cvc.parse_request(req.read_bytes()).chr == "VNISNEW0000001"


@pytest.fixture(scope="module")
def openpace_chain(tmp_path_factory) -> Path:
    return make_openpace_chain(tmp_path_factory.mktemp("openpace-chain"))


def test_openpace_chain_parsed_and_verified_by_cardkit(openpace_chain):
    certs = {c.chr: c for c in load_chain([openpace_chain / n for n in
                                           ("cvca.cvcert", "dv.cvcert", "is.cvcert")])}
    cvca, dv, is_cert = certs["DECVCAOP00001"], certs["DEDVOP00001"], certs["DEISOP00001"]
    assert cvca.role == "cvca" and cvca.public_key.has_domain_parameters
    assert dv.role == "dv_domestic" and is_cert.role == "terminal"
    assert is_cert.chat.read_dg3 and not is_cert.chat.read_dg4
    assert verify_chain([dv, is_cert], cvca) == []
    tampered = cvc.parse_certificate(cvc.encode_certificate(
        is_cert.body, bytes(64 - len(is_cert.signature[:1])) + is_cert.signature[:1]))
    assert verify_chain([dv, tampered], cvca)


def test_openpace_chain_accepted_by_the_virtual_chip(openpace_chain, tmp_path):
    chain_dir = tmp_path / "chain"
    chain_dir.mkdir()
    for n in ("cvca.cvcert", "dv.cvcert", "is.cvcert"):
        shutil.copy(openpace_chain / n, chain_dir / n)
    cvca = (openpace_chain / "cvca.cvcert").read_bytes()
    key = load_pem_key(openpace_chain / "is.pkcs8")
    card = read_eac("eac", chain_dir, key, card_setup=lambda c: set_trust(c, [cvca]))
    assert card.terminal_auth.state == CheckState.VALID, card.terminal_auth.reason
    assert "DG3" in card.files
    # the same chip refuses the cardkit test chain now (it trusts only the OpenPACE CVCA)
    refused = read_eac("eac", SIM_EAC, card_setup=lambda c: set_trust(c, [cvca]))
    assert refused.terminal_auth.details["reason"] == "unknown_cvca"


def test_openpace_is_certificate_without_fingerprint_right(openpace_chain, tmp_path):
    chain_dir = tmp_path / "chain"
    chain_dir.mkdir()
    for n in ("dv.cvcert", "is-nofp.cvcert"):
        shutil.copy(openpace_chain / n, chain_dir / n)
    cvca = (openpace_chain / "cvca.cvcert").read_bytes()
    card = read_eac("eac", chain_dir, load_pem_key(openpace_chain / "is-nofp.pkcs8"),
                    card_setup=lambda c: set_trust(c, [cvca]))
    assert card.terminal_auth.state == CheckState.VALID
    assert "DG3" not in card.files and "CHAT" in card.skipped["DG3"]


def test_openpace_dv_issues_from_a_cardkit_request(tmp_path):
    """The bank's request (cardkit) → the DV's certificate (OpenPACE `cvc-create --csr`) → DG3
    from the virtual chip with the requested key."""
    key = tmp_path / "new-is.key.pem"
    priv = ec.generate_private_key(ec.BrainpoolP256R1())
    key.write_bytes(priv.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    req = tmp_path / "new.cvreq"
    req.write_bytes(make_request(key=load_pem_key(key), chr="VNISNEW000001", car="VNDVBANK00001"))
    dv_key = tmp_path / "dv.pkcs8"
    dv_priv = serialization.load_pem_private_key((SIM_EAC / "dv.key.pem").read_bytes(), None)
    dv_key.write_bytes(dv_priv.private_bytes(serialization.Encoding.DER,
                                             serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    chain = tmp_path / "chain"
    chain.mkdir()
    shutil.copy(SIM_EAC / "dv.cvcert", chain / "dv.cvcert")
    r = run("cvc-create", f"--csr={req}", "--role=terminal", "--type=is", "--read-finger",
            "--expires=351231", f"--sign-with={dv_key}", "--scheme=ECDSA_SHA_256",
            f"--out-cert={chain / 'is.cvcert'}")
    assert r.returncode == 0, r.stderr
    issued = cvc.parse_certificate((chain / "is.cvcert").read_bytes())
    assert (issued.car, issued.chr, issued.chat.read_dg3) == ("VNDVBANK00001", "VNISNEW000001",
                                                             True)
    card = read_eac("eac", chain, load_pem_key(key))
    assert card.terminal_auth.state == CheckState.VALID and "DG3" in card.files
