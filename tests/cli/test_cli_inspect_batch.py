"""`cardkit inspect DIR... --jobs N`: many dumps, one JSON line each, in order, on a process pool."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit.batch import BatchOptions, find_dumps, verify_dumps
from cardkit.dump import save_dump
from cardkit_cli.main import cli

sim = pytest.importorskip("cardkit.sim.personas")
pki = pytest.importorskip("cardkit.sim.pki")

PERSONAS = ["default", "forged-dg", "ecdsa-dsc", "revoked-dsc", "unknown-csca"]
EXPECTED = {"default": "verified", "forged-dg": "rejected", "ecdsa-dsc": "verified",
            "revoked-dsc": "rejected", "unknown-csca": "rejected"}


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
        assert rec["verdict"]["result"] == EXPECTED[persona], rec["folder"]
        assert rec["exit_code"] == (0 if EXPECTED[persona] == "verified" else 3)
        assert rec["policy"]["name"] == "inspect-only"
    broken = lines[-1]  # an unreadable upload is reported, and loses nothing else
    assert "error" in broken and broken["exit_code"] == 2 and "Traceback" not in r.output
    assert r.exit_code == 3  # some dump is not genuine


def test_one_and_two_workers_agree(uploads: Path) -> None:
    csca, crl = pki.sim_trust_paths()
    at = dt.datetime.now(dt.timezone.utc)
    opts = BatchOptions((str(csca),), False, (str(crl),), at)
    folders = find_dumps([uploads])

    def same(records):  # without the creation time and the step timings
        return [{k: v for k, v in r.items() if k not in ("created", "steps")} for r in records]

    one = same(verify_dumps(folders, opts, jobs=1))
    assert one == same(verify_dumps(folders, opts, jobs=2))
    assert len(one) == len(folders) and one[0]["trust"]["label"].startswith(str(csca))


def test_batch_of_genuine_dumps_exits_0_and_single_dump_keeps_its_report(uploads: Path) -> None:
    good = [str(uploads / "00-default"), str(uploads / "02-ecdsa-dsc")]
    r = CliRunner().invoke(cli, ["inspect", *good, *_trust_args()])
    assert r.exit_code == 0, r.output
    assert len(r.stdout.splitlines()) == 2
    r = CliRunner().invoke(cli, ["inspect", good[0], *_trust_args()])
    assert r.exit_code == 0 and "VERIFIED" in r.stdout  # the text report, not JSON lines


def test_folder_without_dumps_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(cli, ["inspect", str(tmp_path), "--jobs", "2", "--no-default-trust"])
    assert r.exit_code == 2 and "no dump folders" in r.stderr
