"""`cardkit read`: read a chip (reader, fixture or virtual card), verify it, show or save it.

A thin layer over the library workflow (`cardkit.verify.verify_card`): options → card source,
key, policy and trust; the result is rendered (text or JSON) and the exit code comes from it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cardkit.dump import DumpFolder, save_dump
from cardkit.errors import CardkitError, ExitCode, InputError
from cardkit.policy import Policy, load_policy, preset_names
from cardkit.private_files import write_private
from cardkit.results import CheckState
from cardkit.verdict import Verdict
from cardkit.verify import CardSource, Probes, ProgressEvent, VerificationResult, verify_card

from .common import _, echo_json, exit_with, handle_errors, lang_option
from .render import render_result
from .source import open_source, source_options

if TYPE_CHECKING:
    from cardkit.read import Terminal

READ_ONLY = Policy("read-only", {}, "--no-verify: read only, nothing verified")


class StderrProgress:
    """A progress bar on stderr while reading (a line per file when stderr is not a terminal)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self._last: str | None = None

    def __call__(self, event: ProgressEvent) -> None:
        if not self.enabled or event.step != "read" or event.status != "progress":
            return
        name, done, total = event.file or "", event.done or 0, event.total or 0
        if self.tty:
            width = 30
            filled = int(width * done / total) if total else width
            bar = "█" * filled + "░" * (width - filled)
            label = _("Reading {file}").format(file=name)
            sys.stderr.write(f"\r{label:<18} {bar} {done:>6}/{total:<6}")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif done >= total and name != self._last:
            sys.stderr.write(_("read {file}: {total} bytes").format(file=name, total=total) + "\n")
            self._last = name


def verify_options(func: Any) -> Any:
    for option in reversed([
        click.option("--policy", "policy", metavar="NAME|FILE", default=None,
                     help="Verification policy: a preset (" + ", ".join(preset_names()) + ") or "
                          "a .toml/.json file."),
        click.option("--trust", multiple=True, metavar="PATH|sim-test",
                     help="CSCA certificates: PEM/DER file, folder or master list (.ml); "
                          "repeatable. `sim-test` = the virtual card's TEST CSCA (never a real "
                          "state). Default: the local trust store, else the bundled master list."),
        click.option("--crl", multiple=True, type=click.Path(exists=True),
                     help="CRL file (DER/PEM); repeatable."),
        click.option("--allow-unverifiable", is_flag=True,
                     help="Accept checks that could not run (e.g. no CSCA) as the policy's gaps."),
        click.option("--no-verify", is_flag=True,
                     help="Only read: no chip authentication, nothing required (exit 0) — but "
                          "evidently forged data still exits 3."),
        click.option("--terminal-chain", multiple=True, type=click.Path(exists=True),
                     metavar="DIR|FILE", help="EAC: CV certificates (CVCA link, DV, IS) for "
                     "Terminal Authentication, to read the fingerprints (DG3); repeatable."),
        click.option("--terminal-key", metavar="FILE|pkcs11:URI",
                     help="EAC: the inspection system's private key: a PEM file or a PKCS#11 "
                     "URI (PIN from $CARDKIT_PKCS11_PIN or a prompt)."),
        click.option("--verbose", is_flag=True,
                     help="Show technical details (every check, files, trust list, timings)."),
        lang_option,
    ]):
        func = option(func)
    return func


def choose_policy(opts: dict[str, Any], default: str) -> Policy:
    if opts.get("no_verify"):
        return READ_ONLY
    policy = load_policy(opts.get("policy") or default)
    if opts.get("allow_unverifiable"):
        policy = policy.with_changes(accept_unverifiable=True)
    if opts.get("operating_point"):
        policy = policy.with_changes(face_operating_point=opts["operating_point"])
    if opts.get("finger_required"):  # a live finger was given: its match is required
        policy = policy.with_changes(checks={"finger_match": "required"})
    if opts.get("face_off"):  # only a finger was given: no face to compare
        policy = policy.with_changes(checks={"face_match": "off"})
    return policy


def run_verification(opts: dict[str, Any], *, default_policy: str, probes: Probes | None = None,
                     progress: bool = True, src: CardSource | None = None,
                     key: Any = None) -> VerificationResult:
    """Options → the library workflow; reused by `verify`, `inspect` and `fixtures record`."""
    if src is None:
        src, key = open_source(opts)
    policy = choose_policy(opts, default_policy)
    terminal = terminal_from_options(opts)
    return verify_card(src, key, policy=policy, probes=probes, trust=opts.get("trust") or None,
                       crls=opts.get("crl") or (), access=opts.get("access", "auto"),
                       terminal=terminal, default_trust=not opts.get("no_verify"),
                       progress=StderrProgress(progress and not opts.get("json")))


def terminal_from_options(opts: dict[str, Any]) -> Terminal | None:
    """The EAC terminal (chain + key) from --terminal-chain/--terminal-key, or None."""
    chain, key = opts.get("terminal_chain") or (), opts.get("terminal_key")
    if not chain and not key:
        return None
    if not chain or not key:
        raise InputError("Terminal Authentication needs both --terminal-chain and --terminal-key")
    from cardkit.read import Terminal
    from cardkit.security.cv_chain import load_chain
    from cardkit.security.terminal_key import load_terminal_key

    return Terminal(tuple(load_chain(list(chain))), load_terminal_key(key))


def write_out(out: Path, result: VerificationResult) -> list[Path]:
    """Raw files exactly as read, the portrait, fingers (PNG + JSON) and report.json (0600 files,
    0700 folders)."""
    written = save_dump(out, result.files)
    dg3 = result.files.get("DG3")
    if dg3 is not None:
        written += _write_fingers(out, result, dg3)
    face = result.portrait
    if face is not None:
        name = "face.jp2" if face.mime == "image/jp2" else "face.jpg"
        written.append(write_private(out / name, face.image_bytes))
    written.append(write_private(out / "report.json",
                                 json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"))
    return written


def _write_fingers(out: Path, result: VerificationResult, dg3: bytes) -> list[Path]:
    """Fingers as PNG + JSON — only from a DG3 the issuer's signature covers: a forged chip's
    fingers are never handed on as the holder's (nor fed to the image decoders)."""
    from cardkit.biometrics.finger_images import write_fingers
    from cardkit.lds.dg3 import parse_dg3

    if result.passive is None or 3 not in result.passive.authenticated_dgs:
        click.echo("cardkit: warning: fingerprints not written as images: DG3 is not covered by "
                   "a valid EF.SOD signature (raw DG3.bin kept)", err=True)
        return []
    try:
        return write_fingers(out / "fingers", parse_dg3(dg3))
    except CardkitError as exc:
        click.echo(f"cardkit: warning: fingerprints not written: {exc}", err=True)
        return []


def finish(result: VerificationResult, *, json_out: bool, verbose: bool,
           read_only: bool = False) -> None:
    """Print the result and exit with the code that follows from it."""
    if json_out:
        echo_json(result.to_dict())
    else:
        click.echo(render_result(result, verbose=verbose))
    # --no-verify requires nothing (exit 0 when the read worked) — unless the data, which is
    # always checked against EF.SOD to know what is authenticated, is evidently forged
    code = result.exit_code
    if read_only and result.verdict is not Verdict.REJECTED:
        code = ExitCode.OK
    if code != ExitCode.OK:
        exit_with(code)


@click.command("read")
@source_options
@verify_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write COM.bin, SOD.bin, DG*.bin (raw), face.jpg/.jp2 and report.json here.")
@click.option("--force", is_flag=True,
              help="Replace the --out folder even when it is not empty.")
@click.option("--json", "json_out", is_flag=True, help="Print the report as JSON.")
@click.option("--format", "fmt", type=click.Choice(["text", "report", "json", "fhir"]),
              default=None, help="Output: text; report (= --json, the full report); json (flat "
              "clinic record); fhir (HL7 FHIR R4 Patient).")
@handle_errors
def read_cmd(out: Path | None, force: bool, json_out: bool, fmt: str | None, verbose: bool,
             **opts: Any) -> None:
    """Read a chip ID card or passport and verify it (policy `card` by default: chip genuine and
    document valid).

    \b
    Examples:
      cardkit read --sim                      # the built-in virtual card, no reader needed
      cardkit read --id 001093000001 --dob 1993-01-05 --expiry 2033-01-05
      cardkit read --fixture fixtures/default-bac.json --trust sim-test --out dump/ --lang vi
    """
    fmt = fmt or ("report" if json_out else "text")
    opts["json"] = json_out = fmt != "text"
    folder = DumpFolder(out, force=force) if out is not None else None  # before the card
    try:
        result = run_verification(opts, default_policy="card")
        if folder is not None:
            write_out(folder.tmp, result)
            folder.commit()
    except BaseException:
        if folder is not None:
            folder.abort()
        raise
    ta = result.checks.get("terminal_auth")
    if ta is not None and ta.state == CheckState.INVALID:
        click.echo(f"cardkit: warning: fingerprints not read: {ta.reason}", err=True)
    if not json_out and out is not None:
        click.echo(_("Saved to {folder}").format(folder=f"{out}/"))
    if fmt in ("json", "fhir"):
        from cardkit.clinic import fhir_patient, flat_record

        report = result.to_dict()
        echo_json(fhir_patient(report) if fmt == "fhir" else flat_record(report))
        code = ExitCode.OK if opts.get("no_verify") else result.exit_code
        if code != ExitCode.OK:
            exit_with(code)
        return
    finish(result, json_out=json_out, verbose=verbose, read_only=bool(opts.get("no_verify")))


