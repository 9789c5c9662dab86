"""Hostile cards (cardkit.sim.personas_hostile): chips that lie must never be called genuine.

Issue 9, defects 1 and 2: a clone's own DG14/DG15 key, data groups the SOD does not list, a DG14
the SOD lists but the chip withholds, EF.COM lying. Library and CLI, in-process; the pcscd+vpcd
path is in test_hostile_cards_pcscd.py.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cardkit import CardSource, Verdict, verify_card
from cardkit.rand import SystemRandom
from cardkit.read import read_card
from cardkit.results import CheckState
from cardkit.security.passive import verify_passive
from cardkit.security.trust import TrustStore
from cardkit.sim.card import VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.sim.personas_hostile import HOSTILE
from cardkit.sim.pki import sim_trust_paths
from cardkit.transport.sim import SimTransport
from cardkit_cli.main import cli

NOT_COVERED = "not covered by the issuer's signature"


@pytest.fixture(scope="module")
def sim_trust() -> TrustStore:
    return TrustStore.from_paths(sim_trust_paths())


def _read(name: str, trust: TrustStore):  # type: ignore[no-untyped-def]
    """The steps by hand (read_card, verify_passive) and the one workflow's verdict."""
    p = get_persona(name)
    with SimTransport(VirtualCard(p)) as t:
        card = read_card(t, p.mrz_key, rng=SystemRandom())
    pa = verify_passive(card.files, trust=trust)
    verdict = verify_card(CardSource.from_sim(name), policy="card", trust=trust).checks[
        "chip_genuine"]
    return card, pa, verdict


@pytest.mark.parametrize("name", sorted(set(HOSTILE) - {"duplicate-dg-hash"}))  # raises: below
def test_library_never_calls_a_hostile_card_genuine(name: str, sim_trust: TrustStore) -> None:
    _, _, verdict = _read(name, sim_trust)
    assert verdict.state != CheckState.VALID, (name, verdict)
    for policy in ("bank", "clinic", "card"):  # inspect-only does not run CA/AA
        result = verify_card(CardSource.from_sim(name), policy=policy)
        assert result.verdict is not Verdict.VERIFIED, (name, policy)


def test_clone_with_its_own_dg15_fails_active_auth(sim_trust: TrustStore) -> None:
    card, pa, verdict = _read("clone-own-dg15", sim_trust)
    assert card.active_auth.state == CheckState.INVALID
    assert NOT_COVERED in card.active_auth.reason and "DG15" in card.active_auth.reason
    assert card.chip_authentic.state == CheckState.INVALID
    assert pa.dg_status[15] == "not_listed" and pa.check("dg_hashes").state == CheckState.INVALID
    assert 15 not in pa.authenticated_dgs and verdict.state == CheckState.INVALID


def test_clone_with_its_own_dg14_fails_chip_auth(sim_trust: TrustStore) -> None:
    card, pa, _ = _read("clone-own-dg14", sim_trust)
    assert card.chip_auth.state == CheckState.INVALID and NOT_COVERED in card.chip_auth.reason
    assert card.chip_authentic.state == CheckState.INVALID
    assert pa.check("dg_hashes").state == CheckState.INVALID


def test_unlisted_data_groups_are_not_authenticated(sim_trust: TrustStore) -> None:
    card, pa, _ = _read("unlisted-dg", sim_trust)
    assert pa.state == CheckState.INVALID
    assert pa.authenticated_dgs == [1]
    assert {n: pa.dg_status[n] for n in (2, 13, 14, 15)} == dict.fromkeys((2, 13, 14, 15),
                                                                           "not_listed")
    assert "not covered by the issuer's signature" in pa.check("dg_hashes").reason
    # the chip keys come from uncovered files: both checks invalid, never valid
    assert card.chip_auth.state == card.active_auth.state == CheckState.INVALID


def test_withheld_dg14_is_read_from_the_sod_list_and_fails(sim_trust: TrustStore) -> None:
    card, pa, verdict = _read("withheld-dg14", sim_trust)
    assert "DG14" in card.skipped  # read because EF.SOD lists it, although EF.COM hides it
    assert card.chip_auth.state == CheckState.INVALID
    assert "did not give it" in card.chip_auth.reason
    assert pa.check("dg_hashes").state == CheckState.INVALID  # EF.COM omits a listed DG
    assert verdict.state == CheckState.INVALID


def test_a_listed_data_group_the_chip_withholds_makes_the_result_incomplete(
        sim_trust: TrustStore) -> None:
    p = get_persona("default")
    files = {k: v for k, v in p.files.items() if k != "DG13"}
    pa = verify_passive(files, trust=sim_trust)
    assert pa.check("dg_hashes").state == CheckState.UNVERIFIABLE
    assert pa.state == CheckState.UNVERIFIABLE and "DG13" in pa.check("dg_hashes").reason
    # DG3 (access-protected, needs EAC) may stay unread
    files = {k: v for k, v in p.files.items() if k != "DG3"}
    assert verify_passive(files, trust=sim_trust).state == CheckState.VALID


def test_com_listing_data_groups_the_sod_does_not_is_not_genuine(sim_trust: TrustStore) -> None:
    _, pa, _ = _read("com-lies", sim_trust)
    reason = pa.check("dg_hashes").reason
    assert pa.state == CheckState.INVALID and "EF.COM lists DG4, DG16" in reason
    assert "EF.COM omits DG14" in reason


def test_a_hash_counts_only_under_its_own_dg_number(sim_trust: TrustStore) -> None:
    card, pa, _ = _read("swapped-dg-hash", sim_trust)
    assert pa.dg_status[15] == "not_listed" and pa.dg_status[14] == "valid"
    assert card.active_auth.state == CheckState.INVALID and NOT_COVERED in card.active_auth.reason


def test_uncovered_dg14_neither_authenticates_nor_picks_the_aa_hash(
        sim_trust: TrustStore) -> None:
    card, _, _ = _read("ec-aa-uncovered-dg14", sim_trust)
    assert card.chip_auth.state == CheckState.INVALID and NOT_COVERED in card.chip_auth.reason
    assert card.chip_authentic.state == CheckState.INVALID


def _cli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.stdout, r.stderr


@pytest.mark.parametrize("name", ["clone-own-dg15", "clone-own-dg14"])
def test_cli_clone_with_its_own_key_exits_3_saying_the_key_is_not_covered(name: str) -> None:
    code, out, _ = _cli("read", "--sim", name)
    assert code == 3, out
    # the main screen, in the teller's words
    verdict = out.strip().splitlines()[-1]
    assert verdict.startswith("REJECTED — do not accept:")
    assert "the chip's key is not covered by the issuer's signature — the chip is a copy or a " \
        "forgery" in verdict


@pytest.mark.parametrize("name", ["unlisted-dg", "withheld-dg14", "com-lies", "swapped-dg-hash"])
def test_cli_other_hostile_cards_exit_3(name: str) -> None:
    code, out, _ = _cli("read", "--sim", name)
    assert code == 3 and "REJECTED — do not accept" in out, out


def test_unlisted_dg_content_is_never_reported_as_verified() -> None:
    p = get_persona("unlisted-dg")
    code, out, _ = _cli("read", "--sim", "unlisted-dg", "--json")
    report = json.loads(out)
    assert code == 3 and report["verdict"]["result"] == "rejected"
    holder = report["identity"]
    # DG1 (covered) still gives the MRZ fields; DG13's address/name never appear as verified
    assert holder["document_number"] == p.holder.document_number
    assert holder.get("place_of_residence") is None and holder["full_name"] != p.holder.full_name
    assert "place_of_residence" not in report["authenticated_fields"]
    assert report["data_groups"]["DG1"] == {"authenticated": True}
    assert report["data_groups"]["DG13"] == {"authenticated": False}
    assert report["portrait"]["authenticated"] is False
    unauth = report["unauthenticated"]
    assert "DG13" in unauth["data_groups"] and "do not use" in unauth["warning"]
    assert unauth["identity"]["place_of_residence"] == p.holder.place_of_residence
    code, text, _ = _cli("read", "--sim", "unlisted-dg")
    line = next(ln for ln in text.splitlines() if p.holder.place_of_residence in ln)
    assert "NOT AUTHENTICATED" in line
    portrait = next(ln for ln in text.splitlines() if ln.startswith("Portrait:"))
    assert "NOT AUTHENTICATED" in portrait


def test_aa_answered_with_another_algorithm_fails(sim_trust: TrustStore) -> None:
    card, pa, verdict = _read("aa-wrong-algorithm", sim_trust)
    assert pa.state == CheckState.VALID  # the data is genuine; the chip is not
    assert card.active_auth.state == CheckState.INVALID
    assert verdict.state == CheckState.INVALID


def test_sod_listing_a_data_group_twice_is_refused(sim_trust: TrustStore) -> None:
    from cardkit.errors import ParseError

    p = get_persona("duplicate-dg-hash")
    with pytest.raises(ParseError, match="DG13 listed twice"):
        verify_passive(dict(p.files), trust=sim_trust)
    code, out, err = _cli("read", "--sim", "duplicate-dg-hash")
    assert code == 2 and "DG13 listed twice" in err and "VERIFIED" not in out
    assert err.strip().splitlines()[-1].startswith("cardkit: error:") and "Traceback" not in err
