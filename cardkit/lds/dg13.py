"""DG13 of the Vietnamese CCCD (tag 6D): the holder's civil data in Vietnamese.

Not defined by ICAO 9303 (DG13 is "optional details", issuer-defined). Layout as public readers
describe it (README, "Facts about the Vietnamese CCCD chip"): a sequence of
`SEQUENCE { INTEGER fieldNo, value }`, strings in UTF-8 (sometimes PrintableString), field 13
holding father and mother and field 14 the spouse, nested one level deeper.

Some cards wrap the fields in one container `SEQUENCE { INTEGER version, field, field ... }`:
recognised, its fields collected. Parsing is lenient: only a broken outer TLV raises `ParseError`;
an odd field becomes a warning, its bytes stay in `raw`, anything skipped is warned about, and the
rest of the read survives.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import ParseError
from . import tlv

__all__ = ["FIELD_NAMES", "Dg13", "encode_dg13", "parse_dg13"]

DG13_TAG = 0x6D
MAX_DEPTH = 6
MAX_FIELDS = 64
MAX_STRINGS = 8  # strings collected from one nested field

# field number → Dg13 attribute (13 and 14 are nested and handled apart)
FIELD_NAMES: dict[int, str] = {
    1: "id_number", 2: "full_name", 3: "date_of_birth", 4: "sex", 5: "nationality",
    6: "ethnicity", 7: "religion", 8: "place_of_origin", 9: "place_of_residence",
    10: "identifying_features", 11: "date_of_issue", 12: "date_of_expiry",
    15: "old_id_number", 16: "card_string",
}
PARENTS = 13
SPOUSE = 14

_UTF8, _PRINTABLE, _T61, _IA5, _BMP, _OCTET = 0x0C, 0x13, 0x14, 0x16, 0x1E, 0x04
_STRING_TAGS = {_UTF8, _PRINTABLE, _T61, _IA5, _BMP, _OCTET, 0x1A, 0x1C}


@dataclass(frozen=True)
class Dg13:
    """Vietnamese civil data. Dates as stored on the card (usually `DD/MM/YYYY`).

    `raw` maps every field number seen to its encoded value bytes (unknown fields included);
    `warnings` lists what was odd, one line each.
    """

    id_number: str | None = None
    full_name: str | None = None
    date_of_birth: str | None = None
    sex: str | None = None
    nationality: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    place_of_origin: str | None = None
    place_of_residence: str | None = None
    identifying_features: str | None = None
    date_of_issue: str | None = None
    date_of_expiry: str | None = None
    father_name: str | None = None
    mother_name: str | None = None
    spouse_name: str | None = None
    old_id_number: str | None = None
    card_string: str | None = None
    raw: dict[int, bytes] = field(default_factory=dict, compare=False, hash=False)
    warnings: list[str] = field(default_factory=list, compare=False, hash=False)

    def to_fields(self) -> dict[int, str | tuple[str | None, ...]]:
        """Field number → value, as `encode_dg13` takes it (None fields left out)."""
        out: dict[int, str | tuple[str | None, ...]] = {}
        for n, name in FIELD_NAMES.items():
            value = getattr(self, name)
            if value is not None:
                out[n] = value
        if self.father_name is not None or self.mother_name is not None:
            out[PARENTS] = (self.father_name, self.mother_name)
        if self.spouse_name is not None:
            out[SPOUSE] = (self.spouse_name,)
        return dict(sorted(out.items()))

    def __repr__(self) -> str:  # personal data: never in logs
        return f"Dg13({len(self.raw)} fields, {len(self.warnings)} warnings)"


def _decode_string(t: tlv.TLV) -> str:
    """Raise UnicodeDecodeError / ValueError on bytes that are not text of their type."""
    v = t.value
    if t.tag in (_UTF8, _OCTET):
        return v.decode("utf-8")
    if t.tag == _BMP:
        if len(v) % 2:
            raise ValueError("odd-length BMPString")
        return v.decode("utf-16-be")
    if t.tag == 0x1C:  # UniversalString
        if len(v) % 4:
            raise ValueError("bad UniversalString")
        return v.decode("utf-32-be")
    try:  # PrintableString, IA5, VisibleString: ASCII; some issuers put UTF-8 there anyway
        return v.decode("utf-8")
    except UnicodeDecodeError:
        return v.decode("latin-1")


def _children(value: bytes) -> tuple[list[tlv.TLV], bool]:
    """Parse as many TLVs as possible; return (list, complete)."""
    out: list[tlv.TLV] = []
    try:
        for t in tlv.iter_tlv(value):
            out.append(t)
            if len(out) > 4 * MAX_FIELDS:
                return out, False
    except ParseError:
        return out, False
    return out, True


def _is_constructed(t: tlv.TLV) -> bool:
    return t.tag in (0x30, 0x31) or (t.tag <= 0xFF and bool(t.tag & 0x20))


def _strings(items: Sequence[tlv.TLV], depth: int) -> Iterator[tlv.TLV]:
    """String leaves under `items`, document order, INTEGERs and others skipped."""
    for t in items:
        if t.tag in _STRING_TAGS:
            yield t
        elif _is_constructed(t) and depth < MAX_DEPTH:
            kids, _ = _children(t.value)
            yield from _strings(kids, depth + 1)


def _people(rest: Sequence[tlv.TLV]) -> list[tlv.TLV]:
    """Fields 13/14: one entry per person, whether each sits in its own SEQUENCE or all share
    one; INTEGER labels are skipped. At most `MAX_STRINGS` people."""
    items = [t for t in rest if t.tag != 0x02]
    if len(items) == 1 and _is_constructed(items[0]):
        kids, _ = _children(items[0].value)
        items = [t for t in kids if t.tag != 0x02]
    return items[:MAX_STRINGS]


def _field_number(t: tlv.TLV) -> tuple[int, list[tlv.TLV]] | None:
    """`SEQUENCE { INTEGER n, value... }` → (n, value TLVs); None if `t` is not such a field."""
    if t.tag != 0x30:
        return None
    kids, complete = _children(t.value)
    if not complete or len(kids) < 2 or kids[0].tag != 0x02 or not 1 <= len(kids[0].value) <= 2:
        return None
    rest = kids[1:]
    if any(k.tag == 0x06 for k in rest):
        return None  # { INTEGER version, OID, ... }: a container header, not a field
    if not any(k.tag in _STRING_TAGS or _is_constructed(k) for k in rest):
        return None  # e.g. { INTEGER version, OID } — a container header, not a field
    number = int.from_bytes(kids[0].value, "big")
    if _is_container(number, rest):
        return None  # { INTEGER version, field, field, ... }: its fields are collected
    return number, rest


def _is_container(number: int, rest: Sequence[tlv.TLV]) -> bool:
    """`SEQUENCE { INTEGER version, SEQUENCE { INTEGER n, ... }, ... }` wrapping the fields.

    Every element after the INTEGER is itself a field. Fields 13/14 (people) may label each
    person with an INTEGER too, so for them it takes three or more such elements."""
    def looks_like_field(t: tlv.TLV) -> bool:
        if t.tag != 0x30:
            return False
        kids, complete = _children(t.value)
        return (complete and len(kids) >= 2 and kids[0].tag == 0x02
                and 1 <= len(kids[0].value) <= 2)

    if not rest or not all(looks_like_field(t) for t in rest):
        return False
    return number not in (PARENTS, SPOUSE) or len(rest) >= 3


def _collect(items: Sequence[tlv.TLV], depth: int, found: list[tuple[int, list[tlv.TLV]]],
             warnings: list[str]) -> None:
    for index, t in enumerate(items):
        if len(found) >= MAX_FIELDS:
            warnings.append(f"DG13 holds more than {MAX_FIELDS} fields; the rest was skipped")
            return
        parsed = _field_number(t)
        if parsed is not None:
            found.append(parsed)
        elif not _is_constructed(t):
            header = depth > 0 and ((index == 0 and t.tag == 0x02)  # a container's version
                                    or (index <= 1 and t.tag == 0x06))  # ... and its OID
            if not header:
                warnings.append(f"DG13: an element (tag {t.tag:X}) outside any field was "
                                f"skipped")
        else:
            if depth >= MAX_DEPTH:
                warnings.append("DG13 nested too deeply; part of it was skipped")
                continue
            kids, complete = _children(t.value)
            if not complete:
                warnings.append("DG13 has a damaged block; fields after it may be missing")
            _collect(kids, depth + 1, found, warnings)


def parse_dg13(data: bytes) -> Dg13:
    """DG13 bytes → `Dg13`. Raises ParseError only when the outer 6D TLV itself is broken."""
    outer = tlv.parse(bytes(data), DG13_TAG)
    warnings: list[str] = []
    items, complete = _children(outer.value)
    if not complete:
        warnings.append("DG13 content is damaged; some fields may be missing")
    found: list[tuple[int, list[tlv.TLV]]] = []
    _collect(items, 0, found, warnings)

    values: dict[str, str | None] = {}
    raw: dict[int, bytes] = {}
    for number, rest in found:
        if number in raw:
            warnings.append(f"DG13 field {number} appears twice; the first one is kept")
            continue
        raw[number] = b"".join(tlv.encode(t.tag, t.value) for t in rest)
        if number not in FIELD_NAMES and number not in (PARENTS, SPOUSE):
            continue  # unknown field: kept raw only
        texts: list[str | None] = []
        if number in (PARENTS, SPOUSE):
            strings: list[tlv.TLV | None] = [next(_strings([p], 0), None) for p in _people(rest)]
        else:
            strings = list(itertools.islice(_strings(rest, 0), 1))
        for s in strings:
            try:
                texts.append((_decode_string(s) or None) if s is not None else None)
            except ValueError:  # UnicodeDecodeError is a ValueError
                texts.append(None)
                warnings.append(f"DG13 field {number} is not readable text; kept raw")
        if not texts:
            warnings.append(f"DG13 field {number} holds no text; kept raw")
            continue
        if number == PARENTS:
            values["father_name"] = texts[0]
            values["mother_name"] = texts[1] if len(texts) > 1 else None
        elif number == SPOUSE:
            values["spouse_name"] = texts[0]
        else:
            values[FIELD_NAMES[number]] = texts[0]
    if not found:
        warnings.append("DG13 holds no recognisable fields")
    return Dg13(**values, raw=raw, warnings=warnings)


def _string_tlv(text: str, printable: bool) -> bytes:
    if printable and text.isascii():
        return tlv.encode(_PRINTABLE, text.encode("ascii"))
    return tlv.encode(_UTF8, text.encode("utf-8"))


def encode_dg13(fields: Mapping[int, str | bytes | Sequence[str | None] | None] | Dg13, *,
                printable: Sequence[int] = ()) -> bytes:
    """Encode DG13 for the virtual card.

    `fields`: field number → text; 13 → (father, mother); 14 → (spouse,) or text; bytes → the
    value's encoded TLVs as-is (unknown fields); None → left out. Fields listed in `printable`
    are written as PrintableString when ASCII. A `Dg13` is accepted too (its `to_fields()`).
    """
    if isinstance(fields, Dg13):
        mapping: dict[int, object] = dict(fields.to_fields())
        for n, raw in fields.raw.items():
            mapping.setdefault(n, raw)
    else:
        mapping = dict(fields)
    entries = []
    for number in sorted(mapping):
        value = mapping[number]
        if value is None:
            continue
        if not 0 <= number <= 0x7FFF:
            raise ValueError(f"DG13 field number {number} out of range")
        num = tlv.encode(0x02, number.to_bytes(1 if number < 0x80 else 2, "big"))
        pr = number in printable
        if isinstance(value, (bytes, bytearray)):
            body = bytes(value)
        elif isinstance(value, str):
            body = _string_tlv(value, pr)
        else:  # nested: one inner SEQUENCE per person
            body = b"".join(
                tlv.encode(0x30, _string_tlv(v or "", pr)) for v in value  # type: ignore[union-attr]
            )
        entries.append(tlv.encode(0x30, num + body))
    return tlv.encode(DG13_TAG, tlv.encode(0x30, b"".join(entries)))
