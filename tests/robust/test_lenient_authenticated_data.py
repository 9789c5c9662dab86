"""Defect 4 (issue 11): silent data loss on authenticated data.
- A DG13 whose field SEQUENCEs sit in one container SEQUENCE starting with a version INTEGER was
  taken as one field: every Vietnamese field lost, no warning.
- A DG2 with one stray byte after the face image dropped the portrait although its hash is valid.
Now both are read, with a warning that the report shows."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cardkit.lds import tlv
from cardkit.lds.dg2 import parse_dg2
from cardkit.lds.dg13 import encode_dg13, parse_dg13
from cardkit.sim.personas import dg13_fields, get_persona
from cardkit_cli.main import cli
from tests.robust.hostile import temporary_persona


def _container_with_version(version: int = 1) -> bytes:
    holder = get_persona("default").holder
    inner = tlv.parse(encode_dg13(dg13_fields(holder)), 0x6D).value  # 30 { fields }
    fields = tlv.parse(inner, 0x30).value
    return tlv.encode(0x6D, tlv.encode(0x30, tlv.encode(0x02, bytes([version])) + fields))


def test_dg13_container_with_version_keeps_every_field():
    holder = get_persona("default").holder
    d = parse_dg13(_container_with_version())
    assert d.id_number == holder.id_number
    assert d.full_name == holder.full_name
    assert d.place_of_residence == holder.place_of_residence
    assert (d.father_name, d.mother_name) == (holder.father, holder.mother)
    assert d.card_string == holder.card_string
    assert len(d.raw) == 16


def test_dg13_parents_with_labelled_people_still_a_field():
    """13 { 30 {02 01, 0C father}, 30 {02 02, 0C mother} } must not be taken as a container."""
    people = (tlv.encode(0x30, tlv.encode(0x02, b"\x01") + tlv.encode(0x0C, "Bố".encode()))
              + tlv.encode(0x30, tlv.encode(0x02, b"\x02") + tlv.encode(0x0C, "Mẹ".encode())))
    data = encode_dg13({1: "001093000001", 13: people})
    d = parse_dg13(data)
    assert (d.father_name, d.mother_name) == ("Bố", "Mẹ") and d.id_number == "001093000001"


def test_dg13_skipped_elements_are_warned():
    inner = tlv.parse(encode_dg13({1: "001093000001", 2: "Nguyễn Văn An"}), 0x6D).value
    fields = tlv.parse(inner, 0x30).value
    odd = tlv.encode(0x6D, tlv.encode(0x30, fields + tlv.encode(0x04, b"\x01\x02")))
    d = parse_dg13(odd)
    assert d.full_name == "Nguyễn Văn An"
    assert any("skipped" in w for w in d.warnings), d.warnings


def _read_json(name: str, *args: str, **files: bytes):  # type: ignore[no-untyped-def]
    with temporary_persona(name, lambda seed: get_persona("default", seed).with_files(**files)):
        return CliRunner().invoke(cli, ["read", "--sim", name, *args])


def test_read_shows_vietnamese_fields_of_a_container_dg13():
    r = _read_json("robust-dg13-container", "--json", DG13=_container_with_version())
    assert r.exit_code == 0, r.output
    holder = json.loads(r.stdout)["identity"]
    assert holder["full_name"] == get_persona("default").holder.full_name
    assert holder["place_of_residence"] == get_persona("default").holder.place_of_residence


def test_dg2_with_a_stray_byte_keeps_the_portrait_with_a_warning():
    dg2 = get_persona("default").files["DG2"]
    image = parse_dg2(dg2).face.image_bytes
    d = parse_dg2(dg2 + b"\x00")
    assert d.face.image_bytes == image
    assert d.warnings and "1 byte" in d.warnings[0]


def test_dg2_with_a_stray_byte_inside_the_face_record():
    """The stray byte inside 5F2E, after the image: the record's own length still says N."""
    dg2 = get_persona("default").files["DG2"]
    image = parse_dg2(dg2).face.image_bytes
    bit_group = tlv.parse(dg2, 0x75).value
    g = tlv.parse(bit_group, 0x7F61)
    kids = g.children()
    bit = kids[1]
    parts = bit.children()
    rebuilt = b"".join(tlv.encode(p.tag, p.value + (b"\x00" if p.tag == 0x5F2E else b""))
                       for p in parts)
    new = tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, kids[0].value)
                                      + tlv.encode(0x7F60, rebuilt)))
    d = parse_dg2(new)
    assert d.face.image_bytes == image and d.warnings


def test_read_of_a_dg2_with_a_stray_byte_shows_the_portrait(tmp_path):
    """On a card the byte sits inside DG2's TLV (a reader reads as many bytes as it says)."""
    dg2 = tlv.encode(0x75, tlv.parse(get_persona("default").files["DG2"], 0x75).value + b"\x00")
    r = _read_json("robust-dg2-stray", "--json", DG2=dg2)
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["portrait"] is not None
    assert report["checks"]["passive_auth"]["state"] == "valid"
    assert any("DG2" in w for w in report["warnings"])
    text = _read_json("robust-dg2-stray", DG2=dg2).stdout
    assert "Warning" in text and "DG2" in text
