"""`cardkit serve` as a real process: two uvicorn workers (the factory path), a dump verified."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cardkit.sim.personas import get_persona

from .conftest import free_port


def test_serve_with_two_workers_verifies_a_dump(tmp_path: Path) -> None:
    port = free_port()
    script = Path(sys.executable).parent / "cardkit"
    proc = subprocess.Popen([str(script), "serve", "--port", str(port), "--sim-trust",
                             "--workers", "2", "--audit-db", f"sqlite:///{tmp_path / 'a.db'}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True,
                            env={**os.environ, "CARDKIT_DATA_DIR": str(tmp_path / "data")})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # two workers import the stack; CI is 2 shared cores
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-800:]  # type: ignore[union-attr]
            try:
                if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "cardkit serve did not start"
            time.sleep(0.2)
        files = [("files", (f"{n}.bin", d, "application/octet-stream"))
                 for n, d in get_persona("forged-dg").files.items()]
        r = httpx.post(url + "/api/dumps/verify", files=files, data={"operator": "app-1"},
                       timeout=30)
        assert r.status_code == 200 and r.json()["teller"]["label"] == "REJECTED"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    from click.testing import CliRunner

    from cardkit_cli.main import cli

    out = CliRunner(env={"CARDKIT_DATA_DIR": str(tmp_path / "data")}).invoke(
        cli, ["log", "list", "--db", f"sqlite:///{tmp_path / 'a.db'}"])
    assert out.exit_code == 0 and "app-1" in out.stdout and "invalid" in out.stdout
