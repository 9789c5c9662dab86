"""The `cardkit` command.

Sub-commands are loaded lazily: `cardkit --help` and `cardkit inspect` import only what they use
(no numpy, OpenCV, dlib or virtual card for them). Each sub-command lives in its own module,
named in `COMMANDS` with the one-line help `cardkit --help` shows (a test keeps it equal to the
command's own).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import click

from cardkit import __version__

from .common import lang_option

# name -> (module in this package, attribute, short help shown by `cardkit --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "read": ("read", "read_cmd", "Read a chip ID card or passport and verify it (policy `card` by "
             "default: chip genuine and document valid)."),
    "verify": ("verify", "verify_cmd", "Read and verify the card, then match the customer's face "
               "against the chip portrait and/or the live finger against the card's fingers "
               "(DG3: needs --terminal-chain/-key)."),
    "inspect": ("inspect", "inspect_cmd", "Verify dump folders (COM.bin, SOD.bin, DG1.bin ...); "
                "with --finger, also match the live finger against the dump's DG3 fingers "
                "(required by the policy then)."),
    "readers": ("readers", "readers", "List card readers, or watch cards come and go (--watch)."),
    "doctor": ("doctor", "doctor", "Check pcscd, readers, permissions and the pn533 conflict; "
               "name the fix."),
    "trust": ("trust", "trust_group", "Manage the CSCA certificates used to verify chips."),
    "sim": ("sim", "sim", "The virtual card: synthetic Vietnamese CCCDs signed by a test PKI (no "
            "real data)."),
    "face": ("face", "face_group", "Face matching (dlib ResNet embeddings, models from "
             "face_recognition_models)."),
    "finger": ("finger", "finger_group", "Fingerprints: NIST mindtct minutiae + Minutia "
               "Cylinder-Code matching."),
    "fixtures": ("fixtures", "fixtures_group", "Record and inspect APDU fixtures (replay them "
                 "with `cardkit read --fixture FILE`)."),
    "eac": ("eac", "eac_group", "Extended Access Control: CV certificates and terminal keys for "
            "reading fingerprints."),
    "qr": ("qr", "qr_cmd", "Decode the CCCD's front QR code: ID, name, date of birth … and the "
           "access key."),
    "log": ("log", "log_group", "The audit trail of verifications (no personal data, no "
            "biometrics)."),
    "serve": ("serve", "serve_cmd", "Run the local counter service: teller page at /, API under "
              "/api, OpenAPI at /docs."),
}


class LazyGroup(click.Group):
    """A group whose sub-commands are imported when used, not when the program starts."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(f".{entry[0]}", __package__)
        command: click.Command = getattr(module, entry[1])
        self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: Any) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
            else:
                stub = click.Command(name, help=COMMANDS[name][2])  # same truncation rule
                rows.append((name, stub.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cardkit")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (secrets are redacted).")
@lang_option
def cli(verbose: int) -> None:
    """Read and verify Vietnamese chip ID cards (CCCD) and ICAO eMRTDs."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main() -> None:
    from .common import safe_console

    safe_console()
    cli(prog_name="cardkit")


if __name__ == "__main__":
    main()
