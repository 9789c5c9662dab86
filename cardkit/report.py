"""One report model (JSON-ready dicts) used by the CLI, the audit trail and integrators.

Never carries the access key, session keys or biometric data (the portrait is described, not
embedded; `--out` writes it to its own file).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Iterable
from typing import Any

from . import __version__
from .document import Document, parse_document
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


def _dg_number(name: str) -> int | None:
    return int(name[2:]) if name.startswith("DG") and name[2:].isdigit() else None


def authentication_view(doc: Document, authenticated: Iterable[int] | None
                        ) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any]]:
    """Split what the chip says into authenticated and unauthenticated data.

    Only data groups whose hash EF.SOD lists and matches (`authenticated`, from
    `PassiveResult.authenticated_dgs`) feed `holder`; the rest is returned apart with
    `authenticated: false`, never as verified data. `authenticated=None` means no verification
    ran: everything is returned as `holder`, and every data group is marked unauthenticated.
    Returns (holder, unauthenticated or None, data_groups)."""
    read_dgs = sorted(n for n in map(_dg_number, doc.files) if n is not None)
    good = set(authenticated) if authenticated is not None else set()
    data_groups = {f"DG{n}": {"authenticated": n in good} for n in read_dgs}
    if authenticated is None:
        return doc.holder_identity(), None, data_groups
    trusted = {k: v for k, v in doc.files.items() if _dg_number(k) is None or _dg_number(k) in good}
    holder = parse_document(trusted).holder_identity()
    untrusted_dgs = [n for n in read_dgs if n not in good]
    if not untrusted_dgs:
        return holder, None, data_groups
    untrusted = {k: v for k, v in doc.files.items() if _dg_number(k) in untrusted_dgs}
    fields = {k: v for k, v in parse_document(untrusted).holder_identity().items()
              if v not in (None, "") and holder.get(k) != v}
    unauth = {
        "authenticated": False,
        "data_groups": [f"DG{n}" for n in untrusted_dgs],
        "warning": "NOT covered by the issuer's signature (not listed in EF.SOD, hash mismatch "
                   "or invalid signature): do not use",
        "holder": fields,
    }
    return holder, unauth, data_groups


def build_report(
    doc: Document,
    *,
    source: dict[str, Any],
    checks: list[CheckResult],
    skipped: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    authenticated: Iterable[int] | None = None,
) -> dict[str, Any]:
    """The report. `authenticated`: the data groups passive authentication vouches for (only
    those feed `holder` and `portrait`); None when no verification ran."""
    verdict = overall_verdict(checks)
    holder, unauth, data_groups = authentication_view(doc, authenticated)
    portrait = portrait_summary(doc)
    if portrait is not None:
        portrait["authenticated"] = data_groups.get("DG2", {}).get("authenticated", False)
    report: dict[str, Any] = {
        "report_version": REPORT_VERSION,
        "cardkit": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "source": source,
        "holder": holder,
        "portrait": portrait,
        "data_groups": data_groups,
        "files": file_summary(doc.files),
        "skipped": dict(skipped or {}),
        "parse_errors": dict(doc.parse_errors),
        "checks": {c.name: c.to_dict() for c in checks},
        "verdict": verdict.to_dict(),
    }
    if unauth is not None:
        report["unauthenticated"] = unauth
    if doc.com is not None:
        report["lds_version"] = doc.com.lds_version
    if extra:
        report.update(extra)
    return report
