"""Certificate revocation lists from CSCAs (ICAO 9303-12 §7.1.4, RFC 5280 §5).

CRLs are read from DER or PEM files (one file may hold several PEM CRLs). A CRL counts for a DSC
when its issuer is the DSC's issuer; it is authenticated with the CSCA's key when the CSCA is known.

A `Crl` is parsed once when loaded (with a trust store, or from `--crl` files) and remembers the
outcome of its signature check per CSCA key, so many verifications against one CRL pay for the
signature once. Both are keyed by content: a changed CRL file is new bytes, parsed and checked
anew when the store is loaded again; raw CRL bytes passed per call are looked up by their bytes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import crl as acrl
from asn1crypto import pem
from asn1crypto import x509 as ax509

from ..errors import ASN1_DECODE_ERRORS, InputError, ParseError
from ..results import CheckResult, CheckState
from . import certs, signature

MAX_CRL_SIZE = 16 * 1024 * 1024
MAX_REVOKED = 1_000_000


@dataclass(frozen=True)
class Crl:
    """One parsed CRL (RFC 5280 §5.1)."""

    issuer: ax509.Name = field(repr=False)
    issuer_str: str
    this_update: dt.datetime
    next_update: dt.datetime | None
    revoked: dict[int, dt.datetime] = field(repr=False)  # serial -> revocation date
    aki: bytes | None
    der: bytes = field(repr=False, default=b"")
    source: str = ""
    issuer_der: bytes = field(repr=False, default=b"")
    # CSCA SubjectPublicKeyInfo DER -> does this CRL's signature verify with it
    _signed_by: dict[bytes, bool] = field(repr=False, compare=False, default_factory=dict)

    @property
    def tbs(self) -> acrl.CertificateList:
        return acrl.CertificateList.load(self.der)

    def signed_by(self, issuer_spki: bytes) -> bool:
        """True when the CRL's signature verifies with this key (checked once per key)."""
        ok = self._signed_by.get(issuer_spki)
        if ok is None:
            cl = acrl.CertificateList.load(self.der)
            try:
                signature.verify(issuer_spki, cl["signature_algorithm"].dump(),
                                 cl["signature"].native, cl["tbs_cert_list"].dump())
                ok = True
            except (signature.SignatureInvalid, signature.SignatureUnsupported):
                ok = False
            self._signed_by[issuer_spki] = ok
        return ok


_CACHE_SIZE = 64
_parsed: OrderedDict[tuple[bytes, str], Crl] = OrderedDict()
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _parsed.clear()


def parse_crl(data: bytes, source: str = "") -> Crl:
    """Parse one DER CRL; ParseError on junk. The same bytes give the same (cached) object."""
    data = bytes(data)
    key = (data, source)
    with _lock:
        hit = _parsed.get(key)
        if hit is not None:
            _parsed.move_to_end(key)
            return hit
    crl = _parse_crl(data, source)
    with _lock:
        _parsed[key] = crl
        while len(_parsed) > _CACHE_SIZE:
            _parsed.popitem(last=False)
    return crl


def _parse_crl(data: bytes, source: str) -> Crl:
    if len(data) > MAX_CRL_SIZE:
        raise ParseError(f"CRL {source}: {len(data)} bytes is too large")
    try:
        cl = acrl.CertificateList.load(data, strict=True)
        tbs = cl["tbs_cert_list"]
        revoked: dict[int, dt.datetime] = {}
        entries = tbs["revoked_certificates"]
        if len(entries) > MAX_REVOKED:
            raise ParseError(f"CRL {source}: too many entries")
        for entry in entries:
            revoked[entry["user_certificate"].native] = entry["revocation_date"].native
        next_update = tbs["next_update"].native
        return Crl(
            issuer=cl.issuer,
            issuer_str=certs.name_str(cl.issuer),
            this_update=tbs["this_update"].native,
            next_update=next_update,
            revoked=revoked,
            aki=cl.authority_key_identifier,
            der=data,
            source=source,
            issuer_der=cl.issuer.dump(),
        )
    except ParseError:
        raise
    except ASN1_DECODE_ERRORS as exc:
        raise ParseError(f"CRL {source or ''}: malformed ({exc.__class__.__name__})") from None


def load_crls(data: bytes | Iterable[str | Path], source: str = "") -> list[Crl]:
    """Every CRL in a DER or PEM blob, or in a list of files / folders (see load_crl_paths)."""
    if not isinstance(data, (bytes, bytearray)):
        return load_crl_paths(data)
    data = bytes(data)
    if pem.detect(data):
        blocks = certs.pem_blocks(data, {"X509 CRL"})
        if not blocks:
            raise ParseError(f"{source or 'PEM data'}: holds no X509 CRL")
        return [parse_crl(b, source) for _, b in blocks]
    return [parse_crl(data, source)]


def load_crl_paths(paths: Iterable[str | Path]) -> list[Crl]:
    """CRLs from files, or from every *.crl / *.der / *.pem CRL file in a folder."""
    out: list[Crl] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for entry in sorted(path.iterdir()):
                if entry.is_file() and entry.suffix.lower() in (".crl", ".der", ".pem"):
                    try:
                        out.extend(load_crls(entry.read_bytes(), str(entry)))
                    except ParseError:
                        continue  # a certificate or something else in the folder
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read CRL file {path}: {exc.strerror}") from None
        out.extend(load_crls(data, str(path)))
    return out


def _crl_signed_by(crl: Crl, issuer: ax509.Certificate) -> bool:
    return crl.signed_by(certs.spki(issuer))


def check_revocation(dsc: ax509.Certificate, csca: ax509.Certificate | None, crls: Iterable[Crl],
                     at: dt.datetime) -> CheckResult:
    """The `crl` check for a DSC (ICAO 9303-12 §7.1.4): revoked -> invalid; covered by an
    authentic, current CRL -> valid; otherwise unverifiable / not_performed with the reason."""
    crls = list(crls)
    if not crls:
        return CheckResult("crl", CheckState.NOT_PERFORMED, "no CRL given")
    f = certs.facts(dsc)
    relevant = [c for c in crls if (c.issuer_der == f.issuer_der
                                    or certs.same_name(c.issuer, dsc.issuer))
                and (c.aki is None or f.aki is None or c.aki == f.aki)]
    if not relevant:
        return CheckResult("crl", CheckState.NOT_PERFORMED,
                           f"no CRL from {certs.common_name(dsc.issuer)}")
    serial = f.serial
    authentic = [c for c in relevant if csca is not None and _crl_signed_by(c, csca)]
    pool = authentic or relevant
    for c in pool:
        if serial in c.revoked:
            when = c.revoked[serial]
            note = "" if authentic else " (CRL signature not checked: CSCA unknown)"
            return CheckResult("crl", CheckState.INVALID,
                               f"document signer certificate revoked on {when:%Y-%m-%d}{note}",
                               {"crl_issuer": c.issuer_str, "serial": serial})
    if csca is None:
        return CheckResult("crl", CheckState.UNVERIFIABLE,
                           "not listed, but the CRL cannot be authenticated without the CSCA")
    if not authentic:
        return CheckResult("crl", CheckState.UNVERIFIABLE,
                           "the CRL's signature does not verify with the CSCA key")
    current = [c for c in authentic if c.this_update <= at
               and (c.next_update is None or at <= c.next_update)]
    if not current:
        nxt = max((c.next_update for c in authentic if c.next_update), default=None)
        when = f" (next update was due {nxt:%Y-%m-%d})" if nxt else ""
        return CheckResult("crl", CheckState.UNVERIFIABLE, f"CRL out of date{when}")
    c = current[0]
    return CheckResult("crl", CheckState.VALID, "not revoked",
                       {"crl_issuer": c.issuer_str, "this_update": c.this_update.isoformat()})
