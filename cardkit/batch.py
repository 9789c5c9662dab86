"""Verify many dump folders at once (the server-side case): dumps uploaded by phone apps, or stored
dumps re-verified after a CRL update — each through the workflow (`cardkit.verify.verify_card`,
policy `inspect-only` by default: passive authentication), on all cores.

`find_dumps(paths)` expands folders of dumps; `verify_dumps(folders, ...)` yields one JSON-ready
record per dump (the report of `cardkit inspect DUMP --json`, plus `folder` and `exit_code`), in
input order, as soon as it is ready. With `jobs > 1` a process pool does the work; every worker
chooses the trust store once (certificates and CRLs are then parsed and checked once per worker;
CRL files are looked up by content, so a CRL replaced during a batch is taken as it is).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .dump import is_dump
from .errors import CardkitError, ExitCode, InputError

MAX_DUMPS = 1_000_000


@dataclass(frozen=True)
class BatchOptions:
    """What every worker needs to verify a dump (picklable: paths, not parsed stores)."""

    trust_paths: tuple[str, ...] = ()  # --trust (paths or `sim-test`); empty = the defaults
    default_trust: bool = True  # the local trust directory, else the bundled master list
    crl_paths: tuple[str, ...] = ()
    at: _dt.datetime | None = None
    policy: Any = "inspect-only"  # a policy name, file or cardkit.policy.Policy


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
    """The trust choice made once; verifies one folder at a time."""

    def __init__(self, opts: BatchOptions) -> None:
        from .policy import load_policy
        from .security.crl import load_crl_paths
        from .verify import load_trust_choice

        self.opts = opts
        self.policy = load_policy(opts.policy)
        self.trust = load_trust_choice(list(opts.trust_paths) or None,
                                       use_local=opts.default_trust,
                                       use_bundled=opts.default_trust,
                                       max_age_days=self.policy.trust_max_age_days)
        load_crl_paths(list(opts.crl_paths))  # unreadable CRL files fail before any dump

    def __call__(self, folder: str) -> dict[str, Any]:
        from .verify import CardSource, verify_card

        try:
            result = verify_card(CardSource.from_dump(folder), policy=self.policy,
                                 trust=self.trust, crls=self.opts.crl_paths, at=self.opts.at)
        except CardkitError as exc:
            return {"folder": folder, "error": str(exc), "exit_code": int(exc.exit_code)}
        return {"folder": folder, **result.to_dict(), "exit_code": int(result.exit_code)}


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
