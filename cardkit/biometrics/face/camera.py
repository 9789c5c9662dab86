"""Live probes: an image file, a camera (OpenCV VideoCapture) or a video file.

From a camera or a video a few frames are grabbed; the matcher keeps the sharpest frame with
exactly one usable face (see FaceMatcher.select_frame).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import numpy as np

from ...errors import BiometricError, InputError
from ...i18n import N_
from .image import ImageInput, as_rgb, load_image

DEFAULT_FRAMES = 10
CAMERA_WARMUP = 5  # frames dropped while the camera settles exposure
MAX_FRAMES = 300


class ProbeKind(str, Enum):
    IMAGE = "image"
    CAMERA = "camera"
    VIDEO = "video"


@dataclass(frozen=True)
class Probe:
    """Where the live face comes from. Build with `from_image`, `from_camera`, `from_video`."""

    kind: ProbeKind
    label: str  # for reports: file name or camera index/device (never image data)
    image: np.ndarray | None = field(default=None, repr=False, compare=False)
    path: str | None = None
    device: int | str | None = None
    frames: int = DEFAULT_FRAMES
    warmup: int = CAMERA_WARMUP

    @classmethod
    def from_image(cls, source: ImageInput) -> Probe:
        """A still image: path, encoded bytes, or an RGB array."""
        label = Path(source).name if isinstance(source, str | Path) else "image"
        return cls(ProbeKind.IMAGE, label, image=load_image(source, "photo"))

    @classmethod
    def from_camera(cls, device: int | str = 0, frames: int = DEFAULT_FRAMES,
                    warmup: int = CAMERA_WARMUP) -> Probe:
        """A camera by index (0, 1 ...) or device path (/dev/video0)."""
        if isinstance(device, str) and device.isdigit():
            device = int(device)
        return cls(ProbeKind.CAMERA, f"camera {device}", device=device,
                   frames=_bounded(frames), warmup=max(0, warmup))

    @classmethod
    def from_video(cls, path: str | Path, frames: int = DEFAULT_FRAMES) -> Probe:
        """A video file (camera substitute): `frames` frames spread over the whole video."""
        p = Path(path)
        if not p.is_file():
            raise InputError(N_("Video file not found: {file}"), file=str(p))
        return cls(ProbeKind.VIDEO, p.name, path=str(p), frames=_bounded(frames))

    def iter_frames(self) -> Iterator[tuple[int, np.ndarray]]:
        """(frame number, RGB frame) pairs."""
        if self.kind is ProbeKind.IMAGE:
            assert self.image is not None
            yield 0, self.image
        elif self.kind is ProbeKind.CAMERA:
            yield from _camera_frames(self)
        else:
            yield from _video_frames(self)

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind.value, "source": self.label}


def _bounded(frames: int) -> int:
    if not 1 <= frames <= MAX_FRAMES:
        raise InputError(f"Number of frames must be between 1 and {MAX_FRAMES}")
    return frames


def _to_rgb(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 3 and frame.shape[2] >= 3:
        frame = frame[:, :, 2::-1]  # OpenCV gives BGR
    return as_rgb(frame, "camera frame")


def _camera_frames(probe: Probe) -> Iterator[tuple[int, np.ndarray]]:
    import cv2

    cap = cv2.VideoCapture(probe.device)
    try:
        if not cap.isOpened():
            raise BiometricError(N_("Camera {device} cannot be opened — check it is connected "
                                    "and not used by another program"), device=probe.device)
        got = 0
        for n in range(probe.warmup + probe.frames):
            ok, frame = cap.read()
            if not ok:
                break
            if n >= probe.warmup:
                got += 1
                yield n, _to_rgb(frame)
        if got == 0:
            raise BiometricError(N_("Camera {device} gives no picture — check the cable and the "
                                    "lens cover"), device=probe.device)
    finally:
        cap.release()


def _video_frames(probe: Probe) -> Iterator[tuple[int, np.ndarray]]:
    import cv2

    cap = cv2.VideoCapture(str(probe.path))
    try:
        if not cap.isOpened():
            raise InputError(f"Video file {probe.label} cannot be opened (MJPG/AVI, MP4 ...)")
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        if total > 0:
            wanted = set(np.linspace(0, total - 1, min(probe.frames, total)).round().astype(int))
        else:
            wanted = set(range(probe.frames))
        n, got = 0, 0
        while got < len(wanted) and n < max(total, probe.frames) + 1:
            ok, frame = cap.read()
            if not ok:
                break
            if n in wanted:
                got += 1
                yield n, _to_rgb(frame)
            n += 1
        if got == 0:
            raise InputError(f"Video file {probe.label} has no readable frame")
    finally:
        cap.release()
