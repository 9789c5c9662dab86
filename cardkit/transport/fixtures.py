"""Recorded sessions ("fixtures"): the file format, loading and saving.

Format `cardkit-fixture`, version 1 (JSON, UTF-8), documented in fixtures/README.md:

    {
      "format": "cardkit-fixture",
      "version": 1,
      "meta": {"persona": "default", "reader": "Virtual PCD 00 00", "atr": "3B...",
               "access": "bac", "recorded_at": "2026-11-23T09:00:00Z", "cardkit": "0.1.0",
               "description": "...", "access_key": {...} | null},
      "transport": {"extended_length": true, "max_response": null, "max_command": null,
                    "protocol": "T=1"},
      "exchanges": [{"c": "00A4040C07A0000002471001", "r": "9000"}, ...],
      "random": [{"purpose": "bac.rnd_ifd", "value": "4608F91988702212"}, ...]
    }

`exchanges` are the command/response pairs at the transport interface (after 61xx/6Cxx handling);
`random` lists every draw the terminal made, in order, so a replay is byte-exact. `access_key` is
stored only for synthetic cards (the virtual card's personas); a recording of a real card never
stores the key — give it again when replaying.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import FixtureError
from ..private_files import write_private
from ..rand import Draw
from .base import TransportInfo

FORMAT = "cardkit-fixture"
VERSION = 1
MAX_FIXTURE_BYTES = 32 * 1024 * 1024
MAX_EXCHANGES = 100_000


@dataclass(frozen=True)
class Exchange:
    command: bytes
    response: bytes


@dataclass
class Fixture:
    exchanges: list[Exchange]
    random: list[Draw]
    info: TransportInfo
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "meta": self.meta,
            "transport": {
                "name": self.info.name,
                "protocol": self.info.protocol,
                "extended_length": self.info.extended_length,
                "max_response": self.info.max_response,
                "max_command": self.info.max_command,
            },
            "exchanges": [
                {"c": e.command.hex().upper(), "r": e.response.hex().upper()} for e in self.exchanges
            ],
            "random": [{"purpose": d.purpose, "value": d.value.hex().upper()} for d in self.random],
        }

    def save(self, path: str | Path) -> None:
        """Write the fixture (it may come from a real person's card: 0600 file, 0700 folder)."""
        write_private(path, json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n")


def _hex(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise FixtureError(f"fixture: {where} is not a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise FixtureError(f"fixture: {where} is not valid hex") from None


@lru_cache(maxsize=1)
def _validator() -> Any:
    """The fixture schema (cardkit/data/fixture.schema.json), checked with `jsonschema`."""
    from jsonschema import Draft202012Validator

    text = resources.files("cardkit").joinpath("data/fixture.schema.json").read_text("utf-8")
    return Draft202012Validator(json.loads(text))


def check_schema(doc: Any, where: str) -> None:
    """FixtureError naming the first place where `doc` departs from the fixture schema."""
    error = next(iter(sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))), None)
    if error is None:
        return
    at = ".".join(str(p) for p in error.absolute_path) or "top level"
    value = repr(error.instance)
    value = value if len(value) <= 40 else value[:37] + "..."
    kind = error.validator
    why = {"type": f"{value} is not of type {error.validator_value}",
           "pattern": f"{value} has the wrong form",
           "required": error.message, "additionalProperties": error.message,
           "const": f"{value} is not {error.validator_value!r}"}.get(kind, error.message)
    raise FixtureError(f"fixture {where}: {at}: {' '.join(why.split())[:160]}")


def load_fixture(path: str | Path) -> Fixture:
    """Load and validate a fixture file; FixtureError with a one-line reason otherwise."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise FixtureError(f"fixture {p}: cannot open ({exc.strerror})") from None
    if size > MAX_FIXTURE_BYTES:
        raise FixtureError(f"fixture {p}: {size} bytes is too large")
    try:
        doc = json.loads(p.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FixtureError(f"fixture {p}: not valid JSON ({exc})") from None
    except RecursionError:
        raise FixtureError(f"fixture {p}: JSON nested too deeply") from None
    except OSError as exc:
        raise FixtureError(f"fixture {p}: cannot read ({exc.strerror})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise FixtureError(f"fixture {p}: not a {FORMAT} file")
    if doc.get("version") != VERSION:
        raise FixtureError(
            f"fixture {p}: version {doc.get('version')!r} not supported (this cardkit reads {VERSION})"
        )
    raw_ex = doc.get("exchanges")
    if not isinstance(raw_ex, list) or not raw_ex or len(raw_ex) > MAX_EXCHANGES:
        raise FixtureError(f"fixture {p}: no exchanges recorded")
    exchanges = []
    for i, e in enumerate(raw_ex, 1):
        if not isinstance(e, dict):
            raise FixtureError(f"fixture {p}: exchange {i} is not an object")
        resp = _hex(e.get("r"), f"exchange {i} response")
        if len(resp) < 2:
            raise FixtureError(f"fixture {p}: exchange {i} response has no status word")
        exchanges.append(Exchange(_hex(e.get("c"), f"exchange {i} command"), resp))
    draws = []
    for i, d in enumerate(doc.get("random") or [], 1):
        if not isinstance(d, dict) or not isinstance(d.get("purpose"), str):
            raise FixtureError(f"fixture {p}: random draw {i} is malformed")
        draws.append(Draw(d["purpose"], _hex(d.get("value"), f"random draw {i}")))
    check_schema(doc, str(p))  # after the checks above, whose messages say more
    t = doc.get("transport") or {}
    meta = doc.get("meta") or {}
    if not isinstance(t, dict) or not isinstance(meta, dict):
        raise FixtureError(f"fixture {p}: transport/meta must be objects")
    info = TransportInfo(
        name=f"fixture {p.name}",
        atr=_hex(meta.get("atr", ""), "meta.atr"),
        protocol=str(t.get("protocol", "T=1")),
        extended_length=t.get("extended_length"),
        max_response=t.get("max_response"),
        max_command=t.get("max_command"),
    )
    return Fixture(exchanges, draws, info, meta)
