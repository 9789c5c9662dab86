"""Passive authentication's speed-ups must never change a verdict (issue 15).

Certificates are parsed once per DER, CRL signatures checked once per CSCA key, EF.SOD walked by a
fast DER path: a hostile card that re-uses a DSC already seen (and cached) must still fail every
check it fails without the caches, and the fast SOD walker must agree with the asn1crypto parser.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from cardkit.errors import ParseError
from cardkit.lds import sod as sod_mod
from cardkit.lds import tlv
from cardkit.results import CheckState
from cardkit.security import certs
from cardkit.security.crl import load_crl_paths, load_crls
from cardkit.security.passive import verify_passive
from cardkit.security.trust import TrustStore

sim = pytest.importorskip("cardkit.sim.personas")
pki = pytest.importorskip("cardkit.sim.pki")
issuer = pytest.importorskip("cardkit.sim.issuer")

V, INV = CheckState.VALID, CheckState.INVALID


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("simpki")
    pki.export_pki(folder)
    return TrustStore.load(folder / "csca.pem"), load_crl_paths([folder / "crl.der"])


def _genuine(exported) -> dict[str, bytes]:
    store, crls = exported
    files = dict(sim.get_persona("default").files)
    r = verify_passive(files, trust=store, crls=crls)
    assert r.overall.state == V  # the DSC, CSCA and CRL are now cached
    return files


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


def test_altered_dg_after_a_cached_good_verification(exported):
    files = _genuine(exported)
    store, crls = exported
    r = verify_passive(dict(files, DG1=_flip(files["DG1"], len(files["DG1"]) - 3)),
                       trust=store, crls=crls)
    assert r.check("dg_hashes").state == INV and r.overall.state == INV


def test_sod_hash_swapped_without_resigning(exported):
    """The forger alters DG1 and writes its new hash into the SOD, keeping the genuine DSC and
    signature: the message-digest no longer matches (same DSC, already cached)."""
    files = _genuine(exported)
    store, crls = exported
    dg1 = _flip(files["DG1"], len(files["DG1"]) - 3)
    old, new = hashlib.sha256(files["DG1"]).digest(), hashlib.sha256(dg1).digest()
    assert files["SOD"].count(old) == 1
    forged = dict(files, DG1=dg1, SOD=files["SOD"].replace(old, new))
    r = verify_passive(forged, trust=store, crls=crls)
    assert r.check("dg_hashes").state == V  # the hash list itself now "matches"...
    assert r.check("sod_signature").state == INV  # ...but it is not what the state signed
    assert r.overall.state == INV


def test_signature_bytes_altered(exported):
    files = _genuine(exported)
    store, crls = exported
    parsed = sod_mod.parse_sod(files["SOD"])
    sig = parsed.signer_infos[0].signature
    forged = dict(files, SOD=files["SOD"].replace(sig, _flip(sig, 10)))
    r = verify_passive(forged, trust=store, crls=crls)
    assert r.check("sod_signature").state == INV and r.overall.state == INV


def test_lookalike_dsc_signed_by_the_forger(exported):
    """A DSC with the genuine one's subject, serial, key identifiers and issuer name, but the
    forger's key and self-made signature: a cache keyed by anything but the exact bytes would
    take it for the cached genuine DSC."""
    files = _genuine(exported)
    store, crls = exported
    real = pki.dsc("rsa").certificate
    forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    b = (x509.CertificateBuilder().subject_name(real.subject).issuer_name(real.issuer)
         .public_key(forger_key.public_key()).serial_number(real.serial_number)
         .not_valid_before(real.not_valid_before_utc).not_valid_after(real.not_valid_after_utc))
    for ext in real.extensions:
        b = b.add_extension(ext.value, ext.critical)
    fake = b.sign(forger_key, hashes.SHA256())
    dg1 = _flip(files["DG1"], len(files["DG1"]) - 3)
    forged_files = dict(files, DG1=dg1)
    sod = issuer.encode_sod({k: v for k, v in forged_files.items() if k.startswith("DG")},
                            pki.Signer("fake", fake, forger_key))
    r = verify_passive(dict(forged_files, SOD=sod), trust=store, crls=crls)
    assert r.check("sod_signature").state == V  # signed by the key in the (fake) DSC
    assert r.check("dsc_chain").state == INV  # which the CSCA never signed
    assert r.overall.state == INV


def test_tampered_crl_is_checked_again(exported, tmp_path):
    _genuine(exported)
    store, _ = exported
    good = pki.crl_der()
    bad = _flip(good, len(good) - 5)  # inside the CRL's signature
    files = dict(sim.get_persona("default").files)
    assert verify_passive(files, trust=store, crls=load_crls(good)).check("crl").state == V
    r = verify_passive(files, trust=store, crls=load_crls(bad))
    assert r.check("crl").state == CheckState.UNVERIFIABLE
    # a reloaded store whose CRL file changed: the new bytes are parsed and checked
    (tmp_path / "csca.pem").write_bytes(store.certificates[0].dump())
    (tmp_path / "crl.der").write_bytes(good)
    assert verify_passive(files, trust=TrustStore.load(tmp_path)).check("crl").state == V
    (tmp_path / "crl.der").write_bytes(bad)
    assert verify_passive(files, trust=TrustStore.load(tmp_path)).check("crl").state \
        == CheckState.UNVERIFIABLE


def test_crl_signature_result_is_per_key(exported):
    """The remembered CRL check is keyed by the CSCA key: another key is checked afresh."""
    store, _ = exported
    c = load_crls(pki.crl_der())[0]
    csca_spki = certs.spki(store.certificates[0])
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    other_spki = other.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert c.signed_by(csca_spki) is True
    assert c.signed_by(other_spki) is False
    assert c.signed_by(csca_spki) is True


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ZZ"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def test_issuer_names_equal_only_after_normalisation():
    """RFC 5280 §7.1: 'Test  CSCA' (two spaces, other case) names the CSCA 'test csca'; the DER
    differs, so the index must fall back to the normalised comparison. No AKI: by name only."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.timezone.utc)
    ca = (x509.CertificateBuilder().subject_name(_name("test csca")).issuer_name(_name("test csca"))
          .public_key(key.public_key()).serial_number(1).not_valid_before(now)
          .not_valid_after(now + dt.timedelta(days=9))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(key, hashes.SHA256()))
    dkey = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    dsc = (x509.CertificateBuilder().subject_name(_name("DS")).issuer_name(_name("Test  CSCA"))
           .public_key(dkey.public_key()).serial_number(2).not_valid_before(now)
           .not_valid_after(now + dt.timedelta(days=9)).sign(key, hashes.SHA256()))
    decoy_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    decoy = (x509.CertificateBuilder().subject_name(_name("Other CSCA"))
             .issuer_name(_name("Other CSCA")).public_key(decoy_key.public_key()).serial_number(3)
             .not_valid_before(now).not_valid_after(now + dt.timedelta(days=9))
             .sign(decoy_key, hashes.SHA256()))
    store = TrustStore([decoy, ca])
    d = certs.load_certificate(dsc)
    assert certs.facts(d).issuer_der != certs.facts(store.certificates[1]).subject_der
    assert store.candidates_for(d) == [store.certificates[1]]
    found, why = store.find_issuer(d)
    assert found is store.certificates[1], why


# --- the fast SOD walker agrees with the asn1crypto parser ---------------------------------------

def _both(data: bytes):
    body = tlv.parse(data, 0x77, allow_trailing=True).value if data[:1] == b"\x77" else data
    try:
        fast = sod_mod._parse_sod_der(body, data)
    except sod_mod._NotPlainDer:
        fast = None
    try:
        slow = sod_mod._parse_sod_asn1(body, data)
    except ParseError:
        slow = None
    return fast, slow


@pytest.mark.parametrize("persona", ["default", "jp2", "ecdsa-dsc", "pace"])
def test_fast_sod_walk_equals_asn1crypto(persona):
    fast, slow = _both(sim.get_persona(persona).files["SOD"])
    assert fast is not None and fast == slow


def test_fast_sod_walk_on_real_documents(interop_dir):
    for name in ("bsi2008/EF_SOD.bin", "loes2006/ef011D.bin", "ef_sod/NZ2013_EF_SOD.BIN"):
        fast, slow = _both((interop_dir / name).read_bytes())
        assert slow is not None
        assert fast is None or fast == slow, name  # NZ 2013 is BER: the asn1crypto path


_SOD = sim.get_persona("default").files["SOD"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_SOD) - 1), st.integers(1, 255)), min_size=1,
                max_size=3), st.integers(0, len(_SOD)), st.integers(0, 40))
def test_fast_sod_walk_never_accepts_more(edits, cut_at, cut_len):
    """Any byte changes and a removed run of bytes: the fast walker either declines (asn1crypto
    decides) or returns exactly what the asn1crypto parser returns."""
    data = bytearray(_SOD)
    for i, x in edits:
        data[i] ^= x
    del data[cut_at:cut_at + cut_len]
    with contextlib.suppress(ParseError):
        fast, slow = _both(bytes(data))
        if fast is not None:
            assert slow is not None and fast == slow


def test_fast_sod_walk_decodes_the_signer_name_like_asn1crypto():
    """Regression (found by the random test above): a bit flipped inside the signer's issuer
    name made a string asn1crypto refuses to decode, but the fast walk took the raw bytes.
    Every byte of that name, flipped at its low and high bit: never more accepted fast."""
    si = sod_mod.parse_sod(_SOD).signer_infos[0]
    start = _SOD.rindex(si.sid_issuer_der)  # the SignerInfo (the DSC holds the same name first)
    refused = 0
    for i in range(start, start + len(si.sid_issuer_der)):
        for bit in (0x01, 0x80):
            data = bytearray(_SOD)
            data[i] ^= bit
            with contextlib.suppress(ParseError):
                fast, slow = _both(bytes(data))
                refused += slow is None
                if fast is not None:
                    assert slow is not None and fast == slow, (i, bit)
    assert refused  # the case exists: some flips are refused by the asn1crypto path
