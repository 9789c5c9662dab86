"""`cardkit qr`: decode the CCCD front QR code from an image or a camera and show the key."""

from __future__ import annotations

import click

from cardkit.errors import InputError
from cardkit.icao.keys import CanKey
from cardkit.qr import decode_image, scan_camera

from .common import _, echo_json, handle_errors, lang_option


@click.command("qr")
@click.option("--image", type=click.Path(dir_okay=False), metavar="FILE",
              help="Photo or scan of the card's front (JPEG, PNG …).")
@click.option("--camera", metavar="N|DEVICE|VIDEO",
              help="Camera index (0, 1 …), device path, or a video file used as the camera.")
@click.option("--timeout", type=float, default=20.0, show_default=True,
              help="Seconds to look for the QR code on the camera.")
@click.option("--expiry", metavar="DATE", help="Date of expiry from the card: gives the MRZ key "
              "(BAC) as well as the CAN.")
@click.option("--json", "as_json", is_flag=True, help="Print the fields as JSON.")
@lang_option
@handle_errors
def qr_cmd(image: str | None, camera: str | None, timeout: float, expiry: str | None,
           as_json: bool) -> None:
    """Decode the CCCD's front QR code: ID, name, date of birth … and the access key.

    Exit code 2 when no CCCD QR code is found or its content is invalid.
    """
    if bool(image) == bool(camera):
        raise InputError("give one of --image FILE or --camera N")
    qr = decode_image(image) if image else scan_camera(camera, timeout=timeout)  # type: ignore[arg-type]
    key = qr.access_key(expiry)
    access = "PACE (CAN)" if isinstance(key, CanKey) else "BAC/PACE (MRZ)"
    if as_json:
        echo_json({**qr.to_dict(), "can": qr.can, "access": access})
        return
    rows = [(_("ID number"), qr.id_number), (_("Old ID number"), qr.old_id_number),
            (_("Full name"), qr.full_name), (_("Date of birth"), qr.date_of_birth.isoformat()),
            (_("Sex"), qr.sex), (_("Place of residence"), qr.address),
            (_("Date of issue"), qr.date_of_issue.isoformat() if qr.date_of_issue else ""),
            ("CAN", qr.can), (_("Access key"), access)]
    width = max(len(label) for label, _v in rows) + 2
    for label, value in rows:
        click.echo(f"{label:<{width}}{value}")
