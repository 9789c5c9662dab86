"""Fingerprint capture behind one small interface: libfprint scanners, and files/directories.

    with open_scanner() as scanner:          # first libfprint device that can capture images
        image = scanner.capture(timeout=15)  # FingerImage at 500 ppi

`FingerprintScanner` is the seam for other backends (a vendor SDK such as SecuGen, Futronic or
Suprema returns a raw 8-bit frame + its resolution: wrap it in `image.from_raw`); matching never
sees where an image came from.

libfprint (the driver stack behind fprintd: DigitalPersona U.are.U, AuthenTec, Validity, Elan …)
is reached through PyGObject (`gi.repository.FPrint`, Debian gir1.2-fprint-2.0). Its
`virtual_image` driver, selected by the FP_VIRTUAL_IMAGE socket path, stands in for a scanner in
the tests. libfprint does not report a resolution: image drivers deliver 500 ppi (libfprint's
`FP_IMAGE` contract, e.g. uru4000), so that is assumed unless the caller says otherwise.
"""

from __future__ import annotations

import abc
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import BiometricError, InputError
from .image import STANDARD_PPI, FingerImage, from_raw, load_finger_image

IMAGE_SUFFIXES = (".wsq", ".png", ".tif", ".tiff", ".bmp", ".jpg", ".jpeg", ".jp2", ".j2k",
                  ".pgm")


class ScannerError(BiometricError):
    """The scanner cannot be opened or did not deliver an image."""


@dataclass(frozen=True)
class ScannerInfo:
    backend: str
    name: str
    driver: str
    device_id: str
    can_capture: bool

    def to_dict(self) -> dict[str, Any]:
        return {"backend": self.backend, "name": self.name, "driver": self.driver,
                "device_id": self.device_id, "can_capture": self.can_capture}


class FingerprintScanner(abc.ABC):
    """A source of live finger images."""

    info: ScannerInfo

    @abc.abstractmethod
    def capture(self, timeout: float = 15.0) -> FingerImage:
        """Wait for a finger and return its image at 500 ppi."""

    def close(self) -> None:  # noqa: B027 - optional for backends
        """Release the device."""

    def __enter__(self) -> FingerprintScanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FileScanner(FingerprintScanner):
    """Images from a file or, one per capture in name order, from a directory."""

    def __init__(self, path: str | Path, *, ppi: float | None = None) -> None:
        p = Path(path)
        if p.is_dir():
            self._files = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
            if not self._files:
                raise InputError(f"No fingerprint images in {p}")
        elif p.is_file():
            self._files = [p]
        else:
            raise InputError(f"No fingerprint image file or folder at {p}")
        self._iter: Iterator[Path] = iter(self._files)
        self._ppi = ppi
        self.info = ScannerInfo("file", str(p), "file", str(p), True)

    def capture(self, timeout: float = 15.0) -> FingerImage:
        try:
            f = next(self._iter)
        except StopIteration:
            raise ScannerError(f"No more images in {self.info.name}") from None
        return load_finger_image(f, ppi=self._ppi)


def _fprint() -> Any:
    try:
        import gi

        gi.require_version("FPrint", "2.0")
        from gi.repository import FPrint
    except (ImportError, ValueError) as exc:
        raise ScannerError("libfprint is not available: install libfprint-2-2, "
                           "gir1.2-fprint-2.0 and PyGObject (pip install 'cardkit[scanner]') "
                           f"({exc})") from None
    return FPrint


def list_scanners() -> list[ScannerInfo]:
    """libfprint devices (empty when libfprint or PyGObject is missing)."""
    try:
        fprint = _fprint()
    except ScannerError:
        return []
    ctx = fprint.Context()
    ctx.enumerate()
    return [_info(d) for d in ctx.get_devices()]


def _can_capture(dev: Any) -> bool:
    feature = getattr(getattr(_fprint(), "DeviceFeature", None), "CAPTURE", None)
    if feature is not None and hasattr(dev, "has_feature"):
        return bool(dev.has_feature(feature))
    return bool(dev.supports_capture())  # libfprint < 1.92


def _info(dev: Any) -> ScannerInfo:
    return ScannerInfo("libfprint", dev.get_name(), dev.get_driver(), dev.get_device_id(),
                       _can_capture(dev))


class LibfprintScanner(FingerprintScanner):
    """An image-capable libfprint device (the first one, or the one with `device_id`)."""

    def __init__(self, device_id: str | None = None, *, ppi: float = STANDARD_PPI) -> None:
        fprint = _fprint()
        self._fprint = fprint
        self._ctx = fprint.Context()
        self._ctx.enumerate()
        devices = [d for d in self._ctx.get_devices()
                   if device_id is None or d.get_device_id() == device_id]
        capturing = [d for d in devices if _can_capture(d)]
        if not capturing:
            what = f"'{device_id}'" if device_id else "any"
            listed = ", ".join(f"{d.get_name()} ({d.get_driver()})" for d in devices) or "none"
            raise ScannerError(f"No fingerprint scanner that delivers images ({what}; found: "
                               f"{listed}) — plug in the scanner and check `cardkit doctor`")
        self._dev = capturing[0]
        self._ppi = ppi
        self.info = _info(self._dev)
        self._lock = threading.Lock()
        try:
            self._dev.open_sync(None)
        except Exception as exc:  # noqa: BLE001 - GLib.Error
            raise ScannerError(f"Cannot open the fingerprint scanner {self.info.name}: "
                               f"{_gerror(exc)}") from None
        self._open = True

    def capture(self, timeout: float = 15.0) -> FingerImage:
        from gi.repository import Gio, GLib

        cancel = Gio.Cancellable()
        timer = threading.Timer(timeout, cancel.cancel)
        timer.start()
        try:
            with self._lock:
                img = self._dev.capture_sync(True, cancel)
        except GLib.Error as exc:
            if cancel.is_cancelled():
                raise ScannerError(f"No finger on the scanner within {timeout:g} s — place "
                                   "the finger flat on the sensor and try again") from None
            raise ScannerError(f"The scanner did not deliver an image: {_gerror(exc)}") from None
        finally:
            timer.cancel()
        w, h = img.get_width(), img.get_height()
        return from_raw(bytes(img.get_data()), w, h, ppi=self._ppi,
                        what=f"capture from {self.info.name}")

    def close(self) -> None:
        if getattr(self, "_open", False):
            self._open = False
            with contextlib.suppress(Exception):  # a vanished device is not an error here
                self._dev.close_sync(None)


def _gerror(exc: BaseException) -> str:
    return str(getattr(exc, "message", None) or exc).splitlines()[0]


def open_scanner(source: str | Path | None = None, *, ppi: float | None = None
                 ) -> FingerprintScanner:
    """A file/folder path → FileScanner; None or a libfprint device id → LibfprintScanner."""
    if source is not None and Path(source).exists():
        return FileScanner(source, ppi=ppi)
    return LibfprintScanner(None if source is None else str(source), ppi=ppi or STANDARD_PPI)
