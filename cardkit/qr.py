"""The CCCD front QR code: decode it from an image or a camera, validate it, derive the access key.

The QR on the front of a Vietnamese CCCD holds pipe-separated UTF-8 text (../shared/README.md):

    ID (12 digits) | old ID (9 digits or empty) | full name | date of birth DDMMYYYY | sex |
    place of residence | date of issue DDMMYYYY

It gives the ID number — so the CAN for PACE (its last 6 digits) — and the date of birth; with the
date of expiry typed from the card it gives the BAC/PACE MRZ key as well. The text is personal
data: it is never logged, and `CccdQr.__repr__` hides it.

Decoding uses zxing-cpp (a maintained C++ decoder with a wheel; finds a QR in a camera frame of
any orientation); OpenCV's QRCodeDetector is the fallback when zxing-cpp is not installed.
"""

from __future__ import annotations

import datetime as _dt
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError
from .icao.keys import CanKey, MrzKey
from .lds.dates import DateKind, date_to_mrz, to_mrz_date

MAX_QR_TEXT = 1024  # a CCCD QR holds ~150 bytes; anything longer is not one
MAX_IMAGE_BYTES = 20 * 1024 * 1024
_DDMMYYYY = re.compile(r"^(\d{2})(\d{2})(\d{4})$")


class QrError(InputError):
    """No CCCD QR code found, or its content is not a CCCD's."""


@dataclass(frozen=True)
class CccdQr:
    """The fields of a CCCD front QR code (dates as `datetime.date`)."""

    id_number: str
    old_id_number: str
    full_name: str
    date_of_birth: _dt.date
    sex: str
    address: str
    date_of_issue: _dt.date | None

    def __repr__(self) -> str:  # personal data: never in logs or tracebacks
        return f"CccdQr(id=…{self.id_number[-2:]})"

    @property
    def can(self) -> str:
        """Card Access Number for PACE: the last 6 digits of the ID."""
        return self.id_number[-6:]

    def access_key(self, expiry: str | _dt.date | None = None) -> CanKey | MrzKey:
        """PACE with the CAN; the MRZ key (BAC or PACE) when the date of expiry is also given."""
        if expiry is None or expiry == "":
            return CanKey(self.can)
        exp = date_to_mrz(expiry) if isinstance(expiry, _dt.date) else \
            to_mrz_date(expiry, DateKind.EXPIRY, what="date of expiry")
        return MrzKey(self.id_number[-9:], date_to_mrz(self.date_of_birth), exp)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id_number": self.id_number, "old_id_number": self.old_id_number or None,
            "full_name": self.full_name, "date_of_birth": self.date_of_birth.isoformat(),
            "sex": self.sex, "address": self.address,
            "date_of_issue": self.date_of_issue.isoformat() if self.date_of_issue else None,
        }


def _qr_date(text: str, what: str) -> _dt.date:
    m = _DDMMYYYY.match(text.strip())
    if not m:
        raise QrError(f"the QR code's {what} '{text}' is not DDMMYYYY — this is not a CCCD QR")
    try:
        return _dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        raise QrError(f"the QR code's {what} '{text}' is not a real date") from None


def parse_cccd_qr(text: str, *, today: _dt.date | None = None) -> CccdQr:
    """Validate the QR text: 12-digit ID, optional 9-digit old ID, real dates in the past."""
    if not isinstance(text, str) or len(text) > MAX_QR_TEXT:
        raise QrError("the QR code is not a CCCD's (too long)")
    parts = text.strip().split("|")
    if len(parts) != 7:
        raise QrError(f"the QR code is not a CCCD's: expected 7 fields separated by '|', "
                      f"found {len(parts)}")
    id12, old, name, dob, sex, address, issued = (p.strip() for p in parts)
    if not re.fullmatch(r"\d{12}", id12):
        raise QrError("the QR code's ID number is not 12 digits — scan the card's front QR code")
    if old and not re.fullmatch(r"\d{9}|\d{12}", old):
        raise QrError("the QR code's old ID number is not 9 or 12 digits")
    if not name:
        raise QrError("the QR code has no name")
    today = today or _dt.date.today()
    birth = _qr_date(dob, "date of birth")
    issue = _qr_date(issued, "date of issue") if issued else None
    if birth > today:
        raise QrError("the QR code's date of birth lies in the future")
    if issue is not None and (issue > today or issue < birth):
        raise QrError("the QR code's date of issue is not between birth and today")
    return CccdQr(id12, old, name, birth, sex, address, issue)


def encode_cccd_qr(qr: CccdQr) -> str:
    """The QR text for given fields (tests, synthetic cards)."""
    issue = qr.date_of_issue.strftime("%d%m%Y") if qr.date_of_issue else ""
    return "|".join([qr.id_number, qr.old_id_number, qr.full_name,
                     qr.date_of_birth.strftime("%d%m%Y"), qr.sex, qr.address, issue])


# --- decoding -------------------------------------------------------------------------------------


def decode_texts(frame: np.ndarray) -> list[str]:
    """All QR texts in one image (RGB/BGR/grey array)."""
    try:
        import zxingcpp
    except ImportError:  # pragma: no cover - zxing-cpp is in the counter extra
        zxingcpp = None
    if zxingcpp is not None:
        found = zxingcpp.read_barcodes(frame, formats=zxingcpp.BarcodeFormat.QRCode)
        return [r.text for r in found if r.valid and r.text]
    import cv2

    ok, texts, _, _ = cv2.QRCodeDetector().detectAndDecodeMulti(frame)
    return [t for t in (texts if ok else ()) if t]


def _first_cccd(texts: list[str]) -> CccdQr | None:
    errors = []
    for t in texts:
        try:
            return parse_cccd_qr(t)
        except QrError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
    return None


def decode_image(source: str | Path | bytes | np.ndarray) -> CccdQr:
    """Find and parse the CCCD QR in an image file, encoded image bytes, or an array (decoded
    by the face module's bounded loader: size and pixel count limited)."""
    from .biometrics.face.image import load_image

    if isinstance(source, str | Path):
        p = Path(source)
        if not p.is_file():
            raise QrError(f"{p}: image file not found")
        if p.stat().st_size > MAX_IMAGE_BYTES:
            raise QrError(f"{p}: image larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    elif isinstance(source, bytes) and len(source) > MAX_IMAGE_BYTES:
        raise QrError("image too large")
    try:
        frame = load_image(source, "image")
    except InputError as exc:
        raise QrError(str(exc)) from None
    qr = _first_cccd(decode_texts(frame))
    if qr is None:
        raise QrError("no QR code found in the image — hold the card's front to the camera, "
                      "flat and in focus")
    return qr


def _frames(device: int | str) -> Iterator[np.ndarray]:
    import cv2

    cap = cv2.VideoCapture(device)
    if not cap.isOpened():
        raise QrError(f"camera {device} cannot be opened — check it is plugged in and not in use")
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                return
            yield frame
    finally:
        cap.release()


def scan_camera(device: int | str = 0, *, timeout: float = 20.0, max_frames: int = 2000
                ) -> CccdQr:
    """Read frames from a camera (index, device path, or a video file as a substitute) until a
    CCCD QR code decodes; QR codes that are not a CCCD's are skipped."""
    if isinstance(device, str) and device.isdigit():
        device = int(device)
    deadline = time.monotonic() + timeout
    last_error: QrError | None = None
    for n, frame in enumerate(_frames(device)):
        try:
            qr = _first_cccd(decode_texts(frame))
        except QrError as exc:
            last_error, qr = exc, None
        if qr is not None:
            return qr
        if n + 1 >= max_frames or time.monotonic() > deadline:
            break
    if last_error is not None:
        raise last_error
    raise QrError(f"no CCCD QR code seen on camera {device} within {timeout:.0f} s — hold the "
                  "card's front QR code to the camera")
