"""Synthetic cartoon portraits for the virtual card's DG2 (deterministic from a seed).

No real person: an OpenCV drawing (head, hair, eyes, brows, nose, mouth, shirt) on a textured
background, with seeded noise so the JPEG has the size of a real chip portrait (~15 KB).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

WIDTH, HEIGHT = 240, 320


def draw_face(seed: int, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """A BGR uint8 image of a cartoon face; the same seed always gives the same pixels."""
    rng = np.random.default_rng(seed)
    sx, sy = width / WIDTH, height / HEIGHT

    def p(x: float, y: float) -> tuple[int, int]:
        return int(round(x * sx)), int(round(y * sy))

    def s(v: float) -> int:
        return max(1, int(round(v * min(sx, sy))))

    bg = np.array(rng.integers(170, 235, 3), dtype=np.float32)
    grad = np.linspace(0.85, 1.05, height, dtype=np.float32)[:, None, None]
    img = np.clip(bg[None, None, :] * grad + rng.normal(0, 6, (height, width, 3)), 0, 255)
    img = img.astype(np.uint8)
    skin = tuple(int(v) for v in (rng.integers(120, 190), rng.integers(150, 205),
                                   rng.integers(190, 235)))
    hair = tuple(int(v) for v in rng.integers(10, 60, 3))
    shirt = tuple(int(v) for v in rng.integers(40, 200, 3))
    cx, cy = 120 + rng.integers(-6, 7), 150 + rng.integers(-6, 7)
    fw, fh = int(rng.integers(62, 74)), int(rng.integers(82, 94))
    cv2.ellipse(img, p(120, 330), (s(115), s(80)), 0, 180, 360, shirt, -1, cv2.LINE_AA)
    cv2.rectangle(img, p(cx - 22, cy + fh - 20), p(cx + 22, cy + fh + 25), skin, -1)
    cv2.ellipse(img, p(cx, cy - 10), (s(fw + 8), s(fh - 5)), 0, 180, 360, hair, -1, cv2.LINE_AA)
    cv2.ellipse(img, p(cx, cy), (s(fw), s(fh)), 0, 0, 360, skin, -1, cv2.LINE_AA)
    cv2.ellipse(img, p(cx - fw, cy + 5), (s(9), s(16)), 0, 0, 360, skin, -1, cv2.LINE_AA)
    cv2.ellipse(img, p(cx + fw, cy + 5), (s(9), s(16)), 0, 0, 360, skin, -1, cv2.LINE_AA)
    fringe = int(rng.integers(-20, 21))
    cv2.ellipse(img, p(cx + fringe // 2, cy - fh + 18), (s(fw - 4), s(30)), 0, 180, 360, hair, -1,
                cv2.LINE_AA)
    eye_dx, eye_y = int(rng.integers(24, 32)), cy - int(rng.integers(5, 15))
    iris = tuple(int(v) for v in rng.integers(20, 90, 3))
    for side in (-1, 1):
        ex = cx + side * eye_dx
        cv2.ellipse(img, p(ex, eye_y), (s(13), s(7)), 0, 0, 360, (245, 245, 245), -1, cv2.LINE_AA)
        cv2.circle(img, p(ex, eye_y), s(5), iris, -1, cv2.LINE_AA)
        cv2.circle(img, p(ex, eye_y), s(2), (10, 10, 10), -1, cv2.LINE_AA)
        cv2.ellipse(img, p(ex, eye_y), (s(13), s(7)), 0, 0, 360, (60, 50, 40), 1, cv2.LINE_AA)
        brow_tilt = int(rng.integers(-8, 9))
        cv2.ellipse(img, p(ex, eye_y - 14), (s(15), s(5)), side * brow_tilt, 190, 350, hair,
                    s(3), cv2.LINE_AA)
    nose = [p(cx, eye_y + 8), p(cx - 8, cy + 28), p(cx + 6, cy + 30)]
    cv2.polylines(img, [np.array(nose, np.int32)], False, tuple(int(v * 0.8) for v in skin), s(2),
                  cv2.LINE_AA)
    mouth_w, smile = int(rng.integers(18, 28)), int(rng.integers(4, 14))
    cv2.ellipse(img, p(cx, cy + 50), (s(mouth_w), s(smile)), 0, 10, 170, (60, 60, 150), s(3),
                cv2.LINE_AA)
    shade = rng.normal(0, 4, (height, width, 1))
    return np.clip(img.astype(np.float32) + shade, 0, 255).astype(np.uint8)


@lru_cache(maxsize=64)
def portrait_jpeg(seed: int, target_bytes: int = 15000) -> bytes:
    """The face as a JPEG close to `target_bytes` (the largest quality not above it)."""
    img = draw_face(seed)
    best = b""
    lo, hi = 10, 98
    while lo <= hi:
        q = (lo + hi) // 2
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
        data = buf.tobytes()
        if len(data) <= target_bytes:
            best, lo = data, q + 1
        else:
            hi = q - 1
    if not best:
        best = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 10])[1].tobytes()
    return best


@lru_cache(maxsize=64)
def portrait_jp2(seed: int, ratio_x1000: int = 40) -> bytes:
    """The face as JPEG 2000 (JP2 container), compression level 1000/`ratio_x1000`... per
    OpenCV's IMWRITE_JPEG2000_COMPRESSION_X1000 (lower = smaller)."""
    img = draw_face(seed)
    ok, buf = cv2.imencode(".jp2", img, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, ratio_x1000])
    if not ok:
        raise RuntimeError("OpenCV cannot write JPEG 2000 here")
    return buf.tobytes()
