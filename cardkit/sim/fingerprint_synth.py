"""Synthetic fingerprints for the virtual card — no real person's prints (SFinGe-style).

Method (after Cappelli, Maio, Maltoni, "SFinGe", in Maltoni et al., Handbook of Fingerprint
Recognition, ch. 6):

1. **Master fingerprint** of (identity, finger), deterministic from a seed:
   - class (left loop, right loop, whorl, tented arch, plain arch) and singular points;
   - orientation field from the Sherlock–Monro zero-pole model:
     θ(z) = θ∞ + ½ [Σ arg(z − delta_k) − Σ arg(z − core_k)], plus a gentle arch term;
   - ridge frequency map around 1/9 cycles per pixel (500 ppi), slowly varying;
   - ridge growth: start from sparse random seeds and apply, 12 times, a Gabor filter tuned to
     the local orientation and frequency (a bank of 16 orientations; each pixel takes the answer
     of its orientation), clipping after each pass — ridges grow from the seeds and fill the
     print, minutiae appear where growing ridges meet.
2. **Impression N** of that finger (a "live" capture): the master under a random rigid
   displacement (±24 px) and rotation (±14°), a smooth elastic distortion (up to ~4 px, as skin
   stretches on the platen), a contact region that moves with the finger, pressure (ridge
   thickness: dry/thin … wet/thick by shifting the binarization level), and noise (grain,
   blotches, a slight blur). Impression 0 is the clean enrolment image stored in the chip's DG3.

`impression(identity, finger, n)` → 8-bit grey image (numpy, 400 × 320 = 20 × 16 mm at 500 ppi),
< 0.2 s on one core. `persona_impression(persona, "right-index", n)` uses the persona's holder ID
as identity, so every persona of the same holder has the same fingers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

WIDTH, HEIGHT = 320, 400
RESOLUTION_PPI = 500
N_ORIENTATIONS = 16
GROWTH_PASSES = 12

FINGERS = {  # ISO/IEC 19794-4 finger position codes
    "right-thumb": 1, "right-index": 2, "right-middle": 3, "right-ring": 4, "right-little": 5,
    "left-thumb": 6, "left-index": 7, "left-middle": 8, "left-ring": 9, "left-little": 10,
}
CLASSES = ("left_loop", "right_loop", "whorl", "tented_arch", "arch")


def finger_code(finger: int | str) -> int:
    if isinstance(finger, int) and 1 <= finger <= 10:
        return finger
    code = FINGERS.get(str(finger).lower().replace("_", "-").replace(" ", "-"))
    if code is None:
        raise ValueError(f"unknown finger {finger!r}; one of {', '.join(FINGERS)}")
    return code


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("/".join(map(str, ("cardkit-finger", *parts))).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True)
class MasterFinger:
    """The master print: ridge field in [-1, 1] (ridges positive) and how it was made."""

    identity: str
    finger: int
    pattern: str
    ridges: np.ndarray  # float32 HEIGHT × WIDTH

    def __repr__(self) -> str:
        return f"MasterFinger({self.finger}, {self.pattern})"


def _orientation(rng: np.random.Generator, pattern: str) -> np.ndarray:
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64)
    z = xx + 1j * yy
    jitter = lambda s: rng.normal(0, s)  # noqa: E731
    cx, cy = WIDTH * (0.5 + jitter(0.04)), HEIGHT * (0.42 + jitter(0.04))
    cores: list[complex] = []
    deltas: list[complex] = []
    if pattern == "left_loop":
        cores = [complex(cx - 15, cy)]
        deltas = [complex(cx + WIDTH * 0.3, cy + HEIGHT * 0.33)]
    elif pattern == "right_loop":
        cores = [complex(cx + 15, cy)]
        deltas = [complex(cx - WIDTH * 0.3, cy + HEIGHT * 0.33)]
    elif pattern == "whorl":
        cores = [complex(cx - 10, cy - 14), complex(cx + 10, cy + 14)]
        deltas = [complex(cx - WIDTH * 0.36, cy + HEIGHT * 0.36),
                  complex(cx + WIDTH * 0.36, cy + HEIGHT * 0.36)]
    elif pattern == "tented_arch":
        cores = [complex(cx, cy)]
        deltas = [complex(cx + jitter(4), cy + HEIGHT * 0.12)]
    theta = np.zeros_like(xx)
    for d in deltas:
        theta += 0.5 * np.angle(z - d)
    for c in cores:
        theta -= 0.5 * np.angle(z - c)
    # arch component: ridges bow over the finger (strongest near the top)
    bow = 0.6 * np.tanh((xx - cx) / (WIDTH * 0.25)) * np.exp(-((yy - cy * 0.7) / HEIGHT) ** 2)
    if pattern == "arch":
        theta = bow
    else:
        theta += 0.25 * bow
    return np.mod(theta, np.pi).astype(np.float32)


def _gabor_bank(freq: float) -> list[np.ndarray]:
    sigma = 0.5 / freq
    half = int(np.ceil(2.2 * sigma))
    yy, xx = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float32)
    bank = []
    for k in range(N_ORIENTATIONS):
        phi = np.pi * k / N_ORIENTATIONS + np.pi / 2  # wave across the ridge direction
        xr = xx * np.cos(phi) + yy * np.sin(phi)
        g = np.exp(-(xx ** 2 + yy ** 2) / (2 * sigma ** 2)) * np.cos(2 * np.pi * freq * xr)
        g -= g.mean()
        bank.append((g / np.abs(g).sum()).astype(np.float32))
    return bank


@lru_cache(maxsize=64)
def master_fingerprint(identity: str, finger: int | str) -> MasterFinger:
    """The master print of `finger` of the holder `identity` (e.g. the 12-digit ID)."""
    code = finger_code(finger)
    rng = _rng(identity, code, "master")
    pattern = CLASSES[int(rng.choice(len(CLASSES), p=[0.32, 0.32, 0.26, 0.05, 0.05]))]
    theta = _orientation(rng, pattern)
    freq = 1 / rng.uniform(8.3, 9.8)
    bins = np.round(theta / np.pi * N_ORIENTATIONS).astype(np.int32) % N_ORIENTATIONS
    bank = _gabor_bank(freq)
    img = np.zeros((HEIGHT, WIDTH), np.float32)
    seeds = rng.random((HEIGHT, WIDTH)) < 0.004
    img[seeds] = rng.choice([-1.0, 1.0], size=int(seeds.sum())).astype(np.float32)
    for _ in range(GROWTH_PASSES):
        out = np.empty_like(img)
        for k, kernel in enumerate(bank):
            resp = cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_REFLECT)
            sel = bins == k
            out[sel] = resp[sel]
        img = np.clip(out * 12.0, -1.0, 1.0)
    return MasterFinger(identity, code, pattern, img)


def _contact_mask(rng: np.random.Generator, dx: float, dy: float) -> np.ndarray:
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    cx, cy = WIDTH / 2 + dx, HEIGHT * 0.48 + dy
    ax, ay = WIDTH * rng.uniform(0.38, 0.46), HEIGHT * rng.uniform(0.42, 0.5)
    r = ((xx - cx) / ax) ** 2 + ((yy - cy) / ay) ** 2
    return np.clip((1.0 - r) * 6.0, 0.0, 1.0)


def impression(identity: str, finger: int | str, n: int = 0) -> np.ndarray:
    """Impression `n` (0 = clean enrolment image) of a finger: uint8 HEIGHT × WIDTH, dark ridges."""
    if n < 0:
        raise ValueError("impression number must be >= 0")
    master = master_fingerprint(identity, finger)
    rng = _rng(identity, master.finger, "impression", n)
    if n == 0:
        dx = dy = angle = 0.0
        amp, pressure, noise = 0.0, 0.0, 0.02
    else:
        dx, dy = rng.uniform(-24, 24, 2)
        angle = rng.uniform(-14, 14)
        amp = rng.uniform(1.5, 4.0)
        pressure = rng.uniform(-0.35, 0.35)  # < 0 dry (thin ridges), > 0 wet (thick ridges)
        noise = rng.uniform(0.05, 0.14)
    # geometry: rotation about the centre + translation + smooth elastic field
    rot = cv2.getRotationMatrix2D((WIDTH / 2, HEIGHT / 2), angle, 1.0)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    inv = cv2.invertAffineTransform(rot)
    map_x = inv[0, 0] * (xx - dx) + inv[0, 1] * (yy - dy) + inv[0, 2]
    map_y = inv[1, 0] * (xx - dx) + inv[1, 1] * (yy - dy) + inv[1, 2]
    if amp:
        field = rng.normal(0, 1, (2, HEIGHT // 40 + 2, WIDTH // 40 + 2)).astype(np.float32)
        ex = cv2.resize(field[0], (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC) * amp
        ey = cv2.resize(field[1], (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC) * amp
        map_x, map_y = map_x + ex, map_y + ey
    ridges = cv2.remap(master.ridges, map_x.astype(np.float32), map_y.astype(np.float32),
                       cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0)
    ink = 1.0 / (1.0 + np.exp(-(ridges + pressure) * 5.0))  # pressure shifts ridge width
    mask = _contact_mask(rng, dx, dy)
    if n:
        blotch = cv2.resize(rng.random((8, 6)).astype(np.float32), (WIDTH, HEIGHT),
                            interpolation=cv2.INTER_CUBIC)
        ink *= np.clip(0.55 + blotch, 0.0, 1.0)
    ink = ink * mask + rng.normal(0, noise, ink.shape).astype(np.float32)
    if n:
        ink = cv2.GaussianBlur(ink, (3, 3), 0.6)
    return np.clip(255.0 * (1.0 - 0.88 * ink), 0, 255).astype(np.uint8)


def impression_png(identity: str, finger: int | str, n: int = 0) -> bytes:
    ok, buf = cv2.imencode(".png", impression(identity, finger, n))
    assert ok
    return buf.tobytes()


def persona_identity(persona) -> str:
    """The identity whose fingers a persona's holder has (the 12-digit ID number)."""
    return persona.holder.id_number


def persona_impression(persona, finger: int | str, n: int = 0) -> np.ndarray:
    return impression(persona_identity(persona), finger, n)


__all__ = ["FINGERS", "HEIGHT", "MasterFinger", "RESOLUTION_PPI", "WIDTH", "finger_code",
           "impression", "impression_png", "master_fingerprint", "persona_identity",
           "persona_impression"]
