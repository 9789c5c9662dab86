"""The virtual card's test PKI: a CSCA, Document Signers (DSC) and a CRL (ICAO 9303-12 §5, §7).

TEST KEYS ONLY. The PEM files under cardkit/sim/data/ were generated once with
`python -m cardkit.sim.pki --regenerate` and are committed, so every run produces identical
certificates and (deterministic RSA PKCS#1 v1.5 / RFC 6979 ECDSA) identical SOD signatures.

- `csca`: "CN=CardKit Test CSCA, O=CardKit test PKI - not for production, C=VN" (RSA-3072),
  exported by `export_pki()` with the CRL;
- `csca-unexported`: a second CSCA that is never exported (for the `unknown-csca` persona);
- DSCs: `rsa` (RSA-2048, default), `p256` (ECDSA P-256), `bp256` (ECDSA brainpoolP256r1),
  `revoked` (RSA-2048, listed in the CRL), `unknown-csca` (RSA-2048, issued by `csca-unexported`).
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID

DATA_DIR = Path(__file__).resolve().parent / "data"
DSC_NAMES = ("rsa", "p256", "bp256", "revoked", "unknown-csca")
_NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
_CSCA_NOT_AFTER = dt.datetime(2045, 1, 1, tzinfo=dt.timezone.utc)
_DSC_NOT_AFTER = dt.datetime(2040, 1, 1, tzinfo=dt.timezone.utc)
_CRL_THIS_UPDATE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
_CRL_NEXT_UPDATE = dt.datetime(2045, 1, 1, tzinfo=dt.timezone.utc)
_REVOKED_ON = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)
_ORG = "CardKit test PKI - not for production"


@dataclass(frozen=True)
class Signer:
    """A Document Signer: certificate and (test) private key."""

    name: str
    certificate: x509.Certificate
    private_key: CertificateIssuerPrivateKeyTypes


def _name(cn: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORG),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _read_pem_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _read_pem_key(path: Path) -> CertificateIssuerPrivateKeyTypes:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return key  # type: ignore[return-value]


@cache
def csca_certificate(name: str = "csca") -> x509.Certificate:
    return _read_pem_cert(DATA_DIR / f"{name}.pem")


@cache
def dsc(name: str = "rsa") -> Signer:
    """Load a Document Signer by name (one of DSC_NAMES)."""
    if name not in DSC_NAMES:
        raise KeyError(f"unknown test DSC {name!r}; known: {', '.join(DSC_NAMES)}")
    return Signer(name, _read_pem_cert(DATA_DIR / f"dsc-{name}.pem"),
                  _read_pem_key(DATA_DIR / f"dsc-{name}.key.pem"))


def crl_der() -> bytes:
    return (DATA_DIR / "crl.der").read_bytes()


def export_pki(folder: str | Path) -> list[Path]:
    """Write the trust material a verifier needs (no keys): csca.pem, csca.der, crl.pem, crl.der.

    The `csca-unexported` certificate is deliberately not written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    cert = csca_certificate("csca")
    crl = x509.load_der_x509_crl(crl_der())
    items = {
        "csca.pem": cert.public_bytes(serialization.Encoding.PEM),
        "csca.der": cert.public_bytes(serialization.Encoding.DER),
        "crl.pem": crl.public_bytes(serialization.Encoding.PEM),
        "crl.der": crl.public_bytes(serialization.Encoding.DER),
    }
    written = []
    for fname, data in items.items():
        (out / fname).write_bytes(data)
        written.append(out / fname)
    return written


def sim_trust_paths() -> list[Path]:
    """The virtual card's TEST CSCA and CRL as files a TrustStore loads (never a real state's)."""
    return [DATA_DIR / "csca.pem", DATA_DIR / "crl.der"]


# --- one-time generation ------------------------------------------------------------------------


def _ski(key: CertificateIssuerPrivateKeyTypes) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())  # type: ignore[arg-type]


def _make_csca(cn: str, serial: int) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = _name(cn)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(serial)
        .not_valid_before(_NOT_BEFORE).not_valid_after(_CSCA_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                       critical=True)
        .add_extension(_ski(key), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _make_dsc(cn: str, serial: int, key: CertificateIssuerPrivateKeyTypes,
              issuer: x509.Certificate, issuer_key: rsa.RSAPrivateKey) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name(cn)).issuer_name(issuer.subject)
        .public_key(key.public_key()).serial_number(serial)  # type: ignore[arg-type]
        .not_valid_before(_NOT_BEFORE).not_valid_after(_DSC_NOT_AFTER)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                       critical=True)
        .add_extension(_ski(key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def regenerate(folder: Path = DATA_DIR) -> None:
    """Create a fresh test PKI (new keys!). Run once; commit the result."""
    folder.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    nopw = serialization.NoEncryption()
    pkcs8 = serialization.PrivateFormat.PKCS8

    def save(name: str, cert: x509.Certificate, key: CertificateIssuerPrivateKeyTypes) -> None:
        (folder / f"{name}.pem").write_bytes(cert.public_bytes(pem))
        (folder / f"{name}.key.pem").write_bytes(key.private_bytes(pem, pkcs8, nopw))

    csca, csca_key = _make_csca("CardKit Test CSCA", 0x0C5CA001)
    other, other_key = _make_csca("CardKit Test CSCA (not exported)", 0x0C5CA002)
    save("csca", csca, csca_key)
    save("csca-unexported", other, other_key)
    keys: dict[str, CertificateIssuerPrivateKeyTypes] = {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "bp256": ec.generate_private_key(ec.BrainpoolP256R1()),
        "revoked": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "unknown-csca": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }
    serials = {"rsa": 0xD5C001, "p256": 0xD5C002, "bp256": 0xD5C003, "revoked": 0xD5C004,
               "unknown-csca": 0xD5C005}
    for name, key in keys.items():
        issuer, issuer_key = (other, other_key) if name == "unknown-csca" else (csca, csca_key)
        cert = _make_dsc(f"CardKit Test DSC {name}", serials[name], key, issuer, issuer_key)
        save(f"dsc-{name}", cert, key)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(csca.subject)
        .last_update(_CRL_THIS_UPDATE).next_update(_CRL_NEXT_UPDATE)
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serials["revoked"])
            .revocation_date(_REVOKED_ON)
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build())
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            csca_key.public_key()), critical=False)
        .sign(csca_key, hashes.SHA256())
    )
    (folder / "crl.der").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    (folder / "README.txt").write_text(
        "TEST KEYS AND CERTIFICATES ONLY - cardkit's virtual card test PKI.\n"
        "Never trust these in production. Regenerate with: python -m cardkit.sim.pki "
        "--regenerate\n(new keys: every committed fixture signed with them changes).\n",
        encoding="ascii",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regenerate", action="store_true",
                        help="create new test keys and certificates in cardkit/sim/data/")
    parser.add_argument("--export", metavar="DIR", help="write the CSCA certificate and CRL")
    args = parser.parse_args(argv)
    if args.regenerate:
        regenerate()
        print(f"test PKI written to {DATA_DIR}")
    if args.export:
        for path in export_pki(args.export):
            print(path)
    if not (args.regenerate or args.export):
        parser.print_help()


if __name__ == "__main__":
    main()
