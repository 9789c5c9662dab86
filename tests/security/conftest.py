"""A test PKI built with the OpenSSL command line (independent of cardkit's own code).

CSCAs: `csca` (RSA-2048, C=VN), `csca_ec` (brainpoolP256r1 with explicit parameters, C=ZZ),
`rogue` (a different RSA key under the *same name* as `csca`, never trusted), `csca_new` (a new key
for `csca`'s name, reachable only through the link certificate `link` signed by the old key).
DSCs (issued with `openssl ca`): rsa, p256, bp256 (explicit parameters), pss (RSA-PSS
signatures), expired, revoked (in `crl.der`), ec_ca (issued by csca_ec), rogue, new (by csca_new).
SODs are signed with `openssl cms -sign -econtent_type 2.23.136.1.1.1`; the master list with
`-econtent_type 2.23.136.1.1.2` by a master-list signer issued by `csca`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import algos, core

from tests.conftest import need

# verification time: the CSCAs and the CRL are made "now" by openssl, the DSCs run 2025-2040
AT = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=1)

CA_CNF = """
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
default_crl_days = 3650
[ policy_any ]
countryName = optional
organizationName = optional
commonName = supplied
[ dsc_ext ]
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ link_ext ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ crl_ext ]
authorityKeyIdentifier = keyid
"""


def openssl(*args: str, cwd: Path, stdin: bytes | None = None) -> bytes:
    proc = subprocess.run(["openssl", *args], cwd=cwd, input=stdin, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {proc.stderr.decode()[-800:]}")
    return proc.stdout


def tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + value


def sample_files() -> dict[str, bytes]:
    """Synthetic data groups (made-up holder)."""
    mrz = (b"IDVNM0930000011001093000001<<2" b"9301054M3301052VNM<<<<<<<<<<<8"
           b"NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<")
    dg1 = tlv(0x61, b"\x5f\x1f" + bytes([len(mrz)]) + mrz)
    dg2 = tlv(0x75, b"\x7f\x61" + b"\x82\x01\x00" + bytes(range(256)))
    dg13 = tlv(0x6D, tlv(0x30, b"\x02\x01\x02" + tlv(0x0C, "NGUYỄN VĂN AN".encode())))
    return {"DG1": dg1, "DG2": dg2, "DG13": dg13}


class _DGHash(core.Sequence):
    _fields = [("n", core.Integer), ("h", core.OctetString)]


class _DGHashes(core.SequenceOf):
    _child_spec = _DGHash


class _LSO(core.Sequence):
    _fields = [("version", core.Integer), ("alg", algos.DigestAlgorithm), ("hashes", _DGHashes)]


def lds_security_object(files: dict[str, bytes], digest: str) -> bytes:
    hashes = [{"n": int(k[2:]), "h": hashlib.new(digest, v).digest()}
              for k, v in sorted(files.items()) if k.startswith("DG")]
    return _LSO({"version": 0, "alg": {"algorithm": digest}, "hashes": hashes}).dump()


class _CertSet(core.SetOf):
    _child_spec = core.Any


class _ML(core.Sequence):
    _fields = [("version", core.Integer), ("certs", _CertSet)]


@dataclass
class Pki:
    root: Path

    def p(self, name: str) -> Path:
        return self.root / name

    def der(self, name: str) -> bytes:
        return openssl("x509", "-in", str(self.p(f"{name}.pem")), "-outform", "DER", cwd=self.root)

    def sign_sod(self, dsc: str, files: dict[str, bytes], digest: str = "sha256",
                 pss: bool = False) -> bytes:
        """EF.SOD signed by `openssl cms` with the DSC's key (tag 77 around the ContentInfo)."""
        lso = lds_security_object(files, digest)
        args = ["cms", "-sign", "-binary", "-nodetach", "-outform", "DER",
                "-econtent_type", "2.23.136.1.1.1", "-signer", f"dsc-{dsc}.pem",
                "-inkey", f"dsc-{dsc}.key", "-md", digest, "-nosmimecap"]
        if pss:
            args += ["-keyopt", "rsa_padding_mode:pss"]
        return tlv(0x77, openssl(*args, cwd=self.root, stdin=lso))

    def files_for(self, dsc: str, **kw: object) -> dict[str, bytes]:
        files = sample_files()
        files["SOD"] = self.sign_sod(dsc, files, **kw)  # type: ignore[arg-type]
        return files


def _req_ca(root: Path, name: str, subj: str, key_args: list[str]) -> None:
    if key_args[0] == "ec":
        openssl("ecparam", "-name", key_args[1], "-param_enc", "explicit", "-genkey", "-noout",
                "-out", f"{name}.key", cwd=root)
    else:
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", f"{name}.key", cwd=root)
    openssl("req", "-x509", "-new", "-key", f"{name}.key", "-subj", subj, "-sha256",
            "-days", "7300", "-set_serial", "1",
            "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-addext", "subjectKeyIdentifier=hash",
            "-out", f"{name}.pem", cwd=root)
    d = root / f"ca-{name}"
    (d / "newcerts").mkdir(parents=True)
    (d / "index.txt").write_text("")
    (d / "serial").write_text("1000\n")
    (d / "crlnumber").write_text("01\n")
    (d / "ca.cnf").write_text(CA_CNF.format(dir=d))


def _issue(root: Path, ca: str, name: str, subj: str, key: list[str], *,
           start: str = "20250101000000Z", end: str = "20400101000000Z",
           ext: str = "dsc_ext", existing_key: str | None = None, pss: bool = False) -> None:
    keyfile = existing_key or f"{name}.key"
    if existing_key is None:
        if key[0] == "ec":
            args = ["ecparam", "-name", key[1], "-genkey", "-noout", "-out", keyfile]
            if len(key) > 2:
                args[3:3] = ["-param_enc", "explicit"]
            openssl(*args, cwd=root)
        else:
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", keyfile, cwd=root)
    openssl("req", "-new", "-key", keyfile, "-subj", subj, "-out", f"{name}.csr", cwd=root)
    args = ["ca", "-config", str(root / f"ca-{ca}" / "ca.cnf"), "-batch", "-notext",
            "-preserveDN", "-cert", f"{ca}.pem", "-keyfile", f"{ca}.key", "-in", f"{name}.csr",
            "-out", f"{name}.pem", "-startdate", start, "-enddate", end, "-extensions", ext]
    if pss:
        args += ["-sigopt", "rsa_padding_mode:pss"]
    openssl(*args, cwd=root)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    need(shutil.which("openssl") is not None, "openssl command line not installed")
    root = tmp_path_factory.mktemp("pki")
    org = "/O=CardKit test - not a state"
    _req_ca(root, "csca", f"/C=VN{org}/CN=Test CSCA Vietnam", ["rsa"])
    _req_ca(root, "csca_ec", f"/C=ZZ{org}/CN=Test CSCA EC", ["ec", "brainpoolP256r1"])
    _req_ca(root, "rogue", f"/C=VN{org}/CN=Test CSCA Vietnam", ["rsa"])
    _issue(root, "csca", "dsc-rsa", f"/C=VN{org}/CN=DS RSA", ["rsa"])
    _issue(root, "csca", "dsc-p256", f"/C=VN{org}/CN=DS P-256", ["ec", "prime256v1"])
    _issue(root, "csca", "dsc-bp256", f"/C=VN{org}/CN=DS brainpool",
           ["ec", "brainpoolP256r1", "explicit"])
    _issue(root, "csca", "dsc-pss", f"/C=VN{org}/CN=DS PSS", ["rsa"], pss=True)
    _issue(root, "csca", "dsc-expired", f"/C=VN{org}/CN=DS expired", ["rsa"],
           start="20200101000000Z", end="20210101000000Z")
    _issue(root, "csca", "dsc-revoked", f"/C=VN{org}/CN=DS revoked", ["rsa"])
    _issue(root, "csca_ec", "dsc-ec_ca", f"/C=ZZ{org}/CN=DS under EC CSCA", ["ec", "prime256v1"])
    _issue(root, "rogue", "dsc-rogue", f"/C=VN{org}/CN=DS RSA", ["rsa"])
    _issue(root, "csca", "mlsigner", f"/C=VN{org}/CN=Master List Signer", ["rsa"])
    # key rollover: a new CSCA key under the same name, linked from the old one
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
            "-out", "csca_new.key", cwd=root)
    _issue(root, "csca", "link", f"/C=VN{org}/CN=Test CSCA Vietnam", [],
           existing_key="csca_new.key", ext="link_ext", start="20250601000000Z",
           end="20450101000000Z")
    shutil.copy(root / "link.pem", root / "csca_new.pem")
    d = root / "ca-csca_new"
    (d / "newcerts").mkdir(parents=True)
    (d / "index.txt").write_text("")
    (d / "serial").write_text("5000\n")
    (d / "crlnumber").write_text("01\n")
    (d / "ca.cnf").write_text(CA_CNF.format(dir=d))
    _issue(root, "csca_new", "dsc-new", f"/C=VN{org}/CN=DS after rollover", ["rsa"])
    # CRL revoking dsc-revoked
    cnf = str(root / "ca-csca" / "ca.cnf")
    openssl("ca", "-config", cnf, "-cert", "csca.pem", "-keyfile", "csca.key",
            "-revoke", "dsc-revoked.pem", "-crl_reason", "keyCompromise", cwd=root)
    openssl("ca", "-config", cnf, "-cert", "csca.pem", "-keyfile", "csca.key", "-gencrl",
            "-crlexts", "crl_ext", "-crldays", "3650", "-out", "crl.pem", cwd=root)
    openssl("crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der", cwd=root)
    pki = Pki(root)
    # master list: CscaMasterList { v0, { csca, csca_ec, link } } signed by the ML signer
    ml_content = _ML({"version": 0, "certs": [core.Any.load(pki.der(n))
                                              for n in ("csca", "csca_ec", "link")]}).dump()
    (root / "ml.content").write_bytes(ml_content)
    openssl("cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-econtent_type",
            "2.23.136.1.1.2", "-signer", "mlsigner.pem", "-inkey", "mlsigner.key", "-md",
            "sha256", "-in", "ml.content", "-out", "test.ml", cwd=root)
    return pki


@pytest.fixture(scope="session")
def at() -> dt.datetime:
    return AT
