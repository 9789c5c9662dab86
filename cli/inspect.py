"""`cardkit inspect DIR`: verify a dump folder (`cardkit read --out` layout, or a phone upload)
through the library workflow (policy `inspect-only` by default: passive authentication)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from cardkit.errors import InputError
from cardkit.verify import CardSource, Probes, verify_card

from .common import _, handle_errors, lang_option
from .finger import finger_options, finger_probe
from .read import choose_policy, finish


def _parse_at(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(_("--at {value}: use an ISO date such as 2026-01-31").format(
            value=repr(value))) from None
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


@click.command("inspect")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--trust", "trust_paths", multiple=True, metavar="PATH|sim-test",
              help="CSCA certificates: PEM/DER file, folder or master list (.ml). Repeatable. "
                   "`sim-test` = the virtual card's TEST CSCA (never a real state).")
@click.option("--crl", "crl_paths", multiple=True, type=click.Path(exists=True),
              help="CRL file (DER/PEM) or folder of CRLs. Repeatable.")
@click.option("--at", "at", default=None, help="Verify as of this date/time (ISO 8601).")
@click.option("--policy", "policy", metavar="NAME|FILE", default=None,
              help="Verification policy (default inspect-only: passive authentication).")
@click.option("--allow-unverifiable", is_flag=True,
              help="Accept checks that could not run (e.g. no CSCA).")
@click.option("--no-default-trust", is_flag=True,
              help="Use only --trust: not the local trust directory, not the bundled list.")
@click.option("--verbose", is_flag=True, help="Show technical details.")
@lang_option
@finger_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handle_errors
def inspect_cmd(folder: Path, trust_paths: tuple[str, ...], crl_paths: tuple[str, ...],
                at: str | None, policy: str | None, allow_unverifiable: bool,
                no_default_trust: bool, verbose: bool, as_json: bool, **finger_opts: Any) -> None:
    """Verify a dump folder (COM.bin, SOD.bin, DG1.bin ...); with --finger, also match the
    live finger against the dump's DG3 fingers (required by the policy then)."""
    when = _parse_at(at)
    finger = finger_probe(finger_opts)
    pol = choose_policy({"policy": policy, "allow_unverifiable": allow_unverifiable,
                         "finger_required": finger is not None}, "inspect-only")
    result = verify_card(CardSource.from_dump(folder), policy=pol, trust=list(trust_paths) or None,
                         crls=crl_paths, at=when, default_trust=not no_default_trust,
                         probes=Probes(finger=finger))
    finish(result, json_out=as_json, verbose=verbose)


inspect = inspect_cmd  # the name the lead registers
