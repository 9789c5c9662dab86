"""Chip Authentication against the published values of the BSI "Worked Example for Extended Access
Control (EAC)", Version 1.02 (2011-08-03), section 5 "Chip Authentication Example (ECDH)":
brainpoolP256r1 (standardized domain parameters ID 13), id-CA-ECDH-AES-CBC-CMAC-128, CA version 2.

The values are copied from the OpenPACE test suite, which carries the worked example's data
(frankmorgner/openpace, src/eactest.c: tc_ecdh_ca_picc_priv_key, tc_ecdh_ca_picc_pub_key,
tc_ecdh_ca_pcd_priv_key, tc_ecdh_ca_pcd_pub_key, tc_ecdh_ca_nonce, tc_ecdh_ca_picc_token,
tc_ecdh_ca_shared_secret_k, tc_ecdh_ca_k_enc, tc_ecdh_ca_k_mac, and the ChipAuthenticationInfo /
ChipAuthenticationPublicKeyInfo inside tc_ecdh_ef_cardsecurity). K || r_PICC -> KS_enc / KS_MAC is
also pinned, as "TR 03110 Worked Example 5", by an independent Rust eMRTD implementation's KDF test.
They were checked for self-consistency with `cryptography` before use, and
test_published_values_are_self_consistent repeats that check on every run.

CA version 2 (TR-03110-2 §3.4 / TR-03110-3 A.2.3): KS = KDF(K, r_PICC, c) = H(K || r_PICC || c),
T_PICC = MAC(KS_MAC, PK_PCD as public key data object). cardkit runs version 2 when the chip's
GENERAL AUTHENTICATE answer carries r_PICC and T_PICC (else version 1, ICAO 9303-11 §6.2): the
protocol run below reproduces the published PK_PCD on the wire, KS_enc / KS_MAC behind the
installed keys, checks T_PICC, and refuses a wrong token.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cardkit.apdu import Command, Response
from cardkit.icao import chip_auth, pace
from cardkit.icao import domain_params as dp
from cardkit.icao.keys import KDF_ENC, KDF_MAC, kdf
from cardkit.lds import security_infos as si
from cardkit.lds import tlv
from cardkit.lds.dg14 import encode_dg14, parse_dg14
from cardkit.rand import FixedRandom

H = bytes.fromhex

# --- BSI EAC Worked Example 1.02, §5 Chip Authentication Example (ECDH) -------------------------

CURVE_ID = 13  # brainpoolP256r1
CA_OID = "0.4.0.127.0.7.2.2.3.2.2"  # id-CA-ECDH-AES-CBC-CMAC-128
KEY_ID = 1

# the chip's static key pair (PK_PICC is the one in EF.CardSecurity)
SK_PICC = H("7984674CF3B3A524BF929CE8A67FCF22173DA0BAD595EED6DEB72D22C542FA9D")
PK_PICC = H("04"
            "A44EBE5451DF7AADB01E459B8C928A87746A57927C8C28A6775C97A7E1FE8D9A"
            "46FF4A1CC7E4D1389AEA19758E4F75C28C598FD734AEBEB135337CF95BE12E94")
# the terminal's ephemeral key pair (published with a leading 00 byte: 33 bytes)
SK_PCD = H("00A6A4D255C5BF7A77EC3D0553DB74F693CF044E18C98364D4977A296108AF19BD")
PK_PCD = H("04"
           "5A7A377FC9CAFC03AC7FF45441A8B2909D88EAB8E6B0173847AB49B949DF3799"
           "A34EE57EC55268CF8B1C3EC489F8BF4CF4C68D3FD9670E89C0D5D3FFF1AAF89F")
# the shared secret (x-coordinate), the chip's nonce and token, the session keys
K = H("791DA04273CCFE862E52DF60347E2557192E1F8D7517822CE3D306056C1CDEB4")
R_PICC = H("4287B3072A3EDC60")
T_PICC = H("FF0117D68DEE8E72")
KS_ENC = H("94ABCD271AB7D9A5590BA52CB518B831")
KS_MAC = H("78B5709E7ABEDB185B424D0EE3A82499")

# EF.CardSecurity's CA entries, verbatim: ChipAuthenticationInfo (version 2, keyId 1),
# ChipAuthenticationDomainParameterInfo (standardized ID 13, keyId 1) and
# ChipAuthenticationPublicKeyInfo (id-PK-ECDH, AlgorithmIdentifier standardizedDomainParameters 13)
CA_INFO = H("3012060A04007F00070202030202020102020101")
CA_DOMAIN_PARAMETER_INFO = H("301C060904007F000702020302300C060704007F0007010202010D020101")
CA_PUBLIC_KEY_INFO = (H("3062060904007F0007020201023052300C060704007F0007010202010D034200")
                      + PK_PICC + H("020101"))


def _point(sk: bytes) -> bytes:
    key = ec.derive_private_key(int.from_bytes(sk, "big"), ec.BrainpoolP256R1())
    return key.public_key().public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)


def _alg() -> si.Algorithm:
    alg = si.ca_algorithm(CA_OID)
    assert alg is not None
    return alg


def test_published_values_are_self_consistent():
    """The copied numbers hang together (checked with `cryptography`, independent of cardkit)."""
    assert _point(SK_PCD) == PK_PCD
    assert _point(SK_PICC) == PK_PICC
    terminal = ec.derive_private_key(int.from_bytes(SK_PCD, "big"), ec.BrainpoolP256R1())
    chip_pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.BrainpoolP256R1(), PK_PICC)
    assert terminal.exchange(ec.ECDH(), chip_pub) == K


def test_curve_and_algorithm_of_the_example():
    curve = dp.by_id(CURVE_ID)
    assert curve.name == "brainpoolP256r1"
    assert dp.curve_by_oid("1.3.36.3.3.2.8.1.1.7") is curve
    alg = _alg()
    assert (alg.agreement, alg.cipher, alg.key_bits) == ("ECDH", "AES", 128)
    assert alg.name == "CA-ECDH-AES-CBC-CMAC-128"


def test_public_keys_by_cardkit_point_arithmetic():
    group = pace.Group(dp.by_id(CURVE_ID))
    assert group.public(int.from_bytes(SK_PCD, "big")) == PK_PCD
    assert group.public(int.from_bytes(SK_PICC, "big")) == PK_PICC
    assert group.decode(PK_PICC) == dp.by_id(CURVE_ID).decode_point(PK_PICC)


def test_shared_secret_k():
    """K = x(SK_PCD · PK_PICC) = x(SK_PICC · PK_PCD), 32 bytes (TR-03111 ECKA)."""
    group = pace.Group(dp.by_id(CURVE_ID))
    assert group.shared_secret(int.from_bytes(SK_PCD, "big"), PK_PICC) == K  # terminal side
    assert group.shared_secret(int.from_bytes(SK_PICC, "big"), PK_PCD) == K  # chip side


def test_session_keys_ca_version_2():
    """KS_enc = KDF(K, r_PICC, 1), KS_MAC = KDF(K, r_PICC, 2) = SHA-1(K || r_PICC || c)[:16]."""
    seed = K + R_PICC
    assert kdf(seed, KDF_ENC, "AES", 128) == KS_ENC
    assert kdf(seed, KDF_MAC, "AES", 128) == KS_MAC
    assert pace.derive_keys(seed, _alg()) == (KS_ENC, KS_MAC)


def test_authentication_token_t_picc():
    """T_PICC = CMAC(KS_MAC, 7F49 { 06 id-CA-ECDH-AES-CBC-CMAC-128, 86 PK_PCD })[:8]."""
    curve = dp.by_id(CURVE_ID)
    data_object = pace.public_key_data_object(CA_OID, curve, PK_PCD)
    assert data_object == (H("7F494F060A04007F00070202030202") + H("8641") + PK_PCD)
    assert pace.auth_token(KS_MAC, CA_OID, curve, PK_PCD, _alg()) == T_PICC
    assert pace.mac(KS_MAC, data_object, _alg()) == T_PICC


class _WorkedExampleChip:
    """Answers the CA commands as the worked example's chip does (CA v2 response: r_PICC, T_PICC)."""

    def __init__(self, token: bytes = T_PICC) -> None:
        self.sent: list[Command] = []
        self.token = token

    def send(self, cmd: Command) -> Response:
        self.sent.append(cmd)
        if cmd.ins == 0x86:
            return Response(tlv.encode(0x7C, tlv.encode(0x81, R_PICC) + tlv.encode(0x82, self.token)),
                            0x9000)
        return Response(b"", 0x9000)


def _dg14_named_curve() -> bytes:
    """The published CA entries, verbatim (public key with standardizedDomainParameters 13)."""
    return encode_dg14(si.encode_security_infos(
        [CA_INFO, CA_DOMAIN_PARAMETER_INFO, CA_PUBLIC_KEY_INFO]))


def test_perform_chip_auth_runs_the_published_key_agreement(monkeypatch):
    installed = {}
    monkeypatch.setattr(chip_auth, "make_sm",
                        lambda alg, e, m: installed.setdefault("keys", (alg, e, m)))
    chip = _WorkedExampleChip()
    infos = parse_dg14(_dg14_named_curve())
    details = chip_auth.perform_chip_auth(chip, infos, FixedRandom({"ca.sk_eph": SK_PCD[1:]}))

    mse, ga = chip.sent[0], chip.sent[1]
    assert (mse.cla, mse.ins, mse.p1, mse.p2) == (0x00, 0x22, 0x41, 0xA4)
    assert mse.data == H("800A04007F00070202030202") + H("840101")  # protocol OID, keyId 1
    assert (ga.cla, ga.ins, ga.p1, ga.p2) == (0x00, 0x86, 0x00, 0x00)
    assert ga.data == H("7C438041") + PK_PCD  # the published ephemeral public key
    assert details == {"protocol": "CA-ECDH-AES-CBC-CMAC-128", "key_id": KEY_ID,
                       "domain_parameters": "brainpoolP256r1"}

    alg, ks_enc, ks_mac = installed["keys"]
    # CA version 2: the chip sent r_PICC and T_PICC; the keys are KDF(K || r_PICC, 1/2), the
    # published KS_enc / KS_MAC, and T_PICC was checked against them.
    assert (ks_enc, ks_mac) == (KS_ENC, KS_MAC)
    assert (ks_enc, ks_mac) != (kdf(K, KDF_ENC, "AES", 128), kdf(K, KDF_MAC, "AES", 128))


def test_wrong_token_is_a_failed_chip_authentication(monkeypatch):
    monkeypatch.setattr(chip_auth, "make_sm", lambda alg, e, m: None)
    bad = bytes([T_PICC[0] ^ 1]) + T_PICC[1:]
    with pytest.raises(chip_auth.ChipAuthFailed, match="T_PICC"):
        chip_auth.perform_chip_auth(_WorkedExampleChip(token=bad), parse_dg14(_dg14_named_curve()),
                                    FixedRandom({"ca.sk_eph": SK_PCD[1:]}))


def test_published_ca_public_key_info_parses_verbatim():
    infos = parse_dg14(encode_dg14(si.encode_security_infos(
        [CA_INFO, CA_DOMAIN_PARAMETER_INFO, CA_PUBLIC_KEY_INFO])))
    key, alg = chip_auth.select_key(infos)
    assert key.key_id == KEY_ID and alg.oid == CA_OID
    assert key.public_key.public == PK_PICC
    assert chip_auth.domain_params_of(key.public_key) is dp.by_id(CURVE_ID)
