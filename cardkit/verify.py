"""The counter workflow — one call from card to verdict, used by `cardkit read|inspect|verify`,
the counter service and any program that embeds cardkit:

    result = verify_card(CardSource.from_sim("default"), policy="bank", probes=Probes(face=probe))
    result.verdict            # Verdict.VERIFIED / REJECTED / INCOMPLETE
    result.reasons            # what a person can act on (translatable Messages)
    result.checks["face_match"].state, result.identity.fields, result.portrait, result.steps

Steps: trust choice → read (BAC/PACE, LDS, CA/AA) → passive authentication → document validity
→ face (and, later, finger) match → the policy's verdict (cardkit.verdict). Progress events go
to `progress(event)` as they happen (for progress bars and streamed web responses).
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .checks import CheckName, teller_message
from .document import Document, parse_document
from .errors import ExitCode, InputError
from .i18n import Message
from .identity import Identity, build_identity, document_valid_check
from .lds.keys import CanKey, MrzKey
from .policy import Policy, load_policy
from .rand import RandomSource, ReplayRandom, SystemRandom
from .results import CheckResult, CheckState, worst_state
from .security.passive import PassiveResult, verify_passive
from .security.trust import TrustStore, default_trust_dir
from .transport.base import Transport
from .verdict import Decision, Verdict, decide, exit_code

if TYPE_CHECKING:  # the reading stack (secure messaging, PACE …) is imported when a card is read
    from .read import CardRead, Terminal

AccessKey = MrzKey | CanKey


# --- progress ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressEvent:
    """One step of the workflow starting, advancing (file bytes) or finishing."""

    step: str  # "trust", "read", "passive_auth", "chip_authentic", "document_valid", "face_match" …
    status: str  # "started" | "progress" | "done"
    file: str | None = None  # while reading: the file ("DG2"), with bytes done/total
    done: int | None = None
    total: int | None = None
    state: str | None = None  # when a check is done: its state
    seconds: float | None = None  # when done: how long the step took

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


ProgressCallback = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class Step:
    name: str
    seconds: float


class _Timer:
    def __init__(self, progress: ProgressCallback | None) -> None:
        self.progress = progress
        self.steps: list[Step] = []

    def emit(self, event: ProgressEvent) -> None:
        if self.progress is not None:
            self.progress(event)

    @contextmanager
    def step(self, name: str) -> Iterator[dict[str, Any]]:
        self.emit(ProgressEvent(name, "started"))
        started = time.perf_counter()
        out: dict[str, Any] = {}
        yield out
        seconds = time.perf_counter() - started
        self.steps.append(Step(name, round(seconds, 4)))
        self.emit(ProgressEvent(name, "done", state=out.get("state"), seconds=round(seconds, 4)))


# --- card sources -----------------------------------------------------------------------------


@dataclass
class CardSource:
    """Where the chip's files come from: a transport to read (reader, virtual card, fixture
    replay) or files already read (a dump folder, an upload)."""

    kind: str  # "reader" | "sim" | "fixture" | "dump" | "transport"
    label: str
    transport: Transport | None = None
    files: dict[str, bytes] | None = None
    key: AccessKey | None = None  # the source's own key (virtual card persona, fixture meta)
    rng: RandomSource | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: set only by `from_sim`: the virtual card in this process, whose test CSCA is then trusted
    sim_trust: bool = False

    @classmethod
    def from_reader(cls, reader: str | int | None = None, *, wait: float = 10.0) -> CardSource:
        from .transport.pcsc import PcscTransport

        return cls("reader", str(reader) if reader is not None else "first reader",
                   PcscTransport(reader=reader, wait=wait))

    @classmethod
    def from_sim(cls, persona: str = "default", seed: int | None = None) -> CardSource:
        """The built-in virtual card in-process (synthetic holder, TEST PKI)."""
        from .sim.card import VirtualCard
        from .sim.personas import get_persona
        from .transport.sim import SimTransport

        p = get_persona(persona, seed)
        return cls("sim", f"virtual card ({p.name})", SimTransport(VirtualCard(p)),
                   key=p.mrz_key, meta={"persona": p.name, "seed": seed}, sim_trust=True)

    @classmethod
    def from_fixture(cls, path: str | Path) -> CardSource:
        """A recorded session, replayed byte for byte (trust is NOT taken from the fixture)."""
        from .transport.fixtures import load_fixture
        from .transport.replay import ReplayTransport

        fx = load_fixture(path)
        return cls("fixture", str(path), ReplayTransport(fx), key=_key_from_meta(
            fx.meta.get("access_key")), rng=ReplayRandom(list(fx.random)), meta=dict(fx.meta))

    @classmethod
    def from_dump(cls, folder: str | Path) -> CardSource:
        from .dump import load_dump

        return cls("dump", str(folder), files=load_dump(folder))

    @classmethod
    def from_files(cls, files: Mapping[str, bytes], label: str = "files") -> CardSource:
        return cls("dump", label, files=dict(files))

    @classmethod
    def from_transport(cls, transport: Transport, label: str | None = None) -> CardSource:
        return cls("transport", label or transport.info.name, transport)


def _key_from_meta(meta: Any) -> AccessKey | None:
    if not isinstance(meta, dict):
        return None
    if "can" in meta:
        return CanKey(str(meta["can"]))
    try:
        return MrzKey(str(meta["document_number"]), str(meta["date_of_birth"]),
                      str(meta["date_of_expiry"]))
    except KeyError:
        return None


# --- probes -----------------------------------------------------------------------------------


class FingerMatcher(Protocol):
    """A fingerprint probe: given the document (its DG3, which the workflow has checked is covered
    by a valid issuer signature), return a `finger_match` CheckResult."""

    def __call__(self, document: Document) -> CheckResult: ...


@dataclass
class Probes:
    """Live samples of the person at the counter."""

    face: Any = None  # cardkit.biometrics.face.Probe (image, camera or video)
    finger: FingerMatcher | None = None


# --- trust ------------------------------------------------------------------------------------


@dataclass
class TrustChoice:
    """Where the CSCAs come from, said in the report so nobody mistakes a test CSCA for a state's."""

    store: TrustStore | None
    label: str
    kind: str = "none"  # "user" | "local" | "bundled" | "sim-test" | "none"
    snapshot: Any = None  # cardkit.security.snapshot.Snapshot when kind == "bundled"
    warnings: list[str] = field(default_factory=list)


SIM_TEST_TRUST = "sim-test"  # `--trust sim-test`: the user names the virtual card's TEST CSCA
SIM_TEST_LABEL = "cardkit virtual card TEST CSCA (not a real state)"


def _sim_trust_paths() -> list[Path]:
    from .sim.pki import sim_trust_paths  # imported only when named: it loads cryptography.x509

    return sim_trust_paths()


def load_trust_choice(
    trust: Sequence[str | Path] | TrustStore | TrustChoice | None, *, sim_default: bool = False,
    use_local: bool = True, use_bundled: bool = True, max_age_days: int | None = None,
) -> TrustChoice:
    """Where the CSCAs come from — only ever from the user, never from the card, fixture or dump.

    `trust`: paths the user gave (`--trust`), where the keyword `sim-test` names the virtual
    card's TEST CSCA (its private keys ship with cardkit: never a real state), or a TrustStore.
    `sim_default`: the user chose the in-process virtual card (`--sim`), whose TEST CSCA is then
    trusted. Else the local trust directory (`cardkit trust import`) when it holds CSCAs; else the
    master-list snapshot that ships with cardkit (verified against its pinned publisher — refused
    if tampered); else none."""
    if isinstance(trust, TrustChoice):  # chosen once, e.g. by a batch (cardkit.batch)
        return trust
    if isinstance(trust, TrustStore):
        return TrustChoice(trust, "trust store given by the caller", "user")
    if trust:
        paths: list[str | Path] = []
        labels = []
        for t in trust:
            if str(t) == SIM_TEST_TRUST:
                paths += _sim_trust_paths()
                labels.append(SIM_TEST_LABEL)
            else:
                paths.append(t)
                labels.append(str(t))
        return TrustChoice(TrustStore.from_paths(paths), ", ".join(labels), "user")
    if sim_default:
        return TrustChoice(TrustStore.from_paths(_sim_trust_paths()), SIM_TEST_LABEL, "sim-test")
    local = default_trust_dir()
    if use_local and local.is_dir():
        store = TrustStore.load(local)
        if len(store):
            return TrustChoice(store, f"local trust store {local}", "local")
    if use_bundled:
        from .security.snapshot import DEFAULT_MAX_AGE_DAYS, load_snapshot

        snap = load_snapshot()
        warning = snap.age_warning(max_age_days or DEFAULT_MAX_AGE_DAYS)
        return TrustChoice(snap.store, snap.label(), "bundled", snap,
                           [warning] if warning else [])
    return TrustChoice(None, "none (no CSCA configured: chain unverifiable)")


# --- the result -------------------------------------------------------------------------------


@dataclass
class VerificationResult:
    """Everything one verification produced. `to_dict()` is the versioned JSON report."""

    decision: Decision
    checks: dict[str, CheckResult]
    policy: Policy
    identity: Identity
    document: Document
    steps: list[Step]
    source: dict[str, Any]
    trust: TrustChoice
    card: CardRead | None = None
    passive: PassiveResult | None = None
    face: Any = None  # cardkit.biometrics.face.FaceResult
    warnings: list[str] = field(default_factory=list)
    created: _dt.datetime = field(
        default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0))

    @property
    def verdict(self) -> Verdict:
        return self.decision.verdict

    @property
    def reasons(self) -> tuple[Message, ...]:
        return tuple(r.message for r in self.decision.reasons)

    @property
    def portrait(self) -> Any:
        """The chip portrait (cardkit.lds.face_image.FaceImage) or None."""
        return self.document.portrait

    @property
    def files(self) -> dict[str, bytes]:
        return self.document.files

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.decision, self.checks)

    def message(self, check: CheckName | str) -> Message:
        return teller_message(self.checks[str(check)], self.checks)

    def to_dict(self) -> dict[str, Any]:
        from . import report

        return report.build_report(self)


# --- the workflow -----------------------------------------------------------------------------


def verify_card(
    source: CardSource,
    key: AccessKey | None = None,
    *,
    policy: Policy | str = "bank",
    probes: Probes | None = None,
    trust: Sequence[str | Path] | TrustStore | TrustChoice | None = None,
    crls: Sequence[str | Path] = (),
    at: _dt.datetime | None = None,
    access: str = "auto",
    progress: ProgressCallback | None = None,
    default_trust: bool = True,
    face_matcher: Any = None,
    terminal: Terminal | None = None,
) -> VerificationResult:
    """Read (if needed) and judge a card under `policy`; one result with every check.

    `key`: the access key (MRZ or CAN); defaults to the source's own (virtual card, fixture).
    `trust`: CSCA paths or a TrustStore; default as `load_trust_choice`. `terminal`: an EAC
    terminal (CV chain + key) for Terminal Authentication, to read DG3. Card and reader problems
    raise CardError (wrong key, card removed …); security outcomes are never exceptions.
    """
    pol = load_policy(policy)
    probes = probes or Probes()
    timer = _Timer(progress)
    when = _as_utc(at)

    with timer.step("trust"):
        choice = load_trust_choice(trust, sim_default=source.sim_trust,
                                   use_local=default_trust, use_bundled=default_trust,
                                   max_age_days=pol.trust_max_age_days)
    card: CardRead | None = None
    if source.files is not None:
        files = dict(source.files)
    else:
        if source.transport is None:
            raise InputError("card source has neither a transport nor files")
        use_key = key or source.key
        if use_key is None:
            raise InputError("give the access key: ID number, date of birth and expiry "
                             "(or the MRZ, or the CAN)")
        with timer.step("read") as out:
            def on_file(name: str, done: int, total: int) -> None:
                timer.emit(ProgressEvent("read", "progress", file=name, done=done, total=total))

            with source.transport:
                from .read import read_card

                card = read_card(source.transport, use_key, access=access,
                                 rng=source.rng or SystemRandom(), progress=on_file,
                                 chip_checks=pol.wants(CheckName.CHIP_AUTHENTIC)
                                 or terminal is not None, terminal=terminal)
            out["state"] = "done"
        files = card.files
    doc = parse_document(files)
    checks: dict[str, CheckResult] = {}

    with timer.step("passive_auth") as out:
        from .security.crl import load_crl_paths

        crl_list = load_crl_paths(list(crls))
        passive = passive_within_budget(
            lambda: verify_passive(files, trust=choice.store, crls=crl_list, at=when), at=when)
        checks[CheckName.PASSIVE_AUTH.value] = _passive_check(passive, choice)
        out["state"] = passive.overall.state.value
    identity = build_identity(doc, passive.authenticated_dgs)

    if card is not None:
        checks[CheckName.CHIP_AUTH.value] = card.chip_auth
        checks[CheckName.ACTIVE_AUTH.value] = card.active_auth
        checks[CheckName.CHIP_AUTHENTIC.value] = card.chip_authentic
        if terminal is not None:
            checks[CheckName.TERMINAL_AUTH.value] = card.terminal_auth
    elif pol.wants(CheckName.CHIP_AUTHENTIC):
        checks[CheckName.CHIP_AUTHENTIC.value] = CheckResult(
            CheckName.CHIP_AUTHENTIC.value, CheckState.NOT_PERFORMED,
            "needs the card itself (files from a dump cannot prove the chip is original)")
    checks[CheckName.CHIP_GENUINE.value] = _chip_genuine(checks, pol)

    if pol.wants(CheckName.DOCUMENT_VALID):
        with timer.step("document_valid") as out:
            checks[CheckName.DOCUMENT_VALID.value] = document_valid_check(identity, when.date())
            out["state"] = checks[CheckName.DOCUMENT_VALID.value].state.value

    face_result = None
    if pol.wants(CheckName.FACE_MATCH):
        with timer.step("face_match") as out:
            check, face_result = _face_check(doc, passive, probes.face, pol, face_matcher)
            checks[CheckName.FACE_MATCH.value] = check
            out["state"] = check.state.value
    if pol.wants(CheckName.FINGER_MATCH):
        with timer.step("finger_match") as out:
            if probes.finger is None:
                check = CheckResult(CheckName.FINGER_MATCH.value, CheckState.NOT_PERFORMED,
                                    "no fingerprint probe given")
            elif passive is None or 3 not in passive.authenticated_dgs:
                # only the issuer-signed fingers count: a forger's DG3 carrying the forger's own
                # finger must never give a match
                _close_probe(probes.finger)
                check = CheckResult(
                    CheckName.FINGER_MATCH.value, CheckState.UNVERIFIABLE,
                    "the card's fingerprints (DG3) are not covered by a valid issuer signature: "
                    "comparing against them proves nothing" if "DG3" in doc.files else
                    "no fingerprints (DG3) covered by a valid issuer signature were read (DG3 "
                    "needs Terminal Authentication)")
            else:
                check = probes.finger(doc)
            checks[CheckName.FINGER_MATCH.value] = check
            out["state"] = check.state.value

    decision = decide(checks, pol)
    src: dict[str, Any] = {"kind": source.kind, "label": source.label}
    if card is not None:
        src.update({"reader": card.transport.name, "atr": card.transport.atr.hex().upper(),
                    "access": card.access, "seconds": round(card.seconds, 3)})
    src.update({k: v for k, v in source.meta.items()
                if k in ("persona", "seed", "recorded_at") and v is not None})
    result = VerificationResult(
        decision=decision, checks=checks, policy=pol, identity=identity, document=doc,
        steps=timer.steps, source=src, trust=choice, card=card, passive=passive,
        face=face_result, warnings=list(choice.warnings))
    timer.emit(ProgressEvent("verdict", "done", state=decision.verdict.value))
    return result


VERIFY_BUDGET_SECONDS = 20.0  # passive authentication of a genuine card takes milliseconds


def passive_within_budget(run: Callable[[], PassiveResult], *, at: _dt.datetime | None = None,
                          budget: float | None = VERIFY_BUDGET_SECONDS) -> PassiveResult:
    """`run()` (passive authentication) in a worker thread for at most `budget` seconds; its
    exceptions are re-raised here. Key sizes and curves are limited before any arithmetic
    (cardkit.security.signature), so this is the last line: past the budget every check is
    unverifiable ("did not finish"), never valid, and the caller is not held up. (The worker
    cannot be stopped; it ends with the process.)"""
    import threading

    if budget is None:
        return run()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = run()
        except BaseException as exc:  # noqa: BLE001 — handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=work, name="cardkit-passive-auth", daemon=True)
    worker.start()
    worker.join(budget)
    if "error" in box:
        raise box["error"]
    if "result" in box:
        return box["result"]
    from .security.passive import CHECK_NAMES

    why = (f"verification did not finish within {budget:g} s (an unusual or hostile "
           f"certificate?) — not verified")
    checks = [CheckResult(n, CheckState.UNVERIFIABLE, why) for n in CHECK_NAMES]
    overall = CheckResult("passive_authentication", CheckState.UNVERIFIABLE, why,
                          {"required": list(CHECK_NAMES[:4])})
    return PassiveResult(checks, overall, _as_utc(at))


def _as_utc(at: _dt.datetime | None) -> _dt.datetime:
    if at is None:
        return _dt.datetime.now(_dt.timezone.utc)
    return at if at.tzinfo else at.replace(tzinfo=_dt.timezone.utc)


_PASSIVE_ORDER = ("dg_hashes", "sod_signature", "crl", "dsc_chain", "dsc_validity")


def _passive_check(result: PassiveResult, trust: TrustChoice) -> CheckResult:
    """Passive authentication as one named check; details name the sub-check that decided."""
    details: dict[str, Any] = {"trust": trust.label, **result.to_dict()}
    states = {c.name: c.state for c in result.checks}
    order = [n for n in _PASSIVE_ORDER if n in states] + [n for n in states
                                                          if n not in _PASSIVE_ORDER]
    if result.overall.state is CheckState.INVALID:
        details["failed"] = next((n for n in order if states[n] is CheckState.INVALID), "")
    elif result.overall.state is not CheckState.VALID:
        required = result.overall.details.get("required") or order
        unsure = ["dsc_chain", "sod_signature", "dg_hashes", "dsc_validity", "crl"]
        details["unsure"] = next((n for n in unsure + order if n in states and n in required
                                  and states[n] is not CheckState.VALID), "")
    return CheckResult(CheckName.PASSIVE_AUTH.value, result.overall.state, result.summary_line(),
                       details)


def _chip_genuine(checks: Mapping[str, CheckResult], policy: Policy) -> CheckResult:
    """The teller's line: passive authentication and (when asked or run) the chip checks."""
    parts = [checks[CheckName.PASSIVE_AUTH.value]]
    chip = checks.get(CheckName.CHIP_AUTHENTIC.value)
    accepted_gap = chip is not None and chip.state is CheckState.NOT_SUPPORTED \
        and CheckName.CHIP_AUTHENTIC in policy.accept_not_supported
    if chip is not None and not accepted_gap and (policy.wants(CheckName.CHIP_AUTHENTIC)
                                                  or chip.state is CheckState.INVALID):
        parts.append(chip)
    state = worst_state(c.state for c in parts)
    cause = None
    if state is not CheckState.VALID:
        cause = next((c for c in parts if c.state is state), None) or \
            next(c for c in parts if not c.ok)
    reason = "; ".join(f"{c.name}: {c.state.value}" for c in parts)
    return CheckResult(CheckName.CHIP_GENUINE.value, state, reason,
                       {"cause": cause.name if cause is not None else None,
                        "parts": [c.name for c in parts]})


def _close_probe(probe: Any) -> None:
    """Release a probe's device (e.g. a fingerprint scanner) when it will not be used."""
    close = getattr(probe, "close", None)
    if callable(close):
        close()


def _face_check(doc: Document, passive: PassiveResult, probe: Any, policy: Policy,
                matcher: Any) -> tuple[CheckResult, Any]:
    name = CheckName.FACE_MATCH.value
    if probe is None:
        return CheckResult(name, CheckState.NOT_PERFORMED, "no live face image given"), None
    portrait = doc.portrait
    if portrait is None:
        return CheckResult(name, CheckState.NOT_PERFORMED,
                           "no portrait on the chip (DG2 missing or unreadable)"), None
    if 2 not in passive.authenticated_dgs:
        return CheckResult(name, CheckState.UNVERIFIABLE,
                           "the chip portrait (DG2) is not covered by a valid issuer signature: "
                           "comparing against it proves nothing"), None
    from .biometrics.face import default_matcher

    m = matcher or default_matcher(policy.face_operating_point)
    result = m.match_portrait(portrait.image_bytes, probe)
    check = result.to_check(name)
    if result.quality:
        details = dict(check.details)
        details["advice"] = result.quality[0].advice
        check = CheckResult(name, check.state, check.reason, details)
    return check, result
