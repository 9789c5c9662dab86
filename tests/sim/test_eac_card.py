"""The virtual card's PACE / CA / AA against the terminal side: every standardized curve and DH
group, 3DES and AES, MRZ and CAN, the `pace` and `clone` personas, and byte-exact replay."""

from __future__ import annotations

import json

import pytest

from cardkit.errors import AccessDeniedError, ExitCode
from cardkit.icao import active_auth, chip_auth, pace
from cardkit.icao.keys import CanKey, MrzKey
from cardkit.icao.reader import open_session
from cardkit.icao.session import CardSession
from cardkit.lds.security_infos import (
    Mapping,
    encode_pace_info,
    encode_security_infos,
    pace_oid,
)
from cardkit.rand import ReplayRandom, SystemRandom
from cardkit.read import read_card
from cardkit.results import CheckState
from cardkit.sim.card import VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.transport.fixtures import Fixture
from cardkit.transport.record import RecordingTransport
from cardkit.transport.replay import ReplayTransport
from cardkit.transport.sim import SimTransport


def _card(persona: str = "pace", card_access: bytes | None = None) -> VirtualCard:
    p = get_persona(persona)
    card = VirtualCard(p, extensions=False)
    if card_access is not None:
        card.files["CardAccess"] = card_access
    card._load_extensions()
    return card


def _connected(card: VirtualCard) -> SimTransport:
    t = SimTransport(card)
    t.connect()
    return t


@pytest.mark.parametrize("pid", [0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18])
def test_pace_gm_every_standard_domain_parameter_set(pid):
    agreement = "DH" if pid <= 2 else "ECDH"
    ca = encode_security_infos([encode_pace_info(pace_oid(agreement, Mapping.GM, "AES", 128), 2, pid)])
    card = _card(card_access=ca)
    session = CardSession(_connected(card))
    p = get_persona("pace")
    result = pace.perform_pace(session, CanKey(p.can), ca, SystemRandom())
    assert result.parameter_id == pid
    session.select_application()  # protected under the new keys: both sides agree
    assert card.session.sm is not None


@pytest.mark.parametrize("cipher, bits", [("3DES", 112), ("AES", 128), ("AES", 192), ("AES", 256)])
def test_pace_ciphers_then_read_dg1(cipher, bits):
    ca = encode_security_infos([encode_pace_info(pace_oid("ECDH", Mapping.GM, cipher, bits), 2, 13)])
    card = _card(card_access=ca)
    p = get_persona("pace")
    session = open_session(_connected(card), p.mrz_key, access="pace", rng=SystemRandom(),
                           card_access=ca)
    assert session.read_file(0x0101) == p.files["DG1"]


@pytest.mark.parametrize("which", ["mrz", "can"])
def test_pace_persona_read_with_mrz_and_can(which):
    p = get_persona("pace")
    key = p.mrz_key if which == "mrz" else CanKey(p.can)
    got = read_card(_connected(_card()), key)
    assert got.access.startswith("pace")
    assert got.files["DG1"] == p.files["DG1"]
    assert got.chip_auth.state is CheckState.VALID, got.chip_auth.reason
    assert got.active_auth.state is CheckState.VALID, got.active_auth.reason
    assert got.chip_authentic.state is CheckState.VALID


def test_wrong_can_is_access_error_exit_4():
    card = _card()
    p = get_persona("pace")
    wrong = CanKey(f"{(int(p.can) + 1) % 1_000_000:06d}")
    with pytest.raises(AccessDeniedError) as info:
        read_card(_connected(card), wrong)
    assert info.value.exit_code == ExitCode.CARD == 4


def test_wrong_mrz_with_forced_pace_is_access_error():
    p = get_persona("pace")
    wrong = MrzKey(p.mrz_key.document_number, "000101", p.mrz_key.date_of_expiry)
    with pytest.raises(AccessDeniedError):
        read_card(_connected(_card()), wrong, access="pace")


def _pace_session(persona: str):
    p = get_persona(persona)
    card = _card(persona)
    session = open_session(_connected(card), CanKey(p.can), access="pace", rng=SystemRandom(),
                           card_access=p.files["CardAccess"])
    return p, card, session


def test_genuine_chip_auth_and_active_auth_after_pace():
    p, _, session = _pace_session("pace")
    r = chip_auth.chip_authenticate(session, p.files["DG14"], SystemRandom())
    assert r.state is CheckState.VALID and r.details["domain_parameters"] == "brainpoolP256r1"
    assert session.read_file(0x0101) == p.files["DG1"]  # SM continues with the CA keys
    a = active_auth.active_authenticate(session, p.files["DG15"], p.files["DG14"], SystemRandom())
    assert a.state is CheckState.VALID and a.details["hash"] == "sha1"


def test_ec_active_auth_uses_dg14_hash():
    p, _, session = _pace_session("pace-ec-aa")
    a = active_auth.active_authenticate(session, p.files["DG15"], p.files["DG14"], SystemRandom())
    assert a.state is CheckState.VALID and a.details["hash"] == "sha256"


def test_clone_detected_by_active_auth():
    p, _, session = _pace_session("clone")
    assert p.files["DG15"] == get_persona("pace").files["DG15"]  # genuine, signed data
    a = active_auth.active_authenticate(session, p.files["DG15"], p.files["DG14"], SystemRandom())
    assert a.state is CheckState.INVALID
    assert "Active Authentication" in a.reason and a.details == {}


def test_clone_detected_by_chip_auth():
    p, _, session = _pace_session("clone")
    r = chip_auth.chip_authenticate(session, p.files["DG14"], SystemRandom())
    assert r.state is CheckState.INVALID and "Chip Authentication" in r.reason


def test_clone_read_says_cloned_or_forged():
    p = get_persona("clone")
    got = read_card(_connected(_card("clone")), p.mrz_key)
    assert got.chip_authentic.state is CheckState.INVALID
    assert "cloned or forged chip" in got.chip_authentic.reason


def test_missing_dgs_are_not_supported():
    _, _, session = _pace_session("pace")
    assert chip_auth.chip_authenticate(session, None, SystemRandom()).state is \
        CheckState.NOT_SUPPORTED
    assert active_auth.active_authenticate(session, None, None, SystemRandom()).state is \
        CheckState.NOT_SUPPORTED


def test_recorded_pace_session_replays_byte_exact(tmp_path):
    p = get_persona("pace")
    rec = RecordingTransport(_connected(_card()))
    rng = SystemRandom()
    first = read_card(rec, CanKey(p.can), rng=rng)
    assert first.access.startswith("pace")
    fixture = Fixture(rec.exchanges, list(rng.draws), rec.info)
    path = tmp_path / "pace.json"
    fixture.save(path)
    assert json.loads(path.read_text())["random"]
    purposes = [d.purpose for d in rng.draws]
    # rejection sampling may redraw a key (scalar >= n): every draw is recorded, in order
    assert purposes[0] == "pace.sk_map" and "pace.sk_eph" in purposes
    # AA runs before CA (a failed CA would end the session and hide AA's own verdict)
    assert purposes.index("aa.challenge") < purposes.index("ca.sk_eph")
    replay = ReplayTransport(fixture)
    replay.connect()
    second = read_card(replay, CanKey(p.can), rng=ReplayRandom(list(rng.draws)))
    assert replay.remaining == 0
    assert second.files == first.files
    assert second.chip_auth.state is first.chip_auth.state is CheckState.VALID
    assert second.active_auth.state is CheckState.VALID


def test_card_side_constants_match_openssl():
    """The card's own copy of the standardized domain parameters, checked independently."""
    import shutil
    import subprocess

    from asn1crypto import keys as akeys

    from cardkit.sim import pace_card
    from tests.conftest import need

    need(shutil.which("openssl") is not None, "openssl CLI not installed")
    names = {8: "prime192v1", 9: "brainpoolP192r1", 10: "secp224r1", 11: "brainpoolP224r1",
             12: "prime256v1", 13: "brainpoolP256r1", 14: "brainpoolP320r1", 15: "secp384r1",
             16: "brainpoolP384r1", 17: "brainpoolP512r1", 18: "secp521r1"}
    assert set(pace_card._EC) == set(names) and set(pace_card._DH) == {0, 1, 2}
    for pid, name in names.items():
        der = subprocess.run(["openssl", "ecparam", "-name", name, "-param_enc", "explicit",
                              "-outform", "DER"], capture_output=True, check=True).stdout
        p = akeys.ECDomainParameters.load(der).chosen
        c = pace_card.by_id(pid)
        assert (c.p, c.n) == (p["field_id"]["parameters"].native, p["order"].native)
        assert c.encode_point(c.g) == p["base"].native
        assert c.mul(c.n, c.g) is None
    for pid in (0, 1, 2):
        g = pace_card.by_id(pid)
        assert pow(g.g, g.q, g.p) == 1


def test_pace_card_side_never_loads_terminal_protocols():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from cardkit.sim.card import VirtualCard\n"
        "from cardkit.sim.personas import get_persona\n"
        "c = VirtualCard(get_persona('pace'))\n"
        "c.process(bytes.fromhex('0022C1A40F800A04007F00070202040202830102'))\n"
        "r = c.process(bytes.fromhex('10860000027C0000'))\n"
        "assert r[-2:] == bytes.fromhex('9000'), r.hex()\n"
        "print(sorted(m for m in sys.modules if m.startswith('cardkit.icao')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("persona, state", [("pace-cam", CheckState.VALID),
                                            ("clone-cam", CheckState.INVALID)])
def test_pace_cam_personas(persona, state):
    p = get_persona(persona)
    got = read_card(_connected(_card(persona)), CanKey(p.can))
    assert got.chip_auth.state is state
    assert "PACE-CAM" in got.chip_auth.reason
    assert got.active_auth.state is state  # the clone's AA key differs too
    assert got.files["DG1"] == p.files["DG1"]
