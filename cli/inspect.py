"""`cardkit inspect DIR`: passive authentication of a dump folder (`cardkit read --out` layout)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from cardkit.dump import load_dump
from cardkit.errors import InputError
from cardkit.security.crl import load_crl_paths
from cardkit.security.passive import PassiveResult, verify_passive
from cardkit.verify import exit_code_for, load_trust_choice

from .common import echo_json, exit_with, handle_errors

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
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handle_errors
def inspect_cmd(folder: Path, trust_paths: tuple[str, ...], crl_paths: tuple[str, ...],
                at: str | None, allow_unverifiable: bool, no_default_trust: bool,
                as_json: bool) -> None:
    """Verify a dump folder (COM.bin, SOD.bin, DG1.bin ...): passive authentication."""
    files = load_dump(folder)
    when = _parse_at(at)
    trust = load_trust_choice(trust_paths, use_local=not no_default_trust)
    crls = load_crl_paths(crl_paths)
    result = verify_passive(files, trust=trust.store, crls=crls, at=when)
    if as_json:
        echo_json({"folder": str(folder), "trust": trust.label, **result.to_dict()})
    else:
        click.echo(render(result, trust.label))
    exit_with(exit_code_for([result.overall], allow_unverifiable=allow_unverifiable))


inspect = inspect_cmd  # the name the lead registers
