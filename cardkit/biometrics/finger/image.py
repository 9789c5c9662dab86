"""Fingerprint images in: WSQ, JPEG 2000, JPEG, PNG, TIFF, BMP, raw 8-bit frames → 500 ppi grey.

Every matcher in cardkit works on 500 ppi (19.7 px/mm; the resolution mindtct and the MCC
parameters assume). The resolution comes from the record header (19794-4), the scanner, or the
caller; the image files' own dpi tags are not trusted (FVC TIFFs say 1×1 dpi, many PNGs 72 dpi).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import InputError

STANDARD_PPI = 500.0
MAX_PIXELS = 16_000_000  # a rolled ten-print card at 1000 ppi is ~10 Mpx
MIN_SIDE = 64  # ~3 mm at 500 ppi: nothing smaller holds enough ridges
WSQ_MAGIC = b"\xff\xa0"  # WSQ SOI marker

ImageInput = bytes | bytearray | memoryview | str | Path | np.ndarray


@dataclass(frozen=True)
class FingerImage:
    """A grey fingerprint image at `ppi` (after `to_standard`: 500)."""

    pixels: np.ndarray  # (H, W) uint8, dark ridges on light background
    ppi: float
    source: str = ""

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    def __repr__(self) -> str:  # no biometric data in logs
        return f"FingerImage({self.width}x{self.height} at {self.ppi:g} ppi, {self.source})"


def load_finger_image(source: ImageInput, *, ppi: float | None = None,
                      what: str = "fingerprint image") -> FingerImage:
    """Decode and rescale to 500 ppi. `ppi` is the capture resolution (default: 500, or the
    resolution a WSQ file states). InputError with a one-line reason when not decodable."""
    name = what
    if isinstance(source, np.ndarray):
        grey = as_grey(source, what)
        native = ppi or STANDARD_PPI
    else:
        if isinstance(source, str | Path):
            path = Path(source)
            name = path.name
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise InputError(f"Cannot read {what} file {path.name}: {exc.strerror}") from None
        else:
            data = bytes(source)
        if not data:
            raise InputError(f"The {what} is empty")
        grey, file_ppi = decode(data, what)
        native = ppi or file_ppi or STANDARD_PPI
    if not 100 <= native <= 2000:
        raise InputError(f"The {what} resolution {native:g} ppi is implausible "
                         "(100–2000 expected)")
    return to_standard(FingerImage(grey, float(native), name))


def from_raw(frame: bytes, width: int, height: int, *, ppi: float = STANDARD_PPI,
             what: str = "scanner frame") -> FingerImage:
    """A raw 8-bit grey frame (scanner SDKs, libfprint, 19794-4 'uncompressed')."""
    if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
        raise InputError(f"The {what} size {width}×{height} is not usable")
    if len(frame) != width * height:
        raise InputError(f"The {what} holds {len(frame)} bytes, not {width}×{height}")
    arr = np.frombuffer(bytes(frame), np.uint8).reshape(height, width)
    return to_standard(FingerImage(as_grey(arr, what), float(ppi), what))


def decode(data: bytes, what: str = "fingerprint image") -> tuple[np.ndarray, float | None]:
    """Bytes → (grey uint8, resolution stated by the format or None). WSQ states its ppi;
    TIFF/PNG/JPEG dpi tags are ignored (they rarely tell the sensor's resolution)."""
    from PIL import Image

    file_ppi: float | None = None
    if data[:2] == WSQ_MAGIC:
        try:
            import wsq  # noqa: F401  (registers the WSQ plugin with Pillow)
        except ImportError:
            raise InputError(f"The {what} is WSQ; install the 'wsq' package "
                             "(pip install 'cardkit[finger]')") from None
        file_ppi = _wsq_ppi(data)
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_PIXELS:
                raise InputError(f"The {what} is too large ({im.width}×{im.height} pixels)")
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                arr = np.asarray(im, dtype=np.float64)
                grey = (arr * (255.0 / max(float(arr.max()), 1.0))).astype(np.uint8)
            else:
                grey = np.asarray(im.convert("L"))
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - Pillow could not; OpenCV reads other J2K codestreams
        import cv2

        arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
        if arr is None or not arr.size:
            raise InputError(f"The {what} cannot be decoded (WSQ, JPEG 2000, JPEG, PNG, TIFF "
                             "or BMP expected)") from None
        grey = arr
    return as_grey(grey, what), file_ppi


def _wsq_ppi(data: bytes) -> float | None:
    """The 'PPI' field of a WSQ NISTCOM comment (FBI WSQ spec §3), if present and sane."""
    pos = data.find(b"PPI ")
    if pos < 0:
        return None
    line = data[pos + 4:pos + 16].split(b"\n", 1)[0]
    try:
        value = float(line.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        return None
    return value if 100 <= value <= 2000 else None


def as_grey(arr: np.ndarray, what: str = "fingerprint image") -> np.ndarray:
    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[2] in (3, 4):
        a = a[:, :, :3].mean(axis=2)
    elif a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim != 2:
        raise InputError(f"The {what} is not an image (shape {a.shape})")
    if a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    h, w = a.shape
    if min(h, w) < MIN_SIDE:
        raise InputError(f"The {what} is too small ({w}×{h} pixels)")
    if h * w > MAX_PIXELS:
        raise InputError(f"The {what} is too large ({w}×{h} pixels)")
    return np.ascontiguousarray(a)


def to_standard(img: FingerImage) -> FingerImage:
    """Rescale to 500 ppi (area interpolation down, cubic up)."""
    import cv2

    scale = STANDARD_PPI / img.ppi
    if abs(scale - 1.0) < 0.005:
        return FingerImage(img.pixels, STANDARD_PPI, img.source)
    h, w = img.pixels.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    out = cv2.resize(img.pixels, size, interpolation=interp)
    return FingerImage(np.ascontiguousarray(as_grey(out)), STANDARD_PPI, img.source)


def to_png(img: FingerImage | np.ndarray) -> bytes:
    """Lossless PNG bytes of the pixels (what nbis-py reads)."""
    import cv2

    px = img.pixels if isinstance(img, FingerImage) else img
    ok, buf = cv2.imencode(".png", px)
    if not ok:  # pragma: no cover - OpenCV always encodes a uint8 2-D array
        raise InputError("Cannot encode the fingerprint image")
    return buf.tobytes()
