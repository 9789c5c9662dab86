"""Master-list import (issue 9, defect 4): the signer must chain to a CSCA in the list or the
trust store, and to a pinned publisher where one is known (DE: the German CSCA). Otherwise the
list is refused unless the user overrides; what was imported is recorded (provenance)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from asn1crypto import core
from click.testing import CliRunner

from cardkit.errors import ExitCode, VerificationError
from cardkit.results import CheckState
from cardkit.security.masterlist import parse_master_list
from cardkit.security.ml_pins import check_publisher, publishers
from cardkit.security.trust import TrustStore, import_master_list
from cardkit_cli.trust import trust_group
from tests.conftest import need
from tests.security.conftest import _ML, _issue, _req_ca, openssl

DE_ML = "DE_ML_2026-05-28-08-28-45.ml"


def _sign_ml(root: Path, listed: list[str], signer: str, out: str) -> Path:
    content = _ML({"version": 0, "certs": [core.Any.load(
        openssl("x509", "-in", f"{n}.pem", "-outform", "DER", cwd=root)) for n in listed]}).dump()
    (root / f"{out}.content").write_bytes(content)
    openssl("cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-econtent_type",
            "2.23.136.1.1.2", "-signer", f"{signer}.pem", "-inkey", f"{signer}.key", "-md",
            "sha256", "-in", f"{out}.content", "-out", f"{out}.ml", cwd=root)
    return root / f"{out}.ml"


@pytest.fixture(scope="module")
def hostile_lists(pki) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    root = pki.root
    if not (root / "unchained.ml").exists():
        org = "/O=CardKit test - not a state"
        # a signer issued by a CSCA that is neither in the list nor in any trust store
        _issue(root, "rogue", "mlsigner-rogue", f"/C=VN{org}/CN=Rogue ML Signer", ["rsa"])
        _sign_ml(root, ["csca", "csca_ec"], "mlsigner-rogue", "unchained")
        # a forged "German" list: its own DE CSCA listed, signer chains to it, not to the pin
        _req_ca(root, "fake_de", "/C=DE/O=bund/OU=bsi/CN=csca-germany", ["rsa"])
        _issue(root, "fake_de", "mlsigner-fake-de",
               "/C=DE/O=bund/OU=bsi/CN=CSCA Master List Signer", ["rsa"])
        _sign_ml(root, ["fake_de", "csca"], "mlsigner-fake-de", "fake-de")
    return {"unchained": root / "unchained.ml", "fake-de": root / "fake-de.ml"}


def test_pin_table_has_the_german_root() -> None:
    de = publishers()["DE"]
    assert len(de.roots) == 1 and "csca-germany" in de.roots[0].subject.human_friendly


def test_real_german_master_list_imports_pinned(shared_dir: Path, tmp_path: Path) -> None:
    path = shared_dir / "trust" / DE_ML
    need(path.is_file(), f"{path} missing")
    folder = tmp_path / "trust"
    rep = import_master_list(path, folder)
    assert rep.signer_chain == "valid" and rep.publisher == "valid"
    assert rep.added > 500 and "VN" in rep.countries and "DE" in rep.countries
    prov = json.loads((folder / "provenance.json").read_text("utf-8"))
    entry = prov["imports"][-1]
    assert entry["file"].endswith(DE_ML) and len(entry["sha256"]) == 64
    assert "CSCA Master List Signer" in entry["signer"] and entry["imported_at"]
    assert entry["publisher"]["state"] == "valid" and entry["override"] is False
    assert len(entry["certificates"]) == rep.added


def test_list_whose_signer_does_not_chain_is_refused(hostile_lists, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ml = parse_master_list(hostile_lists["unchained"].read_bytes())
    assert ml.signature.state == CheckState.VALID  # the CMS signature itself is fine
    assert ml.signer_chain.state == CheckState.INVALID
    folder = tmp_path / "trust"
    with pytest.raises(VerificationError, match="does not chain"):
        import_master_list(hostile_lists["unchained"], folder)
    assert not folder.exists() or not any(folder.iterdir())
    with pytest.raises(VerificationError):
        TrustStore().add_master_list(hostile_lists["unchained"].read_bytes(), "x.ml")
    rep = import_master_list(hostile_lists["unchained"], folder, allow_untrusted_signer=True)
    assert rep.added == 2 and rep.signer_chain == "invalid"
    entry = json.loads((folder / "provenance.json").read_text("utf-8"))["imports"][-1]
    assert entry["override"] is True


def test_forged_german_list_is_refused_by_the_pin(hostile_lists, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ml = parse_master_list(hostile_lists["fake-de"].read_bytes())
    assert ml.signature.state == CheckState.VALID and ml.signer_chain.state == CheckState.VALID
    assert check_publisher(ml.signer).state == CheckState.INVALID
    with pytest.raises(VerificationError, match="pinned DE publisher"):
        import_master_list(hostile_lists["fake-de"], tmp_path / "trust")


def test_signer_chaining_to_the_trust_store_is_accepted(pki, hostile_lists, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "trust"
    folder.mkdir()
    (folder / "rogue.pem").write_bytes((pki.root / "rogue.pem").read_bytes())
    rep = import_master_list(hostile_lists["unchained"], folder)
    assert rep.signer_chain == "valid"


def test_cli_refuses_then_accepts_with_the_override(hostile_lists, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = str(tmp_path / "trust")
    r = CliRunner().invoke(trust_group, ["import", str(hostile_lists["unchained"]), "--dir",
                                         folder])
    assert r.exit_code == ExitCode.NOT_GENUINE and "--allow-untrusted-signer" in r.stderr
    assert "Traceback" not in r.output
    r = CliRunner().invoke(trust_group, ["import", str(hostile_lists["unchained"]), "--dir",
                                         folder, "--allow-untrusted-signer"])
    assert r.exit_code == 0 and "Stored 2" in r.stdout and "warning" in r.stderr
