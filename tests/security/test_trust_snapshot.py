"""The CSCA master list bundled with cardkit: works on a fresh install, verified against the pinned
German CSCA, tampered copies refused, `cardkit trust update FILE|URL`, age warning."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit import CardSource, verify_card
from cardkit.errors import VerificationError
from cardkit.security import snapshot
from cardkit_cli.main import cli


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh install: no trust directory, no updated list."""
    monkeypatch.setenv("CARDKIT_TRUST_DIR", str(tmp_path / "trust"))
    monkeypatch.setenv("CARDKIT_SNAPSHOT_DIR", str(tmp_path / "masterlist"))
    return tmp_path


def _tampered(tmp_path: Path, offset: int) -> Path:
    data = bytearray(snapshot.BUNDLED.read_bytes())
    data[offset] ^= 0x01
    bad = tmp_path / "tampered.ml"
    bad.write_bytes(bytes(data))
    return bad


def test_fresh_install_lists_the_bundled_list_with_vietnam(fresh: Path) -> None:
    r = CliRunner().invoke(cli, ["trust", "list", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    ml = data["master_list"]
    assert data["source"] == "bundled" and ml["bundled"] is True
    assert ml["date"] == "2026-05-28" and "CSCA Master List Signer" in ml["signer"]
    assert ml["csca_count"] == len(data["csca"]) > 500
    vn = [e for e in data["csca"] if e["country"] == "VN"]
    assert any("CSCA ePassport Vietnam" in e["subject"] for e in vn)
    r = CliRunner().invoke(cli, ["trust", "list"])
    assert "CSCA ePassport Vietnam" in r.stdout
    assert "German (BSI) CSCA master list of 2026-05-28" in r.stdout
    assert "days old" not in r.stderr  # about six months: within the default year
    r = CliRunner().invoke(cli, ["trust", "list", "--max-age-days", "30"])
    assert r.exit_code == 0 and "days old — update it with `cardkit trust update`" in r.stderr


def test_report_names_the_list_and_warns_when_old(fresh: Path) -> None:
    result = verify_card(CardSource.from_fixture(Path(__file__).resolve().parents[2] / "fixtures"
                                                 / "default-bac.json"), policy="card")
    trust = result.to_dict()["trust"]
    assert trust["kind"] == "bundled" and trust["master_list"]["date"] == "2026-05-28"
    # the virtual card's TEST CSCA is not a state: the bundled list does not vouch for it
    assert result.checks["passive_auth"].details["failed"] == "dsc_chain"
    snap = snapshot.load_snapshot()
    later = dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc)
    assert snap.age_warning(365, later) and "days old" in snap.age_warning(365, later)
    assert snap.age_warning(10_000, later) is None
    from cardkit.policy import load_policy

    old = load_policy("card").with_changes(trust_max_age_days=30)
    warned = verify_card(CardSource.from_sim("default"), policy=old, trust=snap.store)
    assert not warned.warnings  # explicit trust: no snapshot involved
    auto = verify_card(CardSource.from_files(result.files), policy=old)
    assert auto.warnings and "master list is" in auto.warnings[0]


def test_a_tampered_snapshot_is_refused_at_start(fresh: Path) -> None:
    size = snapshot.BUNDLED.stat().st_size
    for offset in (size - 40, size // 2):  # in the signature; inside a listed certificate
        with pytest.raises(VerificationError, match="refused"):
            snapshot.load_snapshot(_tampered(fresh, offset))
    installed = fresh / "masterlist" / "current.ml"
    installed.parent.mkdir(parents=True)
    shutil.copy(_tampered(fresh, size // 2), installed)
    r = CliRunner().invoke(cli, ["trust", "list"])
    assert r.exit_code == 3 and "refused" in r.stderr and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["read", "--fixture", str(Path(__file__).resolve().parents[2]
                                                          / "fixtures" / "default-bac.json")])
    assert r.exit_code == 3 and "refused" in r.stderr  # never silently without trust


def test_update_from_file_and_url_checks_the_signer(fresh: Path) -> None:
    good = fresh / "DE_ML.ml"
    shutil.copy(snapshot.BUNDLED, good)
    r = CliRunner().invoke(cli, ["trust", "update", str(good)])
    assert r.exit_code == 0, r.output
    installed = fresh / "masterlist" / "current.ml"
    assert installed.read_bytes() == good.read_bytes()
    assert installed.stat().st_mode & 0o777 == 0o600
    assert installed.parent.stat().st_mode & 0o777 == 0o700
    data = json.loads(CliRunner().invoke(cli, ["trust", "list", "--json"]).stdout)
    assert data["master_list"]["bundled"] is False

    # over HTTP (a local server stands in for the publisher's site)
    served = fresh / "www"
    served.mkdir()
    shutil.copy(good, served / "list.ml")
    _tampered(served, snapshot.BUNDLED.stat().st_size - 40).rename(served / "bad.ml")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(served), **k)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        installed.unlink()
        assert CliRunner().invoke(cli, ["trust", "update", f"{base}/list.ml"]).exit_code == 0
        assert installed.is_file()
        before = installed.read_bytes()
        r = CliRunner().invoke(cli, ["trust", "update", f"{base}/bad.ml"])
        assert r.exit_code == 3 and "refused" in r.stderr
        assert installed.read_bytes() == before  # nothing changed
        r = CliRunner().invoke(cli, ["trust", "update", f"{base}/missing.ml"])
        assert r.exit_code == 2 and "cannot download" in r.stderr
    finally:
        httpd.shutdown()


def test_a_list_signed_by_another_publisher_is_refused(fresh: Path, pki) -> None:  # type: ignore[no-untyped-def]
    """A validly signed master list (OpenSSL-built test PKI) whose signer does not chain to the
    pinned German CSCA."""
    with pytest.raises(VerificationError, match="not issued by a pinned master-list publisher"):
        snapshot.verify_snapshot(pki.p("test.ml").read_bytes(), "test.ml")
    r = CliRunner().invoke(cli, ["trust", "update", str(pki.p("test.ml"))])
    assert r.exit_code == 3 and not (fresh / "masterlist" / "current.ml").exists()
