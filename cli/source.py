"""Card source and access-key options shared by `read`, `verify` and `fixtures record`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from cardkit.errors import InputError
from cardkit.lds.dates import DateKind, to_mrz_date
from cardkit.lds.keys import CanKey, MrzKey, ascii_digits_only
from cardkit.lds.mrz import parse_mrz, vn_access_key
from cardkit.verify import CardSource
from cardkit.verify import _key_from_meta as _key_from_meta  # noqa: F401 - used by tests

from .common import _


def source_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the card-source and key options; the command receives them as keyword arguments."""
    options = [
        click.option("--reader", "reader", metavar="NAME|INDEX",
                     help="PC/SC reader by (part of its) name or index (`cardkit readers`)."),
        click.option("--fixture", "fixture", type=click.Path(dir_okay=False),
                     help="Replay a recorded session (JSON fixture)."),
        click.option("--sim", "sim", is_flag=False, flag_value="default", default=None,
                     metavar="[PERSONA]", help="Talk to the built-in virtual card (persona, "
                     "default `default`; list with `cardkit sim list`)."),
        click.option("--seed", type=int, default=None, help="Virtual card persona seed."),
        click.option("--id", "id12", metavar="12DIGITS",
                     help="Vietnamese ID number (12 digits); with --dob and --expiry."),
        click.option("--doc-number", metavar="TEXT", help="Document number (passports, other IDs)."),
        click.option("--dob", metavar="DATE", help="Date of birth: YYYY-MM-DD, DD/MM/YYYY or YYMMDD."),
        click.option("--expiry", metavar="DATE", help="Date of expiry (same forms as --dob)."),
        click.option("--mrz", metavar="TEXT", help="The full MRZ as printed (lines separated by "
                     "newlines or spaces)."),
        click.option("--can", metavar="DIGITS", help="Card Access Number for PACE (CCCD: the last "
                     "6 digits of the ID)."),
        click.option("--qr-image", "qr_image", type=click.Path(dir_okay=False), metavar="FILE",
                     help="Key from a photo of the card's front QR code (CAN for PACE; with "
                          "--expiry the MRZ key)."),
        click.option("--qr-camera", "qr_camera", metavar="N|DEVICE|VIDEO",
                     help="Key from the card's QR code held to a camera (index, device path or a "
                          "video file)."),
        click.option("--access", type=click.Choice(["auto", "bac", "pace"]), default="auto",
                     show_default=True, help="Access protocol: PACE when the chip offers it, else BAC."),
        click.option("--timeout", type=float, default=10.0, show_default=True,
                     help="Seconds to wait for a card on the reader."),
    ]
    for option in reversed(options):
        func = option(func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def key_from_options(
    *, id12: str | None, doc_number: str | None, dob: str | None, expiry: str | None,
    mrz: str | None, can: str | None,
) -> MrzKey | CanKey | None:
    """The access key the user typed, or None when they gave none."""
    given = [name for name, v in (("--id", id12), ("--doc-number", doc_number), ("--mrz", mrz),
                                  ("--can", can)) if v]
    if len(given) > 1:
        raise InputError(_("give one access key, not {options}").format(
            options=" and ".join(given)))
    if can:
        digits = can.strip()
        ascii_digits_only(digits, "--can")
        if not digits.isdigit() or not 6 <= len(digits) <= 12:
            raise InputError(_("--can must be the 6-digit Card Access Number"))
        return CanKey(digits)
    if mrz:
        # Lines may come separated by newlines, spaces or a literal "\n" (MRZ text has no spaces).
        return parse_mrz("\n".join(mrz.replace("\\n", "\n").split())).access_key()
    if id12 or doc_number:
        if not dob or not expiry:
            raise InputError(_("give --dob and --expiry with {option}").format(
                option="--id" if id12 else "--doc-number"))
        if id12:
            return vn_access_key(id12, dob, expiry)
        number = doc_number.strip().upper().replace(" ", "")  # type: ignore[union-attr]
        ascii_digits_only(number, "--doc-number")
        if not number or len(number) > 22 or not number.replace("<", "").isalnum():
            raise InputError(_("--doc-number must be letters and digits as printed"))
        return MrzKey(
            number,
            to_mrz_date(dob, DateKind.BIRTH, what="date of birth"),
            to_mrz_date(expiry, DateKind.EXPIRY, what="date of expiry"),
        )
    if dob or expiry:
        raise InputError(_("--dob/--expiry need --id (12-digit ID) or --doc-number"))
    return None


def open_source(opts: dict[str, Any]) -> tuple[CardSource, MrzKey | CanKey | None]:
    """The card source and the key the user typed (None: the source's own, if it has one)."""
    chosen = [n for n in ("reader", "fixture", "sim") if opts.get(n) is not None]
    if len(chosen) > 1:
        raise InputError(_("choose one card source: --reader, --fixture or --sim"))
    key = _key_from_qr(opts) or key_from_options(
        id12=opts.get("id12"), doc_number=opts.get("doc_number"), dob=opts.get("dob"),
        expiry=opts.get("expiry"), mrz=opts.get("mrz"), can=opts.get("can"),
    )
    source = chosen[0] if chosen else "reader"
    if source == "fixture":
        src = CardSource.from_fixture(opts["fixture"])
        if key is None and src.key is None:
            raise InputError(_("this fixture stores no access key: give --id/--dob/--expiry, "
                               "--mrz or --can"))
        return src, key
    if source == "sim":
        return CardSource.from_sim(opts["sim"], opts.get("seed")), key
    if key is None:
        raise InputError(_("give the access key: --id 12DIGITS --dob DATE --expiry DATE "
                           "(or --mrz TEXT, --doc-number/--dob/--expiry, --can DIGITS)"))
    reader = opts.get("reader")
    return CardSource.from_reader(int(reader) if reader and reader.isdigit() else reader,
                                  wait=float(opts.get("timeout") or 0.0)), key


def _key_from_qr(opts: dict[str, Any]) -> MrzKey | CanKey | None:
    """The key from the card's front QR code (`--qr-image` / `--qr-camera`), with `--expiry`."""
    image, camera = opts.get("qr_image"), opts.get("qr_camera")
    if not image and not camera:
        return None
    other = [n for n in ("id12", "doc_number", "mrz", "can", "dob") if opts.get(n)]
    if (image and camera) or other:
        raise InputError("the QR code gives the key: do not add --id/--dob/--mrz/--can or a "
                         "second QR source (only --expiry)")
    from cardkit.qr import decode_image, scan_camera

    qr = decode_image(image) if image else scan_camera(camera)
    return qr.access_key(opts.get("expiry"))


def key_to_meta(key: MrzKey | CanKey) -> dict[str, str]:
    if isinstance(key, CanKey):
        return {"can": key.can}
    return {"document_number": key.document_number, "date_of_birth": key.date_of_birth,
            "date_of_expiry": key.date_of_expiry}
