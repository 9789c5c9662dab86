"""The committed fixture corpus replays byte-exact with the expected verdicts; broken fixtures
and divergences give one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit.errors import FixtureError
from cardkit.rand import ReplayRandom
from cardkit.read import read_card
from cardkit.transport.fixtures import load_fixture
from cardkit.transport.replay import ReplayTransport
from cardkit_cli.main import cli
from cardkit_cli.source import _key_from_meta

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EXPECTED = {
    "default-bac.json": (0, "bac"),
    "pace-can.json": (0, "pace"),
    "pace-mrz.json": (0, "pace"),
    "small-le-bac.json": (0, "bac"),
    "clone.json": (3, "pace"),
    "forged-dg.json": (3, "bac"),
}


def test_corpus_is_complete() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_replay_is_byte_exact(name: str) -> None:
    fx = load_fixture(FIXTURES / name)
    assert fx.meta["persona"] and fx.meta["reader"].startswith("Virtual PCD")  # via pcscd+vpcd
    t = ReplayTransport(fx)
    rng = ReplayRandom(list(fx.random))
    with t:
        got = read_card(t, _key_from_meta(fx.meta["access_key"]), rng=rng)
    assert t.remaining == 0 and rng.position == len(fx.random)
    assert got.access.startswith(EXPECTED[name][1])
    assert sorted(got.files) == sorted(fx.meta["files"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_replay_verdict(name: str) -> None:
    """Replays verified against the virtual card's TEST CSCA, named by the user: a fixture never
    chooses its own trust."""
    result = CliRunner().invoke(cli, ["read", "--fixture", str(FIXTURES / name), "--json",
                                      "--trust", "sim-test"])
    code, _ = EXPECTED[name]
    assert result.exit_code == code, result.output
    report = json.loads(result.stdout)
    assert report["verdict"]["result"] == ("verified" if code == 0 else "rejected")
    assert report["trust"]["kind"] == "user"
    reasons = [r["message"] for r in report["verdict"]["reasons"]]
    if name == "clone.json":
        assert reasons == ["the chip is a copy or a forgery"]
        assert report["checks"]["chip_auth"]["state"] == "invalid"
        assert report["checks"]["active_auth"]["state"] == "invalid"
    if name == "forged-dg.json":
        assert reasons == ["the card data was changed after the card was issued"]
        assert "DG13" in report["checks"]["passive_auth"]["reason"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_replay_without_trust_is_never_genuine(name: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --trust the bundled (German) master list is used, never the virtual card's TEST
    CSCA: the fixture's signer is not a state's, so the card is rejected."""
    monkeypatch.setenv("CARDKIT_TRUST_DIR", str(tmp_path / "empty"))
    result = CliRunner().invoke(cli, ["read", "--fixture", str(FIXTURES / name), "--json"])
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert report["trust"]["kind"] == "bundled" and report["verdict"]["result"] == "rejected"
    assert report["checks"]["passive_auth"]["details"]["failed"] in ("dsc_chain", "dg_hashes")


def test_divergence_names_the_apdu(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "default-bac.json").read_text())
    doc["random"][0]["value"] = "00" * 8  # another RND.IFD → another EXTERNAL AUTHENTICATE
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    result = CliRunner().invoke(cli, ["read", "--fixture", str(bad)])
    assert result.exit_code == 2
    assert "replay diverged at APDU" in result.stderr and "Traceback" not in result.output


def test_wrong_key_on_replay_diverges() -> None:
    result = CliRunner().invoke(cli, ["read", "--fixture", str(FIXTURES / "default-bac.json"),
                                      "--id", "001093000001", "--dob", "1993-01-06",
                                      "--expiry", "2033-01-05"])
    assert result.exit_code == 2 and "diverged" in result.stderr


@pytest.mark.parametrize("content, message", [
    ("not json", "not valid JSON"),
    ('{"format": "other"}', "not a cardkit-fixture"),
    ('{"format": "cardkit-fixture", "version": 99}', "version 99"),
    ('{"format": "cardkit-fixture", "version": 1, "exchanges": []}', "no exchanges"),
    ('{"format": "cardkit-fixture", "version": 1, "exchanges": [{"c": "zz", "r": "9000"}]}',
     "not valid hex"),
])
def test_malformed_fixture(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "f.json"
    path.write_text(content)
    with pytest.raises(FixtureError, match=message):
        load_fixture(path)
    result = CliRunner().invoke(cli, ["read", "--fixture", str(path)])
    assert result.exit_code == 2 and message in result.stderr


def test_truncated_recording_says_it_ended(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "default-bac.json").read_text())
    doc["exchanges"] = doc["exchanges"][:10]
    path = tmp_path / "short.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(cli, ["read", "--fixture", str(path)])
    assert result.exit_code == 2 and "recording ended after 10 APDUs" in result.stderr


def test_fixtures_show_hides_the_key() -> None:
    result = CliRunner().invoke(cli, ["fixtures", "show", str(FIXTURES / "pace-can.json"),
                                      "--json"])
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    assert info["has_access_key"] is True and "access_key" not in info
    assert info["apdus"] > 10
