"""`cardkit verify`: the counter workflow on real photos (../shared/datasets/faces), with the
chip portrait in DG2 of a virtual card."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from cardkit.sim.personas import get_persona, register_persona
from cli.main import cli


def _portrait(path: Path, ext: str) -> bytes:
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


@pytest.fixture(scope="module")
def faces(shared_dir: Path) -> Path:
    return shared_dir / "datasets" / "faces"


@pytest.fixture(scope="module")
def obama_card(faces: Path) -> str:
    portrait = _portrait(faces / "barack_obama" / "1.jpg", ".jpg")
    register_persona("test-obama", "test: real public photo in DG2",
                     lambda seed: get_persona("default", seed).with_portrait(portrait, "jpeg"))
    return "test-obama"


@pytest.mark.face
def test_same_person_matches(obama_card: str, faces: Path) -> None:
    r = CliRunner().invoke(cli, ["verify", "--sim", obama_card, "--face",
                                 str(faces / "barack_obama" / "3.jpg"), "--json"])
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["checks"]["face"]["state"] == "match"
    assert report["verdict"]["state"] == "valid"


@pytest.mark.face
def test_other_person_does_not_match(obama_card: str, faces: Path) -> None:
    r = CliRunner().invoke(cli, ["verify", "--sim", obama_card, "--face",
                                 str(faces / "joe_biden" / "1.jpg")])
    assert r.exit_code == 5, r.stderr
    assert "NO MATCH" in r.stdout


@pytest.mark.face
def test_unusable_probe_says_what_to_fix(obama_card: str, tmp_path: Path) -> None:
    blank = tmp_path / "wall.jpg"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 128, np.uint8))
    r = CliRunner().invoke(cli, ["verify", "--sim", obama_card, "--face", str(blank)])
    assert r.exit_code == 7
    assert "face the camera" in r.stdout


def test_needs_exactly_one_face_source() -> None:
    r = CliRunner().invoke(cli, ["verify", "--sim"])
    assert r.exit_code == 2 and "exactly one live face source" in r.stderr


@pytest.mark.face
def test_unauthenticated_portrait_is_never_matched(obama_card: str, faces: Path) -> None:
    """A forger's DG2 not covered by EF.SOD: the face is not compared (issue 9)."""
    import dataclasses
    from types import MappingProxyType

    from cardkit.sim.issuer import encode_sod
    from cardkit.sim.pki import dsc

    p = get_persona(obama_card)
    files = dict(p.files)
    files["SOD"] = encode_sod({"DG1": files["DG1"]}, dsc("rsa"))
    forged = dataclasses.replace(p, name="test-obama-unlisted",
                                 files=MappingProxyType(files))  # type: ignore[arg-type]
    register_persona("test-obama-unlisted", "test: DG2 not covered by the SOD",
                     lambda seed: forged)
    r = CliRunner().invoke(cli, ["verify", "--sim", "test-obama-unlisted", "--face",
                                 str(faces / "barack_obama" / "3.jpg"), "--json"])
    report = json.loads(r.stdout)
    assert r.exit_code == 3
    assert report["checks"]["face"]["state"] == "not_performed"
    assert "not covered by the issuer's signature" in report["checks"]["face"]["reason"]
