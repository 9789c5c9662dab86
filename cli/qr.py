"""`cardkit qr`: decode the CCCD front QR code from an image or a camera and show the key."""

from __future__ import annotations

import click

from cardkit.errors import InputError
from cardkit.icao.keys import CanKey
from cardkit.qr import decode_image, scan_camera

from .common import echo_json, handle_errors


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
    access = "PACE (CAN)" if isinstance(key, CanKey) else "BAC/PACE (MRZ key)"
    if as_json:
        echo_json({**qr.to_dict(), "can": qr.can, "access": access})
        return
    rows = [("Số định danh cá nhân / ID", qr.id_number), ("Số CMND cũ / old ID", qr.old_id_number),
            ("Họ, chữ đệm và tên / Name", qr.full_name),
            ("Ngày sinh / Date of birth", qr.date_of_birth.isoformat()),
            ("Giới tính / Sex", qr.sex), ("Nơi thường trú / Residence", qr.address),
            ("Ngày cấp / Issued", qr.date_of_issue.isoformat() if qr.date_of_issue else ""),
            ("CAN", qr.can), ("Key", access)]
    for label, value in rows:
        click.echo(f"{label:<28}{value}")
