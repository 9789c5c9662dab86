"""The `cardkit` command."""

from __future__ import annotations

import logging

import click

from cardkit import __version__

from .common import lang_option


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cardkit")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (secrets are redacted).")
@lang_option
def cli(verbose: int) -> None:
    """Read and verify Vietnamese chip ID cards (CCCD) and ICAO eMRTDs."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _register() -> None:
    # Each sub-command lives in its own module; registered here explicitly.
    from .doctor import doctor
    from .eac import eac_group
    from .face import face_group
    from .finger import finger_group
    from .fixtures import fixtures_group
    from .inspect import inspect_cmd
    from .log import log_group
    from .qr import qr_cmd
    from .read import read_cmd
    from .readers import readers
    from .serve import serve_cmd
    from .sim import sim
    from .trust import trust_group
    from .verify import verify_cmd

    for command in (read_cmd, verify_cmd, inspect_cmd, readers, doctor, trust_group, sim,
                    face_group, finger_group, fixtures_group, eac_group, qr_cmd, log_group,
                    serve_cmd):
        cli.add_command(command)


_register()


def main() -> None:
    from .common import safe_console

    safe_console()
    cli(prog_name="cardkit")


if __name__ == "__main__":
    main()
