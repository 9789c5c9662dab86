"""Shared EAC test material: test chains under the virtual card's CVCA (and a foreign one)."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from cardkit.read import Terminal, read_card
from cardkit.security.cv_chain import load_chain, make_test_chain
from cardkit.security.terminal_key import load_pem_key
from cardkit.sim.card import VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.transport.sim import SimTransport

SIM_EAC = Path(__file__).resolve().parents[2] / "cardkit" / "sim" / "data" / "eac"
TODAY = dt.date.today()


@pytest.fixture(scope="session")
def chains(tmp_path_factory) -> dict[str, Path]:
    """Test chains: `good` (sim CVCA), `foreign` (another CVCA), `no_dg3`, `expired`."""
    base = tmp_path_factory.mktemp("chains")
    out = {
        "good": make_test_chain(base / "good", cvca_from=SIM_EAC).folder,
        "foreign": make_test_chain(base / "foreign", country="DE").folder,
        "no_dg3": make_test_chain(base / "no_dg3", cvca_from=SIM_EAC, dg3=False).folder,
        "expired": make_test_chain(base / "expired", cvca_from=SIM_EAC,
                                   is_effective=TODAY - dt.timedelta(days=60),
                                   is_expiration=TODAY - dt.timedelta(days=1)).folder,
        "not_yet": make_test_chain(base / "not_yet", cvca_from=SIM_EAC,
                                   is_effective=TODAY + dt.timedelta(days=5),
                                   is_expiration=TODAY + dt.timedelta(days=60)).folder,
    }
    return out


def certs_of(folder: Path) -> tuple:
    return tuple(c for c in load_chain([folder]) if c.role != "cvca")


def read_eac(persona: str = "eac", folder: Path | None = None, key=None, *, card_setup=None,
             access: str = "auto"):
    """Read an EAC persona on the in-process virtual card with a terminal chain + key."""
    p = get_persona(persona)
    card = VirtualCard(p)
    if card_setup is not None:
        card_setup(card)
    transport = SimTransport(card)
    transport.connect()
    terminal = None
    if folder is not None:
        terminal = Terminal(certs_of(folder), key or load_pem_key(folder / "is.key.pem"))
    return read_card(transport, p.mrz_key, access=access, terminal=terminal)


def make_openpace_chain(d: Path) -> Path:
    """A chain made by OpenPACE's `cvc-create` (the independent implementation): CVCA, DV, an IS
    with the fingerprint right (is.cvcert/is.pkcs8) and one without (is-nofp.*)."""
    steps = [
        ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1",
         "-outform", "DER", "-out", "cvca.pkcs8"],
        ["cvc-create", "--role=cvca", "--type=is", "--chr=DECVCAOP00001", "--expires=351231",
         "--sign-with=cvca.pkcs8", "--scheme=ECDSA_SHA_256", "--read-finger", "--read-iris",
         "--out-cert=cvca.cvcert"],
        ["cvc-create", "--role=dv_domestic", "--chr=DEDVOP00001", "--expires=351231",
         "--sign-with=cvca.pkcs8", "--sign-as=cvca.cvcert", "--scheme=ECDSA_SHA_256",
         "--read-finger", "--read-iris", "--out-key=dv.pkcs8", "--out-cert=dv.cvcert"],
        ["cvc-create", "--role=terminal", "--chr=DEISOP00001", "--expires=351231",
         "--sign-with=dv.pkcs8", "--sign-as=dv.cvcert", "--scheme=ECDSA_SHA_256",
         "--read-finger", "--out-key=is.pkcs8", "--out-cert=is.cvcert"],
        ["cvc-create", "--role=terminal", "--chr=DEISNOFP00001", "--expires=351231",
         "--sign-with=dv.pkcs8", "--sign-as=dv.cvcert", "--scheme=ECDSA_SHA_256",
         "--read-iris", "--out-key=is-nofp.pkcs8", "--out-cert=is-nofp.cvcert"],
    ]
    for step in steps:
        r = subprocess.run(step, cwd=d, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
    return d
