"""`cardkit finger …`: compare two fingerprints, write a minutiae template, capture from a scanner."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cardkit.errors import InputError
from cardkit.results import CheckState

from .common import echo_json, exit_with, handle_errors

if TYPE_CHECKING:  # the finger code (numpy, OpenCV …) is imported by the commands that run it
    from cardkit.biometrics.finger import FingerResult

OPERATING_POINTS = ("strict", "balanced")
POSITION_NAMES = ("right-thumb", "right-index", "right-middle", "right-ring", "right-little",
                  "left-thumb", "left-index", "left-middle", "left-ring", "left-little")


def finger_point_option(func):  # type: ignore[no-untyped-def]
    return click.option(
        "--finger-operating-point", "finger_operating_point", type=click.Choice(OPERATING_POINTS),
        default="strict", show_default=True,
        help="Fingerprint decision threshold: strict = bank (FMR <= 0.1 % measured on the FVC "
             "impostor pairs), balanced = FMR <= 1 %.")(func)


def ppi_option(name: str, help_text: str):  # type: ignore[no-untyped-def]
    return click.option(name, type=click.FloatRange(100, 2000), default=None, help=help_text)


def render_finger(result: FingerResult) -> str:
    label = {CheckState.MATCH: "MATCH", CheckState.NO_MATCH: "NO MATCH",
             CheckState.NOT_PERFORMED: "NOT PERFORMED"}.get(result.state, result.state.value)
    lines = [f"Fingerprint: {label} — {result.reason}"]
    if result.score is not None:
        lines.append(f"  score {result.score:.4f} (match if >= {result.threshold:.4f}, operating "
                     f"point {result.operating_point}); a different finger scores this high "
                     f"about 1 in {10 ** (result.calibrated or 0):,.0f} times")
    mode = result.details.get("mode")
    if mode:
        extra = result.details.get("card_finger")
        lines.append(f"  {mode}" + (f"; compared with the card's {extra}" if extra else "")
                     + (f" (best of {result.details['comparisons']} fingers)"
                        if result.details.get("comparisons") else ""))
    return "\n".join(lines)


@click.group("finger")
def finger_group() -> None:
    """Fingerprints: NIST mindtct minutiae + Minutia Cylinder-Code matching."""


@finger_group.command("compare")
@click.argument("reference", type=click.Path(exists=True, dir_okay=False))
@click.argument("probe", type=click.Path(exists=True, dir_okay=False))
@ppi_option("--reference-ppi", "Resolution of REFERENCE (default: from the file, else 500).")
@ppi_option("--probe-ppi", "Resolution of PROBE (default: from the file, else 500).")
@finger_point_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handle_errors
def compare_cmd(reference: str, probe: str, reference_ppi: float | None,
                probe_ppi: float | None, finger_operating_point: str, as_json: bool) -> None:
    """Compare REFERENCE (e.g. the card's finger) with PROBE (the live finger).

    Images: WSQ, JPEG 2000, JPEG, PNG, TIFF, BMP. Exit codes: 0 match, 5 no match, 7 an image
    is unusable (no finger, too small, no clear ridges, too few minutiae).
    """
    from cardkit.biometrics.finger import compare_images

    result = compare_images(reference, probe, operating_point=finger_operating_point,
                            a_ppi=reference_ppi, b_ppi=probe_ppi)
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(render_finger(result))
    exit_with(result.exit_code)


@finger_group.command("template")
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Template file to write (.iso = ISO/IEC 19794-2:2005, .ansi = ANSI 378).")
@click.option("--format", "fmt", type=click.Choice(["iso", "ansi"]), default=None,
              help="Template format (default: from the --out suffix, else iso).")
@click.option("--position", type=click.Choice(POSITION_NAMES), default=None,
              help="Finger position to record in the template.")
@ppi_option("--ppi", "Resolution of IMAGE (default: from the file, else 500).")
@handle_errors
def template_cmd(image: str, out: Path, fmt: str | None, position: str | None,
                 ppi: float | None) -> None:
    """Extract the minutiae of IMAGE and write them as a standard template (file mode 0600)."""
    from cardkit.biometrics.finger import default_matcher, parse_position
    from cardkit.biometrics.finger.templates import encode_ansi, encode_iso

    fmt = fmt or ("ansi" if out.suffix.lower() in (".ansi", ".378") else "iso")
    prepared = default_matcher().prepare(image, ppi=ppi, position=parse_position(position) or 0)
    if not prepared.usable:
        raise InputError(f"{Path(image).name}: {prepared.quality.advice}")
    data = (encode_ansi if fmt == "ansi" else encode_iso)([prepared.template])
    _write_private(out, data)
    click.echo(f"wrote {out} ({fmt.upper()}, {len(prepared.template)} minutiae, {len(data)} "
               "bytes)")


@finger_group.command("capture")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="PNG file to write (500 ppi, file mode 0600).")
@click.option("--scanner", "scanner_id", default=None,
              help="libfprint device id (default: the first scanner that delivers images).")
@click.option("--timeout", type=float, default=15.0, show_default=True,
              help="Seconds to wait for a finger.")
@handle_errors
def capture_cmd(out: Path, scanner_id: str | None, timeout: float) -> None:
    """Capture one finger from a fingerprint scanner (libfprint) into a PNG file."""
    from cardkit.biometrics.finger.image import to_png
    from cardkit.biometrics.finger.scanner import LibfprintScanner

    with LibfprintScanner(scanner_id) as scanner:
        click.echo(f"Place the finger on {scanner.info.name} …", err=True)
        img = scanner.capture(timeout=timeout)
    _write_private(out, to_png(img))
    click.echo(f"wrote {out} ({img.width}×{img.height}, 500 ppi)")


@finger_group.command("points")
def points_cmd() -> None:
    """List the calibrated operating points with the rates measured at each."""
    from cardkit.biometrics.finger import load_calibration

    cal = load_calibration()
    for op in cal.operating_points.values():
        m = op.measured
        click.echo(f"{op.name:>9}  threshold {op.threshold:.4f}  target FMR {op.target_fmr}  "
                   f"measured FMR {m.get('fmr')} ({m.get('impostor_pairs')} impostor pairs)  "
                   f"FNMR {m.get('fnmr')} ({m.get('genuine_pairs')} genuine pairs)")
        click.echo(f"{'':>11}{op.description}")


def _write_private(path: Path, data: bytes) -> None:
    """Biometric data: the file is created 0600."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(path, 0o600)
    except OSError as exc:
        raise InputError(f"Cannot write {path}: {exc.strerror}") from None


# -- shared by `verify` and `inspect` --------------------------------------------------------------


def finger_options(func):  # type: ignore[no-untyped-def]
    """--finger IMAGE | --fingerprint-scanner [ID], --finger-position, --best-finger."""
    for option in reversed([
        click.option("--finger", "finger_image", type=click.Path(exists=True, dir_okay=False),
                     help="Live fingerprint image (WSQ, PNG, TIFF, BMP, JPEG 2000) to match "
                          "against the card's fingers (DG3)."),
        click.option("--fingerprint-scanner", "fingerprint_scanner", is_flag=False,
                     flag_value="", default=None, metavar="[DEVICE_ID]",
                     help="Capture the live finger from a libfprint scanner (the first one, "
                          "or DEVICE_ID)."),
        click.option("--finger-position", type=click.Choice(POSITION_NAMES),
                     default="right-index", show_default=True,
                     help="The finger the operator scanned; compared with the card's finger "
                          "at that position."),
        click.option("--best-finger", is_flag=True,
                     help="Compare with every finger on the card and keep the best (reported "
                          "as such; the threshold is raised to keep the false-match rate)."),
        click.option("--finger-ppi", type=click.FloatRange(100, 2000), default=None,
                     help="Resolution of the --finger image (default: from the file, else "
                          "500)."),
        finger_point_option,
    ]):
        func = option(func)
    return func


def finger_probe(opts: dict) -> object | None:  # FingerProbe | None
    """The probe from the options (None when no finger source was given); pops the options."""
    image = opts.pop("finger_image", None)
    scanner = opts.pop("fingerprint_scanner", None)
    kw = {"position": opts.pop("finger_position", "right-index"),
          "best_of": bool(opts.pop("best_finger", False)),
          "operating_point": opts.pop("finger_operating_point", None),
          "ppi": opts.pop("finger_ppi", None)}
    if image and scanner is not None:
        raise InputError("give one live finger source: --finger IMAGE or --fingerprint-scanner")
    if not image and scanner is None:
        return None
    from cardkit.biometrics.finger.probe import FingerProbe
    from cardkit.biometrics.finger.scanner import LibfprintScanner

    if image:
        return FingerProbe.from_image(image, **kw)
    if scanner is not None:
        # open the scanner before the card is read: a missing scanner is known first
        return FingerProbe.from_scanner(LibfprintScanner(scanner or None), **kw)
    return None
