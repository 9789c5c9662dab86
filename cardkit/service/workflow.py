"""The service's ONE adapter to the library workflow (`cardkit.verify.verify_card`).

Input: a card (reader + access key) or dump files, an optional face image, an optional live finger
(image or fingerprint scanner, with the finger's position), a policy name, and the EAC terminal
(CV chain + key, configured when the service starts) so the card's fingers (DG3) can be read.
Output: an `Outcome` with the library's versioned report (`report`, schema
`cardkit/data/report.schema.json`), a `teller` view for the page (verdict label, reason and next
step in Vietnamese and English, one badge per check, the authenticated identity), the portrait
bytes when EF.SOD covers DG2 (kept in memory by the caller, never logged), and step durations.
The library's progress events are turned into the page's steps with `emit(kind, percent, **facts)`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..checks import CheckName
from ..errors import InputError
from ..i18n import translator
from ..icao.keys import CanKey, MrzKey
from ..policy import Policy, load_policy
from ..read import Terminal
from ..security.trust import TrustStore
from ..verify import CardSource, Probes, ProgressEvent, VerificationResult, verify_card

Emit = Callable[..., None]  # emit(kind, percent, **facts)
POLICIES = ("bank", "clinic", "card", "inspect-only")

# The page's badges: check name in the report → badge key.
BADGES = {"passive_auth": "passive_auth", "chip_authentic": "chip", "document_valid": "document",
          "face_match": "face", "finger_match": "finger"}

# What the teller does next, per deciding check and state (vi, en).
_REJECT = ("Không chấp nhận thẻ. Báo kiểm soát viên.",
           "Do not accept the card. Call the supervisor.")
_NEXT: dict[tuple[str, str], tuple[str, str]] = {
    ("passive_auth", "invalid"): _REJECT,
    ("chip_authentic", "invalid"): _REJECT,
    ("chip_genuine", "invalid"): _REJECT,
    ("document_valid", "invalid"): ("Thẻ hết hạn: đề nghị khách làm thẻ mới; dùng giấy tờ khác "
                                    "theo quy định.", "The card has expired: ask for a valid "
                                    "document as the rules require."),
    ("face_match", "no_match"): ("Không thực hiện giao dịch. Yêu cầu giấy tờ khác hoặc báo "
                                 "kiểm soát viên.", "Do not proceed. Ask for another document "
                                 "or call the supervisor."),
    ("face_match", "not_performed"): ("Chụp lại: khách nhìn thẳng vào camera, đủ sáng.",
                                      "Capture again: the customer faces the camera in good "
                                      "light."),
    ("passive_auth", "unverifiable"): ("Liên hệ quản trị hệ thống để cập nhật danh sách CSCA.",
                                       "Ask the administrator to update the CSCA list."),
    ("finger_match", "no_match"): ("Vân tay không khớp: quét lại đúng ngón đã chọn; nếu vẫn "
                                   "không khớp, không thực hiện giao dịch và báo kiểm soát viên.",
                                   "The fingerprint does not match: scan the chosen finger "
                                   "again; if it still does not match, do not proceed and call "
                                   "the supervisor."),
    ("finger_match", "not_performed"): ("Quét lại vân tay: đặt ngón tay phẳng, giữ yên trên máy "
                                        "quét.", "Scan the finger again: flat and still on the "
                                        "scanner."),
    ("finger_match", "unverifiable"): ("Không đọc được vân tay trên chip: báo quản trị hệ thống "
                                       "kiểm tra chứng thư thiết bị đầu cuối (EAC).",
                                       "The chip's fingerprints could not be read: ask the "
                                       "administrator to check the terminal certificate (EAC)."),
}
_NEXT_OK = ("Tiếp tục giao dịch.", "Proceed.")
_NEXT_OTHER = ("Thử lại; nếu lặp lại, báo kiểm soát viên.",
               "Try again; if it recurs, call the supervisor.")


@dataclass
class CardRequest:
    reader: str
    key: MrzKey | CanKey
    policy: str | Policy = "bank"
    probes: Probes = field(default_factory=Probes)
    wait: float = 30.0
    terminal: Terminal | None = None  # EAC: read DG3 (fingers) after Terminal Authentication


@dataclass
class Outcome:
    report: dict[str, Any]
    teller: dict[str, Any]
    portrait: bytes | None
    portrait_mime: str | None
    durations: dict[str, float] = field(default_factory=dict)
    sod: bytes | None = None

    @property
    def label(self) -> str:
        return str(self.teller["label"])


def trust_store(paths: list[str] | None, sim: bool = False) -> TrustStore | None:
    """The service's CSCAs: given paths; the virtual card's TEST CSCA (demos, tests); or None =
    the library's default (local trust store, else the bundled master list)."""
    if paths:
        return TrustStore.from_paths(list(paths))
    if sim:
        from ..sim.pki import sim_trust_paths

        return TrustStore.from_paths(sim_trust_paths())
    return None


def probes_for(face_image: bytes | None, finger: Any = None) -> Probes:
    """The live face (a camera frame from the page: InputError when it is not an image) and the
    live finger (a `FingerProbe`, or None)."""
    face = None
    if face_image is not None:
        from ..biometrics.face import Probe

        face = Probe.from_image(face_image)
    return Probes(face=face, finger=finger)


def finger_probe(image: bytes | None, scanner: str | None, *, position: str = "right-index",
                 best_of: bool = False, ppi: float | None = None) -> Any:
    """The live finger: an uploaded image, or a capture from a libfprint scanner (`scanner` = its
    device id, "" = the first that delivers images; opened now, so a missing scanner is known
    before the card is read). None when neither is given. InputError/ScannerError otherwise."""
    if image is not None and scanner is not None:
        raise InputError("give one live finger: an image or a fingerprint scanner")
    if image is None and scanner is None:
        return None
    from ..biometrics.finger.probe import FingerProbe

    if image is not None:
        return FingerProbe.from_image(image, position=position, best_of=best_of, ppi=ppi)
    from ..biometrics.finger.scanner import LibfprintScanner

    return FingerProbe.from_scanner(LibfprintScanner(scanner or None), position=position,
                                    best_of=best_of)


def policy_for(name: str, *, face: bool, finger: bool, finger_level: str = "required") -> Policy:
    """The preset, with the finger match required (or advisory) when a live finger is given and
    the face match off when only a finger is (as `cardkit verify`; the report's policy says so)."""
    policy = load_policy(name)
    if finger:
        policy = policy.with_changes(checks={"finger_match": finger_level})
        if not face:
            policy = policy.with_changes(checks={"face_match": "off"})
    return policy


def load_terminal(chain: list[str], key: str | None) -> Terminal | None:
    """The EAC terminal for every card verification, from the service's configuration: CV
    certificates (files/folders) and the IS key (PEM/DER file or a pkcs11: URI). A PKCS#11 PIN
    comes from the environment only (`pin-source=env:VAR` or CARDKIT_PKCS11_PIN): a service
    cannot prompt, and a PIN never travels in a request. The key is tried now (token login,
    public key), so a wrong PIN or a missing token stops the service at start."""
    if not chain and not key:
        return None
    if not chain or not key:
        raise InputError("Terminal Authentication needs both the terminal chain and the key")
    from ..security.cv_chain import load_chain
    from ..security.terminal_key import PIN_ENV, load_terminal_key, parse_pkcs11_uri

    if key.startswith("pkcs11:"):
        _, query = parse_pkcs11_uri(key)
        if not query.get("pin-source") and PIN_ENV not in os.environ:
            raise InputError(f"the PKCS#11 PIN for the terminal key must come from the "
                             f"environment: set {PIN_ENV} or add pin-source=env:VARIABLE to "
                             "the URI")
    terminal_key = load_terminal_key(key)
    terminal_key.public_key()
    return Terminal(tuple(load_chain(list(chain))), terminal_key)


def teller_view(result: VerificationResult) -> dict[str, Any]:
    """What the teller's page shows: the verdict in words, the next step, one badge per check,
    and the identity fields EF.SOD vouches for (Vietnamese first)."""
    vi = translator("vi")
    decision = result.decision
    label = result.verdict.value.upper()
    first = decision.reasons[0] if decision.reasons else None
    if first is None:
        reason_vi, reason_en = "Thẻ thật, chip gốc, đúng chủ thẻ", "Genuine card, original chip, " \
            "holder matches"
        nxt = _NEXT_OK
    else:
        reason_vi, reason_en = first.message.render(vi), first.message.render()
        nxt = _NEXT.get((first.check.value, first.state.value), _NEXT_OTHER)
    badges = {}
    for name, key in BADGES.items():
        check = result.checks.get(name)
        wanted = result.policy.wants(CheckName(name))
        if check is not None or wanted:
            badges[key] = check.state.value if check is not None else "not_performed"
    return {"label": label, "policy": result.policy.name,
            "reason_vi": reason_vi, "reason_en": reason_en,
            "next_step_vi": nxt[0], "next_step_en": nxt[1],
            "failed_check": first.check.value if first else None,
            "badges": badges, "identity": result.identity.to_dict(authenticated_only=True)}


def _outcome(result: VerificationResult) -> Outcome:
    face = result.portrait
    covered = result.passive is not None and 2 in result.passive.authenticated_dgs
    portrait = face.image_bytes if face is not None and covered else None
    return Outcome(result.to_dict(), teller_view(result), portrait,
                   face.mime if portrait is not None else None,
                   {s.name: s.seconds for s in result.steps}, result.files.get("SOD"))


class _Steps:
    """Library progress events → the page's steps (in order; the bar never goes back)."""

    def __init__(self, emit: Emit, reader: str, scanner: bool = False) -> None:
        self.emit, self.reader, self.scanner = emit, reader, scanner
        self.percent = 0
        self.files_done: list[str] = []
        self.card_seen = False

    def _send(self, kind: str, percent: int, **facts: Any) -> None:
        self.percent = max(self.percent, percent)
        self.emit(kind, self.percent, **facts)

    def __call__(self, ev: ProgressEvent) -> None:
        if ev.step == "read" and ev.status == "started":
            self._send("waiting_card", 0, reader=self.reader)
        elif ev.step == "read" and ev.status == "progress":
            if not self.card_seen:
                self.card_seen = True
                self._send("card_found", 5)
            name, done, total = ev.file or "", ev.done or 0, ev.total or 0
            frac = done / total if total else 1.0
            before = len([f for f in self.files_done if f != name])
            if frac >= 1 and name not in self.files_done:
                self.files_done.append(name)
            self._send("reading", 10 + min(60, int(60 * (before + frac) / 8)), file=name,
                       file_percent=int(100 * frac))
        elif ev.step == "read" and ev.status == "done":
            self._send("chip_auth", 75)
        elif ev.status == "started" and ev.step in _STEP_KIND:
            kind, pct = _STEP_KIND[ev.step]
            if kind == "finger" and self.scanner:
                kind = "finger_scan"  # the customer acts now: "place the finger on the scanner"
            self._send(kind, pct)
        elif ev.step == "verdict":
            self._send("done", 100, verdict=str(ev.state or "").upper())


_STEP_KIND = {"passive_auth": ("checking_signature", 82), "document_valid": ("document_valid", 88),
              "face_match": ("face", 92), "finger_match": ("finger", 96)}


def verify_card_on_reader(req: CardRequest, trust: TrustStore | None, emit: Emit) -> Outcome:
    """Wait for the card on `req.reader`, read and judge it under the policy. CardkitError on a
    card or reader problem (no card, wrong key, card removed)."""
    finger = req.probes.finger
    scanner = False
    if finger is not None:
        from ..biometrics.finger.scanner import FingerprintScanner

        scanner = isinstance(getattr(finger, "source", None), FingerprintScanner)
    try:
        result = verify_card(CardSource.from_reader(req.reader, wait=req.wait), req.key,
                             policy=req.policy, probes=req.probes, trust=trust,
                             terminal=req.terminal, progress=_Steps(emit, req.reader, scanner))
    finally:
        close = getattr(finger, "close", None)
        if callable(close):  # a scanner opened for this job is released whatever happened
            close()
    return _outcome(result)


def verify_files(files: dict[str, bytes], trust: TrustStore | None, *,
                 policy: str = "inspect-only", probes: Probes | None = None) -> Outcome:
    """Judge uploaded dump files (a phone read the chip by NFC): the chip itself is not there, so
    a policy that requires chip authentication gives at best INCOMPLETE."""
    result = verify_card(CardSource.from_files(files, "upload"), policy=policy,
                         probes=probes, trust=trust)
    return _outcome(result)
