"""Warm worker processes for the CPU-bound part of the pipeline.

`pipeline.process_items` needs no shared state, so chunks of inputs can be
judged in other processes. This is a plain `ProcessPoolExecutor`:

- `spawn` start method: no fork of a process that holds threads, sockets or
  a DuckDB handle;
- each worker imports the pipeline and loads its models (trafilatura, the
  langdetect profiles, the topic profile) once, as it starts, and every worker
  is started at once: a pool opened early is warm when the first chunk comes;
- the workers import nothing of the orchestration (Prefect): a worker held
  about 190 MB RSS in `make bench` (Prefect's process-pool workers: 280 MB)
  and starts in about a second.

A worker that dies (a segfault in a parser, the kernel's OOM killer) breaks
the whole executor. `WorkerPool.run` then starts a new one and judges that
chunk's inputs one at a time, so that the input that kills a worker gets its
own `unreadable` outcome instead of failing every run that meets it again.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from extractors.pipeline import ChunkResult, process_items
from extractors.records import Document, InputRef, Rejected, RejectReason
from extractors.settings import Settings

Item = InputRef | Document


def _warm(topic_profile: str | None) -> None:
    """Worker initializer: pay the imports and model loads before the first chunk."""
    import trafilatura  # noqa: F401
    from langdetect.detector_factory import init_factory

    from extractors import dedup, topic  # noqa: F401

    init_factory()
    topic.load_profile(Path(topic_profile) if topic_profile else None)


class WorkerPool:
    """`workers` warm processes running `process_items` on chunks of inputs.
    Thread-safe: several threads may run chunks at once."""

    def __init__(
        self,
        workers: int,
        topic_profile: Path | None = None,
        work: Callable[[list[Item], Settings], ChunkResult] = process_items,
    ):
        """`work` judges a chunk in a worker (a module-level function: it is
        pickled by name); tests put one there that kills its worker."""
        if workers < 1:
            raise ValueError("workers must be positive")
        self.workers = workers
        self._work = work
        self._topic = str(topic_profile) if topic_profile else None
        self._lock = threading.Lock()
        self._closed = False
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_warm,
            initargs=(self._topic,),
        )
        # The executor starts a process per task waiting for one: one trivial
        # task per worker starts them all now.
        for _ in range(self.workers):
            executor.submit(os.getpid)
        return executor

    def pids(self) -> list[int]:
        """Process ids of the current workers (for tests)."""
        return sorted(self._executor._processes or {})

    def submit(self, items: Sequence[Item], settings: Settings) -> Future[ChunkResult]:
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            return self._executor.submit(self._work, list(items), settings)

    def run(self, items: Sequence[Item], settings: Settings) -> ChunkResult:
        """Judge a chunk in a worker. If a worker dies meanwhile, judge the
        chunk's inputs one by one in fresh workers."""
        executor = self._executor
        try:
            return self.submit(items, settings).result()
        except BrokenProcessPool:
            self._replace(executor)
        outcomes, seconds = [], {}
        for item in items:
            executor = self._executor
            try:
                result = self.submit([item], settings).result()
            except BrokenProcessPool as exc:
                self._replace(executor)
                result = ChunkResult([_worker_died(item, exc)], {})
            outcomes += result.outcomes
            for stage, s in result.seconds.items():
                seconds[stage] = seconds.get(stage, 0.0) + s
        return ChunkResult(outcomes, seconds)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """A new executor in place of `broken` (once, whichever thread sees it first)."""
        with self._lock:
            if self._executor is broken and not self._closed:
                broken.shutdown(wait=False, cancel_futures=True)
                self._executor = self._start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _worker_died(item: Item, exc: BaseException) -> Rejected:
    location = item.location
    feed_url = item.feed_url if isinstance(item, Document) else None
    detail = f"the worker process judging it died ({exc})"[:500]
    return Rejected(location, RejectReason.UNREADABLE, detail, feed_url)
