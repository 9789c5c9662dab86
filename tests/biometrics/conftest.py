"""Fixtures of the face tests: the faces data set in ../shared and one matcher per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardkit.biometrics.face import FaceMatcher, available
from tests.conftest import need


@pytest.fixture(scope="session")
def faces_dir(shared_dir: Path) -> Path:
    d = shared_dir / "datasets" / "faces"
    need(d.is_dir(), f"{d} missing (faces data set)")
    return d


@pytest.fixture(scope="session")
def matcher() -> FaceMatcher:
    need(available(), "dlib / face_recognition_models not installed (pip install 'cardkit[face]')")
    return FaceMatcher()  # default operating point: strict
