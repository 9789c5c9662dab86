"""`cardkit inspect DIR... --jobs N`: many dumps, one JSON line each, in order, on a process pool."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit.batch import BatchOptions, find_dumps, verify_dumps
from cardkit.dump import save_dump
from cli.main import cli

sim = pytest.importorskip("cardkit.sim.personas")
pki = pytest.importorskip("cardkit.sim.pki")

PERSONAS = ["default", "forged-dg", "ecdsa-dsc", "revoked-dsc", "unknown-csca"]
EXPECTED = {"default": "valid", "forged-dg": "invalid", "ecdsa-dsc": "valid",
            "revoked-dsc": "invalid", "unknown-csca": "invalid"}


@pytest.fixture(scope="module")
def uploads(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("uploads")
    for i, name in enumerate(PERSONAS * 2):
        save_dump(root / f"{i:02d}-{name}", dict(sim.get_persona(name).files))
    (root / "99-broken").mkdir()
    (root / "99-broken" / "SOD.bin").write_bytes(b"\x77\x05junk")
    return root


def _trust_args() -> list[str]:
    csca, crl = pki.sim_trust_paths()
    return ["--trust", str(csca), "--crl", str(crl), "--no-default-trust"]


def test_batch_streams_one_line_per_dump_in_order(uploads: Path) -> None:
    r = CliRunner().invoke(cli, ["inspect", str(uploads), "--jobs", "2", *_trust_args()])
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    folders = sorted(str(p) for p in uploads.iterdir())
    assert [x["folder"] for x in lines] == folders
    for rec in lines[:-1]:
        persona = Path(rec["folder"]).name.split("-", 1)[1]
        assert rec["overall"]["state"] == EXPECTED[persona], rec["folder"]
        assert rec["exit_code"] == (0 if EXPECTED[persona] == "valid" else 3)
    broken = lines[-1]  # an unreadable upload is reported, and loses nothing else
    assert "error" in broken and broken["exit_code"] == 2 and "Traceback" not in r.output
    assert r.exit_code == 3  # some dump is not genuine


def test_one_and_two_workers_agree(uploads: Path) -> None:
    csca, crl = pki.sim_trust_paths()
    at = dt.datetime.now(dt.timezone.utc)
    opts = BatchOptions((str(csca),), False, (str(crl),), at)
    folders = find_dumps([uploads])
    assert list(verify_dumps(folders, opts, jobs=1)) == list(verify_dumps(folders, opts, jobs=2))


def test_batch_of_genuine_dumps_exits_0_and_single_dump_keeps_its_report(uploads: Path) -> None:
    good = [str(uploads / "00-default"), str(uploads / "02-ecdsa-dsc")]
    r = CliRunner().invoke(cli, ["inspect", *good, *_trust_args()])
    assert r.exit_code == 0, r.output
    assert len(r.stdout.splitlines()) == 2
    r = CliRunner().invoke(cli, ["inspect", good[0], *_trust_args()])
    assert r.exit_code == 0 and r.stdout.startswith("Chip data genuine")


def test_folder_without_dumps_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(cli, ["inspect", str(tmp_path), "--jobs", "2", "--no-default-trust"])
    assert r.exit_code == 2 and "no dump folders" in r.stderr
