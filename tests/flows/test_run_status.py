"""Run statuses: what real runs write in `runs.status`, and return as their
summary's `status`, is a `RunStatus` value (the same lowercase text as ever)."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.core.records import RunStatus
from extractors.core.settings import Settings
from extractors.sources import files
from storage.locks import RunLock
from storage.store import Store, StoreLocked

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_runs_write_run_status_values(db_path: Path, seeds: list[Path], monkeypatch) -> None:
    from flows.ingest import run_ingest

    settings = Settings().replace(
        {"storage.db": db_path, "ingest.workers": 1, "storage.run_lock_timeout_seconds": 0}
    )
    store = Store(db_path)
    store.begin_run("killed", None)  # a run whose process died: left running

    def ingest() -> dict:
        return run_ingest(settings, paths=[str(seeds[0])])

    def locked(paths, settings):
        raise StoreLocked(f"{db_path} is locked by an analyst's session")

    def broken(paths, settings):
        raise RuntimeError("a bug")

    with monkeypatch.context() as m:
        m.setattr(files, "discover_inputs", locked)
        interrupted = ingest()  # also ends the killed run: crashed
        m.setattr(files, "discover_inputs", broken)
        with pytest.raises(RuntimeError, match="a bug"):
            ingest()
    completed = ingest()
    lock = RunLock(db_path)
    lock.acquire(0)
    try:
        skipped = ingest()  # another run holds the database: not recorded
    finally:
        lock.release()

    summaries = [interrupted, completed, skipped]
    assert [s["status"] for s in summaries] == ["interrupted", "completed", "skipped"]
    assert all(type(s["status"]) is str and s["status"] in set(RunStatus) for s in summaries)
    _, rows = store.query("SELECT run_id, status FROM runs")
    statuses = dict(rows)
    assert all(status in set(RunStatus) for status in statuses.values()), statuses
    assert sorted(statuses.values()) == ["completed", "crashed", "failed", "interrupted"]
    assert statuses["killed"] == RunStatus.CRASHED and skipped["run_id"] not in statuses
