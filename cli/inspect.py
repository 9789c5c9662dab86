"""`cardkit inspect DIR`: passive authentication of a dump folder (`cardkit read --out` layout)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from cardkit.dump import load_dump
from cardkit.errors import ExitCode, InputError
from cardkit.results import CheckState
from cardkit.security.crl import load_crl_paths
from cardkit.security.passive import PassiveResult, verify_passive
from cardkit.verify import exit_code_for, load_trust_choice

from .common import echo_json, exit_with, handle_errors
from .finger import finger_options, finger_probe, finger_result, render_finger

_MARK = {"valid": "OK  ", "invalid": "FAIL", "unverifiable": "??  ", "not_performed": "--  "}


def _parse_at(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--at {value!r}: use an ISO date such as 2026-01-31") from None
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def render(result: PassiveResult, trust_label: str) -> str:
    lines = [result.summary_line(), ""]
    for c in result.checks:
        lines.append(f"  [{_MARK.get(c.state.value, c.state.value)}] {c.name:<14} {c.reason}")
    facts = result.to_dict()["facts"]
    lines.append("")
    for key, label in (("country", "Country"), ("dsc_subject", "Document signer"),
                       ("dsc_key", "DSC key"), ("signature_algorithm", "Signature"),
                       ("csca_subject", "CSCA"), ("dsc_not_after", "DSC valid until")):
        if facts.get(key):
            lines.append(f"  {label + ':':<17}{facts[key]}")
    lines.append(f"  {'Trust:':<17}{trust_label}")
    return "\n".join(lines)


@click.command("inspect")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--trust", "trust_paths", multiple=True, metavar="PATH|sim-test",
              help="CSCA certificates: PEM/DER file, folder or master list (.ml). Repeatable. "
                   "`sim-test` = the virtual card's TEST CSCA (never a real state).")
@click.option("--crl", "crl_paths", multiple=True, type=click.Path(exists=True),
              help="CRL file (DER/PEM) or folder of CRLs. Repeatable.")
@click.option("--at", "at", default=None, help="Verify as of this date/time (ISO 8601).")
@click.option("--allow-unverifiable", is_flag=True,
              help="Exit 0 even when a check could not run (e.g. no CSCA).")
@click.option("--no-default-trust", is_flag=True, help="Do not use the local trust directory.")
@finger_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handle_errors
def inspect_cmd(folder: Path, trust_paths: tuple[str, ...], crl_paths: tuple[str, ...],
                at: str | None, allow_unverifiable: bool, no_default_trust: bool,
                as_json: bool, **finger_opts: Any) -> None:
    """Verify a dump folder (COM.bin, SOD.bin, DG1.bin ...): passive authentication; with
    --finger, also match the live finger against the dump's DG3 fingers.

    Exit codes: 0 valid (and finger matches), 3 invalid, 5 finger does not match, 6 a check
    could not run, 7 the live finger is unusable.
    """
    finger = finger_probe(finger_opts)
    files = load_dump(folder)
    when = _parse_at(at)
    trust = load_trust_choice(trust_paths, use_local=not no_default_trust)
    crls = load_crl_paths(crl_paths)
    result = verify_passive(files, trust=trust.store, crls=crls, at=when)
    checks = [result.overall]
    fres = None
    if finger is not None:
        fres = finger_result(finger, files, require_sod=True)
        checks.append(fres.to_check("finger"))
    if as_json:
        out = {"folder": str(folder), "trust": trust.label, **result.to_dict()}
        if fres is not None:
            out["finger"] = fres.to_dict()
        echo_json(out)
    else:
        click.echo(render(result, trust.label))
        if fres is not None:
            click.echo(render_finger(fres))
    code = exit_code_for(checks, allow_unverifiable=allow_unverifiable)
    if code == ExitCode.OK and fres is not None and fres.state is CheckState.NOT_PERFORMED:
        code = ExitCode.BIOMETRIC_UNUSABLE
    exit_with(code)


inspect = inspect_cmd  # the name the lead registers
