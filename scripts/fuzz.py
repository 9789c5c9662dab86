"""Fuzz every parser cardkit applies to bytes it does not control (issue 11).

One hypothesis target per parser: TLV, EF.COM, DG1, DG2, DG3, DG13, DG14, DG15, EF.CardAccess,
EF.SOD, `verify_passive` as a whole, CSCA master lists and fixture files. Inputs are random bytes
and mutations (flips, cuts, insertions, length-field edits) of genuine samples from the virtual
card, so the fuzzer reaches deep structure. Only cardkit's own exceptions (CardkitError) may
escape; each input runs under a time bound (SIGALRM) and the process under a memory bound
(RLIMIT_AS), so a hang or a memory bomb is a failure too.

    python scripts/fuzz.py --seconds 60            # total budget, shared by the targets
    python scripts/fuzz.py --seconds 600 dg2 sod   # chosen targets only

`make test` runs it with a small budget (tests/robust/test_fuzz.py), `make fuzz` with a long one.
Exit status 0 when no target failed; a failure prints the input (hex) that broke it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cardkit.errors import CardkitError  # noqa: E402

PER_INPUT_SECONDS = 5.0
MEMORY_LIMIT = 3 << 30  # address space of this process; a decompression bomb hits it


class Hang(Exception):
    """An input ran past PER_INPUT_SECONDS."""


def _alarm(signum: int, frame: object) -> None:
    raise Hang(f"one input ran longer than {PER_INPUT_SECONDS} s")


@dataclass
class Target:
    name: str
    run: Callable[[bytes], object]
    seeds: list[bytes]


def _seeds() -> dict[str, list[bytes]]:
    from cardkit.sim.personas import get_persona

    files = dict(get_persona("default").files)
    pace = dict(get_persona("pace").files)
    return {"COM": [files["COM"]], "DG1": [files["DG1"]], "DG2": [files["DG2"]],
            "DG3": [files["DG3"]], "DG13": [files["DG13"]], "DG14": [files["DG14"],
                                                                      pace["DG14"]],
            "DG15": [files["DG15"], pace["DG15"]], "CardAccess": [pace["CardAccess"]],
            "SOD": [files["SOD"]]}


def _master_list() -> bytes:
    from asn1crypto import x509 as ax509
    from cryptography.hazmat.primitives import serialization

    from cardkit.security.masterlist import ID_ICAO_CSCA_MASTER_LIST, CscaMasterListAsn1
    from cardkit.sim import pki
    from cardkit.sim.issuer import sign_cms

    csca = ax509.Certificate.load(pki.csca_certificate().public_bytes(serialization.Encoding.DER))
    body = CscaMasterListAsn1({"version": 0, "cert_list": [csca]}).dump()
    return sign_cms(body, pki.dsc("rsa"), econtent_type=ID_ICAO_CSCA_MASTER_LIST)


def targets() -> list[Target]:
    from cardkit.lds import tlv
    from cardkit.lds.card_access import parse_card_access
    from cardkit.lds.com import parse_com
    from cardkit.lds.dg1 import parse_dg1
    from cardkit.lds.dg2 import parse_dg2
    from cardkit.lds.dg3 import parse_dg3
    from cardkit.lds.dg13 import parse_dg13
    from cardkit.lds.dg14 import parse_dg14
    from cardkit.lds.dg15 import parse_dg15
    from cardkit.lds.sod import parse_sod
    from cardkit.security.masterlist import parse_master_list
    from cardkit.security.passive import verify_passive
    from cardkit.security.trust import TrustStore
    from cardkit.sim.personas import get_persona
    from cardkit.sim.pki import sim_trust_paths
    from cardkit.transport.fixtures import load_fixture

    seeds = _seeds()
    files = dict(get_persona("default").files)
    trust = TrustStore.from_paths(sim_trust_paths())

    def all_tlv(data: bytes) -> None:
        for t in tlv.iter_tlv(data):
            if t.constructed:
                t.children()

    def passive(data: bytes) -> None:
        # the input replaces EF.SOD, or (after a marker byte) one data group
        if data[:1] == b"\x01" and len(data) > 1:
            name = ("DG1", "DG2", "DG13", "DG14", "DG15")[data[1] % 5]
            result = verify_passive({**files, name: data[2:]}, trust=trust)
        else:
            result = verify_passive({**files, "SOD": data}, trust=trust)
        result.summary_line()
        result.to_dict()

    fixture_text = (ROOT / "fixtures" / "default-bac.json").read_bytes()
    tmp = Path(tempfile.mkdtemp(prefix="cardkit-fuzz-"))

    def fixture(data: bytes) -> None:
        path = tmp / "f.json"
        path.write_bytes(data)
        load_fixture(path)

    return [
        Target("tlv", all_tlv, [files["DG13"], files["SOD"][:400]]),
        Target("com", parse_com, seeds["COM"]),
        Target("dg1", parse_dg1, seeds["DG1"]),
        Target("dg2", parse_dg2, seeds["DG2"]),
        Target("dg3", parse_dg3, seeds["DG3"]),
        Target("dg13", parse_dg13, seeds["DG13"]),
        Target("dg14", parse_dg14, seeds["DG14"]),
        Target("dg15", parse_dg15, seeds["DG15"]),
        Target("card_access", parse_card_access, seeds["CardAccess"]),
        Target("sod", parse_sod, seeds["SOD"]),
        Target("verify_passive", passive, seeds["SOD"]),
        Target("master_list", lambda d: parse_master_list(d), [_master_list()]),
        Target("fixture", fixture, [fixture_text, _fixture_variant(fixture_text)]),
    ]


def _fixture_variant(text: bytes) -> bytes:
    doc = json.loads(text)
    doc["exchanges"] = doc["exchanges"][:3]
    return json.dumps(doc).encode()


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A genuine sample with a few edits: byte changes, a cut, an insertion, a length change."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["set", "cut", "insert", "delete", "len"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if kind == "set":
            data[i] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[i:]
        elif kind == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[i:i + draw(st.integers(1, 16))]
        else:  # a length byte made large: 0x81..0x84 followed by big values
            n = draw(st.integers(1, 4))
            data[i:i + 1] = bytes([0x80 | n]) + b"\xff" * n
    return bytes(data)


def inputs(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(mutated(seeds), st.binary(max_size=512))


def run_target(target: Target, seconds: float, log: Callable[[str], None]) -> bool:
    """Fuzz one target for about `seconds`; True when nothing but CardkitError escaped."""
    deadline = time.monotonic() + seconds
    examples = 0

    @settings(max_examples=40, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(inputs(target.seeds))
    def check(data: bytes) -> None:
        nonlocal examples
        examples += 1
        signal.setitimer(signal.ITIMER_REAL, PER_INPUT_SECONDS)
        try:
            target.run(data)
        except CardkitError:
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    started = time.monotonic()
    try:
        while time.monotonic() < deadline:
            check()
    except Exception:  # noqa: BLE001 — the falsifying example is in the traceback
        log(f"FAIL {target.name} after {examples} inputs:\n{traceback.format_exc()}")
        return False
    log(f"ok   {target.name:<15} {examples:>6} inputs in {time.monotonic() - started:.1f} s")
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="total time budget")
    ap.add_argument("names", nargs="*", help="targets (default: all)")
    args = ap.parse_args(argv)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    signal.signal(signal.SIGALRM, _alarm)
    chosen = [t for t in targets() if not args.names or t.name in args.names]
    if not chosen:
        print(f"no such target: {' '.join(args.names)}", file=sys.stderr)
        return 2
    each = args.seconds / len(chosen)
    ok = all([run_target(t, each, lambda s: print(s, flush=True)) for t in chosen])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{'all targets passed' if ok else 'FAILURES'}; peak memory {peak} MB", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
