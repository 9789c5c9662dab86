"""Personas: deterministic synthetic holders, LDS files that the LDS parsers accept."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest
from asn1crypto import cms, keys

from cardkit.errors import InputError
from cardkit.lds import tlv
from cardkit.lds.com import parse_com
from cardkit.lds.dg1 import parse_dg1
from cardkit.lds.dg2 import parse_dg2
from cardkit.lds.dg3 import parse_dg3
from cardkit.lds.dg13 import parse_dg13
from cardkit.sim.personas import (
    build_persona,
    get_persona,
    list_personas,
    make_holder,
    register_persona,
)

NAMES = ("default", "jp2", "forged-dg", "unknown-csca", "revoked-dsc", "small-le")


def _digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for k in sorted(files):
        h.update(k.encode() + b"\0" + files[k])
    return h.hexdigest()


def _sod_hashes(sod: bytes) -> dict[int, bytes]:
    ci = cms.ContentInfo.load(tlv.parse(sod, 0x77).value)
    lds = ci["content"]["encap_content_info"]["content"].parsed.dump()
    out = {}
    seq = tlv.parse(lds, 0x30).children()
    for item in seq[2].children():
        num, val = item.children()
        out[int.from_bytes(num.value, "big")] = val.value
    return out


def test_registry_lists_the_required_personas() -> None:
    names = [n for n, _ in list_personas()]
    for n in NAMES:
        assert n in names
    assert all(desc for _, desc in list_personas())
    with pytest.raises(InputError, match="no virtual-card persona"):
        get_persona("nobody")


def test_default_matches_readme_mrz() -> None:
    p = get_persona("default")
    mrz = parse_dg1(p.files["DG1"])
    assert mrz.raw == ("IDVNM0930000011001093000001<<2" "9301054M3301052VNM<<<<<<<<<<<8"
                       "NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<")
    assert p.id_number == "001093000001" and p.can == "000001"
    assert p.mrz_information == "093000001193010543301052"
    assert p.mrz_key.mrz_information == p.mrz_information
    assert "<redacted>" in repr(p.mrz_key)


def test_dg13_has_all_fields_with_diacritics() -> None:
    p = get_persona("default")
    d = parse_dg13(p.files["DG13"])
    assert d.full_name == "Nguyễn Văn An" and d.id_number == p.id_number
    assert d.father_name and d.mother_name and d.spouse_name
    assert d.sex == "Nam" and d.nationality == "Việt Nam"
    assert set(d.to_fields()) == set(range(1, 17))
    assert not d.warnings


def test_files_parse_and_com_lists_them() -> None:
    p = get_persona("default")
    com = parse_com(p.files["COM"])
    assert com.data_groups == (1, 2, 3, 13, 14, 15)
    dg2 = parse_dg2(p.files["DG2"])
    assert dg2.face.mime == "image/jpeg" and (dg2.face.width, dg2.face.height) == (240, 320)
    assert 12_000 <= len(p.files["DG2"]) <= 16_500  # ~15 KB like a real chip portrait
    img = cv2.imdecode(np.frombuffer(dg2.face.image_bytes, np.uint8), cv2.IMREAD_COLOR)
    assert img.shape == (320, 240, 3)
    assert len(parse_dg3(p.files["DG3"]).fingers) == 2
    dg15 = keys.PublicKeyInfo.load(tlv.parse(p.files["DG15"], 0x6F).value)
    assert dg15.algorithm == "rsa" and dg15.bit_size == 1024
    assert p.aa_private_key.public_key().public_numbers().n == dg15["public_key"].parsed["modulus"].native
    dg14 = tlv.parse(p.files["DG14"], 0x6E)
    infos = tlv.parse(dg14.value, 0x31).children()
    oids = {i.children()[0].value.hex() for i in infos}
    assert {"04007f00070202030202", "04007f000702020102"} <= oids  # CA info, CA public key
    ca_spki = [i for i in infos if i.children()[0].value.hex() == "04007f000702020102"][0]
    pk = keys.PublicKeyInfo.load(tlv.encode(0x30, ca_spki.children()[1].value))
    assert pk.curve == ("named", "brainpoolp256r1")
    ca_pub = p.ca_private_key.public_key().public_numbers()
    assert pk["public_key"].native[1:33] == ca_pub.x.to_bytes(32, "big")


def test_sod_hashes_match_files() -> None:
    for name in ("default", "jp2", "ecdsa-dsc"):
        p = get_persona(name)
        stored = _sod_hashes(p.files["SOD"])
        assert set(stored) == {1, 2, 3, 13, 14, 15}
        for n, h in stored.items():
            assert hashlib.sha256(p.files[f"DG{n}"]).digest() == h, (name, n)


def test_forged_dg13_does_not_match_sod() -> None:
    p = get_persona("forged-dg")
    stored = _sod_hashes(p.files["SOD"])
    assert hashlib.sha256(p.files["DG13"]).digest() != stored[13]
    assert hashlib.sha256(p.files["DG1"]).digest() == stored[1]
    assert parse_dg13(p.files["DG13"]).full_name != p.holder.full_name


def test_jp2_portrait() -> None:
    p = get_persona("jp2")
    face = parse_dg2(p.files["DG2"]).face
    assert face.mime == "image/jp2" and face.image_data_type == 1


def test_deterministic_from_seed() -> None:
    a = build_persona("default", "", 7)
    b = build_persona("default", "", 7)
    c = build_persona("default", "", 8)
    assert _digest(a.files) == _digest(b.files)
    assert a.files["DG1"] != c.files["DG1"] and a.files["DG2"] != c.files["DG2"]
    assert a.id_number != c.id_number
    assert a.aa_private_key.private_numbers() == b.aa_private_key.private_numbers()
    assert a.ca_private_key.private_numbers() == b.ca_private_key.private_numbers()
    assert a.ca_private_key.private_numbers() != c.ca_private_key.private_numbers()


def test_many_random_holders_are_valid() -> None:
    for seed in range(40):
        h = make_holder(seed)
        assert len(h.id_number) == 12 and h.id_number.isdigit()
        assert h.id_number[3] in "0123" and h.id_number[4:6] == h.date_of_birth.strftime("%y")
        assert (int(h.id_number[3]) % 2 == 1) == (h.sex == "F")
        assert h.date_of_expiry > h.date_of_issue > h.date_of_birth
        assert h.date_of_expiry.year >= 2030
        assert any(ord(ch) > 127 for ch in h.full_name + h.place_of_residence)
    p = get_persona("default", seed=3)
    mrz = parse_dg1(p.files["DG1"])  # all check digits verified by the parser
    assert mrz.raw.startswith("IDVNM" + p.id_number[-9:])


def test_with_portrait_resigns_sod() -> None:
    p = get_persona("default")
    img = np.full((200, 160, 3), 128, np.uint8)
    cv2.circle(img, (80, 100), 50, (30, 160, 220), -1)
    jpeg = cv2.imencode(".jpg", img)[1].tobytes()
    q = p.with_portrait(jpeg, "jpeg")
    face = parse_dg2(q.files["DG2"]).face
    assert face.image_bytes == jpeg and (face.width, face.height) == (160, 200)
    assert q.files["SOD"] != p.files["SOD"] and q.files["DG1"] == p.files["DG1"]
    assert _sod_hashes(q.files["SOD"])[2] == hashlib.sha256(q.files["DG2"]).digest()
    forged = get_persona("forged-dg").with_portrait(jpeg)
    assert _sod_hashes(forged.files["SOD"])[13] != hashlib.sha256(forged.files["DG13"]).digest()
    with pytest.raises(InputError):
        p.with_portrait(b"not an image")


def test_register_persona() -> None:
    register_persona("test-extra", "a persona from a test",
                     lambda seed: build_persona("test-extra", "a persona from a test", seed))
    assert ("test-extra", "a persona from a test") in list_personas()
    assert get_persona("test-extra").files["DG1"] == get_persona("default").files["DG1"]


def test_card_side_never_loads_the_terminal_protocols() -> None:
    """Layering (ARCHITECTURE.md): the virtual card shares no protocol code with cardkit.icao."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from cardkit.sim.card import VirtualCard\n"
        "from cardkit.sim.personas import get_persona\n"
        "import cardkit.sim.vpcd, cardkit.transport.sim\n"
        "p = get_persona('default')\n"
        "c = VirtualCard(p)\n"
        "c.process(bytes.fromhex('00A4040C07A0000002471001'))\n"
        "print(sorted(m for m in sys.modules if m.startswith('cardkit.icao')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_with_files_adds_card_access_and_data_groups() -> None:
    p = get_persona("default")
    dg11 = tlv.encode(0x6B, tlv.encode(0x5C, b"\x5f\x0e") + tlv.encode(0x5F0E, b"NGUYEN"))
    q = p.with_files(CardAccess=b"\x31\x00", DG11=dg11)
    assert q.files["CardAccess"] == b"\x31\x00"
    assert parse_com(q.files["COM"]).data_groups == (1, 2, 3, 11, 13, 14, 15)
    assert _sod_hashes(q.files["SOD"])[11] == hashlib.sha256(dg11).digest()
    with pytest.raises(TypeError):
        p.files["DG1"] = b""  # type: ignore[index]  # cached personas are read-only
