"""The teller page in Debian's headless Chromium (selenium + chromedriver, nothing downloaded):
the counter camera is a Y4M file showing the customer holding up the card's QR code; the page scans
the QR, the teller types the expiry, taps the card (virtual card through pcscd+vpcd) and sees the
verdict. Keyboard only. Screenshots land in build/test-artifacts/counter/."""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import segno

from cardkit.qr import CccdQr, encode_cccd_qr
from cardkit.service.app import ServiceConfig
from tests.conftest import ROOT, need

from .conftest import card_on_reader, running_service

pytestmark = [pytest.mark.pcscd, pytest.mark.face]

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "build" / "test-artifacts" / "counter"


def camera_y4m(face: Path, qr_text: str, out: Path, w: int = 960, h: int = 540) -> Path:
    """A Y4M clip (Chromium's fake camera): the customer's face left, the card's QR right."""
    from cardkit.biometrics.face.detect import detect_faces

    frame = np.full((h, w, 3), (200, 190, 180), np.uint8)
    photo = cv2.imread(str(face))
    box = detect_faces(cv2.cvtColor(photo, cv2.COLOR_BGR2RGB))[0]
    # The customer stands at the counter: head and shoulders fill the left half of the frame.
    side = int(box.width * 2.6)
    cx, cy = (box.left + box.right) // 2, (box.top + box.bottom) // 2
    x0, y0 = max(0, cx - side // 2), max(0, cy - side // 2)
    head = photo[y0:y0 + side, x0:x0 + side]
    ph = h - 40
    frame[20:20 + ph, 20:20 + ph] = cv2.resize(head, (ph, ph), interpolation=cv2.INTER_AREA)
    qr_png = out.with_suffix(".qr.png")
    segno.make(qr_text, error="m", encoding="utf-8").save(str(qr_png), scale=4, border=4)
    qr = cv2.imread(str(qr_png))
    y0, x0 = (h - qr.shape[0]) // 2, w - qr.shape[1] - 30
    frame[y0:y0 + qr.shape[0], x0:x0 + qr.shape[1]] = qr
    yuv = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(5):
            f.write(b"FRAME\n" + yuv.tobytes())
    return out


@pytest.fixture
def browser(tmp_path: Path, faces: Path):  # type: ignore[no-untyped-def]
    need(CHROMIUM.exists() and CHROMEDRIVER.exists(),
         "Debian chromium + chromium-driver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    qr = CccdQr("001093000001", "", "Nguyễn Văn An", __import__("datetime").date(1993, 1, 5),
                "Nam", "Hà Nội", __import__("datetime").date(2021, 1, 5))
    video = camera_y4m(faces / "barack_obama" / "3.jpg", encode_cccd_qr(qr), tmp_path / "cam.y4m")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1500",
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-video-capture={video}", "--lang=vi"):
        opts.add_argument(flag)
    env_before = os.environ.get("SE_AVOID_STATS")
    os.environ["SE_AVOID_STATS"] = "true"
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=opts)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        if env_before is None:
            os.environ.pop("SE_AVOID_STATS", None)


def _wait(driver, cond, timeout: float = 40.0, what: str = ""):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond(driver)
        if value:
            return value
        time.sleep(0.1)
    driver.save_screenshot(str(ARTIFACTS / "timeout.png"))
    raise AssertionError(f"timed out waiting for {what}")


def test_teller_page_full_verification_keyboard_only(pcscd_vpcd, face_persona, browser,
                                                      tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    sim_eac = ROOT / "cardkit" / "sim" / "data" / "eac"
    cfg = ServiceConfig(sim_trust=True, audit_url=f"sqlite:///{tmp_path / 'a' / 'audit.db'}",
                        card_wait=60.0, terminal_chain=[str(sim_eac)],
                        terminal_key=str(sim_eac / "is.key.pem"))
    reader = pcscd_vpcd.readers[0]
    d = browser
    with running_service(cfg) as url:
        d.get(url + "/")
        _wait(d, lambda d: d.find_element(By.ID, "reader").get_attribute("value") == reader,
              what="reader list")
        assert d.find_element(By.TAG_NAME, "h1").text == "Xác minh CCCD tại quầy"
        active = d.switch_to.active_element
        # Keyboard only: Tab to the "scan QR" button, Enter.
        for _ in range(20):
            active.send_keys(Keys.TAB)
            active = d.switch_to.active_element
            if active.get_attribute("id") == "scan":
                break
        assert active.get_attribute("id") == "scan"
        active.send_keys(Keys.ENTER)
        _wait(d, lambda d: d.find_element(By.ID, "id_number").get_attribute("value"),
              what="QR scan")
        assert d.find_element(By.ID, "id_number").get_attribute("value") == "001093000001"
        assert d.find_element(By.ID, "dob").get_attribute("value") == "05/01/1993"
        assert "Nguyễn Văn An" in d.find_element(By.ID, "qr-status").text
        # The page moved the focus to the expiry field: type it, Enter submits.
        active = d.switch_to.active_element
        assert active.get_attribute("id") == "expiry"
        with card_on_reader(pcscd_vpcd, reader, face_persona):
            active.send_keys("05/01/2033")
            active.send_keys(Keys.ENTER)
            _wait(d, lambda d: d.find_element(By.ID, "verdict").get_attribute("data-verdict"),
                  what="verdict")
        verdict = d.find_element(By.ID, "verdict")
        assert verdict.get_attribute("data-verdict") == "VERIFIED", verdict.text
        assert "ĐÃ XÁC MINH" in verdict.text
        assert d.switch_to.active_element.get_attribute("id") == "verdict"
        assert d.find_element(By.ID, "progress").get_attribute("value") == "100"
        badges = {b.get_attribute("data-check"): b.get_attribute("data-state")
                  for b in d.find_elements(By.CSS_SELECTOR, "#badges .badge")}
        assert badges == {"passive_auth": "valid", "chip": "valid", "document": "valid",
                          "face": "match", "finger": "not_performed"}
        holder = {e.get_attribute("data-field"): e.text
                  for e in d.find_elements(By.CSS_SELECTOR, "#holder dd")}
        assert holder["full_name"] == "Nguyễn Văn An" and holder["date_of_birth"] == "05/01/1993"
        assert holder["sex"] == "Nam"
        assert d.execute_script(
            "const i = document.getElementById('portrait'); return i.complete && i.naturalWidth")
        assert d.execute_script("return document.getElementById('camera').videoWidth") == 960
        assert d.find_element(By.ID, "fhir").text == "Tải hồ sơ cho bệnh viện (FHIR)"
        d.save_screenshot(str(ARTIFACTS / "teller-verified-vi.png"))
        # English switch.
        d.find_element(By.ID, "lang").send_keys(Keys.ENTER)
        assert "VERIFIED" in d.find_element(By.ID, "verdict").text
        assert d.find_element(By.TAG_NAME, "h1").text == "ID card check at the counter"
        d.save_screenshot(str(ARTIFACTS / "teller-verified-en.png"))
        d.find_element(By.ID, "lang").send_keys(Keys.ENTER)
        # Print view: the form and camera are hidden, the verdict stays.
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        assert not d.find_element(By.ID, "verify").is_displayed()
        assert not d.find_element(By.ID, "camera").is_displayed()
        assert d.find_element(By.ID, "verdict").is_displayed()
        d.save_screenshot(str(ARTIFACTS / "teller-print-vi.png"))
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "screen"})
        # Next customer: a cloned chip. Same key; the verdict turns red with the reason.
        with card_on_reader(pcscd_vpcd, reader, "clone"):
            d.find_element(By.ID, "verify").send_keys(Keys.ENTER)
            _wait(d, lambda d: d.find_element(By.ID, "verdict").get_attribute("data-verdict")
                  == "REJECTED", what="REJECTED verdict")
        text = d.find_element(By.ID, "verdict").text
        assert "TỪ CHỐI" in text and "Không chấp nhận thẻ" in text
        badge = d.find_element(By.CSS_SELECTOR, "#badges .badge[data-check=chip]")
        assert badge.get_attribute("data-state") == "invalid" and "bad" in badge.get_attribute(
            "class")
        d.save_screenshot(str(ARTIFACTS / "teller-rejected-clone-vi.png"))
        # Next customer: an EAC card (same key) and the finger step: the customer's right index
        # as an image file, the signature-only policy (no face) — the finger badge turns green.
        _finger_customer(d, pcscd_vpcd, reader, tmp_path)
    assert (ARTIFACTS / "teller-verified-vi.png").stat().st_size > 10_000
    assert (ARTIFACTS / "teller-finger-vi.png").stat().st_size > 10_000


def _finger_customer(d, harness, reader: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    from cardkit.biometrics.finger.extract import available
    from cardkit.sim import fingerprint_synth as fs
    from cardkit.sim.personas import get_persona

    need(available(), "nbis-py not installed (pip install 'cardkit[finger]')")
    live = tmp_path / "ngon-tro-phai.png"
    live.write_bytes(fs.impression_png(fs.persona_identity(get_persona("eac")), "right-index", 2))
    assert d.find_element(By.ID, "h-finger").text == "3. Vân tay (nếu chính sách yêu cầu)"
    Select(d.find_element(By.ID, "policy")).select_by_value("inspect-only")
    d.find_element(By.ID, "finger_file").send_keys(str(live))
    assert d.find_element(By.ID, "finger_source").get_attribute("value") == "file"
    Select(d.find_element(By.ID, "finger_position")).select_by_value("right-index")
    with card_on_reader(harness, reader, "eac"):
        d.find_element(By.ID, "verify").send_keys(Keys.ENTER)
        _wait(d, lambda d: d.find_element(By.ID, "verdict").get_attribute("data-verdict")
              == "VERIFIED", what="VERIFIED with the finger")
    badge = d.find_element(By.CSS_SELECTOR, "#badges .badge[data-check=finger]")
    assert badge.get_attribute("data-state") == "match" and "good" in badge.get_attribute("class")
    assert "Vân tay: khớp" in badge.text
    d.save_screenshot(str(ARTIFACTS / "teller-finger-vi.png"))
