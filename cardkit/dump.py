"""Dump folders: the raw chip files as `cardkit read --out` writes them (`COM.bin`, `DG1.bin` ...).

Used by `cardkit inspect DIR` and by server-side verification of dumps uploaded from phones.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .errors import InputError
from .lds import files as lds_files
from .private_files import private_dir, write_private

MAX_FILE_SIZE = 4 * 1024 * 1024  # no LDS file comes close; refuse anything larger


@cache
def _known_names() -> dict[str, str]:
    """File names other tools use for the same files, lower-case → LDS name.

    `DG1.bin` (cardkit), `EF_COM.bin` / `Datagroup1.bin` (BSI samples), `ef0101.bin` (by file ID).
    """
    names: dict[str, str] = {}
    for name, f in lds_files.ALL.items():
        names[f"{name.lower()}.bin"] = name
        names[f"ef_{name.lower()}.bin"] = name
        names[f"ef{f.fid:04x}.bin"] = name
        if f.dg_number is not None:
            names[f"datagroup{f.dg_number}.bin"] = name
    return names


def is_dump(folder: str | Path) -> bool:
    """True when `folder` directly holds at least one chip file (by any known name)."""
    try:
        return any(lds_name(e.name) is not None and e.is_file() for e in Path(folder).iterdir())
    except OSError:
        return False


def lds_name(file_name: str) -> str | None:
    """The LDS name (`DG1`, `SOD` …) for a dump file name in any known naming, else None."""
    return _known_names().get(Path(file_name).name.lower())


def load_dump(folder: str | Path) -> dict[str, bytes]:
    """Read every known LDS file present in `folder`; names are case-insensitive."""
    path = Path(folder)
    if not path.is_dir():
        raise InputError(f"{path}: not a folder (expected a dump written by `cardkit read --out`)")
    by_lower = _known_names()
    out: dict[str, bytes] = {}
    for entry in sorted(path.iterdir()):
        name = by_lower.get(entry.name.lower())
        if name is None or not entry.is_file():
            continue
        if name in out:
            raise InputError(f"{path}: {name} is present twice (under two file names)")
        if entry.stat().st_size > MAX_FILE_SIZE:
            raise InputError(f"{entry}: {entry.stat().st_size} bytes is too large for an LDS file")
        out[name] = entry.read_bytes()
    if not out:
        raise InputError(f"{path}: no chip files found (COM.bin, SOD.bin, DG1.bin ...)")
    return out


def save_dump(folder: str | Path, files: dict[str, bytes]) -> list[Path]:
    """Write each file as NAME.bin, exactly as read (personal data: 0600 files in a 0700
    folder). Returns the paths written."""
    path = private_dir(folder)
    return [write_private(path / f"{name}.bin", data) for name, data in files.items()]
