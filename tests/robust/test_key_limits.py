"""Defect 1 (issue 11): a DSC with a huge explicit EC curve made verification hang (45 s for a
12.7 KB certificate). Keys are now refused before any arithmetic: named curves or explicit
parameters equal to a known curve, RSA at most 8192 bits."""

from __future__ import annotations

import time

from asn1crypto import algos
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cardkit.results import CheckState
from cardkit.security import signature
from cardkit.security.passive import verify_passive
from cardkit.sim.personas import get_persona
from tests.robust.hostile import certificate_with_key, explicit_ec_spki, sod_with_certificate


def _files_with_dsc(spki: bytes, sig_alg: str = "sha256_ecdsa",
                    sig_int: int = 1) -> dict[str, bytes]:
    files = {k: v for k, v in get_persona("default").files.items() if k.startswith("DG")}
    cert = certificate_with_key(spki)
    sig = algos.DSASignature({"r": sig_int, "s": sig_int}).dump()
    files["SOD"] = sod_with_certificate(files, cert, sig_alg, sig)
    return files


def test_huge_explicit_curve_is_refused_quickly():
    spki = explicit_ec_spki(11213)  # a ~11 KB certificate (12.7 KB took 45 s)
    files = _files_with_dsc(spki, sig_int=(1 << 11213) - 5)  # r, s as large as the order
    assert len(files["SOD"]) > 10_000
    t0 = time.monotonic()
    result = verify_passive(files, trust=None)
    elapsed = time.monotonic() - t0
    sig = result.check("sod_signature")
    assert sig.state == CheckState.UNVERIFIABLE, sig
    assert "curve" in sig.reason
    assert elapsed < 2.0, f"took {elapsed:.1f} s"


def test_small_unknown_explicit_curve_is_unverifiable_not_computed():
    """A 521-bit curve that is no standard curve: refused (a forger picks weak parameters)."""
    sig = verify_passive(_files_with_dsc(explicit_ec_spki(521)), trust=None).check(
        "sod_signature")
    assert sig.state == CheckState.UNVERIFIABLE
    assert "not a known curve" in sig.reason


def test_rsa_above_8192_bits_refused():
    n = (1 << 16383) | 1 | (1 << 5000)  # an odd 16384-bit modulus; never factored, never used
    spki = rsa.RSAPublicNumbers(65537, n).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        signature.load_public_key(spki)
    except signature.SignatureUnsupported as exc:
        assert "8192" in str(exc)
    else:
        raise AssertionError("a 16384-bit RSA key was accepted")
    sig = verify_passive(_files_with_dsc(spki, "sha256_rsa"), trust=None).check("sod_signature")
    assert sig.state == CheckState.UNVERIFIABLE and "8192" in sig.reason
