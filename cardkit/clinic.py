"""Clinic check-in output: the verified identity as an HL7 FHIR R4 Patient, or as flat JSON.

Input is a cardkit report (version 2, `VerificationResult.to_dict()`: `identity` — only the
fields EF.SOD vouches for —, `checks`, `verdict`); the output carries identity fields only —
never the portrait, biometrics, the access key or unauthenticated data.

Identifier system: no publicly registered FHIR NamingSystem or OID for the Vietnamese personal
identification number (số định danh cá nhân) could be confirmed, so cardkit defines its own URI,
`urn:cardkit:vn:cccd` (`CCCD_SYSTEM`), with identifier type `NI` (national unique individual
identifier, HL7 v2 table 0203). A hospital that has its own system URI passes it as `system=`.

The verification result rides along as `meta.tag` (verdict code) and one extension
(`VERIFICATION_EXTENSION`) with one sub-extension per check (state + reason), so an admission
system can refuse an unverified identity without parsing cardkit's report.
"""

from __future__ import annotations

from typing import Any

CCCD_SYSTEM = "urn:cardkit:vn:cccd"
VERIFICATION_EXTENSION = "urn:cardkit:fhir:extension:card-verification"
VERDICT_TAG_SYSTEM = "urn:cardkit:fhir:card-verdict"
_GENDER = {"M": "male", "F": "female", "X": "other"}


def _verdict(report: dict[str, Any]) -> tuple[str, str]:
    v = report.get("verdict") or {}
    label = str(v.get("result") or "incomplete").upper()
    if label not in ("VERIFIED", "REJECTED", "INCOMPLETE"):
        label = "INCOMPLETE"
    reasons = v.get("reasons") or []
    return label, "; ".join(str(r.get("message", "")) for r in reasons if isinstance(r, dict))


def _identity(report: dict[str, Any]) -> dict[str, Any]:
    ident = report.get("identity")
    return ident if isinstance(ident, dict) else {}


def fhir_patient(report: dict[str, Any], *, system: str = CCCD_SYSTEM) -> dict[str, Any]:
    """A FHIR R4 Patient resource (JSON dict) for the report's holder."""
    holder = _identity(report)
    label, reason = _verdict(report)
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "meta": {"tag": [{"system": VERDICT_TAG_SYSTEM, "code": label,
                          "display": reason[:200] or label}]},
        "active": True,
    }
    if holder.get("id_number"):
        patient["identifier"] = [{
            "use": "official",
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                 "code": "NI"}],
                     "text": "Số định danh cá nhân (CCCD)"},
            "system": system,
            "value": holder["id_number"],
            "assigner": {"display": "Bộ Công an — Cục Cảnh sát QLHC về TTXH"},
        }]
    name = holder.get("full_name")
    if name:
        # Vietnamese order: family name, middle name(s), given name ("Nguyễn Văn An").
        entry: dict[str, Any] = {"use": "official", "text": name}
        if holder.get("family_name"):
            entry["family"] = holder["family_name"]
        given = [p for p in ((holder.get("middle_name") or "").split() +
                             [holder.get("given_name") or ""]) if p]
        if given:
            entry["given"] = given
        patient["name"] = [entry]
    if holder.get("sex") in _GENDER:
        patient["gender"] = _GENDER[holder["sex"]]
    elif holder.get("sex"):
        patient["gender"] = "unknown"
    if holder.get("date_of_birth"):
        patient["birthDate"] = holder["date_of_birth"]
    if holder.get("place_of_residence"):
        patient["address"] = [{"use": "home", "type": "physical",
                               "text": holder["place_of_residence"], "country": "VN"}]
    checks = report.get("checks") or {}
    sub = [{"url": "verdict", "valueCode": label}]
    if reason:
        sub.append({"url": "reason", "valueString": reason})
    for check_name, check in checks.items():
        if not isinstance(check, dict) or "state" not in check:
            continue
        text = check.get("message") or check.get("reason")
        sub.append({"url": "check", "extension": [
            {"url": "name", "valueCode": str(check_name)},
            {"url": "state", "valueCode": str(check["state"])},
            *([{"url": "reason", "valueString": str(text)[:500]}] if text else []),
        ]})
    if report.get("created"):
        sub.append({"url": "verifiedAt", "valueDateTime": report["created"]})
    patient["extension"] = [{"url": VERIFICATION_EXTENSION, "extension": sub}]
    return patient


def flat_record(report: dict[str, Any]) -> dict[str, Any]:
    """One level of stable English keys, for admission systems that do not speak FHIR."""
    holder = _identity(report)
    label, reason = _verdict(report)
    out = {
        "id_number": holder.get("id_number"),
        "full_name": holder.get("full_name"),
        "date_of_birth": holder.get("date_of_birth"),
        "sex": holder.get("sex"),
        "place_of_residence": holder.get("place_of_residence"),
        "place_of_origin": holder.get("place_of_origin"),
        "nationality": holder.get("nationality"),
        "date_of_expiry": holder.get("date_of_expiry"),
        "verdict": label,
        "verdict_reason": reason,
        "verified_at": report.get("created"),
    }
    for check_name, check in (report.get("checks") or {}).items():
        if isinstance(check, dict) and "state" in check:
            out[f"check_{check_name}"] = check["state"]
    return out
