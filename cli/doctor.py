"""`cardkit doctor`: check the PC/SC set-up and say what to fix (README, Readers)."""

from __future__ import annotations

import click

from cardkit.doctor import Status, run_doctor
from cardkit.errors import ExitCode

from .common import _, echo_json, exit_with, gettext, handle_errors, lang_option

_MARK = {Status.OK: " ok ", Status.WARN: "warn", Status.FAIL: "FAIL", Status.INFO: "info"}


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@click.option("--no-select", is_flag=True,
              help="Do not send SELECT eMRTD to a present card (only list readers).")
@lang_option
@handle_errors
def doctor(as_json: bool, no_select: bool) -> None:
    """Check pcscd, readers, permissions and the pn533 conflict; name the fix.

    Exit code 0 only when a reader is usable; 4 otherwise.
    """
    report = run_doctor(select_aid=not no_select)
    if as_json:
        echo_json(report.to_dict())
    else:
        g = gettext()
        fix_word = _("fix")
        for c in report.checks:
            detail = c.detail_msg.render(g) if c.detail_msg is not None else c.detail
            click.echo(f"[{_MARK[c.status]}] {c.name}: {detail}")
            if c.fix and c.status in (Status.FAIL, Status.WARN):
                fix = c.fix_msg.render(g) if c.fix_msg is not None else c.fix
                click.echo(f"       {fix_word}: {fix}")
        for r in report.readers:
            line = f"  reader: {r.name} — {r.driver}, profile {r.profile}, card {r.card}"
            if r.atr:
                line += f", ATR {r.atr}"
            click.echo(line)
        if report.usable:
            click.echo(_("Result: a reader is usable."))
        else:
            click.echo(_("Result: no usable reader — apply the fix(es) above and run "
                         "`cardkit doctor` again."))
    if report.exit_code != ExitCode.OK:
        exit_with(report.exit_code)
