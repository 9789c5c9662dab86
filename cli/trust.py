"""`cardkit trust import|add|list|update`: the local CSCA trust directory (ICAO 9303-12 §9 master lists)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from cardkit.security.snapshot import DEFAULT_MAX_AGE_DAYS, load_snapshot, update_snapshot
from cardkit.security.trust import (
    TrustStore,
    add_to_trust_dir,
    default_trust_dir,
    import_master_list,
    list_trust,
    read_provenance,
)

from .common import _, echo_json, handle_errors, lang_option

_DIR_OPTION = click.option(
    "--dir", "trust_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Trust directory (default: $CARDKIT_TRUST_DIR or ~/.local/share/cardkit/trust).")


@click.group("trust")
def trust_group() -> None:
    """Manage the CSCA certificates used to verify chips."""


@trust_group.command("import")
@click.argument("master_list", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_DIR_OPTION
@click.option("--allow-untrusted-signer", is_flag=True,
              help="Import even when the list's signer does not chain to a known CSCA or to the "
                   "pinned publisher of its country (recorded in the provenance).")
@click.option("--json", "as_json", is_flag=True)
@lang_option
@handle_errors
def import_cmd(master_list: Path, trust_dir: Path | None, allow_untrusted_signer: bool,
               as_json: bool) -> None:
    """Check a CSCA master list (signature, signer chain, pinned publisher) and store its CSCAs
    (e.g. the BSI German list); provenance.json records what came from where."""
    rep = import_master_list(master_list, trust_dir,
                             allow_untrusted_signer=allow_untrusted_signer)
    if as_json:
        echo_json({**asdict(rep), "folder": str(rep.folder)})
        return
    pin = {"valid": _("pinned publisher confirmed"),
           "not_performed": _("no pinned publisher for its country")}.get(
        rep.publisher, _("pinned publisher NOT confirmed"))
    click.echo(_("Master list signed by {signer} (signature valid; signer chain {chain}; "
                 "{pin})").format(signer=rep.signer, chain=rep.signer_chain, pin=pin))
    click.echo(_("Stored {added} CSCA certificates ({present} already present) for {countries} "
                 "countries in {folder}").format(added=rep.added, present=rep.already_present,
                                                 countries=len(rep.countries), folder=rep.folder))
    if rep.override and (rep.signer_chain != "valid" or rep.publisher == "invalid"):
        click.echo(_("warning: imported although the signer is not confirmed (--allow-untrusted-"
                     "signer) — check where the file came from"), err=True)


@trust_group.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_DIR_OPTION
@lang_option
@handle_errors
def add_cmd(paths: tuple[Path, ...], trust_dir: Path | None) -> None:
    """Store CSCA certificates or CRLs (PEM/DER files) in the trust directory."""
    total = sum(add_to_trust_dir(p, trust_dir) for p in paths)
    click.echo(_("Stored {count} items in {folder}").format(
        count=total, folder=trust_dir or default_trust_dir()))


@trust_group.command("list")
@_DIR_OPTION
@lang_option
@click.option("--max-age-days", type=click.IntRange(1), default=DEFAULT_MAX_AGE_DAYS,
              show_default=True, help="Warn when the bundled/updated master list is older.")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def list_cmd(trust_dir: Path | None, max_age_days: int, as_json: bool) -> None:
    """List the CSCAs in use: the trust directory, else the master list bundled with cardkit."""
    folder = trust_dir or default_trust_dir()
    store = TrustStore.load(folder) if folder.is_dir() else TrustStore()
    snap = None
    if not len(store):
        snap = load_snapshot()  # verified against the pinned root; refused if tampered
        store = snap.store
    entries = list_trust(store)
    if as_json:
        echo_json({"folder": str(folder), "source": "bundled" if snap else "local",
                   "master_list": snap.to_dict() if snap else None,
                   "csca": [asdict(e) for e in entries], "crls": len(store.crls),
                   "provenance": read_provenance(folder)["imports"]})
        return
    for e in entries:
        kind = "" if e.self_signed else "  [link]"
        click.echo(f"{e.country:<3} {e.not_before} → {e.not_after}  {e.subject}{kind}")
    if snap is not None:
        click.echo(_("{count} CSCA certificates from the {name} of {date}, signed by {signer} "
                     "(signature and signer checked against the pinned German CSCA)").format(
            count=len(entries), name=snap.name, date=snap.date, signer=snap.signer))
        if snap.age_warning(max_age_days):
            click.echo(_("Warning: {text}").format(text=_(
                "the list of state certificates is {days} days old — update it with "
                "`cardkit trust update`").format(days=snap.age_days())), err=True)
    else:
        click.echo(_("{count} CSCA certificates, {crls} CRLs in {folder}").format(
            count=len(entries), crls=len(store.crls), folder=folder))
        for imp in read_provenance(folder)["imports"]:
            click.echo(_("imported {when}: {file} signed by {signer} (publisher {state}"
                         "{override})").format(
                when=imp.get("imported_at"), file=imp.get("file"), signer=imp.get("signer"),
                state=imp.get("publisher", {}).get("state"),
                override=", OVERRIDE" if imp.get("override") else ""))


@trust_group.command("update")
@click.argument("source", metavar="FILE|URL")
@lang_option
@handle_errors
def update_cmd(source: str) -> None:
    """Replace the bundled CSCA master list with a newer one (file or https URL).

    The list's signature and its signer's chain to the pinned German CSCA are checked first;
    a list that fails is refused and nothing changes.
    """
    snap = update_snapshot(source)
    click.echo(_("Installed the {name} of {date}, signed by {signer}: {count} CSCA certificates "
                 "({path})").format(name=snap.name, date=snap.date, signer=snap.signer,
                                    count=len(snap.store), path=snap.path))


trust = trust_group  # the name the lead registers
