"""`cardkit eac`: CV certificates for Terminal Authentication (show, test PKI, IS requests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cardkit.errors import InputError, ParseError
from cardkit.lds import cvc

from .common import echo_json, handle_errors


@click.group("eac")
def eac_group() -> None:
    """Extended Access Control: CV certificates and terminal keys for reading fingerprints."""


@eac_group.command("show")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def show_cmd(files: tuple[str, ...], as_json: bool) -> None:
    """Print CV certificates or certificate requests (TR-03110-3)."""
    out: list[dict[str, Any]] = []
    for name in files:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {name}: {exc.strerror}") from None
        try:
            parsed = cvc.parse_cv(data)
        except ParseError as exc:
            raise ParseError(f"{name}: {exc}") from None
        out.append({"file": name, **dict(parsed.describe())})
    if as_json:
        echo_json(out)
        return
    for item in out:
        width = max(len(k) for k in item)
        for key, value in item.items():
            click.echo(f"{key.ljust(width)}  {value}")
        click.echo("")


@eac_group.command("make-test-chain")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--country", default="VN", show_default=True, help="Country code of the CHRs.")
@click.option("--curve", default="brainpoolP256r1", show_default=True,
              type=click.Choice(["brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1",
                                 "NIST P-256", "NIST P-384"]))
@click.option("--from-cvca", type=click.Path(file_okay=False, exists=True),
              help="Reuse the CVCA (cvca.cvcert + cvca.key.pem) of this folder, e.g. the "
                   "virtual card's cardkit/sim/data/eac.")
@click.option("--no-dg3", is_flag=True, help="IS certificate without the DG3 read right.")
@click.option("--is-days", type=click.IntRange(-3650, 3650), default=30, show_default=True,
              help="IS certificate validity in days (negative: already expired).")
@click.option("--is-key", metavar="FILE|pkcs11:URI",
              help="Certify this IS key (e.g. in an HSM) instead of generating one.")
@handle_errors
def make_test_chain_cmd(folder: Path, country: str, curve: str, from_cvca: str | None,
                        no_dg3: bool, is_days: int, is_key: str | None) -> None:
    """Write a TEST PKI: CVCA → DV → IS certificates and keys (never for production)."""
    import datetime as dt

    from cardkit.security.cv_chain import make_test_chain
    from cardkit.security.terminal_key import load_terminal_key

    today = dt.date.today()
    kwargs: dict[str, Any] = {}
    if is_days < 0:
        kwargs.update(is_effective=today + dt.timedelta(days=is_days - 30),
                      is_expiration=today + dt.timedelta(days=is_days))
    chain = make_test_chain(folder, country=country, curve=curve, cvca_from=from_cvca,
                            dg3=not no_dg3, is_days=max(is_days, 0),
                            is_key=load_terminal_key(is_key) if is_key else None, **kwargs)
    for p in chain.certificates:
        click.echo(f"wrote {p}")
    click.echo(f"keys in {chain.folder} (0600): cvca.key.pem, dv.key.pem"
               + ("" if is_key else ", is.key.pem"))


@eac_group.command("request")
@click.option("--key", "key_spec", required=True, metavar="FILE|pkcs11:URI",
              help="The new IS key (PEM file or PKCS#11 URI; PIN from $CARDKIT_PKCS11_PIN).")
@click.option("--chr", "holder", required=True,
              help="Holder reference: country (2) + mnemonic (≤ 9) + sequence (5).")
@click.option("--car", default=None, help="The DV that should certify it (optional).")
@click.option("--current-key", metavar="FILE|pkcs11:URI",
              help="Renewal: sign the request also with the current IS key (authenticated "
                   "request); needs --current-chr.")
@click.option("--current-chr", help="Renewal: the CHR of the current IS certificate.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@handle_errors
def request_cmd(key_spec: str, holder: str, car: str | None, current_key: str | None,
                current_chr: str | None, out: Path) -> None:
    """Write an IS certificate request (to send to the Document Verifier)."""
    from cardkit.security.cv_chain import make_request, ta_oid_for
    from cardkit.security.terminal_key import load_terminal_key

    if not 7 <= len(holder) <= 16 or not holder[:2].isalpha():
        raise InputError("--chr must be 2 letters + mnemonic + 5-character sequence number")
    if bool(current_key) != bool(current_chr):
        raise InputError("an authenticated request needs both --current-key and --current-chr")
    outer = None
    if current_key:
        old = load_terminal_key(current_key)
        outer = (old, ta_oid_for(old.public_key()), str(current_chr))
    data = make_request(key=load_terminal_key(key_spec), chr=holder, car=car, outer=outer)
    out.write_bytes(data)
    click.echo(f"wrote {out} ({len(data)} bytes)")
