"""Machine Readable Zone (ICAO 9303-3 §4.9 check digits, 9303-5 TD1, 9303-6 TD2, 9303-4 TD3).

`parse_mrz` reads a TD1 (3×30), TD2 (2×36) or TD3 (2×44) MRZ into `Mrz`, validating every check
digit; a wrong one raises `ParseError` naming the field. `encode_td1` / `encode_td2` /
`encode_td3` write MRZ text with correct check digits. Vietnamese CCCD helpers: `vn_access_key`,
`vn_can`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from ..errors import InputError, ParseError
from .dates import DateKind, to_mrz_date
from .keys import MrzKey, ascii_digits_only

__all__ = [
    "Mrz",
    "MrzFormat",
    "check_digit",
    "encode_td1",
    "encode_td2",
    "encode_td3",
    "encode_vn_td1",
    "parse_mrz",
    "to_mrz_name",
    "vn_access_key",
    "vn_can",
]

_WEIGHTS = (7, 3, 1)
MAX_MRZ_TEXT = 200  # 3×30 or 2×44 plus separators; anything longer is not an MRZ
_MRZ_CHARS = re.compile(r"^[0-9A-Z<]*$")


def _char_value(c: str) -> int:
    if c.isdigit():
        return ord(c) - 48
    if "A" <= c <= "Z":
        return ord(c) - 55
    if c == "<":
        return 0
    raise ValueError(f"character {c!r} is not allowed in an MRZ")


def check_digit(field: str) -> str:
    """ICAO 9303-3 §4.9: weights 7,3,1 modulo 10."""
    return str(sum(_char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


class MrzFormat(Enum):
    """Size-1 card (TD1), size-2 (TD2), passport book (TD3)."""

    TD1 = "TD1"
    TD2 = "TD2"
    TD3 = "TD3"


_SHAPES = {MrzFormat.TD1: (3, 30), MrzFormat.TD2: (2, 36), MrzFormat.TD3: (2, 44)}


@dataclass(frozen=True)
class Mrz:
    """Every field of an MRZ, fillers (`<`) trimmed from the ends of text fields.

    Dates stay as printed (`YYMMDD`); use `cardkit.lds.dates.mrz_to_date` to resolve the century.
    `document_number` is complete, including the part a TD1/TD2 long number (9303-5 §4.2.2 note j)
    continues in the optional data.
    """

    format: MrzFormat
    document_code: str
    issuing_state: str
    document_number: str
    date_of_birth: str
    sex: str  # "M", "F" or "<" (unspecified)
    date_of_expiry: str
    nationality: str
    primary_identifier: str  # surname(s), `<` between parts replaced by spaces
    secondary_identifier: str  # given name(s)
    optional_data_1: str  # TD1 line 1 / TD2 / TD3 (personal number), long-number part removed
    optional_data_2: str  # TD1 line 2 only; "" otherwise
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def raw(self) -> str:
        """The MRZ as stored in DG1 (lines concatenated, no separators)."""
        return "".join(self.lines)

    @property
    def name(self) -> str:
        return f"{self.primary_identifier}, {self.secondary_identifier}".strip(", ")

    @property
    def vn_id_number(self) -> str | None:
        """Vietnamese CCCD: the full 12-digit ID carried in optional data 1, else None."""
        if self.issuing_state != "VNM":
            return None
        m = re.match(r"^(\d{12})", self.optional_data_1)
        return m.group(1) if m else None

    def access_key(self) -> MrzKey:
        """The BAC/PACE MRZ key (ICAO 9303-11 §9.7.2) for this document."""
        return MrzKey(self.document_number, self.date_of_birth, self.date_of_expiry)

    def __repr__(self) -> str:  # the MRZ holds the access key: keep it out of logs
        return f"Mrz({self.format.value}, {self.document_code!r}, {self.issuing_state!r}, <redacted>)"


# --- parsing --------------------------------------------------------------------------------------


def _split_lines(text: str) -> tuple[MrzFormat, list[str]]:
    if not isinstance(text, str):
        raise ParseError("MRZ must be text")
    if len(text) > MAX_MRZ_TEXT:
        raise ParseError(f"MRZ of {len(text)} characters is too long (at most 90 expected)")
    parts = [p.strip() for p in re.split(r"[\r\n]+", text.strip()) if p.strip()]
    joined = "".join(parts)
    for fmt, (n, width) in _SHAPES.items():
        if len(parts) == n and all(len(p) == width for p in parts):
            return fmt, parts
    for fmt, (n, width) in _SHAPES.items():  # DG1 stores the lines without separators
        if len(parts) <= 1 and len(joined) == n * width:
            return fmt, [joined[i * width:(i + 1) * width] for i in range(n)]
    raise ParseError(
        f"MRZ has {len(parts)} line(s) of {'/'.join(str(len(p)) for p in parts) or '0'} "
        "characters; expected 3×30 (ID card), 2×36 or 2×44 (passport)"
    )


def _check(field_name: str, value: str, digit: str) -> None:
    if digit == "<" and set(value) <= {"<"}:
        return  # an empty optional field may carry a filler instead of 0
    if check_digit(value) != digit:
        raise ParseError(f"MRZ check digit of the {field_name} is wrong (data misread or forged)")


def _text(field: str) -> str:
    return field.strip("<").replace("<", " ")


def _names(field: str) -> tuple[str, str]:
    primary, sep, secondary = field.partition("<<")
    primary = primary.strip("<").replace("<", " ")
    secondary = secondary.strip("<").replace("<", " ") if sep else ""
    return primary, " ".join(secondary.split())


def _document_number(number9: str, digit: str, optional: str) -> tuple[str, str, str]:
    """Return (document number, checked string, remaining optional data); 9303-5 note j."""
    if digit == "<" and optional and optional[0] != "<":
        # long number: its remainder plus its check digit start the optional data
        m = re.match(r"^([0-9A-Z]*?)(\d)(<|$)", optional)
        if m is None:
            raise ParseError("MRZ long document number has no check digit in the optional data")
        rest = m.group(1)
        full = number9 + rest
        remaining = optional[m.end():]
        _check("document number", full, m.group(2))
        return full, full, remaining
    _check("document number", number9, digit)
    return number9.rstrip("<"), number9, optional


def parse_mrz(text: str) -> Mrz:
    """Parse and check an MRZ (TD1, TD2 or TD3), with or without line breaks."""
    fmt, lines = _split_lines(text)
    for line in lines:
        if not _MRZ_CHARS.match(line):
            raise ParseError("MRZ contains characters other than A-Z, 0-9 and '<'")
    if fmt is MrzFormat.TD1:
        l1, l2, l3 = lines
        doc_code, state = l1[0:2], l1[2:5]
        number, _, optional1 = _document_number(l1[5:14], l1[14], l1[15:30])
        dob, dob_cd, sex, doe, doe_cd = l2[0:6], l2[6], l2[7], l2[8:14], l2[14]
        nationality, optional2, composite = l2[15:18], l2[18:29], l2[29]
        composite_data = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
        names = l3
    else:
        width = len(lines[0])
        l1, l2 = lines
        doc_code, state, names = l1[0:2], l1[2:5], l1[5:width]
        if fmt is MrzFormat.TD3:
            number9, number_cd = l2[0:9], l2[9]
            nationality, dob, dob_cd, sex, doe, doe_cd = (
                l2[10:13], l2[13:19], l2[19], l2[20], l2[21:27], l2[27])
            personal, personal_cd, composite = l2[28:42], l2[42], l2[43]
            _check("personal number", personal, personal_cd)
            _check("document number", number9, number_cd)
            number, optional1 = number9.rstrip("<"), personal
            composite_data = l2[0:10] + l2[13:20] + l2[21:43]
        else:
            number, _, optional1 = _document_number(l2[0:9], l2[9], l2[28:35])
            nationality, dob, dob_cd, sex, doe, doe_cd = (
                l2[10:13], l2[13:19], l2[19], l2[20], l2[21:27], l2[27])
            composite = l2[35]
            composite_data = l2[0:10] + l2[13:20] + l2[21:35]
        optional2 = ""
    _check("date of birth", dob, dob_cd)
    _check("date of expiry", doe, doe_cd)
    _check("composite (whole MRZ)", composite_data, composite)
    if sex not in ("M", "F", "<", "X"):
        raise ParseError(f"MRZ sex field {sex!r} is not M, F or <")
    primary, secondary = _names(names)
    return Mrz(
        format=fmt,
        document_code=doc_code.rstrip("<"),
        issuing_state=state.rstrip("<"),
        document_number=number,
        date_of_birth=dob,
        sex=sex,
        date_of_expiry=doe,
        nationality=nationality.rstrip("<"),
        primary_identifier=primary,
        secondary_identifier=secondary,
        optional_data_1=optional1.rstrip("<"),
        optional_data_2=optional2.rstrip("<"),
        lines=tuple(lines),
    )


# --- encoding -------------------------------------------------------------------------------------

_TRANSLIT = {"Đ": "D", "đ": "D", "Æ": "AE", "æ": "AE", "Ø": "OE", "ø": "OE", "ß": "SS",
             "Þ": "TH", "þ": "TH", "Œ": "OE", "œ": "OE", "Ł": "L", "ł": "L"}


def to_mrz_name(name: str) -> str:
    """Transliterate a name to MRZ characters (9303-3 §6: diacritics dropped, Đ → D)."""
    out = []
    for ch in name:
        ch = _TRANSLIT.get(ch, ch)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        for c in base.upper():
            if "A" <= c <= "Z" or c.isdigit():
                out.append(c)
            elif c in " -'<,.":
                out.append("<" if c in " -<," else "")
            else:
                raise InputError(f"name character {ch!r} cannot be written in an MRZ")
    return re.sub(r"<+", "<", "".join(out)).strip("<")


def _field(value: str, width: int, what: str) -> str:
    v = value.upper().replace(" ", "<")
    if not _MRZ_CHARS.match(v):
        raise InputError(f"{what} '{value}' may only contain A-Z, 0-9 and spaces")
    if len(v) > width:
        raise InputError(f"{what} '{value}' is longer than {width} characters")
    return v + "<" * (width - len(v))


def _name_field(primary: str, secondary: str, width: int) -> str:
    p, s = to_mrz_name(primary), to_mrz_name(secondary)
    text = p + ("<<" + s if s else "")
    return (text + "<" * width)[:width]  # 9303-3 §4.6 truncation: cut at the end


def _dates(dob: str, doe: str) -> tuple[str, str]:
    return (to_mrz_date(dob, DateKind.BIRTH), to_mrz_date(doe, DateKind.EXPIRY))


def _sex(sex: str) -> str:
    s = (sex or "<").upper()[:1]
    if s not in ("M", "F", "<", "X"):
        raise InputError(f"sex '{sex}' must be M, F or X")
    return "<" if s == "X" else s


def _number_and_optional(number: str, optional: str, opt_width: int) -> tuple[str, str]:
    """Document number field (9 + check digit) and optional data, long-number rule applied."""
    num = number.upper()
    if not _MRZ_CHARS.match(num) or not num:
        raise InputError(f"document number '{number}' may only contain A-Z and 0-9")
    if len(num) <= 9:
        n9 = _field(num, 9, "document number")
        return n9 + check_digit(n9), _field(optional, opt_width, "optional data")
    rest = num[9:] + check_digit(num) + "<"
    return num[:9] + "<", _field(rest + optional, opt_width, "document number + optional data")


def encode_td1(*, document_code: str = "I", issuing_state: str, document_number: str,
               date_of_birth: str, sex: str, date_of_expiry: str, nationality: str,
               primary_identifier: str, secondary_identifier: str = "",
               optional_data_1: str = "", optional_data_2: str = "") -> str:
    """TD1 MRZ text (3 lines of 30, `\\n`-separated) with all check digits (ICAO 9303-5 §4.2)."""
    dob, doe = _dates(date_of_birth, date_of_expiry)
    number, opt1 = _number_and_optional(document_number, optional_data_1, 15)
    l1 = _field(document_code, 2, "document code") + _field(issuing_state, 3, "issuing state")
    l1 += number + opt1
    l2 = dob + check_digit(dob) + _sex(sex) + doe + check_digit(doe)
    l2 += _field(nationality, 3, "nationality") + _field(optional_data_2, 11, "optional data 2")
    l2 += check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    l3 = _name_field(primary_identifier, secondary_identifier, 30)
    return "\n".join((l1, l2, l3))


def _encode_two_line(width: int, document_code: str, issuing_state: str, document_number: str,
                     date_of_birth: str, sex: str, date_of_expiry: str, nationality: str,
                     primary_identifier: str, secondary_identifier: str, optional: str) -> str:
    dob, doe = _dates(date_of_birth, date_of_expiry)
    l1 = _field(document_code, 2, "document code") + _field(issuing_state, 3, "issuing state")
    l1 += _name_field(primary_identifier, secondary_identifier, width - 5)
    tail = dob + check_digit(dob) + _sex(sex) + doe + check_digit(doe)
    if width == 44:
        if len(document_number) > 9:
            raise InputError("a passport (TD3) document number has at most 9 characters")
        n9 = _field(document_number, 9, "document number")
        pn = _field(optional, 14, "personal number")
        pn_cd = "<" if set(pn) == {"<"} else check_digit(pn)
        l2 = n9 + check_digit(n9) + _field(nationality, 3, "nationality") + tail + pn + pn_cd
        l2 += check_digit(l2[0:10] + l2[13:20] + l2[21:43])
    else:
        number, opt = _number_and_optional(document_number, optional, 7)
        l2 = number + _field(nationality, 3, "nationality") + tail + opt
        l2 += check_digit(l2[0:10] + l2[13:20] + l2[21:35])
    return "\n".join((l1, l2))


def encode_td3(*, document_code: str = "P", issuing_state: str, document_number: str,
               date_of_birth: str, sex: str, date_of_expiry: str, nationality: str,
               primary_identifier: str, secondary_identifier: str = "",
               personal_number: str = "") -> str:
    """TD3 MRZ text (2 lines of 44) with all check digits (ICAO 9303-4 §4.2)."""
    return _encode_two_line(44, document_code, issuing_state, document_number, date_of_birth,
                            sex, date_of_expiry, nationality, primary_identifier,
                            secondary_identifier, personal_number)


def encode_td2(*, document_code: str = "I", issuing_state: str, document_number: str,
               date_of_birth: str, sex: str, date_of_expiry: str, nationality: str,
               primary_identifier: str, secondary_identifier: str = "",
               optional_data: str = "") -> str:
    """TD2 MRZ text (2 lines of 36) with all check digits (ICAO 9303-6 §4.2)."""
    return _encode_two_line(36, document_code, issuing_state, document_number, date_of_birth,
                            sex, date_of_expiry, nationality, primary_identifier,
                            secondary_identifier, optional_data)


# --- Vietnamese CCCD --------------------------------------------------------------------------


def _vn_id(id12: str) -> str:
    s = (id12 or "").strip().replace(" ", "")
    ascii_digits_only(s, "ID number")
    if not re.fullmatch(r"\d{12}", s, re.ASCII):
        raise InputError(
            f"ID number must be the 12 digits printed on the card (got {len(s)} characters)"
        )
    return s


def vn_can(id12: str) -> str:
    """Vietnamese CCCD Card Access Number: the last 6 digits of the 12-digit ID."""
    return _vn_id(id12)[-6:]


def vn_access_key(id12: str, dob: str, expiry: str) -> MrzKey:
    """BAC/PACE MRZ key of a Vietnamese CCCD from what the teller types.

    Document number = the last 9 digits of the 12-digit ID (README, CCCD facts). Dates in any
    form `cardkit.lds.dates` accepts.
    """

    number = _vn_id(id12)[-9:]
    return MrzKey(number, to_mrz_date(dob, DateKind.BIRTH), to_mrz_date(expiry, DateKind.EXPIRY))


def encode_vn_td1(*, id12: str, date_of_birth: str, sex: str, date_of_expiry: str,
                  primary_identifier: str, secondary_identifier: str = "") -> str:
    """TD1 MRZ of a Vietnamese CCCD (README, CCCD facts): `IDVNM` + last 9 digits + check digit,
    optional data = full 12-digit ID + `<<` + its check digit (layout seen on issued cards)."""
    number = _vn_id(id12)
    return encode_td1(
        document_code="ID", issuing_state="VNM", document_number=number[-9:],
        date_of_birth=date_of_birth, sex=sex, date_of_expiry=date_of_expiry,
        nationality="VNM", primary_identifier=primary_identifier,
        secondary_identifier=secondary_identifier,
        optional_data_1=number + "<<" + check_digit(number),
    )
