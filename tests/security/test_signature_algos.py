"""cardkit.security.signature: explicit-parameter EC keys, plain ECDSA, PSS — against OpenSSL."""

from __future__ import annotations

import subprocess

import pytest
from asn1crypto import algos, keys
from cryptography.hazmat.primitives.asymmetric import ec

from cardkit.security import certs
from cardkit.security.signature import (
    EcExplicitKey,
    SignatureInvalid,
    load_public_key,
    verify,
)

MSG = b"LDSSecurityObject stand-in " * 7


def _openssl_sign(pki, key: str, digest: str = "sha256") -> bytes:
    (pki.root / "msg.bin").write_bytes(MSG)
    return subprocess.run(["openssl", "dgst", f"-{digest}", "-sign", key, "msg.bin"],
                          cwd=pki.root, capture_output=True, check=True).stdout


def _alg(name: str) -> bytes:
    return algos.SignedDigestAlgorithm({"algorithm": name}).dump()


def test_explicit_brainpool_maps_to_named_curve(pki):
    spki = certs.spki(certs.load_certificate(pki.p("dsc-bp256.pem").read_bytes()))
    info = keys.PublicKeyInfo.load(spki)
    assert info["algorithm"]["parameters"].name == "specified"  # OpenSSL wrote explicit params
    key = load_public_key(spki)
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "brainpoolP256r1"


def test_explicit_key_pure_math_matches_openssl(pki):
    """The SEC 1 equation (used for curves `cryptography` lacks) accepts OpenSSL's signature
    and rejects a modified one."""
    spki = certs.spki(certs.load_certificate(pki.p("dsc-bp256.pem").read_bytes()))
    named = load_public_key(spki)
    from cardkit.icao.domain_params import curve_by_oid

    curve = curve_by_oid("1.3.36.3.3.2.8.1.1.7")  # brainpoolP256r1
    nums = named.public_numbers()
    raw = EcExplicitKey(curve, (nums.x, nums.y))
    sig = algos.DSASignature.load(_openssl_sign(pki, "dsc-bp256.key"))
    import hashlib

    digest = hashlib.sha256(MSG).digest()
    assert raw.verify(sig["r"].native, sig["s"].native, digest)
    assert not raw.verify(sig["r"].native, sig["s"].native ^ 1, digest)
    assert not raw.verify(0, sig["s"].native, digest)


def test_ecdsa_der_and_plain(pki):
    spki = certs.spki(certs.load_certificate(pki.p("dsc-p256.pem").read_bytes()))
    der_sig = _openssl_sign(pki, "dsc-p256.key")
    verify(spki, _alg("sha256_ecdsa"), der_sig, MSG)
    with pytest.raises(SignatureInvalid):
        verify(spki, _alg("sha256_ecdsa"), der_sig, MSG + b"!")
    sig = algos.DSASignature.load(der_sig)
    plain = sig["r"].native.to_bytes(32, "big") + sig["s"].native.to_bytes(32, "big")
    plain_alg = algos.SignedDigestAlgorithm({"algorithm": "0.4.0.127.0.7.1.1.4.1.3"}).dump()
    verify(spki, plain_alg, plain, MSG)  # BSI TR-03111 ecdsa-plain-SHA256
    with pytest.raises(SignatureInvalid):
        verify(spki, plain_alg, plain[:-1] + bytes([plain[-1] ^ 1]), MSG)


@pytest.mark.parametrize("digest", ["sha1", "sha224", "sha384", "sha512"])
def test_rsa_pkcs1_digests(pki, digest):
    spki = certs.spki(certs.load_certificate(pki.p("dsc-rsa.pem").read_bytes()))
    sig = _openssl_sign(pki, "dsc-rsa.key", digest)
    verify(spki, _alg(f"{digest}_rsa"), sig, MSG)
    verify(spki, _alg("rsassa_pkcs1v15"), sig, MSG, digest_hint=digest)  # rsaEncryption + signer digest
    with pytest.raises(SignatureInvalid):
        verify(spki, _alg(f"{digest}_rsa"), sig, MSG[1:])


def test_rsa_pss_certificate_signature(pki):
    """dsc-pss was issued by `openssl ca -sigopt rsa_padding_mode:pss`."""
    from cardkit.security.signature import algorithm_name, verify_certificate

    cert = certs.load_certificate(pki.p("dsc-pss.pem").read_bytes())
    assert algorithm_name(cert["signature_algorithm"].dump()) == "RSA-PSS SHA-256"
    csca = certs.load_certificate(pki.p("csca.pem").read_bytes())
    verify_certificate(cert, certs.spki(csca))
    rogue = certs.load_certificate(pki.p("rogue.pem").read_bytes())
    with pytest.raises(SignatureInvalid):
        verify_certificate(cert, certs.spki(rogue))
