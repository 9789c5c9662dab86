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


class DumpFolder:
    """Where `read --out` writes, made safe: checked before the card is read, filled in a
    temporary sibling folder, renamed into place only when complete.

    `DumpFolder(target, force)` raises InputError at once when the target cannot be written
    (read-only file system, no permission, a file in the way) or is a non-empty folder and
    `force` is false. Write into `.tmp`, then `commit()`; `abort()` (or leaving the `with`
    block on an exception) removes the temporary folder and leaves the target untouched.
    """

    def __init__(self, target: str | Path, *, force: bool = False) -> None:
        import tempfile

        self.target = Path(target)
        if self.target.exists() and not self.target.is_dir():
            raise InputError(f"{self.target}: not a folder (a file is in the way)")
        if self.target.is_dir() and any(self.target.iterdir()) and not force:
            n = sum(1 for _ in self.target.iterdir())
            raise InputError(f"{self.target}: the folder is not empty ({n} entries, maybe "
                             f"another card's files) — choose a new folder or pass --force "
                             f"to replace it")
        parent = self.target.parent
        try:
            private_dir(parent)  # missing parents made 0700, like every personal-data folder
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".part",
                                             dir=parent))  # mode 0700
        except OSError as exc:
            raise InputError(f"cannot write to {parent}: {exc.strerror or exc} — choose another "
                             f"folder for --out") from None

    def commit(self) -> Path:
        """Put the complete folder in place (replacing the old one, which --force allowed)."""
        import shutil

        old = None
        try:
            if self.target.exists():
                old = self.tmp.with_name(self.tmp.name.replace(".part", ".old"))
                self.target.rename(old)
            self.tmp.rename(self.target)
        except OSError as exc:
            if old is not None and not self.target.exists():
                old.rename(self.target)
            self.abort()
            raise InputError(f"cannot write {self.target}: {exc.strerror}") from None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.target

    def abort(self) -> None:
        import shutil

        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> DumpFolder:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None:
            self.abort()
