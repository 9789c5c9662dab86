"""`cardkit readers` and `cardkit readers --watch` against pcscd + vpcd."""

from __future__ import annotations

import json
import threading
import time

import pytest
from click.testing import CliRunner

from cardkit.sim import pcscd_harness
from cardkit.sim.pcscd_harness import VpcdStubCard
from cardkit_cli.readers import readers

pytestmark = pytest.mark.pcscd


def ok(apdu: bytes) -> bytes:
    return b"\x90\x00"


def test_list_json(pcscd_vpcd):
    res = CliRunner().invoke(readers, ["--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [r["name"] for r in rows] == pcscd_vpcd.readers
    assert rows[0]["profile"] == "vsmartcard-vpcd" and rows[0]["card"] == "absent"


def test_list_text_with_card(pcscd_vpcd):
    reader = pcscd_vpcd.readers[0]
    with VpcdStubCard(pcscd_vpcd.port_for(reader), ok) as card:
        deadline = time.monotonic() + 3
        while True:
            res = CliRunner().invoke(readers, [])
            if "card present" in res.output or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert res.exit_code == 0
    assert f"0: {reader}  [card present; profile vsmartcard-vpcd]  ATR {card.atr.hex().upper()}" \
        in res.output


def test_watch_shows_insert_and_remove(pcscd_vpcd):
    reader = pcscd_vpcd.readers[1]

    def play() -> None:
        time.sleep(0.4)
        card = VpcdStubCard(pcscd_vpcd.port_for(reader), ok).start()
        time.sleep(1.0)
        card.stop()

    th = threading.Thread(target=play)
    th.start()
    res = CliRunner().invoke(readers, ["--watch", "--json", "--reader", "00 01", "--timeout", "2.6"])
    th.join()
    assert res.exit_code == 0, res.output
    events = [json.loads(line) for line in res.output.splitlines()]
    assert [e["event"] for e in events] == ["inserted", "removed"]
    assert events[0]["reader"] == reader and events[0]["atr"] == VpcdStubCard.atr.hex().upper()


def test_pcscd_missing_is_one_line_exit_4(pcscd_vpcd):
    with pcscd_harness.pointed_at(None, pcscd_vpcd.socket_path):
        res = CliRunner().invoke(readers, [])
    assert res.exit_code == 4
    assert res.output.strip().splitlines() == [
        "cardkit: error: PC/SC service not running — start it with "
        "`sudo systemctl start pcscd` (or `pcscd`)"]
