"""Passive-authentication benchmark: verifications per second per core on chip dumps.

Dumps are the virtual card's personas (cardkit.sim, exported test PKI + CRL): `default`
(RSA-2048 DSC), `jp2` (ECDSA P-256 DSC), `ecdsa-dsc` (ECDSA brainpoolP256r1 DSC), each with
DG1/2/3/13/14/15 and a CSCA RSA-3072. With ../shared present, the BSI 2008 reference passport
(ECDSA brainpoolP224r1 with explicit parameters: pure-Python verification) is measured as well.

For each it prints full `verify_passive` throughput on one core (warm: certificate and key caches
hot, as a server verifying many documents of the same DSC; cold: caches cleared every time) and
the split of one verification into parse / hash / signature / chain / CRL.

Beside it, in the same run and interleaved with it (the machine is shared: rounds alternate and
the best round of each side is kept), a **minimal reference** doing the same checks with
asn1crypto (CMS) + cryptography (X.509, signatures, CRL): parse EF.SOD, hash every data group,
check content-type and message-digest, verify the SOD signature with the DSC from the SOD, find
the CSCA by issuer name and verify the DSC signature, check both validity periods, look the DSC
up in a CRL that was parsed and signature-checked once at load (as cardkit does per trust-store
load). The ratio printed is time per verification, cardkit / reference (goal <= 1.2).

    python bench/pa_bench.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from asn1crypto import algos, cms, core
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from cardkit.lds.sod import ID_LDS_SECURITY_OBJECT, parse_sod
from cardkit.security import certs, crl, signature
from cardkit.security.crl import check_revocation, load_crl_paths
from cardkit.security.passive import _dg_check, verify_passive
from cardkit.security.trust import TrustStore

GOALS = {"RSA-2048 DSC": 2000, "ECDSA brainpoolP256r1 DSC": 1400}
MAX_RATIO = 1.2


# --- the minimal reference ----------------------------------------------------------------------

class _DGHash(core.Sequence):
    _fields = [("n", core.Integer), ("value", core.OctetString)]


class _LSO(core.Sequence):
    _fields = [("version", core.Integer), ("hash", algos.DigestAlgorithm),
               ("hashes", core.SequenceOf, {"spec": _DGHash}),
               ("info", core.Any, {"optional": True})]


_HASH = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
         "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class Reference:
    """Passive authentication in a few lines of asn1crypto + cryptography (named curves and RSA
    PKCS#1 v1.5 only; no explicit EC parameters, no reasons — a bool)."""

    def __init__(self, csca_ders: list[bytes], crl_ders: list[bytes]) -> None:
        self.cscas: dict[bytes, list[x509.Certificate]] = {}
        for d in csca_ders:
            c = x509.load_der_x509_certificate(d)
            self.cscas.setdefault(c.subject.public_bytes(), []).append(c)
        self.crls: dict[bytes, list[x509.CertificateRevocationList]] = {}
        for d in crl_ders:  # parsed and signature-checked once, at load
            cl = x509.load_der_x509_crl(d)
            key = cl.issuer.public_bytes()
            if any(cl.is_signature_valid(ca.public_key()) for ca in self.cscas.get(key, [])):
                self.crls.setdefault(key, []).append(cl)

    def verify(self, files: dict[str, bytes], now: dt.datetime) -> bool:
        sod = files["SOD"]
        outer = core.load(sod)  # [APPLICATION 23] around the ContentInfo
        signed = cms.ContentInfo.load(outer.contents)["content"]
        econtent = signed["encap_content_info"]["content"].contents
        lso = _LSO.load(econtent)
        dg_alg = lso["hash"]["algorithm"].native
        for item in lso["hashes"]:
            data = files.get(f"DG{item['n'].native}")
            if data is not None and not hmac.compare_digest(
                    hashlib.new(dg_alg, data).digest(), item["value"].native):
                return False
        si = signed["signer_infos"][0]
        digest = si["digest_algorithm"]["algorithm"].native
        attrs = si["signed_attrs"]
        md = ct = None
        for attr in attrs:
            if attr["type"].native == "message_digest":
                md = attr["values"][0].native
            elif attr["type"].native == "content_type":
                ct = attr["values"][0].dotted
        if ct != ID_LDS_SECURITY_OBJECT or md != hashlib.new(digest, econtent).digest():
            return False
        dsc = x509.load_der_x509_certificate(signed["certificates"][0].chosen.dump())
        sid = si["sid"].chosen
        if (sid["serial_number"].native != dsc.serial_number
                or sid["issuer"].dump() != dsc.issuer.public_bytes()):
            return False
        key = dsc.public_key()
        try:
            signed_bytes = b"\x31" + attrs.dump()[1:]
            sig = si["signature"].native
            if isinstance(key, rsa.RSAPublicKey):
                key.verify(sig, signed_bytes, padding.PKCS1v15(), _HASH[digest]())
            else:
                assert isinstance(key, ec.EllipticCurvePublicKey)
                key.verify(sig, signed_bytes, ec.ECDSA(_HASH[digest]()))
            issuers = self.cscas.get(dsc.issuer.public_bytes(), [])
            csca = None
            for ca in issuers:
                try:
                    dsc.verify_directly_issued_by(ca)
                    csca = ca
                    break
                except (InvalidSignature, ValueError):
                    continue
        except InvalidSignature:
            return False
        if csca is None:
            return False
        for c in (dsc, csca):
            if not c.not_valid_before_utc <= now <= c.not_valid_after_utc:
                return False
        crls = self.crls.get(dsc.issuer.public_bytes(), [])
        current = [c for c in crls if c.last_update_utc <= now
                   and (c.next_update_utc is None or now <= c.next_update_utc)]
        if not current:
            return False
        return all(c.get_revoked_certificate_by_serial_number(dsc.serial_number) is None
                   for c in current)


def rate(fn: Callable[[], object], seconds: float) -> tuple[float, float]:
    """(calls per second, mean seconds per call) over about `seconds` of wall time."""
    fn()
    n = 0
    start = time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed, elapsed / n


def cpu_rate(fn: Callable[[], object], seconds: float) -> tuple[float, float]:
    """(calls per CPU-second of this process, calls per wall second) over about `seconds` of
    wall time. CPU time is what "on one core" means on a machine shared with other work."""
    fn()
    n = 0
    start, cpu0 = time.perf_counter(), time.process_time()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / max(time.process_time() - cpu0, 1e-9), n / elapsed


def split(files: dict[str, bytes], store: TrustStore | None, crls: list, seconds: float
          ) -> dict[str, float]:
    """Mean milliseconds of each stage (cold key cache for signature and chain)."""
    sod = parse_sod(files["SOD"])
    dsc = certs.load_certificate(sod.certificates[0])
    si = sod.signer_infos[0]
    spki = certs.spki(dsc)

    def parse() -> None:
        s = parse_sod(files["SOD"])
        certs.load_certificate(s.certificates[0])

    def sig() -> None:
        signature.load_public_key.cache_clear()
        signature.verify_signer_info(si, sod.encap_content, ID_LDS_SECURITY_OBJECT, spki)

    def chain() -> None:
        signature.load_public_key.cache_clear()
        if store is not None:
            store.find_issuer(dsc)

    csca = store.find_issuer(dsc)[0] if store is not None else None
    now = dt.datetime.now(dt.timezone.utc)
    out = {
        "parse": rate(parse, seconds)[1],
        "hash": rate(lambda: _dg_check(sod, files), seconds)[1],
        "signature": rate(sig, seconds)[1],
        "chain": rate(chain, seconds)[1],
        "crl": rate(lambda: check_revocation(dsc, csca, crls, now), seconds)[1],
    }
    return {k: v * 1000 for k, v in out.items()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = ap.parse_args(argv)

    from cardkit.sim.personas import get_persona
    from cardkit.sim.pki import export_pki

    cases: list[tuple[str, dict[str, bytes], TrustStore | None, list]] = []
    with tempfile.TemporaryDirectory() as tmp:
        export_pki(tmp)
        store = TrustStore.load(Path(tmp) / "csca.pem")
        crls = load_crl_paths([Path(tmp) / "crl.der"])
    for label, persona in (("RSA-2048 DSC", "default"), ("ECDSA P-256 DSC", "jp2"),
                           ("ECDSA brainpoolP256r1 DSC", "ecdsa-dsc")):
        cases.append((label, dict(get_persona(persona).files), store, crls))
    bsi = Path(__file__).resolve().parents[2] / "shared" / "interop" / "bsi2008"
    if bsi.is_dir():
        files = {"SOD": (bsi / "EF_SOD.bin").read_bytes()}
        for n in (1, 2, 3, 4, 14, 15):
            files[f"DG{n}"] = (bsi / f"Datagroup{n}.bin").read_bytes()
        cases.append(("BSI 2008, explicit brainpoolP224r1 (pure Python)", files, None, []))

    print("Passive authentication, verifications per CPU-second on one core (best of "
          "interleaved rounds; wall = per wall second, lower when the shared machine is busy)")
    print(f"{'case':<50} {'KB':>5} {'warm/s':>8} {'wall/s':>7} {'cold/s':>8} {'ref/s':>8} "
          f"{'ratio':>6} {'goal':>10}   split ms: parse / hash / signature / chain / crl")
    for label, files, trust, crl_list in cases:
        size = sum(len(v) for v in files.values()) / 1024
        result = verify_passive(files, trust=trust, crls=crl_list)
        now = dt.datetime.now(dt.timezone.utc)

        def full(files=files, trust=trust, crl_list=crl_list) -> None:
            verify_passive(files, trust=trust, crls=crl_list)

        def cold(files=files, trust=trust, crl_list=crl_list) -> None:
            signature.load_public_key.cache_clear()
            certs.clear_caches()
            crl.clear_cache()
            verify_passive(files, trust=trust, crls=crl_list)

        ref = None
        if trust is not None:
            ref = Reference([c.dump() for c in trust.certificates], [c.der for c in crl_list])
            if not ref.verify(files, now) or result.overall.state.value != "valid":
                raise SystemExit(f"{label}: reference and cardkit disagree")
            forged = dict(files, DG1=files["DG1"][:-1] + bytes([files["DG1"][-1] ^ 1]))
            if ref.verify(forged, now) or verify_passive(forged, trust=trust, crls=crl_list
                                                         ).overall.state.value != "invalid":
                raise SystemExit(f"{label}: a forged DG1 was not rejected")
        rounds = 3
        warm_rate = ref_rate = warm_wall = 0.0
        for _ in range(rounds):  # interleave: both sides see the same machine load
            cpu, wall = cpu_rate(full, args.seconds / rounds)
            warm_rate, warm_wall = max(warm_rate, cpu), max(warm_wall, wall)
            if ref is not None:
                ref_rate = max(ref_rate, cpu_rate(lambda f=files, r=ref, t=now: r.verify(f, t),
                                                  args.seconds / rounds)[0])
        cold_rate = cpu_rate(cold, args.seconds / 2)[0]
        s = split(files, trust, crl_list, args.seconds / 2)
        ratio = f"{ref_rate / warm_rate:6.2f}" if ref is not None else f"{'n/a':>6}"
        goal = GOALS.get(label)
        verdict = ""
        if goal is not None:
            met = warm_rate >= goal and ref is not None and ref_rate / warm_rate <= MAX_RATIO
            verdict = f"{'met' if met else 'MISSED'} {goal}"
        print(f"{label:<50} {size:>5.1f} {warm_rate:>8.0f} {warm_wall:>7.0f} {cold_rate:>8.0f} "
              f"{ref_rate if ref is not None else float('nan'):>8.0f} {ratio} {verdict:>10}   "
              f"{s['parse']:.2f} / {s['hash']:.2f} / {s['signature']:.2f} / {s['chain']:.2f} / "
              f"{s['crl']:.2f}   [{result.overall.state.value}]")
    print(f"ratio = time per verification cardkit / reference (goal <= {MAX_RATIO}); goal = "
          f"verifications/s on one core, and the ratio")


if __name__ == "__main__":
    main()
