"""End to end on the virtual card: `cardkit verify --sim eac … --finger IMAGE` reads DG3 after
Terminal Authentication and matches the live (synthetic) impression against the card's finger;
another finger does not match; a forger's DG3 (not covered by EF.SOD) carrying the forger's own
finger is never compared, so the forger's finger cannot 'match'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit.biometrics.finger.extract import available
from cardkit_cli.main import cli
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
SIM_EAC = ROOT / "cardkit" / "sim" / "data" / "eac"
TA = ["--terminal-chain", str(SIM_EAC), "--terminal-key", str(SIM_EAC / "is.key.pem")]


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.output + (r.stderr if r.stderr_bytes else "")


def finger_check(*args: str) -> tuple[int, dict, dict]:
    """Run with --json: (exit code, the finger_match check, the whole report)."""
    r = CliRunner().invoke(cli, [*args, "--json"])
    report = json.loads(r.stdout)
    return r.exit_code, report["checks"]["finger_match"], report


@pytest.fixture(scope="module")
def impressions(tmp_path_factory) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    need(available(), "nbis-py not installed (pip install 'cardkit[finger]')")
    from cardkit.sim import fingerprint_synth as fs
    from cardkit.sim.personas import get_persona

    d = tmp_path_factory.mktemp("fingers")
    ident = fs.persona_identity(get_persona("eac"))
    out = {}
    for name, (identity, finger) in {"right": (ident, "right-index"),
                                     "left": (ident, "left-index"),
                                     "forger": ("079185000777", "right-index")}.items():
        p = d / f"{name}.png"
        p.write_bytes(fs.impression_png(identity, finger, 2))
        out[name] = p
    return out


def test_same_finger_matches_and_another_does_not(impressions) -> None:  # type: ignore[no-untyped-def]
    rc, out = run("verify", "--sim", "eac", *TA, "--finger", str(impressions["right"]))
    assert rc == 0, out
    assert "VERIFIED" in out and "the finger matches" in out
    rc, check, report = finger_check("verify", "--sim", "eac", *TA, "--finger",
                                     str(impressions["left"]))
    assert rc == 5, check
    assert check["state"] == "no_match" and report["policy"]["checks"]["finger_match"] == \
        "required"
    assert check["details"]["card_finger"] == "right index"
    # the operator says it is the left index: compared with the card's left index → match
    rc, check, _ = finger_check("verify", "--sim", "eac", *TA, "--finger",
                                str(impressions["left"]), "--finger-position", "left-index")
    assert rc == 0, check
    assert check["state"] == "match" and check["details"]["card_finger"] == "left index"
    assert check["details"]["score"] >= check["details"]["threshold"]


def test_best_of_the_cards_fingers_is_reported(impressions) -> None:  # type: ignore[no-untyped-def]
    rc, check, _ = finger_check("verify", "--sim", "eac", *TA, "--finger",
                                str(impressions["left"]), "--best-finger")
    assert rc == 0, check
    assert check["details"]["mode"] == "best of the card's fingers"
    assert check["details"]["comparisons"] == 2


def test_without_terminal_authentication_the_finger_is_not_performed(impressions) -> None:  # type: ignore[no-untyped-def]
    rc, check, _ = finger_check("verify", "--sim", "eac", "--finger", str(impressions["right"]))
    assert rc != 0
    assert check["state"] in ("not_performed", "unverifiable")
    assert "Terminal Authentication" in check["reason"]


def test_forged_dg3_with_the_forgers_finger_is_never_compared(impressions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cardkit.sim import card as sim_card
    from cardkit.sim.personas_ta import finger_dg3

    original = sim_card.VirtualCard.__init__

    def forged(self, *a, **kw):  # type: ignore[no-untyped-def]
        original(self, *a, **kw)
        self.files["DG3"] = finger_dg3("079185000777")  # the forger's own fingers

    monkeypatch.setattr(sim_card.VirtualCard, "__init__", forged)
    rc, check, _ = finger_check("verify", "--sim", "eac", *TA, "--finger",
                                str(impressions["forger"]))
    assert rc == 3, check  # not genuine, and the finger is not compared at all
    assert check["state"] == "unverifiable"
    assert "not covered by a valid issuer signature" in check["reason"]
    assert "score" not in check.get("details", {})


def test_inspect_dump_with_finger(impressions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A dump folder written by `read --out` after TA: its DG3 against the live finger."""
    dump = tmp_path / "dump"
    rc, out = run("read", "--sim", "eac", *TA, "--out", str(dump))
    assert rc == 0, out
    rc, check, _ = finger_check("inspect", str(dump), "--trust", "sim-test", "--finger",
                                str(impressions["right"]))
    assert rc == 0, check
    assert check["state"] == "match"
    rc, check, _ = finger_check("inspect", str(dump), "--trust", "sim-test", "--finger",
                                str(impressions["left"]))
    assert rc == 5 and check["state"] == "no_match"


def test_verify_with_the_libfprint_scanner(impressions, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`verify --fingerprint-scanner`: the live finger comes through libfprint's virtual_image
    device (an impression pushed into its socket) and matches the card's right index."""
    import socket
    import struct
    import threading
    import time

    import cv2

    sock = tmp_path / "fp.sock"
    monkeypatch.setenv("FP_VIRTUAL_IMAGE", str(sock))
    from cardkit.biometrics.finger.scanner import ScannerError, list_scanners

    try:
        found = list_scanners()
    except ScannerError:
        found = []
    need(any(s.driver == "virtual_image" for s in found),
         "libfprint virtual_image device not available (libfprint-2-2, PyGObject)")
    px = cv2.imread(str(impressions["right"]), cv2.IMREAD_GRAYSCALE)

    def push() -> None:
        for _ in range(400):  # the device listens once the card has been read
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(str(sock))
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)
        h, w = px.shape
        s.sendall(struct.pack("ii", w, h) + px.tobytes())
        time.sleep(1.0)
        s.close()

    threading.Thread(target=push, daemon=True).start()
    rc, check, _ = finger_check("verify", "--sim", "eac", *TA, "--fingerprint-scanner")
    assert rc == 0, check
    assert check["state"] == "match" and check["details"]["card_finger"] == "right index"
