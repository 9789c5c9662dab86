"""Human rendering of a report: what the teller or the reception desk reads."""

from __future__ import annotations

from typing import Any

_LABELS = [
    ("id_number", "ID number"),
    ("full_name", "Name"),
    ("date_of_birth", "Date of birth"),
    ("sex", "Sex"),
    ("nationality", "Nationality"),
    ("place_of_origin", "Place of origin"),
    ("place_of_residence", "Address"),
    ("ethnicity", "Ethnicity"),
    ("religion", "Religion"),
    ("date_of_issue", "Issued"),
    ("date_of_expiry", "Expires"),
    ("document_number", "Document no."),
    ("father_name", "Father"),
    ("mother_name", "Mother"),
    ("spouse_name", "Spouse"),
    ("old_id_number", "Old ID number"),
]

_MARK = {
    "valid": "OK  ", "match": "OK  ", "invalid": "FAIL", "no_match": "FAIL",
    "unverifiable": "??  ", "not_performed": "--  ", "not_supported": "--  ",
}


def render_summary(report: dict[str, Any]) -> str:
    lines: list[str] = []
    verdict = report.get("verdict", {})
    state = verdict.get("state")
    headline = {
        "valid": "GENUINE — all checks passed",
        "invalid": "NOT GENUINE — " + verdict.get("reason", ""),
        "unverifiable": "NOT FULLY VERIFIED — " + verdict.get("reason", ""),
    }.get(state or "", "")
    holder = report.get("holder", {})
    for key, label in _LABELS:
        value = holder.get(key)
        if value:
            lines.append(f"{label:<16}{value}")
    unauth = report.get("unauthenticated")
    if unauth:
        lines.append(f"UNAUTHENTICATED {', '.join(unauth['data_groups'])}: {unauth['warning']}")
        for key, label in _LABELS:
            value = unauth.get("holder", {}).get(key)
            if value:
                lines.append(f"{'! ' + label:<18}{value}   [NOT AUTHENTICATED]")
    portrait = report.get("portrait")
    if portrait:
        lines.append(f"{'Portrait':<16}{portrait['mime']} {portrait['width']}×{portrait['height']}, "
                     f"{portrait['bytes']} bytes"
                     + ("" if portrait.get("authenticated", True) else "   [NOT AUTHENTICATED]"))
    src = report.get("source", {})
    files = ", ".join(report.get("files", {}))
    lines.append(f"{'Read':<16}{src.get('label', '')} via {src.get('access', '?').upper()}, "
                 f"{src.get('seconds', 0):.2f} s: {files}")
    for name, reason in report.get("skipped", {}).items():
        lines.append(f"{'Not read':<16}{name}: {reason}")
    for name, reason in report.get("parse_errors", {}).items():
        lines.append(f"{'Unreadable':<16}{name}: {reason}")
    checks = report.get("checks", {})
    if checks:
        lines.append("Checks:")
        for name, check in checks.items():
            mark = _MARK.get(check["state"], "    ")
            lines.append(f"  [{mark}] {name:<13} {check['state']}: {check.get('reason', '')}")
    trust = checks.get("passive_auth", {}).get("details", {}).get("trust")
    if trust:
        lines.append(f"{'Trust':<16}{trust}")
    if headline:
        lines.append("")
        lines.append(headline)
    return "\n".join(lines)
