"""cardkit.lds.sod: EF.SOD parsing against interop files, OpenSSL-built SODs and junk."""

from __future__ import annotations

import contextlib
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardkit.errors import ParseError
from cardkit.lds.sod import parse_sod


def test_bsi2008_sod_facts(interop_dir):
    sod = parse_sod((interop_dir / "bsi2008" / "EF_SOD.bin").read_bytes())
    assert sod.digest_algorithm == "sha1"
    assert sorted(sod.dg_hashes) == [1, 2, 3, 14]
    dg1 = (interop_dir / "bsi2008" / "Datagroup1.bin").read_bytes()
    assert sod.dg_hashes[1] == hashlib.sha1(dg1).digest()
    assert len(sod.certificates) == 1 and len(sod.signer_infos) == 1
    si = sod.signer_infos[0]
    assert si.signature_algorithm == "sha1_ecdsa"
    assert si.content_type == "2.23.136.1.1.1"
    assert si.message_digest == hashlib.sha1(sod.encap_content).digest()
    assert si.signed_attrs_der is not None and si.signed_attrs_der[0] == 0x31


def test_loes2006_and_nz2013_parse(interop_dir):
    loes = parse_sod((interop_dir / "loes2006" / "ef011D.bin").read_bytes())
    assert loes.digest_algorithm == "sha256" and sorted(loes.dg_hashes) == [1, 2, 15]
    nz = parse_sod((interop_dir / "ef_sod" / "NZ2013_EF_SOD.BIN").read_bytes())
    assert nz.digest_algorithm == "sha256"
    assert sorted(nz.dg_hashes) == [1, 2, 12, 13, 15]
    assert nz.signer_infos[0].signing_time is not None
    assert nz.signer_infos[0].signing_time.year == 2011


@pytest.mark.parametrize("digest", ["sha1", "sha224", "sha256", "sha384", "sha512"])
def test_openssl_signed_sod_every_digest(pki, digest):
    files = pki.files_for("rsa", digest=digest)
    sod = parse_sod(files["SOD"])
    assert sod.digest_algorithm == digest
    assert sod.signer_infos[0].digest_algorithm == digest
    for name in ("DG1", "DG2", "DG13"):
        assert sod.dg_hashes[int(name[2:])] == hashlib.new(digest, files[name]).digest()


def test_bare_contentinfo_accepted(pki):
    sod_bytes = pki.files_for("p256")["SOD"]
    bare = sod_bytes[2 + (sod_bytes[1] & 0x7F if sod_bytes[1] & 0x80 else 0):]
    assert parse_sod(bare).dg_hashes == parse_sod(sod_bytes).dg_hashes


def test_truncations_raise_parse_error(interop_dir):
    data = (interop_dir / "loes2006" / "ef011D.bin").read_bytes()
    for cut in (0, 1, 2, 10, 100, 500, len(data) // 2, len(data) - 1):
        with pytest.raises(ParseError):
            parse_sod(data[:cut])


def test_wrong_content_type_rejected(pki):
    ml = pki.p("test.ml").read_bytes()  # a CMS SignedData, but a master list
    with pytest.raises(ParseError, match="content type"):
        parse_sod(ml)


def test_oversized_rejected():
    with pytest.raises(ParseError, match="too large"):
        parse_sod(b"\x77" + b"\x00" * 70000)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_junk_only_parse_error(data):
    with contextlib.suppress(ParseError):
        parse_sod(data)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=1781), st.integers(min_value=1, max_value=255))
def test_bitflips_parse_or_parse_error(pos, xor):
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[3] / "shared/interop/loes2006/ef011D.bin"
    if not path.exists():
        return
    data = bytearray(path.read_bytes())
    data[pos] ^= xor
    with contextlib.suppress(ParseError):
        parse_sod(bytes(data))
