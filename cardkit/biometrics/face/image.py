"""Image loading and normalisation: bytes / file / array → RGB uint8 (H, W, 3).

Handles EXIF orientation, RGBA/palette/greyscale/16-bit inputs, JPEG 2000 (chip portraits,
ICAO 9303-10 §4.7.2 / ISO 19794-5), and bounds the pixel count.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ...errors import InputError

MAX_PIXELS = 40_000_000  # bigger than any camera frame or chip portrait; stops decompression bombs
MIN_SIDE = 32

ImageInput = bytes | bytearray | memoryview | str | Path | np.ndarray


def load_image(source: ImageInput, what: str = "image") -> np.ndarray:
    """Decode `source` to an RGB uint8 array. InputError with a one-line reason if impossible."""
    if isinstance(source, np.ndarray):
        return as_rgb(source, what)
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"Cannot read {what} file {path.name}: {exc.strerror}") from None
    else:
        data = bytes(source)
    if not data:
        raise InputError(f"The {what} is empty")
    return as_rgb(_decode(data, what), what)


def _decode(data: bytes, what: str) -> np.ndarray:
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_PIXELS:
                raise InputError(f"The {what} is too large ({im.width}×{im.height} pixels)")
            im = ImageOps.exif_transpose(im)
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                arr = np.asarray(im, dtype=np.float64)
                top = max(float(arr.max()), 1.0)
                return (arr * (255.0 / top)).astype(np.uint8)
            if im.mode in ("RGBA", "LA", "P", "PA"):
                rgba = im.convert("RGBA")
                back = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                return np.asarray(Image.alpha_composite(back, rgba).convert("RGB"))
            return np.asarray(im.convert("L" if im.mode == "L" else "RGB"))
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - Pillow failed; try OpenCV (other JPEG 2000 codestreams)
        pass
    import cv2

    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if arr is None or not arr.size:
        raise InputError(f"The {what} cannot be decoded (JPEG, JPEG 2000 or PNG expected)")
    return np.ascontiguousarray(arr[:, :, ::-1])


def as_rgb(arr: np.ndarray, what: str = "image") -> np.ndarray:
    """Any 2-D / 3-D uint8-compatible array → contiguous RGB uint8 (H, W, 3)."""
    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 2:
        a = np.stack([a, a, a], axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise InputError(f"The {what} is not an image (shape {a.shape})")
    a = a[:, :, :3]
    if a.dtype != np.uint8:
        if np.issubdtype(a.dtype, np.floating) and float(a.max(initial=0)) <= 1.0:
            a = a * 255.0
        a = np.clip(a, 0, 255).astype(np.uint8)
    h, w = a.shape[:2]
    if min(h, w) < MIN_SIDE:
        raise InputError(f"The {what} is too small ({w}×{h} pixels)")
    if h * w > MAX_PIXELS:
        raise InputError(f"The {what} is too large ({w}×{h} pixels)")
    return np.ascontiguousarray(a)


def is_greyscale(rgb: np.ndarray, tolerance: float = 3.0) -> bool:
    """True when the three channels are (nearly) equal: a greyscale portrait stored as RGB."""
    small = rgb[:: max(1, rgb.shape[0] // 64), :: max(1, rgb.shape[1] // 64)].astype(np.int16)
    spread = np.abs(small[:, :, 0] - small[:, :, 1]) + np.abs(small[:, :, 1] - small[:, :, 2])
    return float(spread.mean()) <= tolerance


def to_grey_rgb(rgb: np.ndarray) -> np.ndarray:
    """RGB → luminance replicated in 3 channels (so both sides of a comparison look alike)."""
    import cv2

    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(np.stack([g, g, g], axis=2))


def resize(rgb: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    if abs(scale - 1.0) < 1e-6:
        return rgb
    h, w = rgb.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(rgb, size, interpolation=interp))
