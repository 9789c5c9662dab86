"""BAC and its primitives against ICAO 9303-11 Appendix D, RFC 4493 and the OpenSSL CLI."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest

from cardkit.apdu import Command
from cardkit.errors import AccessDeniedError, SecureMessagingError
from cardkit.icao import crypto
from cardkit.icao.bac import perform_bac
from cardkit.icao.keys import (
    CanKey,
    MrzKey,
    bac_keys,
    bac_seed,
    kdf,
    pace_password_key,
    password_bytes,
)
from cardkit.icao.session import CardSession
from cardkit.rand import FixedRandom
from cardkit.transport.base import Transport, TransportInfo
from tests.conftest import need

h = bytes.fromhex

# ICAO 9303-11 Appendix D.2 - D.4
D_KEY = MrzKey("L898902C", "690806", "940623")
D_MRZ_INFO = "L898902C<369080619406236"
D_KSEED = h("239AB9CB282DAF66231DC5A4DF6BFBAE")
D_KENC = h("AB94FDECF2674FDFB9B391F85D7F76F2")
D_KMAC = h("7962D9ECE03D1ACD4C76089DCE131543")
D_RND_IC = h("4608F91988702212")
D_RND_IFD = h("781723860C06C226")
D_K_IFD = h("0B795240CB7049B01C19B33E32804F0B")
D_E_IFD = h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
D_M_IFD = h("5F1448EEA8AD90A7")
D_E_IC = h("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F")
D_M_IC = h("2F2D235D074D7449")
D_SELECT_COM = h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")


def test_mrz_information_and_seed() -> None:
    assert D_KEY.mrz_information == D_MRZ_INFO
    assert bac_seed(D_KEY) == D_KSEED


def test_bac_keys_appendix_d() -> None:
    assert bac_keys(D_KEY) == (D_KENC, D_KMAC)
    assert kdf(D_KSEED, 1, "3DES") == D_KENC
    assert kdf(D_KSEED, 2, "3DES") == D_KMAC


def test_kdf_aes_lengths_follow_9303_11_9_7_1() -> None:
    secret = b"shared secret"
    assert kdf(secret, 1, "AES", 128) == hashlib.sha1(secret + b"\0\0\0\1").digest()[:16]
    assert kdf(secret, 2, "AES", 192) == hashlib.sha256(secret + b"\0\0\0\2").digest()[:24]
    assert kdf(secret, 3, "AES", 256) == hashlib.sha256(secret + b"\0\0\0\3").digest()
    with pytest.raises(ValueError):
        kdf(secret, 1, "AES", 100)
    with pytest.raises(ValueError):
        kdf(secret, 1, "RC4")


def test_pace_password_key_appendix_g() -> None:
    # ICAO 9303-11 Appendix G.1 (PACE ECDH-GM worked example): MRZ T22000129 / 640812 / 101031.
    key = MrzKey("T22000129", "640812", "101031")
    assert password_bytes(key) == h("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")
    assert pace_password_key(key) == h("89DED1B26624EC1E634C1989302849DD")


def test_pace_password_from_can() -> None:
    can = CanKey("123456")
    assert password_bytes(can) == b"123456"
    assert pace_password_key(can) == hashlib.sha1(b"123456\0\0\0\3").digest()[:16]
    assert "123456" not in repr(can)


def test_des_parity() -> None:
    for key in (D_KENC, D_KMAC, crypto.adjust_parity(bytes(range(16)))):
        assert all(bin(b).count("1") % 2 == 1 for b in key)
    assert crypto.adjust_parity(D_KENC) == D_KENC  # published keys already have parity


def test_e_ifd_m_ifd_appendix_d3() -> None:
    e_ifd = crypto.des3_encrypt(D_KENC, D_RND_IFD + D_RND_IC + D_K_IFD)
    assert e_ifd == D_E_IFD
    assert crypto.retail_mac(D_KMAC, crypto.pad(e_ifd)) == D_M_IFD
    assert crypto.des3_decrypt(D_KENC, D_E_IC)[:16] == D_RND_IC + D_RND_IFD


def test_padding_method_2() -> None:
    assert crypto.pad(b"") == h("8000000000000000")
    assert crypto.pad(b"\x01" * 8) == b"\x01" * 8 + h("8000000000000000")
    assert crypto.pad(b"abc", 16) == b"abc\x80" + bytes(12)
    assert crypto.unpad(crypto.pad(b"abc\x00")) == b"abc\x00"
    with pytest.raises(SecureMessagingError):
        crypto.unpad(bytes(8))


def test_aes_cmac_rfc4493() -> None:
    key = h("2b7e151628aed2a6abf7158809cf4f3c")
    assert crypto.aes_cmac(key, b"", 16) == h("bb1d6929e95937287fa37d129b756746")
    assert crypto.aes_cmac(key, h("6bc1bee22e409f96e93d7e117393172a"), 16) == h(
        "070a16b46b4d4144f79bdd9dd04a287c")
    assert crypto.aes_cmac(key, h("6bc1bee22e409f96e93d7e117393172a")) == h("070a16b46b4d4144")


def test_constant_time_compare() -> None:
    assert crypto.equal(D_M_IFD, bytes(D_M_IFD))
    assert not crypto.equal(D_M_IFD, D_M_IFD[:-1] + b"\0")


# --- against the OpenSSL command line ---------------------------------------------------------


def _openssl(*args: str, data: bytes) -> bytes:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def openssl() -> str:
    need(shutil.which("openssl") is not None, "openssl CLI not installed")
    return "openssl"


def test_3des_cbc_matches_openssl(openssl: str) -> None:
    data = bytes(range(40))
    ours = crypto.des3_encrypt(D_KENC, data)
    theirs = _openssl("enc", "-des-ede-cbc", "-K", D_KENC.hex(), "-iv", "00" * 8, "-nopad",
                      data=data)
    assert ours == theirs


def test_retail_mac_matches_openssl(openssl: str) -> None:
    # MAC algorithm 3 = single-DES CBC (key K_a, i.e. 3DES with K_a K_a K_a) over all but the
    # last block, then 3DES-EDE (K_a, K_b, K_a) on the last block chained to that IV.
    msg = crypto.pad(D_E_IFD)
    ka, kb = D_KMAC[:8], D_KMAC[8:]
    head = _openssl("enc", "-des-ede3-cbc", "-K", (ka * 3).hex(), "-iv", "00" * 8, "-nopad",
                    data=msg[:-8])
    last = _openssl("enc", "-des-ede3-cbc", "-K", (ka + kb + ka).hex(), "-iv", head[-8:].hex(),
                    "-nopad", data=msg[-8:])
    assert crypto.retail_mac(D_KMAC, msg) == last == D_M_IFD


def test_aes_cmac_and_cbc_match_openssl(openssl: str) -> None:
    key = h("00112233445566778899aabbccddeeff")
    msg = crypto.pad(b"ICAO 9303 secure messaging", 16)
    theirs = _openssl("mac", "-cipher", "AES-128-CBC", "-macopt", f"hexkey:{key.hex()}",
                      "-binary", "CMAC", data=msg)
    assert crypto.aes_cmac(key, msg, 16) == theirs
    iv = h("0f0e0d0c0b0a09080706050403020100")
    enc = _openssl("enc", "-aes-128-cbc", "-K", key.hex(), "-iv", iv.hex(), "-nopad", data=msg)
    assert crypto.aes_encrypt(key, msg, iv) == enc
    ecb = _openssl("enc", "-aes-128-ecb", "-K", key.hex(), "-nopad", data=iv)
    assert crypto.aes_ecb_block(key, iv) == ecb


# --- the whole BAC exchange of Appendix D.3 ----------------------------------------------------


class AppendixDCard(Transport):
    """The chip of Appendix D: answers GET CHALLENGE with RND.IC and EXTERNAL AUTHENTICATE with
    the published E.IC || M.IC when the terminal's cryptogram is the published one."""

    def __init__(self, *, answer: bytes | None = None, sw: int = 0x9000) -> None:
        self.sent: list[bytes] = []
        self.answer = D_E_IC + D_M_IC if answer is None else answer
        self.sw = sw

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    @property
    def info(self) -> TransportInfo:
        return TransportInfo("appendix D")

    def _transmit_raw(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        cmd = Command.from_bytes(apdu)
        if cmd.ins == 0x84:
            return D_RND_IC + b"\x90\x00"
        if cmd.ins == 0x82:
            if cmd.data != D_E_IFD + D_M_IFD:
                return b"\x63\x00"
            return self.answer + self.sw.to_bytes(2, "big")
        return b"\x6d\x00"


def _rng() -> FixedRandom:
    return FixedRandom({"bac.rnd_ifd": D_RND_IFD, "bac.k_ifd": D_K_IFD})


def test_perform_bac_appendix_d() -> None:
    card = AppendixDCard()
    session = CardSession(card)
    perform_bac(session, D_KEY, _rng())
    assert card.sent[0] == h("0084000008")
    assert card.sent[1] == h("0082000028") + D_E_IFD + D_M_IFD + h("28")
    assert session.sm is not None and session.access_method == "bac"
    assert session.sm.ssc_bytes == h("887022120C06C226")
    # KS_enc, KS_mac and SSC together reproduce the protected SELECT EF.COM of D.4
    assert session.sm.wrap(Command(0x00, 0xA4, 0x02, 0x0C, h("011E"))).to_bytes() == D_SELECT_COM
    assert "979EC13B" not in repr(session.sm).upper()


def test_bac_wrong_key_card_says_6300() -> None:
    card = AppendixDCard()
    with pytest.raises(AccessDeniedError, match="check the ID number, date of birth and expiry"):
        perform_bac(CardSession(card), MrzKey("L898902C", "690806", "940624"), _rng())


@pytest.mark.parametrize("sw", [0x6300, 0x6982])
def test_bac_denied_status_words(sw: int) -> None:
    card = AppendixDCard(answer=b"", sw=sw)
    with pytest.raises(AccessDeniedError):
        perform_bac(CardSession(card), D_KEY, _rng())


def test_bac_bad_card_mac_is_denied() -> None:
    card = AppendixDCard(answer=D_E_IC + bytes(8))
    session = CardSession(card)
    with pytest.raises(AccessDeniedError):
        perform_bac(session, D_KEY, _rng())
    assert session.sm is None


def test_bac_card_must_echo_rnd_ifd() -> None:
    # A cryptogram that authenticates but does not echo RND.IFD (replayed from another session)
    bogus = crypto.des3_encrypt(D_KENC, D_RND_IC + bytes(8) + bytes(16))
    card = AppendixDCard(answer=bogus + crypto.retail_mac(D_KMAC, crypto.pad(bogus)))
    with pytest.raises(AccessDeniedError):
        perform_bac(CardSession(card), D_KEY, _rng())
