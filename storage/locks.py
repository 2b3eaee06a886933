"""A run lock beside the database file, for runs that overlap.

DuckDB's own lock is held only while a batch is written; the run lock is held
for a whole run, so two runs on one database (two schedules, a manual
`veille ingest` during a scheduled one) take turns instead of interleaving.
It is an advisory `flock` on `<db>.run.lock`: the kernel drops it when the
holding process dies, so a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from extractors.core.errors import TransientError
from storage.store import StoreError


class RunLockTimeout(TransientError, TimeoutError):
    """Another run holds the database; the message names its PID when known.
    Transient: that run ends, and the next attempt gets the lock."""


class RunLock:
    """`<db>.run.lock`; `<db>.serve.lock` (kind "serve") is held by `veille
    serve` for as long as it serves the database's deployments."""

    def __init__(self, db: str | Path, kind: str = "run") -> None:
        self.kind = kind
        self.path = Path(f"{db}.{kind}.lock")
        self._fd: int | None = None

    def acquire(self, timeout: float) -> None:
        """Wait up to `timeout` seconds (0: do not wait) for the lock."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot create {self.path}: {exc.strerror or exc}") from exc
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                    os.close(fd)
                    raise RunLockTimeout(
                        f"another {self.kind} (pid {holder}) holds {self.path}; waited {timeout:g}s"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
