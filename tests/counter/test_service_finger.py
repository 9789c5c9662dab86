"""The fingerprint through the counter service, end to end: real uvicorn, real pcscd + vpcd, the
virtual card's EAC persona; the service's EAC terminal (configured at start) reads DG3 after
Terminal Authentication; the live finger is a synthetic impression of the card holder's finger
(match) or of another finger (no match), uploaded or captured by libfprint's virtual_image."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from cardkit.errors import InputError
from cardkit.service.app import ServiceConfig, create_app
from cardkit.sim.personas import get_persona
from tests.conftest import need

from .conftest import card_on_reader, free_port, running_service
from .test_service_e2e import _events, _key

pytestmark = [pytest.mark.pcscd]
ROOT = Path(__file__).resolve().parents[2]
SIM_EAC = ROOT / "cardkit" / "sim" / "data" / "eac"


@pytest.fixture(scope="module")
def fingers() -> dict[str, bytes]:
    from cardkit.biometrics.finger.extract import available

    need(available(), "nbis-py not installed (pip install 'cardkit[finger]')")
    from cardkit.sim import fingerprint_synth as fs

    ident = fs.persona_identity(get_persona("eac"))
    return {"right": fs.impression_png(ident, "right-index", 2),
            "left": fs.impression_png(ident, "left-index", 2)}


@pytest.fixture(scope="module")
def eac_service(pcscd_vpcd, tmp_path_factory):  # type: ignore[no-untyped-def]
    db = tmp_path_factory.mktemp("audit-finger") / "audit.db"
    cfg = ServiceConfig(sim_trust=True, audit_url=f"sqlite:///{db}", card_wait=60.0,
                        terminal_chain=[str(SIM_EAC)], terminal_key=str(SIM_EAC / "is.key.pem"))
    with running_service(cfg) as url:
        yield url, db


def _png(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def verify_finger(base: str, harness, persona: str = "eac", **finger) -> tuple[dict, list]:  # type: ignore[no-untyped-def]
    reader = harness.readers[0]
    with card_on_reader(harness, reader, persona), httpx.Client(base_url=base, timeout=60) as c:
        r = c.post("/api/verifications", json={"reader": reader, "key": _key(persona),
                                                "policy": "bank", **finger})
        assert r.status_code == 202, r.text
        events = _events(c, r.json()["id"])
        res = c.get(f"/api/verifications/{r.json()['id']}").json()
    assert res["state"] == "done", res
    return res, events


def test_same_finger_is_verified_and_another_is_rejected(eac_service, pcscd_vpcd,
                                                         fingers) -> None:
    base, db = eac_service
    res, events = verify_finger(base, pcscd_vpcd, finger_image=_png(fingers["right"]),
                                finger_position="right-index")
    v, rep = res["teller"], res["report"]
    assert v["label"] == "VERIFIED", v
    assert v["badges"]["finger"] == "match"
    check = rep["checks"]["finger_match"]
    assert check["state"] == "match" and check["details"]["card_finger"] == "right index"
    assert check["details"]["score"] >= check["details"]["threshold"]
    assert rep["checks"]["terminal_auth"]["state"] == "valid"
    # A live finger makes the policy require it; with no face frame the face is off (as the CLI).
    assert rep["policy"]["checks"]["finger_match"] == "required"
    assert rep["policy"]["checks"]["face_match"] == "off"
    kinds = [e["kind"] for e in events]
    assert "finger" in kinds and kinds.index("finger") < kinds.index("done")
    assert any(e.get("file") == "DG3" for e in events)
    assert next(e for e in events if e["kind"] == "finger")["message_vi"] == \
        "Đang so khớp vân tay"

    # The left index offered as the right index: no match, rejected, with what to do next.
    res, _ = verify_finger(base, pcscd_vpcd, finger_image=_png(fingers["left"]),
                           finger_position="right-index")
    v = res["teller"]
    assert v["label"] == "REJECTED" and v["failed_check"] == "finger_match", v
    assert v["badges"]["finger"] == "no_match"
    assert res["report"]["checks"]["finger_match"]["state"] == "no_match"
    assert "Vân tay không khớp" in v["next_step_vi"] and v["reason_vi"] != v["reason_en"]

    # The same left index, named as such by the operator: compared with the card's left index.
    res, _ = verify_finger(base, pcscd_vpcd, finger_image=_png(fingers["left"]),
                           finger_position="left-index")
    assert res["teller"]["label"] == "VERIFIED", res["teller"]
    assert res["report"]["checks"]["finger_match"]["details"]["card_finger"] == "left index"

    # No finger image ever reaches the audit trail.
    blob = b"".join(p.read_bytes() for p in db.parent.iterdir())
    for img in fingers.values():
        assert img[64:96] not in blob


def test_a_forged_dg3_is_never_compared(eac_service, pcscd_vpcd, fingers) -> None:
    """A forger's card carrying the forger's own finger in DG3 (not covered by EF.SOD): the
    forger's live finger is never compared — unverifiable, and the card is rejected."""
    import dataclasses
    from types import MappingProxyType

    from cardkit.sim import fingerprint_synth as fs
    from cardkit.sim.personas import register_persona
    from cardkit.sim.personas_ta import finger_dg3

    forger = "079185000777"

    def forged(seed):  # type: ignore[no-untyped-def]
        p = get_persona("eac", seed)  # EF.SOD stays the issuer's: it does not cover this DG3
        return dataclasses.replace(p, files=MappingProxyType({**p.files,
                                                              "DG3": finger_dg3(forger)}))

    register_persona("test-counter-forged-dg3", "test: the forger's fingers in DG3", forged)
    res, _ = verify_finger(eac_service[0], pcscd_vpcd, "test-counter-forged-dg3",
                           finger_image=_png(fs.impression_png(forger, "right-index", 2)))
    check = res["report"]["checks"]["finger_match"]
    assert res["teller"]["label"] == "REJECTED"
    assert check["state"] == "unverifiable" and "score" not in check.get("details", {})
    assert res["teller"]["badges"]["finger"] == "unverifiable"


def test_without_a_terminal_the_finger_cannot_be_checked(pcscd_vpcd, fingers, tmp_path) -> None:
    cfg = ServiceConfig(sim_trust=True, audit_url="", card_wait=60.0)
    with running_service(cfg) as base:
        res, _ = verify_finger(base, pcscd_vpcd, finger_image=_png(fingers["right"]))
    v = res["teller"]
    assert v["label"] != "VERIFIED" and v["badges"]["finger"] == "unverifiable", v
    assert "Terminal Authentication" in res["report"]["checks"]["finger_match"]["reason"]
    assert "EAC" in v["next_step_vi"]


def test_finger_from_the_libfprint_scanner(eac_service, pcscd_vpcd, fingers, tmp_path,
                                          monkeypatch) -> None:
    """The scanner listed by /api/fingerprint-scanners (libfprint virtual_image) gives the live
    finger; the page's step tells the customer to place it."""
    import socket
    import struct
    import threading
    import time

    import cv2
    import numpy as np

    sock = tmp_path / "fp.sock"
    monkeypatch.setenv("FP_VIRTUAL_IMAGE", str(sock))
    base, _ = eac_service
    listed = httpx.get(base + "/api/fingerprint-scanners", timeout=30).json()
    scanners = [s for s in listed["scanners"] if s["driver"] == "virtual_image"]
    need(bool(scanners), f"libfprint virtual_image device not available ({listed})")
    assert scanners[0]["can_capture"]
    px = cv2.imdecode(np.frombuffer(fingers["right"], np.uint8), cv2.IMREAD_GRAYSCALE)
    pushed = threading.Event()

    def push() -> None:
        deadline = time.monotonic() + 60  # the device listens once the card has been read
        while time.monotonic() < deadline:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(str(sock))
                break
            except OSError:
                time.sleep(0.05)
        else:
            return
        time.sleep(0.3)
        h, w = px.shape
        s.sendall(struct.pack("ii", w, h) + px.tobytes())
        pushed.set()
        time.sleep(1.0)
        s.close()

    threading.Thread(target=push, daemon=True).start()
    res, events = verify_finger(base, pcscd_vpcd, finger_scanner=scanners[0]["device_id"])
    assert pushed.is_set()
    check = res["report"]["checks"]["finger_match"]
    assert res["teller"]["label"] == "VERIFIED", check
    assert check["state"] == "match" and check["details"]["card_finger"] == "right index"
    scan = next(e for e in events if e["kind"] == "finger_scan")
    assert scan["message_vi"] == "Đặt ngón tay đã chọn lên máy quét vân tay"


def test_bad_finger_requests(eac_service) -> None:
    base, _ = eac_service
    body = {"reader": "x", "key": _key("eac")}
    with httpx.Client(base_url=base, timeout=30) as c:
        both = c.post("/api/verifications", json={**body, "finger_image": _png(b"x"),
                                                   "finger_scanner": ""})
        assert both.status_code == 422 and "one live finger" in both.text
        bad_pos = c.post("/api/verifications", json={**body, "finger_position": "nose"})
        assert bad_pos.status_code == 422
        no_b64 = c.post("/api/verifications", json={**body, "finger_image": "!!"})
        assert no_b64.status_code == 422 and "finger_image" in no_b64.text


def test_terminal_configuration_is_checked_at_start(monkeypatch) -> None:
    with pytest.raises(InputError, match="both"):
        create_app(ServiceConfig(terminal_chain=[str(SIM_EAC)]))
    monkeypatch.delenv("CARDKIT_PKCS11_PIN", raising=False)
    with pytest.raises(InputError, match="environment"):  # never a prompt, never in a request
        create_app(ServiceConfig(terminal_chain=[str(SIM_EAC)],
                                 terminal_key="pkcs11:token=t;object=k"))


def test_cardkit_serve_with_the_terminal_key_in_softhsm(pcscd_vpcd, fingers, tmp_path) -> None:
    """`cardkit serve --terminal-chain … --terminal-key pkcs11:…` as a real process: the IS key
    lives in a SoftHSM2 token (PIN from the environment), DG3 is read and the finger matches. A
    wrong PIN or a missing one stops the service at start with one line, before it listens."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.eac.test_eac_pcscd_softhsm import PIN, URI, cardkit
    from tests.eac.test_eac_pcscd_softhsm import hsm as make_hsm

    env = make_hsm.__wrapped__(_TmpFactory(tmp_path))  # type: ignore[attr-defined]
    chain = tmp_path / "chain"
    r = cardkit(env, "eac", "make-test-chain", str(chain), "--from-cvca", str(SIM_EAC),
                "--is-key", URI)
    assert r.returncode == 0, r.stderr
    serve = [sys.executable, "-m", "cardkit", "serve", "--sim-trust", "--no-audit",
             "--terminal-chain", str(chain), "--terminal-key", URI]
    env = {**pcscd_vpcd.env, **{k: v for k, v in env.items() if k.startswith(("SOFTHSM",))},
           "CARDKIT_DATA_DIR": str(tmp_path / "data")}
    env.pop("CARDKIT_PKCS11_PIN", None)
    for pin, message in ((None, "CARDKIT_PKCS11_PIN"), ("0000", "PIN is wrong")):
        bad = dict(env)
        if pin is not None:
            bad["CARDKIT_PKCS11_PIN"] = pin
        r = subprocess.run([*serve, "--port", str(free_port())], env=bad, capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert r.returncode == 2 and message in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    port = free_port()
    proc = subprocess.Popen([*serve, "--port", str(port)], env={**env, "CARDKIT_PKCS11_PIN": PIN},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-800:]  # type: ignore[union-attr]
            try:
                health = httpx.get(url + "/api/health", timeout=2)
                if health.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "cardkit serve did not start"
            time.sleep(0.2)
        assert health.json()["terminal"] is True
        res, _ = verify_finger(url, pcscd_vpcd, finger_image=_png(fingers["right"]))
        assert res["report"]["checks"]["terminal_auth"]["state"] == "valid"
        assert res["report"]["checks"]["finger_match"]["state"] == "match"
        assert res["teller"]["label"] == "VERIFIED"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


class _TmpFactory:
    def __init__(self, base: Path) -> None:
        self.base = base

    def mktemp(self, name: str) -> Path:
        d = self.base / name
        d.mkdir()
        return d
