"""Certificate helpers shared by passive authentication, trust stores and CRLs (RFC 5280, 9303-12).

Certificates are handled as asn1crypto objects, because `cryptography` cannot load the
explicit-parameter EC keys real CSCAs and DSCs use.

Speed (a DSC signs thousands of documents; a server verifies many documents of a few DSCs):
a certificate is parsed once per distinct DER (`load_certificate` keeps a bounded cache keyed by
the exact bytes, so different content can never reuse an entry), and what verification reads
from it (names, key, TBS bytes, validity ...) is extracted once into `CertFacts`. Names are
compared by DER first; the RFC 5280 §7.1 normalised comparison runs only when the bytes differ.
Nothing here caches a verification *result*: signatures are checked by the callers every time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import threading
from collections import OrderedDict
from functools import cached_property
from typing import Any

from asn1crypto import pem
from asn1crypto import x509 as ax509

from ..errors import ASN1_DECODE_ERRORS, ParseError

MAX_CERT_SIZE = 64 * 1024
CACHE_SIZE = 4096  # distinct certificates kept parsed (DSCs + CSCAs of a busy server)
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)


class _Lru:
    """A small thread-safe LRU map (keys: exact bytes, or object ids)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._d: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            v = self._d.get(key)
            if v is not None:
                self._d.move_to_end(key)
            return v

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._d[key] = value
            self._d.move_to_end(key)
            while len(self._d) > self.size:
                self._d.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._d.clear()

    def __len__(self) -> int:
        return len(self._d)


_parsed = _Lru(CACHE_SIZE)  # DER -> ax509.Certificate
_facts = _Lru(CACHE_SIZE)  # DER -> CertFacts
_facts_by_id = _Lru(CACHE_SIZE)  # id(certificate object) -> CertFacts (holding that object)


def clear_caches() -> None:
    """Forget every parsed certificate (benchmarks measure the cold path with this)."""
    _parsed.clear()
    _facts.clear()
    _facts_by_id.clear()


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
    cached = _parsed.get(data)
    if cached is not None:
        return cached
    cert = _parse_der(data)
    _parsed.put(data, cert)
    return cert


def _parse_der(data: bytes) -> ax509.Certificate:
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


class CertFacts:
    """What verification reads from one certificate, extracted once (see the module doc)."""

    def __init__(self, cert: ax509.Certificate) -> None:
        tbs = cert["tbs_certificate"]
        self.cert = cert
        self.der = cert.dump()
        self.fingerprint = hashlib.sha256(self.der).hexdigest()
        self.subject_der = cert.subject.dump()
        self.issuer_der = cert.issuer.dump()
        self.serial: int = cert.serial_number
        self.ski: bytes | None = cert.key_identifier
        self.aki: bytes | None = cert.authority_key_identifier
        self.spki = tbs["subject_public_key_info"].dump()
        self.tbs = tbs.dump()
        self.signature_algorithm = cert["signature_algorithm"].dump()
        self.signature_value: bytes = cert["signature_value"].native
        v = tbs["validity"]
        self.not_before: dt.datetime = v["not_before"].native
        self.not_after: dt.datetime = v["not_after"].native

    @cached_property
    def subject_str(self) -> str:
        return name_str(self.cert.subject)

    @cached_property
    def issuer_str(self) -> str:
        return name_str(self.cert.issuer)

    @cached_property
    def country(self) -> str | None:
        c = (self.cert.subject.native.get("country_name")
             or self.cert.issuer.native.get("country_name"))
        return str(c) if c else None

    @cached_property
    def subject_key(self) -> str:
        """Normalised subject (RFC 5280 §7.1 via asn1crypto), for indexes; slow to compute."""
        return self.cert.subject.hashable

    @cached_property
    def issuer_key(self) -> str:
        return self.cert.issuer.hashable

    @cached_property
    def self_issued(self) -> bool:
        return self.subject_der == self.issuer_der or self.cert.subject == self.cert.issuer


def facts(cert: ax509.Certificate) -> CertFacts:
    """The cached `CertFacts` of a certificate. Objects from `load_certificate` are found by
    identity (the entry holds the object, so its id cannot be reused while cached); any other
    object by its exact DER. Certificates are never modified after parsing in cardkit."""
    f = _facts_by_id.get(id(cert))
    if f is not None and f.cert is cert:
        return f
    d = cert.dump()
    f = _facts.get(d)
    if f is None or f.cert is not cert:
        f = CertFacts(cert)
        _facts.put(d, f)
    _facts_by_id.put(id(cert), f)
    return f


def der(cert: ax509.Certificate) -> bytes:
    return cert.dump()


def fingerprint(cert: ax509.Certificate) -> str:
    return facts(cert).fingerprint


def spki(cert: ax509.Certificate) -> bytes:
    return facts(cert).spki


def subject_str(cert: ax509.Certificate) -> str:
    return facts(cert).subject_str


_name_strs = _Lru(CACHE_SIZE)


def name_str(name: ax509.Name) -> str:
    key = name.dump()
    s = _name_strs.get(key)
    if s is None:
        s = _name_str(name)
        _name_strs.put(key, s)
    return s


def _name_str(name: ax509.Name) -> str:
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
    return facts(cert).country


def ski(cert: ax509.Certificate) -> bytes | None:
    return facts(cert).ski


def aki(cert: ax509.Certificate) -> bytes | None:
    return facts(cert).aki


def validity(cert: ax509.Certificate) -> tuple[dt.datetime, dt.datetime]:
    f = facts(cert)
    return f.not_before, f.not_after


def is_self_issued(cert: ax509.Certificate) -> bool:
    return facts(cert).self_issued


def same_name(a: ax509.Name, b: ax509.Name) -> bool:
    """RFC 5280 §7.1 name comparison: identical DER, else asn1crypto's normalised comparison
    (case, spaces, string types)."""
    return a.dump() == b.dump() or a == b


def same_name_der(a_der: bytes, b: ax509.Name) -> bool:
    """`same_name` with one side as DER (e.g. a CMS sid issuer): bytes first, parse only then."""
    if a_der == b.dump():
        return True
    try:
        return ax509.Name.load(a_der) == b
    except (ValueError, TypeError, KeyError):  # an undecodable name matches nothing
        return False


def is_ca(cert: ax509.Certificate) -> bool:
    bc = cert.basic_constraints_value
    return bool(bc is not None and bc["ca"].native)
