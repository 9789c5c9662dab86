"""`cardkit verify`: the counter workflow — read, verify the chip, match the face (policy `bank`)."""

from __future__ import annotations

from typing import Any

import click

from cardkit.errors import InputError
from cardkit.verify import Probes

from .common import _, handle_errors
from .read import finish, run_verification, verify_options
from .source import source_options


@click.command("verify")
@source_options
@verify_options
@click.option("--face", "face_photo", type=click.Path(exists=True, dir_okay=False),
              help="Live photo of the customer (image file).")
@click.option("--camera", metavar="N|DEVICE", help="Camera index (0, 1 …) or device path.")
@click.option("--face-video", type=click.Path(exists=True, dir_okay=False),
              help="Video file used as the camera (testing without a camera).")
@click.option("--operating-point", "operating_point",
              type=click.Choice(("strict", "balanced", "dlib-default")), default=None,
              help="Face decision threshold (default: the policy's; bank = strict). See the "
                   "README, Face match.")
@click.option("--json", "json_out", is_flag=True, help="Print the report as JSON.")
@handle_errors
def verify_cmd(face_photo: str | None, camera: str | None, face_video: str | None,
               operating_point: str | None, json_out: bool, verbose: bool, **opts: Any) -> None:
    """Read and verify the card, then match the customer's face against the chip portrait.

    Exit codes: 0 verified, 3 not genuine / cloned chip, 4 card problem, 5 face does not
    match, 6 a check could not run, 7 the live image is unusable, 8 document expired.
    """
    from cardkit.biometrics.face import Probe

    given = [x for x in (face_photo, camera, face_video) if x]
    if len(given) != 1:
        raise InputError(_("give exactly one live face source: --face PHOTO, --camera N or "
                           "--face-video FILE"))
    # Open the camera/photo first: a missing camera is known before the card is read.
    if face_photo:
        probe = Probe.from_image(face_photo)
    elif face_video:
        probe = Probe.from_video(face_video)
    else:
        probe = Probe.from_camera(int(camera) if camera.isdigit() else camera)  # type: ignore[union-attr]
    opts["json"] = json_out
    if operating_point:
        opts["operating_point"] = operating_point
    result = run_verification(opts, default_policy="bank", probes=Probes(face=probe))
    finish(result, json_out=json_out, verbose=verbose)
