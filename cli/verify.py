"""`cardkit verify`: the counter workflow — read, verify the chip, match the face."""

from __future__ import annotations

import sys
from typing import Any

import click

from cardkit.errors import ExitCode, InputError
from cardkit.report import overall_verdict
from cardkit.results import CheckState
from cardkit.verify import exit_code_for

from .common import echo_json, handle_errors
from .face import operating_point_option, render_face
from .read import gating_checks, run_read, verify_options
from .render import render_summary
from .source import source_options


@click.command("verify")
@source_options
@verify_options
@click.option("--face", "face_photo", type=click.Path(exists=True, dir_okay=False),
              help="Live photo of the customer (image file).")
@click.option("--camera", metavar="N|DEVICE", help="Camera index (0, 1 …) or device path.")
@click.option("--face-video", type=click.Path(exists=True, dir_okay=False),
              help="Video file used as the camera (testing without a camera).")
@operating_point_option
@click.option("--json", "json_out", is_flag=True, help="Print the report as JSON.")
@handle_errors
def verify_cmd(face_photo: str | None, camera: str | None, face_video: str | None,
               operating_point: str, json_out: bool, **opts: Any) -> None:
    """Read and verify the card, then match the customer's face against the chip portrait.

    Exit codes: 0 all good, 3 not genuine / cloned chip, 4 card problem, 5 face does not
    match, 6 a check could not run, 7 the live image is unusable (the reason says what to fix).
    """
    from cardkit.biometrics.face import Probe, match_portrait

    given = [x for x in (face_photo, camera, face_video) if x]
    if len(given) != 1:
        raise InputError("give exactly one live face source: --face PHOTO, --camera N or "
                         "--face-video FILE")
    # Open the camera/photo first: a missing camera is known before the card is read.
    if face_photo:
        probe = Probe.from_image(face_photo)
    elif face_video:
        probe = Probe.from_video(face_video)
    else:
        probe = Probe.from_camera(int(camera) if camera.isdigit() else camera)  # type: ignore[union-attr]
    opts["json"] = json_out
    run = run_read(opts)
    portrait = run.doc.portrait
    portrait_authenticated = (run.report.get("portrait") or {}).get("authenticated", False)
    if portrait is None:
        face = None
        face_check_state = CheckState.NOT_PERFORMED
        face_reason = "no portrait on the chip (DG2 missing or unreadable)"
    elif not portrait_authenticated and not opts.get("no_verify"):
        # only an SOD-covered DG2 is the holder's portrait: a forger's face is never compared
        face = None
        face_check_state = CheckState.NOT_PERFORMED
        face_reason = ("the chip portrait (DG2) is not covered by the issuer's signature: "
                       "face not compared")
    else:
        face = match_portrait(portrait.image_bytes, probe, operating_point=operating_point)
        face_check_state, face_reason = face.state, face.reason
    face_check = face.to_check("face") if face is not None else None
    report = run.report
    if face_check is not None:
        report["checks"]["face"] = face_check.to_dict()
        gating = [*gating_checks(run), face_check]
    else:
        report["checks"]["face"] = {"state": face_check_state.value, "reason": face_reason}
        gating = gating_checks(run)
    report["verdict"] = overall_verdict(gating).to_dict()
    if json_out:
        echo_json(report)
    else:
        click.echo(render_summary(report))
        if face is not None:
            click.echo(render_face(face))
    code = exit_code_for(gating, allow_unverifiable=bool(opts.get("allow_unverifiable")))
    if code == ExitCode.OK and (face is None or face.state == CheckState.NOT_PERFORMED):
        code = ExitCode.BIOMETRIC_UNUSABLE
    sys.exit(int(code)) if code != ExitCode.OK else None
