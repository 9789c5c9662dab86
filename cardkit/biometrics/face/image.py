"""Image loading and normalisation: bytes / file / array → RGB uint8 (H, W, 3).

Handles EXIF orientation, RGBA/palette/greyscale/16-bit inputs, JPEG 2000 (chip portraits,
ICAO 9303-10 §4.7.2 / ISO 19794-5), and bounds the pixel count: the dimensions are read from the
header (JPEG SOF, PNG IHDR, JP2 ihdr and the codestream's SIZ) before any decoder runs, and the
OpenCV fallback decoder runs only on a JPEG 2000 or PNG whose header was read and is within limits.

Large JPEG probes (a 12-megapixel phone photo) are not decoded in full: `decode_jpeg_scaled`
uses libjpeg's DCT scaling (Pillow draft mode: 1/2, 1/4, 1/8) to decode at about the size the
face detector scans; the embedding later asks for the face at the resolution it needs
(`camera.Probe.face_image`).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ...errors import InputError

MAX_PIXELS = 40_000_000  # bigger than any camera frame or chip portrait; stops decompression bombs
MIN_SIDE = 32
_SWAPS_SIDES = (5, 6, 7, 8)  # EXIF orientations that turn the image by 90°

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


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG, PNG, JP2 or J2K header (the largest one a JP2 declares),
    or None when the header is not one of these or cannot be read. Never decodes pixels."""
    try:
        if data[:2] == b"\xff\xd8":
            return _jpeg_size(data)
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        if data[:4] == b"\xff\x4f\xff\x51" or data[4:8] == b"jP  ":
            return _jpeg2000_size(data)
    except (IndexError, ValueError):
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # SOFn
            h = int.from_bytes(data[pos + 5 : pos + 7], "big")
            w = int.from_bytes(data[pos + 7 : pos + 9], "big")
            return w, h
        if marker == 0xDA or length < 2:  # start of scan before any SOF
            return None
        pos += 2 + length
    return None


def _jpeg2000_size(data: bytes) -> tuple[int, int] | None:
    """Largest of the JP2 ihdr box and every SIZ marker found (OpenJPEG decodes SIZ; a file
    may declare a small ihdr and a huge codestream). ISO/IEC 15444-1 §A.5.1, §I.5.3.1."""
    sizes = []
    i = data.find(b"ihdr")
    if i >= 4:
        sizes.append((int.from_bytes(data[i + 8 : i + 12], "big"),
                      int.from_bytes(data[i + 4 : i + 8], "big")))
    start = 0
    while (j := data.find(b"\xff\x4f\xff\x51", start)) >= 0:
        siz = data[j + 4 :]
        if len(siz) < 38:
            break
        x, y = int.from_bytes(siz[4:8], "big"), int.from_bytes(siz[8:12], "big")
        xo, yo = int.from_bytes(siz[12:16], "big"), int.from_bytes(siz[16:20], "big")
        components = int.from_bytes(siz[36:38], "big")
        sizes.append((max(x - xo, 0) * max(components // 3, 1), max(y - yo, 0)))
        start = j + 4
    if not sizes:
        return None
    return max(sizes, key=lambda wh: wh[0] * wh[1])


def _decode(data: bytes, what: str) -> np.ndarray:
    from PIL import Image, ImageOps

    declared = image_size(data)
    if declared is not None and declared[0] * declared[1] > MAX_PIXELS:
        raise InputError(f"The {what} is too large ({declared[0]}×{declared[1]} pixels "
                         f"declared; at most {MAX_PIXELS // 1_000_000} million)")
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_PIXELS:
                raise InputError(f"The {what} is too large ({im.width}×{im.height} pixels)")
            if im.getexif().get(0x0112, 1) != 1:  # EXIF orientation (copying only when set)
                im = ImageOps.exif_transpose(im)
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                arr = np.asarray(im, dtype=np.float64)
                top = max(float(arr.max()), 1.0)
                return (arr * (255.0 / top)).astype(np.uint8)
            if im.mode in ("RGBA", "LA", "P", "PA"):
                rgba = im.convert("RGBA")
                back = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                return np.asarray(Image.alpha_composite(back, rgba).convert("RGB"))
            if im.mode not in ("L", "RGB"):
                im = im.convert("RGB")
            return np.asarray(im)
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - Pillow failed; try OpenCV (other JPEG 2000 codestreams)
        pass
    if declared is None or data[:2] == b"\xff\xd8":  # unknown size, or a JPEG Pillow refused
        raise InputError(f"The {what} cannot be decoded (JPEG, JPEG 2000 or PNG expected)")
    import cv2

    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if arr is None or not arr.size:
        raise InputError(f"The {what} cannot be decoded (JPEG, JPEG 2000 or PNG expected)")
    return np.ascontiguousarray(arr[:, :, ::-1])


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) after EXIF orientation of a JPEG that draft decoding can reduce (colour
    or greyscale, within MAX_PIXELS); None for anything else."""
    from PIL import Image

    if data[:3] != b"\xff\xd8\xff":
        return None
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format != "JPEG" or im.mode not in ("RGB", "L", "YCbCr"):
                return None
            w, h = im.size
            if w * h > MAX_PIXELS:
                return None
            turned = im.getexif().get(0x0112, 1) in _SWAPS_SIDES
    except Exception:  # noqa: BLE001 - not a JPEG Pillow reads: the full decoder says why
        return None
    return (h, w) if turned else (w, h)


def decode_jpeg_scaled(data: bytes, min_long_side: int, what: str = "image"
                       ) -> tuple[np.ndarray, float]:
    """Decode a JPEG at the smallest DCT scale (1, 1/2, 1/4, 1/8) whose longer side is still
    >= `min_long_side`; returns the RGB array (EXIF orientation applied) and its scale."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as im:
            full_w = im.size[0]
            k = 1
            while k < 8 and max(im.size) / (k * 2) >= min_long_side:
                k *= 2
            if k > 1:
                im.draft("RGB", (-(-im.size[0] // k), -(-im.size[1] // k)))
            scale = im.size[0] / full_w
            if im.getexif().get(0x0112, 1) != 1:
                im = ImageOps.exif_transpose(im)
            arr = np.asarray(im if im.mode in ("RGB", "L") else im.convert("RGB"))
    except Exception:  # noqa: BLE001 - Pillow failed on this JPEG: decode it the usual way
        return load_image(data, what), 1.0
    return as_rgb(arr, what), scale


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
