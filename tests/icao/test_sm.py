"""Secure messaging (ICAO 9303-11 §9.8): Appendix D.4, AES traces, round trips against a card-side
reference written here from the standard, tampering."""

from __future__ import annotations

import hmac

import pytest
from Crypto.Cipher import AES, DES, DES3
from Crypto.Hash import CMAC
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cardkit.apdu import Command, Response
from cardkit.errors import SecureMessagingError
from cardkit.icao.sm import AesSM, SecureMessaging, TripleDesSM, TruncatedResponseError

h = bytes.fromhex

D_KS_ENC = h("979EC13B1CBFE9DCD01AB0FED307EAE5")
D_KS_MAC = h("F1CB1F1FB5ADF208806B89DC579DC1F8")
D_SSC = h("887022120C06C226")


# --- ICAO 9303-11 Appendix D.4 -----------------------------------------------------------------


def test_appendix_d4_select_and_read_ef_com() -> None:
    sm = TripleDesSM(D_KS_ENC, D_KS_MAC, D_SSC)
    # SELECT EF.COM
    wrapped = sm.wrap(Command(0x00, 0xA4, 0x02, 0x0C, h("011E")))
    assert sm.ssc_bytes == h("887022120C06C227")
    assert wrapped.to_bytes() == h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
    resp = sm.unwrap(Response.from_bytes(h("990290008E08FA855A5D4C50A8ED9000")))
    assert sm.ssc_bytes == h("887022120C06C228")
    assert resp == Response(b"", 0x9000)
    # READ BINARY of the first four bytes
    wrapped = sm.wrap(Command(0x00, 0xB0, 0x00, 0x00, le=4))
    assert sm.ssc_bytes == h("887022120C06C229")
    assert wrapped.to_bytes() == h("0CB000000D9701048E08ED6705417E96BA5500")
    resp = sm.unwrap(Response.from_bytes(
        h("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")))
    assert sm.ssc_bytes == h("887022120C06C22A")
    assert resp.data == h("60145F01") and resp.ok
    # READ BINARY of the remaining 18 bytes from offset 4
    wrapped = sm.wrap(Command(0x00, 0xB0, 0x00, 0x04, le=0x12))
    assert sm.ssc_bytes == h("887022120C06C22B")
    assert wrapped.to_bytes() == h("0CB000040D9701128E082EA28A70F3C7B53500")
    resp = sm.unwrap(Response.from_bytes(h(
        "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000")))
    assert sm.ssc_bytes == h("887022120C06C22C")
    assert resp.data == h("04303130365F36063034303030305C026175")


# --- AES: real-chip traces published in gmrtd's test suite (iso7816/secure_messaging_test.go) --


def test_aes_wrap_mse_set_at() -> None:
    sm = AesSM(h("cc86415f2ed7e8fd663b754265695ae1"), h("581e84b8ee06c4d3eee30461498d7fb3"), 0xBA)
    wrapped = sm.wrap(Command(0x00, 0x22, 0x41, 0xA4, h("800a04007f000702020302028401c3")))
    assert sm.ssc == 0xBB
    assert wrapped.to_bytes() == h(
        "0c2241a41d871101980953d37f67558690045d78a853b18a8e08929767a2cef172e200")


AES_TRACE_RESPONSE = h(
    "8781e1012fabf9e0655d7e987fd28a8aeb19c9cadd990d49399799ed1fe465bcea56da9ba3024291d40d23d7"
    "f1e00485d71faddc6d8c1382e8028dd22efdcc72ed47663d56d20dd6c4b867956fe0507313083ae7fc54fb46"
    "133f184febbe13ad6fd3e2616a1f4a829e75ada1a0e443ca738288f6014be8a7745d8259b089e6bee35bcc4b"
    "f5b63db5fdd84244f67eca099213b70a861b4487225aa68af684278fceb4cb809de42be3ee95b0e0d72bcdb0"
    "ed47cb56efc264e04a9397a90e81ad1d81efa2d14b2ca8ec7bd997f4b1c1fd344d5dee8589c38b227ca4cb35"
    "810060a7cc76403e990290008e083eb47ef4fa82afc99000")
AES_TRACE_PLAIN = h(
    "a729901d1a71874700133107ec53306404307bc382c63d8c150c3c72080ace05afa0c2bea28e4fb227871391"
    "65efba91f90f8aa5814a503ad4eb04a8c7dd22ce2826043004a8c7dd22ce28268b39b55416f0447c2fb77de1"
    "07dcd2a62e880ea53eeb62d57cb4390295dbc9943ab78696fa504c110461041d1c64f068cf45ffa2a63a81b7"
    "c13f6b8847a3e77ef14fe3db7fcafe0cbd10e8e826e03436d646aaef87b2e247d4af1e8abe1d7520f9c2a45c"
    "b1eb8e95cfd55262b70b29feec5864e19c054ff99129280e4646217791811142820341263c53150231008cb9"
    "1e82a3")


def _aes_trace_sm() -> AesSM:
    return AesSM(h("a8e85e938514ec67ae33cda3d43d3c48"), h("27f1adeb705a049a305b0c619b14b9b3"), 0x0B)


def test_aes_unwrap_read_binary_trace() -> None:
    sm = _aes_trace_sm()
    resp = sm.unwrap(Response.from_bytes(AES_TRACE_RESPONSE))
    assert sm.ssc == 0x0C
    assert resp == Response(AES_TRACE_PLAIN, 0x9000)


def test_aes256_decrypt_trace() -> None:
    sm = AesSM(h("74b94f408bbb2cd92571fd5b6370a94cce7a2fa42ae3eb4da47b97ce6eaa24c6"),
               h("9e28d5d9ff1d979be752e8926bf0e1d35a440fc0aefc4aa3bc5610055ac8b113"), 0x26)
    plain = sm._decrypt(h("42e919c115faf69350b01813d77a9e8d91912a7f717afd073f199070e61b79c6"))
    assert plain.rstrip(b"\0")[:-1] == h("04303130385f36063034303030305c06617563766d6e")


# --- tampering and malformed answers -------------------------------------------------------------


def test_every_single_bit_flip_is_caught() -> None:
    raw = h("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")
    for i in range(len(raw) - 2):
        for bit in (0x01, 0x80):
            sm = TripleDesSM(D_KS_ENC, D_KS_MAC, h("887022120C06C229"))
            bad = bytearray(raw)
            bad[i] ^= bit
            with pytest.raises(SecureMessagingError):
                sm.unwrap(Response.from_bytes(bytes(bad)))


def test_aes_bit_flip_in_cryptogram_is_caught() -> None:
    bad = bytearray(AES_TRACE_RESPONSE)
    bad[40] ^= 0x04
    with pytest.raises(SecureMessagingError, match="MAC"):
        _aes_trace_sm().unwrap(Response.from_bytes(bytes(bad)))


def test_wrong_ssc_fails() -> None:
    sm = TripleDesSM(D_KS_ENC, D_KS_MAC, h("887022120C06C22A"))  # one ahead
    with pytest.raises(SecureMessagingError):
        sm.unwrap(Response.from_bytes(h("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")))


def test_missing_mac_or_status_objects() -> None:
    sm = TripleDesSM(D_KS_ENC, D_KS_MAC, 0)
    with pytest.raises(SecureMessagingError):
        sm.unwrap(Response(h("99029000"), 0x9000))  # no DO'8E'
    with pytest.raises(SecureMessagingError):
        sm.unwrap(Response(h("8E080102030405060708"), 0x9000))  # no DO'99'
    with pytest.raises(TruncatedResponseError):
        sm.unwrap(Response(h("8719019FF0EC34F9"), 0x9000))  # cut short


def test_outer_status_must_match_protected_status() -> None:
    sm = TripleDesSM(D_KS_ENC, D_KS_MAC, h("887022120C06C227"))
    with pytest.raises(SecureMessagingError, match="status"):
        sm.unwrap(Response.from_bytes(h("990290008E08FA855A5D4C50A8ED6282")))


def test_bare_status_responses() -> None:
    sm = TripleDesSM(D_KS_ENC, D_KS_MAC, 5)
    assert sm.unwrap(Response(b"", 0x6982)) == Response(b"", 0x6982)  # chip may answer plainly
    assert sm.ssc == 6
    with pytest.raises(SecureMessagingError, match="without protection"):
        sm.unwrap(Response(b"", 0x9000))  # an unauthenticated success is never accepted
    with pytest.raises(SecureMessagingError, match="6988"):
        sm.unwrap(Response(b"", 0x6988))


def test_repr_redacts_keys() -> None:
    sm = TripleDesSM(D_KS_ENC, D_KS_MAC, D_SSC)
    assert D_KS_ENC.hex() not in repr(sm).lower() and "redacted" in repr(sm)


# --- extended length ---------------------------------------------------------------------------


def test_short_and_extended_wrapping() -> None:
    sm = TripleDesSM(D_KS_ENC, D_KS_MAC, 0)
    short = sm.wrap(Command(0x00, 0xB0, 0x00, 0x00, le=0xDF))
    assert not short.needs_extended and short.to_bytes()[-1] == 0x00
    assert sm.protected_size(0xE7) <= 256 < sm.protected_size(0xE8)
    ext = sm.wrap(Command(0x00, 0xB0, 0x00, 0x00, le=0x1000))
    raw = ext.to_bytes()
    assert ext.needs_extended and raw[4] == 0x00 and raw[-2:] == b"\x00\x00"
    assert h("97021000") in raw  # DO'97' carries the two-byte Le
    big = sm.wrap(Command(0x00, 0xD6, 0x00, 0x00, bytes(300)))
    assert big.needs_extended and len(big.data) > 255
    aes = AesSM(bytes(16), bytes(16), 0)
    assert aes.max_plain(256) == 0xDF and TripleDesSM(bytes(16), bytes(16)).max_plain(256) == 0xE7


def test_refuses_already_protected_command() -> None:
    with pytest.raises(ValueError):
        TripleDesSM(D_KS_ENC, D_KS_MAC, 0).wrap(Command(0x0C, 0xB0, 0, 0, le=4))


# --- round trips against a card-side reference (written here, from 9303-11 §9.8) ----------------


def _ref_pad(data: bytes, block: int) -> bytes:
    data += b"\x80"
    while len(data) % block:
        data += b"\x00"
    return data


def _ref_tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82, n >> 8, n & 0xFF])
    return bytes([tag]) + length + value


def _ref_read_tlvs(buf: bytes) -> list[tuple[int, bytes]]:
    out, i = [], 0
    while i < len(buf):
        tag, n = buf[i], buf[i + 1]
        i += 2
        if n == 0x81:
            n, i = buf[i], i + 1
        elif n == 0x82:
            n, i = (buf[i] << 8) | buf[i + 1], i + 2
        out.append((tag, buf[i:i + n]))
        i += n
    return out


class RefCard:
    """Card side of ICAO 9303-11 §9.8 for one cipher, independent of cardkit.icao."""

    def __init__(self, aes: bool, k_enc: bytes, k_mac: bytes, ssc: int) -> None:
        self.aes, self.k_enc, self.k_mac, self.ssc = aes, k_enc, k_mac, ssc
        self.block = 16 if aes else 8

    def _ssc(self) -> bytes:
        return self.ssc.to_bytes(self.block, "big")

    def _mac(self, data: bytes) -> bytes:
        if self.aes:
            return CMAC.new(self.k_mac, data, ciphermod=AES).digest()[:8]
        ka, kb = self.k_mac[:8], self.k_mac[8:]
        y = DES.new(ka, DES.MODE_CBC, bytes(8)).encrypt(data)[-8:]
        return DES.new(ka, DES.MODE_ECB).encrypt(DES.new(kb, DES.MODE_ECB).decrypt(y))

    def _cipher(self):
        if self.aes:
            iv = AES.new(self.k_enc, AES.MODE_ECB).encrypt(self._ssc())
            return AES.new(self.k_enc, AES.MODE_CBC, iv)
        return DES3.new(self.k_enc, DES3.MODE_CBC, bytes(8))

    def unwrap_command(self, raw: bytes) -> tuple[bytes, bytes, int | None]:
        cmd = Command.from_bytes(raw)
        self.ssc += 1
        objs = _ref_read_tlvs(cmd.data)
        assert objs[-1][0] == 0x8E
        covered = b"".join(_ref_tlv(t, v) for t, v in objs[:-1])
        mac_in = self._ssc() + _ref_pad(raw[:4], self.block)
        if covered:
            mac_in += _ref_pad(covered, self.block)
        assert hmac.compare_digest(self._mac(mac_in), objs[-1][1])
        data, le = b"", None
        for tag, value in objs[:-1]:
            if tag in (0x85, 0x87):
                body = value[1:] if tag == 0x87 else value
                plain = self._cipher().decrypt(body).rstrip(b"\x00")
                assert plain[-1] == 0x80
                data = plain[:-1]
            elif tag == 0x97:
                le = int.from_bytes(value, "big") or (256 if len(value) == 1 else 65536)
        return raw[:4], data, le

    def wrap_response(self, data: bytes, sw: int, odd: bool) -> bytes:
        self.ssc += 1
        out = b""
        if data:
            c = self._cipher().encrypt(_ref_pad(data, self.block))
            out += _ref_tlv(0x85, c) if odd else _ref_tlv(0x87, b"\x01" + c)
        out += _ref_tlv(0x99, sw.to_bytes(2, "big"))
        out += _ref_tlv(0x8E, self._mac(self._ssc() + _ref_pad(out, self.block)))
        return out + sw.to_bytes(2, "big")


keys16 = st.binary(min_size=16, max_size=16)


@settings(max_examples=150, deadline=None)
@given(
    aes=st.booleans(), k_enc=keys16, k_mac=keys16,
    ssc=st.integers(0, 2**64 - 3), ins=st.sampled_from([0xA4, 0xB0, 0xB1, 0x22, 0x86, 0x2A]),
    data=st.binary(max_size=400), le=st.one_of(st.none(), st.integers(1, 65536)),
    reply=st.binary(max_size=600), sw=st.sampled_from([0x9000, 0x6282, 0x6982, 0x6A82]),
)
def test_round_trip_against_reference_card(aes: bool, k_enc: bytes, k_mac: bytes, ssc: int,
                                           ins: int, data: bytes, le: int | None, reply: bytes,
                                           sw: int) -> None:
    if not aes:
        # 3DES refuses keys that degenerate to single DES (halves equal up to parity bits)
        assume(bytes(b & 0xFE for b in k_enc[:8]) != bytes(b & 0xFE for b in k_enc[8:]))
    term: SecureMessaging = AesSM(k_enc, k_mac, ssc) if aes else TripleDesSM(k_enc, k_mac, ssc)
    card = RefCard(aes, k_enc, k_mac, ssc)
    wrapped = term.wrap(Command(0x00, ins, 0x01, 0x02, data, le))
    header, got_data, got_le = card.unwrap_command(wrapped.to_bytes())
    assert header == bytes((0x0C, ins, 0x01, 0x02)) and got_data == data and got_le == le
    raw = card.wrap_response(reply, sw, bool(ins & 1))
    assert len(raw) - 2 == term.protected_size(len(reply), odd_ins=bool(ins & 1))
    assert term.unwrap(Response.from_bytes(raw)) == Response(reply, sw)
    assert term.ssc == card.ssc == ssc + 2
