"""Packaging: the CLI installs as `cardkit_cli` (never a generic top-level `cli`), data files ship,
`python -m cardkit` works — from the editable install and from a built (non-editable) wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import validate_report

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                        "-q", "-w", str(out), str(ROOT)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return next(out.glob("cardkit-*.whl"))


def test_wheel_layout(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.startswith("cardkit-")}
    assert tops == {"cardkit", "cardkit_cli"}, tops  # no generic `cli` package
    for needed in ("cardkit_cli/main.py", "cardkit/py.typed", "cardkit/__main__.py",
                   "cardkit/data/policies/bank.toml", "cardkit/data/policies/clinic.toml",
                   "cardkit/data/policies/inspect-only.toml", "cardkit/data/report.schema.json",
                   "cardkit/data/ml_publisher_DE_csca07.cer", "cardkit/data/ml_publishers.json",
                   "cardkit/locale/vi/LC_MESSAGES/cardkit.po",
                   "cardkit/locale/en/LC_MESSAGES/cardkit.po", "cardkit/sim/data/csca.pem"):
        assert needed in names, needed
    assert any(n.startswith("cardkit/data/trust/DE_ML_") for n in names)
    # every package of the source tree is in the wheel
    for init in (ROOT / "cardkit").rglob("__init__.py"):
        assert init.relative_to(ROOT).as_posix() in names, init
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "cardkit = cardkit_cli.main:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_non_editable_install_runs(wheel: Path, tmp_path: Path) -> None:
    """The wheel's files alone (unpacked first on the path) read the virtual card and list the
    bundled trust on a fresh install."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site), "CARDKIT_TRUST_DIR": str(tmp_path / "t"),
           "CARDKIT_SNAPSHOT_DIR": str(tmp_path / "m")}
    code = ("import cardkit, cardkit_cli, sys; "
            "sys.stdout.write(cardkit.__file__ + '\\n' + cardkit_cli.__file__)")
    r = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert all(line.startswith(str(site)) for line in r.stdout.splitlines()), r.stdout
    r = subprocess.run([sys.executable, "-m", "cardkit", "read", "--sim", "--json"], env=env,
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert validate_report(json.loads(r.stdout))["verdict"]["result"] == "verified"
    r = subprocess.run([sys.executable, "-m", "cardkit", "trust", "list", "--json"], env=env,
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and json.loads(r.stdout)["master_list"]["bundled"] is True


def test_editable_install_has_no_top_level_cli() -> None:
    r = subprocess.run([sys.executable, "-c", "import cli"], cwd="/", capture_output=True,
                       text=True, timeout=60)
    assert r.returncode != 0 and "No module named 'cli'" in r.stderr
    r = subprocess.run([sys.executable, "-m", "cardkit", "--version"], cwd="/",
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "cardkit" in r.stdout
