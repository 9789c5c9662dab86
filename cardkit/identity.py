"""The holder's identity with one source of truth per field, and which fields are authenticated.

Source per field (fixed, never "whichever is present"):
- from DG1 (the MRZ, ICAO 9303-10 §4.7.1): document_number, date_of_birth, sex, nationality
  (ISO 3166 alpha-3, e.g. "VNM"), issuing_state, date_of_expiry, surname_mrz, given_names_mrz;
- from DG13 (Vietnam, with diacritics): id_number, full_name and its parts family_name /
  middle_name / given_name ("Họ, chữ đệm và tên"), place_of_origin, place_of_residence, ethnicity,
  religion, identifying_features, date_of_issue, father_name, mother_name, spouse_name,
  old_id_number;
- id_number falls back to the MRZ's optional data, full_name to the MRZ name, for chips without
  DG13 (passports); the source is then said.
A field is authenticated only when its data group's hash is listed in a validly signed SOD
(cardkit.security.passive) — the CLI marks the others, the JSON lists `authenticated_fields`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from .checks import CheckName
from .document import Document, _iso, _mrz_iso, _sex
from .lds.dates import DateKind
from .results import CheckResult, CheckState

FIELDS = (
    "id_number", "document_number", "full_name", "family_name", "middle_name", "given_name",
    "surname_mrz", "given_names_mrz", "date_of_birth", "sex", "nationality", "issuing_state",
    "place_of_origin", "place_of_residence", "ethnicity", "religion", "identifying_features",
    "date_of_issue", "date_of_expiry", "father_name", "mother_name", "spouse_name",
    "old_id_number",
)
_DG13_FIELDS = ("place_of_origin", "place_of_residence", "ethnicity", "religion",
                "identifying_features", "father_name", "mother_name", "spouse_name",
                "old_id_number")


@dataclass(frozen=True)
class Identity:
    """The holder. `fields` holds ONLY authenticated values (covered by a valid issuer signature);
    what the chip said without that cover is kept apart in `unauthenticated` — never use it as
    the holder's data. `sources`: field → "DG1" / "DG13" for both."""

    fields: dict[str, Any]
    sources: dict[str, str]
    unauthenticated: dict[str, Any] = field(default_factory=dict)

    @property
    def authenticated(self) -> frozenset[str]:
        return frozenset(self.fields)

    def get(self, name: str) -> Any:
        """An authenticated value, or None."""
        return self.fields.get(name)

    def is_authenticated(self, name: str) -> bool:
        return name in self.fields

    def to_dict(self, authenticated_only: bool = True) -> dict[str, Any]:
        """Every field name, None where the chip gave no authenticated value. (`fields` is
        authenticated-only by construction; the flag is accepted for callers written against the
        first version, and False is refused: unauthenticated data is `unauthenticated`.)"""
        if not authenticated_only:
            raise ValueError("unauthenticated values are in Identity.unauthenticated, apart")
        return {k: self.fields.get(k) for k in FIELDS}


def split_vn_name(full: str | None) -> tuple[str | None, str | None, str | None]:
    """"Nguyễn Văn An" → ("Nguyễn", "Văn", "An"): họ, chữ đệm, tên (family name first)."""
    parts = (full or "").split()
    if not parts:
        return None, None, None
    if len(parts) == 1:
        return None, None, parts[0]
    return parts[0], " ".join(parts[1:-1]) or None, parts[-1]


def build_identity(doc: Document, authenticated_dgs: Collection[int] = ()) -> Identity:
    m, d = doc.mrz, doc.dg13
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    def put(name: str, value: Any, source: str) -> None:
        if value not in (None, ""):
            values[name] = value
            sources[name] = source

    if m is not None:
        put("document_number", m.document_number, "DG1")
        put("date_of_birth", _mrz_iso(m.date_of_birth, DateKind.BIRTH), "DG1")
        put("sex", _sex(m.sex), "DG1")
        put("nationality", m.nationality, "DG1")
        put("issuing_state", m.issuing_state, "DG1")
        put("date_of_expiry", _mrz_iso(m.date_of_expiry, DateKind.EXPIRY), "DG1")
        put("surname_mrz", m.primary_identifier, "DG1")
        put("given_names_mrz", m.secondary_identifier, "DG1")
    if d is not None:
        put("id_number", d.id_number, "DG13")
        put("full_name", d.full_name, "DG13")
        family, middle, given = split_vn_name(d.full_name)
        for name, value in (("family_name", family), ("middle_name", middle),
                            ("given_name", given)):
            put(name, value, "DG13")
        for name in _DG13_FIELDS:
            put(name, getattr(d, name), "DG13")
        put("date_of_issue", _iso(d.date_of_issue), "DG13")
    if m is not None:
        if "id_number" not in values:
            put("id_number", m.vn_id_number, "DG1")
        if "full_name" not in values:
            put("full_name", m.name, "DG1")
    dgs = {f"DG{n}" for n in authenticated_dgs}
    trusted = {k: v for k, v in values.items() if sources[k] in dgs}
    others = {k: v for k, v in values.items() if k not in trusted}
    return Identity(trusted, sources, others)


def document_valid_check(identity: Identity, at: _dt.date) -> CheckResult:
    """Has the document expired? Uses the MRZ expiry date, and only when DG1 is authenticated."""
    name = CheckName.DOCUMENT_VALID.value
    if identity.unauthenticated.get("date_of_expiry"):
        return CheckResult(name, CheckState.UNVERIFIABLE,
                           "the date of expiry is not covered by a valid issuer signature",
                           {"source": identity.sources.get("date_of_expiry"),
                            "checked_on": at.isoformat()})
    expiry = identity.get("date_of_expiry")
    if not expiry:
        return CheckResult(name, CheckState.UNVERIFIABLE, "no date of expiry on the chip (DG1)")
    details = {"date_of_expiry": expiry, "source": identity.sources.get("date_of_expiry"),
               "checked_on": at.isoformat()}
    try:
        when = _dt.date.fromisoformat(expiry)
    except ValueError:
        return CheckResult(name, CheckState.UNVERIFIABLE, f"date of expiry {expiry!r} unreadable",
                           details)
    if when < at:
        return CheckResult(name, CheckState.INVALID, f"document expired on {expiry}", details)
    return CheckResult(name, CheckState.VALID, f"valid until {expiry}", details)
