"""Domain parameters and point arithmetic against OpenSSL (explicit curve parameters, RFC 5114
X9.42 groups) and against `cryptography`'s scalar multiplication."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest
from asn1crypto import keys as akeys
from cryptography.hazmat.primitives.asymmetric import ec

from cardkit.errors import ParseError
from cardkit.icao import domain_params as dp
from tests.conftest import need

OPENSSL_NAMES = {8: "prime192v1", 9: "brainpoolP192r1", 10: "secp224r1", 11: "brainpoolP224r1",
                 12: "prime256v1", 13: "brainpoolP256r1", 14: "brainpoolP320r1", 15: "secp384r1",
                 16: "brainpoolP384r1", 17: "brainpoolP512r1", 18: "secp521r1"}


def _openssl(*args: str, data: bytes | None = None) -> bytes:
    need(shutil.which("openssl") is not None, "openssl CLI not installed")
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


@pytest.mark.parametrize("pid, name", sorted(OPENSSL_NAMES.items()))
def test_curve_constants_match_openssl(pid, name):
    der = _openssl("ecparam", "-name", name, "-param_enc", "explicit", "-outform", "DER")
    p = akeys.ECDomainParameters.load(der).chosen
    c = dp.by_id(pid)
    assert p["field_id"]["parameters"].native == c.p
    assert int.from_bytes(p["curve"]["a"].native, "big") == c.a
    assert int.from_bytes(p["curve"]["b"].native, "big") == c.b
    assert p["base"].native == c.encode_point(c.g)
    assert p["order"].native == c.n and c.h == 1


@pytest.mark.parametrize("pid, n", [(0, 1), (1, 2), (2, 3)])
def test_dh_groups_match_openssl_rfc5114(pid, n):
    from asn1crypto import core

    pem = _openssl("genpkey", "-genparam", "-algorithm", "DHX", "-pkeyopt", f"dh_rfc5114:{n}")
    body = b"".join(line for line in pem.splitlines() if line and not line.startswith(b"-----"))
    der = base64.b64decode(body)
    seq = core.Sequence.load(der)
    g = dp.by_id(pid)
    assert (seq[0].native, seq[1].native, seq[2].native) == (g.p, g.g, g.q)
    assert pow(g.g, g.q, g.p) == 1


@pytest.mark.parametrize("pid", [12, 13, 15, 16, 17, 18])
def test_scalar_mult_matches_cryptography(pid):
    c = dp.by_id(pid)
    curve = dp.cryptography_curve(c)
    for k in (1, 2, 3, 0xDEADBEEF, c.n - 1, c.n // 3):
        pub = ec.derive_private_key(k, curve).public_key().public_numbers()
        assert c.mul(k, c.g) == (pub.x, pub.y)
    a, b = c.mul(12345, c.g), c.mul(67890, c.g)
    assert c.add(a, b) == c.mul(12345 + 67890, c.g)
    assert c.add(a, a) == c.mul(2 * 12345, c.g)
    assert c.add(a, c.neg(a)) is None and c.mul(c.n, c.g) is None


def test_point_decoding_rejects_off_curve_and_wrong_length():
    c = dp.by_id(13)
    good = c.encode_point(c.g)
    assert c.decode_point(good) == c.g
    with pytest.raises(ParseError):
        c.decode_point(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(ParseError):
        c.decode_point(good[:-1])
    with pytest.raises(ParseError):
        dp.by_id(5)


def test_dh_public_value_validation():
    g = dp.by_id(0)
    assert g.decode_public(g.encode_public(pow(g.g, 5, g.p))) == pow(g.g, 5, g.p)
    for bad in (1, g.p - 1, 2):  # 2 is not in the prime-order subgroup
        with pytest.raises(ParseError):
            g.decode_public(g.encode_public(bad))
