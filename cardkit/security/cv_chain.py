"""CV certificate chains, terminal side: issue, request, load, order and check (BSI TR-03110-3 §C,
TR-03110-1 §2.5, ICAO 9303-11 §7.1).

- `issue_certificate(...)`: sign a CVCA (self-signed or link), DV or IS certificate.
- `make_request(...)`: an IS certificate request (self-signed: proof of possession), optionally
  authenticated with the current IS key.
- `make_test_chain(dir)`: a complete TEST PKI — CVCA → DV → IS with keys (`cardkit eac
  make-test-chain`).
- `load_chain(paths)`: CV certificates from files/folders; `chain_for(certs, cars)`: the path
  from a CVCA the chip trusts (EF.CVCA) through link certificates and the DV to the IS cert.
- `verify_chain(chain, anchor)`: signature, issuer and date checks as a chip does them.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..errors import InputError, ParseError
from ..icao import domain_params
from ..lds import cvc
from .terminal_key import SoftwareKey, TerminalKey

CV_SUFFIXES = (".cvcert", ".cvc", ".cv", ".der", ".bin")
MAX_CHAIN_FILES = 64
_CURVES = {"brainpoolP256r1": ec.BrainpoolP256R1, "brainpoolP384r1": ec.BrainpoolP384R1,
           "brainpoolP512r1": ec.BrainpoolP512R1, "NIST P-256": ec.SECP256R1,
           "NIST P-384": ec.SECP384R1}
_TA_OID_FOR_CURVE = {256: cvc.TA_ECDSA + ".3", 384: cvc.TA_ECDSA + ".4", 512: cvc.TA_ECDSA + ".5",
                     521: cvc.TA_ECDSA + ".5"}


class ChainError(InputError):
    """The terminal's certificate chain cannot be used (which certificate, and why)."""


def domain_objects(curve: ec.EllipticCurve) -> dict[int, bytes]:
    """EC domain parameter objects 81 p, 82 a, 83 b, 84 G, 85 r, 87 f of a named curve."""
    name = next((n for n, c in domain_params.CRYPTOGRAPHY_CURVE_NAMES.items()
                 if c.lower() == type(curve).__name__.lower()), None)
    params = next((c for c in domain_params.CURVES_BY_OID.values() if c.name == name), None)
    if params is None:
        raise ChainError(f"curve {curve.name} is not supported for CV certificates")
    size = params.field_bytes
    g = b"\x04" + params.gx.to_bytes(size, "big") + params.gy.to_bytes(size, "big")
    return {0x81: params.p.to_bytes(size, "big"), 0x82: (params.a % params.p).to_bytes(size, "big"),
            0x83: params.b.to_bytes(size, "big"), 0x84: g, 0x85: params.n.to_bytes(size, "big"),
            0x87: params.h.to_bytes(1, "big")}


def ta_oid_for(public_key) -> str:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return _TA_OID_FOR_CURVE.get(public_key.curve.key_size, cvc.TA_ECDSA_SHA256)
    return cvc.TA_RSA + ".2"  # RSA v1.5 with SHA-256


def cv_public_key(public_key, *, with_domain: bool) -> cvc.CVPublicKey:
    oid = ta_oid_for(public_key)
    domain = (domain_objects(public_key.curve)
              if with_domain and isinstance(public_key, ec.EllipticCurvePublicKey) else None)
    return cvc.encode_public_key(oid, public_key, domain)


def issue_certificate(*, signer: TerminalKey, signer_oid: str, car: str, holder_key,
                      chr: str, role: str, effective: dt.date, expiration: dt.date,
                      dg3: bool = True, dg4: bool = True, chat: bytes | None = None) -> bytes:
    """Sign a CV certificate. `holder_key`: the holder's `cryptography` public key; CVCA
    certificates (role "cvca") carry the domain parameters, DV and IS certificates only the
    point (TR-03110-3 §C.3). `chat` overrides the IS CHAT template built from role/dg3/dg4."""
    pk = cv_public_key(holder_key, with_domain=role == "cvca")
    template = chat if chat is not None else cvc.chat_template(role, dg3=dg3, dg4=dg4)
    body = cvc.encode_body(car=car, public_key=pk.encode(), chr=chr,
                           chat=cvc.encode_chat(template), effective=effective,
                           expiration=expiration)
    return cvc.encode_certificate(body, signer.sign(body, signer_oid))


def make_request(*, key: TerminalKey, chr: str, car: str | None = None,
                 outer: tuple[TerminalKey, str, str] | None = None) -> bytes:
    """An IS certificate request: body signed with the new key (proof of possession); `outer` =
    (current key, its TA OID, its CHR) makes it an authenticated request (TR-03110-3 §C.2)."""
    public = key.public_key()
    oid = ta_oid_for(public)
    pk = cv_public_key(public, with_domain=True)
    body = cvc.encode_request_body(public_key=pk.encode(), chr=chr, car=car)
    inner = cvc.encode_request(body, key.sign(body, oid))
    if outer is None:
        return inner
    outer_key, outer_oid, outer_car = outer
    from ..lds import tlv

    signed = inner + tlv.encode(cvc.T_CAR, outer_car.encode("latin-1"))
    return tlv.encode(cvc.T_AUTH_REQ, signed + tlv.encode(cvc.T_SIG,
                                                          outer_key.sign(signed, outer_oid)))


# --- test PKI ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestChain:
    """Paths of a test PKI written by `make_test_chain`."""

    folder: Path
    cvca: Path
    dv: Path
    inspection_system: Path
    is_key: Path
    cvca_key: Path
    dv_key: Path

    @property
    def certificates(self) -> list[Path]:
        return [self.cvca, self.dv, self.inspection_system]


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_test_chain(folder: str | Path, *, country: str = "VN", curve: str = "brainpoolP256r1",
                    today: dt.date | None = None, is_days: int = 3650, dg3: bool = True,
                    dg4: bool = True, cvca_from: str | Path | None = None,
                    is_key: TerminalKey | None = None, is_effective: dt.date | None = None,
                    is_expiration: dt.date | None = None, serial: int = 1,
                    cvca_years: int = 3, dv_years: int = 1) -> TestChain:
    """Write a TEST CVCA → DV → IS chain with its private keys into `folder` (0700, keys 0600).

    `cvca_from`: reuse the CVCA certificate and key of another test chain folder (e.g. the virtual
    card's) so the new DV/IS certificates chain to a CVCA a chip already trusts. `is_key`: the IS
    key (e.g. a PKCS#11 key) instead of a new software key (then no is.key.pem is written).
    """
    if curve not in _CURVES:
        raise InputError(f"curve must be one of {', '.join(_CURVES)}")
    if len(country) != 2 or not country.isalpha():
        raise InputError("the country code must be 2 letters (ISO 3166-1 alpha-2)")
    country = country.upper()
    today = today or dt.date.today()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    paths = {n: out / n for n in ("cvca.cvcert", "dv.cvcert", "is.cvcert", "cvca.key.pem",
                                  "dv.key.pem", "is.key.pem")}
    if cvca_from is not None:
        src = Path(cvca_from)
        cvca_cert = (src / "cvca.cvcert").read_bytes()
        cvca_priv = serialization.load_pem_private_key((src / "cvca.key.pem").read_bytes(), None)
        parsed = cvc.parse_certificate(cvca_cert)
        cvca_chr, cvca_oid = parsed.chr, parsed.public_key.oid
        country = cvca_chr[:2]
    else:
        cvca_priv = ec.generate_private_key(_CURVES[curve]())
        cvca_chr = f"{country}CVCA{serial:05d}"
        cvca_oid = ta_oid_for(cvca_priv.public_key())
        cvca_cert = issue_certificate(
            signer=SoftwareKey(cvca_priv), signer_oid=cvca_oid, car=cvca_chr,
            holder_key=cvca_priv.public_key(), chr=cvca_chr, role="cvca", effective=today,
            expiration=_add_years(today, cvca_years))
    dv_priv = ec.generate_private_key(cvca_priv.curve)
    dv_chr = f"{country}DVBANK{serial:05d}"
    dv_cert = issue_certificate(
        signer=SoftwareKey(cvca_priv), signer_oid=cvca_oid, car=cvca_chr,
        holder_key=dv_priv.public_key(), chr=dv_chr, role="dv_domestic", effective=today,
        expiration=_add_years(today, dv_years))
    if is_key is None:
        is_priv = ec.generate_private_key(cvca_priv.curve)
        is_key = SoftwareKey(is_priv)
        _write_private(paths["is.key.pem"], _pem(is_priv))
    is_cert = issue_certificate(
        signer=SoftwareKey(dv_priv), signer_oid=cvca_oid, car=dv_chr,
        holder_key=is_key.public_key(), chr=f"{country}ISDESK{serial:05d}", role="terminal",
        effective=is_effective or today,
        expiration=is_expiration or today + dt.timedelta(days=is_days), dg3=dg3, dg4=dg4)
    paths["cvca.cvcert"].write_bytes(cvca_cert)
    paths["dv.cvcert"].write_bytes(dv_cert)
    paths["is.cvcert"].write_bytes(is_cert)
    _write_private(paths["cvca.key.pem"], _pem(cvca_priv))
    _write_private(paths["dv.key.pem"], _pem(dv_priv))
    return TestChain(out, paths["cvca.cvcert"], paths["dv.cvcert"], paths["is.cvcert"],
                     paths["is.key.pem"], paths["cvca.key.pem"], paths["dv.key.pem"])


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --- loading and ordering --------------------------------------------------------------------------


def load_chain(paths: list[str | Path]) -> list[cvc.CVCertificate]:
    """CV certificates from files and folders (folders: *.cvcert, *.cvc, *.cv, *.der, *.bin)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix.lower() in CV_SUFFIXES)
        elif p.exists():
            files.append(p)
        else:
            raise ChainError(f"terminal chain: {p} does not exist")
    if not files:
        raise ChainError("terminal chain: no CV certificate files found")
    if len(files) > MAX_CHAIN_FILES:
        raise ChainError(f"terminal chain: more than {MAX_CHAIN_FILES} files")
    certs = []
    for f in files:
        try:
            certs.append(cvc.parse_certificate(f.read_bytes()))
        except ParseError as exc:
            raise ChainError(f"terminal chain: {f.name} is not a CV certificate ({exc})") from None
    return certs


def terminal_certificate(certs: list[cvc.CVCertificate]) -> cvc.CVCertificate:
    terminals = [c for c in certs if c.role == "terminal"]
    if len(terminals) != 1:
        raise ChainError("the terminal chain must hold exactly one inspection-system "
                         f"certificate (found {len(terminals)})")
    return terminals[0]


def chain_for(certs: list[cvc.CVCertificate], trusted_cars: list[str]) -> list[cvc.CVCertificate]:
    """The certificates to submit, in order, for a chip that trusts the CVCA keys `trusted_cars`:
    link certificates (if any), the DV certificate, the IS certificate. Raises ChainError when the
    chain does not lead back to any of them."""
    is_cert = terminal_certificate(certs)
    by_chr = {c.chr: c for c in certs if not c.is_self_signed}
    path = [is_cert]
    seen = {is_cert.chr}
    current = is_cert
    while current.car not in trusted_cars:
        issuer = by_chr.get(current.car)
        if issuer is None or issuer.chr in seen:
            root = current.car
            raise ChainError(f"the terminal chain leads to CVCA {root}, but the chip trusts only "
                             f"{', '.join(trusted_cars) or 'no CVCA'}: use a chain from the "
                             "chip's issuing state")
        path.append(issuer)
        seen.add(issuer.chr)
        current = issuer
        if len(path) > 8:
            raise ChainError("the terminal chain is longer than 8 certificates")
    return list(reversed(path))


def verify_signed_by(cert: cvc.CVCertificate, issuer_key: cvc.CVPublicKey) -> bool:
    """True when `issuer_key` (domain-complete) signed `cert`."""
    try:
        key = cvc.public_key_object(issuer_key)
    except (ParseError, ValueError):
        return False
    return cvc.verify_signature(issuer_key.oid, key, cert.body, cert.signature)


def verify_chain(chain: list[cvc.CVCertificate], anchor: cvc.CVCertificate,
                 today: dt.date | None = None) -> list[str]:
    """Check `chain` (issuer first) against the trusted CVCA `anchor`; problems as sentences."""
    problems = []
    key = anchor.public_key
    domain = anchor.public_key
    name = anchor.chr
    today = today or dt.date.today()
    for cert in chain:
        if cert.car != name:
            problems.append(f"{cert.chr} is issued by {cert.car}, expected {name}")
            break
        if not verify_signed_by(cert, key.with_domain(domain)):
            problems.append(f"the signature on {cert.chr} does not verify with {name}'s key")
            break
        if cert.expiration < today:
            problems.append(f"{cert.chr} expired on {cert.expiration.isoformat()}")
        if cert.effective > today:
            problems.append(f"{cert.chr} is not valid before {cert.effective.isoformat()}")
        if cert.public_key.has_domain_parameters:
            domain = cert.public_key
        key, name = cert.public_key, cert.chr
    return problems


__all__ = ["ChainError", "TestChain", "chain_for", "domain_objects", "issue_certificate",
           "load_chain", "make_request", "make_test_chain", "terminal_certificate",
           "verify_chain", "verify_signed_by"]
