"""udev/ files: rule syntax, well-formed USB ids, coverage of the profiles, the pn533 blacklist,
and udev/install.sh into a scratch root."""

from __future__ import annotations

import plistlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cardkit.transport.profiles import all_usb_ids
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "udev" / "60-cardkit-readers.rules"
BLACKLIST = ROOT / "udev" / "blacklist-pn533.conf"
INSTALL = ROOT / "udev" / "install.sh"
CCID_PLIST = Path("/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Info.plist")

# udev(7): KEY[{attr}] OP "value", pairs separated by commas
PAIR = re.compile(r'\s*([A-Z_]+)(\{[^}]+\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(?:,|$)')
MATCH_KEYS = {"ACTION", "SUBSYSTEM", "SUBSYSTEMS", "ATTR", "ATTRS", "ENV", "KERNEL", "DRIVER",
              "TAG"}
ASSIGN_KEYS = {"MODE", "GROUP", "OWNER", "TAG", "ENV", "GOTO", "LABEL", "RUN"}


def parse_rules(text: str) -> list[list[tuple[str, str | None, str, str]]]:
    """A strict parser for the subset of udev rule syntax we use; raises on anything else."""
    rules = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pairs, pos = [], 0
        while pos < len(line):
            m = PAIR.match(line, pos)
            if not m:
                raise ValueError(f"line {lineno}: cannot parse at {line[pos:]!r}")
            key, attr, op, value = m.groups()
            is_match = op in ("==", "!=")
            allowed = MATCH_KEYS if is_match else ASSIGN_KEYS
            if key not in allowed:
                raise ValueError(f"line {lineno}: {key} {op} not allowed")
            if key in ("ATTR", "ATTRS", "ENV") and not attr:
                raise ValueError(f"line {lineno}: {key} needs {{name}}")
            pairs.append((key, attr[1:-1] if attr else None, op, value))
            pos = m.end()
        rules.append(pairs)
    return rules


def test_rules_parse_and_are_consistent():
    rules = parse_rules(RULES.read_text())
    gotos = {v for r in rules for k, _, op, v in r if k == "GOTO"}
    labels = {v for r in rules for k, _, op, v in r if k == "LABEL"}
    assert gotos == labels == {"cardkit_readers_end"}
    for r in rules:
        keys = {k for k, *_ in r}
        if "MODE" in keys:
            assert dict((k, v) for k, _, _, v in r if k in ("MODE", "GROUP")) == \
                {"MODE": "0660", "GROUP": "scard"}
    # the last rule is the label: every access rule is inside the guarded block
    assert rules[-1] == [("LABEL", None, "=", "cardkit_readers_end")]


def test_parser_rejects_bad_syntax():
    with pytest.raises(ValueError):
        parse_rules('ATTR{idVendor}=="072f" ATTR{idProduct}=="2200"')  # missing comma
    with pytest.raises(ValueError):
        parse_rules("ATTR{idVendor}==072f")  # unquoted
    with pytest.raises(ValueError):
        parse_rules('MODE=="0660"')  # MODE is not a match key


def _rule_ids() -> list[str]:
    ids = []
    for r in parse_rules(RULES.read_text()):
        attrs = {a: v for k, a, op, v in r if k == "ATTR" and op == "=="}
        if "idVendor" in attrs or "idProduct" in attrs:
            ids.append(f"{attrs['idVendor']}:{attrs['idProduct']}")
    return ids


def test_every_id_well_formed_and_unique():
    ids = _rule_ids()
    assert len(ids) >= 15
    assert len(set(ids)) == len(ids)
    for u in ids:
        assert re.fullmatch(r"[0-9a-f]{4}:[0-9a-f]{4}", u), u
        assert u != "0000:0000"


def test_rules_cover_every_profile_id():
    assert {u for u, _ in all_usb_ids()} == set(_rule_ids())


def test_ids_known_to_libccid():
    need(CCID_PLIST.exists(), "libccid not installed (comes with pcscd)")
    plist = plistlib.loads(CCID_PLIST.read_bytes())
    known = {f"{int(v, 16):04x}:{int(p, 16):04x}"
             for v, p in zip(plist["ifdVendorID"], plist["ifdProductID"], strict=True)}
    missing = set(_rule_ids()) - known
    assert not missing, f"ids not in libccid's list: {missing}"


def test_ccid_class_catch_all():
    rules = parse_rules(RULES.read_text())
    assert any(("ENV", "ID_USB_INTERFACES", "==", "*:0b0000:*") in r for r in rules)


def test_udevadm_verify_when_available():
    udevadm = shutil.which("udevadm")
    if udevadm is None:
        pytest.skip("udevadm not installed (the parser test covers the syntax)")
    probe = subprocess.run([udevadm, "verify", "--help"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("this udevadm has no `verify` (systemd < 254)")
    res = subprocess.run([udevadm, "verify", str(RULES)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_blacklist_file():
    lines = [ln.strip() for ln in BLACKLIST.read_text().splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    assert lines == ["blacklist pn533_usb", "blacklist pn533", "blacklist nfc"]
    assert "ONLY for PN533-based readers" in BLACKLIST.read_text()


def test_install_script_into_scratch_root(tmp_path):
    res = subprocess.run(["bash", str(INSTALL), "--root", str(tmp_path)], capture_output=True,
                         text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    rules = tmp_path / "etc/udev/rules.d/60-cardkit-readers.rules"
    bl = tmp_path / "etc/modprobe.d/cardkit-blacklist-pn533.conf"
    assert rules.read_text() == RULES.read_text()
    assert bl.read_text() == BLACKLIST.read_text()
    assert oct(rules.stat().st_mode & 0o777) == "0o644"
    res = subprocess.run(["bash", str(INSTALL), "--root", str(tmp_path), "--uninstall"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0 and not rules.exists() and not bl.exists()
    res = subprocess.run(["bash", str(INSTALL), "--root", str(tmp_path), "--no-blacklist",
                          "--group", "plugdev"], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0 and not bl.exists()
    assert 'GROUP="plugdev"' in rules.read_text() and 'GROUP="scard"' not in rules.read_text()
    assert subprocess.run(["bash", str(INSTALL), "--bogus"], capture_output=True).returncode == 2
