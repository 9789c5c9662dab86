"""dlib models for face matching, located in the installed `face_recognition_models` package.

No download at run time. We call dlib directly (HOG detector, 5-point shape predictor, ResNet
encoder): importing `face_recognition` fails with setuptools >= 81 (pkg_resources). The 68-point
model is never loaded (its training data carries a non-commercial restriction); the ResNet
recogniser and the 5-point model are public domain.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...errors import CardkitError, ExitCode

SHAPE_5 = "shape_predictor_5_face_landmarks.dat"
RESNET = "dlib_face_recognition_resnet_model_v1.dat"


class FaceModelsMissing(CardkitError):
    """dlib or face_recognition_models is not installed."""

    exit_code = ExitCode.BIOMETRIC_UNUSABLE


@dataclass(frozen=True)
class ModelFiles:
    shape_predictor: Path
    recognition: Path


def model_files() -> ModelFiles:
    """Paths of the 5-point predictor and ResNet recogniser inside face_recognition_models."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelsMissing(
            "Face models not installed — run: pip install 'cardkit[face]' "
            "(dlib-bin, face-recognition-models)"
        )
    base = Path(next(iter(spec.submodule_search_locations))) / "models"
    files = ModelFiles(base / SHAPE_5, base / RESNET)
    for p in (files.shape_predictor, files.recognition):
        if not p.is_file():
            raise FaceModelsMissing(f"Face model file missing: {p.name} — reinstall "
                                    "face-recognition-models")
    return files


@dataclass(frozen=True)
class Models:
    """Loaded dlib objects. dlib objects are not documented thread-safe: hold `lock` to use them."""

    detector: Any
    shape_predictor: Any
    encoder: Any
    lock: Any


@lru_cache(maxsize=1)
def load_models() -> Models:
    """Load the three dlib models once per process (~0.5 s); later calls return the cache."""
    try:
        import dlib
    except ImportError:
        raise FaceModelsMissing(
            "dlib not installed — run: pip install 'cardkit[face]' (dlib-bin)"
        ) from None
    files = model_files()
    return Models(
        detector=dlib.get_frontal_face_detector(),
        shape_predictor=dlib.shape_predictor(str(files.shape_predictor)),
        encoder=dlib.face_recognition_model_v1(str(files.recognition)),
        lock=threading.RLock(),
    )


def available() -> bool:
    """True when dlib and the model files are present (for tests and `cardkit doctor`)."""
    try:
        import dlib  # noqa: F401

        model_files()
    except (ImportError, CardkitError):
        return False
    return True
