"""One report model (JSON-ready dicts) used by the CLI, the audit trail and integrators.

Never carries the access key, session keys or biometric data (the portrait is described, not
embedded; `--out` writes it to its own file).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from typing import Any

from . import __version__
from .document import Document
from .results import CheckResult, CheckState

REPORT_VERSION = 1


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


def overall_verdict(checks: list[CheckResult]) -> CheckResult:
    """The one line a teller reads: invalid beats unverifiable beats valid."""
    invalid = [c for c in checks if c.state in (CheckState.INVALID, CheckState.NO_MATCH)]
    if invalid:
        return CheckResult("verdict", CheckState.INVALID, invalid[0].reason)
    unsure = [c for c in checks if c.state in (CheckState.UNVERIFIABLE, CheckState.NOT_PERFORMED)]
    if unsure:
        return CheckResult("verdict", CheckState.UNVERIFIABLE,
                           "; ".join(f"{c.name}: {c.reason}" for c in unsure))
    return CheckResult("verdict", CheckState.VALID, "all checks passed")


def build_report(
    doc: Document,
    *,
    source: dict[str, Any],
    checks: list[CheckResult],
    skipped: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    verdict = overall_verdict(checks)
    report: dict[str, Any] = {
        "report_version": REPORT_VERSION,
        "cardkit": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "source": source,
        "holder": doc.holder_identity(),
        "portrait": portrait_summary(doc),
        "files": file_summary(doc.files),
        "skipped": dict(skipped or {}),
        "parse_errors": dict(doc.parse_errors),
        "warnings": doc.warnings,
        "checks": {c.name: c.to_dict() for c in checks},
        "verdict": verdict.to_dict(),
    }
    if doc.com is not None:
        report["lds_version"] = doc.com.lds_version
    if extra:
        report.update(extra)
    return report
