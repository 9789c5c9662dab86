"""What the face and fingerprint matches share: reading a calibration file and the exit code of a
biometric decision (0 match, 5 no match, 7 not performed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ExitCode, InputError
from ..results import CheckState


def read_calibration_json(path: str | Path, what: str) -> dict[str, Any]:
    """The JSON object in a calibration file; `what` names the modality in the error."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"Cannot read {what} calibration {path}: {exc}") from None


def biometric_exit_code(state: CheckState) -> ExitCode:
    """0 match, 5 no match, 7 not performed (capture, probe or reference unusable)."""
    if state is CheckState.MATCH:
        return ExitCode.OK
    if state is CheckState.NO_MATCH:
        return ExitCode.FACE_MISMATCH  # 5: "the biometric does not match"
    return ExitCode.BIOMETRIC_UNUSABLE
