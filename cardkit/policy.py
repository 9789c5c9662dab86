"""Verification policies as data: which checks are required, advisory or off (TOML or JSON).

Presets ship in `cardkit/data/policies/` (`bank`, `clinic`, `inspect-only`, `card`);
`load_policy("bank")` or `load_policy("my-desk.toml")`. A policy file looks like

    name = "my-desk"
    accept_unverifiable = false      # a required check that could not run → INCOMPLETE
    face_operating_point = "strict"  # strict | balanced | dlib-default
    trust_max_age_days = 365         # warn when the CSCA master list is older
    [checks]
    passive_auth = "required"        # required | advisory | off
    chip_authentic = "required"
    document_valid = "required"
    face_match = "required"
    finger_match = "off"

Unknown keys are refused so typos show up. How levels decide the verdict: cardkit.verdict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tomllib

from .checks import POLICY_CHECKS, CheckName
from .errors import InputError

PRESET_DIR = Path(__file__).resolve().parent / "data" / "policies"
MAX_POLICY_BYTES = 64 * 1024
OPERATING_POINTS = ("strict", "balanced", "dlib-default")


class Level(str, Enum):
    REQUIRED = "required"  # must pass for VERIFIED
    ADVISORY = "advisory"  # run and reported; a failure is a note (forgery evidence still rejects)
    OFF = "off"  # not run

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Policy:
    name: str
    checks: Mapping[CheckName, Level]
    description: str = ""
    accept_unverifiable: bool = False
    #: outcomes "not_supported" accepted for these checks (the chip has no CA/AA at all)
    accept_not_supported: frozenset[CheckName] = frozenset({CheckName.CHIP_AUTHENTIC})
    face_operating_point: str = "strict"
    trust_max_age_days: int = 365
    source: str = field(default="", compare=False)

    def level(self, check: CheckName | str) -> Level:
        return self.checks.get(CheckName(check), Level.OFF)

    def wants(self, check: CheckName | str) -> bool:
        return self.level(check) is not Level.OFF

    def with_changes(self, **changes: Any) -> Policy:
        """A copy with fields changed; `checks={...}` entries are merged into the levels."""
        if "checks" in changes:
            merged = dict(self.checks)
            merged.update({CheckName(k): Level(v) for k, v in changes.pop("checks").items()})
            changes["checks"] = MappingProxyType(merged)
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "accept_unverifiable": self.accept_unverifiable,
            "face_operating_point": self.face_operating_point,
            "trust_max_age_days": self.trust_max_age_days,
            "checks": {c.value: self.level(c).value for c in POLICY_CHECKS},
        }


_TOP_KEYS = {"name", "description", "accept_unverifiable", "accept_not_supported",
             "face_operating_point", "trust_max_age_days", "checks"}


def policy_from_dict(data: Mapping[str, Any], source: str = "") -> Policy:
    """Validate a parsed policy document; InputError naming the problem otherwise."""
    where = source or "policy"
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: a policy must be a table/object")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(_TOP_KEYS))})")
    checks_in = data.get("checks", {})
    if not isinstance(checks_in, Mapping):
        raise InputError(f"{where}: [checks] must be a table of check = level")
    levels: dict[CheckName, Level] = {c: Level.OFF for c in POLICY_CHECKS}
    for key, value in checks_in.items():
        try:
            name = CheckName(key)
        except ValueError:
            name = None
        if name not in POLICY_CHECKS:
            raise InputError(f"{where}: unknown check {key!r} (known: "
                             f"{', '.join(c.value for c in POLICY_CHECKS)})")
        try:
            levels[name] = Level(value)
        except ValueError:
            raise InputError(f"{where}: {key} = {value!r}: use required, advisory or off") \
                from None
    name = data.get("name") or (Path(source).stem if source else "custom")
    accept = data.get("accept_unverifiable", False)
    if not isinstance(accept, bool):
        raise InputError(f"{where}: accept_unverifiable must be true or false")
    op = data.get("face_operating_point", "strict")
    if op not in OPERATING_POINTS:
        raise InputError(f"{where}: face_operating_point must be one of "
                         f"{', '.join(OPERATING_POINTS)}")
    age = data.get("trust_max_age_days", 365)
    if not isinstance(age, int) or isinstance(age, bool) or not 1 <= age <= 36500:
        raise InputError(f"{where}: trust_max_age_days must be a whole number of days")
    not_supported = data.get("accept_not_supported", [CheckName.CHIP_AUTHENTIC.value])
    try:
        ns = frozenset(CheckName(x) for x in not_supported)
    except (TypeError, ValueError):
        raise InputError(f"{where}: accept_not_supported must list check names") from None
    return Policy(name=str(name), checks=MappingProxyType(levels),
                  description=str(data.get("description", "")), accept_unverifiable=accept,
                  accept_not_supported=ns, face_operating_point=op, trust_max_age_days=age,
                  source=source)


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def load_policy(spec: str | Path | Policy) -> Policy:
    """A preset name (`bank`, `clinic`, `inspect-only`, `card`) or a .toml/.json file."""
    if isinstance(spec, Policy):
        return spec
    text = str(spec)
    path = Path(text)
    if not path.suffix and (PRESET_DIR / f"{text}.toml").is_file() and "/" not in text:
        path = PRESET_DIR / f"{text}.toml"
    elif not path.is_file():
        raise InputError(f"no policy {text!r}: give a preset ({', '.join(preset_names())}) or "
                         "a .toml/.json file")
    try:
        if path.stat().st_size > MAX_POLICY_BYTES:
            raise InputError(f"{path}: too large for a policy file")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read policy {path}: {exc.strerror}") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(raw.decode("utf-8"))
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"policy {path}: not valid {path.suffix.lstrip('.') or 'TOML'} "
                         f"({exc})") from None
    src = path.stem if path.parent == PRESET_DIR else str(path)
    return policy_from_dict(data, src)
