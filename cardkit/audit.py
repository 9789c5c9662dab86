"""The audit trail: one row per verification, for a bank's compliance team — not a personal-data store.

Stored (SQLAlchemy; SQLite file by default, any PostgreSQL URL for a branch with many counters):
operator id, counter, reader, time, policy, each check's state (and short reason), verdict,
durations, the SOD's SHA-256 and the DSC's SHA-256 fingerprint, and the card number only as
  - `hmac`   : HMAC-SHA256 with the site secret (default; lets compliance find "all visits of card
               X" when they are given the number, without the log holding it), or
  - `masked` : the last 3 digits only (`*********001`), or
  - `none`   : nothing.
Never stored: the portrait, fingerprints, face/finger scores' images or templates, the name, the
date of birth, the address, the full ID number, the access key (Decree 13/2023/NĐ-CP: collect the
minimum). Check reasons are cut to 200 characters and never contain holder data (they come from
cardkit's checks, which do not quote DG contents).

Append-only: cardkit offers no edit; the database refuses UPDATE (trigger, SQLite and PostgreSQL).
Every record carries `record_hash = SHA-256(prev_hash ‖ canonical JSON of the record)`, so a row
changed or deleted outside cardkit breaks the chain; `purge` (retention) deletes the oldest rows and
appends a `purge` record that names the first kept row's prev_hash as the new anchor. `export`
writes the records with the chain and an HMAC over the whole export (site secret);
`verify_export` checks both.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .private_files import write_private

GENESIS = "0" * 64
EXPORT_VERSION = 1
MAX_REASON = 200
CARD_ID_MODES = ("hmac", "masked", "none")


class AuditError(InputError):
    """The audit database or an export is unusable, or an export fails verification."""


@dataclass(frozen=True)
class AuditConfig:
    url: str
    secret: bytes
    card_id: str = "hmac"
    retention_days: int = 365 * 5

    @classmethod
    def from_env(cls, url: str | None = None, secret_file: str | Path | None = None,
                 card_id: str | None = None, retention_days: int | None = None) -> AuditConfig:
        """URL: argument, `CARDKIT_AUDIT_URL`, else `sqlite:///<data dir>/audit.db`. Secret:
        `CARDKIT_AUDIT_SECRET` (hex), else a 0600 file beside the data (made on first use)."""
        base = Path(os.environ.get("CARDKIT_DATA_DIR") or
                    Path.home() / ".local" / "share" / "cardkit")
        url = url or os.environ.get("CARDKIT_AUDIT_URL") or f"sqlite:///{base / 'audit.db'}"
        env_secret = os.environ.get("CARDKIT_AUDIT_SECRET")
        if env_secret:
            try:
                secret = bytes.fromhex(env_secret)
            except ValueError:
                raise AuditError("CARDKIT_AUDIT_SECRET must be hex (e.g. 64 hex digits)") from None
        else:
            secret = _site_secret(Path(secret_file) if secret_file else base / "audit.secret")
        if len(secret) < 16:
            raise AuditError("the audit site secret must be at least 16 bytes")
        mode = card_id or os.environ.get("CARDKIT_AUDIT_CARD_ID", "hmac")
        if mode not in CARD_ID_MODES:
            raise AuditError(f"card id mode must be one of {', '.join(CARD_ID_MODES)}")
        days = retention_days if retention_days is not None else int(
            os.environ.get("CARDKIT_AUDIT_RETENTION_DAYS", 365 * 5))
        return cls(url, secret, mode, days)


def _site_secret(path: Path) -> bytes:
    if path.is_file():
        try:
            return bytes.fromhex(path.read_text().strip())
        except ValueError:
            raise AuditError(f"{path}: not a hex site secret") from None
    value = secrets.token_bytes(32)
    write_private(path, value.hex() + "\n")
    return value


def card_reference(id_number: str | None, config: AuditConfig) -> str | None:
    if not id_number or config.card_id == "none":
        return None
    if config.card_id == "masked":
        return "*" * (len(id_number) - 3) + id_number[-3:]
    return "hmac:" + hmac.new(config.secret, id_number.encode(), hashlib.sha256).hexdigest()


def dsc_fingerprint(sod: bytes | None) -> str | None:
    """SHA-256 of the first certificate in EF.SOD (the document signer), or None."""
    if not sod:
        return None
    from .lds.sod import parse_sod

    try:
        certs = parse_sod(sod).certificates
    except InputError:
        return None
    return hashlib.sha256(certs[0]).hexdigest() if certs else None


def _card_ref(report: dict[str, Any], config: AuditConfig) -> str | None:
    """The card reference from the authenticated ID; for a card whose ID EF.SOD does not vouch
    for (a forgery), the *claimed* ID's reference, marked `claimed-` — what an investigation of
    a fraud attempt needs, never mistaken for a verified card."""
    ref = card_reference((report.get("identity") or {}).get("id_number"), config)
    if ref is not None:
        return ref
    unauth = (report.get("unauthenticated") or {}).get("identity") or {}
    claimed = card_reference(unauth.get("id_number"), config)
    return f"claimed-{claimed}" if claimed else None


def _canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, record: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(record)).hexdigest()


# --- the table ------------------------------------------------------------------------------------

_FIELDS = ("kind", "created", "operator", "counter", "reader", "policy", "verdict",
           "verdict_reason", "checks", "durations", "sod_sha256", "dsc_sha256", "card_ref",
           "source", "note")


def _tables() -> tuple[Any, Any]:
    import sqlalchemy as sa

    meta = sa.MetaData()
    table = sa.Table(
        "cardkit_audit", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),  # verification | purge
        sa.Column("created", sa.String(32), nullable=False, index=True),  # ISO 8601 UTC
        sa.Column("operator", sa.String(64)),
        sa.Column("counter", sa.String(64)),
        sa.Column("reader", sa.String(128)),
        sa.Column("policy", sa.String(32)),
        sa.Column("verdict", sa.String(16)),
        sa.Column("verdict_reason", sa.String(MAX_REASON)),
        sa.Column("checks", sa.Text),  # JSON {name: {state, reason}}
        sa.Column("durations", sa.Text),  # JSON {step: seconds}
        sa.Column("sod_sha256", sa.String(64)),
        sa.Column("dsc_sha256", sa.String(64)),
        sa.Column("card_ref", sa.String(96), index=True),
        sa.Column("source", sa.String(16)),  # reader | dump | sim | fixture
        sa.Column("note", sa.String(200)),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("record_hash", sa.String(64), nullable=False, unique=True),
    )
    return meta, table


_NO_UPDATE_SQLITE = """
CREATE TRIGGER IF NOT EXISTS cardkit_audit_append_only BEFORE UPDATE ON cardkit_audit
BEGIN SELECT RAISE(ABORT, 'cardkit audit records are append-only'); END
"""
_NO_UPDATE_PG = [
    """CREATE OR REPLACE FUNCTION cardkit_audit_refuse_update() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'cardkit audit records are append-only'; END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS cardkit_audit_append_only ON cardkit_audit",
    """CREATE TRIGGER cardkit_audit_append_only BEFORE UPDATE ON cardkit_audit
    FOR EACH ROW EXECUTE FUNCTION cardkit_audit_refuse_update()""",
]


class AuditLog:
    """Append verification records, list/show/export them, purge by retention."""

    def __init__(self, config: AuditConfig) -> None:
        import sqlalchemy as sa

        self.config = config
        self._lock = threading.Lock()
        url = sa.engine.make_url(config.url)
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        self._sqlite_path: Path | None = None
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self._sqlite_path = Path(url.database)
            if not self._sqlite_path.exists():
                write_private(self._sqlite_path, b"")  # SQLite takes an empty file as a new DB
        try:
            self.engine = sa.create_engine(url, future=True)
            self._meta, self.table = _tables()
            self._meta.create_all(self.engine)
            with self.engine.begin() as conn:
                if url.get_backend_name() == "sqlite":
                    conn.exec_driver_sql(_NO_UPDATE_SQLITE)
                elif url.get_backend_name() == "postgresql":
                    for stmt in _NO_UPDATE_PG:
                        conn.exec_driver_sql(stmt)
        except sa.exc.SQLAlchemyError as exc:
            raise AuditError(f"audit database {url.render_as_string(hide_password=True)} "
                             f"unusable: {type(exc).__name__}") from None
        if self._sqlite_path is not None:
            for suffix in ("", "-journal", "-wal", "-shm"):
                p = Path(str(self._sqlite_path) + suffix)
                if p.exists():
                    os.chmod(p, 0o600)

    # -- writing ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self._sqlite_path is None:
            yield
            return
        import fcntl

        fd = os.open(str(self._sqlite_path) + ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _append(self, record: dict[str, Any]) -> dict[str, Any]:
        import sqlalchemy as sa

        row = {k: record.get(k) for k in _FIELDS}
        # One writer at a time keeps the chain linear: a thread lock, a file lock for SQLite
        # (several service workers), a table lock on PostgreSQL (several counters).
        with self._lock, self._file_lock(), self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.exec_driver_sql("LOCK TABLE cardkit_audit IN EXCLUSIVE MODE")
            last = conn.execute(sa.select(self.table.c.record_hash)
                                .order_by(self.table.c.id.desc()).limit(1)).scalar()
            prev = last or GENESIS
            row["record_hash"] = chain_hash(prev, row)
            row["prev_hash"] = prev
            new_id = conn.execute(sa.insert(self.table).values(**row)).inserted_primary_key[0]
        return {"id": new_id, **row}

    def record_verification(self, report: dict[str, Any], *, operator: str = "",
                            counter: str = "", policy: str = "", source: str = "",
                            durations: dict[str, float] | None = None,
                            sod: bytes | None = None) -> dict[str, Any]:
        """Append one verification from a cardkit report (version 2; holder data is reduced
        here to the keyed card reference)."""
        verdict = report.get("verdict") or {}
        reasons = [r for r in verdict.get("reasons") or [] if isinstance(r, dict)]
        checks = {name: {"state": c.get("state"),
                         "reason": _redact(str(c.get("message") or c.get("reason") or ""))}
                  for name, c in (report.get("checks") or {}).items() if isinstance(c, dict)}
        files = report.get("files") or {}
        return self._append({
            "kind": "verification",
            "created": _now(),
            "operator": operator[:64] or None,
            "counter": counter[:64] or None,
            "reader": str((report.get("source") or {}).get("reader") or "")[:128] or None,
            "policy": (policy or str((report.get("policy") or {}).get("name") or ""))[:32] or None,
            "verdict": str(verdict.get("result") or "incomplete").upper()[:16],
            "verdict_reason": _redact("; ".join(str(r.get("message", "")) for r in reasons)),
            "checks": json.dumps(checks, sort_keys=True, ensure_ascii=False),
            "durations": json.dumps({k: round(float(v), 4) for k, v in (durations or {}).items()},
                                    sort_keys=True),
            "sod_sha256": (files.get("SOD") or {}).get("sha256"),
            "dsc_sha256": dsc_fingerprint(sod),
            "card_ref": _card_ref(report, self.config),
            "source": source[:16] or None,
        })

    def purge(self, *, older_than_days: int | None = None,
              now: _dt.datetime | None = None) -> int:
        """Delete records older than the retention period; append a `purge` record."""
        import sqlalchemy as sa

        days = self.config.retention_days if older_than_days is None else older_than_days
        if days < 0:
            raise AuditError("retention must be 0 days or more")
        cutoff = ((now or _dt.datetime.now(_dt.timezone.utc)) - _dt.timedelta(days=days))
        cutoff_s = cutoff.isoformat(timespec="microseconds")
        t = self.table
        with self.engine.begin() as conn:
            n = conn.execute(sa.delete(t).where(t.c.created < cutoff_s)).rowcount
        if n:
            first = self._rows(limit=1, ascending=True)
            anchor = first[0]["prev_hash"] if first else GENESIS
            self._append({"kind": "purge", "created": _now(),
                          "note": f"purged {n} records created before {cutoff_s}; "
                                  f"chain anchor {anchor}"})
        return n

    # -- reading ----------------------------------------------------------------------------------

    def _rows(self, *, limit: int | None = None, ascending: bool = False,
              since: str | None = None, card_ref: str | None = None) -> list[dict[str, Any]]:
        import sqlalchemy as sa

        t = self.table
        q = sa.select(t).order_by(t.c.id.asc() if ascending else t.c.id.desc())
        if since:
            q = q.where(t.c.created >= since)
        if card_ref:
            q = q.where(t.c.card_ref.in_([card_ref, f"claimed-{card_ref}"]))
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def list(self, limit: int = 50, since: str | None = None,
             id_number: str | None = None) -> list[dict[str, Any]]:
        ref = card_reference(id_number, self.config) if id_number else None
        return self._rows(limit=limit, since=since, card_ref=ref)

    def show(self, record_id: int) -> dict[str, Any]:
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            row = conn.execute(sa.select(self.table).where(self.table.c.id == record_id)).first()
        if row is None:
            raise AuditError(f"no audit record {record_id}")
        return dict(row._mapping)

    def verify_chain(self) -> tuple[bool, str]:
        return verify_records(self._rows(ascending=True))

    def export(self) -> dict[str, Any]:
        records = self._rows(ascending=True)
        body = {"format": "cardkit-audit-export", "version": EXPORT_VERSION,
                "exported": _now(), "records": records}
        body["hmac_sha256"] = hmac.new(self.config.secret, _canonical(body),
                                       hashlib.sha256).hexdigest()
        return body

    def close(self) -> None:
        self.engine.dispose()


def _redact(text: str) -> str:
    """Check messages may quote dates or numbers from the card ("valid until 2033-01-05"): the
    audit trail keeps the words, not the card's data."""
    text = re.sub(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}", "[date]", text)
    return re.sub(r"\d{6,}", "[number]", text)[:MAX_REASON]


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")


def verify_records(records: Iterable[dict[str, Any]]) -> tuple[bool, str]:
    """Recompute the hash chain; the first record's prev_hash is the anchor (genesis or purge)."""
    prev: str | None = None
    count = 0
    for rec in records:
        row = {k: rec.get(k) for k in _FIELDS}
        if prev is not None and rec.get("prev_hash") != prev:
            return False, f"record {rec.get('id')}: chain broken (a record before it was " \
                          "removed or changed)"
        if chain_hash(str(rec.get("prev_hash")), row) != rec.get("record_hash"):
            return False, f"record {rec.get('id')}: content does not match its hash (altered)"
        prev = rec["record_hash"]
        count += 1
    return True, f"{count} records, hash chain intact"


def verify_export(data: dict[str, Any], secret: bytes | None) -> tuple[bool, str]:
    """Check an export's chain, and its HMAC when the site secret is given."""
    if not isinstance(data, dict) or data.get("format") != "cardkit-audit-export":
        return False, "not a cardkit audit export"
    if secret is not None:
        body = {k: v for k, v in data.items() if k != "hmac_sha256"}
        want = hmac.new(secret, _canonical(body), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, str(data.get("hmac_sha256", ""))):
            return False, "export HMAC does not match (altered, or another site's secret)"
    return verify_records(data.get("records") or [])
