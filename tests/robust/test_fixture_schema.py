"""Defect 3c (issue 11): fixture JSON that is deeply nested or has wrong types (`max_response`
"abc", `access_key` a number) gave tracebacks. Fixtures are now checked against a schema
(cardkit/data/fixture.schema.json) before use: one line, exit 2."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit.errors import FixtureError
from cardkit.transport.fixtures import load_fixture
from cardkit_cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
GOOD = json.loads((ROOT / "fixtures" / "default-bac.json").read_text("utf-8"))


def _variant(change) -> dict:
    doc = copy.deepcopy(GOOD)
    change(doc)
    return doc


VARIANTS = {
    "max_response abc": _variant(lambda d: d["transport"].update(max_response="abc")),
    "max_response negative": _variant(lambda d: d["transport"].update(max_response=-5)),
    "extended_length string": _variant(lambda d: d["transport"].update(extended_length="yes")),
    "access_key number": _variant(lambda d: d["meta"].update(access_key=42)),
    "access_key list": _variant(lambda d: d["meta"].update(access_key=["093000001"])),
    "document_number number": _variant(
        lambda d: d["meta"]["access_key"].update(document_number=93000001)),
    "meta atr number": _variant(lambda d: d["meta"].update(atr=3)),
    "random dict": _variant(lambda d: d.update(random={"a": 1})),
    "exchange command number": _variant(lambda d: d["exchanges"][0].update(c=7)),
    "protocol object": _variant(lambda d: d["transport"].update(protocol={"x": 1})),
    "transport list": _variant(lambda d: d.update(transport=[1, 2])),
}


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "f.json"
    p.write_text(text, "utf-8")
    return p


def _cli(path: Path) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["read", "--fixture", str(path)])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r.exit_code, r.stderr


@pytest.mark.parametrize("name", list(VARIANTS))
def test_wrong_types_are_one_line_exit_2(tmp_path, name):
    path = _write(tmp_path, json.dumps(VARIANTS[name]))
    with pytest.raises(FixtureError):
        load_fixture(path)
    code, err = _cli(path)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("cardkit: error: fixture"), err


@pytest.mark.parametrize("depth", [200, 5000, 100_000])
def test_deep_nesting_is_refused(tmp_path, depth):
    deep = "[" * depth + "]" * depth
    doc = json.dumps(_variant(lambda d: d["meta"].update(description="X")))
    path = _write(tmp_path, doc.replace('"X"', deep))
    with pytest.raises(FixtureError, match="nested|description"):
        load_fixture(path)
    code, err = _cli(path)
    assert code == 2 and "Traceback" not in err


def test_the_committed_fixtures_follow_the_schema():
    for p in sorted((ROOT / "fixtures").glob("*.json")):
        load_fixture(p)
