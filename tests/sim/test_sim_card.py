"""The virtual card's answers, command by command (ICAO 9303-11, ISO/IEC 7816-4)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardkit.apdu import Command
from cardkit.rand import FixedRandom
from cardkit.sim.card import ATR, Access, Quirks, Reply, VirtualCard, mrz_information
from cardkit.sim.personas import get_persona
from cardkit.sim.sm import AesSM

SELECT_AID = bytes.fromhex("00A4040C07A0000002471001")

# ICAO 9303-11 Appendix D (BAC worked example), card side
D_MRZ = mrz_information("L898902C", "690806", "940623")
D_COM = bytes.fromhex("60145F0104303130365F36063034303030305C026175")
D_RANDOM = {"card.rnd_ic": bytes.fromhex("4608F91988702212"),
            "card.k_ic": bytes.fromhex("0B4F80323EB3191CB04970CB4052790B")}


def tx(card: VirtualCard, hexstr: str) -> str:
    return card.process(bytes.fromhex(hexstr)).hex().upper()


@pytest.fixture
def default_card() -> VirtualCard:
    return VirtualCard(get_persona("default"))


def test_appendix_d_bac_and_secure_messaging_card_side() -> None:
    """Every card answer of ICAO 9303-11 Appendix D.3/D.4, byte for byte."""
    card = VirtualCard({"COM": D_COM}, mrz_info=D_MRZ, random=FixedRandom(D_RANDOM))
    assert D_MRZ == "L898902C<369080619406236"
    assert tx(card, "00A4040C07A0000002471001") == "9000"
    assert tx(card, "0084000008") == "4608F919887022129000"
    assert tx(card, "0082000028" "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"
                    "5F1448EEA8AD90A728") == (
        "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000")
    assert card.session.access is Access.BAC
    assert card.session.sm.k_enc.hex().upper() == "979EC13B1CBFE9DCD01AB0FED307EAE5"
    assert card.session.sm.k_mac.hex().upper() == "F1CB1F1FB5ADF208806B89DC579DC1F8"
    assert tx(card, "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800") == (
        "990290008E08FA855A5D4C50A8ED9000")
    assert tx(card, "0CB000000D9701048E08ED6705417E96BA5500") == (
        "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")
    assert tx(card, "0CB000040D9701128E082EA28A70F3C7B53500") == (
        "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000")


def test_atr_is_t1_with_valid_tck() -> None:
    assert ATR[0] == 0x3B
    tck = 0
    for b in ATR[1:]:
        tck ^= b
    assert tck == 0  # XOR of T0..TCK is zero (ISO/IEC 7816-3 §8.2.5)
    assert ATR[3] & 0x0F == 1  # TD2 announces T=1


def test_select(default_card: VirtualCard) -> None:
    c = default_card
    assert tx(c, "00A40000023F00") == "6D00"  # MF: like the Vietnamese chip
    assert tx(c, "00A4020C02011C") == "6A82"  # no EF.CardAccess on the BAC-only persona
    assert tx(c, "00A4020C02011E") == "6A82"  # EF.COM before the application is selected
    assert tx(c, "00A4040C07A0000002471002") == "6A82"
    assert tx(c, "00A4040C07A0000002471001") == "9000"
    assert tx(c, "00A4020C02011E") == "6982"  # needs secure messaging
    assert tx(c, "00A4020C0201") == "6700"
    assert tx(c, "00A4080C02011E") == "6A86"


def test_card_access_readable_in_plain() -> None:
    card_access = bytes.fromhex("3114300F060A04007F0007020204020202010202010D")
    p = get_persona("default").with_files(CardAccess=card_access)
    c = VirtualCard(p, extensions=False)
    assert tx(c, "00A4020C02011C") == "9000"
    assert tx(c, "00B0000000") == card_access.hex().upper() + "9000"
    assert tx(c, "00B09C1404") == card_access[20:].hex().upper() + "6282"  # by SFI 1C
    assert "CardAccess" in p.files and p.files["DG1"] == get_persona("default").files["DG1"]


def test_get_challenge_and_plain_reads(default_card: VirtualCard) -> None:
    c = default_card
    assert tx(c, "0084000004") == "6700"
    r = c.process(bytes.fromhex("0084000008"))
    assert len(r) == 10 and r[-2:] == b"\x90\x00"
    assert tx(c, "00B0000004") == "6986"  # no current EF
    assert tx(c, "00A4040C07A0000002471001") == "9000"
    assert tx(c, "00B0810004") == "6982"  # DG1 by SFI without BAC


def test_wrong_bac_key_answers_6300(terminal_for) -> None:
    p = get_persona("default")
    t = terminal_for(VirtualCard(p).process)
    wrong = mrz_information(p.holder.document_number, "010101", p.date_of_expiry_mrz)
    assert t.bac(wrong) == 0x6300
    t2 = terminal_for(VirtualCard(p).process)
    assert t2.bac(p.mrz_information) == 0x9000


def test_external_authenticate_needs_a_challenge(default_card: VirtualCard) -> None:
    assert tx(default_card, "0082000028" + "00" * 40 + "28") == "6985"
    assert tx(default_card, "0084000008")[-4:] == "9000"
    assert tx(default_card, "0082000010" + "00" * 16 + "28") == "6700"


def test_read_all_files_after_bac(terminal_for) -> None:
    p = get_persona("default")
    t = terminal_for(VirtualCard(p).process)
    assert t.bac(p.mrz_information) == 0x9000
    for name, fid in (("COM", 0x011E), ("DG1", 0x0101), ("DG13", 0x010D), ("SOD", 0x011D),
                      ("DG14", 0x010E), ("DG15", 0x010F)):
        assert t.read_file(fid) == p.files[name], name
    assert t.read_file(0x0102, chunk=0x1000, extended=True) == p.files["DG2"]


def test_dg3_needs_terminal_authentication(terminal_for) -> None:
    p = get_persona("default")
    card = VirtualCard(p)
    t = terminal_for(card.process)
    t.bac(p.mrz_information)
    assert t.select(0x0103) == 0x9000
    assert t.sm(0, 0xB0, 0, 0, le=4) == (b"", 0x6982)
    card.session.terminal_authenticated = True  # TA done, but the CHAT grants no DG3
    assert t.sm(0, 0xB0, 0, 0, le=4) == (b"", 0x6982)
    card.session.extra["eac_files"] = frozenset({"DG3"})  # what terminal_auth_card sets
    assert t.sm(0, 0xB0, 0, 0, le=4)[0] == p.files["DG3"][:4]


def test_wrong_command_mac_closes_session(terminal_for) -> None:
    p = get_persona("default")
    card = VirtualCard(p)
    t = terminal_for(card.process)
    t.bac(p.mrz_information)
    r = card.process(t.protect(0, 0xA4, 2, 0x0C, bytes.fromhex("011E"), tamper=True))
    assert r == bytes.fromhex("6988")
    assert card.session.sm is None and card.session.access is Access.NONE
    r = card.process(t.protect(0, 0xA4, 2, 0x0C, bytes.fromhex("011E")))
    assert r == bytes.fromhex("6987")  # no session any more


def test_missing_mac_answers_6987(terminal_for) -> None:
    p = get_persona("default")
    card = VirtualCard(p)
    t = terminal_for(card.process)
    t.bac(p.mrz_information)
    assert card.process(bytes.fromhex("0CB0000003970104")) == bytes.fromhex("6987")
    assert card.session.sm is None


def test_plain_command_ends_the_sm_session(terminal_for) -> None:
    p = get_persona("default")
    card = VirtualCard(p)
    t = terminal_for(card.process)
    t.bac(p.mrz_information)
    assert tx(card, "00A4020C020101") == "6982"
    assert card.session.sm is None


def test_read_binary_offsets_ends_and_b1(terminal_for) -> None:
    big = b"\x75\x83\x00\x9c\x40" + bytes(i % 251 for i in range(40000))
    files = {"COM": bytes.fromhex("60085F0104303130375C0175"), "DG2": big}
    card = VirtualCard(files, mrz_info=D_MRZ)
    t = terminal_for(card.process)
    assert t.bac(D_MRZ) == 0x9000
    assert t.select(0x0102) == 0x9000
    assert t.read_file(0x0102, chunk=0xDF) == big  # B1 with DO'54' beyond 32767
    d, sw = t.sm(0, 0xB0, 0x7F, 0xFF, le=16)
    assert (d, sw) == (big[0x7FFF:0x7FFF + 16], 0x9000)
    d, sw = t.sm(0, 0xB1, 0, 0, bytes.fromhex("540300A000"), le=256)  # past the end
    assert sw == 0x6B00
    d, sw = t.sm(0, 0xB1, 0, 0, bytes.fromhex("5403009C40"), le=20)  # last 5 bytes
    assert d == b"\x53\x05" + big[-5:] and sw == 0x6282
    d, sw = t.sm(0, 0xB0, 0, 0, le=65536, extended=True)  # extended Le "all"
    assert d == big[:65536] and sw == 0x9000
    d, sw = t.sm(0, 0xB0, 0x81, 0, le=256)  # no DG1 on this card
    assert sw == 0x6A82


def test_fcp_on_select_p2_00(terminal_for) -> None:
    p = get_persona("default")
    t = terminal_for(VirtualCard(p).process)
    t.bac(p.mrz_information)
    d, sw = t.sm(0, 0xA4, 2, 0, bytes.fromhex("0101"), le=256)
    assert sw == 0x9000 and d[0] == 0x62
    assert int.from_bytes(d[4:6], "big") == len(p.files["DG1"])


def test_power_cycle_resets_session(terminal_for) -> None:
    p = get_persona("default")
    card = VirtualCard(p)
    t = terminal_for(card.process)
    t.bac(p.mrz_information)
    assert card.session.sm is not None
    assert card.reset() == card.atr
    assert card.session.sm is None and not card.session.applet_selected
    t.bac(p.mrz_information)
    card.power_off()
    assert card.session.sm is None
    card.power_on()
    assert card.session.access is Access.NONE


def test_handlers_and_aes_sm_switch(terminal_for) -> None:
    """What the PACE/CA engineer will do: register an INS, switch SM after the response."""
    p = get_persona("default")
    card = VirtualCard(p, extensions=False)
    k_enc, k_mac = bytes(range(16)), bytes(range(16, 32))

    def fake_ca(c: VirtualCard, cmd: Command) -> Reply:
        assert c.session.via_sm
        c.install_sm(AesSM(k_enc, k_mac))
        return Reply(b"", 0x9000)

    card.handlers[0x86] = fake_ca
    t = terminal_for(card.process)
    t.bac(p.mrz_information)
    assert t.sm(0, 0x86, 0, 0, b"\x7c\x00") == (b"", 0x9000)  # answered under the old 3DES SM
    assert isinstance(card.session.sm, AesSM) and card.session.sm.ssc == 0
    # the next command must use AES SM: the old 3DES terminal keys now fail
    assert card.process(t.protect(0, 0xA4, 2, 0x0C, bytes.fromhex("0101"))) == b"\x69\x88"
    assert card.default_handler(0xA4) is not None
    assert tx(card, "0088000000") == "6D00"  # no AA handler installed


class _AesTerminal:
    """Independent AES SM terminal (9303-11 §9.8.6.2) for the round trip."""

    def __init__(self, k_enc: bytes, k_mac: bytes) -> None:
        self.k_enc, self.k_mac, self.ssc = k_enc, k_mac, 0

    def _mac(self, data: bytes) -> bytes:
        from Crypto.Cipher import AES
        from Crypto.Hash import CMAC
        return CMAC.new(self.k_mac, data, ciphermod=AES).digest()[:8]

    @staticmethod
    def _pad(b: bytes) -> bytes:
        b += b"\x80"
        return b + b"\x00" * (-len(b) % 16)

    def wrap(self, header: bytes, data: bytes, le: int) -> bytes:
        from Crypto.Cipher import AES
        self.ssc += 1
        s = self.ssc.to_bytes(16, "big")
        iv = AES.new(self.k_enc, AES.MODE_ECB).encrypt(s)
        enc = AES.new(self.k_enc, AES.MODE_CBC, iv=iv).encrypt(self._pad(data))
        do87 = bytes((0x87, len(enc) + 1, 1)) + enc
        do97 = bytes((0x97, 1, le))
        mac = self._mac(s + self._pad(header) + self._pad(do87 + do97))
        body = do87 + do97 + b"\x8e\x08" + mac
        return header + bytes((len(body),)) + body + b"\x00"

    def unwrap(self, resp: bytes) -> bytes:
        from Crypto.Cipher import AES
        self.ssc += 1
        s = self.ssc.to_bytes(16, "big")
        body, mac = resp[:-12], resp[-10:-2]
        assert self._mac(s + self._pad(body)) == mac
        if body[0] != 0x87:
            return b""
        n = body[1]
        iv = AES.new(self.k_enc, AES.MODE_ECB).encrypt(s)
        p = AES.new(self.k_enc, AES.MODE_CBC, iv=iv).decrypt(body[3:2 + n])
        return p.rstrip(b"\x00")[:-1]


def _aes_session() -> tuple[VirtualCard, _AesTerminal]:
    """The default card with AES secure messaging installed, and a terminal sharing its keys."""
    card = VirtualCard(get_persona("default"), extensions=False)
    k_enc, k_mac = bytes(range(100, 116)), bytes(range(50, 66))
    card.process(SELECT_AID)
    card.install_sm(AesSM(k_enc, k_mac), Access.PACE)
    return card, _AesTerminal(k_enc, k_mac)


def test_aes_secure_messaging_round_trip() -> None:
    card, t = _aes_session()
    r = card.process(t.wrap(b"\x0c\xa4\x02\x0c", bytes.fromhex("0101"), 0))
    assert r[-2:] == b"\x90\x00"
    assert t.unwrap(r) == b""
    assert card.session.current == "DG1" and card.session.sm.ssc == 2


def test_aes_read_dg1() -> None:
    card, t = _aes_session()
    p = get_persona("default")
    t.unwrap(card.process(t.wrap(b"\x0c\xa4\x02\x0c", bytes.fromhex("0101"), 0)))
    header = b"\x0c\xb0\x00\x00"
    # Case 2 under SM: DO'97' only
    t.ssc += 1
    s = t.ssc.to_bytes(16, "big")
    do97 = b"\x97\x01\x00"
    mac = t._mac(s + t._pad(header) + t._pad(do97))
    r = card.process(header + bytes((len(do97) + 10,)) + do97 + b"\x8e\x08" + mac + b"\x00")
    assert r[-2:] == b"\x90\x00"
    assert t.unwrap(r) == p.files["DG1"]


# --- hostile input -------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=300))
def test_random_bytes_never_crash_the_card(data: bytes) -> None:
    card = VirtualCard(get_persona("default"), extensions=False)
    card.process(SELECT_AID)
    r = card.process(data)
    assert isinstance(r, bytes) and len(r) >= 2
    assert r[-2:] != b"\x6f\x00", data.hex()  # no internal error


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255), st.integers(0, 255),
       st.binary(max_size=80), st.one_of(st.none(), st.integers(1, 65536)))
def test_well_formed_random_commands_under_sm(cla: int, ins: int, p1: int, p2: int,
                                              data: bytes, le: int | None) -> None:
    card = VirtualCard(get_persona("default"), extensions=False)
    card.process(SELECT_AID)
    card.install_sm(AesSM(bytes(16), bytes(16)), Access.PACE)
    cmd = Command(cla, ins, p1, p2, data, le)
    r = card.process(cmd.to_bytes())
    assert len(r) >= 2 and r[-2:] != b"\x6f\x00"


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255), st.binary(max_size=40),
       st.one_of(st.none(), st.integers(1, 65536)))
def test_protected_random_commands_after_bac(terminal_for, ins: int, p1: int, p2: int,
                                             data: bytes, le: int | None) -> None:
    """Correctly MACed but arbitrary commands: the card answers, never an internal error."""
    p = get_persona("default")
    card = VirtualCard(p, extensions=False, random=FixedRandom(D_RANDOM))
    t = terminal_for(card.process)
    assert t.bac(p.mrz_information) == 0x9000
    r = card.process(t.protect(0, ins, p1, p2, data, le))
    assert len(r) >= 2 and r[-2:] != b"\x6f\x00"
    if r[-2:] not in (b"\x69\x87", b"\x69\x88"):
        _, sw = t.unprotect(r)  # the response MAC verifies
        assert sw == int.from_bytes(r[-2:], "big")


def test_quirks_validation() -> None:
    with pytest.raises(ValueError):
        Quirks(max_le=0)
    with pytest.raises(ValueError):
        Quirks(wrong_le_sw=0x6A80)
