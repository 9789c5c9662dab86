"""CSCA trust stores (ICAO 9303-12 §5.1, §9): certificates from PEM/DER files, folders and master lists.

Every certificate in a store is a trust anchor (a CSCA or a CSCA link certificate). CRL files found
in the same places are kept and applied by passive authentication. The local trust directory is
`$CARDKIT_TRUST_DIR` or `~/.local/share/cardkit/trust`; `cardkit trust import FILE.ml` fills it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import pem
from asn1crypto import x509 as ax509

from ..errors import InputError, ParseError, VerificationError
from ..private_files import private_dir, write_private
from ..results import CheckResult, CheckState
from . import certs, signature
from .crl import Crl, load_crls
from .masterlist import ID_ICAO_CSCA_MASTER_LIST, MasterList, parse_master_list
from .ml_pins import check_publisher

MAX_FILES = 20000
MAX_FILE_SIZE = 32 * 1024 * 1024
_ML_OID_DER = bytes.fromhex("0606678108010102")  # OID 2.23.136.1.1.2


def default_trust_dir() -> Path:
    env = os.environ.get("CARDKIT_TRUST_DIR")
    if env:
        return Path(env)
    return Path.home() / ".local" / "share" / "cardkit" / "trust"


@dataclass(frozen=True)
class Anchor:
    certificate: ax509.Certificate
    source: str

    @property
    def subject(self) -> str:
        return certs.subject_str(self.certificate)


class TrustStore:
    """A set of CSCA certificates (and the CRLs that came with them)."""

    def __init__(self, certificates: Iterable[object] = (), crls: Iterable[Crl] = ()) -> None:
        self._anchors: dict[str, Anchor] = {}
        # indexes (ICAO 9303-12 §5.1 lookups without scanning the store): key identifier,
        # subject DER, normalised subject (RFC 5280 §7.1) -> anchors in insertion order
        self._by_ski: dict[bytes, list[ax509.Certificate]] = {}
        self._by_subject_der: dict[bytes, list[ax509.Certificate]] = {}
        self._by_subject_key: dict[str, list[ax509.Certificate]] | None = None  # built lazily
        self.crls: list[Crl] = list(crls)
        self.master_lists: list[tuple[str, MasterList]] = []
        for c in certificates:
            self.add_certificate(c)

    # --- building -------------------------------------------------------------------------------

    @classmethod
    def load(cls, *paths: str | Path) -> TrustStore:
        """From certificate files (PEM/DER), CRL files, master lists (.ml) and folders of them."""
        store = cls()
        for p in paths:
            store.add_path(p)
        return store

    @classmethod
    def from_paths(cls, paths: Iterable[str | Path]) -> TrustStore:
        """Same as `load(*paths)`."""
        return cls.load(*paths)

    @classmethod
    def default(cls) -> TrustStore:
        """The local trust directory (empty store when it does not exist)."""
        d = default_trust_dir()
        return cls.load(d) if d.is_dir() else cls()

    def add_certificate(self, cert: object, source: str = "") -> bool:
        """Add one trust anchor; returns False when it was already present."""
        c = certs.load_certificate(cert)
        f = certs.facts(c)
        if f.fingerprint in self._anchors:
            return False
        self._anchors[f.fingerprint] = Anchor(c, source)
        if f.ski is not None:
            self._by_ski.setdefault(f.ski, []).append(c)
        self._by_subject_der.setdefault(f.subject_der, []).append(c)
        self._by_subject_key = None
        return True

    def add_master_list(self, data: bytes, source: str = "", *,
                        allow_untrusted_signer: bool = False) -> MasterList:
        """Add every CSCA of a master list whose signature verifies and whose signer chains to a
        CSCA in the list or this store (and to the pinned publisher of its country, where one
        is known); refuse it otherwise (VerificationError), unless `allow_untrusted_signer`."""
        ml = parse_master_list(data, tuple(self.certificates))
        vet_master_list(ml, source, allow_untrusted_signer=allow_untrusted_signer)
        for c in ml.certificates:
            self.add_certificate(c, source)
        self.master_lists.append((source, ml))
        return ml

    def add_bytes(self, data: bytes, source: str = "") -> int:
        """Add whatever a file holds (certificates, CRLs or a master list); returns items added."""
        if pem.detect(data):
            added = 0
            for kind, der in certs.pem_blocks(data):
                if kind in ("CERTIFICATE", "TRUSTED CERTIFICATE"):
                    added += self.add_certificate(der, source)
                elif kind == "X509 CRL":
                    self.crls.extend(load_crls(der, source))
                    added += 1
                elif kind in ("CMS", "PKCS7"):
                    added += self._add_der(der, source)
            return added
        return self._add_der(data, source)

    def _add_der(self, data: bytes, source: str) -> int:
        if _ML_OID_DER in data[:64]:
            ml = self.add_master_list(data, source)
            return len(ml.certificates)
        try:
            return int(self.add_certificate(data, source))
        except ParseError:
            pass
        try:
            self.crls.extend(load_crls(data, source))
            return 1
        except ParseError:
            raise ParseError(f"{source or 'data'}: not a certificate, CRL or CSCA master list") \
                from None

    def add_path(self, path: str | Path) -> int:
        p = Path(path)
        if p.is_dir():
            added = 0
            entries = sorted(e for e in p.rglob("*") if e.is_file())
            if len(entries) > MAX_FILES:
                raise InputError(f"{p}: {len(entries)} files is too many for a trust folder")
            for e in entries:
                if e.name.startswith(".") or e.suffix.lower() in (".txt", ".md", ".json"):
                    continue
                try:
                    added += self.add_bytes(_read(e), str(e))
                except ParseError:
                    continue  # unrelated file in the folder: skip it
            return added
        return self.add_bytes(_read(p), str(p))

    # --- queries --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._anchors)

    @property
    def anchors(self) -> list[Anchor]:
        return list(self._anchors.values())

    @property
    def certificates(self) -> list[ax509.Certificate]:
        return [a.certificate for a in self._anchors.values()]

    def source_of(self, cert: ax509.Certificate) -> str:
        a = self._anchors.get(certs.fingerprint(cert))
        return a.source if a else ""

    def countries(self) -> list[str]:
        return sorted({c for c in (certs.country(x) for x in self.certificates) if c})

    def candidates_for(self, cert: ax509.Certificate) -> list[ax509.Certificate]:
        """Possible issuers of `cert`: authority key identifier = subject key identifier when
        the certificate names one, else issuer name = subject name (RFC 5280 §4.2.1.1).

        Looked up in indexes: by key identifier, by subject DER, then by normalised subject
        (the same set the RFC 5280 §7.1 comparison of every anchor would give, in store order).
        """
        f = certs.facts(cert)
        if f.aki is not None:
            by_key = self._by_ski.get(f.aki)
            if by_key:
                return list(by_key)
        return self._by_name(f)

    def _by_name(self, f: certs.CertFacts) -> list[ax509.Certificate]:
        by_key = self._name_index()
        exact = self._by_subject_der.get(f.issuer_der)
        if exact:
            # every anchor whose subject equals these bytes under normalisation; when that is
            # just the byte-identical ones, no normalisation of the DSC's issuer is needed
            same = by_key[certs.facts(exact[0]).subject_key]
            if len(same) == len(exact):
                return list(exact)
        similar = by_key.get(f.issuer_key, [])
        return [c for c in similar if certs.same_name(c.subject, f.cert.issuer)]

    def _name_index(self) -> dict[str, list[ax509.Certificate]]:
        index = self._by_subject_key
        if index is None:
            index = {}
            for a in self._anchors.values():
                index.setdefault(certs.facts(a.certificate).subject_key, []).append(
                    a.certificate)
            self._by_subject_key = index
        return index

    def find_issuer(self, cert: ax509.Certificate) -> tuple[ax509.Certificate | None, str]:
        """The trusted certificate whose key verifies `cert`'s signature, and a reason if none."""
        candidates = self.candidates_for(cert)
        if not candidates:
            country = certs.country(cert) or "?"
            have = "" if country in self.countries() else f" (no CSCA for {country} at all)"
            return None, (f"issuer {certs.common_name(cert.issuer)} is not in the trust store"
                          f"{have}")
        unsupported = ""
        for issuer in candidates:
            try:
                signature.verify_certificate(cert, certs.spki(issuer))
                return issuer, ""
            except signature.SignatureInvalid:
                continue
            except signature.SignatureUnsupported as exc:
                unsupported = str(exc)
        if unsupported:
            return None, f"unsupported: {unsupported}"
        return None, (f"signature by {certs.common_name(cert.issuer)} does not verify with any "
                      f"trusted key of that name")


OVERRIDE_FLAG = "--allow-untrusted-signer"


def vet_master_list(ml: MasterList, source: str = "", *,
                    allow_untrusted_signer: bool = False) -> CheckResult:
    """Refuse a master list unless its signature is valid, its signer chains to a known CSCA,
    and (where a publisher is pinned for the signer's country) to the pinned root.

    A bad signature is refused always; an unchained or unpinned signer only without
    `allow_untrusted_signer`. Returns the publisher check."""
    what = source or "master list"
    if ml.signature.state != CheckState.VALID:
        raise VerificationError(
            f"{what}: signature {ml.signature.state.value} "
            f"({ml.signature.reason}) — obtain the list again from its publisher")
    publisher = check_publisher(ml.signer)
    if allow_untrusted_signer:
        return publisher
    if ml.signer_chain.state != CheckState.VALID:
        raise VerificationError(
            f"{what}: the master list signer ({ml.signer_subject}) does not chain to a CSCA in "
            f"the list or the trust store — refused; obtain the list from its publisher "
            f"(override: {OVERRIDE_FLAG})")
    if publisher.state == CheckState.INVALID:
        raise VerificationError(f"{what}: {publisher.reason} — refused (override: "
                                f"{OVERRIDE_FLAG})")
    return publisher


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_SIZE:
            raise InputError(f"{path}: {size} bytes is too large for a trust file")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


# --- the local trust directory --------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    added: int
    already_present: int
    countries: list[str]
    signer: str
    signer_chain: str  # state of the master-list signer's chain to a CSCA in the list or store
    folder: Path
    skipped: int = 0  # listed certificates that could not be parsed
    publisher: str = "not_performed"  # pinned-publisher check: valid / invalid / not_performed
    publisher_reason: str = ""
    override: bool = False  # imported with allow_untrusted_signer


PROVENANCE_FILE = "provenance.json"


def _pem(der: bytes, kind: str) -> bytes:
    return pem.armor(kind, der)


def read_provenance(trust_dir: str | Path | None = None) -> dict[str, Any]:
    """What was imported into the trust dir, from which list, signed by whom, when."""
    folder = Path(trust_dir) if trust_dir is not None else default_trust_dir()
    path = folder / PROVENANCE_FILE
    if not path.is_file():
        return {"imports": []}
    try:
        data = json.loads(_read(path).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{path}: not valid JSON — move it away and import again") from None
    return data if isinstance(data, dict) and isinstance(data.get("imports"), list) \
        else {"imports": []}


def import_master_list(path: str | Path, trust_dir: str | Path | None = None, *,
                       allow_untrusted_signer: bool = False) -> ImportReport:
    """Verify a master list (signature, signer chain, pinned publisher) and store its CSCAs as
    PEM files in the trust dir (0600 files, 0700 folder), recording the provenance."""
    folder = Path(trust_dir) if trust_dir is not None else default_trust_dir()
    data = _read(Path(path))
    if pem.detect(data):
        blocks = certs.pem_blocks(data, {"CMS", "PKCS7"})
        if not blocks:
            raise ParseError(f"{path}: not a CSCA master list")
        data = blocks[0][1]
    known = TrustStore.load(folder) if folder.is_dir() else TrustStore()
    ml = parse_master_list(data, tuple(known.certificates))
    publisher = vet_master_list(ml, str(path), allow_untrusted_signer=allow_untrusted_signer)
    private_dir(folder)
    added = present = 0
    stored = []
    for cert in ml.certificates:
        target = folder / f"{certs.country(cert) or 'XX'}_{certs.fingerprint(cert)[:16]}.pem"
        if target.exists():
            present += 1
            continue
        write_private(target, _pem(cert.dump(), "CERTIFICATE"))
        stored.append(target.name)
        added += 1
    prov = read_provenance(folder)
    prov["imports"].append({
        "file": str(Path(path).resolve()),
        "sha256": hashlib.sha256(data).hexdigest(),
        "imported_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "signer": ml.signer_subject,
        "signer_sha256": certs.fingerprint(ml.signer) if ml.signer is not None else None,
        "signer_chain": ml.signer_chain.to_dict(),
        "publisher": publisher.to_dict(),
        "override": allow_untrusted_signer,
        "countries": ml.countries,
        "certificates": stored,
        "already_present": present,
    })
    write_private(folder / PROVENANCE_FILE, json.dumps(prov, ensure_ascii=False, indent=1) + "\n")
    return ImportReport(added, present, ml.countries, ml.signer_subject,
                        ml.signer_chain.state.value, folder, ml.skipped,
                        publisher.state.value, publisher.reason, allow_untrusted_signer)


def add_to_trust_dir(path: str | Path, trust_dir: str | Path | None = None) -> int:
    """Copy certificates and CRLs from a file into the trust dir (as PEM); returns items stored."""
    folder = Path(trust_dir) if trust_dir is not None else default_trust_dir()
    store = TrustStore()
    store.add_path(path)
    private_dir(folder)
    n = 0
    for cert in store.certificates:
        target = folder / f"{certs.country(cert) or 'XX'}_{certs.fingerprint(cert)[:16]}.pem"
        if not target.exists():
            write_private(target, _pem(cert.dump(), "CERTIFICATE"))
            n += 1
    for crl in store.crls:
        target = folder / f"crl_{hashlib.sha256(crl.der).hexdigest()[:16]}.crl"
        write_private(target, _pem(crl.der, "X509 CRL"))
        n += 1
    return n


@dataclass(frozen=True)
class TrustEntry:
    country: str
    subject: str
    not_before: str
    not_after: str
    self_signed: bool
    key_id: str
    file: str


def list_trust(store: TrustStore) -> list[TrustEntry]:
    out = []
    for a in store.anchors:
        c = a.certificate
        nb, na = certs.validity(c)
        out.append(TrustEntry(
            country=certs.country(c) or "?", subject=certs.subject_str(c),
            not_before=nb.date().isoformat(), not_after=na.date().isoformat(),
            self_signed=c.self_signed in ("maybe", "yes"),
            key_id=(certs.ski(c) or b"").hex(), file=a.source))
    return sorted(out, key=lambda e: (e.country, e.subject, e.not_after))


__all__ = [
    "Anchor", "ID_ICAO_CSCA_MASTER_LIST", "ImportReport", "TrustEntry", "TrustStore",
    "add_to_trust_dir", "default_trust_dir", "import_master_list", "list_trust",
    "read_provenance", "vet_master_list",
]
