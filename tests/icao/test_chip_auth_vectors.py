"""Chip Authentication: key agreement checked against the OpenSSL CLI (pkeyutl -derive),
session keys against the ICAO KDF, the APDUs the terminal sends, and failure as a verdict."""

from __future__ import annotations

import shutil
import subprocess

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cardkit.apdu import Command, Response
from cardkit.icao import chip_auth, pace
from cardkit.icao import domain_params as dp
from cardkit.lds import security_infos as si
from cardkit.lds.dg14 import encode_dg14, parse_dg14
from cardkit.rand import FixedRandom
from cardkit.results import CheckState
from tests.conftest import need

H = bytes.fromhex


def _pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def test_ecdh_shared_secret_matches_openssl(tmp_path):
    need(shutil.which("openssl") is not None, "openssl CLI not installed")
    c = dp.by_id(13)
    chip = ec.derive_private_key(0x1234567890ABCDEF1234567890ABCDEF, ec.BrainpoolP256R1())
    sk = 0xA73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595
    term = ec.derive_private_key(sk, ec.BrainpoolP256R1())
    (tmp_path / "t.pem").write_bytes(_pem(term))
    (tmp_path / "c.pem").write_bytes(chip.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    ossl = subprocess.run(["openssl", "pkeyutl", "-derive", "-inkey", str(tmp_path / "t.pem"),
                           "-peerkey", str(tmp_path / "c.pem")], capture_output=True,
                          check=True).stdout
    chip_point = chip.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    ours = pace.Group(c).shared_secret(sk, chip_point)
    assert ours == ossl and len(ours) == 32


def _dg14(chip_key, cipher="AES", bits=128, key_id=None) -> bytes:
    point = chip_key.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
    spki = si.encode_ec_spki("1.3.36.3.3.2.8.1.1.7", point)
    return encode_dg14(si.encode_security_infos([
        si.encode_ca_info(si.ca_oid("ECDH", cipher, bits), 1, key_id),
        si.encode_ca_public_key_info(spki, key_id)]))


class ChipSide:
    """A minimal scripted chip: checks the CA commands, answers, records the agreed secret."""

    def __init__(self, chip_key, fail_mse=False) -> None:
        self.chip_key, self.fail_mse, self.sm = chip_key, fail_mse, None
        self.sent: list[bytes] = []

    def send(self, cmd: Command) -> Response:
        self.sent.append(cmd.to_bytes())
        if cmd.ins == 0x22:
            return Response(b"", 0x6A80 if self.fail_mse else 0x9000)
        if cmd.ins == 0x86:
            return Response(b"\x7c\x00", 0x9000)
        return Response(b"", 0x9000)  # SELECT under the new SM (the test SM passes it through)


def test_ca_aes_commands_and_session_keys(monkeypatch):
    chip_key = ec.derive_private_key(0xC0FFEE, ec.BrainpoolP256R1())
    installed = {}
    monkeypatch.setattr(chip_auth, "make_sm", lambda alg, e, m: installed.setdefault("k", (alg, e, m)))
    sk = H("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595")
    s = ChipSide(chip_key)
    details = chip_auth.perform_chip_auth(s, parse_dg14(_dg14(chip_key, key_id=1)),
                                          FixedRandom({"ca.sk_eph": sk}))
    pk = dp.by_id(13).encode_point(dp.by_id(13).mul(int.from_bytes(sk, "big"), dp.by_id(13).g))
    assert s.sent[0] == H("002241A40F800A04007F00070202030202840101")
    assert s.sent[1] == H("0086000045") + b"\x7c\x43\x80\x41" + pk + b"\x00"
    assert s.sent[2] == H("00A4020C02011E")
    secret = chip_key.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(
        ec.BrainpoolP256R1(), pk))
    alg, k_enc, k_mac = installed["k"]
    assert (k_enc, k_mac) == pace.derive_keys(secret, alg)
    assert details["protocol"] == "CA-ECDH-AES-CBC-CMAC-128" and details["key_id"] == 1


def test_ca_3des_uses_mse_set_kat(monkeypatch):
    chip_key = ec.derive_private_key(0xBEEF, ec.BrainpoolP256R1())
    monkeypatch.setattr(chip_auth, "make_sm", lambda alg, e, m: object())
    s = ChipSide(chip_key)
    chip_auth.perform_chip_auth(s, parse_dg14(_dg14(chip_key, "3DES", 112)),
                                FixedRandom({"ca.sk_eph": bytes(31) + b"\x07"}))
    assert s.sent[0][:4] == H("002241A6") and s.sent[0][5] == 0x91


def test_chip_refusal_is_invalid_verdict_not_crash():
    chip_key = ec.derive_private_key(0xBEEF, ec.BrainpoolP256R1())
    r = chip_auth.chip_authenticate(ChipSide(chip_key, fail_mse=True), _dg14(chip_key),
                                    FixedRandom({"ca.sk_eph": bytes(31) + b"\x07"}))
    assert r.state is CheckState.INVALID and "6A80" in r.reason


def test_malformed_or_keyless_dg14():
    s = ChipSide(None)
    # issuer data cardkit cannot parse: CA cannot run (unverifiable), not "cloned" (issue 11)
    assert chip_auth.chip_authenticate(s, b"\x6e\x03\x31\x01", FixedRandom({})).state is \
        CheckState.UNVERIFIABLE
    no_key = encode_dg14(si.encode_security_infos([si.encode_ca_info(si.ca_oid("ECDH", "AES", 128))]))
    assert chip_auth.chip_authenticate(s, no_key, FixedRandom({})).state is CheckState.NOT_SUPPORTED
    assert s.sent == []


def test_ca_dh_with_rfc5114_group(monkeypatch):
    group = dp.by_id(2)
    x_chip = 0x1F2E3D4C5B6A79880123456789
    y_chip = pow(group.g, x_chip, group.p)
    spki = si.encode_dh_spki(group.p, group.g, group.q, group.encode_public(y_chip))
    dg14 = encode_dg14(si.encode_security_infos([
        si.encode_ca_info(si.ca_oid("DH", "AES", 256), 1),
        si.encode_ca_public_key_info(spki, None, si.ID_PK_DH)]))
    installed = {}
    monkeypatch.setattr(chip_auth, "make_sm", lambda alg, e, m: installed.setdefault("k", (alg, e, m)))
    sk = bytes(31) + b"\x2a"
    s = ChipSide(None)
    details = chip_auth.perform_chip_auth(s, parse_dg14(dg14), FixedRandom({"ca.sk_eph": sk}))
    assert details["domain_parameters"].startswith("2048-bit MODP, 256-bit")
    y_term = pow(group.g, 0x2A, group.p)
    # extended APDU: 7C 82 0104 { 80 82 0100 y } with the 256-byte public value
    assert s.sent[1][:4] == H("00860000") and s.sent[1][4] == 0  # extended length
    assert H("7C82010480820100") + group.encode_public(y_term) in s.sent[1]
    alg, k_enc, k_mac = installed["k"]
    secret = group.encode_public(pow(y_term, x_chip, group.p))  # the chip's view
    assert (k_enc, k_mac) == pace.derive_keys(secret, alg) and len(k_enc) == 32
