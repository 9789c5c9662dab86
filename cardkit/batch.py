"""Verify many dump folders at once (the server-side case): dumps uploaded by phone apps, or stored
dumps re-verified after a CRL update. Passive authentication of each, on all cores.

`find_dumps(paths)` expands folders of dumps; `verify_dumps(folders, ...)` yields one JSON-ready
record per dump, in input order, as soon as it is ready. With `jobs > 1` a process pool does the
work; every worker loads the trust store and CRLs once (parsed and checked once per worker).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .dump import is_dump, load_dump
from .errors import CardkitError, ExitCode, InputError
from .verify import exit_code_for, load_trust_choice

MAX_DUMPS = 1_000_000


@dataclass(frozen=True)
class BatchOptions:
    """What every worker needs to verify a dump (picklable: paths, not parsed stores)."""

    trust_paths: tuple[str, ...] = ()
    use_local_trust: bool = True
    crl_paths: tuple[str, ...] = ()
    at: _dt.datetime | None = None
    allow_unverifiable: bool = False


def find_dumps(paths: Iterable[str | Path]) -> list[Path]:
    """Each path that is a dump folder, else every dump folder below it (sorted)."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if not path.is_dir():
            raise InputError(f"{path}: not a folder")
        if is_dump(path):
            out.append(path)
            continue
        found = sorted(d for d in path.rglob("*") if d.is_dir() and is_dump(d))
        if not found:
            raise InputError(f"{path}: no dump folders in it (COM.bin, SOD.bin, DG1.bin ...)")
        out.extend(found)
        if len(out) > MAX_DUMPS:
            raise InputError(f"more than {MAX_DUMPS} dumps: split the job")
    return out


class _Verifier:
    """Trust store and CRLs loaded once; verifies one folder at a time."""

    def __init__(self, opts: BatchOptions) -> None:
        from .security.crl import load_crl_paths

        self.opts = opts
        self.trust = load_trust_choice(list(opts.trust_paths), use_local=opts.use_local_trust)
        self.crls = load_crl_paths(list(opts.crl_paths))

    def __call__(self, folder: str) -> dict[str, Any]:
        from .security.passive import verify_passive

        try:
            files = load_dump(folder)
            result = verify_passive(files, trust=self.trust.store, crls=self.crls,
                                    at=self.opts.at)
        except CardkitError as exc:
            return {"folder": folder, "error": str(exc), "exit_code": int(exc.exit_code)}
        code = exit_code_for([result.overall], allow_unverifiable=self.opts.allow_unverifiable)
        return {"folder": folder, "trust": self.trust.label, **result.to_dict(),
                "exit_code": int(code)}


_worker: _Verifier | None = None


def _init_worker(opts: BatchOptions) -> None:
    global _worker
    _worker = _Verifier(opts)


def _verify_in_worker(folder: str) -> dict[str, Any]:
    assert _worker is not None
    return _worker(folder)


def verify_dumps(folders: Sequence[str | Path], opts: BatchOptions = BatchOptions(), *,
                 jobs: int = 1) -> Iterator[dict[str, Any]]:
    """One record per folder, in order: passive-authentication report + `exit_code`, or `error`.

    `jobs`: worker processes (0 = one per CPU). Errors in the trust store or CRL files raise
    before any dump is verified.
    """
    names = [str(f) for f in folders]
    if jobs == 0:
        jobs = os.cpu_count() or 1
    jobs = max(1, min(jobs, len(names) or 1))
    verifier = _Verifier(opts)  # also checks the trust and CRL files before forking
    if jobs == 1:
        for name in names:
            yield verifier(name)
        return
    from concurrent.futures import ProcessPoolExecutor  # only when a pool is wanted

    chunk = max(1, min(16, len(names) // (jobs * 8)))
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=(opts,)) as pool:
        yield from pool.map(_verify_in_worker, names, chunksize=chunk)


def batch_exit_code(codes: Iterable[int]) -> ExitCode:
    """The exit code of a batch: any dump not genuine → 3; else unreadable → 2; else
    unverifiable → 6; else 0."""
    seen = set(codes)
    for code in (ExitCode.NOT_GENUINE, ExitCode.USAGE, ExitCode.UNVERIFIABLE):
        if int(code) in seen:
            return code
    return ExitCode.OK if seen <= {0} else ExitCode(max(seen))
