"""`cardkit serve`: the counter service and the teller's web page (README, Counter service)."""

from __future__ import annotations

import os

import click

from cardkit.errors import InputError

from .common import _, handle_errors, lang_option


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but 127.0.0.1/::1 requires --token.")
@click.option("--port", type=int, default=8765, show_default=True)
@click.option("--token", envvar="CARDKIT_SERVE_TOKEN", default=None,
              help="Bearer token for every /api call (env CARDKIT_SERVE_TOKEN). The page takes it "
                   "as http://HOST:PORT/#token=…")
@click.option("--trust", "trust_paths", multiple=True, type=click.Path(exists=True),
              help="CSCA certificates: file, folder or master list (.ml); repeatable.")
@click.option("--sim-trust", is_flag=True,
              help="Trust the virtual card's TEST CSCA (demos with `cardkit sim serve`).")
@click.option("--counter", default="", help="Name of this counter, stored in the audit trail.")
@click.option("--audit-db", default=None, metavar="URL",
              help="Audit database URL (default $CARDKIT_AUDIT_URL or the local SQLite file).")
@click.option("--no-audit", is_flag=True, help="Do not record verifications (testing only).")
@click.option("--card-wait", type=float, default=30.0, show_default=True,
              help="Seconds to wait for the card after a verification starts.")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Worker processes. Card jobs live in the worker that started them: use 1 for "
                   "a teller page; more only for dump verification (/api/dumps/verify).")
@click.option("--terminal-chain", "terminal_chain", multiple=True, type=click.Path(exists=True),
              help="EAC terminal CV certificates (file or folder; repeatable), used for every "
                   "card so the fingerprints (DG3) can be read.")
@click.option("--terminal-key", default=None, metavar="FILE|pkcs11:URI",
              help="EAC terminal private key: a PEM/DER file or a pkcs11: URI (the PIN from "
                   "CARDKIT_PKCS11_PIN or pin-source=env:VARIABLE only).")
@lang_option
@handle_errors
def serve_cmd(host: str, port: int, token: str | None, trust_paths: tuple[str, ...],
              sim_trust: bool, counter: str, audit_db: str | None, no_audit: bool,
              card_wait: float, workers: int, terminal_chain: tuple[str, ...],
              terminal_key: str | None) -> None:
    """Run the local counter service: teller page at /, API under /api, OpenAPI at /docs."""
    import uvicorn

    from cardkit.service.app import ServiceConfig, create_app

    if workers < 1 or workers > 32:
        raise InputError("--workers must be 1 to 32")
    cfg = ServiceConfig(host=host, token=token, trust=list(trust_paths), sim_trust=sim_trust,
                        counter=counter, audit_url="" if no_audit else audit_db,
                        card_wait=card_wait, terminal_chain=list(terminal_chain),
                        terminal_key=terminal_key)
    create_app(cfg)  # refuses a non-loopback address without a token, before listening
    click.echo(_("cardkit counter service at {url} (API documentation: /docs)").format(
        url=f"http://{host}:{port}/"), err=True)
    if workers == 1:
        uvicorn.run(create_app(cfg), host=host, port=port, log_level="warning")
    else:
        os.environ["CARDKIT_SERVE_CONFIG"] = cfg.to_env()
        uvicorn.run("cardkit.service.app:app_from_env", factory=True, host=host, port=port,
                    workers=workers, log_level="warning")
