"""The card side against the terminal's own secure messaging (`cardkit.icao.sm`), when present.

The two were written apart from the standard; these tests make them agree on DO'87'/'85',
DO'97' (short and extended Le), the SSC and both MACs.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardkit.apdu import Command, Response
from cardkit.sim.card import Access, VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.sim.sm import AesSM as CardAes
from cardkit.sim.sm import TripleDesSM as CardDes

term_sm = pytest.importorskip("cardkit.icao.sm")

K1 = bytes.fromhex("979EC13B1CBFE9DCD01AB0FED307EAE5")
K2 = bytes.fromhex("F1CB1F1FB5ADF208806B89DC579DC1F8")
SSC = 0x887022120C06C226
BIG = b"\x75\x83\x00\x9c\x40" + bytes(i % 253 for i in range(40000))


def _pair(kind: str):
    card = VirtualCard({"DG2": BIG, "DG1": get_persona("default").files["DG1"]},
                       mrz_info="X" * 24, extensions=False)
    card.process(bytes.fromhex("00A4040C07A0000002471001"))
    if kind == "3des":
        card.install_sm(CardDes(K1, K2, SSC), Access.BAC)
        terminal = term_sm.TripleDesSM(K1, K2, SSC)
    else:
        card.install_sm(CardAes(K1, K2, 0), Access.PACE)
        terminal = term_sm.AesSM(K1, K2, 0)
    return card, terminal


def _run(card: VirtualCard, terminal, cmd: Command) -> Response:
    wrapped = terminal.wrap(cmd)
    raw = card.process(wrapped.to_bytes())
    return terminal.unwrap(Response.from_bytes(raw))


@pytest.mark.parametrize("kind", ["3des", "aes"])
def test_select_and_read_through_terminal_sm(kind: str) -> None:
    card, t = _pair(kind)
    assert _run(card, t, Command(0, 0xA4, 2, 0x0C, bytes.fromhex("0102"))).sw == 0x9000
    r = _run(card, t, Command(0, 0xB0, 0, 0, le=0xDF))
    assert r.sw == 0x9000 and r.data == BIG[:0xDF]
    r = _run(card, t, Command(0, 0xB0, 0, 0x10, le=4096))  # extended
    assert r.data == BIG[0x10:0x10 + 4096]
    r = _run(card, t, Command(0, 0xB1, 0, 0, bytes.fromhex("5403009000"), le=0x80))  # odd INS
    assert r.sw == 0x9000 and r.data[:2] == b"\x53\x7e" and r.data[2:] == BIG[0x9000:0x9000 + 0x7E]
    r = _run(card, t, Command(0, 0xA4, 2, 0x0C, bytes.fromhex("0103")))  # no DG3 here
    assert r.sw == 0x6A82


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["3des", "aes"]), st.integers(0, 0x9C44), st.integers(1, 2000))
def test_random_reads_agree(kind: str, offset: int, le: int) -> None:
    card, t = _pair(kind)
    _run(card, t, Command(0, 0xA4, 2, 0x0C, bytes.fromhex("0102")))
    if offset <= 0x7FFF:
        r = _run(card, t, Command(0, 0xB0, offset >> 8, offset & 0xFF, le=le))
        assert r.data == BIG[offset:offset + le]
    else:
        r = _run(card, t, Command(0, 0xB1, 0, 0, b"\x54\x03" + offset.to_bytes(3, "big"), le=le))
        if r.sw in (0x9000, 0x6282):
            assert r.data[0] == 0x53
    assert r.sw in (0x9000, 0x6282)
