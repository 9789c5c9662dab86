"""Builders of hostile inputs shared by the robustness tests (no test functions here)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from asn1crypto import cms, core, keys
from asn1crypto import x509 as ax509
from cryptography.hazmat.primitives import serialization

from cardkit.lds import tlv
from cardkit.sim import pki
from cardkit.sim.issuer import lds_security_object


def explicit_ec_spki(field_bits: int) -> bytes:
    """An EC key on a made-up curve over a `field_bits`-bit prime field (explicit parameters).

    The base point and the public point lie on the curve, so only the size makes it hostile.
    """
    p = (1 << field_bits) - 1  # a Mersenne prime for 521, 607, 1279, 2203, 4423, 9689, 11213
    size = (field_bits + 7) // 8
    gx, gy = pow(7, 4099, p), pow(11, 4099, p)  # arbitrary: the point's order is huge
    a = p - 3
    b = (gy * gy - gx ** 3 - a * gx) % p
    point = b"\x04" + gx.to_bytes(size, "big") + gy.to_bytes(size, "big")
    params = keys.SpecifiedECDomain({
        "version": "ecdpVer1",
        "field_id": {"field_type": "prime_field", "parameters": p},
        "curve": {"a": a.to_bytes(size, "big"), "b": b.to_bytes(size, "big")},
        "base": point,
        "order": p - 2,
        "cofactor": 1,
    })
    return keys.PublicKeyInfo({
        "algorithm": {"algorithm": "ec", "parameters": keys.ECDomainParameters(
            name="specified", value=params)},
        "public_key": point,
    }).dump()


def certificate_with_key(spki_der: bytes) -> ax509.Certificate:
    """The virtual card's RSA DSC with its key replaced (signature left as it was: not needed
    to trigger the SOD signature check, which runs without any trust store)."""
    cert = ax509.Certificate.load(
        pki.dsc("rsa").certificate.public_bytes(serialization.Encoding.DER))
    tbs = cert["tbs_certificate"].copy()
    tbs["subject_public_key_info"] = keys.PublicKeyInfo.load(spki_der)
    return ax509.Certificate({"tbs_certificate": tbs,
                              "signature_algorithm": cert["signature_algorithm"],
                              "signature_value": cert["signature_value"]})


def sod_with_certificate(files: dict[str, bytes], cert: ax509.Certificate,
                         sig_alg: str = "sha256_ecdsa", signature: bytes | None = None) -> bytes:
    """EF.SOD over `files` whose SignerInfo names `cert` (embedded); the signature is junk."""
    econtent = lds_security_object(files)
    import hashlib

    attrs = cms.CMSAttributes([
        {"type": "content_type", "values": ["2.23.136.1.1.1"]},
        {"type": "message_digest", "values": [hashlib.sha256(econtent).digest()]},
    ])
    if signature is None:
        signature = core.Sequence.load(bytes.fromhex("3006020101020101")).dump()
    si = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
            "issuer": cert.issuer, "serial_number": cert.serial_number}}),
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": sig_alg},
        "signature": signature,
    })
    signed = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {"content_type": "2.23.136.1.1.1", "content": econtent},
        "certificates": [cert],
        "signer_infos": [si],
    })
    return tlv.encode(0x77, cms.ContentInfo({"content_type": "signed_data",
                                             "content": signed}).dump())


def explicit_ec_params_der(p: int, *, curve_fields: int = 2, base: bytes = b"\x04\x01\x02",
                           order: int = 5) -> bytes:
    """ECParameters SEQUENCE with explicit values, possibly malformed (ICAO 9303-11 §9.2)."""
    from cardkit.lds.security_infos import PRIME_FIELD, encode_int, encode_oid

    field = tlv.encode(0x30, encode_oid(PRIME_FIELD) + encode_int(p))
    curve = b"".join([tlv.encode(0x04, b"\x00"), tlv.encode(0x04, b"\x07")][:curve_fields])
    return tlv.encode(0x30, encode_int(1) + field + tlv.encode(0x30, curve)
                      + tlv.encode(0x04, base) + encode_int(order))


def dg14_with_ca_params(params_der: bytes, point: bytes = b"\x04\x01\x02") -> bytes:
    """DG14: CA (ECDH, AES-128) whose public key carries the given ECParameters."""
    from cardkit.lds import files as lds_files
    from cardkit.lds.security_infos import (
        ID_CA_ECDH,
        ID_PK_ECDH,
        encode_ca_info,
        encode_ca_public_key_info,
        encode_oid,
        encode_security_infos,
    )

    alg = tlv.encode(0x30, encode_oid(ID_PK_ECDH) + params_der)
    spki = tlv.encode(0x30, alg + tlv.encode(0x03, b"\x00" + point))
    infos = [encode_ca_info(ID_CA_ECDH + ".2"), encode_ca_public_key_info(spki)]
    return tlv.encode(lds_files.DG_TAGS[14], encode_security_infos(infos))


@contextlib.contextmanager
def temporary_persona(name: str, builder) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Register a virtual-card persona for one test only (other tests list every persona)."""
    from cardkit.sim import personas

    personas.register_persona(name, "robustness test card", builder)
    try:
        yield name
    finally:
        personas._REGISTRY.pop(name, None)
        personas._cached.cache_clear()
