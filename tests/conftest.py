"""Shared test fixtures.

`shared_dir`: the read-only ../shared/ folder with interop files and datasets. Tests that need it
skip with a reason when it is absent — except under CI (CI=true), where its absence is a failure.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need(condition: bool, reason: str) -> None:
    """Skip locally when a prerequisite is missing; under CI a missing prerequisite fails."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"prerequisite missing under CI: {reason}")
    pytest.skip(reason)


# A fresh install for every test run: no user trust store, no updated master list (the bundled
# snapshot is what cardkit uses). Tests that need a trust directory set their own.
_FRESH = Path(tempfile.mkdtemp(prefix="cardkit-test-home-"))
atexit.register(shutil.rmtree, _FRESH, True)
os.environ.setdefault("CARDKIT_TRUST_DIR", str(_FRESH / "trust"))
os.environ.setdefault("CARDKIT_SNAPSHOT_DIR", str(_FRESH / "masterlist"))

REPORT_SCHEMA = ROOT / "cardkit" / "data" / "report.schema.json"


def validate_report(report: dict) -> dict:
    """Every report is checked against the published JSON schema (cardkit/data/)."""
    import json

    import jsonschema

    schema = json.loads(REPORT_SCHEMA.read_text("utf-8"))
    jsonschema.validate(report, schema, format_checker=jsonschema.FormatChecker())
    return report


@pytest.fixture(autouse=True, scope="session")
def _every_report_matches_the_schema():  # type: ignore[no-untyped-def]
    """Wrap the one report builder: any report a test produces in-process is validated."""
    import cardkit.report as workflow

    original = workflow.build_report

    def checked(result):  # type: ignore[no-untyped-def]
        return validate_report(original(result))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(workflow, "build_report", checked)
        yield


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    need(SHARED.is_dir(), f"{SHARED} not present (shared reference data)")
    return SHARED


@pytest.fixture(scope="session")
def interop_dir(shared_dir: Path) -> Path:
    return shared_dir / "interop"


# --- pcscd + vpcd harness (readers/transport owner) ----------------------------------------------
# `pcscd_vpcd`: a private pcscd (unshare -m + tmpfs /run/pcscd) with vpcd readers, reachable by
# pyscard in this process; falls back to the system pcscd. Returns a
# cardkit.sim.pcscd_harness.PcscdHarness: `.readers` (names), `.port_for(reader) -> int`
# (vpcd TCP port for the card side), `.env` (for subprocesses), `.socket_path`, `.mode`.
# libpcsclite caches PCSCLITE_CSOCK_NAME at the first PC/SC call, so the variable is pointed at a
# stable symlink here, at import time, before any test can make a context; the fixture retargets it.

from cardkit.sim import pcscd_harness as _pcscd_harness  # noqa: E402

_pcscd_harness.point_client(_pcscd_harness.SYSTEM_SOCKET)


@pytest.fixture(scope="session")
def pcscd_vpcd():
    import shutil

    need(shutil.which("pcscd") is not None and _pcscd_harness.VPCD_DRIVER.exists(),
         "pcscd and vsmartcard-vpcd not installed (apt-get install pcscd vsmartcard-vpcd)")
    need(_pcscd_harness.client_points_at_link(),
         "PCSCLITE_CSOCK_NAME was set before the test session; unset it to use the harness")
    try:
        harness = _pcscd_harness.PcscdHarness.start()
    except _pcscd_harness.ReaderError as exc:
        need(False, f"no pcscd with vpcd available: {exc}")
    try:
        yield harness
    finally:
        harness.stop()
        _pcscd_harness.retarget(_pcscd_harness.SYSTEM_SOCKET)


@pytest.fixture
def no_reader_pcscd(pcscd_vpcd):  # type: ignore[no-untyped-def]
    """This process's PC/SC client pointed at a private pcscd that has no reader at all."""
    try:
        empty = _pcscd_harness.start_empty_pcscd()
    except _pcscd_harness.ReaderError as exc:
        need(False, f"no private pcscd for the no-reader case: {exc}")
    try:
        with _pcscd_harness.pointed_at(empty.socket_path, pcscd_vpcd.socket_path):
            yield empty
    finally:
        empty.stop()


def chip_portrait(path: Path, ext: str = ".jpg") -> bytes:
    """A chip-like portrait (240×320, JPEG or JPEG 2000) from a photo file."""
    import cv2
    import numpy as np

    img = cv2.imread(str(path))
    h, w = img.shape[:2]
    scale = 320 / h
    img = cv2.resize(img, (int(w * scale), 320), interpolation=cv2.INTER_AREA)
    x0 = max(0, (img.shape[1] - 240) // 2)
    img = np.ascontiguousarray(img[:, x0:x0 + 240])
    params = [cv2.IMWRITE_JPEG_QUALITY, 85] if ext == ".jpg" else [
        cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 120]
    ok, buf = cv2.imencode(ext, img, params)
    assert ok
    return buf.tobytes()
