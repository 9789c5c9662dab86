"""Machine Readable Zone (ICAO 9303-3 §4.9 check digits, 9303-5 TD1, 9303-4 TD3)."""

from __future__ import annotations

_WEIGHTS = (7, 3, 1)


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
