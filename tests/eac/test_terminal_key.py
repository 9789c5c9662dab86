"""The terminal key interface: PEM/DER files and RFC 7512 PKCS#11 URIs (PIN never in the URI)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cardkit.lds import cvc
from cardkit.security.terminal_key import (
    Pkcs11Key,
    TerminalKeyError,
    load_pem_key,
    load_terminal_key,
    parse_pkcs11_uri,
)

from .conftest import SIM_EAC


def test_uri_attributes_are_split_and_percent_decoded():
    path, query = parse_pkcs11_uri(
        "pkcs11:token=Bank%20HSM;object=is-key;type=private?module-path=/usr/lib/x.so")
    assert path == {"token": "Bank HSM", "object": "is-key", "type": "private"}
    assert query == {"module-path": "/usr/lib/x.so"}


@pytest.mark.parametrize("uri", ["pkcs11:token=t;object=k?pin-value=1234",
                                 "pkcs11:token", "file:///key.pem"])
def test_bad_uris_are_refused(uri):
    with pytest.raises(TerminalKeyError):
        parse_pkcs11_uri(uri)


def test_pin_source_must_be_an_environment_variable(monkeypatch):
    monkeypatch.delenv("NO_SUCH_PIN_VAR", raising=False)
    with pytest.raises(TerminalKeyError, match="not set"):
        Pkcs11Key("pkcs11:token=x;object=y?module-path=/usr/lib/softhsm/libsofthsm2.so"
                  "&pin-source=env:NO_SUCH_PIN_VAR")
    with pytest.raises(TerminalKeyError, match="env:"):
        Pkcs11Key("pkcs11:token=x;object=y?module-path=/usr/lib/softhsm/libsofthsm2.so"
                  "&pin-source=file:/tmp/pin")


def test_missing_module_is_a_clear_error():
    with pytest.raises(TerminalKeyError, match="PKCS#11 module"):
        Pkcs11Key("pkcs11:token=x?module-path=/nonexistent/lib.so", pin="1")


def test_pem_and_der_keys_sign_verifiably(tmp_path):
    key = load_pem_key(SIM_EAC / "is.key.pem")
    sig = key.sign(b"data", cvc.TA_ECDSA_SHA256)
    assert len(sig) == 64
    assert cvc.verify_signature(cvc.TA_ECDSA_SHA256, key.public_key(), b"data", sig)
    priv = ec.generate_private_key(ec.SECP256R1())
    der = tmp_path / "k.der"
    der.write_bytes(priv.private_bytes(serialization.Encoding.DER,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    assert load_terminal_key(str(der)).public_key().public_numbers() == \
        priv.public_key().public_numbers()


@pytest.mark.parametrize("oid", [cvc.TA_RSA + ".2", cvc.TA_RSA + ".4"])
def test_rsa_v15_and_pss(oid):
    from cardkit.security.terminal_key import SoftwareKey

    key = SoftwareKey(rsa.generate_private_key(65537, 2048))
    sig = key.sign(b"msg", oid)
    assert cvc.verify_signature(oid, key.public_key(), b"msg", sig)
    assert not cvc.verify_signature(oid, key.public_key(), b"msh", sig)


def test_unreadable_and_encrypted_keys(tmp_path):
    with pytest.raises(TerminalKeyError, match="cannot read"):
        load_pem_key(tmp_path / "missing.pem")
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(TerminalKeyError, match="not an unencrypted"):
        load_pem_key(bad)
