"""The counter sits on top: nothing in the library imports the service, the audit trail or the
CLI, and the service does not import the CLI (README, Architecture)."""

from __future__ import annotations

from pathlib import Path

from tests.core.test_layering import PKG, imported_modules

TOP = ("cardkit.service", "cardkit.audit", "cardkit.clinic")


def test_library_does_not_import_the_counter() -> None:
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.parts[0] == "service" or rel.name in ("audit.py", "clinic.py"):
            continue
        for mod in imported_modules(path):
            if any(mod == t or mod.startswith(t + ".") for t in TOP) or mod.split(".")[0] == "cli":
                bad.append(f"{rel} imports {mod}")
    assert not bad, "\n".join(bad)


def test_service_does_not_import_the_cli() -> None:
    service = Path(PKG) / "service"
    bad = [f"{p.name} imports {m}" for p in service.rglob("*.py") for m in imported_modules(p)
           if m.split(".")[0] in ("cli", "cardkit_cli")]
    assert not bad, "\n".join(bad)
