"""The service's ONE adapter to the library workflow (`cardkit.verify.verify_card`).

Input: a card (reader + access key) or dump files, an optional face image, a policy name.
Output: an `Outcome` with the library's versioned report (`report`, schema
`cardkit/data/report.schema.json`), a `teller` view for the page (verdict label, reason and next
step in Vietnamese and English, one badge per check, the authenticated identity), the portrait
bytes when EF.SOD covers DG2 (kept in memory by the caller, never logged), and step durations.
The library's progress events are turned into the page's steps with `emit(kind, percent, **facts)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..checks import CheckName
from ..i18n import translator
from ..icao.keys import CanKey, MrzKey
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
}
_NEXT_OK = ("Tiếp tục giao dịch.", "Proceed.")
_NEXT_OTHER = ("Thử lại; nếu lặp lại, báo kiểm soát viên.",
               "Try again; if it recurs, call the supervisor.")


@dataclass
class CardRequest:
    reader: str
    key: MrzKey | CanKey
    policy: str = "bank"
    probes: Probes = field(default_factory=Probes)
    wait: float = 30.0


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


def probes_for(face_image: bytes | None) -> Probes:
    """The live face (a camera frame from the page): InputError when it is not an image."""
    if face_image is None:
        return Probes()
    from ..biometrics.face import Probe

    return Probes(face=Probe.from_image(face_image))


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

    def __init__(self, emit: Emit, reader: str) -> None:
        self.emit, self.reader = emit, reader
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
            self._send(kind, pct)
        elif ev.step == "verdict":
            self._send("done", 100, verdict=str(ev.state or "").upper())


_STEP_KIND = {"passive_auth": ("checking_signature", 82), "document_valid": ("document_valid", 88),
              "face_match": ("face", 92), "finger_match": ("finger", 96)}


def verify_card_on_reader(req: CardRequest, trust: TrustStore | None, emit: Emit) -> Outcome:
    """Wait for the card on `req.reader`, read and judge it under the policy. CardkitError on a
    card or reader problem (no card, wrong key, card removed)."""
    result = verify_card(CardSource.from_reader(req.reader, wait=req.wait), req.key,
                         policy=req.policy, probes=req.probes, trust=trust,
                         progress=_Steps(emit, req.reader))
    return _outcome(result)


def verify_files(files: dict[str, bytes], trust: TrustStore | None, *,
                 policy: str = "inspect-only", probes: Probes | None = None) -> Outcome:
    """Judge uploaded dump files (a phone read the chip by NFC): the chip itself is not there, so
    a policy that requires chip authentication gives at best INCOMPLETE."""
    result = verify_card(CardSource.from_files(files, "upload"), policy=policy,
                         probes=probes, trust=trust)
    return _outcome(result)
