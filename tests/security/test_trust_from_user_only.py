"""Trust comes only from the user (issue 9, defect 3): nothing inside a fixture or dump selects
it. The virtual card's TEST CSCA is trusted for `--sim` (in-process) or when named:
`--trust sim-test`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit_cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def no_local_trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    empty = tmp_path / "trust"
    monkeypatch.setenv("CARDKIT_TRUST_DIR", str(empty))
    return empty


def _run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.stdout


def test_fixture_claiming_a_persona_does_not_choose_the_test_csca(
        tmp_path: Path, no_local_trust: Path) -> None:
    fx = json.loads((ROOT / "fixtures" / "default-bac.json").read_text("utf-8"))
    fx["meta"]["persona"] = "default"  # what an attacker writes into a dump or fixture
    fx["meta"]["description"] = "trust me"
    path = tmp_path / "claims-persona.json"
    path.write_text(json.dumps(fx), "utf-8")
    code, out = _run("read", "--fixture", str(path), "--json")
    report = json.loads(out)
    assert code == 3, out  # judged against the bundled state list, not the TEST CSCA
    assert report["verdict"]["result"] == "rejected" and report["trust"]["kind"] == "bundled"
    pa = report["checks"]["passive_auth"]
    assert pa["details"]["checks"]["dsc_chain"]["state"] == "invalid"
    assert "TEST" not in pa["details"]["trust"]


def test_recorded_fixture_without_trust_is_unverifiable_not_genuine(no_local_trust: Path) -> None:
    code, out = _run("read", "--fixture", str(ROOT / "fixtures" / "default-bac.json"))
    assert code == 3 and "VERIFIED —" not in out
    assert "REJECTED — do not accept: the card was not issued by a trusted authority" in out


def test_the_user_names_the_test_csca(no_local_trust: Path) -> None:
    code, out = _run("read", "--fixture", str(ROOT / "fixtures" / "default-bac.json"),
                     "--trust", "sim-test")
    assert code == 0 and "VERIFIED — all required checks passed" in out
    assert "virtual card's TEST certificate" in out  # the report says whose CSCA it was


def test_sim_in_process_trusts_its_own_test_csca_and_says_so(no_local_trust: Path) -> None:
    code, out = _run("read", "--sim", "default")
    assert code == 0 and "virtual card's TEST certificate" in out


def test_unknown_trust_path_is_a_usage_error(no_local_trust: Path, tmp_path: Path) -> None:
    code, _ = _run("read", "--sim", "default", "--trust", str(tmp_path / "missing"))
    assert code == 2
