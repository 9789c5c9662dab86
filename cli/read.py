"""`cardkit read`: read a chip (reader, fixture or virtual card), verify it, show or save it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from cardkit.document import Document, parse_document
from cardkit.dump import save_dump
from cardkit.errors import CardkitError, ExitCode, InputError
from cardkit.private_files import write_private
from cardkit.read import CardRead, Terminal, read_card
from cardkit.report import build_report, overall_verdict
from cardkit.results import CheckResult, CheckState
from cardkit.verify import exit_code_for, load_trust_choice, passive_check

from .common import echo_json, handle_errors
from .render import render_summary
from .source import Source, open_source, source_options


class StderrProgress:
    """A progress bar on stderr while reading (a line per file when stderr is not a terminal)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self._last: str | None = None

    def __call__(self, name: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.tty:
            width = 30
            filled = int(width * done / total) if total else width
            bar = "█" * filled + "░" * (width - filled)
            sys.stderr.write(f"\rReading {name:<10} {bar} {done:>6}/{total:<6} bytes")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif done >= total and name != self._last:
            sys.stderr.write(f"read {name}: {total} bytes\n")
            self._last = name


@dataclass
class ReadRun:
    source: Source
    read: CardRead
    doc: Document
    checks: list[CheckResult]
    report: dict[str, Any]


def verify_options(func: Any) -> Any:
    for option in reversed([
        click.option("--trust", multiple=True, metavar="PATH|sim-test",
                     help="CSCA certificates: PEM/DER file, folder or master list (.ml); "
                          "repeatable. `sim-test` = the virtual card's TEST CSCA (never a real "
                          "state)."),
        click.option("--crl", multiple=True, type=click.Path(exists=True),
                     help="CRL file (DER/PEM); repeatable."),
        click.option("--allow-unverifiable", is_flag=True,
                     help="Exit 0 even when a check could not run (e.g. no CSCA)."),
        click.option("--no-verify", is_flag=True, help="Only read; skip all security checks."),
        click.option("--terminal-chain", multiple=True, type=click.Path(exists=True),
                     metavar="DIR|FILE", help="EAC: CV certificates (CVCA link, DV, IS) for "
                     "Terminal Authentication, to read the fingerprints (DG3); repeatable."),
        click.option("--terminal-key", metavar="FILE|pkcs11:URI",
                     help="EAC: the inspection system's private key: a PEM file or a PKCS#11 "
                     "URI (PIN from $CARDKIT_PKCS11_PIN or a prompt)."),
    ]):
        func = option(func)
    return func


def run_read(opts: dict[str, Any], *, progress: bool = True, src: Source | None = None) -> ReadRun:
    """Read and judge, as `cardkit read` does; reused by `verify` and `fixtures record`."""
    src = src if src is not None else open_source(opts)
    bar = StderrProgress(progress and not opts.get("json"))
    no_verify = bool(opts.get("no_verify"))
    terminal = terminal_from_options(opts)
    with src.transport:
        card = read_card(src.transport, src.key, access=opts.get("access", "auto"), rng=src.rng,
                         progress=bar, chip_checks=not no_verify, terminal=terminal)
    doc = parse_document(card.files)
    checks: list[CheckResult] = []
    extra: dict[str, Any] = {}
    authenticated: list[int] | None = None
    if no_verify:
        checks.append(CheckResult("passive_auth", CheckState.NOT_PERFORMED, "--no-verify given"))
    else:
        # Trust comes from the user only: --trust, the local store, or --sim in-process. A
        # fixture's or dump's own claims ("persona": ...) never select a CSCA.
        trust = load_trust_choice(opts.get("trust"), sim_default=src.kind == "sim")
        pa, passive = passive_check(card.files, trust, opts.get("crl") or ())
        authenticated = passive.authenticated_dgs
        checks += [pa, card.chip_auth, card.active_auth, card.chip_genuine]
        if terminal is not None:
            checks.append(card.terminal_auth)
    source = {
        "kind": src.kind,
        "label": src.label,
        "reader": card.transport.name,
        "atr": card.transport.atr.hex().upper(),
        "access": card.access,
        "seconds": round(card.seconds, 3),
        **{k: v for k, v in src.meta.items() if k in ("persona", "seed", "recorded_at")},
    }
    report = build_report(doc, source=source, checks=checks, skipped=card.skipped, extra=extra,
                          authenticated=authenticated)
    run = ReadRun(src, card, doc, checks, report)
    report["verdict"] = overall_verdict(gating_checks(run)).to_dict()
    return run


def terminal_from_options(opts: dict[str, Any]) -> Terminal | None:
    """The EAC terminal (chain + key) from --terminal-chain/--terminal-key, or None."""
    chain, key = opts.get("terminal_chain") or (), opts.get("terminal_key")
    if not chain and not key:
        return None
    if not chain or not key:
        raise InputError("Terminal Authentication needs both --terminal-chain and --terminal-key")
    from cardkit.security.cv_chain import load_chain
    from cardkit.security.terminal_key import load_terminal_key

    return Terminal(tuple(load_chain(list(chain))), load_terminal_key(key))


def write_out(out: Path, run: ReadRun) -> list[Path]:
    """Raw files exactly as read, the portrait, fingers (PNG + JSON) and report.json (0600 files,
    0700 folders)."""
    import json

    written = save_dump(out, run.read.files)
    dg3 = run.read.files.get("DG3")
    if dg3 is not None:
        written += _write_fingers(out, run, dg3)
    face = run.doc.portrait
    if face is not None:
        name = "face.jp2" if face.mime == "image/jp2" else "face.jpg"
        written.append(write_private(out / name, face.image_bytes))
    written.append(write_private(out / "report.json",
                                 json.dumps(run.report, ensure_ascii=False, indent=2) + "\n"))
    return written


def _write_fingers(out: Path, run: ReadRun, dg3: bytes) -> list[Path]:
    """Fingers as PNG + JSON — only from a DG3 the issuer's signature covers: a forged chip's
    fingers are never handed on as the holder's (nor fed to the image decoders)."""
    from cardkit.biometrics.finger_images import write_fingers
    from cardkit.lds.dg3 import parse_dg3

    if not run.report.get("data_groups", {}).get("DG3", {}).get("authenticated"):
        click.echo("cardkit: warning: fingerprints not written as images: DG3 is not covered by "
                   "a valid EF.SOD signature (raw DG3.bin kept)", err=True)
        return []
    try:
        return write_fingers(out / "fingers", parse_dg3(dg3))
    except CardkitError as exc:
        click.echo(f"cardkit: warning: fingerprints not written: {exc}", err=True)
        return []


def gating_checks(run: ReadRun) -> list[CheckResult]:
    """The checks that decide the exit code (chip_auth/active_auth are folded into `chip`);
    the chip verdict first, so a clone's headline says CLONED OR FORGED CHIP."""
    return sorted((c for c in run.checks if c.name in ("passive_auth", "chip")),
                  key=lambda c: c.name != "chip")


@click.command("read")
@source_options
@verify_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write COM.bin, SOD.bin, DG*.bin (raw), face.jpg/.jp2 and report.json here.")
@click.option("--json", "json_out", is_flag=True, help="Print the report as JSON.")
@handle_errors
def read_cmd(out: Path | None, json_out: bool, **opts: Any) -> None:
    """Read a chip ID card or passport and verify it.

    \b
    Examples:
      cardkit read --sim                      # the built-in virtual card, no reader needed
      cardkit read --id 001093000001 --dob 1993-01-05 --expiry 2033-01-05
      cardkit read --fixture fixtures/default-bac.json --trust sim-test --out dump/
    """
    opts["json"] = json_out
    run = run_read(opts)
    if out is not None:
        write_out(out, run)
    ta = run.read.terminal_auth
    if ta.state == CheckState.INVALID:
        click.echo(f"cardkit: warning: fingerprints not read: {ta.reason}", err=True)
    if json_out:
        echo_json(run.report)
    else:
        click.echo(render_summary(run.report))
        if out is not None:
            click.echo(f"Saved to {out}/")
    code = exit_code_for(gating_checks(run),
                         allow_unverifiable=bool(opts.get("allow_unverifiable")) or
                         bool(opts.get("no_verify")))
    sys.exit(int(code)) if code != ExitCode.OK else None
