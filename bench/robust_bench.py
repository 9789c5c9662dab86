"""Hostile input and faults (issue 11): what `cardkit` says, its exit code, time and peak memory.

Each case runs the real command in a fresh child process (`python -c`, the CLI's main()) under
GNU time: wall seconds and the child's maximum resident set size. Prints a Markdown table.

    python bench/robust_bench.py            # every case
    python bench/robust_bench.py dsc-curve  # cases whose name contains the text
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

PERSONA = """
from cardkit.sim.personas import get_persona, register_persona
from tests.robust import hostile
register_persona("bench", "bench", lambda seed: {build})
"""

DUMP = """
import pathlib
from cardkit.dump import save_dump
from cardkit.sim.personas import get_persona
from tests.robust import hostile
files = {{k: v for k, v in get_persona("default").files.items()}}
{build}
save_dump(pathlib.Path({folder!r}), files)
"""


def cases(tmp: Path) -> list[tuple[str, str, str, list[str]]]:
    """(name, what the input or fault is, setup code, cardkit arguments)."""
    dump = str(tmp / "dump")
    faces = SHARED / "datasets" / "faces"
    bomb = tmp / "bomb.jp2"
    out = []

    def dsc(label: str, what: str, spki: str, alg: str, sig: str) -> None:
        build = (f"cert = hostile.certificate_with_key({spki})\n"
                 "from asn1crypto import algos\n"
                 f"sig = algos.DSASignature({{'r': {sig}, 's': {sig}}}).dump()\n"
                 "dgs = {k: v for k, v in files.items() if k.startswith('DG')}\n"
                 f"files['SOD'] = hostile.sod_with_certificate(dgs, cert, {alg!r}, sig)")
        out.append((label, what, DUMP.format(build=textwrap.indent(build, ""), folder=dump),
                    ["inspect", dump]))

    dsc("dsc-curve", "SOD whose DSC has an 11 KB made-up explicit EC curve (was 29-45 s)",
        "hostile.explicit_ec_spki(11213)", "sha256_ecdsa", "(1 << 11213) - 5")
    dsc("dsc-rsa16k", "SOD whose DSC has a 16384-bit RSA key",
        "__import__('cryptography.hazmat.primitives.asymmetric.rsa', fromlist=['x'])"
        ".RSAPublicNumbers(65537, (1 << 16383) | (1 << 5000) | 1).public_key().public_bytes("
        "__import__('cryptography.hazmat.primitives.serialization', fromlist=['x']).Encoding.DER,"
        "__import__('cryptography.hazmat.primitives.serialization', fromlist=['x'])"
        ".PublicFormat.SubjectPublicKeyInfo)", "sha256_rsa", "1")
    out.append(("sod-mutation", "genuine SOD, one byte of the signer's issuer name changed",
                DUMP.format(build="b = bytearray(files['SOD']); b[1377] ^= 0x01; "
                                  "files['SOD'] = bytes(b)", folder=dump),
                ["inspect", dump, "--trust", "sim-test"]))
    out.append(("jp2-bomb", "242-byte JPEG 2000 portrait declaring 20000×20000 (was 2.9 GB, 18 s)",
                "import sys; sys.path.insert(0, 'tests/robust')\n"
                "from test_image_limits import jp2_bomb\n"
                f"open({str(bomb)!r}, 'wb').write(jp2_bomb())",
                ["face", "compare", str(bomb), str(faces / "kit_harington/1.jpg")]))
    out.append(("dg14-curve", "DG14 whose CA key has p = 0 (re-signed SOD)",
                PERSONA.format(build="get_persona('default', seed).with_files(DG14=hostile."
                               "dg14_with_ca_params(hostile.explicit_ec_params_der(0, "
                               "base=b'\\x04')))"), ["read", "--sim", "bench"]))
    deep = tmp / "deep.json"
    out.append(("fixture-deep", "fixture JSON nested 100 000 deep",
                "import json; d = json.load(open('fixtures/default-bac.json'));"
                "d['meta']['description'] = 'X'; "
                f"open({str(deep)!r}, 'w').write(json.dumps(d).replace('\"X\"', '[' * 100000 "
                "+ ']' * 100000))", ["read", "--fixture", str(deep)]))
    typed = tmp / "typed.json"
    out.append(("fixture-types", "fixture with max_response \"abc\"",
                "import json; d = json.load(open('fixtures/default-bac.json'));"
                "d['transport']['max_response'] = 'abc'; "
                f"open({str(typed)!r}, 'w').write(json.dumps(d))",
                ["read", "--fixture", str(typed)]))
    out.append(("id-digits", "--id in Arabic-Indic digits", "",
                ["read", "--sim", "--id", "٠٠١٠٩٣٠٠٠٠٠١", "--dob", "05/01/1993",
                 "--expiry", "2033-01-05"]))
    out.append(("dob-future", "--dob in the future", "",
                ["read", "--sim", "--id", "001093000001", "--dob", "2099-01-05",
                 "--expiry", "2033-01-05"]))
    used = tmp / "used"
    out.append(("out-used", "--out into a folder holding another card's files",
                f"import pathlib; p = pathlib.Path({str(used)!r}); p.mkdir(exist_ok=True); "
                "(p / 'DG13.bin').write_bytes(b'x')", ["read", "--sim", "--out", str(used)]))
    out.append(("console-cp1258", "PYTHONIOENCODING=cp1258 (Vietnamese Windows console)", "",
                ["read", "--sim"]))
    out.append(("dg13-container", "DG13 fields inside SEQUENCE { version, field … }",
                PERSONA.format(build="get_persona('default', seed).with_files(DG13=__import__("
                               "'tests.robust.test_lenient_authenticated_data', fromlist=['x'])"
                               "._container_with_version())"), ["read", "--sim", "bench"]))
    out.append(("dg2-stray", "DG2 with one stray byte after the face image",
                PERSONA.format(build="get_persona('default', seed).with_files(DG2=__import__("
                               "'cardkit.lds.tlv', fromlist=['x']).encode(0x75, __import__("
                               "'cardkit.lds.tlv', fromlist=['x']).parse(get_persona('default')"
                               ".files['DG2'], 0x75).value + b'\\x00'))"),
                ["read", "--sim", "bench"]))
    out.append(("sm-ends", "chip: no extended length, 6700 ends SM, max Le 0xE7",
                PERSONA.format(build="get_persona('default', seed).with_quirks("
                               "extended_length=False, max_le=0xE7, end_sm_on_wrong_length=True)"),
                ["read", "--sim", "bench"]))
    out.append(("mac-ca-once", "one garbled MAC on Chip Authentication's proof",
                PERSONA.format(build="get_persona('default', seed).with_quirks("
                               "corrupt_mac_at=(31,))"), ["read", "--sim", "bench"]))
    out.append(("mac-ca-ga", "garbled MAC on GENERAL AUTHENTICATE (old keys)",
                PERSONA.format(build="get_persona('default', seed).with_quirks("
                               "corrupt_mac_at=(30,))"), ["read", "--sim", "bench"]))
    out.append(("clone", "clone: genuine data, other CA/AA keys", "",
                ["read", "--sim", "clone"]))
    out.append(("face-two-photos", "face compare of two photos of one person (d = 0.528)", "",
                ["face", "compare", str(faces / "alex_lacamoire/1.jpg"),
                 str(faces / "alex_lacamoire/3.png")]))
    return out


def run_case(setup: str, args: list[str], env: dict[str, str]) -> tuple[int, str, float, int]:
    """(exit code, first line said, wall seconds, peak RSS in KB) of one child run under GNU
    time (`-f "%e %M"`: elapsed seconds, maximum resident set size)."""
    code = setup + f"\nimport sys\nsys.argv = ['cardkit', *{args!r}]\n" \
        "from cardkit_cli.main import main\nmain()\n"
    stats = Path(tempfile.mkdtemp()) / "time"
    try:
        r = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", str(stats), sys.executable,
                            "-c", code], cwd=ROOT, env=env, capture_output=True, timeout=300)
        seconds, rss = stats.read_text().strip().splitlines()[-1].split()
    finally:
        shutil.rmtree(stats.parent, ignore_errors=True)
    enc = env.get("PYTHONIOENCODING", "utf-8")
    err = r.stderr.decode(enc, "replace").strip()
    out = r.stdout.decode(enc, "replace").strip()
    errs = [ln for ln in err.splitlines() if ln.startswith("cardkit:")]
    lines = [ln for ln in out.splitlines() if ln.strip()]
    if errs:
        said = errs[0]
    elif "compare" in args:
        said = " ".join(lines[:2])
    else:
        verdicts = [ln.strip() for ln in lines if re.match(r"^[A-Z][A-Z ]+( —|:)", ln.strip())]
        said = verdicts[-1] if verdicts else (lines[-1] if lines else "")
        warn = [ln for ln in lines if ln.startswith("Warning") and "TEST" not in ln]
        said += (" [" + warn[0].split(None, 1)[1] + "]") if warn else ""
    return r.returncode, said, float(seconds), int(rss)


def main() -> None:
    want = sys.argv[1:]
    tmp = Path(tempfile.mkdtemp(prefix="cardkit-robust-bench-"))
    rows = []
    try:
        for name, what, setup, args in cases(tmp):
            if want and not any(w in name for w in want):
                continue
            env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
            if name == "console-cp1258":
                env["PYTHONIOENCODING"] = "cp1258"
            code, said, seconds, rss = run_case(setup, args, env)
            rows.append((name, what, said, code, seconds, rss))
            shutil.rmtree(tmp / "dump", ignore_errors=True)
            shutil.rmtree(tmp / "used", ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("| input or fault | what cardkit says | exit | time | peak memory |")
    print("|---|---|---|---|---|")
    for _name, what, said, code, seconds, rss in rows:
        said = said.replace("|", "/")
        said = said if len(said) <= 150 else said[:147] + "…"
        print(f"| {what} | {said} | {code} | {seconds:.2f} s | {rss // 1024} MB |")


if __name__ == "__main__":
    main()
