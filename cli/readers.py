"""`cardkit readers`: list PC/SC readers (profile, card, ATR); `--watch` shows card events live."""

from __future__ import annotations

import json
import time

import click

from cardkit.transport.pcsc import (
    SCARD_STATE_MUTE,
    SCARD_STATE_PRESENT,
    card_events,
    list_readers,
    pick_reader,
    reader_state,
)
from cardkit.transport.profiles import match_profile

from .common import _, echo_json, handle_errors, lang_option


def _row(index: int, name: str) -> dict[str, object]:
    state, atr = reader_state(name)
    card = "mute" if state & SCARD_STATE_MUTE else \
        "present" if state & SCARD_STATE_PRESENT else "absent"
    p = match_profile(name, atr)
    return {"index": index, "name": name, "card": card, "atr": atr.hex().upper(),
            "profile": p.key, "extended_length": p.extended_length,
            "max_response": p.max_response}


@click.command("readers")
@click.option("--watch", is_flag=True, help="Show card insert/remove events until Ctrl-C.")
@click.option("--reader", "reader", default=None,
              help="With --watch: only this reader (number, name or unique part of it).")
@click.option("--json", "as_json", is_flag=True, help="JSON (one object per event with --watch).")
@lang_option
@click.option("--timeout", type=float, default=None,
              help="With --watch: stop after this many seconds.")
@handle_errors
def readers(watch: bool, reader: str | None, as_json: bool, timeout: float | None) -> None:
    """List card readers, or watch cards come and go (--watch)."""
    if not watch:
        rows = [_row(i, n) for i, n in enumerate(list_readers())]
        if as_json:
            echo_json(rows)
            return
        if not rows:
            click.echo(_("No card reader found — plug one in; `cardkit doctor` says what is "
                         "wrong."))
            return
        for r in rows:
            atr = f"  ATR {r['atr']}" if r["atr"] else ""
            click.echo(f"{r['index']}: {r['name']}  [card {r['card']}; profile {r['profile']}]"
                       f"{atr}")
        return
    if reader is not None:
        reader = pick_reader(list_readers(), reader)  # number, name or unique part of it
    deadline = None if timeout is None else time.monotonic() + timeout

    class _Stop:
        def is_set(self) -> bool:
            return deadline is not None and time.monotonic() >= deadline

    if not as_json:
        click.echo(_("Watching readers — Ctrl-C to stop."))
    try:
        for event, name, atr in card_events(reader, poll_ms=200, stop=_Stop()):
            stamp = time.strftime("%H:%M:%S")
            if as_json:
                click.echo(json.dumps({"time": stamp, "event": event, "reader": name,
                                       "atr": atr.hex().upper()}))
            else:
                atr_text = f"  ATR {atr.hex().upper()}" if atr else ""
                click.echo(f"{stamp}  {event:<14} {name}{atr_text}")
    except KeyboardInterrupt:  # Ctrl-C is how a watch normally ends
        if not as_json:
            click.echo(_("stopped."))
