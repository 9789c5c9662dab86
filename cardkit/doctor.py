"""`cardkit doctor`: is a reader usable here, and if not, what exactly to fix (README, Readers).

Checks, in order: pcscd installed and reachable; readers listed (with driver, profile, ATR);
USB readers seen by the kernel but not by pcscd; the kernel pn533/nfc modules grabbing a PN533
reader (ACR122U); device-node permissions; on a present card, SELECT of the eMRTD application
(ICAO 9303-10 §3.6.2, AID A0 00 00 02 47 10 01). A reader is usable when pcscd lists it and, if a
card is present, APDUs go through.
"""

from __future__ import annotations

import os
import plistlib
import shutil
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from .errors import CardError, ExitCode, ReaderError
from .i18n import N_, Message
from .transport.pcsc import (
    SCARD_STATE_MUTE,
    SCARD_STATE_PRESENT,
    PcscTransport,
    list_readers,
    reader_state,
)
from .transport.profiles import ReaderProfile, builtin_profiles, match_profile

EMRTD_SELECT = bytes.fromhex("00A4040C07A0000002471001")
PN533_MODULES = ("pn533_usb", "pn533", "nfc")
CCID_PLIST = Path("/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Info.plist")
UDEV_RULES_INSTALLED = Path("/etc/udev/rules.d/60-cardkit-readers.rules")
BLACKLIST_INSTALLED = Path("/etc/modprobe.d/cardkit-blacklist-pn533.conf")


class Status(Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    INFO = "info"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""
    #: the same texts as translatable Messages (front-ends render them in the user's language)
    detail_msg: Message | None = field(default=None, compare=False)
    fix_msg: Message | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, str]:
        out = {"check": self.name, "status": self.status.value, "detail": self.detail}
        if self.fix:
            out["fix"] = self.fix
        return out


@dataclass(frozen=True)
class ReaderReport:
    name: str
    driver: str
    profile: str
    card: str  # "absent", "present", "mute"
    atr: str = ""
    emrtd: str = ""  # result of SELECT eMRTD, "" when no card
    usable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "driver": self.driver, "profile": self.profile,
                "card": self.card, "atr": self.atr, "emrtd_select": self.emrtd,
                "usable": self.usable}


@dataclass(frozen=True)
class UsbReader:
    usb_id: str  # "vvvv:pppp"
    title: str
    node: Path | None
    ccid: bool


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[Check, ...]
    readers: tuple[ReaderReport, ...] = ()

    @property
    def usable(self) -> bool:
        return any(r.usable for r in self.readers)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.usable else ExitCode.CARD

    @property
    def fixes(self) -> list[str]:
        return [c.fix for c in self.checks if c.fix and c.status in (Status.FAIL, Status.WARN)]

    def to_dict(self) -> dict[str, Any]:
        return {"usable": self.usable, "checks": [c.to_dict() for c in self.checks],
                "readers": [r.to_dict() for r in self.readers], "fixes": self.fixes}


@dataclass
class Environment:
    """Where doctor looks; tests point these at fake trees."""

    sys_root: Path = Path("/sys")
    proc_modules: Path = Path("/proc/modules")
    ccid_plist: Path = CCID_PLIST
    pcscd_binary: str | None = field(default_factory=lambda: shutil.which("pcscd")
                                     or ("/usr/sbin/pcscd" if Path("/usr/sbin/pcscd").exists()
                                         else None))


# --- host inspection -----------------------------------------------------------------------------


def loaded_modules(env: Environment) -> set[str]:
    try:
        text = env.proc_modules.read_text()
    except OSError:
        return set()
    return {line.split()[0] for line in text.splitlines() if line.strip()}


def _read(p: Path) -> str:
    try:
        return p.read_text().strip()
    except OSError:
        return ""


def usb_readers(env: Environment, profiles: list[ReaderProfile] | None = None) -> list[UsbReader]:
    """USB devices that are known readers (profile USB ids) or have a CCID interface (class 0B)."""
    known = {}
    for p in profiles if profiles is not None else builtin_profiles():
        for u in p.usb_ids:
            known.setdefault(u, p.title)
    base = env.sys_root / "bus" / "usb" / "devices"
    out: list[UsbReader] = []
    try:
        devices = sorted(base.iterdir())
    except OSError:
        return out
    for dev in devices:
        vid, pid = _read(dev / "idVendor").lower(), _read(dev / "idProduct").lower()
        if not vid or not pid:
            continue
        usb_id = f"{vid}:{pid}"
        ccid = any(_read(i / "bInterfaceClass").lower() == "0b"
                   for i in dev.parent.glob(f"{dev.name}:*"))
        if usb_id not in known and not ccid:
            continue
        title = known.get(usb_id) or _read(dev / "product") or "CCID reader"
        bus, num = _read(dev / "busnum"), _read(dev / "devnum")
        node = Path(f"/dev/bus/usb/{int(bus):03d}/{int(num):03d}") if bus.isdigit() and \
            num.isdigit() else None
        out.append(UsbReader(usb_id, title, node, ccid))
    return out


def ccid_driver(reader: str, env: Environment) -> str:
    """Which driver serves a PC/SC reader name (from libccid's Info.plist; vpcd by name)."""
    if reader.startswith("Virtual PCD"):
        return "vpcd (vsmartcard virtual reader)"
    try:
        with open(env.ccid_plist, "rb") as f:
            plist = plistlib.load(f)
    except (OSError, plistlib.InvalidFileException, ValueError):
        return "unknown driver"
    version = plist.get("CFBundleShortVersionString", "?")
    for name in plist.get("ifdFriendlyName", []):
        if isinstance(name, str) and reader.startswith(name):
            return f"libccid {version}"
    return "unknown driver (not in libccid's list)"


# --- the checks -----------------------------------------------------------------------------------


def _check(name: str, status: Status, detail: Message, fix: Message | None = None) -> Check:
    """A Check whose English texts come from translatable Messages."""
    return Check(name, status, detail.render(), fix.render() if fix else "", detail, fix)


FIX_RULES_MSG = Message(N_("run `sudo bash udev/install.sh` (or `make udev-install`), then "
                           "re-plug the reader"))


def _pcscd_check(env: Environment) -> tuple[Check, list[str] | None]:
    sock = os.environ.get("PCSCLITE_CSOCK_NAME", "/run/pcscd/pcscd.comm")
    try:
        names = list_readers()
    except ReaderError as exc:
        if env.pcscd_binary is None:
            return _check("pcscd", Status.FAIL, Message(N_("pcscd is not installed")),
                          Message(N_("install it: `sudo apt-get install pcscd libccid`"))), None
        if Path(sock).exists():  # socket there but refused: polkit, or a stale socket
            fix = Message(N_("pcscd's socket exists but refuses this user: allow it in polkit "
                             "(README, Readers, Troubleshooting), or if pcscd crashed: "
                             "`sudo systemctl restart pcscd`"))
        elif shutil.which("systemctl"):
            fix = Message(N_("start it: `sudo systemctl start pcscd` (or run `sudo pcscd`); to "
                             "start it on demand: `sudo systemctl enable --now pcscd.socket`"))
        else:
            fix = Message(N_("start it: `sudo systemctl start pcscd` (or run `sudo pcscd`)"))
        if "denied" in str(exc):
            detail = Message(N_("PC/SC service not reachable at {socket} ({error})"),
                             {"socket": sock, "error": str(exc)})
        else:
            detail = Message(N_("PC/SC service not reachable at {socket}"), {"socket": sock})
        return _check("pcscd", Status.FAIL, detail, fix), None
    return _check("pcscd", Status.OK, Message(N_("PC/SC service reachable ({socket})"),
                                              {"socket": sock})), names


def _pn533_check(env: Environment, usb: list[UsbReader], profiles: list[ReaderProfile],
                 names: list[str]) -> Check | None:
    loaded = [m for m in PN533_MODULES if m in loaded_modules(env)]
    pn533_ids = {u for p in profiles if p.pn533 for u in p.usb_ids}
    pn533_devices = [u for u in usb if u.usb_id in pn533_ids]
    fix = Message(N_("unload them: `sudo modprobe -r pn533_usb pn533 nfc`, and keep them off: "
                     "{install} (installs the pn533 blacklist)"), {"install": FIX_RULES_MSG})
    if loaded and pn533_devices:
        seen = any("ACR122" in n.upper() for n in names)
        status = Status.WARN if seen else Status.FAIL
        return _check("pn533", status,
                      Message(N_("kernel NFC modules loaded ({modules}) and a PN533 reader is "
                                 "plugged in ({reader}): the kernel claims it before pcscd"),
                              {"modules": ", ".join(loaded), "reader": pn533_devices[0].title}),
                      fix)
    if loaded:
        return _check("pn533", Status.INFO,
                      Message(N_("kernel NFC modules loaded ({modules}); harmless unless you use "
                                 "an ACR122U or another PN533 reader"),
                              {"modules": ", ".join(loaded)}))
    return None


def _usb_checks(usb: list[UsbReader], names: list[str]) -> list[Check]:
    checks: list[Check] = []
    for u in usb:
        if u.node is not None and u.node.exists() and not os.access(u.node, os.R_OK | os.W_OK):
            checks.append(_check(
                "permissions", Status.WARN,
                Message(N_("{reader} ({usb_id}): {node} is not read/writable by this user "
                           "(pcscd itself runs as root and may still reach it)"),
                        {"reader": u.title, "usb_id": u.usb_id, "node": str(u.node)}),
                Message(N_("{install}; add yourself to the group: `sudo usermod -aG scard "
                           "$USER`"), {"install": FIX_RULES_MSG})))
        title_words = [w for w in u.title.upper().split() if any(c.isdigit() for c in w)]
        if names and title_words and any(w in n.upper() for n in names for w in title_words):
            continue
        if not names:
            checks.append(_check(
                "usb", Status.FAIL,
                Message(N_("{reader} ({usb_id}) is plugged in but pcscd lists no reader"),
                        {"reader": u.title, "usb_id": u.usb_id}),
                Message(N_("restart pcscd: `sudo systemctl restart pcscd`; if it persists: "
                           "`sudo apt-get install libccid` and check the pn533/permission "
                           "items"))))
    return checks


def _probe_reader(name: str, env: Environment, select_aid: bool) -> tuple[ReaderReport, Check]:
    state, atr = reader_state(name)
    driver = ccid_driver(name, env)
    profile = match_profile(name, atr)
    if state & SCARD_STATE_MUTE:
        rep = ReaderReport(name, driver, profile.key, "mute", atr.hex().upper(), usable=True)
        return rep, _check("card", Status.WARN,
                           Message(N_("{reader}: a card is there but does not answer"),
                                   {"reader": name}),
                           Message(N_("place the card flat and centred, away from other cards "
                                      "and metal")))
    if not state & SCARD_STATE_PRESENT:
        rep = ReaderReport(name, driver, profile.key, "absent")
        return rep, _check("reader", Status.OK,
                           Message(N_("{reader}: ready, no card ({driver}; profile {profile})"),
                                   {"reader": name, "driver": driver, "profile": profile.key}))
    if not select_aid:
        rep = ReaderReport(name, driver, profile.key, "present", atr.hex().upper())
        return rep, _check("card", Status.OK,
                           Message(N_("{reader}: card present, ATR {atr}"),
                                   {"reader": name, "atr": atr.hex().upper()}))
    try:
        with PcscTransport(name, wait=1.0) as t:
            resp = t.transmit(EMRTD_SELECT)
    except CardError as exc:
        rep = ReaderReport(name, driver, profile.key, "present", atr.hex().upper(),
                           emrtd=f"error: {exc}", usable=False)
        return rep, _check("card", Status.FAIL,
                           Message(N_("{reader}: APDU exchange failed ({error})"),
                                   {"reader": name, "error": str(exc)}),
                           Message(N_("hold the card still on the reader and retry; if it keeps "
                                      "failing, unplug and re-plug the reader")))
    sw = resp[-2:].hex().upper()
    if sw == "9000":
        rep = ReaderReport(name, driver, profile.key, "present", atr.hex().upper(),
                           emrtd="9000 (eMRTD application found)")
        return rep, _check("card", Status.OK,
                           Message(N_("{reader}: eMRTD application selected (9000)"),
                                   {"reader": name}))
    rep = ReaderReport(name, driver, profile.key, "present", atr.hex().upper(),
                       emrtd=f"{sw} (not an eMRTD)")
    return rep, _check("card", Status.WARN,
                       Message(N_("{reader}: the card is not an eMRTD/CCCD chip (SELECT answered "
                                  "{sw})"), {"reader": name, "sw": sw}),
                       Message(N_("place a chip ID card (CCCD) or passport")))


def run_doctor(env: Environment | None = None, *, select_aid: bool = True,
               scanners: bool = True) -> DoctorReport:
    """Run every check; never raises for an environment problem (it reports it)."""
    env = env or Environment()
    profiles = list(builtin_profiles())
    checks: list[Check] = []
    pcscd, names = _pcscd_check(env)
    checks.append(pcscd)
    usb = usb_readers(env, profiles)
    pn = _pn533_check(env, usb, profiles, names or [])
    if pn is not None:
        checks.append(pn)
    checks += _usb_checks(usb, names or [])
    readers: list[ReaderReport] = []
    if names is not None and not names:
        checks.append(_check("readers", Status.FAIL, Message(N_("no card reader found")),
                             Message(N_("plug the reader in (check `lsusb`); supported readers: "
                                        "README, Readers"))))
    for name in names or []:
        try:
            rep, chk = _probe_reader(name, env, select_aid)
        except CardError as exc:
            rep = ReaderReport(name, ccid_driver(name, env), "?", "unknown", usable=False)
            chk = _check("reader", Status.FAIL,
                         Message(N_("{reader}: {error}"), {"reader": name, "error": str(exc)}),
                         Message(N_("re-plug the reader")))
        readers.append(rep)
        checks.append(chk)
    if scanners:
        checks.append(fingerprint_scanner_check())
    return DoctorReport(tuple(checks), tuple(readers))


def fingerprint_scanner_check() -> Check:
    """libfprint fingerprint scanners (informative: a scanner is optional, so this check never
    makes doctor fail)."""
    from .biometrics.finger.scanner import ScannerError, _fprint, list_scanners

    name = "fingerprint scanners"
    try:
        _fprint()
    except ScannerError:
        return _check(name, Status.INFO,
                      Message(N_("libfprint not available (optional: needed only for live "
                                 "fingerprints)")),
                      Message(N_("install: apt-get install libfprint-2-2 gir1.2-fprint-2.0; "
                                 "pip install 'cardkit[scanner]'")))
    found = list_scanners()
    if not found:
        return _check(name, Status.INFO, Message(N_("no fingerprint scanner found by libfprint")),
                      Message(N_("plug in an image-capable scanner (e.g. DigitalPersona "
                                 "U.are.U 4500)")))
    names = "; ".join(f"{s.name} ({s.driver}, "
                      f"{'delivers images' if s.can_capture else 'no image capture'})"
                      for s in found)
    status = Status.OK if any(s.can_capture for s in found) else Status.WARN
    return _check(name, status, Message(N_("scanners: {scanners}"), {"scanners": names}),
                  None if status is Status.OK else
                  Message(N_("use a scanner whose driver delivers images")))
