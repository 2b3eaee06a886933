"""The ingest flow: local inputs to DuckDB, through Prefect.

Shape, chosen for the later scale: inputs are discovered, then taken in
batches; within a batch, chunks of inputs are judged in parallel, and the
single writer deduplicates and records the whole batch in one transaction. A
crash loses at most the batch in flight, and its inputs are taken again by
the next run, since an input counts as done only once its outcome is committed.

Parallelism: each chunk is a `process-chunk` task run, submitted to the flow's
task runner. With the default thread task runner, the task hands its chunk to
a pool of warm worker processes (`extractors.judge.parallel.WorkerPool`: extraction
is CPU-bound) and waits for it, so Prefect records every chunk while the
workers stay free of Prefect (lighter, quicker to start). With `[ingest]
executor = "dask"` (or a flow whose own task runner runs tasks elsewhere)
the chunks go to a Dask cluster instead, each with what judging it needs
(flows/cluster.py); no pool is active in the task's process there, and the
chunk is judged right there. The single writer stays in the flow's process.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import quote as quote_url

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.context import FlowRunContext
from prefect.exceptions import TerminationSignal
from prefect.futures import PrefectFuture
from prefect.runtime import deployment, flow_run
from prefect.states import Cancelled
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from extractors.core import urls
from extractors.core.errors import is_transient
from extractors.core.records import Document, Entry, FeedPoll, InputRef, Outcome, Rejected, RunStatus
from extractors.core.settings import Feed, Settings
from extractors.core.urls import canonical
from extractors.judge import topic
from extractors.judge.parallel import PoolClosed, WorkerPool
from extractors.judge.pipeline import ChunkResult, process_items
from extractors.sources import files, web
from extractors.sources.fetch import Fetcher
from flows.cluster import ClusterLost, cluster_failure, dask_runner
from flows.report import RunFigures, run_figures
from flows.summary import RunTally, run_summary
from flows.timings import mark
from storage.locks import RunLock, RunLockTimeout
from storage.store import BatchReport, Store, StoreError, StoreLocked, signals_held

ProgressHook = Callable[[str, int], None]  # (event, amount): "total" or "advance"
_progress_hooks: list[ProgressHook] = []


@contextmanager
def progress_hook(hook: ProgressHook) -> Iterator[None]:
    """Receive progress events from flows run in this process (the CLI's bar)."""
    _progress_hooks.append(hook)
    try:
        yield
    finally:
        _progress_hooks.remove(hook)


def _emit(event: str, amount: int) -> None:
    for hook in list(_progress_hooks):
        hook(event, amount)


# -- tasks: thin wrappers over plain functions ----------------------------------


@task(name="discover-files", cache_policy=NONE)
def discover_inputs(paths: list[str], settings: Settings) -> list[InputRef]:
    return list(files.discover_inputs(paths, settings))


@task(name="skip-settled", retries=2, retry_delay_seconds=2, cache_policy=NONE)
def unsettled(store: Store, locations: list[str]) -> set[str]:
    """The locations, among these, that still need an outcome."""
    return set(locations) - store.settled(locations)


@task(name="poll-feeds", cache_policy=NONE)
def poll_feeds(fetcher: Fetcher, feeds: list[Feed], settings: Settings, store: Store) -> list[web.Polled]:
    """Poll every feed (any kind: RSS/Atom, sitemap, JSON Feed...) in threads; the
    sources a document names (a sitemap index's sitemaps) are polled once more."""
    states = store.feed_states([f.url for f in feeds])
    hard_cap = max(settings.fetch.max_entries_per_feed * 100, 50_000)

    def one(feed: Feed) -> web.Polled:
        return web.poll(fetcher, feed, states.get(feed.url), max_entries=hard_cap)

    with ThreadPoolExecutor(max_workers=settings.fetch.threads) as pool:
        polled = list(pool.map(one, feeds))
        nested = [
            Feed(name=p.poll.name or url, url=url, kind=p.poll.kind) for p in polled for url in p.nested[:50]
        ]
        polled += list(pool.map(one, nested))
    return polled


@task(name="fetch-pages", cache_policy=NONE)
def fetch_pages(fetcher: Fetcher, entries: list[Entry], threads: int) -> list[Any]:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda e: web.fetch_page(fetcher, e), entries))


def judge_chunk(
    items: list[InputRef | Document], settings: Settings, profile: topic.Profile | None = None
) -> ChunkResult:
    """Judge a chunk: in this process's worker pool, or (on a Dask worker, where
    none is active) right here, with the topic `profile` the chunk carries.

    A plain function under its own name, made a task below: a Dask client
    pickles the task's function by reference (module and name), which fails
    for a function whose module name is bound to the task instead."""
    pool = _pools.active
    try:
        if pool is None:
            if _pools.interrupted:
                raise PoolClosed("interrupted")
            return process_items(items, settings, profile)
        return pool.run(items, settings)
    except PoolClosed:
        return Cancelled(message="the run was interrupted before this chunk was judged")


process_chunk = task(name="process-chunk", cache_policy=NONE)(judge_chunk)


def _retry_when_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a task whose failure is transient (extractors.core.errors); any other is final.
    For the writes below, that is a database another process holds (`StoreLocked`)."""
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001 - the error is only classified here
        return is_transient(exc)
    return False


@task(
    name="write-batch",
    retries=3,
    retry_delay_seconds=5,
    retry_condition_fn=_retry_when_transient,
    cache_policy=NONE,
)
def write_batch(store: Store, settings: Settings, run_id: str, outcomes: list[Outcome]) -> BatchReport:
    return store.write_batch(run_id, outcomes, settings.ingest.near_duplicate_threshold, settings.stories)


@task(name="record-polls", retries=3, retry_delay_seconds=5, cache_policy=NONE,
      retry_condition_fn=_retry_when_transient)  # fmt: skip
def record_polls(store: Store, settings: Settings, polls: list[FeedPoll]) -> None:
    for url in store.record_polls(polls, settings.fetch.failing_after):
        get_run_logger().warning(
            "Feed %s is failing: %d or more polls in a row failed", url, settings.fetch.failing_after
        )


# -- the flow ----------------------------------------------------------------------


def run_name() -> str:
    """Veille's run id (`runs.run_id`), which is also the flow run's Prefect
    name, so that a run has one name: the first 12 hex digits of its Prefect
    id (a random id outside a flow run)."""
    run = flow_run.id
    return (run.replace("-", "") if run else uuid.uuid4().hex)[:12]


def _here(task_: Any, *args: Any) -> Any:
    """Run a task in the flow's thread and return its result.

    Prefect 3.8's task engine turns a SIGTERM that lands while it creates the
    task run into `ValueError: Task run is not set` (its crash handler has no
    run to mark), and the flow run then ends Failed instead of Crashed, as if
    the code were at fault. The signal is raised again as itself."""
    try:
        return task_(*args)
    except ValueError as exc:
        if isinstance(exc.__context__, TerminationSignal) and "Task run is not set" in str(exc):
            raise exc.__context__ from None
        raise


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class _Pools:
    """The worker pool of the run in progress in this process, if any.

    Every input is judged in a worker process, under its time budget. The CLI
    may open the pool before the flow starts (`prestarted`), so that its
    workers warm up while Prefect starts; otherwise a run opens its own (no
    more workers than it has chunks) the first time it judges anything, and
    closes it at its end.
    """

    def __init__(self) -> None:
        self.prestarted: WorkerPool | None = None
        self.active: WorkerPool | None = None
        self.interrupted = False  # chunks still queued must not be judged in this process
        self._owned = False
        self._lock = threading.Lock()

    def need(self, settings: Settings, chunks: int) -> WorkerPool:
        with self._lock:
            if self.active is None:
                if self.prestarted is not None:
                    self.active, self._owned = self.prestarted, False
                else:
                    workers = max(1, min(settings.ingest.workers, chunks))
                    self.active, self._owned = WorkerPool(workers, settings.topic.profile), True
            return self.active

    def release(self, wait: bool = True) -> None:
        """Close the run's own pool: after its inputs, or at once (`wait=False`:
        the run is interrupted, its workers are killed)."""
        with self._lock:
            pool, owned = self.active, self._owned
            self.active, self._owned = None, False
            self.interrupted = not wait
        if pool is not None and (owned or not wait):
            pool.close(wait=wait)


_pools = _Pools()


@contextmanager
def prestarted(pool: WorkerPool | None) -> Iterator[None]:
    """Runs started in this block use `pool` (if its size fits their settings)
    instead of starting their own: the CLI starts it before Prefect, so that
    the workers warm up while Prefect starts."""
    _pools.prestarted = pool
    try:
        yield
    finally:
        _pools.prestarted = None


def _tasks_run_here(remote: TaskRunner | None = None) -> bool:
    """Whether process-chunk runs in this process (the flow's thread task
    runner), so that chunks need the worker pool; not when the run sends them
    to a Dask cluster (`remote`), nor under a flow task runner that runs tasks
    elsewhere."""
    if remote is not None:
        return False
    context = FlowRunContext.get()
    return context is None or isinstance(context.task_runner, ThreadPoolTaskRunner)


@contextmanager
def _chunk_runner(settings: Settings) -> Iterator[TaskRunner | None]:
    """The task runner this run sends its chunks to when it is not the flow's
    own: a `DaskTaskRunner` on the settings' scheduler, connected now (an
    unreachable one fails the run before anything is recorded)."""
    context = FlowRunContext.get()
    flow_runner = context.task_runner if context is not None else None
    if settings.ingest.executor != "dask" or not isinstance(flow_runner, ThreadPoolTaskRunner | None):
        yield None
        return
    with dask_runner(settings) as runner:
        yield runner


# (inputs the entry completes, for progress; its result or future; judged on a cluster)
Submitted = list[tuple[int, "PrefectFuture[ChunkResult] | ChunkResult", bool]]


def _submit(
    items: list[InputRef | Document], settings: Settings, remote: TaskRunner | None = None
) -> Submitted:
    """Start judging a batch: chunks go to the task runner, one per worker
    (few task runs, so Prefect's cost per run stays small; a worker that ends
    its chunk early takes one of the batch queued behind). With one worker or
    one chunk, the chunk is handed to the pool here and now. Chunks are passed
    quoted: Prefect need not walk every page of them looking for futures."""
    if not _tasks_run_here(remote):
        return _submit_elsewhere(items, settings, remote)
    size = max(settings.ingest.chunk_size, math.ceil(len(items) / settings.ingest.workers))
    chunks = list(_chunks(items, size))
    _pools.need(settings, len(chunks))
    if len(chunks) <= 1 or settings.ingest.workers == 1:
        return [(len(chunk), _here(process_chunk, quote(chunk), settings), False) for chunk in chunks]
    return [(len(chunk), process_chunk.submit(quote(chunk), settings), False) for chunk in chunks]


def _submit_elsewhere(
    items: list[InputRef | Document], settings: Settings, remote: TaskRunner | None
) -> Submitted:
    """Send a batch to a cluster, each chunk with what judging it needs, so that
    the workers need no access to this machine's files: every local file is
    read here (into its documents, or its reject, which needs no judging), and
    the topic profile goes as data. Chunks of `chunk_size` documents: the
    cluster's size is not known here."""
    runner = remote or FlowRunContext.get().task_runner  # type: ignore[union-attr]
    profile = topic.load_profile(settings.topic.profile)
    t = time.perf_counter()
    docs: list[tuple[int, Document]] = []  # (the input it comes from, the document)
    rejects: list[Outcome] = []
    for n, item in enumerate(items):
        for doc in [item] if isinstance(item, Document) else files.read_input(item, settings):
            if isinstance(doc, Rejected):
                rejects.append(doc)
            else:
                docs.append((n, doc))
    last = {n: i for i, (n, _) in enumerate(docs)}  # an input is done with its last document's chunk
    submitted: Submitted = [
        (len(items) - len(last), ChunkResult(rejects, {"read": time.perf_counter() - t}), False)
    ]
    size = settings.ingest.chunk_size
    for start in range(0, len(docs), size):
        chunk = [doc for _, doc in docs[start : start + size]]
        # Not quoted: Dask rebuilds a `quote` (a named tuple) around a tuple of its fields.
        parameters = {"items": chunk, "settings": settings, "profile": profile}
        done = sum(1 for i in last.values() if start <= i < start + size)
        submitted.append((done, runner.submit(process_chunk, parameters), True))
    return submitted


def _collect(submitted: Submitted) -> list[ChunkResult]:
    results = []
    for done, pending, remote in submitted:
        if isinstance(pending, ChunkResult):
            results.append(pending)
        else:
            try:
                results.append(pending.result())
            except Exception as exc:
                if remote and cluster_failure(exc):
                    raise ClusterLost(
                        f"the Dask cluster failed a chunk: {type(exc).__name__}: {exc}"
                    ) from exc
                raise
        _emit("advance", done)
    return results


def _web_entries(
    polled: list[web.Polled], urls_: list[str], settings: Settings, store: Store, logger: Any
) -> tuple[list[Entry], list[FeedPoll]]:
    """New entries to fetch (capped per feed; the rest wait for the next poll),
    and each feed's poll record with its count of new entries. Pages whose
    last fetch failed transiently are tried again, whatever their feed does,
    up to `max_fetch_attempts`."""
    retry = store.retryable_pages(settings.fetch.max_attempts)
    direct = [Entry(url=canonical(u)) for u in urls_]
    direct += [Entry(url=u, feed_url=f) for u, f in retry]
    candidates = direct + [e for p in polled for e in p.entries]
    todo = _here(unsettled, store, [e.url for e in candidates]) if candidates else set()
    seen: set[str] = set()

    def new(items: list[Entry]) -> list[Entry]:
        """The items still to fetch, each URL once across the run's inputs."""
        taken = []
        for e in items:
            k = urls.key(e.url)
            if e.url in todo and k not in seen:
                seen.add(k)
                taken.append(e)
        return taken

    entries = new(direct)
    polls = []
    for p in polled:
        fresh = new(p.entries)
        poll = p.poll
        if len(fresh) > settings.fetch.max_entries_per_feed:
            # Take the first ones now; forget the validators so the next poll
            # parses the feed again and takes the rest.
            fresh = fresh[: settings.fetch.max_entries_per_feed]
            poll = replace(poll, etag=None, last_modified=None, content_hash=None)
        entries += fresh
        polls.append(replace(poll, new_entries=len(fresh)))
        logger.info(
            "%s %s: %s%s, %d entries, %d new", poll.kind.capitalize(), poll.name or poll.url,
            poll.status.value, f" (HTTP {poll.http_status})" if poll.http_status else "",
            poll.entries, len(fresh),
        )  # fmt: skip
        if poll.error:
            logger.warning("%s: %s", poll.url, poll.error)
    return entries, polls


@flow(
    name="veille-ingest",
    flow_run_name=run_name,
    log_prints=False,
    task_runner=ThreadPoolTaskRunner(max_workers=os.cpu_count()),
)
def ingest(
    settings: Settings,
    paths: list[str] | None = None,
    feeds: list[Feed] | None = None,
    urls: list[str] | None = None,
) -> dict[str, Any]:
    """Ingest local files, feeds, sitemaps and article URLs into the DuckDB store.

    Runs on one database take turns (a run lock beside the file). A database
    held by another process (an analyst's session on the live file) defers
    the work to the next run instead of failing: nothing is recorded as done
    that was not written, so the next run picks everything up.
    """
    return ingest_in_flow(settings, paths or [], feeds or [], urls or [])


def ingest_in_flow(
    settings: Settings, paths: list[str], feeds: list[Feed], urls: list[str]
) -> dict[str, Any]:
    """The body of an ingest flow run (this one's, or a served deployment's)."""
    mark("flow-started")
    logger = get_run_logger()
    run_id = run_name()
    lock = RunLock(settings.storage.db)
    try:
        lock.acquire(settings.storage.run_lock_timeout_seconds)
    except RunLockTimeout as exc:
        logger.warning("Skipping run %s: %s", run_id, exc)
        return run_summary(run_id, RunTally(), settings, RunStatus.SKIPPED, str(exc))
    try:
        return _ingest_locked(run_id, settings, paths, feeds, urls)
    finally:
        lock.release()


def _ingest_locked(
    run_id: str, settings: Settings, paths: list[str], feeds: list[Feed], urls_: list[str]
) -> dict[str, Any]:
    with _chunk_runner(settings) as remote:
        return _ingest_judging_with(remote, run_id, settings, paths, feeds, urls_)


def _ingest_judging_with(
    remote: TaskRunner | None,
    run_id: str,
    settings: Settings,
    paths: list[str],
    feeds: list[Feed],
    urls_: list[str],
) -> dict[str, Any]:
    logger = get_run_logger()
    store = Store.for_settings(settings.storage)  # the run's one store
    tally = RunTally()
    _pools.interrupted = False
    try:
        store.begin_run(run_id, str(flow_run.id) if flow_run.id else None, close_stale=True)
    except StoreLocked as exc:
        logger.warning("Deferring run %s to the next one: %s", run_id, exc)
        return run_summary(run_id, tally, settings, RunStatus.DEFERRED, str(exc))
    status, error = RunStatus.COMPLETED, None
    fetcher = Fetcher(settings.fetch, settings.ingest.max_bytes)
    try:
        refs = _here(discover_inputs, paths, settings) if paths else []
        polled = []
        if feeds:
            # Feeds and sitemaps are named by the user, not discovered: robots.txt
            # (rules for crawlers) applies to the article pages, not to them, and an
            # unchanged feed then costs exactly one conditional request.
            with Fetcher(
                replace(settings.fetch, respect_robots=False), settings.ingest.max_bytes
            ) as feed_fetcher:
                polled = _here(poll_feeds, feed_fetcher, feeds, settings, store)
        entries, polls = _web_entries(polled, urls_, settings, store, logger)
        _here(record_polls, store, settings, polls)
        tally.feeds = polls
        _emit("total", len(refs) + len(entries))
        logger.info("Run %s: %d files, %d feeds/sitemaps, %d new pages",
                    run_id, len(refs), len(polls), len(entries))  # fmt: skip
        try:
            todo = _here(unsettled, store, [r.location for r in refs]) if refs else set()
            pending = [r for r in refs if r.location in todo]
            skipped = len(refs) - len(pending)
            tally.inputs += skipped
            tally.skipped += skipped
            _emit("advance", skipped)
            # Two batches queued ahead of the one being written: the workers
            # never wait for the writer, nor for the slowest chunk of a batch.
            # With one worker, batches are judged here, each written at once.
            ahead = 2 if settings.ingest.workers > 1 or not _tasks_run_here(remote) else 0
            mark("judging")
            inflight: deque[Submitted] = deque()
            for batch in _chunks(pending, settings.ingest.batch_size):
                inflight.append(_submit(batch, settings, remote))
                if len(inflight) > ahead:
                    _record(_collect(inflight.popleft()), store, settings, run_id, tally)
            while inflight:
                _record(_collect(inflight.popleft()), store, settings, run_id, tally)
            for batch in _chunks(entries, settings.ingest.batch_size):
                fetched = _here(fetch_pages, fetcher, batch, settings.fetch.threads)
                docs = [d for d in fetched if isinstance(d, Document)]
                failed = [d for d in fetched if not isinstance(d, Document)]
                _emit("advance", len(failed))
                _record(_collect(_submit(docs, settings, remote)) if docs else [], store, settings, run_id,
                        tally, failed)  # fmt: skip
        except BaseException:
            with signals_held():  # a second signal (Ctrl-C, then the runner's SIGTERM) waits
                _pools.release(wait=False)
            raise
        _pools.release()
    except (StoreLocked, ClusterLost) as exc:
        status, error = RunStatus.INTERRUPTED, str(exc)
        logger.warning("Run %s stopped, the rest is left for the next run: %s", run_id, exc)
    except (KeyboardInterrupt, SystemExit, TerminationSignal) as exc:
        status, error = RunStatus.INTERRUPTED, f"stopped by {_signal_name(exc)}; the next run takes the rest"
        raise
    except BaseException as exc:
        status, error = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
        raise
    finally:
        with signals_held():  # the run's row is written whatever signal comes next
            fetcher.close()
            _finish(store, run_id, status, error, tally)
    logger.info(
        "Run %s: %d stored, %d duplicates, %d rejected, %d skipped",
        run_id, tally.stored, tally.duplicates, tally.rejected, tally.skipped,
    )  # fmt: skip
    changed = tally.stored + tally.duplicates + tally.rejected > 0
    if (
        settings.storage.publish_snapshot
        and status is RunStatus.COMPLETED
        and (changed or not store.snapshot_path().exists())
    ):
        mark("snapshot-start")
        try:
            logger.info("Snapshot for analysts: %s", store.publish_snapshot())
        except StoreLocked as exc:
            logger.warning("Snapshot not refreshed this run: %s", exc)
        mark("snapshot-done")
    _publish_artifacts(run_id, tally, store)
    mark("artifacts-done")
    return run_summary(run_id, tally, settings, status, error)


def _record(
    results: list[ChunkResult],
    store: Store,
    settings: Settings,
    run_id: str,
    tally: RunTally,
    already: list[Outcome] | None = None,
) -> None:
    """Write one batch's outcomes (the single writer)."""
    outcomes = list(already or []) + [o for r in results for o in r.outcomes]
    if not outcomes:
        return
    mark("chunk-judged")
    for r in results:
        tally.stage_seconds.update(r.seconds)
    t = time.perf_counter()
    with signals_held():  # a Ctrl-C during the write stops the run once it is counted
        report = _here(write_batch, store, settings, run_id, quote(outcomes))
        tally.stage_seconds["write"] += time.perf_counter() - t
        tally.inputs += len(outcomes)
        tally.add(report)
        _emit("stored", len(report.stored))
    mark("write-done")


def _signal_name(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "SIGINT (Ctrl-C)"
    return "SIGTERM" if isinstance(exc, TerminationSignal) else type(exc).__name__


def _finish(store: Store, run_id: str, status: RunStatus, error: str | None, tally: RunTally) -> None:
    try:
        store.finish_run(run_id, status, tally.counts(), error, dict(tally.stage_seconds))
    except Exception as exc:  # noqa: BLE001 - keep the original error, if any
        get_run_logger().error("Could not record the end of run %s: %s", run_id, exc)


# Characters that are markdown or HTML syntax inside a table cell, written as
# numeric entities: a renderer shows them as themselves (Prefect's UI shows a
# backslash escape literally, so "\\(" would appear as typed).
_ENTITIES = {c: f"&#{ord(c)};" for c in "&<>[]*_`|\\~"}
TITLE_CELL_CHARS = 70  # the new-articles table fits the artifact pane at 1366 px


def _cell(value: Any, limit: int | None = None) -> str:
    """Text from pages and feeds as literal text in a markdown table cell:
    markdown and HTML have no effect, a line break does not end the row."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return "".join(_ENTITIES.get(c, c) for c in text)


def _link(title: str | None, url: str) -> str:
    """A markdown link whose target cannot break out of its parentheses."""
    target = quote_url(url, safe=":/?#@!$&'*+,;=%~-._")
    return f"[{_cell(title or '(untitled)', TITLE_CELL_CHARS)}]({target})"


def headline(tally: RunTally) -> str:
    """The first line of a run's summary: what is new, or that nothing is."""
    if tally.stored:
        return f"{tally.stored} new article(s), {tally.duplicates} duplicate(s), {tally.rejected} rejected"
    return (
        f"Nothing new: {tally.inputs} input(s), {tally.skipped} already recorded, "
        f"{tally.duplicates} duplicate(s), {tally.rejected} rejected"
    )


def summary_markdown(run_id: str, tally: RunTally, figures: RunFigures | None = None) -> str:
    lines = [
        f"# {headline(tally)}",
        "",
        f"Veille run `{run_id}`.",
        "",
        "| outcome | count |",
        "|---|---:|",
        f"| inputs | {tally.inputs} |",
        f"| new articles | {tally.stored} |",
        f"| duplicates | {tally.duplicates} |",
        f"| rejected | {tally.rejected} |",
        f"| skipped (already recorded) | {tally.skipped} |",
    ]
    lines += [f"| duplicates: {k} | {v} |" for k, v in sorted(tally.duplicates_by_kind.items())]
    lines += [f"| rejected: {k} | {v} |" for k, v in sorted(tally.rejects_by_reason.items())]
    if tally.feeds:
        lines += ["", "## Feeds", "", "| feed | status | HTTP | entries | new | error |",
                  "|---|---|---:|---:|---:|---|"]  # fmt: skip
        for p in tally.feeds:
            lines.append(
                f"| {_cell(p.name or p.url)} | {p.status.value} | {_cell(p.http_status)} "
                f"| {p.entries} | {p.new_entries} | {_cell(p.error)} |"
            )
    if figures is not None:
        lines += ["", "## Stories and wires", "", _cell(figures.wire_line())]
        if figures.stories:
            lines += ["", "| stories its articles joined | first publisher | articles | outlets | new |",
                      "|---|---|---:|---:|---:|"]  # fmt: skip
            lines += [f"| {_link(s.title, s.url) if s.url else _cell(s.title or '(untitled)')} "
                      f"| {_cell(s.first_source)} | {s.article_count} | {s.source_count} | {s.new_articles} |"
                      for s in figures.stories]  # fmt: skip
    lines += ["", "Charts of the whole database: `veille report --out report.html`."]
    if tally.new_articles:
        # Three narrow columns (the title links to the article): the table fits
        # the artifact pane of Prefect's UI at 1366 px.
        lines += ["", "## New articles", "", "| article | source | published |", "|---|---|---|"]
        for a in tally.new_articles[:200]:
            published = (a["published_at"] or "")[:10]
            lines.append(f"| {_link(a['title'], a['url'])} | {_cell(a['source'])} | {published} |")
        if len(tally.new_articles) > 200:
            lines.append(f"\n… and {len(tally.new_articles) - 200} more (see the articles table).")
    return "\n".join(lines)


def artifact_suffix() -> str:
    """Which runs share artifact keys: a deployment's runs, or `veille ingest`'s.
    Each key's latest version is then that deployment's last run."""
    name = deployment.name or "ingest"
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "ingest"


def _run_figures(store: Store, run_id: str, tally: RunTally) -> RunFigures | None:
    """The stories and wire credits of the run's new articles: a summary
    without them rather than a failed run."""
    if not tally.stored:
        return None
    try:
        return run_figures(store, run_id)
    except StoreError as exc:
        get_run_logger().warning("Stories and wire credits left out of the summary: %s", exc)
        return None


def _publish_artifacts(run_id: str, tally: RunTally, store: Store) -> None:
    suffix = artifact_suffix()
    create_markdown_artifact(
        key=f"veille-summary-{suffix}",
        markdown=summary_markdown(run_id, tally, _run_figures(store, run_id, tally)),
        description=f"{headline(tally)} (run {run_id})",
    )
    if tally.new_articles:
        create_table_artifact(
            key=f"veille-new-articles-{suffix}",
            table=[
                {k: a[k] for k in ("title", "source", "published_at", "url")}
                for a in tally.new_articles[:1000]
            ],
            description=f"New articles of run {run_id}",
        )


def run_ingest(
    settings: Settings,
    paths: list[str] | None = None,
    feeds: list[Feed] | None = None,
    urls: list[str] | None = None,
) -> dict[str, Any]:
    """Run the flow with one task runner thread per worker process."""
    runner = ThreadPoolTaskRunner(max_workers=settings.ingest.workers)
    return ingest.with_options(task_runner=runner)(
        settings=settings, paths=paths or [], feeds=feeds or [], urls=urls or []
    )
