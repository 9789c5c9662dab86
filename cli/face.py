"""`cardkit face compare A B`: compare two face images (A = reference, B = probe).

The face code (numpy, OpenCV, dlib) is imported by the commands that run it, not when this module
is loaded (`cardkit verify` without --face and `cardkit face --help` do not pay for it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cardkit.results import CheckState

if TYPE_CHECKING:
    from cardkit.biometrics.face import FaceResult

from .common import _, echo_json, exit_with, handle_errors, lang_option

OPERATING_POINTS = ("strict", "balanced", "dlib-default")


def operating_point_option(func):  # type: ignore[no-untyped-def]
    return click.option(
        "--operating-point", "operating_point", type=click.Choice(OPERATING_POINTS),
        default="strict", show_default=True,
        help="Face decision threshold: strict = bank (target FMR <= 0.1 %), balanced = target "
             "FMR <= 1 %, dlib-default = 0.6 (reference only). See the README, Face match.")(func)


def render_face(result: FaceResult) -> str:
    """Human-readable lines for a face result (no biometric data)."""
    label = {CheckState.MATCH: _("MATCH"), CheckState.NO_MATCH: _("NO MATCH"),
             CheckState.NOT_PERFORMED: _("NOT PERFORMED")}.get(result.state, result.state.value)
    # quality problems: the advice in the user's language; otherwise the measured reason
    reason = "; ".join(_(q.advice) for q in result.quality) if result.quality else result.reason
    lines = [_("Face: {label} — {reason}").format(label=label, reason=reason)]
    if result.distance is not None:
        lines.append(f"  distance {result.distance:.3f} (match if <= {result.threshold:.2f}, "
                     f"operating point {result.operating_point}), score {result.score:.3f}")
    probe = result.details.get("probe")
    if isinstance(probe, dict) and "frame" in probe:
        lines.append(f"  frame {probe['frame']} of {probe['frames_seen']} from {probe['source']}")
    return "\n".join(lines)


@click.group("face")
def face_group() -> None:
    """Face matching (dlib ResNet embeddings, models from face_recognition_models)."""


@face_group.command("compare")
@click.argument("reference", type=click.Path(exists=True, dir_okay=False))
@click.argument("probe", type=click.Path(exists=True, dir_okay=False))
@operating_point_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@lang_option
@handle_errors
def compare_cmd(reference: str, probe: str, operating_point: str, as_json: bool) -> None:
    """Compare REFERENCE (e.g. the chip portrait) with PROBE (the live photo).

    Exit codes: 0 match, 5 no match, 7 probe or reference unusable (no face, several faces,
    too small, too blurry, too dark).
    """
    from cardkit.biometrics.face import compare_images

    result = compare_images(reference, probe, operating_point=operating_point)
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(render_face(result))
    exit_with(result.exit_code)


@face_group.command("points")
def points_cmd() -> None:
    """List the calibrated operating points with the FMR/FNMR measured at each."""
    from cardkit.biometrics.face import load_calibration

    cal = load_calibration()
    for op in cal.operating_points.values():
        m = op.measured.get("jpeg-photo", {})
        click.echo(f"{op.name:>12}  threshold {op.threshold:.2f}  target FMR "
                   f"{op.target_fmr if op.target_fmr is not None else '-'}  "
                   f"measured FMR {m.get('fmr')} (95% upper {m.get('fmr_upper_95')}) "
                   f"FNMR {m.get('fnmr')}")
        click.echo(f"{'':>14}{op.description}")
