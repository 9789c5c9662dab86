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
from cardkit_cli.main import cli
from tests.conftest import chip_portrait


@pytest.fixture(scope="module")
def faces(shared_dir: Path) -> Path:
    return shared_dir / "datasets" / "faces"


@pytest.fixture(scope="module")
def obama_card(faces: Path) -> str:
    portrait = chip_portrait(faces / "barack_obama" / "1.jpg", ".jpg")
    register_persona("test-obama", "test: real public photo in DG2",
                     lambda seed: get_persona("default", seed).with_portrait(portrait, "jpeg"))
    return "test-obama"


@pytest.mark.face
def test_same_person_matches(obama_card: str, faces: Path) -> None:
    r = CliRunner().invoke(cli, ["verify", "--sim", obama_card, "--face",
                                 str(faces / "barack_obama" / "3.jpg"), "--json"])
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["checks"]["face_match"]["state"] == "match"
    assert report["verdict"]["result"] == "verified"


@pytest.mark.face
def test_other_person_does_not_match(obama_card: str, faces: Path) -> None:
    r = CliRunner().invoke(cli, ["verify", "--sim", obama_card, "--face",
                                 str(faces / "joe_biden" / "1.jpg")])
    assert r.exit_code == 5, r.stderr
    # the chip is genuine: the verdict says which check failed, in a teller's words
    assert "Chip genuine:    ✔" in r.stdout
    assert "REJECTED — do not accept: the person does not match the photo on the chip" in r.stdout
    assert "NOT GENUINE" not in r.stdout and "9796" not in r.stdout


@pytest.mark.face
def test_unusable_probe_says_what_to_fix(obama_card: str, tmp_path: Path) -> None:
    blank = tmp_path / "wall.jpg"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 128, np.uint8))
    r = CliRunner().invoke(cli, ["verify", "--sim", obama_card, "--face", str(blank)])
    assert r.exit_code == 7
    assert "face the camera" in r.stdout


def test_needs_exactly_one_face_source() -> None:
    r = CliRunner().invoke(cli, ["verify", "--sim"])
    assert r.exit_code == 2 and "one live face source" in r.stderr and "--finger" in r.stderr


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
    assert report["checks"]["face_match"]["state"] == "unverifiable"  # never "match"
    assert "not covered by a valid issuer signature" in report["checks"]["face_match"]["reason"]
    assert "distance" not in report["checks"]["face_match"].get("details", {})  # not compared
