"""Done-when of issue 12, end to end: `cardkit read` through pcscd + vpcd against the virtual EAC
card, the IS key generated inside a SoftHSM2 token (PKCS#11) and never exported; DG3 read and the
fingers written as PNG — and each refusal with its own message."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cardkit.sim.card import VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.sim.vpcd import serve_in_thread

from .conftest import SIM_EAC, make_openpace_chain

pytestmark = pytest.mark.pcscd
ROOT = Path(__file__).resolve().parents[2]
SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
PIN = "4711"
URI = f"pkcs11:token=cardkit-is;object=is-key;type=private?module-path={SOFTHSM}"


@pytest.fixture(scope="module")
def hsm(tmp_path_factory) -> dict[str, str]:
    """A SoftHSM2 token in a temp dir with an EC brainpoolP256r1 IS key generated inside it."""
    if not SOFTHSM.exists() or not shutil.which("softhsm2-util") or not shutil.which("pkcs11-tool"):
        pytest.skip("softhsm2 / opensc not installed (scripts/install-system-deps.sh)")
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf), "CARDKIT_PKCS11_PIN": PIN}
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "cardkit-is",
                    "--pin", PIN, "--so-pin", "12345678"], env=env, check=True,
                   capture_output=True)
    subprocess.run(["pkcs11-tool", "--module", str(SOFTHSM), "--token-label", "cardkit-is",
                    "--login", "--pin", PIN, "--keypairgen", "--key-type", "EC:brainpoolP256r1",
                    "--label", "is-key", "--id", "01"], env=env, check=True, capture_output=True)
    return env


def cardkit(env, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cardkit", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def hsm_chains(hsm, tmp_path_factory) -> dict[str, Path]:
    """Chains certifying the HSM key: good, expired, no DG3, and from a foreign CVCA."""
    base = tmp_path_factory.mktemp("hsm-chains")
    variants = {"good": [], "expired": ["--is-days", "-1"], "no_dg3": ["--no-dg3"]}
    out = {}
    for name, extra in variants.items():
        r = cardkit(hsm, "eac", "make-test-chain", str(base / name), "--from-cvca", str(SIM_EAC),
                    "--is-key", URI, *extra)
        assert r.returncode == 0, r.stderr
        assert not (base / name / "is.key.pem").exists()  # the IS key stays in the token
        out[name] = base / name
    r = cardkit(hsm, "eac", "make-test-chain", str(base / "foreign"), "--country", "DE",
                "--is-key", URI)
    assert r.returncode == 0, r.stderr
    out["foreign"] = base / "foreign"
    return out


@pytest.fixture(scope="module")
def served(pcscd_vpcd):
    """The `eac` persona on a vpcd reader for the whole module (each read powers it anew)."""
    reader = pcscd_vpcd.readers[0]
    thread, stop, _ = serve_in_thread(VirtualCard(get_persona("eac")),
                                      port=pcscd_vpcd.port_for(reader))
    assert pcscd_vpcd.wait_card(reader, present=True, timeout=5)
    yield reader
    stop.set()
    thread.join(timeout=5)
    pcscd_vpcd.wait_card(reader, present=False, timeout=5)


def read(pcscd_vpcd, hsm, reader: str, *extra: str):
    p = get_persona("eac")
    env = {**pcscd_vpcd.env, "SOFTHSM2_CONF": hsm["SOFTHSM2_CONF"], "CARDKIT_PKCS11_PIN": PIN}
    return cardkit(env, "read", "--reader", reader, "--id", p.id_number, "--dob",
                   p.mrz_key.date_of_birth, "--expiry", p.mrz_key.date_of_expiry, "--trust",
                   str(ROOT / "cardkit/sim/data/csca.pem"), "--json", *extra)


def test_dg3_through_pcscd_with_hsm_key(pcscd_vpcd, hsm, hsm_chains, served, tmp_path):
    out = tmp_path / "dump"
    r = read(pcscd_vpcd, hsm, served, "--terminal-chain", str(hsm_chains["good"]),
             "--terminal-key", URI, "--out", str(out))
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["checks"]["terminal_auth"]["state"] == "valid"
    assert "DG3" in report["files"] and "DG3" not in report["skipped"]
    assert "DG3" in report["checks"]["passive_auth"]["reason"]  # DG3 hash checked by the SOD
    fingers = json.loads((out / "fingers" / "fingers.json").read_text())
    assert [f["finger"] for f in fingers] == ["right index", "left index"]
    assert all(f["size_matches_header"] and f["compression"] == "WSQ" for f in fingers)
    for f in fingers:
        png = out / "fingers" / f["file"]
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert stat.S_IMODE(png.stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "fingers").stat().st_mode) == 0o700
    assert PIN not in r.stdout + r.stderr


@pytest.mark.parametrize(("chain", "key", "message"), [
    ("expired", URI, "expired on"),
    ("foreign", URI, "the chip trusts only VNCVCA00001"),
    ("good", "WRONG", "refused the terminal's signature"),
])
def test_refusals_through_pcscd(pcscd_vpcd, hsm, hsm_chains, served, chain, key, message):
    if key == "WRONG":
        key = str(SIM_EAC / "is.key.pem")  # a valid IS key, but not the certified one
    r = read(pcscd_vpcd, hsm, served, "--terminal-chain", str(hsm_chains[chain]),
             "--terminal-key", key)
    assert r.returncode == 0, r.stderr  # everything else is read and verified
    report = json.loads(r.stdout)
    assert report["checks"]["terminal_auth"]["state"] == "invalid"
    assert message in report["checks"]["terminal_auth"]["reason"]
    assert message in report["skipped"]["DG3"] and "DG1" in report["files"]
    assert "fingerprints not read: " in r.stderr and "Traceback" not in r.stderr


def test_chat_without_dg3_through_pcscd(pcscd_vpcd, hsm, hsm_chains, served):
    r = read(pcscd_vpcd, hsm, served, "--terminal-chain", str(hsm_chains["no_dg3"]),
             "--terminal-key", URI)
    report = json.loads(r.stdout)
    assert report["checks"]["terminal_auth"]["state"] == "valid"
    assert "does not grant reading DG3 (CHAT)" in report["skipped"]["DG3"]


def test_without_terminal_chain_dg3_is_protected(pcscd_vpcd, hsm, served):
    r = read(pcscd_vpcd, hsm, served)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["skipped"]["DG3"] == "protected: needs Terminal Authentication (EAC)"
    assert {"DG1", "DG2", "DG13", "DG14", "DG15"} <= set(report["files"])


def test_wrong_pin_is_a_clear_error(pcscd_vpcd, hsm, hsm_chains, served):
    p = get_persona("eac")
    env = {**pcscd_vpcd.env, "SOFTHSM2_CONF": hsm["SOFTHSM2_CONF"], "CARDKIT_PKCS11_PIN": "0000"}
    r = cardkit(env, "read", "--reader", served, "--id", p.id_number, "--dob",
                p.mrz_key.date_of_birth, "--expiry", p.mrz_key.date_of_expiry,
                "--terminal-chain", str(hsm_chains["good"]), "--terminal-key", URI)
    assert r.returncode == 2 and "PIN is wrong" in r.stderr and "Traceback" not in r.stderr


def test_cvc_create_chain_through_pcscd_with_sim_serve(pcscd_vpcd, hsm, tmp_path):
    """`cardkit sim serve eac --trust-cvca` (a card given another CVCA) in its own process, read
    through pcscd with a chain and key made by OpenPACE's cvc-create."""
    if not shutil.which("cvc-create"):
        pytest.skip("OpenPACE not installed")
    op = make_openpace_chain(tmp_path)
    chain = tmp_path / "chain"
    chain.mkdir()
    for n in ("dv.cvcert", "is.cvcert"):
        shutil.copy(op / n, chain / n)
    reader = pcscd_vpcd.readers[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "cardkit", "sim", "serve", "eac", "--port",
         str(pcscd_vpcd.port_for(reader)), "--trust-cvca", str(op / "cvca.cvcert"),
         "--max-seconds", "60"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        assert pcscd_vpcd.wait_card(reader, present=True, timeout=20), server.stderr
        ok = read(pcscd_vpcd, hsm, reader, "--terminal-chain", str(chain), "--terminal-key",
                  str(op / "is.pkcs8"))
        sim_chain = read(pcscd_vpcd, hsm, reader, "--terminal-chain", str(SIM_EAC),
                         "--terminal-key", str(SIM_EAC / "is.key.pem"))
    finally:
        server.terminate()
        server.wait(timeout=10)
        pcscd_vpcd.wait_card(reader, present=False, timeout=5)
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert report["checks"]["terminal_auth"]["state"] == "valid", report["checks"]
    assert "DG3" in report["files"]
    refused = json.loads(sim_chain.stdout)["checks"]["terminal_auth"]
    assert refused["state"] == "invalid" and "DECVCAOP00001" in refused["reason"]
