"""Pinned master-list publishers: who may sign a CSCA master list for a country.

A master list's own content cannot vouch for its signer (a forger lists the CSCA that issued
their signer). For a publisher known here (`cardkit/data/ml_publishers.json`, with the public
root certificates beside it), the signer must chain to one of the pinned roots. The table is
shared with any bundled master-list snapshot.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from asn1crypto import x509 as ax509

from ..errors import ParseError
from ..results import CheckResult, CheckState
from . import certs, signature

PIN_TABLE = "ml_publishers.json"


@dataclass(frozen=True)
class Publisher:
    country: str
    name: str
    roots: tuple[ax509.Certificate, ...]


def _data(name: str) -> bytes:
    return resources.files("cardkit").joinpath("data", name).read_bytes()


@lru_cache(maxsize=1)
def publishers() -> dict[str, Publisher]:
    """The pin table by country; each root's SHA-256 is checked against the table."""
    table = json.loads(_data(PIN_TABLE))
    out: dict[str, Publisher] = {}
    for entry in table["publishers"]:
        roots = []
        for r in entry["roots"]:
            der = _data(r["file"])
            cert = certs.load_certificate(der)
            if hashlib.sha256(cert.dump()).hexdigest() != r["sha256"]:
                raise ParseError(f"pinned root {r['file']} does not match its SHA-256 in the table")
            roots.append(cert)
        out[entry["country"]] = Publisher(entry["country"], entry["publisher"], tuple(roots))
    return out


def pinned_roots(country: str | None) -> tuple[ax509.Certificate, ...]:
    p = publishers().get(country or "")
    return p.roots if p else ()


def check_publisher(signer: ax509.Certificate | None) -> CheckResult:
    """Does the master-list signer chain to its country's pinned publisher root?

    valid: signed by a pinned root; invalid: the country is pinned and no root verifies;
    not_performed: no publisher pinned for that country (the signer chain alone decides)."""
    if signer is None:
        return CheckResult("ml_publisher", CheckState.NOT_PERFORMED, "no signer certificate")
    country = certs.country(signer)
    pub = publishers().get(country or "")
    if pub is None:
        return CheckResult("ml_publisher", CheckState.NOT_PERFORMED,
                           f"no pinned master-list publisher for {country or '?'}")
    for root in pub.roots:
        try:
            signature.verify_certificate(signer, certs.spki(root))
        except (signature.SignatureInvalid, signature.SignatureUnsupported):
            continue
        return CheckResult("ml_publisher", CheckState.VALID,
                           f"signer issued by the pinned {pub.country} root "
                           f"{certs.subject_str(root)}",
                           {"publisher": pub.name, "root_sha256": certs.fingerprint(root)})
    return CheckResult("ml_publisher", CheckState.INVALID,
                       f"the signer claims {country} but is not issued by the pinned {country} "
                       f"publisher root ({pub.name})")
