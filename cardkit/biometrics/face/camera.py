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
from .detect import MAX_WORK_SIDE, FaceBox
from .image import ImageInput, as_rgb, decode_jpeg_scaled, jpeg_size, load_image

DEFAULT_FRAMES = 10
EMBED_FACE_PX = 200  # face width the embedding is computed from (its aligned chip is 150 px)
# A large JPEG probe is decoded at the smallest DCT scale keeping this long side: twice what the
# detector scans, because the sharpness check (Laplacian variance of the 100x100 face crop) drifts
# by up to 15 % when the face comes from a 4x-reduced decode, but by ~2 % from a 2x-reduced one
# (measured on the faces data set, blurred and sharp, at 1920x1080 and 4000x3000).
DRAFT_LONG_SIDE = 2 * MAX_WORK_SIDE
_FACE_MARGIN = 1.0  # region kept around the face for landmarks + embedding, in face widths
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
    encoded: bytes | None = field(default=None, repr=False, compare=False)  # a large JPEG
    scale: float = 1.0  # of `image` relative to the encoded image's full size

    @classmethod
    def from_image(cls, source: ImageInput) -> Probe:
        """A still image: path, encoded bytes, or an RGB array. A large JPEG is decoded at about
        the detector's working size (DCT scaling); see `face_image`."""
        label = Path(source).name if isinstance(source, str | Path) else "image"
        data: bytes | None = None
        if isinstance(source, str | Path):
            try:
                data = Path(source).read_bytes()
            except OSError:
                data = None  # load_image says why
        elif isinstance(source, bytes | bytearray | memoryview):
            data = bytes(source)
        size = jpeg_size(data) if data else None
        if data is not None and size is not None and max(size) >= 2 * DRAFT_LONG_SIDE:
            rgb, scale = decode_jpeg_scaled(data, DRAFT_LONG_SIDE, "photo")
            if scale < 1.0:
                return cls(ProbeKind.IMAGE, label, image=rgb, encoded=data, scale=scale)
        return cls(ProbeKind.IMAGE, label, image=load_image(data if data is not None else source,
                                                            "photo"))

    def face_image(self, rgb: np.ndarray, face: FaceBox) -> tuple[np.ndarray, FaceBox]:
        """The image and face box to compute the embedding from. For a large JPEG decoded at a
        reduced scale, only the region around the face is kept (landmarks and embedding need no
        more, and dlib copies what it is given); when the face is narrower than EMBED_FACE_PX
        there, the JPEG is first decoded again at the smallest scale where it is that wide."""
        if self.encoded is None or self.scale >= 1.0:
            return rgb, face
        big, f = rgb, 1.0
        if face.width < EMBED_FACE_PX:
            full_long = max(rgb.shape[:2]) / self.scale
            full_face = face.width / self.scale
            again, scale = decode_jpeg_scaled(
                self.encoded, int(full_long * EMBED_FACE_PX / full_face) + 1, "photo")
            if scale > self.scale:
                big, f = again, scale / self.scale
        h, w = big.shape[:2]
        left, top = int(face.left * f), int(face.top * f)
        right, bottom = min(w, int(round(face.right * f))), min(h, int(round(face.bottom * f)))
        mx, my = int((right - left) * _FACE_MARGIN), int((bottom - top) * _FACE_MARGIN)
        x0, y0 = max(0, left - mx), max(0, top - my)
        region = np.ascontiguousarray(big[y0:min(h, bottom + my), x0:min(w, right + mx)])
        return region, FaceBox(left - x0, top - y0, right - x0, bottom - y0, face.score,
                               face.pose)

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
            raise InputError(f"Video file not found: {p}")
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
            raise BiometricError(f"{probe.label.capitalize()} cannot be opened — check it is "
                                 "connected and not used by another program")
        got = 0
        for n in range(probe.warmup + probe.frames):
            ok, frame = cap.read()
            if not ok:
                break
            if n >= probe.warmup:
                got += 1
                yield n, _to_rgb(frame)
        if got == 0:
            raise BiometricError(f"{probe.label.capitalize()} gives no picture — check the "
                                 "cable and the lens cover")
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
