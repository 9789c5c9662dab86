"""Files holding personal data: created 0600 in folders 0700, whatever the process umask.

The one place that writes such files — `read --out` dumps (raw DGs, portrait, report.json),
fixtures recorded from a card, the trust store, and later the audit database. Writes are
atomic (a `.part` file renamed over the target), so a reader never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | Path) -> Path:
    """Create `path` (and missing parents) as 0700 folders; an existing folder is left as is
    (it may be the user's own, e.g. the current directory). Returns the path."""
    p = Path(path)
    missing = []
    cur = p
    while not cur.exists():
        missing.append(cur)
        if cur.parent == cur:
            break
        cur = cur.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(d, DIR_MODE)  # mkdir's mode is filtered by the umask
    if not p.is_dir():
        raise NotADirectoryError(str(p))
    return p


def write_private(path: str | Path, data: bytes | str) -> Path:
    """Write `data` (str as UTF-8) to `path` as a 0600 file, atomically; the folder is created
    0700 when missing. Returns the path."""
    target = Path(path)
    private_dir(target.parent)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)  # a stale part file of an interrupted write
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 FILE_MODE)
    try:
        if hasattr(os, "fchmod"):  # O_CREAT's mode is filtered by the umask
            os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    return target
