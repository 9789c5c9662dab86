"""Reader profiles: what is known about a PC/SC reader model (README, Readers, "Reader profiles").

A profile matches a reader by its PC/SC name (regular expression, case-insensitive) and optionally
the card's ATR (regular expression on upper-case hex). It carries the quirks the chunking logic
needs (`extended_length`, `max_response`, `max_command`), a delay between APDUs, escape commands
and the USB ids the udev rules grant access to.

Built-in profiles live in `cardkit/data/reader_profiles.json`. A user file in the same format —
`$CARDKIT_READER_PROFILES` or `~/.config/cardkit/readers.json` — is consulted first, so a user
entry overrides a built-in one. The first matching profile wins; `generic-ccid` matches anything.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import InputError
from .base import TransportInfo

BUILTIN_FILE = Path(__file__).resolve().parent.parent / "data" / "reader_profiles.json"
USER_FILE_ENV = "CARDKIT_READER_PROFILES"
USER_FILE_DEFAULT = Path("~/.config/cardkit/readers.json")
MAX_PROFILES = 1000
MAX_APDU = 65536 + 5  # extended APDU upper bound (ISO/IEC 7816-4 §5.1)
_USB_ID = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{4}$")
_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")
_KEYS = {"key", "title", "reader", "atr", "usb_ids", "extended_length", "max_command",
         "max_response", "delay_ms", "pn533", "escape", "escape_ioctl", "notes"}


@dataclass(frozen=True)
class ReaderProfile:
    """Known quirks of one reader model (PC/SC part 3 readers, CCID rev 1.1)."""

    key: str
    title: str
    reader: str  # regex on the PC/SC reader name
    atr: str | None = None  # regex on the ATR as upper-case hex
    usb_ids: tuple[str, ...] = ()  # "vvvv:pppp", lower-case hex
    extended_length: bool | None = None  # True works, False does not, None unknown (try)
    max_command: int | None = None
    max_response: int | None = None
    delay_ms: int = 0  # pause before each APDU (slow firmware)
    pn533: bool = False  # kernel pn533/nfc modules conflict with pcscd for this reader
    escape: tuple[tuple[str, str], ...] = ()  # (name, hex command)
    escape_ioctl: int | None = None  # SCARD_CTL_CODE(n) for escapes sent with SCardControl
    notes: str = ""
    source: str = "built-in"
    _reader_re: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _atr_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_reader_re", re.compile(self.reader, re.IGNORECASE))
        object.__setattr__(self, "_atr_re",
                           re.compile(self.atr, re.IGNORECASE) if self.atr else None)

    def matches(self, reader_name: str, atr: bytes = b"") -> bool:
        if not self._reader_re.search(reader_name):
            return False
        return self._atr_re is None or bool(self._atr_re.search(atr.hex().upper()))

    def transport_info(self, name: str, atr: bytes = b"", protocol: str = "T=1") -> TransportInfo:
        return TransportInfo(name=name, atr=atr, protocol=protocol,
                             extended_length=self.extended_length,
                             max_response=self.max_response, max_command=self.max_command)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "title": self.title, "reader": self.reader}
        if self.atr:
            out["atr"] = self.atr
        if self.usb_ids:
            out["usb_ids"] = list(self.usb_ids)
        out["extended_length"] = self.extended_length
        for name in ("max_command", "max_response", "escape_ioctl"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.delay_ms:
            out["delay_ms"] = self.delay_ms
        if self.pn533:
            out["pn533"] = True
        if self.escape:
            out["escape"] = dict(self.escape)
        if self.notes:
            out["notes"] = self.notes
        out["source"] = self.source
        return out


def _bad(where: str, what: str) -> InputError:
    return InputError(f"reader profile {where}: {what} — fix the profile file")


def _opt_int(d: Mapping[str, Any], name: str, where: str, lo: int, hi: int) -> int | None:
    v = d.get(name)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise _bad(where, f"{name} must be an integer {lo}..{hi}")
    return v


def profile_from_dict(d: Any, source: str = "built-in") -> ReaderProfile:
    """Validate one JSON profile entry (unknown keys are refused, so typos are caught)."""
    if not isinstance(d, dict):
        raise _bad(source, "each profile must be an object")
    where = f"{source}:{d.get('key', '?')}"
    unknown = set(d) - _KEYS
    if unknown:
        raise _bad(where, f"unknown field(s) {', '.join(sorted(unknown))}")
    for name in ("key", "reader"):
        if not isinstance(d.get(name), str) or not d[name]:
            raise _bad(where, f"'{name}' (text) is required")
    for name in ("reader", "atr"):
        if d.get(name) is not None:
            try:
                re.compile(d[name])
            except (re.error, TypeError) as exc:
                raise _bad(where, f"'{name}' is not a valid regular expression") from exc
    usb = d.get("usb_ids", [])
    if not isinstance(usb, list) or not all(isinstance(u, str) and _USB_ID.match(u.lower())
                                            for u in usb):
        raise _bad(where, "usb_ids must be a list of 'vvvv:pppp' hex ids")
    ext = d.get("extended_length")
    if ext is not None and not isinstance(ext, bool):
        raise _bad(where, "extended_length must be true, false or null")
    escape = d.get("escape", {})
    if not isinstance(escape, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and _HEX.match(v) for k, v in escape.items()):
        raise _bad(where, "escape must map names to hex commands")
    for name in ("pn533",):
        if not isinstance(d.get(name, False), bool):
            raise _bad(where, f"{name} must be true or false")
    return ReaderProfile(
        key=d["key"],
        title=str(d.get("title", d["key"])),
        reader=d["reader"],
        atr=d.get("atr"),
        usb_ids=tuple(u.lower() for u in usb),
        extended_length=ext,
        max_command=_opt_int(d, "max_command", where, 5, MAX_APDU),
        max_response=_opt_int(d, "max_response", where, 1, 65536),
        delay_ms=_opt_int(d, "delay_ms", where, 0, 10_000) or 0,
        pn533=bool(d.get("pn533", False)),
        escape=tuple((k, v.upper()) for k, v in escape.items()),
        escape_ioctl=_opt_int(d, "escape_ioctl", where, 0, 0xFFFF),
        notes=str(d.get("notes", "")),
        source=source,
    )


def parse_profiles(text: str, source: str) -> list[ReaderProfile]:
    """Parse a profile file: `{"profiles": [...]}` or a bare list."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(source, f"not valid JSON (line {exc.lineno})") from exc
    entries = doc.get("profiles") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise _bad(source, "expected a list of profiles or {\"profiles\": [...]}")
    if len(entries) > MAX_PROFILES:
        raise _bad(source, f"more than {MAX_PROFILES} profiles")
    return [profile_from_dict(e, source) for e in entries]


@lru_cache(maxsize=1)
def builtin_profiles() -> tuple[ReaderProfile, ...]:
    return tuple(parse_profiles(BUILTIN_FILE.read_text(encoding="utf-8"), "built-in"))


def user_profile_file() -> Path | None:
    env = os.environ.get(USER_FILE_ENV)
    if env:
        return Path(env).expanduser()
    default = USER_FILE_DEFAULT.expanduser()
    return default if default.exists() else None


def load_profiles(user_file: Path | str | None = None) -> list[ReaderProfile]:
    """User profiles (explicit file, else $CARDKIT_READER_PROFILES / ~/.config) then built-ins."""
    path = Path(user_file) if user_file is not None else user_profile_file()
    user: list[ReaderProfile] = []
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read reader profile file {path}: {exc.strerror}") from exc
        user = parse_profiles(text, str(path))
    return user + list(builtin_profiles())


GENERIC = ReaderProfile(key="generic", title="Unknown reader", reader=".*")


def match_profile(reader_name: str, atr: bytes = b"",
                  profiles: Iterable[ReaderProfile] | None = None) -> ReaderProfile:
    """The first profile matching the reader name (and ATR); `GENERIC` when none does."""
    for p in load_profiles() if profiles is None else profiles:
        if p.matches(reader_name, atr):
            return p
    return GENERIC


def all_usb_ids(profiles: Iterable[ReaderProfile] | None = None) -> list[tuple[str, str]]:
    """(usb id, title) for every profile with USB ids — the ids udev/ rules must cover."""
    out = []
    for p in builtin_profiles() if profiles is None else profiles:
        out += [(u, p.title) for u in p.usb_ids]
    return out
