"""Layers know only what is below them (README, Architecture): checked on every import statement,
including imports inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "cardkit"

FORBIDDEN = {
    "lds": ("icao", "transport", "security", "biometrics", "sim", "read", "verify", "document"),
    "transport": ("icao", "security", "biometrics", "sim", "read", "verify", "document"),
    "icao": ("security", "biometrics", "sim", "read", "verify", "document"),
    "security": ("icao.pace", "icao.bac", "icao.session", "icao.reader", "transport",
                 "biometrics", "sim", "read", "verify"),
    "biometrics": ("icao", "transport", "security", "sim", "read", "verify"),
    "sim": ("icao", "security", "biometrics", "read", "verify", "transport.pcsc"),
}
# The verdict machinery is pure: names, policies and the one rule know nothing of cards.
for _leaf in ("results.py", "i18n.py", "checks.py", "policy.py", "verdict.py"):
    FORBIDDEN[_leaf] = ("icao", "transport", "security", "biometrics", "sim", "read", "verify",
                        "document", "identity")


# Deliberate, documented exceptions: the pcscd test harness lives with the virtual card but drives
# the real PC/SC client to see the virtual reader.
ALLOWED = {"sim/pcscd_harness.py": ("transport.pcsc",)}
CLI_PACKAGES = ("cardkit_cli", "cli")
# The program entry (`python -m cardkit`) is the CLI's, like the console script.
ENTRY_POINTS = {"__main__.py"}


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    rel_parts = path.relative_to(PKG.parent).with_suffix("").parts
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(rel_parts[: len(rel_parts) - node.level])
                out.append(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                out.append(node.module)
    return out


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_below(layer: str) -> None:
    bad = []
    root = PKG / layer
    assert root.exists(), root
    for path in [root] if root.is_file() else sorted(root.rglob("*.py")):
        for mod in imported_modules(path):
            rel = str(path.relative_to(PKG))
            for banned in FORBIDDEN[layer]:
                if banned in ALLOWED.get(rel, ()):
                    continue
                if mod == f"cardkit.{banned}" or mod.startswith(f"cardkit.{banned}."):
                    bad.append(f"{path.relative_to(PKG)} imports {mod}")
    assert not bad, "\n".join(bad)


def test_library_never_imports_the_cli() -> None:
    """No module of the library (any layer, the workflow included) imports the command line."""
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        if path.name in ENTRY_POINTS and path.parent == PKG:
            continue
        for mod in imported_modules(path):
            if mod.split(".")[0] in CLI_PACKAGES:
                bad.append(f"{path.relative_to(PKG)} imports {mod}")
    assert not bad, "\n".join(bad)


def test_layering_test_sees_a_cli_import(tmp_path: Path) -> None:
    """The check above can fail: an import of the CLI is found, including inside a function."""
    probe = PKG / "_layering_probe_tmp.py"
    probe.write_text("def f():\n    from cardkit_cli.main import cli\n    return cli\n", "utf-8")
    try:
        assert "cardkit_cli.main" in imported_modules(probe)
    finally:
        probe.unlink()
