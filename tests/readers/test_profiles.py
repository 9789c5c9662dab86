"""Reader profiles: built-in table, matching, user-file overrides, validation."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardkit.errors import InputError
from cardkit.transport.profiles import (
    GENERIC,
    builtin_profiles,
    load_profiles,
    match_profile,
    parse_profiles,
    profile_from_dict,
)

READER_NAMES = {
    "ACS ACR122U PICC Interface 00 00": "acs-acr122u",
    "ACS ACR1252 Dual Reader [ACR1252 Dual Reader PICC] 00 00": "acs-acr1252u",
    "ACS ACR1281U 00 00": "acs-acr1281u",
    "ACS ACR39U ICC Reader 00 00": "acs-acr39u",
    "HID Global OMNIKEY 5022 Smart Card Reader 00 00": "hid-omnikey-5022",
    "HID Global OMNIKEY 5422 Smartcard Reader [OMNIKEY 5422CL Smartcard Reader] 01 00":
        "hid-omnikey-5422",
    "HID OMNIKEY 5427 CK 00 00": "hid-omnikey-5427",
    "Identiv uTrust 3700 F CL Reader 00 00": "identiv-utrust-3700f",
    "Identiv Identiv uTrust 4701 F Dual Interface Reader(2) 01 00": "identiv-utrust-4701f",
    "Feitian bR301 00 00": "feitian",
    "Virtual PCD 00 01": "vsmartcard-vpcd",
    "Gemalto PC Twin Reader 00 00": "generic-ccid",
}


@pytest.mark.parametrize(("name", "key"), sorted(READER_NAMES.items()))
def test_builtin_match(name, key):
    assert match_profile(name, b"", builtin_profiles()).key == key


def test_acr122u_quirks_and_info():
    p = match_profile("ACS ACR122U PICC Interface 00 00", profiles=builtin_profiles())
    assert p.extended_length is False and p.max_response == 224 and p.pn533
    assert dict(p.escape)["buzzer_off"] == "FF00520000"
    info = p.transport_info("ACS ACR122U PICC Interface 00 00", b"\x3b\x80", "T=1")
    assert (info.extended_length, info.max_response, info.max_command) == (False, 224, 255)


def test_no_match_gives_generic():
    assert match_profile("anything", profiles=[]) is GENERIC
    assert GENERIC.extended_length is None and GENERIC.max_response is None


def test_atr_pattern_narrows_match():
    p = profile_from_dict({"key": "x", "reader": "Foo", "atr": "^3B8F8001", "max_response": 100})
    assert p.matches("Foo 00 00", bytes.fromhex("3B8F800180"))
    assert not p.matches("Foo 00 00", bytes.fromhex("3B8880"))
    assert not p.matches("Bar 00 00", bytes.fromhex("3B8F800180"))


def test_user_file_overrides_builtin(tmp_path, monkeypatch):
    user = tmp_path / "readers.json"
    user.write_text(json.dumps({"profiles": [
        {"key": "my-acr122", "reader": "ACR122U", "extended_length": False,
         "max_response": 128, "delay_ms": 5}]}))
    monkeypatch.setenv("CARDKIT_READER_PROFILES", str(user))
    p = match_profile("ACS ACR122U PICC Interface 00 00")
    assert (p.key, p.max_response, p.delay_ms, p.source) == ("my-acr122", 128, 5, str(user))
    assert match_profile("Virtual PCD 00 00").key == "vsmartcard-vpcd"  # others unchanged
    assert load_profiles(user)[0].key == "my-acr122"
    assert p.to_dict()["max_response"] == 128


def test_missing_user_file_is_an_input_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CARDKIT_READER_PROFILES", str(tmp_path / "nope.json"))
    with pytest.raises(InputError, match="cannot read reader profile file"):
        load_profiles()


@pytest.mark.parametrize("bad", [
    {"reader": "x"},  # no key
    {"key": "k", "reader": "("},  # bad regex
    {"key": "k", "reader": "x", "usb_ids": ["72f:2200"]},
    {"key": "k", "reader": "x", "extended_length": "yes"},
    {"key": "k", "reader": "x", "max_response": 0},
    {"key": "k", "reader": "x", "max_response": True},
    {"key": "k", "reader": "x", "max_response": 70000},
    {"key": "k", "reader": "x", "escape": {"beep": "F"}},
    {"key": "k", "reader": "x", "max_respones": 100},  # typo: unknown field
    ["not", "a", "dict"],
])
def test_validation(bad):
    with pytest.raises(InputError, match="fix the profile file"):
        profile_from_dict(bad, "test")


def test_parse_file_shapes():
    assert parse_profiles('[{"key": "a", "reader": "A"}]', "t")[0].key == "a"
    with pytest.raises(InputError, match="not valid JSON"):
        parse_profiles("{", "t")
    with pytest.raises(InputError, match="expected a list"):
        parse_profiles('{"x": 1}', "t")


def test_builtin_table_sane():
    keys = [p.key for p in builtin_profiles()]
    assert len(keys) == len(set(keys))
    assert keys[-1] == "generic-ccid"  # catch-all last
    assert all(p.reader for p in builtin_profiles())


_values = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.text(max_size=8),
                    st.lists(st.text(max_size=10), max_size=3),
                    st.dictionaries(st.text(max_size=5), st.text(max_size=6), max_size=2))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["key", "reader", "atr", "usb_ids", "extended_length",
                                        "max_response", "max_command", "delay_ms", "escape",
                                        "pn533", "title", "bogus"]), _values, max_size=8))
def test_arbitrary_entries_raise_only_input_error(entry):
    try:
        p = profile_from_dict(entry, "fuzz")
    except InputError:
        return
    assert p.key and isinstance(p.reader, str)
    p.matches("any reader 00 00", b"\x3b")
