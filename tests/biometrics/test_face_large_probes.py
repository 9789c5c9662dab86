"""Large JPEG probes (phone photos): decoded at a reduced DCT scale, the face region at the
resolution the embedding needs — same decisions and measures as a full decode (issue 15)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cardkit.biometrics.face import Probe
from cardkit.biometrics.face.camera import DRAFT_LONG_SIDE, EMBED_FACE_PX, ProbeKind
from cardkit.biometrics.face.detect import detect_faces
from cardkit.biometrics.face.image import load_image
from cardkit.biometrics.face.portrait import crop_portrait, encode_portrait
from cardkit.results import CheckState

pytestmark = pytest.mark.face


def big_jpeg(path: Path, size: tuple[int, int], fill: float = 1.0, orientation: int = 1) -> bytes:
    """The photo scaled to `fill` of the height of a `size` canvas (a phone photo of someone at
    the counter), JPEG quality 90, optionally with an EXIF orientation tag."""
    im = Image.open(path).convert("RGB")
    w, h = size
    s = fill * h / im.height
    im = im.resize((round(im.width * s), round(im.height * s)), Image.LANCZOS)
    canvas = Image.new("RGB", size, (100, 100, 100))
    canvas.paste(im, ((w - im.width) // 2, (h - im.height) // 2))
    if orientation in (6, 8):  # store it turned; the tag turns it back upright
        canvas = canvas.rotate(90 if orientation == 6 else -90, expand=True)
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def full_probe(data: bytes) -> Probe:
    return Probe(ProbeKind.IMAGE, "full", image=load_image(data, "photo"))


def test_4000x3000_probe_is_decoded_reduced_and_decides_like_a_full_decode(matcher, faces_dir):
    photo = load_image(faces_dir / "barack_obama" / "1.jpg")
    portrait = encode_portrait(crop_portrait(photo, detect_faces(photo, matcher.models)[0]),
                               "jpeg", 12000)
    for who, want in (("barack_obama", CheckState.MATCH), ("joe_biden", CheckState.NO_MATCH)):
        data = big_jpeg(faces_dir / who / "2.jpg", (4000, 3000))
        probe = Probe.from_image(data)
        assert probe.scale == 0.5 and probe.image.shape == (1500, 2000, 3)
        assert max(probe.image.shape) >= DRAFT_LONG_SIDE
        fast = matcher.match_portrait(portrait, probe)
        slow = matcher.match_portrait(portrait, full_probe(data))
        assert fast.state is slow.state is want, (fast.to_dict(), slow.to_dict())
        assert abs(fast.distance - slow.distance) < 0.05
        fm, sm = fast.details["probe_quality"]["measures"], slow.details["probe_quality"]["measures"]
        assert abs(fm["face_px"] - sm["face_px"]) <= 0.02 * sm["face_px"]  # original pixels
        assert abs(fm["sharpness"] - sm["sharpness"]) <= 0.1 * sm["sharpness"]


def test_small_face_in_a_big_photo_is_decoded_again_at_the_needed_scale(matcher, faces_dir):
    data = big_jpeg(faces_dir / "guido_van_rossum" / "1.jpg", (4000, 3000), fill=0.25,
                    orientation=6)
    probe = Probe.from_image(data)
    assert probe.scale == 0.5 and probe.image.shape == (1500, 2000, 3)  # stored turned: upright
    rep = matcher.assess_probe(probe.image, probe.scale)
    assert rep.usable and rep.face is not None and rep.face.width < EMBED_FACE_PX
    region, face = probe.face_image(probe.image, rep.face)
    assert face.width >= EMBED_FACE_PX  # decoded again at a larger scale...
    assert region.size < probe.image.size * 4  # ...but only the region around the face kept
    same = load_image(faces_dir / "guido_van_rossum" / "3.jpg")
    ref = encode_portrait(crop_portrait(same, detect_faces(same, matcher.models)[0]), "jpeg")
    assert matcher.match_portrait(ref, probe).state is CheckState.MATCH


def test_small_and_non_jpeg_probes_decode_as_before(faces_dir):
    small = big_jpeg(faces_dir / "elon_musk" / "1.jpg", (1920, 1080))
    p = Probe.from_image(small)
    assert p.scale == 1.0 and p.encoded is None and p.image.shape == (1080, 1920, 3)
    png = io.BytesIO()
    Image.fromarray(np.full((3000, 4000, 3), 90, np.uint8)).save(png, "PNG")
    q = Probe.from_image(png.getvalue())
    assert q.scale == 1.0 and q.image.shape == (3000, 4000, 3)
