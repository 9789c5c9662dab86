"""Face match on real photos (../shared/datasets/faces): genuine / impostor decisions, the DG2
path through a virtual-card persona (JPEG and JPEG 2000), every quality check, the camera path on
a video file, and `cardkit face compare` exit codes."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from cardkit.biometrics.face import FaceMatcher, Probe, QualityIssue
from cardkit.biometrics.face.detect import detect_faces
from cardkit.biometrics.face.embed import distance, embed
from cardkit.biometrics.face.image import load_image
from cardkit.biometrics.face.portrait import crop_portrait, encode_portrait
from cardkit.errors import ExitCode
from cardkit.results import CheckState

pytestmark = pytest.mark.face


@pytest.fixture(scope="session")
def photo(faces_dir: Path):
    cache: dict[str, np.ndarray] = {}

    def get(name: str) -> np.ndarray:
        if name not in cache:
            img = load_image(faces_dir / name)
            scale = 800 / max(img.shape[:2])  # keep the tests fast: probes of camera size
            if scale < 1:
                img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            cache[name] = img
        return cache[name]

    return get


def chip_portrait(matcher: FaceMatcher, rgb: np.ndarray, fmt: str) -> bytes:
    face = detect_faces(rgb, matcher.models)[0]
    return encode_portrait(crop_portrait(rgb, face), fmt, 12000 if fmt == "jpeg" else 6000)


# --- decisions on the whole data set ------------------------------------------------------------

def test_dataset_impostors_rejected_and_genuines_accepted(matcher, faces_dir, photo):
    paths = sorted(f"{p.parent.name}/{p.name}" for p in faces_dir.glob("*/*"))
    assert len(paths) == 31
    emb = {}
    for p in paths:
        img = photo(p)
        emb[p] = embed(img, detect_faces(img, matcher.models)[0], matcher.models)
    gen, imp = [], []
    for a, b in itertools.combinations(paths, 2):
        (gen if a.split("/")[0] == b.split("/")[0] else imp).append(distance(emb[a], emb[b]))
    assert (len(gen), len(imp)) == (44, 421)
    strict = matcher.point.threshold
    balanced = matcher.calibration.point("balanced").threshold
    assert strict <= balanced < 0.6
    assert min(imp) > balanced  # zero false matches, even at the lenient point
    assert max(gen) <= 0.6
    assert sum(d <= strict for d in gen) / len(gen) >= 0.85  # FNMR at strict is documented
    assert sum(d <= balanced for d in gen) / len(gen) >= 0.97


# --- DG2 of a virtual-card persona against another photo ----------------------------------------

@pytest.mark.parametrize("fmt", ["jpeg", "jp2"])
def test_dg2_portrait_matches_same_person_not_other(matcher, photo, fmt):
    from cardkit.lds.dg2 import parse_dg2
    from cardkit.sim.personas import get_persona

    portrait = chip_portrait(matcher, photo("barack_obama/1.jpg"), fmt)
    persona = get_persona("default").with_portrait(portrait, fmt)
    face = parse_dg2(persona.files["DG2"]).face
    assert face.image_bytes == portrait
    assert (face.width, face.height) == (240, 320)
    assert face.mime == ("image/jpeg" if fmt == "jpeg" else "image/jp2")

    same = matcher.match_portrait(face.image_bytes, Probe.from_image(photo("barack_obama/2.jpg")))
    assert same.state is CheckState.MATCH, same.to_dict()
    assert same.threshold == matcher.point.threshold
    assert same.distance is not None and same.distance <= same.threshold
    assert same.operating_point == "strict"
    assert 0.5 < same.score <= 1.0
    assert same.exit_code == ExitCode.OK

    other = matcher.match_portrait(face.image_bytes, Probe.from_image(photo("joe_biden/2.jpg")))
    assert other.state is CheckState.NO_MATCH, other.to_dict()
    assert other.distance > other.threshold
    assert other.score < 0.5
    assert other.exit_code == ExitCode.FACE_MISMATCH
    assert "embedding" not in str(other.to_dict())


def test_dg2_jp2_second_person(matcher, photo):
    portrait = chip_portrait(matcher, photo("guido_van_rossum/1.jpg"), "jp2")
    assert portrait[:4] in (b"\x00\x00\x00\x0c", b"\xffO\xffQ")
    assert matcher.match_portrait(portrait, photo("guido_van_rossum/3.jpg")).state \
        is CheckState.MATCH
    assert matcher.match_portrait(portrait, photo("paul_allen/4.jpg")).state \
        is CheckState.NO_MATCH


def test_greyscale_portrait_still_matches(matcher, photo):
    rgb = photo("kit_harington/1.jpg")
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    portrait = encode_portrait(crop_portrait(np.stack([grey] * 3, 2),
                                             detect_faces(rgb, matcher.models)[0]), "jpeg")
    res = matcher.match_portrait(portrait, photo("kit_harington/3.jpg"))
    assert res.details.get("greyscale") is True
    assert res.state is CheckState.MATCH, res.to_dict()


# --- quality checks -----------------------------------------------------------------------------

def _reference(matcher, photo) -> bytes:
    return chip_portrait(matcher, photo("barack_obama/1.jpg"), "jpeg")


def test_no_face(matcher, photo):
    rng = np.random.default_rng(1)
    blank = (rng.normal(128, 10, (480, 640, 3))).clip(0, 255).astype(np.uint8)
    res = matcher.match_portrait(_reference(matcher, photo), blank)
    assert res.state is CheckState.NOT_PERFORMED
    assert res.quality == (QualityIssue.NO_FACE,)
    assert "face the camera" in res.reason
    assert res.distance is None and res.exit_code == ExitCode.BIOMETRIC_UNUSABLE


def test_several_faces(matcher, photo):
    a = cv2.resize(photo("barack_obama/2.jpg"), (400, 640))
    b = cv2.resize(photo("joe_biden/2.jpg"), (640, 640))
    both = np.concatenate([a, b], axis=1)
    res = matcher.match_portrait(_reference(matcher, photo), both)
    assert res.state is CheckState.NOT_PERFORMED
    assert QualityIssue.SEVERAL_FACES in res.quality
    assert "only the customer" in res.reason


def test_paul_allen_2_single_face_at_working_resolution(matcher, photo):
    # dlib finds a 2nd (false, ~37 px) face only at full resolution with 2x upsampling; the
    # bounded working resolution used here does not, so this real photo stays usable.
    rep = matcher.assess_probe(load_image(photo("paul_allen/2.jpg")))
    assert rep.faces_found == 1 and rep.usable


def test_face_too_small(matcher, photo):
    small = cv2.resize(photo("barack_obama/2.jpg"), None, fx=0.17, fy=0.17,
                       interpolation=cv2.INTER_AREA)
    canvas = np.full((480, 640, 3), 128, np.uint8)
    canvas[100:100 + small.shape[0], 200:200 + small.shape[1]] = small
    res = matcher.match_portrait(_reference(matcher, photo), canvas)
    assert res.state is CheckState.NOT_PERFORMED
    assert QualityIssue.FACE_TOO_SMALL in res.quality, res.to_dict()
    assert "closer" in res.reason


def test_too_blurry(matcher, photo):
    img = photo("barack_obama/2.jpg")
    blurred = cv2.GaussianBlur(img, (0, 0), 4.0)
    res = matcher.match_portrait(_reference(matcher, photo), blurred)
    assert res.state is CheckState.NOT_PERFORMED
    assert res.quality == (QualityIssue.TOO_BLURRY,), res.to_dict()
    assert res.details["probe_quality"]["faces_found"] == 1
    assert "hold still" in res.reason
    # the sharp original passes the same checks
    assert matcher.assess_probe(img).usable


def test_too_dark(matcher, photo):
    dark = (photo("barack_obama/2.jpg").astype(np.float32) * 0.2).astype(np.uint8)
    res = matcher.match_portrait(_reference(matcher, photo), dark)
    assert res.state is CheckState.NOT_PERFORMED
    assert QualityIssue.TOO_DARK in res.quality, res.to_dict()
    assert "light" in res.reason


def test_portrait_without_face(matcher, photo):
    blank = encode_portrait(np.full((320, 240, 3), 200, np.uint8), "jpeg")
    res = matcher.match_portrait(blank, photo("barack_obama/2.jpg"))
    assert res.state is CheckState.NOT_PERFORMED
    assert "chip portrait" in res.reason


# --- camera path on a video file ----------------------------------------------------------------

@pytest.fixture(scope="session")
def probe_video(tmp_path_factory, photo) -> tuple[Path, int]:
    """MJPG/AVI: no face, blurred face, sharp face (frame 2), blurred face, no face."""
    def fit(img: np.ndarray) -> np.ndarray:
        h, w = img.shape[:2]
        s = min(640 / w, 480 / h)
        r = cv2.resize(img, (int(w * s), int(h * s)), interpolation=cv2.INTER_AREA)
        canvas = np.full((480, 640, 3), 90, np.uint8)
        y, x = (480 - r.shape[0]) // 2, (640 - r.shape[1]) // 2
        canvas[y:y + r.shape[0], x:x + r.shape[1]] = r
        return canvas

    face = fit(photo("barack_obama/2.jpg"))
    frames = [np.full((480, 640, 3), 90, np.uint8), cv2.GaussianBlur(face, (0, 0), 5),
              face, cv2.GaussianBlur(face, (0, 0), 2.5), np.full((480, 640, 3), 40, np.uint8)]
    path = tmp_path_factory.mktemp("video") / "probe.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5, (640, 480))
    assert writer.isOpened()
    for f in frames:
        writer.write(np.ascontiguousarray(f[:, :, ::-1]))
    writer.release()
    return path, 2


def test_video_probe_picks_sharp_single_face_frame(matcher, photo, probe_video):
    path, sharp = probe_video
    probe = Probe.from_video(path, frames=5)
    choice = matcher.select_frame(probe)
    assert choice.frames_seen == 5
    assert choice.frame == sharp and choice.report.usable
    res = matcher.match_portrait(_reference(matcher, photo), probe)
    assert res.state is CheckState.MATCH, res.to_dict()
    assert res.details["probe"] == {"kind": "video", "source": "probe.avi", "frame": sharp,
                                    "frames_seen": 5}


def test_camera_probe_on_video_file(matcher, photo, probe_video):
    path, sharp = probe_video
    probe = Probe.from_camera(str(path), frames=5, warmup=0)  # VideoCapture opens files too
    res = matcher.match_portrait(_reference(matcher, photo), probe)
    assert res.state is CheckState.MATCH
    assert res.details["probe"]["frame"] == sharp
    other = matcher.match_portrait(chip_portrait(matcher, photo("joe_biden/2.jpg"), "jpeg"),
                                   Probe.from_camera(str(path), frames=5, warmup=0))
    assert other.state is CheckState.NO_MATCH


def test_video_without_usable_frame_reports_issue(matcher, photo, tmp_path):
    path = tmp_path / "blank.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5, (320, 240))
    for v in (30, 60, 90):
        writer.write(np.full((240, 320, 3), v, np.uint8))
    writer.release()
    res = matcher.match_portrait(_reference(matcher, photo), Probe.from_video(path))
    assert res.state is CheckState.NOT_PERFORMED and res.quality == (QualityIssue.NO_FACE,)
    assert res.details["probe"]["frames_seen"] == 3


def test_missing_camera_raises_actionable_error(matcher, photo):
    from cardkit.errors import BiometricError

    with pytest.raises(BiometricError, match="cannot be opened"):
        matcher.match_portrait(_reference(matcher, photo),
                               Probe.from_camera("/dev/video-does-not-exist", frames=1))


# --- CLI ----------------------------------------------------------------------------------------

def test_cli_face_compare_exit_codes(matcher, faces_dir, tmp_path):
    from cardkit_cli.face import face_group

    runner = CliRunner()
    ok = runner.invoke(face_group, ["compare", str(faces_dir / "kit_harington/1.jpg"),
                                    str(faces_dir / "kit_harington/3.jpg")])
    assert ok.exit_code == 0, ok.output
    assert "MATCH" in ok.output and "operating point strict" in ok.output
    bad = runner.invoke(face_group, ["compare", "--json", str(faces_dir / "kit_harington/1.jpg"),
                                     str(faces_dir / "rose_leslie/2.jpg")])
    assert bad.exit_code == int(ExitCode.FACE_MISMATCH), bad.output
    assert '"state": "no_match"' in bad.output
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 128, np.uint8))
    unusable = runner.invoke(face_group, ["compare", str(faces_dir / "kit_harington/1.jpg"),
                                          str(blank)])
    assert unusable.exit_code == int(ExitCode.BIOMETRIC_UNUSABLE)
    assert "face the camera" in unusable.output
