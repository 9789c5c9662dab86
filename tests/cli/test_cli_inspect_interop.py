"""`cardkit inspect` on the real reference dumps in ../shared/interop (other tools' file names)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit.dump import load_dump
from cardkit_cli.main import cli


@pytest.mark.parametrize("folder, expired, dgs", [
    ("bsi2008", "2009-01-27", "invalid"),  # DG4, DG15 in the dump are not listed in its SOD
    ("loes2006", "2011-10-04", "valid"),
])
def test_reference_dumps_are_not_valid_and_say_why(interop_dir: Path, folder: str,
                                                  expired: str, dgs: str) -> None:
    files = load_dump(interop_dir / folder)
    assert {"COM", "SOD", "DG1", "DG2"} <= set(files)
    r = CliRunner().invoke(cli, ["inspect", str(interop_dir / folder), "--no-default-trust",
                                 "--json"])
    assert r.exit_code == 3, r.stderr
    report = json.loads(r.stdout)
    assert report["verdict"]["result"] == "rejected"
    checks = report["checks"]["passive_auth"]["details"]["checks"]
    assert checks["dg_hashes"]["state"] == dgs
    assert checks["sod_signature"]["state"] == "valid"
    assert checks["dsc_chain"]["state"] == "unverifiable"
    assert checks["dsc_validity"]["state"] == "invalid" and expired in checks["dsc_validity"]["reason"]


def test_unreadable_dump_is_usage_error(tmp_path: Path) -> None:
    (tmp_path / "SOD.bin").write_bytes(b"\x77\x05junk")
    r = CliRunner().invoke(cli, ["inspect", str(tmp_path), "--no-default-trust"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["inspect", str(tmp_path / "missing")])
    assert r.exit_code == 2
