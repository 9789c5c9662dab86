"""Dump folders: the raw chip files as `cardkit read --out` writes them (`COM.bin`, `DG1.bin` ...).

Used by `cardkit inspect DIR` and by server-side verification of dumps uploaded from phones.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError
from .lds import files as lds_files

MAX_FILE_SIZE = 4 * 1024 * 1024  # no LDS file comes close; refuse anything larger


def load_dump(folder: str | Path) -> dict[str, bytes]:
    """Read every known LDS file present in `folder`; names are case-insensitive."""
    path = Path(folder)
    if not path.is_dir():
        raise InputError(f"{path}: not a folder (expected a dump written by `cardkit read --out`)")
    by_lower = {f"{name.lower()}.bin": name for name in lds_files.ALL}
    out: dict[str, bytes] = {}
    for entry in sorted(path.iterdir()):
        name = by_lower.get(entry.name.lower())
        if name is None or not entry.is_file():
            continue
        if entry.stat().st_size > MAX_FILE_SIZE:
            raise InputError(f"{entry}: {entry.stat().st_size} bytes is too large for an LDS file")
        out[name] = entry.read_bytes()
    if not out:
        raise InputError(f"{path}: no chip files found (COM.bin, SOD.bin, DG1.bin ...)")
    return out


def save_dump(folder: str | Path, files: dict[str, bytes]) -> list[Path]:
    """Write each file as NAME.bin, exactly as read. Returns the paths written."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        target = path / f"{name}.bin"
        tmp = target.with_suffix(".bin.part")
        tmp.write_bytes(data)
        tmp.replace(target)
        written.append(target)
    return written
