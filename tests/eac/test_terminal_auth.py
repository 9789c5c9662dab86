"""Terminal Authentication v1 against the virtual chip (in process): success over BAC and PACE,
and one distinct, actionable refusal per failure — plus hostile terminals the chip must refuse."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from cardkit.icao import terminal_auth as ta
from cardkit.icao.reader import open_session, read_card_access
from cardkit.lds import cvc
from cardkit.lds.dg3 import parse_dg3
from cardkit.rand import SystemRandom
from cardkit.results import CheckState
from cardkit.security.cv_chain import chain_for, issue_certificate, load_chain
from cardkit.security.terminal_key import SoftwareKey, load_pem_key
from cardkit.sim.card import VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.transport.sim import SimTransport

from .conftest import SIM_EAC, TODAY, certs_of, read_eac


@pytest.mark.parametrize("persona", ["eac", "eac-pace"])
def test_dg3_read_after_terminal_auth(chains, persona):
    card = read_eac(persona, chains["good"])
    assert card.access == ("pace" if persona == "eac-pace" else "bac")
    assert card.terminal_auth.state == CheckState.VALID, card.terminal_auth.reason
    assert "DG3" in card.files and "DG3" not in card.skipped
    fingers = parse_dg3(card.files["DG3"]).fingers
    assert [f.position for f in fingers] == [2, 7]  # right index, left index
    assert card.terminal_auth.details["apdus"] == 9  # EF.CVCA (2) + 2 × (DST+PSO) + AT, GC, EA


def test_without_terminal_dg3_stays_protected():
    card = read_eac("eac")
    assert card.skipped["DG3"] == "protected: needs Terminal Authentication (EAC)"
    assert card.terminal_auth.state == CheckState.NOT_PERFORMED


def _failed(card, reason: str) -> str:
    assert card.terminal_auth.state == CheckState.INVALID
    assert card.terminal_auth.details["reason"] == reason, card.terminal_auth.reason
    assert "DG3" not in card.files
    assert card.skipped["DG3"].startswith("protected: Terminal Authentication failed: ")
    return card.terminal_auth.reason


def test_expired_is_certificate(chains):
    msg = _failed(read_eac("eac", chains["expired"]), "expired")
    assert "expired on" in msg and "VNISDESK" in msg


def test_not_yet_valid_is_certificate(chains):
    msg = _failed(read_eac("eac", chains["not_yet"]), "not_yet_valid")
    assert "not valid before" in msg


def test_chain_from_another_cvca(chains):
    msg = _failed(read_eac("eac", chains["foreign"]), "unknown_cvca")
    assert "DECVCA00001" in msg and "VNCVCA00001" in msg


def test_wrong_terminal_key(chains):
    other = load_pem_key(chains["foreign"] / "is.key.pem")
    msg = _failed(read_eac("eac", chains["good"], other), "signature_refused")
    assert "refused the terminal's signature" in msg


def test_chat_without_dg3(chains):
    card = read_eac("eac", chains["no_dg3"])
    assert card.terminal_auth.state == CheckState.VALID
    assert card.terminal_auth.details["dg3_allowed"] is False
    assert "DG3" not in card.files  # the chip itself refused it (6982) after TA
    assert "does not grant reading DG3 (CHAT)" in card.skipped["DG3"]


def test_chip_without_eac(chains):
    msg = _failed(read_eac("default", chains["good"]), "no_eac")
    assert "does not offer Terminal Authentication" in msg


def test_pace_chip_without_eac_is_not_misread(chains):
    """On a PACE chip, FID 011C inside the application is EF.CardAccess-shadowed: no EF.CVCA."""
    msg = _failed(read_eac("pace", chains["good"]), "no_eac")
    assert "no CVCA" in msg or "no EF.CVCA" in msg


def test_chip_given_another_chain_trusts_only_it(chains):
    """`set_trust`: the card trusts the foreign CVCA; the sim chain is then refused."""
    from cardkit.sim.terminal_auth_card import set_trust

    foreign_cvca = (chains["foreign"] / "cvca.cvcert").read_bytes()
    ok = read_eac("eac", chains["foreign"], card_setup=lambda c: set_trust(c, [foreign_cvca]))
    assert ok.terminal_auth.state == CheckState.VALID and "DG3" in ok.files
    _failed(read_eac("eac", chains["good"], card_setup=lambda c: set_trust(c, [foreign_cvca])),
            "unknown_cvca")


# --- the chip's own checks (the terminal's local checks bypassed) ------------------------------


def _session_after_ca(persona: str = "eac"):
    from cardkit.icao.chip_auth import chip_authenticate

    p = get_persona(persona)
    card = VirtualCard(p)
    transport = SimTransport(card)
    transport.connect()
    rng = SystemRandom()
    session = open_session(transport, p.mrz_key, rng=rng,
                           card_access=read_card_access(transport))
    assert chip_authenticate(session, p.files["DG14"], rng).ok
    return card, session


def _dg3_readable(session) -> bool:
    from cardkit.icao.reader import read_lds

    return "DG3" in read_lds(session, files=["DG3"]).files


def test_chip_refuses_is_certificate_expired_by_its_date(chains):
    """The chip's date moves to the DV certificate's effective date (today): an IS certificate
    that expired yesterday is refused by the chip itself (6300) — and explained."""
    _card, session = _session_after_ca()
    chain = chain_for(list(certs_of(chains["expired"])), ["VNCVCA00001"])
    with pytest.raises(ta.TerminalAuthError) as exc:
        ta.perform_terminal_auth(session, chain, load_pem_key(chains["expired"] / "is.key.pem").sign)
    assert exc.value.reason == "expired" and exc.value.sw == 0x6300
    assert not _dg3_readable(session)


def test_chip_date_moves_forward_with_dv_certificate(chains):
    card, session = _session_after_ca()
    assert card.ta_state.current_date == dt.date(2025, 1, 1)
    chain = chain_for(list(certs_of(chains["good"])), ["VNCVCA00001"])
    ta.perform_terminal_auth(session, chain, load_pem_key(chains["good"] / "is.key.pem").sign)
    assert card.ta_state.current_date == TODAY
    assert _dg3_readable(session)


def test_terminal_auth_before_chip_auth_is_refused(chains):
    p = get_persona("eac")
    transport = SimTransport(VirtualCard(p))
    transport.connect()
    session = open_session(transport, p.mrz_key, rng=SystemRandom())
    session.ca_terminal_public = b"\x04" + b"\x01" * 64  # pretend: the chip knows better
    chain = chain_for(list(certs_of(chains["good"])), ["VNCVCA00001"])
    with pytest.raises(ta.TerminalAuthError) as exc:
        ta.perform_terminal_auth(session, chain, load_pem_key(chains["good"] / "is.key.pem").sign)
    assert exc.value.reason == "ca_required"


def _dv(chains):
    dv = next(c for c in load_chain([chains["good"]]) if c.role == "dv_domestic")
    return dv, load_pem_key(chains["good"] / "dv.key.pem")


def test_forged_chat_upgrade_fails_signature(chains):
    """A terminal flips its CHAT to gain DG3: the IS certificate's signature no longer verifies."""
    _card, session = _session_after_ca()
    no_dg3 = certs_of(chains["no_dg3"])
    is_cert = next(c for c in no_dg3 if c.role == "terminal")
    chat = is_cert.chat.template[0]
    assert not chat & cvc.CHAT_DG3
    forged_body = is_cert.body.replace(bytes((0x53, 1, chat)), bytes((0x53, 1, chat | 1)))
    assert forged_body != is_cert.body
    forged = cvc.parse_certificate(cvc.encode_certificate(forged_body, is_cert.signature))
    dv = next(c for c in no_dg3 if c.role != "terminal")
    with pytest.raises(ta.TerminalAuthError) as exc:
        ta.perform_terminal_auth(session, [dv, forged],
                                 load_pem_key(chains["no_dg3"] / "is.key.pem").sign)
    assert exc.value.reason == "certificate_refused" and exc.value.sw == 0x6300
    assert not _dg3_readable(session)


def test_dv_without_dg3_right_cannot_grant_it(chains, tmp_path):
    """Effective rights are the AND of the chain: an IS certificate claiming DG3 under a DV that
    lacks it (validly signed by that DV) still gets no DG3 from the chip."""
    cvca_key = load_pem_key(SIM_EAC / "cvca.key.pem")
    dv_priv = ec.generate_private_key(ec.BrainpoolP256R1())
    is_priv = ec.generate_private_key(ec.BrainpoolP256R1())
    dv_raw = issue_certificate(signer=cvca_key, signer_oid=cvc.TA_ECDSA_SHA256, car="VNCVCA00001",
                               holder_key=dv_priv.public_key(), chr="VNDVNODG300001",
                               role="dv_domestic", effective=TODAY,
                               expiration=TODAY + dt.timedelta(days=30), dg3=False, dg4=False)
    is_raw = issue_certificate(signer=SoftwareKey(dv_priv), signer_oid=cvc.TA_ECDSA_SHA256,
                               car="VNDVNODG300001", holder_key=is_priv.public_key(),
                               chr="VNISGREEDY00001", role="terminal", effective=TODAY,
                               expiration=TODAY + dt.timedelta(days=30), dg3=True, dg4=True)
    chain = [cvc.parse_certificate(dv_raw), cvc.parse_certificate(is_raw)]
    _card, session = _session_after_ca()
    result = ta.perform_terminal_auth(session, chain, SoftwareKey(is_priv).sign)
    assert result.dg3_allowed is False
    assert not _dg3_readable(session)


def test_terminal_cannot_issue_terminal_certificates(chains):
    """An IS key signing another IS certificate: the chip refuses (issuer role check)."""
    good = certs_of(chains["good"])
    is_cert = next(c for c in good if c.role == "terminal")
    is_key = load_pem_key(chains["good"] / "is.key.pem")
    child_priv = ec.generate_private_key(ec.BrainpoolP256R1())
    child = cvc.parse_certificate(issue_certificate(
        signer=is_key, signer_oid=cvc.TA_ECDSA_SHA256, car=is_cert.chr,
        holder_key=child_priv.public_key(), chr="VNISCHILD00001", role="terminal",
        effective=TODAY, expiration=TODAY + dt.timedelta(days=3)))
    dv = next(c for c in good if c.role != "terminal")
    _card, session = _session_after_ca()
    with pytest.raises(ta.TerminalAuthError):
        ta.perform_terminal_auth(session, [dv, is_cert, child], SoftwareKey(child_priv).sign)
    assert not _dg3_readable(session)


def test_signature_over_wrong_data_is_refused(chains):
    """A signature replayed from another session (other challenge) is refused."""
    _card, session = _session_after_ca()
    chain = chain_for(list(certs_of(chains["good"])), ["VNCVCA00001"])
    key = load_pem_key(chains["good"] / "is.key.pem")
    with pytest.raises(ta.TerminalAuthError) as exc:
        ta.perform_terminal_auth(session, chain, lambda data, oid: key.sign(b"x" + data[1:], oid))
    assert exc.value.reason == "signature_refused"
    assert not _dg3_readable(session)


def test_ef_cvca_parsing():
    assert ta.parse_ef_cvca(bytes.fromhex("420B") + b"VNCVCA00001" + b"\x00" * 23) == \
        ["VNCVCA00001"]
    with pytest.raises(ta.TerminalAuthError):
        ta.parse_ef_cvca(bytes.fromhex("420B") + b"VNCVCA00001" + b"\x00\x01")
    with pytest.raises(ta.TerminalAuthError):
        ta.parse_ef_cvca(b"\x31\x00")


def test_forged_fingers_after_terminal_auth_fail_passive_auth(chains):
    """A cloned/forged chip that swaps DG3 for another person's fingers still passes TA (TA proves
    the terminal, not the chip) — passive authentication catches it: DG3's hash is in the SOD."""
    from cardkit.sim.personas_ta import finger_dg3
    from cardkit.verify import CardSource, verify_card

    def passive_check(files):  # type: ignore[no-untyped-def]
        r = verify_card(CardSource.from_files(files), policy="inspect-only", trust=["sim-test"])
        return r.checks["passive_auth"], r

    def swap(card):
        card.files["DG3"] = finger_dg3("079185000777")  # someone else's fingers

    card = read_eac("eac", chains["good"], card_setup=swap)
    assert card.terminal_auth.state == CheckState.VALID and "DG3" in card.files
    pa, result = passive_check(card.files)
    assert pa.state == CheckState.INVALID and "DG3" in pa.reason
    assert result.verdict.value == "rejected"
    genuine = read_eac("eac", chains["good"])
    assert passive_check(genuine.files)[0].ok


def test_pace_cam_chip_gets_a_clear_unsupported_message(chains):
    """PACE-CAM proves the chip without a CA key exchange: no PK_PCD to sign; said plainly."""
    card = read_eac("pace-cam", chains["good"])
    assert card.access == "pace" and card.chip_auth.state == CheckState.VALID
    assert _failed(card, "unsupported").startswith("Terminal Authentication after PACE-CAM")
