"""Chip-like portraits (ICAO 9303-10 §4.7.2, ISO 19794-5 token geometry, 3:4) from a photo.

Used for calibration, tests and benchmarks: a photo of a person becomes the small, compressed
JPEG / JPEG 2000 a chip's DG2 holds, so the matcher is judged on what a card really stores.
"""

from __future__ import annotations

import numpy as np

from .detect import FaceBox

PORTRAIT_W, PORTRAIT_H = 240, 320


def crop_portrait(rgb: np.ndarray, face: FaceBox, width: int = PORTRAIT_W,
                  height: int = PORTRAIT_H) -> np.ndarray:
    """Head-and-shoulders crop around `face`, resized to width×height (edges replicated)."""
    import cv2

    cw = 1.9 * face.width
    ch = cw * height / width
    cx = (face.left + face.right) / 2
    cy = (face.top + face.bottom) / 2
    x0, y0 = int(round(cx - cw / 2)), int(round(cy - 0.52 * ch))
    x1, y1 = int(round(x0 + cw)), int(round(y0 + ch))
    h, w = rgb.shape[:2]
    pad = max(0, -x0, -y0, x1 - w, y1 - h)
    if pad:
        rgb = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x0, y0, x1, y1 = x0 + pad, y0 + pad, x1 + pad, y1 + pad
    crop = rgb[y0:y1, x0:x1]
    return np.ascontiguousarray(cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA))


def encode_portrait(rgb: np.ndarray, fmt: str = "jpeg", target_bytes: int = 12000) -> bytes:
    """Encode as JPEG or JPEG 2000 (JP2), the best quality not above `target_bytes`."""
    import cv2

    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    if fmt == "jpeg":
        ext, param, lo, hi = ".jpg", cv2.IMWRITE_JPEG_QUALITY, 5, 98
    elif fmt == "jp2":
        ext, param, lo, hi = ".jp2", cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 1, 1000
    else:
        raise ValueError("fmt must be 'jpeg' or 'jp2'")
    best = b""
    while lo <= hi:
        q = (lo + hi) // 2
        ok, buf = cv2.imencode(ext, bgr, [param, q])
        if not ok:
            raise RuntimeError(f"OpenCV cannot write {fmt} here")
        if len(buf) <= target_bytes:
            best, lo = buf.tobytes(), q + 1
        else:
            hi = q - 1
    if not best:
        best = cv2.imencode(ext, bgr, [param, 1 if fmt == "jp2" else 5])[1].tobytes()
    return best
