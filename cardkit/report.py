"""The one report model: a verification result as a JSON-ready dict (report version 2), used by
the CLI, the service, the audit trail and integrators. Schema: cardkit/data/report.schema.json.

Never carries the access key, session keys or biometric data (the portrait is described, not
embedded; `--out` writes it to its own file).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .checks import teller_message
from .document import Document

if TYPE_CHECKING:
    from .verify import VerificationResult

REPORT_VERSION = 2
SCHEMA = Path(__file__).resolve().parent / "data" / "report.schema.json"


def file_summary(files: dict[str, bytes]) -> dict[str, Any]:
    return {
        name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in sorted(files.items(), key=lambda kv: _file_order(kv[0]))
    }


def _file_order(name: str) -> tuple[int, int]:
    if name.startswith("DG") and name[2:].isdigit():
        return (1, int(name[2:]))
    return (0, {"CardAccess": 0, "COM": 1, "SOD": 2}.get(name, 9))


def portrait_summary(doc: Document) -> dict[str, Any] | None:
    face = doc.portrait
    if face is None:
        return None
    return {"mime": face.mime, "width": face.width, "height": face.height,
            "bytes": len(face.image_bytes)}


UNAUTHENTICATED_WARNING = ("NOT covered by the issuer's signature (not listed in EF.SOD, hash "
                           "mismatch or invalid signature): do not use")


def _dg_number(name: str) -> int | None:
    return int(name[2:]) if name.startswith("DG") and name[2:].isdigit() else None


def build_report(result: VerificationResult) -> dict[str, Any]:
    """Only authenticated data is the holder's (`identity`): what the SOD does not vouch for is
    kept apart under `unauthenticated`, marked, never as verified data (README, "What GENUINE
    means")."""
    doc = result.document
    snap = result.trust.snapshot
    ident = result.identity
    good = set(result.passive.authenticated_dgs) if result.passive is not None else set()
    read_dgs = sorted(n for n in map(_dg_number, doc.files) if n is not None)
    portrait = portrait_summary(doc)
    if portrait is not None:
        portrait["authenticated"] = 2 in good
    untrusted = dict(ident.unauthenticated)
    unauth = None
    if untrusted or any(n not in good for n in read_dgs):
        unauth = {"data_groups": [f"DG{n}" for n in read_dgs if n not in good],
                  "warning": UNAUTHENTICATED_WARNING, "identity": untrusted}
    report: dict[str, Any] = {
        "report_version": REPORT_VERSION,
        "cardkit": __version__,
        "created": result.created.isoformat(),
        "verdict": result.decision.to_dict(),
        "policy": result.policy.to_dict(),
        "source": result.source,
        "identity": ident.to_dict(),
        "identity_sources": dict(sorted(ident.sources.items())),
        "authenticated_fields": sorted(ident.authenticated),
        "unauthenticated": unauth,
        "data_groups": {f"DG{n}": {"authenticated": n in good} for n in read_dgs},
        "portrait": portrait,
        "checks": {name: {**c.to_dict(), "message": teller_message(c, result.checks).render()}
                   for name, c in result.checks.items()},
        "steps": [{"step": s.name, "seconds": s.seconds} for s in result.steps],
        "trust": {"kind": result.trust.kind, "label": result.trust.label,
                  "master_list": snap.to_dict() if snap is not None else None},
        "files": file_summary(doc.files),
        "skipped": dict(result.card.skipped) if result.card else {},
        "parse_errors": dict(doc.parse_errors),
        "warnings": list(result.warnings) + result.document.warnings,
        "lds_version": doc.com.lds_version if doc.com is not None else None,
    }
    return report
