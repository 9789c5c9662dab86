"""`cardkit fixtures record|show`: recorded sessions for replay without a reader."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import click

from cardkit import __version__
from cardkit.rand import SystemRandom
from cardkit.transport.fixtures import Fixture, load_fixture
from cardkit.transport.record import RecordingTransport

from .common import echo_json, handle_errors
from .read import run_verification, verify_options
from .source import key_to_meta, open_source, source_options


@click.group("fixtures")
def fixtures_group() -> None:
    """Record and inspect APDU fixtures (replay them with `cardkit read --fixture FILE`)."""


@fixtures_group.command("record")
@source_options
@verify_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Fixture file to write (JSON).")
@click.option("--description", default="", help="Free text stored in the fixture's metadata.")
@click.option("--persona", default=None,
              help="The virtual-card persona behind the reader (for recordings through vpcd): marks "
                   "the fixture synthetic, so it stores the key. It never selects trust: replay "
                   "with --trust sim-test.")
@click.option("--store-key", is_flag=True,
              help="Store the access key in the fixture (always done for the virtual card; "
                   "never do it for a real person's card).")
@handle_errors
def record_cmd(output: Path, description: str, persona: str | None, store_key: bool,
               verbose: bool, **opts: Any) -> None:
    """Read a card (any source) and record every APDU and random draw to a fixture."""
    src, key = open_source(opts)
    if persona:
        src.meta["persona"] = persona
    assert src.transport is not None
    recorder = RecordingTransport(src.transport)
    src.transport = recorder
    if src.rng is None:
        src.rng = SystemRandom()
    result = run_verification(opts, default_policy="card", src=src, key=key, progress=False)
    card = result.card
    assert card is not None
    synthetic = src.kind == "sim" or bool(src.meta.get("persona"))
    used_key = key or src.key
    meta = {
        "description": description,
        "persona": src.meta.get("persona"),
        "seed": src.meta.get("seed"),
        "reader": card.transport.name,
        "atr": card.transport.atr.hex().upper(),
        "access": card.access,
        "recorded_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "cardkit": __version__,
        "files": sorted(card.files),
        "access_key": key_to_meta(used_key) if used_key and (synthetic or store_key) else None,
    }
    Fixture(recorder.exchanges, list(card.random_draws), card.transport, meta).save(output)
    click.echo(f"recorded {len(recorder.exchanges)} APDUs, {len(card.random_draws)} random "
               f"draws, {len(card.files)} files → {output}")


@fixtures_group.command("show")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "json_out", is_flag=True)
@handle_errors
def show_cmd(path: str, json_out: bool) -> None:
    """Show a fixture's metadata and size."""
    fx = load_fixture(path)
    info = {k: v for k, v in fx.meta.items() if k != "access_key"}
    info.update({"apdus": len(fx.exchanges), "random_draws": len(fx.random),
                 "has_access_key": bool(fx.meta.get("access_key"))})
    if json_out:
        echo_json(info)
    else:
        for k, v in info.items():
            click.echo(f"{k:<16}{v}")
