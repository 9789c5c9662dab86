"""Active Authentication: ISO/IEC 9796-2 scheme 1 and ECDSA verification against signatures made
by the OpenSSL CLI (an independent signer), the INTERNAL AUTHENTICATE APDU (short and extended),
and chip failures as verdicts."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from cardkit.apdu import Command, Response
from cardkit.icao import active_auth
from cardkit.icao import domain_params as dp
from cardkit.lds import security_infos as si
from cardkit.lds.dg14 import encode_dg14
from cardkit.lds.dg15 import encode_dg15
from cardkit.rand import FixedRandom
from cardkit.results import CheckState
from tests.conftest import need

CHALLENGE = bytes.fromhex("0123456789ABCDEF")


def _openssl(*args: str, data: bytes) -> bytes:
    need(shutil.which("openssl") is not None, "openssl CLI not installed")
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory):
    key = rsa.generate_private_key(65537, 1024)
    path = tmp_path_factory.mktemp("aa") / "rsa.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return key, path


def _openssl_9796(path, n: int, hash_name: str, trailer: bytes, challenge: bytes,
                  negate: bool = False) -> bytes:
    """Build F = 6A || M1 || H(M1 || M2) || trailer; OpenSSL applies the raw private key
    (RSA decryption without padding = F^d mod n)."""
    size = (n.bit_length() + 7) // 8
    hlen = hashlib.new(hash_name).digest_size
    m1 = bytes(i % 251 for i in range(size - 1 - hlen - len(trailer)))
    f = b"\x6a" + m1 + hashlib.new(hash_name, m1 + challenge).digest() + trailer
    sig = _openssl("pkeyutl", "-decrypt", "-inkey", str(path), "-pkeyopt", "rsa_padding_mode:none",
                   data=f)
    if negate:
        sig = (n - int.from_bytes(sig, "big")).to_bytes(size, "big")
    return sig


@pytest.mark.parametrize("hash_name, trailer", [("sha1", b"\xbc"), ("sha256", b"\x34\xcc"),
                                                ("sha512", b"\x35\xcc")])
@pytest.mark.parametrize("negate", [False, True])
def test_rsa_9796_2_openssl_signatures(rsa_key, hash_name, trailer, negate):
    key, path = rsa_key
    nums = key.public_key().public_numbers()
    sig = _openssl_9796(path, nums.n, hash_name, trailer, CHALLENGE, negate)
    assert active_auth.verify_rsa_9796_2(nums.n, nums.e, CHALLENGE, sig) == hash_name
    with pytest.raises(ValueError):
        active_auth.verify_rsa_9796_2(nums.n, nums.e, bytes(8), sig)
    bad = bytearray(sig)
    bad[40] ^= 1
    with pytest.raises(ValueError):
        active_auth.verify_rsa_9796_2(nums.n, nums.e, CHALLENGE, bytes(bad))


@pytest.mark.parametrize("pid, name", [(13, "brainpoolP256r1"), (15, "secp384r1"),
                                       (11, "brainpoolP224r1")])
def test_ecdsa_openssl_signatures(tmp_path, pid, name):
    pem = _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{name}", data=b"")
    (tmp_path / "k.pem").write_bytes(pem)
    der_sig = _openssl("dgst", "-sha256", "-sign", str(tmp_path / "k.pem"), data=CHALLENGE)
    spki = _openssl("pkey", "-pubout", "-outform", "DER", data=pem)
    point = si.parse_public_key_info(spki).public  # cryptography lacks brainpoolP224r1
    curve = dp.by_id(pid)
    r, s = decode_dss_signature(der_sig)
    plain = r.to_bytes(curve.order_bytes, "big") + s.to_bytes(curve.order_bytes, "big")
    digest = hashlib.sha256(CHALLENGE).digest()
    assert active_auth.verify_ecdsa(curve, point, digest, plain)
    assert active_auth.verify_ecdsa(curve, point, digest, der_sig)
    assert not active_auth.verify_ecdsa(curve, point, hashlib.sha256(b"x").digest(), plain)
    assert not active_auth.verify_ecdsa(curve, point, digest, plain[:-1] + bytes([plain[-1] ^ 1]))


class Chip:
    def __init__(self, answer) -> None:
        self.answer, self.sent, self.sm = answer, [], None

    def send(self, cmd: Command) -> Response:
        self.sent.append(cmd)
        return self.answer(cmd)


def _spki(pub) -> bytes:
    return pub.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def test_active_authenticate_rsa_short_apdu(rsa_key):
    key, path = rsa_key
    n = key.public_key().public_numbers().n
    chip = Chip(lambda cmd: Response(_openssl_9796(path, n, "sha1", b"\xbc", cmd.data), 0x9000))
    r = active_auth.active_authenticate(chip, encode_dg15(_spki(key.public_key())), None,
                                        FixedRandom({"aa.challenge": CHALLENGE}))
    assert r.state is CheckState.VALID and r.details["algorithm"] == "RSA-1024 ISO/IEC 9796-2"
    (cmd,) = chip.sent
    assert cmd.to_bytes() == bytes.fromhex("0088000008") + CHALLENGE + b"\x00"


def test_active_authenticate_large_rsa_uses_extended_le(tmp_path):
    key = rsa.generate_private_key(65537, 3072)
    path = tmp_path / "k.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    n = key.public_key().public_numbers().n
    chip = Chip(lambda cmd: Response(_openssl_9796(path, n, "sha256", b"\x34\xcc", cmd.data),
                                     0x9000))
    r = active_auth.active_authenticate(chip, encode_dg15(_spki(key.public_key())), None,
                                        FixedRandom({"aa.challenge": CHALLENGE}))
    assert r.state is CheckState.VALID
    assert chip.sent[0].le == 65536 and chip.sent[0].needs_extended


def test_active_authenticate_ecdsa_hash_from_dg14():
    key = ec.generate_private_key(ec.BrainpoolP256R1())
    dg14 = encode_dg14(si.encode_security_infos([si.encode_aa_info(si.ECDSA_PLAIN + ".4")]))

    def sign(cmd):
        from cryptography.hazmat.primitives import hashes

        r, s = decode_dss_signature(key.sign(cmd.data, ec.ECDSA(hashes.SHA384())))
        return Response(r.to_bytes(32, "big") + s.to_bytes(32, "big"), 0x9000)

    r = active_auth.active_authenticate(Chip(sign), encode_dg15(_spki(key.public_key())), dg14,
                                        FixedRandom({"aa.challenge": CHALLENGE}))
    assert r.state is CheckState.VALID and r.details["hash"] == "sha384"


@pytest.mark.parametrize("answer", [Response(b"", 0x6985), Response(b"", 0x6D00),
                                    Response(bytes(128), 0x9000)])
def test_chip_failures_are_invalid(rsa_key, answer):
    key, _ = rsa_key
    r = active_auth.active_authenticate(Chip(lambda cmd: answer),
                                        encode_dg15(_spki(key.public_key())), None,
                                        FixedRandom({"aa.challenge": CHALLENGE}))
    assert r.state is CheckState.INVALID and r.reason
