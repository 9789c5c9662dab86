"""Audit trail: what is stored (and what never is), append-only, hash-chained exports, retention,
SQLite by default and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit.audit import AuditConfig, AuditLog, card_reference, verify_export
from cardkit.document import parse_document
from cardkit.sim.personas import get_persona
from cardkit_cli.main import cli
from tests.conftest import need

SECRET = bytes(range(32))


def _report(persona: str = "default") -> dict:
    r = CliRunner().invoke(cli, ["read", "--sim", persona, "--json"])
    return json.loads(r.stdout)


def _log(url: str, mode: str = "hmac") -> AuditLog:
    return AuditLog(AuditConfig(url, SECRET, mode, 30))


def test_sqlite_db_holds_no_biometrics_and_no_personal_data(tmp_path: Path) -> None:
    db = tmp_path / "private" / "audit.db"
    log = _log(f"sqlite:///{db}")
    persona = get_persona("default")
    for name in ("default", "forged-dg", "jp2"):
        p = get_persona(name)
        log.record_verification(_report(name), operator="teller-07", counter="quay-3",
                                policy="bank", source="sim", durations={"read": 0.8},
                                sod=p.files["SOD"])
    log.close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    blob = b"".join(p.read_bytes() for p in db.parent.iterdir())
    doc = parse_document(persona.files)
    portrait = doc.portrait.image_bytes
    assert portrait[:64] not in blob and portrait[-64:] not in blob
    for fname in ("DG2", "DG3"):
        if fname in persona.files:
            data = persona.files[fname]
            for i in range(0, len(data) - 48, max(48, len(data) // 20)):
                assert data[i:i + 48] not in blob, f"{fname} bytes found in the audit DB"
    for text in ("001093000001", "Nguyễn Văn An", "NGUYEN", "Nguy", "Văn An", "1993-01-05",
                 "05011993", "930105"):
        assert text.encode("utf-8") not in blob, text
        assert text.encode("utf-16-le") not in blob, text
    rows = _log(f"sqlite:///{db}").list()
    assert len(rows) == 3 and {r["verdict"] for r in rows} == {"VERIFIED", "REJECTED"}
    assert rows[0]["operator"] == "teller-07" and rows[0]["dsc_sha256"]
    ref = card_reference("001093000001", _log("sqlite://").config)
    assert {r["card_ref"] for r in rows} == {ref, f"claimed-{ref}"}  # forged-dg: DG13 claims it
    # A compliance officer given the number finds the visits without the log holding it.
    assert len(_log(f"sqlite:///{db}").list(id_number="001093000001")) == 3


def test_masked_mode_keeps_last_three_digits(tmp_path: Path) -> None:
    log = _log(f"sqlite:///{tmp_path / 'a.db'}", "masked")
    rec = log.record_verification(_report())
    assert rec["card_ref"] == "*********001"
    assert _log("sqlite://", "none").record_verification(_report())["card_ref"] is None


def test_append_only_chain_export_and_tamper_detection(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    log = _log(f"sqlite:///{db}")
    report = _report()
    for _ in range(3):
        log.record_verification(report, operator="t1")
    ok, why = log.verify_chain()
    assert ok, why
    con = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE cardkit_audit SET verdict='valid' WHERE id=2")
    export = log.export()
    assert verify_export(export, SECRET) == (True, "3 records, hash chain intact")
    # A forger edits a verdict in the export: both the chain and the HMAC catch it.
    forged = json.loads(json.dumps(export))
    forged["records"][1]["verdict"] = "REJECTED"
    assert not verify_export(forged, SECRET)[0]
    assert "altered" in verify_export(forged, None)[1]
    # ... recomputes the chain too: the HMAC (site secret) still catches it.
    from cardkit.audit import _FIELDS, chain_hash

    prev = forged["records"][0]["record_hash"]
    for rec in forged["records"][1:]:
        rec["prev_hash"] = prev
        rec["record_hash"] = prev = chain_hash(prev, {k: rec.get(k) for k in _FIELDS})
    assert verify_export(forged, None)[0]
    assert verify_export(forged, SECRET) == (False, "export HMAC does not match (altered, or "
                                                    "another site's secret)")
    # A row deleted behind cardkit's back breaks the chain.
    con.execute("DELETE FROM cardkit_audit WHERE id=2")
    con.commit()
    ok, why = log.verify_chain()
    assert not ok and "chain broken" in why


def test_retention_purge_appends_a_purge_record(tmp_path: Path) -> None:
    log = _log(f"sqlite:///{tmp_path / 'audit.db'}")
    for _ in range(2):
        log.record_verification(_report())
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=31)
    assert log.purge(now=later) == 2
    rows = log.list()
    assert [r["kind"] for r in rows] == ["purge"] and "purged 2" in rows[0]["note"]
    assert log.verify_chain()[0]
    assert log.purge() == 0


def test_cli_log_commands(tmp_path: Path) -> None:
    env = {"CARDKIT_AUDIT_URL": f"sqlite:///{tmp_path / 'audit.db'}",
           "CARDKIT_AUDIT_SECRET": SECRET.hex()}
    run = CliRunner(env=env).invoke
    _log(env["CARDKIT_AUDIT_URL"]).record_verification(_report("forged-dg"), operator="t9")
    r = run(cli, ["log", "list"])
    assert r.exit_code == 0 and "t9" in r.stdout and "invalid" in r.stdout
    r = run(cli, ["log", "show", "1", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["checks"]["passive_auth"]["state"] == \
        "invalid"
    out = tmp_path / "export.json"
    assert run(cli, ["log", "export", "-o", str(out)]).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    r = run(cli, ["log", "verify", str(out)])
    assert r.exit_code == 0 and "intact" in r.stdout
    data = json.loads(out.read_text())
    data["records"][0]["operator"] = "someone-else"
    out.write_text(json.dumps(data))
    r = run(cli, ["log", "verify", str(out)])
    assert r.exit_code == 3 and "HMAC" in r.stderr
    r = run(cli, ["log", "purge", "--older-than-days", "0"])
    assert r.exit_code == 0 and "1" in r.stdout
    r = run(cli, ["log", "show", "999"])
    assert r.exit_code == 2 and "no audit record" in r.stderr
    r = CliRunner(env={**env, "CARDKIT_AUDIT_URL": "postgresql://nobody@127.0.0.1:1/x"}).invoke(
        cli, ["log", "list"])
    assert r.exit_code == 2 and "unusable" in r.stderr and "Traceback" not in r.output


# --- a real PostgreSQL server ---------------------------------------------------------------------

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """initdb + pg_ctl in a temporary directory, as an unprivileged user when we are root;
    listening on a unix socket only."""
    need((PG_BIN / "initdb").exists(), "PostgreSQL 15 server not installed (apt-get install "
         "postgresql)")
    base = Path(tempfile.mkdtemp(prefix="cardkit-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:
        need(shutil.which("runuser") is not None, "runuser missing")
        os.chmod(base, 0o755)
        shutil.chown(sock, "nobody")
        data.mkdir(mode=0o700)
        shutil.chown(data, "nobody")
        prefix = ["runuser", "-u", "nobody", "--"]
    port = _free_port()
    subprocess.run([*prefix, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U",
                    "postgres", "--no-sync"], check=True, capture_output=True, cwd="/")
    subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l",
                    str(sock / "log"), "-o", f"-k {sock} -p {port} -c listen_addresses='' "
                    "-c fsync=off", "start"], check=True, capture_output=True, cwd="/")
    try:
        yield f"postgresql://postgres@/postgres?host={sock}&port={port}"
    finally:
        subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True, cwd="/")
        shutil.rmtree(base, ignore_errors=True)


def test_postgresql_server(postgres: str) -> None:
    log = _log(postgres)
    t0 = time.monotonic()
    for name in ("default", "forged-dg"):
        log.record_verification(_report(name), operator="branch-2", counter="quay-1",
                                sod=get_persona(name).files["SOD"])
    assert time.monotonic() - t0 < 30
    rows = log.list()
    assert [r["verdict"] for r in rows] == ["REJECTED", "VERIFIED"]
    assert log.verify_chain()[0]
    assert verify_export(log.export(), SECRET)[0]
    import sqlalchemy as sa

    with pytest.raises(sa.exc.DBAPIError, match="append-only"), log.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE cardkit_audit SET verdict='valid'")
    with log.engine.connect() as conn:
        dump = json.dumps([list(r) for r in conn.exec_driver_sql(
            "SELECT * FROM cardkit_audit")], default=str)
    assert "001093000001" not in dump and "Nguyễn" not in dump
    log.close()
    # A second counter on the same server continues the same chain.
    other = _log(postgres)
    other.record_verification(_report(), operator="branch-2b")
    assert other.verify_chain() == (True, "3 records, hash chain intact")
    other.close()
