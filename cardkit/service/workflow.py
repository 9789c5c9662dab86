"""The service's ONE adapter to the library workflow: read → chip checks → passive auth → face.

Everything the service needs from the library goes through here, so moving to the library's own
workflow (`cardkit.verify`, issue 10) is a change of this module only. Input: a card (reader +
access key) or dump files, an optional face image, a policy name. Output: an `Outcome` with the
cardkit report (checks, holder, `verdict` with label VERIFIED/REJECTED/INCOMPLETE, reason and next
step in Vietnamese and English), the portrait bytes (kept in memory by the caller, never logged),
and step durations. Progress goes to an `emit(kind, percent, **facts)` callback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..document import parse_document
from ..errors import CardkitError
from ..icao.keys import CanKey, MrzKey
from ..read import read_card
from ..report import build_report
from ..results import CheckResult, CheckState
from ..verify import TrustChoice, load_trust_choice, passive_check

Emit = Callable[..., None]  # emit(kind, percent, **facts)

# Which checks each policy requires (the library's policy files replace this table, issue 10).
POLICIES: dict[str, tuple[str, ...]] = {
    "bank": ("passive_auth", "chip", "face"),
    "clinic": ("passive_auth", "face"),
    "inspect-only": ("passive_auth",),
}
_GOOD = (CheckState.VALID, CheckState.MATCH)
_BAD = (CheckState.INVALID, CheckState.NO_MATCH)

# Teller texts per failing check: (reason vi, reason en, next step vi, next step en).
_TELLER = {
    ("passive_auth", "invalid"): (
        "Dữ liệu trên chip bị sửa đổi hoặc chữ ký số không hợp lệ",
        "The chip's data was altered or its digital signature is not valid",
        "Không chấp nhận thẻ. Báo kiểm soát viên.",
        "Do not accept the card. Call the supervisor."),
    ("chip", "invalid"): (
        "Chip không phải chip gốc (nghi thẻ sao chép)",
        "The chip is not the original (suspected cloned card)",
        "Không chấp nhận thẻ. Báo kiểm soát viên.",
        "Do not accept the card. Call the supervisor."),
    ("face", "no_match"): (
        "Khuôn mặt không khớp với ảnh trên chip",
        "The face does not match the photo on the chip",
        "Không thực hiện giao dịch. Yêu cầu giấy tờ khác hoặc báo kiểm soát viên.",
        "Do not proceed. Ask for another document or call the supervisor."),
    ("face", "not_performed"): (
        "Chưa so khớp được khuôn mặt",
        "The face could not be compared",
        "Chụp lại: khách nhìn thẳng vào camera, đủ sáng.",
        "Capture again: the customer faces the camera in good light."),
    ("passive_auth", "unverifiable"): (
        "Không kiểm tra được chữ ký số (thiếu chứng thư CSCA)",
        "The digital signature could not be checked (no CSCA certificate)",
        "Liên hệ quản trị hệ thống để cập nhật danh sách CSCA.",
        "Ask the administrator to update the CSCA list."),
    ("chip", "unverifiable"): (
        "Chip không hỗ trợ kiểm tra chống sao chép",
        "The chip offers no clone check",
        "Đối chiếu thêm giấy tờ theo quy định.",
        "Check another document as the rules require."),
}
_OK_TEXT = ("Thẻ thật, chip gốc, đúng chủ thẻ", "Genuine card, original chip, holder matches",
            "Tiếp tục giao dịch.", "Proceed.")


@dataclass
class CardRequest:
    reader: str
    key: MrzKey | CanKey
    policy: str = "bank"
    face_image: bytes | None = None
    wait: float = 30.0
    operating_point: str = "strict"


@dataclass
class Outcome:
    report: dict[str, Any]
    portrait: bytes | None
    portrait_mime: str | None
    durations: dict[str, float] = field(default_factory=dict)
    sod: bytes | None = None

    @property
    def label(self) -> str:
        return str(self.report["verdict"]["label"])


def verdict(checks: list[CheckResult], policy: str) -> dict[str, Any]:
    """One verdict: any invalid/no-match check → REJECTED; every required check good →
    VERIFIED; otherwise INCOMPLETE. With the teller's reason and next step (vi, en)."""
    required = POLICIES[policy]
    by_name = {c.name: c for c in checks}
    bad = [c for c in checks if c.state in _BAD]
    missing = [by_name.get(n) or CheckResult(n, CheckState.NOT_PERFORMED, "not run")
               for n in required if by_name.get(n) is None or by_name[n].state not in _GOOD]
    if bad:
        label, culprit = "REJECTED", bad[0]
    elif missing:
        label, culprit = "INCOMPLETE", missing[0]
    else:
        label, culprit = "VERIFIED", None
    if culprit is None:
        texts = _OK_TEXT
    else:
        state = culprit.state.value if culprit.state.value in ("invalid", "no_match",
                                                               "unverifiable") else "not_performed"
        texts = _TELLER.get((culprit.name, state)) or (
            f"Chưa kiểm tra được: {culprit.name}", f"Could not check: {culprit.name}",
            "Thử lại hoặc báo kiểm soát viên.", "Try again or call the supervisor.")
    state = {"VERIFIED": "valid", "REJECTED": "invalid"}.get(label, "unverifiable")
    return {"state": state, "label": label, "policy": policy,
            "reason": texts[1] + (f" ({culprit.reason})" if culprit and culprit.reason else ""),
            "reason_vi": texts[0], "reason_en": texts[1],
            "next_step_vi": texts[2], "next_step_en": texts[3],
            "failed_check": culprit.name if culprit else None}


def _face_check(portrait: bytes | None, face_image: bytes | None, operating_point: str
                ) -> CheckResult:
    if face_image is None:
        return CheckResult("face", CheckState.NOT_PERFORMED, "no live face image was given")
    if portrait is None:
        return CheckResult("face", CheckState.NOT_PERFORMED, "no portrait on the chip")
    from ..biometrics.face import Probe, match_portrait

    try:
        probe = Probe.from_image(face_image)
    except CardkitError as exc:
        return CheckResult("face", CheckState.NOT_PERFORMED, str(exc))
    return match_portrait(portrait, probe, operating_point=operating_point).to_check("face")


def judge(files: dict[str, bytes], *, trust: TrustChoice, policy: str,
          face_image: bytes | None, chip: list[CheckResult], source: dict[str, Any],
          skipped: dict[str, str] | None, emit: Emit, durations: dict[str, float],
          operating_point: str = "strict") -> Outcome:
    """Passive authentication + face on files from anywhere; builds the report and verdict."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}")
    doc = parse_document(files)
    emit("checking_signature", 85)
    t = time.perf_counter()
    pa, passive = passive_check(files, trust)
    durations["passive_auth"] = time.perf_counter() - t
    authenticated = list(passive.authenticated_dgs)
    face = doc.portrait
    # Only a portrait EF.SOD vouches for is the holder's: a forger's DG2 is neither compared nor
    # shown to the teller as "the photo on the chip".
    portrait = face.image_bytes if face is not None and 2 in authenticated else None
    emit("face", 92)
    t = time.perf_counter()
    if face is not None and portrait is None:
        face_check = CheckResult("face", CheckState.NOT_PERFORMED,
                                 "the chip portrait (DG2) is not covered by the issuer's "
                                 "signature: face not compared")
    else:
        face_check = _face_check(portrait, face_image, operating_point)
    durations["face"] = time.perf_counter() - t
    checks = [pa, *chip, face_check]
    report = build_report(doc, source=source, checks=checks, skipped=skipped,
                          authenticated=authenticated)
    gating = [c for c in checks if c.name not in ("chip_auth", "active_auth")]
    report["verdict"] = verdict(gating, policy)
    report["durations"] = {k: round(v, 4) for k, v in durations.items()}
    return Outcome(report, portrait, face.mime if portrait is not None else None, durations,
                   files.get("SOD"))


def verify_card(req: CardRequest, trust: TrustChoice, emit: Emit) -> Outcome:
    """Wait for the card on `req.reader`, read it, check the chip, judge. CardkitError on a card
    or reader problem (no card, wrong key, card removed)."""
    from ..transport.pcsc import PcscTransport

    durations: dict[str, float] = {}
    emit("waiting_card", 0, reader=req.reader)
    t0 = time.perf_counter()
    transport = PcscTransport(req.reader, wait=req.wait)
    done_files: list[str] = []
    shown = [10]

    def progress(name: str, done: int, total: int) -> None:
        before = len([f for f in done_files if f != name])
        frac = done / total if total else 1.0
        if frac >= 1 and name not in done_files:
            done_files.append(name)
        # ~8 files on a CCCD; the bar never goes back.
        shown[0] = max(shown[0], 10 + min(60, int(60 * (before + frac) / 8)))
        emit("reading", shown[0], file=name, file_percent=int(100 * frac))

    with transport:
        emit("card_found", 5)
        durations["wait_card"] = time.perf_counter() - t0
        t = time.perf_counter()
        # read_card runs Chip and Active Authentication right after the data groups.
        card = read_card(transport, req.key, progress=progress, chip_checks=True)
        durations["read_and_chip_auth"] = time.perf_counter() - t
    emit("chip_auth", 78, chip=card.chip_genuine.state.value)
    source = {"kind": "reader", "reader": card.transport.name, "access": card.access,
              "seconds": round(card.seconds, 3)}
    outcome = judge(card.files, trust=trust, policy=req.policy, face_image=req.face_image,
                    chip=[card.chip_auth, card.active_auth, card.chip_genuine], source=source,
                    skipped=card.skipped, emit=emit, durations=durations,
                    operating_point=req.operating_point)
    emit("done", 100, verdict=outcome.label)
    return outcome


def verify_files(files: dict[str, bytes], trust: TrustChoice, *, policy: str = "inspect-only",
                 face_image: bytes | None = None, emit: Emit | None = None) -> Outcome:
    """Judge uploaded dump files (a phone read the chip by NFC): no chip checks are possible."""
    chip = [CheckResult("chip", CheckState.UNVERIFIABLE,
                        "uploaded files: the chip itself was not available for CA/AA")]
    return judge(files, trust=trust, policy=policy, face_image=face_image, chip=chip,
                 source={"kind": "dump"}, skipped=None, emit=emit or (lambda *a, **k: None),
                 durations={})


def trust_choice(paths: list[str] | None, sim: bool = False) -> TrustChoice:
    return load_trust_choice(paths, sim_default=sim)
