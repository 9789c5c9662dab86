"""The one workflow (cardkit.verify.verify_card): preset policies × personas, policy files,
the expired document, progress events — on the virtual card, no mocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardkit import CardSource, CheckState, Verdict, load_policy, verify_card
from cardkit.checks import CheckName
from cardkit.errors import ExitCode, InputError
from cardkit.policy import Level, preset_names
from cardkit.results import CheckResult
from cardkit.verdict import decide

V, R, I = Verdict.VERIFIED, Verdict.REJECTED, Verdict.INCOMPLETE  # noqa: E741
PERSONAS = ("default", "forged-dg", "clone", "unknown-csca", "revoked-dsc", "pace", "expired")
POLICIES = ("bank", "clinic", "inspect-only", "card")

# Without a live face. bank and clinic require the face: a genuine card is INCOMPLETE, never
# VERIFIED; forgery evidence REJECTS under every policy that runs the failing check.
NO_FACE = {
    "default":      {"bank": I, "clinic": I, "inspect-only": V, "card": V},
    "pace":         {"bank": I, "clinic": I, "inspect-only": V, "card": V},
    "forged-dg":    {"bank": R, "clinic": R, "inspect-only": R, "card": R},
    "unknown-csca": {"bank": R, "clinic": R, "inspect-only": R, "card": R},
    "revoked-dsc":  {"bank": R, "clinic": R, "inspect-only": R, "card": R},
    # the clone carries the genuine card's signed data: only CA/AA (not run by inspect-only) see it
    "clone":        {"bank": R, "clinic": R, "inspect-only": V, "card": R},
    # expired: bank and card require a valid document; clinic takes it as a note
    "expired":      {"bank": R, "clinic": I, "inspect-only": V, "card": R},
}
# With a live face that matches the chip portrait (face check result injected from a real match).
WITH_MATCH = {
    "default":      {"bank": V, "clinic": V, "inspect-only": V, "card": V},
    "pace":         {"bank": V, "clinic": V, "inspect-only": V, "card": V},
    "forged-dg":    {"bank": R, "clinic": R, "inspect-only": R, "card": R},
    "unknown-csca": {"bank": R, "clinic": R, "inspect-only": R, "card": R},
    "revoked-dsc":  {"bank": R, "clinic": R, "inspect-only": R, "card": R},
    # here the card checks come from a bank run, which performed CA/AA: once a chip check has
    # said "copy", no policy accepts the card, not even inspect-only
    "clone":        {"bank": R, "clinic": R, "inspect-only": R, "card": R},
    "expired":      {"bank": R, "clinic": V, "inspect-only": V, "card": R},
}


@pytest.fixture(scope="module")
def face_checks(shared_dir: Path):  # type: ignore[no-untyped-def]
    """End to end through the workflow with a real face: a virtual card whose DG2 is a public
    photo of one person; a live photo of the same person (bank → VERIFIED) and of another
    (clinic → REJECTED). Two face matches in all (~0.5 s each)."""
    pytest.importorskip("dlib")
    from cardkit import Probes
    from cardkit.biometrics.face import Probe, default_matcher
    from cardkit.sim.personas import get_persona, register_persona
    from tests.conftest import chip_portrait

    faces = shared_dir / "datasets" / "faces"
    portrait = chip_portrait(faces / "barack_obama" / "1.jpg")
    register_persona("test-flow-face", "test: real public photo in DG2",
                     lambda seed: get_persona("default", seed).with_portrait(portrait, "jpeg"))
    matcher = default_matcher("strict")
    same = verify_card(CardSource.from_sim("test-flow-face"), policy="bank",
                       probes=Probes(face=Probe.from_image(faces / "barack_obama" / "3.jpg")),
                       face_matcher=matcher)
    assert same.verdict is V and same.exit_code == ExitCode.OK, same.reasons
    other = verify_card(CardSource.from_sim("test-flow-face"), policy="clinic",
                        probes=Probes(face=Probe.from_image(faces / "joe_biden" / "1.jpg")))
    assert other.verdict is R and other.exit_code == ExitCode.FACE_MISMATCH
    assert other.checks["chip_genuine"].state is CheckState.VALID  # genuine card, wrong person
    assert [str(m) for m in other.reasons] == [
        "the person does not match the photo on the chip — check their identity by other means"]
    return same.checks["face_match"], other.checks["face_match"]


def test_presets_are_shipped() -> None:
    assert {"bank", "clinic", "inspect-only", "card"} <= set(preset_names())
    bank = load_policy("bank")
    assert bank.level(CheckName.FACE_MATCH) is Level.REQUIRED
    assert bank.level(CheckName.DOCUMENT_VALID) is Level.REQUIRED
    assert load_policy("inspect-only").level(CheckName.CHIP_AUTHENTIC) is Level.OFF


@pytest.mark.parametrize("persona", PERSONAS)
def test_preset_policies_on_personas_without_face(persona: str) -> None:
    for policy in POLICIES:
        result = verify_card(CardSource.from_sim(persona), policy=policy)
        assert result.verdict is NO_FACE[persona][policy], (persona, policy, result.reasons)
        if result.verdict is not V:
            assert result.reasons and all(str(m) for m in result.reasons)
        assert (result.exit_code == ExitCode.OK) == (result.verdict is V)


@pytest.mark.parametrize("persona", PERSONAS)
def test_preset_policies_with_a_matching_face(persona: str, face_checks) -> None:  # type: ignore[no-untyped-def]
    """The card's checks from the real workflow; the face outcome from a real match (fixture)."""
    match, no_match = face_checks
    result = verify_card(CardSource.from_sim(persona), policy="bank")  # runs every card check
    for policy in POLICIES:
        checks = dict(result.checks)
        checks["face_match"] = match
        assert decide(checks, load_policy(policy)).verdict is WITH_MATCH[persona][policy], \
            (persona, policy)
        checks["face_match"] = no_match
        wants_face = load_policy(policy).wants(CheckName.FACE_MATCH)
        got = decide(checks, load_policy(policy)).verdict
        assert got is (R if wants_face else WITH_MATCH[persona][policy]), (persona, policy)


def test_verdict_names_the_failed_check_in_plain_words() -> None:
    clone = verify_card(CardSource.from_sim("clone"), policy="card")
    assert [str(m) for m in clone.reasons] == ["the chip is a copy or a forgery"]
    assert clone.exit_code == ExitCode.NOT_GENUINE
    forged = verify_card(CardSource.from_sim("forged-dg"), policy="card")
    assert [str(m) for m in forged.reasons] == [
        "the card data was changed after the card was issued"]
    for r in (clone, forged):
        text = " ".join(str(m) for m in r.reasons)
        assert "9796" not in text and "6988" not in text and "SOD" not in text


def test_expired_document_is_rejected_under_bank_though_the_chip_is_genuine() -> None:
    result = verify_card(CardSource.from_sim("expired"), policy="bank")
    assert result.checks["chip_genuine"].state is CheckState.VALID
    assert result.checks["passive_auth"].state is CheckState.VALID
    doc = result.checks["document_valid"]
    assert doc.state is CheckState.INVALID and doc.details["date_of_expiry"] == "2024-01-05"
    assert result.verdict is R and result.exit_code == ExitCode.DOCUMENT_INVALID
    assert "the card expired on 2024-01-05" in str(result.reasons[0])
    # today's cards are valid
    assert verify_card(CardSource.from_sim("default"), policy="card").checks[
        "document_valid"].state is CheckState.VALID


def test_expiry_from_unauthenticated_data_is_not_trusted() -> None:
    """document_valid reads the MRZ only when DG1 is covered by a valid SOD signature."""
    files = dict(verify_card(CardSource.from_sim("default"), policy="card").files)
    files["SOD"] = files["SOD"][:-20] + bytes(20)  # signature destroyed
    result = verify_card(CardSource.from_files(files), policy="card")
    assert result.checks["document_valid"].state is CheckState.UNVERIFIABLE
    assert result.verdict is R  # and the broken signature rejects the card


def test_a_policy_file_changes_the_verdict_as_written(tmp_path: Path) -> None:
    relaxed = tmp_path / "desk.toml"
    relaxed.write_text('name = "desk"\n[checks]\npassive_auth = "required"\n'
                       'chip_authentic = "required"\ndocument_valid = "advisory"\n', "utf-8")
    result = verify_card(CardSource.from_sim("expired"), policy=str(relaxed))
    assert result.policy.name == "desk" and result.verdict is V
    assert [n.check for n in result.decision.notes] == [CheckName.DOCUMENT_VALID]
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({"checks": {"passive_auth": "required",
                                             "document_valid": "required"}}), "utf-8")
    assert verify_card(CardSource.from_sim("expired"), policy=str(strict)).verdict is R
    # accept_unverifiable turns a missing face from INCOMPLETE into an accepted gap
    lax = tmp_path / "lax.toml"
    lax.write_text('accept_unverifiable = true\n[checks]\npassive_auth = "required"\n'
                   'face_match = "required"\n', "utf-8")
    assert verify_card(CardSource.from_sim("default"), policy=str(lax)).verdict is V
    # … but never a forgery: invalid beats everything
    assert verify_card(CardSource.from_sim("forged-dg"), policy=str(lax)).verdict is R


def test_forgery_evidence_rejects_even_when_the_policy_only_advises() -> None:
    """A clinic takes chip authentication as advisory, yet a clone is still rejected."""
    result = verify_card(CardSource.from_sim("clone"), policy="clinic")
    assert load_policy("clinic").level(CheckName.CHIP_AUTHENTIC) is Level.ADVISORY
    assert result.verdict is R and result.exit_code == ExitCode.NOT_GENUINE


@pytest.mark.parametrize("content, message", [
    ('[checks]\nface_match = "maybe"\n', "use required, advisory or off"),
    ('[checks]\nretina = "required"\n', "unknown check"),
    ('colour = "blue"\n', "unknown key"),
    ('[checks\n', "not valid"),
])
def test_bad_policy_files_are_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "p.toml"
    f.write_text(content, "utf-8")
    with pytest.raises(InputError, match=message):
        load_policy(str(f))
    with pytest.raises(InputError, match="no policy"):
        load_policy("no-such-policy")


def test_progress_events_and_step_durations() -> None:
    events = []
    result = verify_card(CardSource.from_sim("pace"), policy="bank", progress=events.append)
    steps = [e.step for e in events if e.status == "done"]
    assert steps == ["trust", "read", "passive_auth", "document_valid", "face_match", "verdict"]
    reads = [e for e in events if e.step == "read" and e.status == "progress"]
    assert {e.file for e in reads} >= {"COM", "SOD", "DG1", "DG2"}
    assert all(0 <= e.done <= e.total for e in reads)  # type: ignore[operator]
    assert events[-1].state == result.verdict.value
    assert [s.name for s in result.steps] == steps[:-1]
    assert all(s.seconds >= 0 for s in result.steps)
    assert json.dumps([e.to_dict() for e in events])  # JSON-ready for a streaming service


def test_finger_probe_plugs_in() -> None:
    """A fingerprint matcher is a callable; it only ever sees an issuer-signed DG3."""
    from cardkit import Probes
    from cardkit.sim.personas import get_persona

    policy = load_policy("bank").with_changes(checks={"finger_match": "required",
                                                      "face_match": "off"})
    seen = []

    def finger(document):  # type: ignore[no-untyped-def]
        seen.append(sorted(document.files))
        return CheckResult("finger_match", CheckState.NO_MATCH, "minutiae score 3 < 40")

    files = dict(get_persona("default").files)  # as read after Terminal Authentication
    assert "DG3" in files
    result = verify_card(CardSource.from_files(files), policy=policy, trust=["sim-test"],
                         probes=Probes(finger=finger))
    assert seen and "DG3" in seen[0]
    assert result.verdict is R and result.exit_code == ExitCode.FACE_MISMATCH
    assert str(result.reasons[0]) == "the finger does not match the one on the chip"
    # a chip read without TA has no DG3: the matcher is not asked, the check cannot run
    seen.clear()
    no_dg3 = verify_card(CardSource.from_sim("default"), policy=policy, probes=Probes(finger=finger))
    assert not seen and no_dg3.checks["finger_match"].state is CheckState.UNVERIFIABLE
    assert no_dg3.verdict is I
    # a DG3 the SOD does not cover is never matched
    files["DG3"] = files["DG3"][:-1] + bytes([files["DG3"][-1] ^ 1])
    forged = verify_card(CardSource.from_files(files), policy=policy, trust=["sim-test"],
                         probes=Probes(finger=finger))
    assert not seen and forged.checks["finger_match"].state is CheckState.UNVERIFIABLE
    assert forged.verdict is R  # and the altered DG3 rejects the card


def test_identity_holds_only_authenticated_values() -> None:
    """A chip with data groups the SOD does not list: their content never reaches identity.fields."""
    from cardkit.sim.personas import get_persona

    p = get_persona("unlisted-dg")
    result = verify_card(CardSource.from_sim("unlisted-dg"), policy="card")
    ident = result.identity
    assert result.verdict is R
    assert ident.get("document_number") == p.holder.document_number  # DG1: listed, matches
    assert "place_of_residence" not in ident.fields and ident.get("place_of_residence") is None
    assert ident.unauthenticated["place_of_residence"] == p.holder.place_of_residence
    assert ident.sources["place_of_residence"] == "DG13"
    report = result.to_dict()
    assert report["identity"]["place_of_residence"] is None
    assert report["unauthenticated"]["identity"]["place_of_residence"] == \
        p.holder.place_of_residence
    # the genuine card: all its fields authenticated, nothing apart
    genuine = verify_card(CardSource.from_sim("default"), policy="card").identity
    assert not genuine.unauthenticated and genuine.get("full_name") == "Nguyễn Văn An"
    assert (genuine.get("family_name"), genuine.get("middle_name"), genuine.get("given_name")) \
        == ("Nguyễn", "Văn", "An")
