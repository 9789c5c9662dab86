"""Card verifications as jobs: one card operation per reader at a time, progress events in order.

A job runs in its own thread (PC/SC calls block). Its events are kept in order with a sequence
number for the SSE stream. A reader is held from the moment a job is accepted until it ends; a
second request for the same reader is refused (HTTP 409), never queued into the same session.
The lock is a file lock as well, so two service processes on one machine cannot share a reader;
it is keyed by the reader's name AND the pcscd it belongs to (names repeat across pcscd instances).
Finished jobs (with the portrait and holder data in memory) are forgotten after `ttl` seconds.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .messages import event_text

MAX_JOBS = 64
log = logging.getLogger(__name__)


class ReaderBusy(Exception):
    """Another card operation holds this reader."""


@dataclass
class Job:
    id: str
    reader: str
    operator: str
    created: float = field(default_factory=time.time)
    events: list[dict[str, Any]] = field(default_factory=list)
    state: str = "running"  # running | done | error
    outcome: Any = None  # workflow.Outcome
    error: dict[str, Any] | None = None
    audit_error: str | None = None
    finished: float | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def emit(self, kind: str, percent: int, **facts: Any) -> None:
        with self._cond:
            vi, en = event_text(kind, **facts)
            self.events.append({"seq": len(self.events), "kind": kind, "percent": percent,
                                "message_vi": vi, "message_en": en, "t": round(time.time(), 3),
                                **{k: v for k, v in facts.items() if k in _PUBLIC_FACTS}})
            self._cond.notify_all()

    def wait_events(self, after: int, timeout: float) -> list[dict[str, Any]]:
        with self._cond:
            if len(self.events) <= after and self.state == "running":
                self._cond.wait(timeout)
            return self.events[after:]


_PUBLIC_FACTS = ("file", "file_percent", "verdict", "chip", "reader")


def _lock_dir() -> Path:
    d = Path(tempfile.gettempdir()) / f"cardkit-serve-{os.getuid()}"
    d.mkdir(mode=0o700, exist_ok=True)
    return d


class ReaderLocks:
    """Per-reader locks, in-process and across processes (flock)."""

    def __init__(self) -> None:
        self._held: dict[str, int] = {}
        self._mutex = threading.Lock()

    def acquire(self, reader: str) -> None:
        import fcntl

        with self._mutex:
            if reader in self._held:
                raise ReaderBusy(reader)
            from ..transport.pcsc import service_id

            name = hashlib.sha256(f"{service_id()}\0{reader}".encode()).hexdigest()[:16]
            fd = os.open(_lock_dir() / f"reader-{name}.lock", os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise ReaderBusy(reader) from None
            self._held[reader] = fd

    def release(self, reader: str) -> None:
        with self._mutex:
            fd = self._held.pop(reader, None)
        if fd is not None:
            os.close(fd)  # closing drops the flock


class JobRegistry:
    def __init__(self, ttl: float = 600.0) -> None:
        self.ttl = ttl
        self.locks = ReaderLocks()
        self._jobs: dict[str, Job] = {}
        self._mutex = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        self._expire()
        with self._mutex:
            return self._jobs.get(job_id)

    def start(self, reader: str, operator: str, run: Callable[[Job], Any],
              on_error: Callable[[Job, BaseException], dict[str, Any]],
              on_done: Callable[[Job], None] | None = None) -> Job:
        """Hold the reader (ReaderBusy if taken) and run `run(job)` in a thread."""
        self._expire()
        self.locks.acquire(reader)
        job = Job(uuid.uuid4().hex, reader, operator)
        with self._mutex:
            self._jobs[job.id] = job

        def worker() -> None:
            try:
                job.outcome = run(job)
            except BaseException as exc:  # reported to the client, never a dead thread
                job.error = on_error(job, exc)
                job.emit("error", 100, **{"reason": job.error.get("message_en", "")})
            finally:
                # The audit record is written before the job reads as finished, so a client that
                # sees the result also sees whether it was recorded — a lost record is never silent.
                if on_done is not None:
                    try:
                        on_done(job)
                    except Exception as exc:  # noqa: BLE001 - reported with the result
                        job.audit_error = f"{type(exc).__name__}: {exc}"[:300]
                        log.error("audit record not written for job %s: %s", job.id[:8],
                                  type(exc).__name__)
                self.locks.release(reader)
                job.finished = time.time()
                with job._cond:
                    job.state = "done" if job.error is None else "error"
                    job._cond.notify_all()

        threading.Thread(target=worker, name=f"cardkit-job-{job.id[:8]}", daemon=True).start()
        return job

    def _expire(self) -> None:
        now = time.time()
        with self._mutex:
            for jid in [j.id for j in self._jobs.values()
                        if j.finished is not None and now - j.finished > self.ttl]:
                del self._jobs[jid]
            while len(self._jobs) > MAX_JOBS:
                oldest = min((j for j in self._jobs.values() if j.finished is not None),
                             key=lambda j: j.created, default=None)
                if oldest is None:
                    break
                del self._jobs[oldest.id]
