"""A chip's files parsed into one view, leniently: one odd data group never loses the others.

`parse_document(files)` works on bytes from anywhere (a card, a fixture, a dump folder) and
records a parse error per file instead of failing the whole read. `holder_identity()` gives the
fields a hospital or bank system takes over (12-digit ID, name, date of birth, sex, address).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import CardkitError
from .lds.com import Com, parse_com
from .lds.dates import DateKind, mrz_to_date
from .lds.dg1 import parse_dg1
from .lds.dg2 import Dg2, parse_dg2
from .lds.dg13 import Dg13, parse_dg13
from .lds.mrz import Mrz


@dataclass
class Document:
    files: dict[str, bytes]
    com: Com | None = None
    mrz: Mrz | None = None
    dg2: Dg2 | None = None
    dg13: Dg13 | None = None
    dg14: Any = None
    dg15: Any = None
    sod: Any = None
    parse_errors: dict[str, str] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        """What lenient parsing skipped or ignored, one line each ("DG13: ..."): never silent."""
        out = [f"DG2: {w}" for w in (self.dg2.warnings if self.dg2 else ())]
        out += [w if w.startswith("DG13") else f"DG13: {w}"
                for w in (self.dg13.warnings if self.dg13 else ())]
        return out

    @property
    def portrait(self) -> Any:
        """The first face image of DG2 (FaceImage), or None."""
        return self.dg2.faces[0] if self.dg2 and self.dg2.faces else None

    def holder_identity(self) -> dict[str, Any]:
        """Holder fields, DG13 (Vietnamese text with diacritics) first, DG1 MRZ as fallback.

        Dates are ISO 8601 (YYYY-MM-DD); `None` where the chip does not say.
        """
        m, d = self.mrz, self.dg13
        out: dict[str, Any] = {
            "id_number": (d.id_number if d else None) or (m.vn_id_number if m else None),
            "document_number": m.document_number if m else None,
            "full_name": (d.full_name if d else None) or (m.name if m else None),
            "name_mrz": m.name if m else None,
            "date_of_birth": _iso(d.date_of_birth if d else None)
            or (_mrz_iso(m.date_of_birth, DateKind.BIRTH) if m else None),
            "sex": _sex(d.sex if d else None) or (_sex(m.sex) if m else None),
            "nationality": (d.nationality if d else None) or (m.nationality if m else None),
            "date_of_expiry": _iso(d.date_of_expiry if d else None)
            or (_mrz_iso(m.date_of_expiry, DateKind.EXPIRY) if m else None),
            "issuing_state": m.issuing_state if m else None,
        }
        if d:
            out.update({
                "place_of_residence": d.place_of_residence,
                "place_of_origin": d.place_of_origin,
                "ethnicity": d.ethnicity,
                "religion": d.religion,
                "identifying_features": d.identifying_features,
                "date_of_issue": _iso(d.date_of_issue),
                "father_name": d.father_name,
                "mother_name": d.mother_name,
                "spouse_name": d.spouse_name,
                "old_id_number": d.old_id_number,
            })
        return out


def _parsers() -> dict[str, tuple[str, Callable[[bytes], Any]]]:
    from .lds.dg14 import parse_dg14
    from .lds.dg15 import parse_dg15
    from .lds.sod import parse_sod

    return {
        "COM": ("com", parse_com),
        "DG1": ("mrz", parse_dg1),
        "DG2": ("dg2", parse_dg2),
        "DG13": ("dg13", parse_dg13),
        "DG14": ("dg14", parse_dg14),
        "DG15": ("dg15", parse_dg15),
        "SOD": ("sod", parse_sod),
    }


def parse_document(files: dict[str, bytes]) -> Document:
    doc = Document(files=dict(files))
    for name, (attr, parse) in _parsers().items():
        data = files.get(name)
        if data is None:
            continue
        try:
            setattr(doc, attr, parse(data))
        except CardkitError as exc:
            doc.parse_errors[name] = str(exc)
        except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the other files
            doc.parse_errors[name] = f"unexpected parser failure ({type(exc).__name__})"
    return doc


_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")
_YMD = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def _iso(text: str | None) -> str | None:
    """DG13 dates are `DD/MM/YYYY`; some cards store only a year or `YYYYMMDD`."""
    if not text:
        return None
    m = _DMY.match(text)
    try:
        if m:
            return _dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat()
        m = _YMD.match(text)
        if m:
            return _dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        if re.fullmatch(r"\d{8}", text.strip()):
            s = text.strip()
            return _dt.date(int(s[:4]), int(s[4:6]), int(s[6:])).isoformat()
    except ValueError:
        return None
    return text.strip() or None  # keep what the card says (e.g. a year only)


def _mrz_iso(yymmdd: str, kind: DateKind) -> str | None:
    try:
        return mrz_to_date(yymmdd, kind).isoformat()
    except CardkitError:
        return None


def _sex(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip().lower()
    if v in ("m", "nam", "male"):
        return "M"
    if v in ("f", "nữ", "nu", "female"):
        return "F"
    if v in ("<", "x"):
        return None
    return value.strip()
