"""CCCD front QR: synthetic cards rendered by segno, decoded by zxing-cpp, turned into the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import cv2
import numpy as np
import pytest
import segno
from click.testing import CliRunner

from cardkit.icao.keys import CanKey, MrzKey
from cardkit.qr import CccdQr, QrError, decode_image, encode_cccd_qr, parse_cccd_qr, scan_camera
from cardkit.sim.personas import get_persona
from cardkit_cli.main import cli

SYNTHETIC = CccdQr("001093000001", "", "Nguyễn Văn An", dt.date(1993, 1, 5), "Nam",
                   "Số 1 Phố Huế, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội", dt.date(2023, 1, 5))


def qr_png(text: str, path: Path, scale: int = 6) -> Path:
    segno.make(text, error="m", encoding="utf-8").save(str(path), scale=scale, border=4)
    return path


def card_photo(text: str, path: Path) -> Path:
    """The QR as a counter camera sees it: on a card, rotated, blurred, with sensor noise."""
    qr = cv2.imread(str(qr_png(text, path.with_suffix(".qr.png"), 5)))
    canvas = np.full((720, 1280, 3), (205, 214, 222), np.uint8)
    h, w = qr.shape[:2]
    canvas[200:200 + h, 600:600 + w] = qr
    rot = cv2.getRotationMatrix2D((640, 360), 12, 0.9)
    img = cv2.warpAffine(canvas, rot, (1280, 720), borderValue=(90, 90, 90))
    img = cv2.GaussianBlur(img, (3, 3), 0)
    noise = np.random.default_rng(1).normal(0, 6, img.shape)
    img = np.clip(img + noise, 0, 255).astype(np.uint8)
    cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return path


def test_synthetic_card_qr_decodes_to_the_right_key(tmp_path: Path) -> None:
    photo = card_photo(encode_cccd_qr(SYNTHETIC), tmp_path / "card.jpg")
    qr = decode_image(photo)
    assert qr == SYNTHETIC and qr.full_name == "Nguyễn Văn An"
    assert qr.access_key() == CanKey("000001")
    # With the expiry typed from the card: the MRZ key of the default virtual card.
    assert qr.access_key("2033-01-05") == get_persona("default").mrz_key
    assert isinstance(qr.access_key("05/01/2033"), MrzKey)


@pytest.mark.parametrize("text, message", [
    ("00109300000|||05011993|Nam||05012023", "12 digits"),
    ("001093000001||An|31021993|Nam||05012023", "not a real date"),
    ("001093000001||An|1993-01-05|Nam||05012023", "DDMMYYYY"),
    ("001093000001||An|05011993|Nam|", "7 fields"),
    ("001093000001||An|05013093|Nam||", "future"),
    ("001093000001||An|05011993|Nam||05011990", "between birth and today"),
    ("001093000001|12|An|05011993|Nam||", "old ID"),
    ("x" * 2000, "too long"),
])
def test_qr_content_is_validated(text: str, message: str) -> None:
    with pytest.raises(QrError, match=message):
        parse_cccd_qr(text)


def test_repr_hides_personal_data() -> None:
    assert "Nguyễn" not in repr(SYNTHETIC) and "001093000001" not in repr(SYNTHETIC)


def test_image_without_qr_and_not_an_image(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 200, 3), 255, np.uint8))
    with pytest.raises(QrError, match="no QR code"):
        decode_image(blank)
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    with pytest.raises(QrError, match="cannot be decoded"):
        decode_image(junk)
    other = qr_png("https://example.org/not-a-card", tmp_path / "url.png")
    with pytest.raises(QrError, match="not a CCCD"):
        decode_image(other)


def test_camera_substitute_video(tmp_path: Path) -> None:
    """A video file stands in for the counter camera: blank frames first, then the card."""
    photo = cv2.imread(str(card_photo(encode_cccd_qr(SYNTHETIC), tmp_path / "c.jpg")))
    video = tmp_path / "camera.avi"
    out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (1280, 720))
    for _ in range(5):
        out.write(np.full((720, 1280, 3), 40, np.uint8))
    for _ in range(3):
        out.write(photo)
    out.release()
    assert scan_camera(str(video), timeout=10).id_number == "001093000001"


def test_cli_qr_image_and_read_with_qr(tmp_path: Path) -> None:
    photo = card_photo(encode_cccd_qr(SYNTHETIC), tmp_path / "card.jpg")
    r = CliRunner().invoke(cli, ["qr", "--image", str(photo), "--json"])
    assert r.exit_code == 0, r.output
    assert '"can": "000001"' in r.stdout and "Nguyễn Văn An" in r.stdout
    # The QR key opens the virtual card (PACE with the CAN on the `pace` persona).
    r = CliRunner().invoke(cli, ["read", "--sim", "pace", "--qr-image", str(photo), "--json"])
    assert r.exit_code == 0, r.output
    assert '"access": "pace' in r.stdout
    # BAC with the expiry typed in addition.
    r = CliRunner().invoke(cli, ["read", "--sim", "default", "--qr-image", str(photo),
                                 "--expiry", "2033-01-05", "--json"])
    assert r.exit_code == 0, r.output
    bad = tmp_path / "blank.png"
    cv2.imwrite(str(bad), np.full((100, 100, 3), 255, np.uint8))
    r = CliRunner().invoke(cli, ["qr", "--image", str(bad)])
    assert r.exit_code == 2 and "no QR code" in r.stderr and "Traceback" not in r.output
