"""Personal data on disk (issue 9, defect 5): files 0600 in folders 0700, whatever the umask —
`read --out` dumps, recorded fixtures, the trust store."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit_cli.main import cli


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _assert_private_tree(root: Path) -> None:
    assert _mode(root) == 0o700, root
    entries = list(root.rglob("*"))
    assert entries
    for e in entries:
        assert _mode(e) == (0o700 if e.is_dir() else 0o600), (e, oct(_mode(e)))


def test_read_out_is_private(tmp_path: Path, umask: int) -> None:
    out = tmp_path / "new" / "dump"
    r = CliRunner().invoke(cli, ["read", "--sim", "default", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert {"DG13.bin", "face.jpg", "report.json"} <= {p.name for p in out.iterdir()}
    _assert_private_tree(out)
    assert _mode(tmp_path / "new") == 0o700  # a parent cardkit created


def test_recorded_fixture_is_private(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "rec" / "card.json"
    r = CliRunner().invoke(cli, ["fixtures", "record", "--sim", "default", "-o", str(target)])
    assert r.exit_code == 0, r.output
    _assert_private_tree(tmp_path / "rec")


def test_trust_store_is_private(tmp_path: Path, umask: int) -> None:
    from cardkit.sim.pki import sim_trust_paths

    folder = tmp_path / "trust"
    r = CliRunner().invoke(cli, ["trust", "add", *map(str, sim_trust_paths()), "--dir",
                                 str(folder)])
    assert r.exit_code == 0, r.output
    _assert_private_tree(folder)


def test_helper_writes_atomically_and_private(tmp_path: Path, umask: int) -> None:
    from cardkit.private_files import private_dir, write_private

    d = private_dir(tmp_path / "a" / "b")
    f = write_private(d / "x.bin", b"secret")
    write_private(f, "again")  # replacing keeps the mode
    assert f.read_text() == "again" and _mode(f) == 0o600 and _mode(d) == 0o700
    assert not list(d.glob("*.part"))
