"""`cardkit inspect DIR...`: verify dump folders (`cardkit read --out` layout, or phone uploads)
through the library workflow (policy `inspect-only` by default: passive authentication).

One dump: the report (text or --json). Several dumps, a folder of dumps, or --jobs: one JSON line
per dump (the same report), streamed in input order, from a pool of --jobs processes
(cardkit.batch)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from cardkit.dump import is_dump
from cardkit.errors import InputError
from cardkit.verify import CardSource, Probes, verify_card

from .common import _, exit_with, handle_errors, lang_option
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
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
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
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=None,
              help="Verify dumps in N processes (0 = one per CPU); output: one JSON line per "
                   "dump. Implied by several folders or a folder of dumps.")
@handle_errors
def inspect_cmd(folders: tuple[Path, ...], trust_paths: tuple[str, ...],
                crl_paths: tuple[str, ...], at: str | None, policy: str | None,
                allow_unverifiable: bool, no_default_trust: bool, verbose: bool, as_json: bool,
                jobs: int | None, **finger_opts: Any) -> None:
    """Verify dump folders (COM.bin, SOD.bin, DG1.bin ...); with --finger, also match the
    live finger against the dump's DG3 fingers (required by the policy then).

    FOLDERS: dump folders, or folders holding dump folders (verified as a batch: one JSON line
    per dump).
    """
    when = _parse_at(at)
    folder = folders[0]
    batch = len(folders) > 1 or jobs is not None or (folder.is_dir() and not is_dump(folder))
    finger = finger_probe(finger_opts)
    if batch and finger is not None:
        raise InputError(_("a live finger is matched against one dump: give one dump folder "
                           "without --jobs"))
    pol = choose_policy({"policy": policy, "allow_unverifiable": allow_unverifiable,
                         "finger_required": finger is not None}, "inspect-only")
    if batch:
        from cardkit.batch import BatchOptions, batch_exit_code, find_dumps, verify_dumps

        opts = BatchOptions(tuple(trust_paths), not no_default_trust, tuple(crl_paths), when, pol)
        codes = []
        for record in verify_dumps(find_dumps(folders), opts, jobs=jobs or 1):
            codes.append(record["exit_code"])
            click.echo(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        exit_with(batch_exit_code(codes))
        return
    result = verify_card(CardSource.from_dump(folder), policy=pol, trust=list(trust_paths) or None,
                         crls=crl_paths, at=when, default_trust=not no_default_trust,
                         probes=Probes(finger=finger))
    finish(result, json_out=as_json, verbose=verbose)


inspect = inspect_cmd  # the name the lead registers
