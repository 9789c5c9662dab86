"""`cardkit verify`: the counter workflow — read, verify the chip, match the face (policy `bank`)."""

from __future__ import annotations

from typing import Any

import click

from cardkit.errors import InputError
from cardkit.verify import Probes

from .common import _, handle_errors
from .finger import finger_options, finger_probe
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
@finger_options
@click.option("--json", "json_out", is_flag=True, help="Print the report as JSON.")
@handle_errors
def verify_cmd(face_photo: str | None, camera: str | None, face_video: str | None,
               operating_point: str | None, json_out: bool, verbose: bool, **opts: Any) -> None:
    """Read and verify the card, then match the customer's face against the chip portrait
    and/or the live finger against the card's fingers (DG3: needs --terminal-chain/-key).

    With --finger/--fingerprint-scanner the policy requires the finger match; with only a
    finger (no face source) the face match is switched off and the report's policy says so.

    Exit codes: 0 verified, 3 not genuine / cloned chip, 4 card problem, 5 face or finger does
    not match, 6 a check could not run, 7 the live face/finger is unusable, 8 document expired.
    """
    from cardkit.biometrics.face import Probe

    given = [x for x in (face_photo, camera, face_video) if x]
    # Open the scanner and the camera/photo first: a missing device is known before the card
    # is read.
    finger = finger_probe(opts)
    if len(given) > 1 or (not given and finger is None):
        raise InputError(_("give one live face source (--face PHOTO, --camera N or --face-video "
                           "FILE) and/or a live finger (--finger IMAGE or "
                           "--fingerprint-scanner)"))
    probe = None
    if face_photo:
        probe = Probe.from_image(face_photo)
    elif face_video:
        probe = Probe.from_video(face_video)
    elif camera:
        probe = Probe.from_camera(int(camera) if camera.isdigit() else camera)
    opts["json"] = json_out
    if operating_point:
        opts["operating_point"] = operating_point
    if finger is not None:
        opts["finger_required"] = True
        opts["face_off"] = probe is None
    result = run_verification(opts, default_policy="bank",
                              probes=Probes(face=probe, finger=finger))
    finish(result, json_out=json_out, verbose=verbose)
