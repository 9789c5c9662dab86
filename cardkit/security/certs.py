"""Certificate helpers shared by passive authentication, trust stores and CRLs (RFC 5280, 9303-12).

Certificates are handled as asn1crypto objects, because `cryptography` cannot load the
explicit-parameter EC keys real CSCAs and DSCs use.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from typing import Any

from asn1crypto import pem
from asn1crypto import x509 as ax509

from ..errors import ASN1_DECODE_ERRORS, ParseError

MAX_CERT_SIZE = 64 * 1024
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)


def load_certificate(data: Any) -> ax509.Certificate:
    """A certificate from DER/PEM bytes, an asn1crypto or a `cryptography` certificate."""
    if isinstance(data, ax509.Certificate):
        return data
    if hasattr(data, "public_bytes") and hasattr(data, "tbs_certificate_bytes"):
        from cryptography.hazmat.primitives.serialization import Encoding

        data = data.public_bytes(Encoding.DER)
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("certificate must be bytes, asn1crypto or cryptography Certificate")
    data = bytes(data)
    if len(data) > MAX_CERT_SIZE:
        raise ParseError(f"certificate of {len(data)} bytes is too large")
    if pem.detect(data):
        blocks = pem_blocks(data, {"CERTIFICATE"})
        if not blocks:
            raise ParseError("PEM file holds no certificate")
        data = blocks[0][1]
    try:
        cert = ax509.Certificate.load(data, strict=True)
        # parse now what verification uses, so junk fails here and not later
        tbs = cert["tbs_certificate"]
        tbs["validity"].native  # noqa: B018
        tbs["subject_public_key_info"]["algorithm"].native  # noqa: B018
        cert.subject.native  # noqa: B018
        cert.issuer.native  # noqa: B018
        cert.serial_number  # noqa: B018
        cert.key_identifier  # noqa: B018
        cert.authority_key_identifier  # noqa: B018
        cert.basic_constraints_value  # noqa: B018
        cert["signature_algorithm"].native  # noqa: B018
        cert["signature_value"].native  # noqa: B018
    except ASN1_DECODE_ERRORS as exc:
        raise ParseError(f"not an X.509 certificate ({exc.__class__.__name__})") from None
    return cert


def pem_blocks(data: bytes, kinds: set[str] | None = None) -> list[tuple[str, bytes]]:
    """Every PEM block (type, DER) in `data`, optionally only those of the given types."""
    out = []
    for m in _PEM_BLOCK.finditer(data):
        kind = m.group(1).decode()
        if kinds is not None and kind not in kinds:
            continue
        body = b"".join(line for line in m.group(2).split() if b":" not in line)
        try:
            out.append((kind, base64.b64decode(body, validate=True)))
        except ValueError:
            raise ParseError(f"PEM {kind} block is not valid base64") from None
    return out


def der(cert: ax509.Certificate) -> bytes:
    return cert.dump()


def fingerprint(cert: ax509.Certificate) -> str:
    return hashlib.sha256(cert.dump()).hexdigest()


def spki(cert: ax509.Certificate) -> bytes:
    return cert["tbs_certificate"]["subject_public_key_info"].dump()


def subject_str(cert: ax509.Certificate) -> str:
    return name_str(cert.subject)


def name_str(name: ax509.Name) -> str:
    """'CN=DS, O=BundesDruckerei GmbH, C=DE' (most specific first, like OpenSSL -nameopt RFC2253)."""
    parts = []
    short = {"common_name": "CN", "organization_name": "O", "organizational_unit_name": "OU",
             "country_name": "C", "serial_number": "serialNumber", "locality_name": "L",
             "state_or_province_name": "ST"}
    for rdn in reversed(list(name.chosen)):
        for atv in rdn:
            key = atv["type"].native
            label = short.get(key, key)
            try:
                value = atv["value"].native
            except ValueError:
                value = "?"
            parts.append(f"{label}={value}")
    return ", ".join(parts)


def common_name(name: ax509.Name) -> str:
    n = name.native
    cn = n.get("common_name") or n.get("organization_name") or name_str(name)
    return cn if isinstance(cn, str) else str(cn)


def country(cert: ax509.Certificate) -> str | None:
    c = cert.subject.native.get("country_name") or cert.issuer.native.get("country_name")
    return str(c) if c else None


def ski(cert: ax509.Certificate) -> bytes | None:
    return cert.key_identifier


def aki(cert: ax509.Certificate) -> bytes | None:
    return cert.authority_key_identifier


def validity(cert: ax509.Certificate) -> tuple[dt.datetime, dt.datetime]:
    v = cert["tbs_certificate"]["validity"]
    return v["not_before"].native, v["not_after"].native


def is_self_issued(cert: ax509.Certificate) -> bool:
    return cert.subject == cert.issuer


def same_name(a: ax509.Name, b: ax509.Name) -> bool:
    """RFC 5280 §7.1 name comparison (asn1crypto normalises case and spaces)."""
    return a == b


def is_ca(cert: ax509.Certificate) -> bool:
    bc = cert.basic_constraints_value
    return bool(bc is not None and bc["ca"].native)
