"""Start-up: `cardkit --help` and `cardkit inspect` load no numpy, OpenCV, dlib or virtual card
(checked in a fresh process through sys.modules; the time itself is measured by
bench/startup_bench.py, not here)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from cardkit.dump import save_dump

HEAVY = ("numpy", "cv2", "dlib", "PIL", "cardkit.biometrics.face", "cardkit.sim.personas",
         "smartcard")

_PROBE = f"""
import json, sys
from importlib.metadata import entry_points
(ep,) = [e for e in entry_points(group="console_scripts") if e.name == "cardkit"]
main = ep.load()
sys.argv = ["cardkit", *json.loads(sys.argv[1])]
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code
loaded = [m for m in {list(HEAVY)!r} if m in sys.modules]
print(json.dumps({{"code": code, "loaded": loaded}}), file=sys.stderr)
"""


def _loaded(args: list[str]) -> tuple[int, list[str]]:
    r = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args)], capture_output=True,
                       text=True, timeout=120)
    last = r.stderr.strip().splitlines()[-1]
    out = json.loads(last)
    return out["code"], out["loaded"]


def test_entry_point_is_the_lazy_group() -> None:
    (ep,) = [e for e in entry_points(group="console_scripts") if e.name == "cardkit"]
    assert ep.value.endswith(".main:main")


@pytest.mark.parametrize("args", [["--help"], ["face", "--help"], ["verify", "--help"]])
def test_help_loads_no_heavy_module(args: list[str]) -> None:
    code, loaded = _loaded(args)
    assert code == 0 and loaded == []


def test_inspect_loads_no_heavy_module(tmp_path: Path) -> None:
    sim = pytest.importorskip("cardkit.sim.personas")
    save_dump(tmp_path / "dump", dict(sim.get_persona("default").files))
    code, loaded = _loaded(["inspect", str(tmp_path / "dump"), "--trust", "sim-test",
                            "--no-default-trust"])
    assert code == 0 and loaded == []


def test_listed_help_is_each_commands_own() -> None:
    """`cardkit --help` shows COMMANDS' one-liners without importing the commands: they must
    stay what the commands themselves say."""
    import importlib

    (ep,) = [e for e in entry_points(group="console_scripts") if e.name == "cardkit"]
    main_mod = importlib.import_module(ep.module)
    for name, (module, attr, short) in main_mod.COMMANDS.items():
        cmd = getattr(importlib.import_module(f"{main_mod.__package__}.{module}"), attr)
        assert cmd.name == name
        assert cmd.get_short_help_str(1000) == short, name
