"""`cardkit inspect DIR...`: passive authentication of dump folders (`cardkit read --out` layout).

One dump: a report (text or --json). Several dumps, a folder of dumps, or --jobs: one JSON line
per dump, streamed in order, verified by a pool of --jobs processes (cardkit.batch).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from cardkit.dump import is_dump, load_dump
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
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
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
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=None,
              help="Verify dumps in N processes (0 = one per CPU); output: one JSON line per "
                   "dump. Implied by several folders or a folder of dumps.")
@handle_errors
def inspect_cmd(folders: tuple[Path, ...], trust_paths: tuple[str, ...],
                crl_paths: tuple[str, ...], at: str | None, allow_unverifiable: bool,
                no_default_trust: bool, as_json: bool, jobs: int | None) -> None:
    """Verify dump folders (COM.bin, SOD.bin, DG1.bin ...): passive authentication.

    FOLDERS: dump folders, or folders holding dump folders (verified as a batch).
    """
    when = _parse_at(at)
    if len(folders) > 1 or jobs is not None or (folders[0].is_dir() and not is_dump(folders[0])):
        _batch(folders, trust_paths, crl_paths, when, allow_unverifiable, no_default_trust,
               jobs or 1)
        return
    folder = folders[0]
    files = load_dump(folder)
    trust = load_trust_choice(trust_paths, use_local=not no_default_trust)
    crls = load_crl_paths(crl_paths)
    result = verify_passive(files, trust=trust.store, crls=crls, at=when)
    if as_json:
        echo_json({"folder": str(folder), "trust": trust.label, **result.to_dict()})
    else:
        click.echo(render(result, trust.label))
    exit_with(exit_code_for([result.overall], allow_unverifiable=allow_unverifiable))


def _batch(folders: tuple[Path, ...], trust_paths: tuple[str, ...], crl_paths: tuple[str, ...],
           when: dt.datetime | None, allow_unverifiable: bool, no_default_trust: bool,
           jobs: int) -> None:
    from cardkit.batch import BatchOptions, batch_exit_code, find_dumps, verify_dumps

    opts = BatchOptions(tuple(trust_paths), not no_default_trust, tuple(crl_paths), when,
                        allow_unverifiable)
    codes = []
    for record in verify_dumps(find_dumps(folders), opts, jobs=jobs):
        codes.append(record["exit_code"])
        click.echo(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    exit_with(batch_exit_code(codes))


inspect = inspect_cmd  # the name the lead registers
