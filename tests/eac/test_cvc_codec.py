"""CV certificate codec (BSI TR-03110-3 §C): round trips, CHAT bits, requests, and hostile input
(every malformed certificate is a ParseError with a reason, never a crash)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from cardkit.errors import ParseError
from cardkit.lds import cvc, tlv
from cardkit.security.cv_chain import issue_certificate, make_request
from cardkit.security.terminal_key import SoftwareKey

from .conftest import SIM_EAC

D = dt.date


def _cert(**kw) -> bytes:
    key = SoftwareKey(ec.generate_private_key(ec.BrainpoolP256R1()))
    args = dict(signer=key, signer_oid=cvc.TA_ECDSA_SHA256, car="VNDVBANK00001",
                holder_key=key.public_key(), chr="VNISDESK00001", role="terminal",
                effective=D(2026, 1, 2), expiration=D(2026, 2, 3))
    args.update(kw)
    return issue_certificate(**args)


def test_round_trip_and_fields():
    raw = _cert(dg3=True, dg4=False)
    c = cvc.parse_certificate(raw)
    assert (c.car, c.chr, c.role) == ("VNDVBANK00001", "VNISDESK00001", "terminal")
    assert (c.effective, c.expiration) == (D(2026, 1, 2), D(2026, 2, 3))
    assert c.chat.read_dg3 and not c.chat.read_dg4 and c.chat.template == b"\x01"
    assert not c.public_key.has_domain_parameters  # IS certificates carry the point only
    assert cvc.encode_certificate(c.body, c.signature) == raw
    assert tlv.parse(c.body).children()[-1].value == bytes([2, 6, 0, 2, 0, 3])  # 260203


@pytest.mark.parametrize(("role", "bits", "dg3", "dg4"), [
    ("cvca", 0xC3, True, True), ("dv_domestic", 0x81, True, False),
    ("dv_foreign", 0x42, False, True), ("terminal", 0x00, False, False)])
def test_chat_roles_and_rights(role, bits, dg3, dg4):
    template = cvc.chat_template(role, dg3=dg3, dg4=dg4)
    assert template == bytes((bits,))
    chat = cvc.Chat(cvc.ROLE_IS, template)
    assert (chat.role, chat.read_dg3, chat.read_dg4) == (role, dg3, dg4)


def test_rights_only_for_inspection_systems():
    assert not cvc.Chat(cvc.ROLE_AT, b"\x00\x00\x00\x00\x01").read_dg3


def test_cvca_carries_domain_parameters():
    c = cvc.parse_certificate((SIM_EAC / "cvca.cvcert").read_bytes())
    assert c.is_self_signed and c.public_key.has_domain_parameters
    assert cvc.curve_of(c.public_key).name == "brainpoolP256r1"


def test_request_round_trip_and_authenticated_request():
    new = SoftwareKey(ec.generate_private_key(ec.BrainpoolP256R1()))
    old = SoftwareKey(ec.generate_private_key(ec.BrainpoolP256R1()))
    plain = cvc.parse_request(make_request(key=new, chr="VNISDESK00002", car="VNDVBANK00001"))
    assert plain.car == "VNDVBANK00001" and plain.public_key.has_domain_parameters
    key = cvc.public_key_object(plain.public_key)
    assert cvc.verify_signature(plain.public_key.oid, key, plain.body, plain.signature)
    auth = cvc.parse_request(make_request(key=new, chr="VNISDESK00002",
                                          outer=(old, cvc.TA_ECDSA_SHA256, "VNISDESK00001")))
    assert auth.outer_car == "VNISDESK00001"
    assert cvc.verify_signature(cvc.TA_ECDSA_SHA256, old.public_key(), auth.outer_signed,
                                auth.outer_signature)
    assert isinstance(cvc.parse_cv(auth.raw), cvc.CertificateRequest)


def _replace(raw: bytes, old: bytes, new: bytes) -> bytes:
    c = cvc.parse_certificate(raw)
    assert old in c.body
    body = c.body.replace(old, new, 1)
    inner = tlv.parse(body).value
    return cvc.encode_certificate(tlv.encode(cvc.T_BODY, inner), c.signature)


@pytest.mark.parametrize("mutate", [
    lambda raw: raw[:-3],  # truncated
    lambda raw: raw + b"\x00",  # trailing bytes
    lambda raw: b"\x7f\x22" + raw[2:],  # not 7F21
    lambda raw: _replace(raw, bytes([2, 6, 0, 2, 0, 3]), bytes([2, 6, 1, 3, 0, 3])),  # month 13
    lambda raw: _replace(raw, bytes([2, 6, 0, 2, 0, 3]), bytes([2, 6, 0, 2, 0, 0x13])),  # BCD
    lambda raw: _replace(raw, b"\x5f\x29\x01\x00", b""),  # no profile identifier
    lambda raw: _replace(raw, b"\x5f\x29\x01\x00", b"\x5f\x29\x01\x00\x5f\x29\x01\x00"),  # twice
    lambda raw: _replace(raw, b"\x06\x0a\x04\x00\x7f\x00\x07\x02\x02\x02\x02\x03",
                         b"\x06\x06\x2a\x86\x48\xce\x3d\x01"),  # not a TA OID
    lambda raw: b"\x7f\x21\x84\xff\xff\xff\xff" + raw[5:],  # huge length
])
def test_hostile_certificates_are_parse_errors(mutate):
    with pytest.raises(ParseError):
        cvc.parse_certificate(mutate(_cert()))


def test_oversized_input_refused():
    with pytest.raises(ParseError, match="larger than"):
        cvc.parse_certificate(b"\x7f\x21\x82\x40\x00" + bytes(0x4000))


def test_signature_of_wrong_length_is_false_not_an_exception():
    c = cvc.parse_certificate(_cert())
    key = ec.generate_private_key(ec.BrainpoolP256R1()).public_key()
    assert cvc.verify_signature(cvc.TA_ECDSA_SHA256, key, c.body, b"\x01" * 10) is False
    assert cvc.verify_signature("1.2.3", key, c.body, c.signature) is False


def test_dates_outside_2000_2099_are_refused():
    with pytest.raises(ValueError):
        cvc.encode_date(D(2100, 1, 1))
