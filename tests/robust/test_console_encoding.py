"""Defect 3e (issue 11): any output to a console whose encoding is not UTF-8 crashed `read` and
`read --json` with empty output (PYTHONIOENCODING=cp1258: Vietnamese Windows; cp1252). Text is
now transliterated where the console cannot show a character (cp1258 composes Vietnamese letters
from a base letter and a tone mark, so names stay exact); JSON escapes instead (data unchanged).
(An ASCII console is taken by click as misconfigured and gets UTF-8: not tested here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from cardkit.sim.personas import get_persona

ROOT = Path(__file__).resolve().parents[2]
CARDKIT = [sys.executable, "-c", "from cardkit_cli.main import main; main()"]


def _run(encoding: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONUTF8", None)
    return subprocess.run([*CARDKIT, *args], capture_output=True, env=env, timeout=120,
                          cwd=ROOT)


def test_cp1258_read_sim_is_readable_and_exact():
    r = _run("cp1258", "read", "--sim")
    assert r.returncode == 0, r.stderr.decode("cp1258", "replace")
    text = unicodedata.normalize("NFC", r.stdout.decode("cp1258"))
    holder = get_persona("default").holder
    assert holder.full_name in text  # "Nguyễn Văn An": ê + combining tilde on cp1258
    assert holder.place_of_residence in text
    assert "VERIFIED" in text


@pytest.mark.parametrize("encoding", ["cp1252", "cp437"])
def test_other_consoles_get_a_transliterated_report(encoding):
    r = _run(encoding, "read", "--sim")
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode(encoding)
    assert "VERIFIED" in text and "Nguy" in text
    assert "Nguy?n" not in text  # a base letter at least, never a question mark


@pytest.mark.parametrize("encoding", ["cp1258", "cp1252"])
def test_json_on_any_console_keeps_the_data_exact(encoding):
    r = _run(encoding, "read", "--sim", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout.decode(encoding))
    assert report["identity"]["full_name"] == get_persona("default").holder.full_name


def test_errors_on_a_cp1258_console_are_one_line():
    r = _run("cp1258", "read", "--sim", "--id", "001093000001", "--dob", "Đ", "--expiry", "x")
    assert r.returncode == 2
    assert r.stderr.decode("cp1258").startswith("cardkit: error:") and b"Traceback" not in r.stderr
