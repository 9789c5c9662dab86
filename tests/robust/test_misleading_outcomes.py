"""Defect 6 (issue 11): misleading outcomes.
- A MAC error during Chip (or Active) Authentication printed "CLONED OR FORGED CHIP" (exit 3) and
  "read again": under the session keys the chip already proved, it is a communication error —
  read again (exit 4); one garbled answer to CA's proof under the new keys is asked again; only
  a chip that fails the proof twice (what a clone without the key does) is CLONED, without
  "read again".
- A chip answering a plain 9000 to SELECT without holding the eMRTD application got exit 2 (bad
  input) instead of 4 (card problem)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cardkit.read import read_card
from cardkit.sim.card import VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.transport.sim import SimTransport
from cardkit_cli.main import cli
from tests.robust.hostile import temporary_persona


def _headers(persona) -> list[str]:
    """Command headers (CLA INS P1 P2, hex) of a clean read, in order."""
    t = SimTransport(VirtualCard(persona))
    sent: list[str] = []
    orig = t.transmit

    def tx(apdu: bytes) -> bytes:
        sent.append(bytes(apdu)[:4].hex())
        return orig(apdu)

    t.transmit = tx  # type: ignore[method-assign]
    with t:
        read_card(t, persona.mrz_key)
    return sent


def _read_with(quirks: dict, name: str, *args: str) -> tuple[int, str, str]:
    with temporary_persona(name, lambda seed: get_persona("default", seed).with_quirks(**quirks)):
        r = CliRunner().invoke(cli, ["read", "--sim", name, *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r.exit_code, r.stdout, r.stderr


def test_one_garbled_answer_to_the_chip_auth_proof_is_asked_again():
    headers = _headers(get_persona("default"))
    assert headers[-1] == "0ca4020c"  # CA's proof: a SELECT under the new keys
    code, out, err = _read_with({"corrupt_mac_at": (len(headers),)}, "robust-mac-ca-once")
    assert code == 0, out + err
    assert "VERIFIED" in out


def test_mac_error_before_the_key_switch_is_read_again_not_cloned():
    headers = _headers(get_persona("default"))
    k = headers.index("0c860000") + 1  # GENERAL AUTHENTICATE, still under the BAC keys
    code, out, err = _read_with({"corrupt_mac_at": (k,)}, "robust-mac-ca-ga")
    assert code == 4, out + err
    assert "copy or a forgery" not in out + err and "CLONED" not in out + err
    assert "read again" in err and "Chip Authentication" in err


def test_mac_error_during_active_auth_is_read_again_not_cloned():
    headers = _headers(get_persona("default"))
    k = headers.index("0c880000") + 1  # INTERNAL AUTHENTICATE
    code, out, err = _read_with({"corrupt_mac_at": (k,)}, "robust-mac-aa")
    assert code == 4, out + err
    assert "copy or a forgery" not in out + err and "CLONED" not in out + err
    assert "read again" in err


def test_every_answer_under_the_new_keys_garbled_is_still_a_clone():
    """What a chip without the CA private key produces: not excused as a transmission error,
    and no contradictory 'read again' next to CLONED."""
    headers = _headers(get_persona("default"))
    code, out, err = _read_with({"corrupt_mac_after": len(headers) - 1}, "robust-mac-ca-all")
    assert code == 3, out + err
    assert "copy or a forgery" in out and "read again" not in out + err
    code, out, err = _read_with({"corrupt_mac_after": len(headers) - 1}, "robust-mac-ca-all",
                                "--json")
    chip_auth = json.loads(out)["checks"]["chip_auth"]
    assert chip_auth["state"] == "invalid" and "twice" in chip_auth["reason"]


def test_plain_9000_to_select_without_the_application_is_a_card_problem():
    """A card (or another applet) that says 9000 to SELECT eMRTD but answers nothing else."""
    from cardkit.sim.card import Reply

    def nothing_here(card, cmd):  # a plain 9000 without data to everything
        return Reply(b"", 0x9000)

    persona = get_persona("default")
    card = VirtualCard(persona)
    for ins in (0xA4, 0x84, 0x82, 0xB0, 0xB1, 0x22, 0x86, 0x88):
        card.handlers[ins] = nothing_here
    from cardkit.errors import CardkitError

    try:
        with SimTransport(card) as t:
            read_card(t, persona.mrz_key)
    except CardkitError as exc:
        assert exc.exit_code == 4, (type(exc).__name__, str(exc))
        assert "ICAO" in str(exc) or "eMRTD" in str(exc) or "ID card" in str(exc)
    else:
        raise AssertionError("a card without the application was read")
