"""Shared pieces of the counter tests: a real uvicorn server with the service, personas with
real public photos in DG2 (../shared/datasets/faces), virtual cards served through pcscd+vpcd."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cardkit.sim.personas import get_persona, register_persona
from tests.conftest import chip_portrait


@pytest.fixture(scope="session")
def faces(shared_dir: Path) -> Path:
    return shared_dir / "datasets" / "faces"


@pytest.fixture(scope="session")
def face_persona(faces: Path) -> str:
    """`default` (BAC, RSA AA, valid PKI) with a real public photo as the chip portrait."""
    portrait = chip_portrait(faces / "barack_obama" / "1.jpg")
    register_persona("test-counter-face", "test: real public photo in DG2",
                     lambda seed: get_persona("default", seed).with_portrait(portrait, "jpeg"))
    return "test-counter-face"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_service(config) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The service under a real uvicorn server in a thread; yields its base URL."""
    import uvicorn

    from cardkit.service.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # generous: CI shares 2 cores with parallel runs
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@contextlib.contextmanager
def card_on_reader(harness, reader: str, persona: str) -> Iterator[None]:  # type: ignore[no-untyped-def]
    from cardkit.sim import vpcd as sim_vpcd
    from cardkit.sim.card import VirtualCard

    card = VirtualCard(get_persona(persona))
    thread, stop, _ = sim_vpcd.serve_in_thread(card, "127.0.0.1", harness.port_for(reader))
    try:
        # pcscd polls vpcd every ~400 ms; under load that takes longer: generous, bounded waits.
        assert harness.wait_card(reader, True, 30), "pcscd did not see the card"
        yield
    finally:
        stop.set()
        thread.join(30)
        # The next test must not see this card as still present.
        assert harness.wait_card(reader, present=False, timeout=30), "pcscd still sees the card"


@pytest.fixture(scope="session", autouse=True)
def private_data_dir(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The audit site secret (and default DB) go to a temporary data folder, not $HOME."""
    import os

    before = os.environ.get("CARDKIT_DATA_DIR")
    os.environ["CARDKIT_DATA_DIR"] = str(tmp_path_factory.mktemp("cardkit-data"))
    yield
    if before is None:
        os.environ.pop("CARDKIT_DATA_DIR", None)
    else:
        os.environ["CARDKIT_DATA_DIR"] = before
