"""Hostile cards through a real pcscd + vpcd (pyscard), CLI and library: never genuine.

One pcscd for the module; each lying chip is served once and read by `cardkit read --reader`
(in-process CLI) and by `read_card` + `verify_passive` on the same insertion.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit.rand import SystemRandom
from cardkit.read import read_card
from cardkit.results import CheckState
from cardkit.security.passive import verify_passive
from cardkit.security.trust import TrustStore
from cardkit.sim.card import VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.sim.pki import sim_trust_paths
from cardkit.sim.vpcd import serve_in_thread
from cardkit.transport.pcsc import PcscTransport
from cardkit_cli.main import cli

CASES = {  # persona -> (exit code, words the CLI must say)
    "clone-own-dg15": (3, "not covered by the issuer's signature"),
    "clone-own-dg14": (3, "not covered by the issuer's signature"),
    "unlisted-dg": (3, "not covered by the issuer's signature"),
    "withheld-dg14": (3, "did not give it"),
}


def _key_args(name: str) -> list[str]:
    k = get_persona(name).mrz_key
    return ["--doc-number", k.document_number, "--dob", k.date_of_birth,
            "--expiry", k.date_of_expiry]


def test_hostile_cards_through_pcscd(pcscd_vpcd, tmp_path: Path,  # type: ignore[no-untyped-def]
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDKIT_TRUST_DIR", str(tmp_path / "no-trust"))
    reader = pcscd_vpcd.readers[0]
    trust = TrustStore.from_paths(sim_trust_paths())
    for name, (code, words) in CASES.items():
        p = get_persona(name)
        thread, stop, _ = serve_in_thread(VirtualCard(p), port=pcscd_vpcd.port_for(reader))
        try:
            assert pcscd_vpcd.wait_card(reader, present=True, timeout=5), name
            r = CliRunner().invoke(cli, ["read", "--reader", reader, *_key_args(name),
                                         "--trust", "sim-test", "--json"])
            with PcscTransport(reader, wait=5) as t:
                card = read_card(t, p.mrz_key, rng=SystemRandom())
        finally:
            stop.set()
            thread.join(timeout=5)
            pcscd_vpcd.wait_card(reader, present=False, timeout=5)
        report = json.loads(r.stdout)
        assert r.exit_code == code, (name, r.output)
        assert report["verdict"]["result"] == "rejected" and words in json.dumps(report), name
        pa = verify_passive(card.files, trust=trust)
        assert CheckState.INVALID in (pa.state, card.chip_authentic.state), name


def test_fixture_recorded_through_pcscd_claiming_a_persona_is_not_trusted(  # type: ignore[no-untyped-def]
        pcscd_vpcd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDKIT_TRUST_DIR", str(tmp_path / "no-trust"))
    reader = pcscd_vpcd.readers[0]
    thread, stop, _ = serve_in_thread(VirtualCard(get_persona("default")),
                                      port=pcscd_vpcd.port_for(reader))
    fx = tmp_path / "rec.json"
    try:
        assert pcscd_vpcd.wait_card(reader, present=True, timeout=5)
        r = CliRunner().invoke(cli, ["fixtures", "record", "--reader", reader,
                                     *_key_args("default"), "--persona", "default",
                                     "-o", str(fx)])
    finally:
        stop.set()
        thread.join(timeout=5)
        pcscd_vpcd.wait_card(reader, present=False, timeout=5)
    assert r.exit_code == 0, r.output
    assert json.loads(fx.read_text("utf-8"))["meta"]["persona"] == "default"
    r = CliRunner().invoke(cli, ["read", "--fixture", str(fx), "--json"])
    report = json.loads(r.stdout)  # the bundled state list: the TEST CSCA is not a state's
    assert r.exit_code == 3 and report["verdict"]["result"] == "rejected"
    assert report["trust"]["kind"] == "bundled"
    r = CliRunner().invoke(cli, ["read", "--fixture", str(fx), "--trust", "sim-test"])
    assert r.exit_code == 0
