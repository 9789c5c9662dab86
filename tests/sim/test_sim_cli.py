"""`cardkit sim ...` through click's runner."""

from __future__ import annotations

import json
import socket
import threading

from click.testing import CliRunner

from cardkit_cli.sim import sim


def test_list() -> None:
    r = CliRunner().invoke(sim, ["list"])
    assert r.exit_code == 0
    assert r.output.splitlines()[0].startswith("default ")
    r = CliRunner().invoke(sim, ["list", "--json"])
    names = [item["name"] for item in json.loads(r.output)]
    assert {"default", "jp2", "forged-dg", "unknown-csca", "revoked-dsc", "small-le"} <= set(names)


def test_export_pki(tmp_path) -> None:
    r = CliRunner().invoke(sim, ["export-pki", str(tmp_path / "trust")])
    assert r.exit_code == 0
    assert (tmp_path / "trust" / "csca.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE")
    assert (tmp_path / "trust" / "crl.der").exists()


def test_serve_without_vpcd_is_exit_4() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    r = CliRunner().invoke(sim, ["serve", "default", "--port", str(port)])
    assert r.exit_code == 4
    assert r.output.strip() == (f"cardkit: error: vpcd not reachable on 127.0.0.1:{port} — is "
                                "pcscd with vsmartcard-vpcd running?")


def test_serve_unknown_persona_is_exit_2() -> None:
    r = CliRunner().invoke(sim, ["serve", "nobody", "--port", "1"])
    assert r.exit_code == 2 and "no virtual-card persona" in r.output


def test_serve_with_quirks_against_fake_vpcd() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    got: list[bytes] = []

    def reader_side() -> None:
        conn, _ = server.accept()
        apdu = bytes.fromhex("00A4040C07A0000002471001")
        conn.sendall(len(apdu).to_bytes(2, "big") + apdu)
        got.append(conn.recv(16))
        got.append(conn.recv(16))  # b"" once the card is removed
        conn.close()

    th = threading.Thread(target=reader_side, daemon=True)
    th.start()
    r = CliRunner().invoke(sim, ["serve", "small-le", "--port", str(port), "--seed", "4",
                                 "--remove-after", "1", "--max-seconds", "5"])
    th.join(5)
    server.close()
    assert r.exit_code == 0, r.output
    assert got[0] == b"\x00\x02\x90\x00" and got[1] == b""
    assert "card removed" in r.output
