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
    for path in sorted((PKG / layer).rglob("*.py")):
        for mod in imported_modules(path):
            for banned in FORBIDDEN[layer]:
                if mod == f"cardkit.{banned}" or mod.startswith(f"cardkit.{banned}."):
                    bad.append(f"{path.relative_to(PKG)} imports {mod}")
    assert not bad, "\n".join(bad)
