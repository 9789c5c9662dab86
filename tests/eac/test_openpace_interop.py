"""OpenPACE (`cvc-create`, `cvc-print`) as the independent second implementation of CV
certificates: cardkit's certificates and requests print and verify with `cvc-print`; a chain made
by `cvc-create` is parsed and checked by cardkit and accepted end to end by the virtual chip."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cardkit.lds import cvc
from cardkit.results import CheckState
from cardkit.security.cv_chain import load_chain, make_request, verify_chain
from cardkit.security.terminal_key import load_pem_key
from cardkit.sim.terminal_auth_card import set_trust

from .conftest import SIM_EAC, read_eac

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
    d = tmp_path_factory.mktemp("openpace-chain")
    steps = [
        ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1",
         "-outform", "DER", "-out", "cvca.pkcs8"],
        ["cvc-create", "--role=cvca", "--type=is", "--chr=DECVCAOP00001", "--expires=351231",
         "--sign-with=cvca.pkcs8", "--scheme=ECDSA_SHA_256", "--read-finger", "--read-iris",
         "--out-cert=cvca.cvcert"],
        ["cvc-create", "--role=dv_domestic", "--chr=DEDVOP00001", "--expires=351231",
         "--sign-with=cvca.pkcs8", "--sign-as=cvca.cvcert", "--scheme=ECDSA_SHA_256",
         "--read-finger", "--read-iris", "--out-key=dv.pkcs8", "--out-cert=dv.cvcert"],
        ["cvc-create", "--role=terminal", "--chr=DEISOP00001", "--expires=351231",
         "--sign-with=dv.pkcs8", "--sign-as=dv.cvcert", "--scheme=ECDSA_SHA_256",
         "--read-finger", "--out-key=is.pkcs8", "--out-cert=is.cvcert"],
        ["cvc-create", "--role=terminal", "--chr=DEISNOFP00001", "--expires=351231",
         "--sign-with=dv.pkcs8", "--sign-as=dv.cvcert", "--scheme=ECDSA_SHA_256",
         "--read-iris", "--out-key=is-nofp.pkcs8", "--out-cert=is-nofp.cvcert"],
    ]
    for step in steps:
        r = run(*step, cwd=d)
        assert r.returncode == 0, r.stderr
    return d


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
