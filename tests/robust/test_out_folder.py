"""Defects 3f and 6e (issue 11): `--out` on a read-only file system gave a traceback after a full
read, and `--out` into a used folder kept another card's files next to the new ones. The folder is
now checked writable before reading; a non-empty folder is refused unless --force; files are
written to a temporary folder and renamed into place when complete."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit.dump import load_dump
from cardkit.sim.personas import get_persona
from cardkit_cli.main import cli
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]


def _read(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["read", *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r.exit_code, r.stderr


def test_used_folder_refused_without_force(tmp_path):
    out = tmp_path / "dump"
    out.mkdir()
    (out / "DG13.bin").write_bytes(b"another card's data")
    code, err = _read("--sim", "--out", str(out))
    assert code == 2 and "not empty" in err and "--force" in err, err
    assert (out / "DG13.bin").read_bytes() == b"another card's data"  # untouched


def test_force_replaces_the_folder_whole(tmp_path):
    out = tmp_path / "dump"
    out.mkdir()
    (out / "DG12.bin").write_bytes(b"another card's data")  # a file this card does not have
    code, err = _read("--sim", "--out", str(out), "--force")
    assert code == 0, err
    assert not (out / "DG12.bin").exists()
    assert load_dump(out)["DG1"] == get_persona("default").files["DG1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dump"]  # no temporary left behind


def test_empty_folder_is_fine(tmp_path):
    out = tmp_path / "dump"
    out.mkdir()
    assert _read("--sim", "--out", str(out))[0] == 0
    assert (out / "report.json").is_file()


def test_out_that_is_a_file_refused_before_reading(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    code, err = _read("--sim", "--out", str(f))
    assert code == 2 and ("not a folder" in err or "is a file" in err), err


def test_read_only_file_system_refused_before_reading(tmp_path):
    """A real read-only mount (unshare -m: a private mount namespace, as root in CI)."""
    need(shutil.which("unshare") is not None and os.geteuid() == 0,
         "needs root and unshare for a private read-only mount")
    ro = tmp_path / "ro"
    ro.mkdir()
    script = (f"mount -t tmpfs -o ro,size=1m none {ro} && "
              f"exec {sys.executable} -m cardkit_cli.main read --sim --out {ro}/dump")
    r = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    if "mount:" in r.stderr:
        pytest.skip(f"cannot mount here: {r.stderr.strip()}")
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("cardkit: error:") and "read-only" in r.stderr.lower(), r.stderr
    assert "read COM" not in r.stderr  # refused before the card was read
