"""Decode the finger images of DG3 (ISO/IEC 19794-4 records) into pixels, and write them out.

Compression (19794-4 §8.2.14): WSQ (the `wsq` package: NIST NBIS as a Pillow plugin), JPEG,
JPEG 2000 and PNG (Pillow), uncompressed 8-bit grey. Each decoded image is checked against its
record header: a size that differs from the header's line lengths is reported, not hidden.
`write_fingers(folder, dg3)` writes `finger-<n>-<position>.png` + `fingers.json` (0600).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..errors import BiometricError
from ..lds.dg3 import Dg3
from ..lds.finger_image import Compression, FingerImageRecord, FingerView
from ..private_files import private_dir, write_private

MAX_PIXELS = 4096 * 4096
IMPRESSIONS = {0: "live-scan plain", 1: "live-scan rolled", 2: "non-live-scan plain",
               3: "non-live-scan rolled", 8: "swipe", 9: "live-scan contactless"}


@dataclass(frozen=True)
class DecodedFinger:
    view: FingerView
    record: FingerImageRecord
    image: np.ndarray  # uint8 grey, height × width

    @property
    def size_matches_header(self) -> bool:
        return self.image.shape == (self.view.height, self.view.width)

    def describe(self) -> dict[str, Any]:
        r = self.record
        unit = "ppi" if r.scale_units == 1 else "ppcm"
        return {
            "finger": self.view.finger, "position": self.view.position,
            "view": self.view.view_number, "quality": self.view.quality,
            "impression": IMPRESSIONS.get(self.view.impression_type,
                                          f"code {self.view.impression_type}"),
            "compression": r.compression_name,
            "width": self.view.width, "height": self.view.height,
            "decoded_width": int(self.image.shape[1]), "decoded_height": int(self.image.shape[0]),
            "size_matches_header": self.size_matches_header,
            "resolution": f"{r.image_resolution[0]}x{r.image_resolution[1]} {unit}",
            "scan_resolution": f"{r.scan_resolution[0]}x{r.scan_resolution[1]} {unit}",
            "bytes": len(self.view.image_bytes),
        }


def decode_view(view: FingerView, record: FingerImageRecord) -> DecodedFinger:
    """Pixels of one finger image; BiometricError when the bytes are not the stated format."""
    if view.width * view.height > MAX_PIXELS:
        raise BiometricError(f"{view.finger}: {view.width}x{view.height} is too large")
    c = record.compression
    data = view.image_bytes
    try:
        if c == Compression.UNCOMPRESSED:
            if record.pixel_depth != 8 or len(data) != view.width * view.height:
                raise BiometricError(f"{view.finger}: uncompressed image is not "
                                     f"{view.width}x{view.height} 8-bit grey")
            img = np.frombuffer(data, np.uint8).reshape(view.height, view.width)
            return DecodedFinger(view, record, img.copy())
        if c == Compression.WSQ:
            import wsq  # noqa: F401  (registers the WSQ decoder with Pillow)
        elif c not in (Compression.JPEG, Compression.JPEG2000, Compression.PNG):
            raise BiometricError(f"{view.finger}: compression {record.compression_name} "
                                 "cannot be decoded")
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_PIXELS:
                raise BiometricError(f"{view.finger}: decoded image is too large")
            img = np.asarray(im.convert("L"))
    except BiometricError:
        raise
    except Exception as exc:  # decoders raise many types for corrupt data
        raise BiometricError(f"{view.finger}: the {record.compression_name} image cannot be "
                             f"decoded ({type(exc).__name__})") from None
    return DecodedFinger(view, record, img)


def decode_dg3(dg3: Dg3) -> list[DecodedFinger]:
    return [decode_view(v, r) for r in dg3.records for v in r.views]


def write_fingers(folder: str | Path, dg3: Dg3) -> list[Path]:
    """Write every finger as PNG plus `fingers.json` (the records' fields): files 0600, a new
    folder 0700 (`cardkit.private_files`)."""
    out = private_dir(folder)
    written = []
    rows = []
    for i, f in enumerate(decode_dg3(dg3), 1):
        name = f"finger-{i}-{f.view.finger.replace(' ', '-')}.png"
        buf = io.BytesIO()
        Image.fromarray(f.image).save(buf, "PNG")
        written.append(write_private(out / name, buf.getvalue()))
        rows.append({"file": name, **f.describe()})
    written.append(write_private(out / "fingers.json",
                                 json.dumps(rows, indent=2, ensure_ascii=False) + "\n"))
    return written


__all__ = ["DecodedFinger", "decode_dg3", "decode_view", "write_fingers"]
