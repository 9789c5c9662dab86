"""The CSCA master-list snapshot that ships with cardkit, so a fresh install can verify cards.

The package carries a dated copy of the German (BSI) CSCA master list (it holds Vietnam's CSCA).
At start the snapshot is verified: CMS signature valid, signer certificate issued by its
country's pinned publisher root (cardkit.security.ml_pins, the same table `cardkit trust import`
uses: the German CSCA that issues BSI's master-list signer) — ICAO 9303-12 §9.
A snapshot that fails is refused (VerificationError), never used. `cardkit trust update FILE|URL`
stores a newer list (same checks) in the user's data folder, where it replaces the bundled one.
"""

from __future__ import annotations

import datetime as _dt
import os
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from asn1crypto import cms

from ..errors import InputError, ParseError, VerificationError
from ..results import CheckState
from . import certs
from .masterlist import MAX_ML_SIZE, parse_master_list
from .ml_pins import check_publisher
from .trust import TrustStore, default_trust_dir

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "trust"
BUNDLED = DATA_DIR / "DE_ML_2026-05-28-08-28-45.ml"
LIST_NAME = "German (BSI) CSCA master list"
DEFAULT_MAX_AGE_DAYS = 365
DOWNLOAD_TIMEOUT = 30.0


def snapshot_dir() -> Path:
    """Where `cardkit trust update` keeps the current list ($CARDKIT_SNAPSHOT_DIR or beside the
    trust folder)."""
    env = os.environ.get("CARDKIT_SNAPSHOT_DIR")
    return Path(env) if env else default_trust_dir().parent / "masterlist"


def installed_path() -> Path:
    """The updated list if the user installed one, else the bundled one."""
    updated = snapshot_dir() / "current.ml"
    return updated if updated.is_file() else BUNDLED


@dataclass(frozen=True)
class Snapshot:
    path: Path
    name: str
    signed_at: _dt.datetime | None
    signer: str
    store: TrustStore
    bundled: bool

    @property
    def date(self) -> str:
        return self.signed_at.date().isoformat() if self.signed_at else "unknown date"

    def age_days(self, at: _dt.datetime | None = None) -> int | None:
        if self.signed_at is None:
            return None
        now = at or _dt.datetime.now(_dt.timezone.utc)
        return (now - self.signed_at).days

    def label(self) -> str:
        where = "bundled with cardkit" if self.bundled else f"updated, {self.path}"
        return f"{self.name} of {self.date} ({where})"

    def age_warning(self, max_days: int, at: _dt.datetime | None = None) -> str | None:
        age = self.age_days(at)
        if age is None or age <= max_days:
            return None
        return (f"the CSCA master list is {age} days old (limit {max_days}): "
                "run `cardkit trust update FILE|URL` with a current list")

    def to_dict(self, at: _dt.datetime | None = None) -> dict[str, object]:
        return {"name": self.name, "date": self.date, "signer": self.signer,
                "file": str(self.path), "bundled": self.bundled,
                "csca_count": len(self.store), "age_days": self.age_days(at)}


def _signing_time(data: bytes) -> _dt.datetime | None:
    try:
        info = cms.ContentInfo.load(data)["content"]["signer_infos"][0]
        for attr in info["signed_attrs"]:
            if attr["type"].native == "signing_time":
                return attr["values"][0].native
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return None


def verify_snapshot(data: bytes, source: str, *, bundled: bool = False) -> Snapshot:
    """Check a master list against the pinned root; VerificationError (refused) otherwise."""
    try:
        ml = parse_master_list(data)
    except ParseError as exc:
        raise VerificationError(f"{source}: refused — not a valid CSCA master list ({exc})") \
            from None
    if ml.signature.state is not CheckState.VALID or ml.signer is None:
        raise VerificationError(f"{source}: refused — master list signature "
                                f"{ml.signature.state.value} ({ml.signature.reason}); reinstall "
                                "cardkit or run `cardkit trust update` with a list from BSI")
    pin = check_publisher(ml.signer)
    if pin.state is not CheckState.VALID:
        raise VerificationError(f"{source}: refused — the list's signer "
                                f"({certs.subject_str(ml.signer)}) is not issued by a pinned "
                                f"master-list publisher ({pin.reason})")
    store = TrustStore()
    for c in ml.certificates:
        store.add_certificate(c, f"{LIST_NAME} {source}")
    store.master_lists.append((source, ml))
    return Snapshot(Path(source), LIST_NAME, _signing_time(data),
                    certs.subject_str(ml.signer), store, bundled)


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime_ns: int, size: int) -> Snapshot:
    data = Path(path).read_bytes()
    return verify_snapshot(data, path, bundled=Path(path) == BUNDLED)


def load_snapshot(path: str | Path | None = None) -> Snapshot:
    """The installed snapshot (or `path`), verified; cached per file version in this process."""
    p = Path(path) if path is not None else installed_path()
    try:
        st = p.stat()
    except OSError as exc:
        raise InputError(f"CSCA master list {p}: cannot open ({exc.strerror})") from None
    if st.st_size > MAX_ML_SIZE:
        raise VerificationError(f"{p}: refused — too large for a master list")
    return _load_cached(str(p), st.st_mtime_ns, st.st_size)


def _fetch(src: str) -> tuple[bytes, str]:
    if src.startswith(("https://", "http://")):
        try:
            with urllib.request.urlopen(src, timeout=DOWNLOAD_TIMEOUT) as resp:  # noqa: S310
                data = resp.read(MAX_ML_SIZE + 1)
        except OSError as exc:
            raise InputError(f"cannot download {src}: {exc}") from None
        if len(data) > MAX_ML_SIZE:
            raise InputError(f"{src}: larger than a master list can be")
        return data, src
    p = Path(src)
    try:
        if p.stat().st_size > MAX_ML_SIZE:
            raise InputError(f"{p}: larger than a master list can be")
        return p.read_bytes(), str(p)
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror}") from None


def update_snapshot(src: str, dest_dir: Path | None = None) -> Snapshot:
    """Fetch a master list (file or http(s) URL), verify it as at start, install it (0600)."""
    data, where = _fetch(src)
    from .certs import pem_blocks

    if data.lstrip().startswith(b"-----BEGIN"):
        blocks = pem_blocks(data, {"CMS", "PKCS7"})
        if not blocks:
            raise InputError(f"{where}: not a CSCA master list")
        data = blocks[0][1]
    checked = verify_snapshot(data, where)
    folder = dest_dir or snapshot_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target = folder / "current.ml"
    tmp = folder / ".current.ml.part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp.replace(target)
    return Snapshot(target, checked.name, checked.signed_at, checked.signer, checked.store, False)
