"""Warm worker processes for the CPU-bound part of the pipeline, with a time
budget for every input.

`pipeline.process_items` needs no shared state, so inputs can be judged in
other processes. This is a plain `ProcessPoolExecutor`:

- `spawn` start method: no fork of a process that holds threads, sockets or
  a DuckDB handle;
- each worker imports the pipeline and loads its models (trafilatura, the
  langdetect profiles, the MinHash permutations, the topic profile:
  `pipeline.warm`) once, as it starts, and every worker
  is started at once: a pool opened early is warm when the first input comes;
- the workers import nothing of the orchestration (Prefect): a worker held
  about 190 MB RSS in `make bench` (Prefect's process-pool workers: 280 MB)
  and starts in about a second;
- the workers ignore SIGINT: Ctrl-C in a terminal reaches the whole process
  group, and it is the parent that decides what to stop (it kills them).

Each input is its own task, so that the parent knows which input a worker is
judging and since when: every worker writes that into a slot of shared
memory, and a watchdog thread kills a worker whose input has run past
`max_seconds_per_input` (a regex that backtracks, a parser stuck in C code:
nothing in the worker itself could be trusted to stop it). The input gets its
own `timeout` outcome, the pool is replaced, and the inputs that were queued
or judged by the other workers at that moment are judged again.

A worker that dies on its own (a segfault in a parser, the kernel's OOM
killer) breaks the whole executor too; its inputs are then judged one at a
time in fresh workers, so that the input that kills a worker gets its own
`unreadable` outcome instead of failing every run that meets it again.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from extractors.core.errors import TransientError
from extractors.core.records import Document, InputRef, Rejected, RejectReason
from extractors.core.settings import Settings
from extractors.judge.pipeline import ChunkResult, process_items, warm

Item = InputRef | Document
Work = Callable[[list[Item], Settings], ChunkResult]

# Per worker slot, in shared memory: pid, task id being judged (0: none), start (monotonic).
_FIELDS = 3
_slots: Any = None
_slot: int = -1


def _warm(topic_profile: str | None, slots: Any) -> None:
    """Worker initializer: ignore Ctrl-C, and pay the imports and model loads
    before the first input."""
    global _slots
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _slots = slots
    warm(Path(topic_profile) if topic_profile else None)


def _my_slot() -> int:
    """This worker's slot: the one the pool wrote its pid into (a worker it
    did not see start takes a free one)."""
    global _slot
    if _slot < 0:
        pid, count = os.getpid(), len(_slots) // _FIELDS
        found = [i for i in range(count) if _slots[i * _FIELDS] == pid]
        free = [i for i in range(count) if _slots[i * _FIELDS] == 0]
        _slot = (found or free or [0])[0]
        _slots[_slot * _FIELDS] = pid
    return _slot


def _judge(work: Work, task: int, item: Item, settings: Settings) -> ChunkResult:
    """Runs in a worker: one input, announced in this worker's slot while it runs."""
    base = _my_slot() * _FIELDS
    _slots[base + 2] = time.monotonic()
    _slots[base + 1] = task
    try:
        return work([item], settings)
    finally:
        _slots[base + 1] = 0


def _ping() -> int:
    return os.getpid()


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Children started in this block ignore SIGINT from their first
    instruction (an ignored signal stays ignored across exec, and Python then
    installs no KeyboardInterrupt handler): a Ctrl-C while they import would
    print their tracebacks. Only the main thread may change signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Generation:
    """One executor and the shared slots its workers write to."""

    def __init__(self, workers: int, topic: str | None) -> None:
        ctx = multiprocessing.get_context("spawn")
        # No lock, hence no named semaphore: a worker killed by a signal
        # (as Prefect's engine ends a run on SIGTERM) leaves nothing behind.
        # Each slot has one writer, its worker; the pool only reads.
        self.slots = ctx.Array("d", workers * _FIELDS, lock=False)
        self.killed: set[int] = set()  # task ids whose worker the watchdog killed
        self.executor = ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_warm, initargs=(topic, self.slots)
        )
        # The executor starts a process per task waiting for one: one trivial
        # task per worker starts them all now; then each gets its slot.
        self.warm_at: float | None = None  # when every worker had warmed up (time.monotonic())
        with _sigint_ignored():
            pings = [self.executor.submit(_ping) for _ in range(workers)]
        left = [len(pings)]

        def warmed(_: Future[int]) -> None:
            left[0] -= 1
            if left[0] == 0:
                self.warm_at = time.monotonic()

        for ping in pings:
            ping.add_done_callback(warmed)
        for i, pid in enumerate(sorted(self.executor._processes or {})[:workers]):
            self.slots[i * _FIELDS] = pid

    def running(self) -> Iterator[tuple[int, int, float]]:
        """(pid, task id, start) for each worker judging an input now."""
        for i in range(len(self.slots) // _FIELDS):
            pid, task, start = self.slots[i * _FIELDS : (i + 1) * _FIELDS]
            if task and pid:
                yield int(pid), int(task), start


class PoolClosed(TransientError, RuntimeError):
    """The pool was closed (the run is interrupted) before these inputs were judged."""


class WorkerPool:
    """`workers` warm processes judging inputs under a time budget.
    Thread-safe: several threads may run chunks at once."""

    def __init__(self, workers: int, topic_profile: Path | None = None, work: Work = process_items):
        """`work` judges a list of inputs in a worker (a module-level function:
        it is pickled by name); tests put one there that kills its worker."""
        if workers < 1:
            raise ValueError("workers must be positive")
        self.workers = workers
        self._work = work
        self._topic = str(topic_profile) if topic_profile else None
        self._lock = threading.Lock()
        self._closed = False
        self._tasks = itertools.count(1)
        self._budgets: dict[int, float] = {}  # task id -> seconds allowed
        self._gen = _Generation(workers, self._topic)
        self._stop = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="veille-watchdog", daemon=True)
        self._watchdog.start()

    @property
    def warm_at(self) -> float | None:
        """When the current workers had all warmed up (time.monotonic()), if they have."""
        return self._gen.warm_at

    def pids(self) -> list[int]:
        """Process ids of the current workers (for tests)."""
        return sorted(self._gen.executor._processes or {})

    def _watch(self) -> None:
        while not self._stop.wait(0.1):
            gen, now = self._gen, time.monotonic()
            for pid, task, start in gen.running():
                budget = self._budgets.get(task)
                if budget is not None and now - start > budget and task not in gen.killed:
                    gen.killed.add(task)
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass

    def _submit(self, gen: _Generation, item: Item, settings: Settings) -> tuple[int, Future[ChunkResult]]:
        with self._lock:
            if self._closed:
                raise PoolClosed("the worker pool is closed")
            task = next(self._tasks)
            self._budgets[task] = settings.ingest.max_seconds_per_input
            return task, gen.executor.submit(_judge, self._work, task, item, settings)

    def run(self, items: Sequence[Item], settings: Settings) -> ChunkResult:
        """Judge inputs in the workers; each gets an outcome, whatever happens
        to the workers meanwhile."""
        items = list(items)
        results: dict[int, ChunkResult] = {}
        alone = False  # after a death nobody explains: one input at a time
        while len(results) < len(items):
            todo = [i for i in range(len(items)) if i not in results]
            gen = self._gen
            broken = False
            if alone:
                todo = todo[:1]
            submitted = [(i, *self._submit(gen, items[i], settings)) for i in todo]
            for i, task, future in submitted:
                try:
                    results[i] = future.result()
                except CancelledError:
                    raise PoolClosed("the worker pool was closed before this input was judged") from None
                except BrokenProcessPool:
                    if self._closed:
                        raise PoolClosed("the worker pool was closed while judging") from None
                    broken = True
                    if task in gen.killed:
                        results[i] = ChunkResult([_timed_out(items[i], settings)], {})
                    elif alone and not gen.killed:
                        results[i] = ChunkResult([_worker_died(items[i])], {})
                finally:
                    self._budgets.pop(task, None)
            if broken:
                self._replace(gen)
                alone = alone or not gen.killed
        outcomes, seconds = [], {}
        for i in range(len(items)):
            outcomes += results[i].outcomes
            for stage, s in results[i].seconds.items():
                seconds[stage] = seconds.get(stage, 0.0) + s
        return ChunkResult(outcomes, seconds)

    def _replace(self, broken: _Generation) -> None:
        """New workers in place of a broken executor (once, whichever thread sees it first)."""
        with self._lock:
            if self._gen is broken and not self._closed:
                broken.executor.shutdown(wait=False, cancel_futures=True)
                self._gen = _Generation(self.workers, self._topic)

    def close(self, wait: bool = True) -> None:
        """Stop the workers: after their inputs (`wait`), or at once, killing
        them (an interrupted run, or a pool with nothing left to judge)."""
        with self._lock:
            self._closed = True
            gen = self._gen
        self._stop.set()
        if wait:
            gen.executor.shutdown(wait=True, cancel_futures=True)
            return
        processes = list((gen.executor._processes or {}).values())
        gen.executor.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            proc.kill()
        for proc in processes:
            proc.join(5)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self.close(wait=exc_type is None)


def _feed_url(item: Item) -> str | None:
    return item.feed_url if isinstance(item, Document) else None


def _timed_out(item: Item, settings: Settings) -> Rejected:
    detail = f"judging it took more than {settings.ingest.max_seconds_per_input:g} s; its worker was replaced"
    return Rejected(item.location, RejectReason.TIMEOUT, detail, _feed_url(item))


def _worker_died(item: Item) -> Rejected:
    detail = "the worker process judging it died"
    return Rejected(item.location, RejectReason.UNREADABLE, detail, _feed_url(item))
