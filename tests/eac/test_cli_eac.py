"""`cardkit eac show / make-test-chain / request` and `read --terminal-chain/--terminal-key` on the
in-process virtual card: output, files, permissions, and one-line errors with their exit codes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from click.testing import CliRunner

from cardkit_cli.main import cli

from .conftest import SIM_EAC


def run(*args: str, env: dict[str, str] | None = None):
    r = CliRunner().invoke(cli, list(args), env=env)
    return r.exit_code, r.output


def test_show_certificate_and_json():
    rc, out = run("eac", "show", str(SIM_EAC / "is.cvcert"))
    assert rc == 0 and "CHR" in out and "VNISDESK00001" in out and "read DG3" in out
    rc, out = run("eac", "show", "--json", str(SIM_EAC / "cvca.cvcert"))
    assert rc == 0 and json.loads(out)[0]["type"] == "CV certificate (self-signed)"


def test_show_garbage_is_a_one_line_error(tmp_path):
    bad = tmp_path / "x.cvcert"
    bad.write_bytes(b"\x7f\x21\x05hello")
    rc, out = run("eac", "show", str(bad))
    assert rc == 2 and out.startswith("cardkit: error: ") and out.count("\n") == 1
    rc, out = run("eac", "show", str(tmp_path / "missing"))
    assert rc == 2 and "cannot read" in out


def test_make_test_chain_and_request(tmp_path):
    folder = tmp_path / "pki"
    rc, out = run("eac", "make-test-chain", str(folder), "--from-cvca", str(SIM_EAC), "--no-dg3")
    assert rc == 0, out
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for key in ("cvca.key.pem", "dv.key.pem", "is.key.pem"):
        assert stat.S_IMODE((folder / key).stat().st_mode) == 0o600
    assert (folder / "cvca.cvcert").read_bytes() == (SIM_EAC / "cvca.cvcert").read_bytes()
    rc, out = run("eac", "show", str(folder / "is.cvcert"))
    assert "no read rights" in out or "read DG4" in out and "read DG3" not in out
    req = tmp_path / "new.cvreq"
    rc, out = run("eac", "request", "--key", str(folder / "is.key.pem"), "--chr",
                  "VNISDESK00009", "--car", "VNDVBANK00001", "--out", str(req))
    assert rc == 0, out
    rc, out = run("eac", "show", str(req))
    assert "CV certificate request" in out and "VNISDESK00009" in out


def test_read_with_terminal_chain_writes_fingers(tmp_path):
    out_dir = tmp_path / "dump"
    rc, out = run("read", "--sim", "eac", "--terminal-chain", str(SIM_EAC), "--terminal-key",
                  str(SIM_EAC / "is.key.pem"), "--out", str(out_dir))
    assert rc == 0, out
    assert "Fingerprints readable (EAC):  ✔ the chip let this terminal read the fingerprints" in out
    pngs = sorted(p.name for p in (out_dir / "fingers").glob("*.png"))
    assert pngs == ["finger-1-right-index.png", "finger-2-left-index.png"]


def test_read_without_chain_reports_dg3_protected():
    rc, out = run("read", "--sim", "eac", "--verbose")  # a detail: not on the main screen
    assert rc == 0 and "DG3: protected: needs Terminal Authentication" in out


def test_chain_without_key_is_a_usage_error():
    rc, out = run("read", "--sim", "eac", "--terminal-chain", str(SIM_EAC))
    assert rc == 2 and "needs both --terminal-chain and --terminal-key" in out


def test_chain_folder_without_certificates(tmp_path: Path):
    rc, out = run("read", "--sim", "eac", "--terminal-chain", str(tmp_path), "--terminal-key",
                  str(SIM_EAC / "is.key.pem"))
    assert rc == 2 and "no CV certificate files" in out


def test_authenticated_request(tmp_path):
    req = tmp_path / "renew.cvreq"
    rc, out = run("eac", "request", "--key", str(SIM_EAC / "dv.key.pem"), "--chr",
                  "VNISDESK00002", "--current-key", str(SIM_EAC / "is.key.pem"),
                  "--current-chr", "VNISDESK00001", "--out", str(req))
    assert rc == 0, out
    rc, out = run("eac", "show", str(req))
    assert "(authenticated)" in out and "VNISDESK00001" in out
    rc, out = run("eac", "request", "--key", str(SIM_EAC / "dv.key.pem"), "--chr",
                  "VNISDESK00002", "--current-chr", "VNISDESK00001", "--out", str(req))
    assert rc == 2 and "needs both" in out


def test_forged_dg3_is_not_written_as_fingers(tmp_path, monkeypatch):
    """A chip whose DG3 does not match EF.SOD: DG3.bin is kept raw, no finger images."""
    from cardkit.sim import card as sim_card
    from cardkit.sim.personas_ta import finger_dg3

    original = sim_card.VirtualCard.__init__

    def forged(self, *a, **kw):
        original(self, *a, **kw)
        self.files["DG3"] = finger_dg3("079185000777")

    monkeypatch.setattr(sim_card.VirtualCard, "__init__", forged)
    out_dir = tmp_path / "dump"
    rc, out = run("read", "--sim", "eac", "--terminal-chain", str(SIM_EAC), "--terminal-key",
                  str(SIM_EAC / "is.key.pem"), "--out", str(out_dir))
    assert rc == 3  # not genuine: DG3 hash mismatch
    assert (out_dir / "DG3.bin").exists() and not (out_dir / "fingers").exists()
    assert "fingerprints not written as images" in out
