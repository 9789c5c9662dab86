"""What the face and fingerprint matches share: reading a calibration file, and a result's
decision (`ok`; exit code 0 match, 5 no match, 7 not performed)."""

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


class BiometricOutcome:
    """The decision part of a face or fingerprint result: `state` is set by the dataclass that
    inherits this (match, no_match, or not performed/unverifiable)."""

    state: CheckState

    @property
    def ok(self) -> bool:
        return self.state is CheckState.MATCH

    @property
    def exit_code(self) -> ExitCode:
        """0 match, 5 no match, 7 not performed (capture, probe or reference unusable)."""
        if self.state is CheckState.MATCH:
            return ExitCode.OK
        if self.state is CheckState.NO_MATCH:
            return ExitCode.FACE_MISMATCH  # 5: "the biometric does not match"
        return ExitCode.BIOMETRIC_UNUSABLE
