"""`cardkit doctor` against pcscd + vpcd: healthy, card present, pcscd stopped, no reader, pn533."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit.doctor import Environment, Status, run_doctor, usb_readers
from cardkit.sim import pcscd_harness
from cardkit.sim.pcscd_harness import VpcdStubCard
from cardkit_cli.doctor import doctor

pytestmark = pytest.mark.pcscd

ROOT = Path(__file__).resolve().parents[2]


def emrtd_card(apdu: bytes) -> bytes:
    return b"\x90\x00" if apdu == bytes.fromhex("00A4040C07A0000002471001") else b"\x6a\x82"


def not_emrtd(apdu: bytes) -> bytes:
    return b"\x6a\x82"


def _no_host_noise(tmp_path: Path) -> Environment:
    """Doctor looking at an empty sysfs and no kernel modules (this machine's USB is irrelevant)."""
    (tmp_path / "sys/bus/usb/devices").mkdir(parents=True)
    (tmp_path / "modules").write_text("")
    return Environment(sys_root=tmp_path / "sys", proc_modules=tmp_path / "modules")


def _wait_present(card_reader: str, timeout: float = 3.0) -> None:
    from cardkit.transport.pcsc import SCARD_STATE_PRESENT, reader_state

    deadline = time.monotonic() + timeout
    while not reader_state(card_reader)[0] & SCARD_STATE_PRESENT:
        assert time.monotonic() < deadline, "card never appeared"
        time.sleep(0.05)


def test_healthy_without_card(pcscd_vpcd, tmp_path):
    report = run_doctor(_no_host_noise(tmp_path))
    assert report.usable and int(report.exit_code) == 0
    assert [r.name for r in report.readers] == pcscd_vpcd.readers
    assert all(r.card == "absent" and r.driver.startswith("vpcd") for r in report.readers)
    assert report.checks[0].status is Status.OK


def test_healthy_with_emrtd_card_cli(pcscd_vpcd):
    reader = pcscd_vpcd.readers[0]
    with VpcdStubCard(pcscd_vpcd.port_for(reader), emrtd_card) as card:
        _wait_present(reader)
        result = CliRunner().invoke(doctor, ["--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        first = next(r for r in data["readers"] if r["name"] == reader)
        assert first["card"] == "present"
        assert first["emrtd_select"].startswith("9000")
        assert first["atr"] == card.atr.hex().upper()
        assert bytes.fromhex("00A4040C07A0000002471001") in card.apdus
        plain = CliRunner().invoke(doctor, [])
        assert "eMRTD application selected" in plain.output
        assert "Result: a reader is usable." in plain.output


def test_card_that_is_not_an_emrtd(pcscd_vpcd, tmp_path):
    reader = pcscd_vpcd.readers[1]
    with VpcdStubCard(pcscd_vpcd.port_for(reader), not_emrtd):
        _wait_present(reader)
        report = run_doctor(_no_host_noise(tmp_path))
    rep = next(r for r in report.readers if r.name == reader)
    assert rep.emrtd.startswith("6A82")
    assert any(c.status is Status.WARN and "not an eMRTD" in c.detail for c in report.checks)
    assert report.usable  # the reader works; the card is the wrong one


def test_pcscd_stopped_names_the_fix(pcscd_vpcd):
    with pcscd_harness.pointed_at(None, pcscd_vpcd.socket_path):
        result = CliRunner().invoke(doctor, [])
    assert result.exit_code == 4
    assert "sudo systemctl start pcscd" in result.output
    assert "Traceback" not in result.output


def test_pcscd_stopped_subprocess(pcscd_vpcd, tmp_path):
    env = dict(pcscd_vpcd.env)
    env["PCSCLITE_CSOCK_NAME"] = str(tmp_path / "nothing-here.comm")
    proc = subprocess.run([sys.executable, "-c", "from cardkit_cli.doctor import doctor; doctor()"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 4, proc.stderr
    assert "PC/SC service not reachable at" in proc.stdout
    assert "systemctl start pcscd" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_no_reader(no_reader_pcscd):
    result = CliRunner().invoke(doctor, [])
    assert result.exit_code == 4
    assert "no card reader found" in result.output
    assert "fix: plug the reader in" in result.output


def _fake_usb(root: Path, name: str, vid: str, pid: str, product: str, ccid: bool) -> None:
    dev = root / "sys/bus/usb/devices" / name
    dev.mkdir(parents=True)
    for k, v in {"idVendor": vid, "idProduct": pid, "product": product, "busnum": "1",
                 "devnum": "7"}.items():
        (dev / k).write_text(v + "\n")
    if ccid:
        intf = root / "sys/bus/usb/devices" / f"{name}:1.0"
        intf.mkdir()
        (intf / "bInterfaceClass").write_text("0b\n")


def test_pn533_conflict_detected(pcscd_vpcd, tmp_path):
    _fake_usb(tmp_path, "1-2", "072f", "2200", "ACR122U PICC Interface", ccid=False)
    _fake_usb(tmp_path, "1-3", "1234", "5678", "Some CCID thing", ccid=True)
    _fake_usb(tmp_path, "1-4", "046d", "c077", "A mouse", ccid=False)
    (tmp_path / "modules").write_text("pn533_usb 20480 0 - Live 0x0\npn533 45056 1 pn533_usb\n"
                                      "nfc 135168 1 pn533, Live 0x0\n")
    env = Environment(sys_root=tmp_path / "sys", proc_modules=tmp_path / "modules")
    found = usb_readers(env)
    assert [u.usb_id for u in found] == ["072f:2200", "1234:5678"]
    assert found[0].title.startswith("ACS ACR122U")
    report = run_doctor(env)
    pn = next(c for c in report.checks if c.name == "pn533")
    assert pn.status is Status.FAIL  # ACR122U plugged in but not listed by pcscd
    assert "modprobe -r pn533_usb pn533 nfc" in pn.fix
    assert "udev/install.sh" in pn.fix


def test_pn533_loaded_without_reader_is_only_info(pcscd_vpcd, tmp_path):
    env = _no_host_noise(tmp_path)
    env.proc_modules.write_text("nfc 135168 0 - Live 0x0\n")
    report = run_doctor(env)
    pn = next(c for c in report.checks if c.name == "pn533")
    assert pn.status is Status.INFO
    assert report.usable


def test_stale_socket_hint(pcscd_vpcd, tmp_path):
    stale = tmp_path / "pcscd.comm"
    stale.write_text("")  # exists, but nothing listens
    with pcscd_harness.pointed_at(stale, pcscd_vpcd.socket_path):
        report = run_doctor(_no_host_noise(tmp_path))
    assert not report.usable
    assert "refuses this user" in report.checks[0].fix
