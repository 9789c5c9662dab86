"""`cardkit sim`: the virtual CCCD card — list personas, serve one to pcscd via vpcd, export PKI."""

from __future__ import annotations

import click

from cardkit.errors import InputError
from cardkit.sim import pki
from cardkit.sim.card import Quirks, VirtualCard
from cardkit.sim.personas import get_persona, list_personas
from cardkit.sim.vpcd import DEFAULT_HOST, DEFAULT_PORT, StopReason, connect, serve_socket

from .common import echo_json, handle_errors


@click.group("sim")
def sim() -> None:
    """The virtual card: synthetic Vietnamese CCCDs signed by a test PKI (no real data)."""


@sim.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def list_cmd(as_json: bool) -> None:
    """List the personas the virtual card can play."""
    items = list_personas()
    if as_json:
        echo_json([{"name": n, "description": d} for n, d in items])
        return
    width = max(len(n) for n, _ in items)
    for name, desc in items:
        click.echo(f"{name.ljust(width)}  {desc}")


@sim.command("serve")
@click.argument("persona", default="default")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Where vpcd listens.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int,
              help="vpcd port (35963 = 'Virtual PCD 00 00', 35964 = '00 01').")
@click.option("--seed", type=int, default=None, help="Another synthetic holder (deterministic).")
@click.option("--max-le", type=click.IntRange(1, 65536), default=None,
              help="Quirk: largest READ BINARY Le the card accepts.")
@click.option("--no-extended-length", is_flag=True, help="Quirk: refuse extended-length APDUs.")
@click.option("--delay-ms", type=click.IntRange(0, 10000), default=None,
              help="Quirk: delay per APDU.")
@click.option("--remove-after", type=click.IntRange(1), default=None,
              help="Quirk: the card leaves the field after N APDUs.")
@click.option("--corrupt-mac-after", type=click.IntRange(0), default=None,
              help="Quirk: flip a bit in every response MAC after N APDUs.")
@click.option("--max-seconds", type=float, default=None, help="Stop serving after this long.")
@click.option("--trust-cvca", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="EAC personas: trust this CVCA certificate instead of the test CVCA "
                   "(repeatable, at most 2).")
@handle_errors
def serve_cmd(persona: str, host: str, port: int, seed: int | None, max_le: int | None,
              no_extended_length: bool, delay_ms: int | None, remove_after: int | None,
              corrupt_mac_after: int | None, max_seconds: float | None,
              trust_cvca: tuple[str, ...] = ()) -> None:
    """Insert the virtual card PERSONA into vpcd's reader (needs pcscd + vsmartcard-vpcd)."""
    p = get_persona(persona, seed)
    q = p.quirks
    changes: dict[str, object] = {}
    if max_le is not None:
        changes["max_le"] = max_le
    if no_extended_length:
        changes["extended_length"] = False
    if delay_ms is not None:
        changes["delay_ms"] = delay_ms
    if remove_after is not None:
        changes["remove_after"] = remove_after
    if corrupt_mac_after is not None:
        changes["corrupt_mac_after"] = corrupt_mac_after
    quirks = Quirks(**{**q.__dict__, **changes})
    card = VirtualCard(p, quirks=quirks)
    if trust_cvca:
        from pathlib import Path

        from cardkit.sim.terminal_auth_card import set_trust

        if not hasattr(card, "ta_state"):
            raise InputError(f"persona {persona!r} has no EAC (try `eac` or `eac-pace`)")
        set_trust(card, [Path(f).read_bytes() for f in trust_cvca[:2]])
    sock = connect(host, port)
    click.echo(f"Serving virtual card '{persona}' (synthetic holder, test PKI) to vpcd at "
               f"{host}:{port}. Ctrl-C to stop.", err=True)
    result = serve_socket(card, sock, max_seconds=max_seconds)
    if result.reason == StopReason.VPCD_CLOSED:
        click.echo("vpcd closed the connection (pcscd stopped?)", err=True)
    else:
        click.echo(f"stopped ({result.reason.value}) after {result.apdus} APDUs", err=True)


@sim.command("export-pki")
@click.argument("folder", type=click.Path(file_okay=False))
@handle_errors
def export_pki_cmd(folder: str) -> None:
    """Write the test CSCA certificate and CRL (trust store for the virtual cards) to FOLDER."""
    for path in pki.export_pki(folder):
        click.echo(str(path))


@sim.command("finger")
@click.argument("persona", default="eac")
@click.option("--finger", default="right-index", show_default=True,
              help="right-thumb … right-little, left-thumb … left-little.")
@click.option("--impression", type=click.IntRange(0, 10**6), default=1, show_default=True,
              help="0 = the enrolment image in DG3; 1, 2 … = live captures of the same finger.")
@click.option("--seed", type=int, default=None, help="Another synthetic holder (deterministic).")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="PNG file to write.")
@handle_errors
def finger_cmd(persona: str, finger: str, impression: int, seed: int | None, out: str) -> None:
    """Write a SYNTHETIC fingerprint of PERSONA's holder (500 ppi PNG; no real person's print)."""
    from cardkit.sim import fingerprint_synth as fs

    p = get_persona(persona, seed)
    try:
        png = fs.impression_png(fs.persona_identity(p), finger, impression)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    from pathlib import Path

    Path(out).write_bytes(png)
    click.echo(f"wrote {out} ({fs.WIDTH}x{fs.HEIGHT}, {fs.RESOLUTION_PPI} ppi, {finger}, "
               f"impression {impression})")
