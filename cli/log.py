"""`cardkit log list|show|export|verify|purge`: the audit trail (README, Audit trail).

No `edit` or `delete` command exists on purpose: records are append-only; `purge` only removes
records past the retention period and leaves a purge record in the chain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cardkit.audit import AuditConfig, AuditError, AuditLog, verify_export
from cardkit.errors import ExitCode
from cardkit.private_files import write_private

from .common import _, echo_json, exit_with, handle_errors, lang_option

_URL = click.option("--db", "url", metavar="URL", default=None,
                    help="Database URL (default $CARDKIT_AUDIT_URL, else a SQLite file in the "
                         "cardkit data folder); postgresql://… for a shared branch database.")


def _open(url: str | None) -> AuditLog:
    return AuditLog(AuditConfig.from_env(url))


def _checks_line(row: dict[str, Any]) -> str:
    try:
        checks = json.loads(row.get("checks") or "{}")
    except ValueError:
        return "?"
    return " ".join(f"{k}={v.get('state')}" for k, v in checks.items())


@click.group("log")
def log_group() -> None:
    """The audit trail of verifications (no personal data, no biometrics)."""


@log_group.command("list")
@_URL
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--since", metavar="ISO-DATE", help="Only records from this date/time on.")
@click.option("--id", "id_number", metavar="12DIGITS",
              help="Only this card's records (matched through the keyed hash).")
@click.option("--json", "as_json", is_flag=True)
@lang_option
@handle_errors
def list_cmd(url: str | None, limit: int, since: str | None, id_number: str | None,
             as_json: bool) -> None:
    """Newest records first."""
    rows = _open(url).list(limit=limit, since=since, id_number=id_number)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['id']:>6}  {r['created'][:19]}  {r['kind']:<12} {r['verdict'] or '-':<9} "
                   f"{r['operator'] or '-':<12} {r['counter'] or '-':<10} {r['policy'] or '-':<8} "
                   f"{_checks_line(r) if r['kind'] == 'verification' else r['note']}")
    if not rows:
        click.echo(_("No audit records"))


@log_group.command("show")
@click.argument("record_id", type=int)
@_URL
@click.option("--json", "as_json", is_flag=True)
@lang_option
@handle_errors
def show_cmd(record_id: int, url: str | None, as_json: bool) -> None:
    """One record in full."""
    row = _open(url).show(record_id)
    for key in ("checks", "durations"):
        if row.get(key):
            row[key] = json.loads(row[key])
    if as_json:
        echo_json(row)
        return
    for k, v in row.items():
        click.echo(f"{k:<15}{json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v}")


@log_group.command("export")
@_URL
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@lang_option
@handle_errors
def export_cmd(url: str | None, output: Path) -> None:
    """Write every record with its hash chain and an HMAC (site secret) to a 0600 JSON file."""
    data = _open(url).export()
    write_private(output, json.dumps(data, ensure_ascii=False, indent=1))
    click.echo(_("Exported {count} records to {file}").format(count=len(data["records"]),
                                                               file=output))


@log_group.command("verify")
@click.argument("export_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-secret", is_flag=True,
              help="Check only the hash chain (without this site's secret).")
@lang_option
@handle_errors
def verify_cmd(export_file: Path, no_secret: bool) -> None:
    """Check an export: hash chain and HMAC. Exit 3 when it was altered."""
    try:
        data = json.loads(export_file.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise AuditError(f"{export_file}: not a JSON audit export") from None
    secret = None if no_secret else AuditConfig.from_env().secret
    ok, why = verify_export(data, secret)
    if not ok:
        altered = _("{file}: the export was altered ({detail})")
        click.echo("cardkit: " + _("error") + ": " + altered.format(file=export_file, detail=why),
                   err=True)
        exit_with(ExitCode.NOT_GENUINE)
    intact = _("{file}: the export is intact ({detail})") if secret else \
        _("{file}: the hash chain is intact ({detail}); HMAC not checked")
    click.echo(intact.format(file=export_file, detail=why))


@log_group.command("purge")
@_URL
@click.option("--older-than-days", type=int, default=None,
              help="Retention in days (default $CARDKIT_AUDIT_RETENTION_DAYS, else 5 years).")
@lang_option
@handle_errors
def purge_cmd(url: str | None, older_than_days: int | None) -> None:
    """Delete records older than the retention period (a purge record stays in the chain)."""
    n = _open(url).purge(older_than_days=older_than_days)
    click.echo(_("Purged {count} records").format(count=n))
