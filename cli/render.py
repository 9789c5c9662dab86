"""Human rendering of a verification result: what the teller or the reception desk reads.

Main screen: the holder's data (labels as printed on the CCCD), one line per check a teller
cares about, and the verdict — in the user's language, without protocol jargon. `verbose` adds
the technical detail (every check's state and reason, files, trust list, step durations).
"""

from __future__ import annotations

import re
from typing import Any

from cardkit.checks import TITLES, CheckName, teller_message
from cardkit.i18n import N_, Message
from cardkit.results import CheckState
from cardkit.verdict import VERDICT_TITLES, Verdict
from cardkit.verify import SIM_TEST_LABEL, VerificationResult

from .common import _, current_language, gettext

# Field labels as printed on the Vietnamese card (vi catalogue) and their English equivalents.
LABELS: list[tuple[str, str]] = [
    ("id_number", N_("Personal identification number")),
    ("full_name", N_("Full name")),
    ("date_of_birth", N_("Date of birth")),
    ("sex", N_("Sex")),
    ("nationality", N_("Nationality")),
    ("place_of_origin", N_("Place of origin")),
    ("place_of_residence", N_("Place of residence")),
    ("ethnicity", N_("Ethnicity")),
    ("religion", N_("Religion")),
    ("identifying_features", N_("Personal identification marks")),
    ("date_of_issue", N_("Date of issue")),
    ("date_of_expiry", N_("Date of expiry")),
    ("document_number", N_("Document number")),
    ("father_name", N_("Father's full name")),
    ("mother_name", N_("Mother's full name")),
    ("spouse_name", N_("Spouse's full name")),
    ("old_id_number", N_("Old ID card number")),
]
SEX = {"M": N_("Male"), "F": N_("Female")}
COUNTRIES = {"VNM": N_("Viet Nam")}
PORTRAIT = N_("Portrait")
NOT_VERIFIED = N_("[NOT AUTHENTICATED — do not use]")
TELLER_CHECKS = (CheckName.CHIP_GENUINE, CheckName.DOCUMENT_VALID, CheckName.FACE_MATCH,
                 CheckName.FINGER_MATCH, CheckName.TERMINAL_AUTH)
_MARK = {CheckState.VALID: "✔", CheckState.MATCH: "✔", CheckState.INVALID: "✘",
         CheckState.NO_MATCH: "✘", CheckState.UNVERIFIABLE: "?", CheckState.NOT_PERFORMED: "–",
         CheckState.NOT_SUPPORTED: "–"}
VERDICT_LINE = {
    Verdict.VERIFIED: N_("all required checks passed"),
    Verdict.REJECTED: N_("do not accept: {reasons}"),
    Verdict.INCOMPLETE: N_("not confirmed: {reasons}"),
}


DATE_FIELDS = ("date_of_birth", "date_of_issue", "date_of_expiry")


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def local_date(value: Any) -> Any:
    """An ISO date as the user's language writes it (vi: DD/MM/YYYY, as printed on the card)."""
    m = _ISO_DATE.match(str(value)) if isinstance(value, str) else None
    if m and current_language() == "vi":
        return f"{m[3]}/{m[2]}/{m[1]}"
    return value


def _value(name: str, value: Any) -> str:
    if name in DATE_FIELDS:
        return str(local_date(value))
    if name == "sex":
        return _(SEX[value]) if value in SEX else str(value)
    if name == "nationality" and value in COUNTRIES:
        return _(COUNTRIES[value])
    return str(value)


def _rows(rows: list[tuple[str, str]]) -> list[str]:
    width = max((len(label) for label, _v in rows), default=0) + 2
    return [f"{label + ':':<{width}} {value}" for label, value in rows]


def render_result(result: VerificationResult, *, verbose: bool = False) -> str:
    g = gettext()
    ident = result.identity
    rows: list[tuple[str, str]] = []
    for key, label in LABELS:
        value = ident.get(key)
        marked = value in (None, "")
        if marked:
            value = ident.unauthenticated.get(key)
        if value in (None, ""):
            continue
        text = _value(key, value)
        if marked:
            text += " " + _(NOT_VERIFIED)
        rows.append((_(label), text))
    portrait = result.portrait
    if portrait is not None:
        text = f"{portrait.mime} {portrait.width}×{portrait.height}"
        if result.passive is None or 2 not in result.passive.authenticated_dgs:
            text += " " + _(NOT_VERIFIED)
        rows.append((_(PORTRAIT), text))
    lines = _rows(rows)
    lines.append("")
    check_rows = []
    for name in TELLER_CHECKS:
        check = result.checks.get(name.value)
        shown_when_run = (CheckName.CHIP_GENUINE, CheckName.TERMINAL_AUTH)
        if check is None or (name not in shown_when_run and not result.policy.wants(name)):
            continue
        text = (_chip_line(result) if name is CheckName.CHIP_GENUINE
                else teller_message(check, result.checks).render(g, local_date))
        check_rows.append((_(TITLES[name]), f"{_MARK.get(check.state, ' ')} {text}"))
    lines += _rows(check_rows)
    for warning in _warnings(result):
        lines.append(_("Warning: {text}").format(text=warning))
    if verbose:
        lines += _details(result)
    lines.append("")
    lines.append(verdict_line(result))
    return "\n".join(lines)


def _chip_line(result: VerificationResult) -> str:
    g = gettext()
    genuine = result.checks[CheckName.CHIP_GENUINE.value]
    parts = [result.checks[p] for p in genuine.details.get("parts", []) if p in result.checks]
    if genuine.state is CheckState.VALID:
        return "; ".join(teller_message(p, result.checks).render(g, local_date) for p in parts)
    return teller_message(genuine, result.checks).render(g, local_date)


def _warnings(result: VerificationResult) -> list[str]:
    out = []
    if result.trust.kind == "sim-test" or SIM_TEST_LABEL in result.trust.label:
        out.append(_("checked with the virtual card's TEST certificate, not a real state's"))
    snap = result.trust.snapshot
    if snap is not None and result.warnings:
        out.append(_("the list of state certificates is {days} days old — update it with "
                     "`cardkit trust update`").format(days=snap.age_days()))
    out += result.document.warnings  # what lenient parsing skipped or ignored (never silent)
    return out


def verdict_line(result: VerificationResult) -> str:
    g = gettext()
    decision = result.decision
    reasons = "; ".join(r.message.render(g, local_date) for r in decision.reasons)
    body = Message(VERDICT_LINE[decision.verdict], {"reasons": reasons}).render(g)
    return f"{_(VERDICT_TITLES[decision.verdict])} — {body}"


def _details(result: VerificationResult) -> list[str]:
    """Technical detail (--verbose): English protocol terms are fine here."""
    t_read, t_files, t_not_read = _("Read"), _("Files"), _("Not read")
    t_unreadable, t_policy, t_trust, t_steps = _("Unreadable"), _("Policy"), _("Trust list"), \
        _("Steps")
    lines = ["", _("Details:")]
    src = result.source
    if "access" in src:
        lines.append(f"  {t_read}: {src.get('label')} — {src.get('reader')}, "
                     f"{str(src.get('access')).upper()}, {src.get('seconds', 0):.2f} s")
    lines.append(f"  {t_files}: {', '.join(result.files)}")
    if result.card is not None:
        for name, why in result.card.skipped.items():
            lines.append(f"  {t_not_read}: {name}: {why}")
    for name, why in result.document.parse_errors.items():
        lines.append(f"  {t_unreadable}: {name}: {why}")
    lines.append(f"  {t_policy}: {result.policy.name}")
    for name, check in result.checks.items():
        lines.append(f"  [{check.state.value}] {name}: {check.reason}")
    if result.passive is not None:
        for c in result.passive.checks:
            lines.append(f"      {c.name}: {c.state.value} — {c.reason}")
    face = result.face
    if face is not None and face.distance is not None:
        lines.append(f"  face: distance {face.distance:.3f} (match if <= {face.threshold:.2f}, "
                     f"operating point {face.operating_point}), score {face.score:.3f}")
    lines.append(f"  {t_trust}: {result.trust.label}")
    lines += [f"  {w}" for w in result.warnings]
    steps = ", ".join(f"{s.name} {s.seconds * 1000:.0f} ms" for s in result.steps)
    lines.append(f"  {t_steps}: {steps}")
    return lines
