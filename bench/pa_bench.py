"""Passive-authentication benchmark: verifications per second per core on chip dumps.

Dumps are the virtual card's personas (cardkit.sim, exported test PKI + CRL): `default`
(RSA-2048 DSC), `jp2` (ECDSA P-256 DSC), `ecdsa-dsc` (ECDSA brainpoolP256r1 DSC), each with
DG1/2/3/13/14/15 and a CSCA RSA-3072. With ../shared present, the BSI 2008 reference passport
(ECDSA brainpoolP224r1 with explicit parameters: pure-Python verification) is measured as well.

For each it prints full `verify_passive` throughput on one core (warm: public-key cache hot, as a
server verifying many documents of the same DSC; cold: cache cleared every time) and the split of
one verification into parse / hash / signature / chain / CRL.

    python bench/pa_bench.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cardkit.lds.sod import ID_LDS_SECURITY_OBJECT, parse_sod
from cardkit.security import certs, signature
from cardkit.security.crl import check_revocation, load_crl_paths
from cardkit.security.passive import _dg_check, verify_passive
from cardkit.security.trust import TrustStore


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

    print(f"{'case':<50} {'KB':>5} {'warm/s':>8} {'cold/s':>8}   split ms: parse / hash / "
          f"signature / chain / crl")
    for label, files, trust, crl_list in cases:
        size = sum(len(v) for v in files.values()) / 1024
        result = verify_passive(files, trust=trust, crls=crl_list)

        def full(files=files, trust=trust, crl_list=crl_list) -> None:
            verify_passive(files, trust=trust, crls=crl_list)

        def cold(files=files, trust=trust, crl_list=crl_list) -> None:
            signature.load_public_key.cache_clear()
            verify_passive(files, trust=trust, crls=crl_list)

        warm_rate = rate(full, args.seconds)[0]
        cold_rate = rate(cold, args.seconds)[0]
        s = split(files, trust, crl_list, args.seconds / 2)
        print(f"{label:<50} {size:>5.1f} {warm_rate:>8.0f} {cold_rate:>8.0f}   "
              f"{s['parse']:.2f} / {s['hash']:.2f} / {s['signature']:.2f} / {s['chain']:.2f} / "
              f"{s['crl']:.2f}   [{result.overall.state.value}]")


if __name__ == "__main__":
    main()
