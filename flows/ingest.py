"""The ingest flow: local inputs to DuckDB, through Prefect.

Shape, chosen for the later scale: inputs are discovered, then taken in
batches; within a batch, chunks of inputs are read and judged in parallel
(a process pool task runner: extraction is CPU-bound), and the single writer
deduplicates and records the whole batch in one transaction. A crash loses at
most the batch in flight, and its inputs are taken again by the next run,
since an input counts as done only once its outcome is committed.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from extractors import files
from extractors.pipeline import ChunkResult, process_refs
from extractors.records import InputRef, Outcome
from extractors.settings import Settings
from storage.store import BatchReport, Store, StoreLocked

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


@dataclass
class RunTally:
    inputs: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0
    rejects_by_reason: Counter[str] = field(default_factory=Counter)
    duplicates_by_kind: Counter[str] = field(default_factory=Counter)
    stage_seconds: Counter[str] = field(default_factory=Counter)
    new_articles: list[dict[str, Any]] = field(default_factory=list)

    def add(self, report: BatchReport) -> None:
        self.stored += len(report.stored)
        self.duplicates += len(report.duplicates)
        self.rejected += len(report.rejected)
        self.skipped += len(report.skipped)
        self.rejects_by_reason.update(r.reason.value for r in report.rejected)
        self.duplicates_by_kind.update(d.kind.value for d in report.duplicates)
        self.new_articles += [
            {
                "article_id": a.article_id,
                "title": a.title,
                "source": a.source,
                "published_at": a.published_at.isoformat() if a.published_at else None,
                "url": a.url,
            }
            for a in report.stored
        ]

    def counts(self) -> dict[str, int]:
        return {
            "inputs": self.inputs,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "skipped": self.skipped,
        }


# -- tasks: thin wrappers over plain functions ----------------------------------


@task(name="discover-inputs")
def discover_inputs(paths: list[str]) -> list[InputRef]:
    return list(files.discover(paths))


@task(name="skip-settled", retries=2, retry_delay_seconds=2)
def pending_inputs(settings: Settings, refs: list[InputRef]) -> list[InputRef]:
    store = Store(settings.db, settings.lock_timeout_seconds)
    settled = store.settled([r.location for r in refs])
    return [r for r in refs if r.location not in settled]


@task(name="process-chunk")
def process_chunk(refs: list[InputRef], settings: Settings) -> ChunkResult:
    return process_refs(refs, settings)


def _retry_when_locked(task: Any, task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except StoreLocked:
        return True
    except Exception:  # noqa: BLE001 - any other failure is final
        return False
    return False


@task(name="write-batch", retries=3, retry_delay_seconds=5, retry_condition_fn=_retry_when_locked)
def write_batch(settings: Settings, run_id: str, outcomes: list[Outcome]) -> BatchReport:
    store = Store(settings.db, settings.lock_timeout_seconds)
    return store.write_batch(run_id, outcomes, settings.near_duplicate_threshold)


# -- the flow ----------------------------------------------------------------------


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@contextmanager
def _api_url_for_workers() -> Iterator[None]:
    """Make worker processes report to this run's API server.

    With no PREFECT_API_URL, Prefect starts a temporary server for the run;
    worker processes inherit the environment, not that server, and would each
    start their own. Pointing them at the parent's server avoids that.
    """
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        os.environ["PREFECT_API_URL"] = str(client.api_url)
    try:
        yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)


def _judge_batch(batch: list[InputRef], settings: Settings) -> list[ChunkResult]:
    chunks = list(_chunks(batch, settings.chunk_size))
    results = []
    if len(chunks) == 1 or settings.workers == 1:
        for chunk in chunks:
            results.append(process_chunk(chunk, settings))
            _emit("advance", len(chunk))
        return results
    futures: list[PrefectFuture[ChunkResult]] = [
        process_chunk.submit(chunk, settings) for chunk in chunks
    ]
    for chunk, future in zip(chunks, futures, strict=True):
        results.append(future.result())
        _emit("advance", len(chunk))
    return results


@flow(name="veille-ingest-files", log_prints=False)
def ingest_files(paths: list[str], settings: Settings) -> dict[str, Any]:
    """Ingest local files and directories into the DuckDB store."""
    logger = get_run_logger()
    run_id = uuid.uuid4().hex[:12]
    store = Store(settings.db, settings.lock_timeout_seconds)
    store.begin_run(run_id, str(flow_run.id) if flow_run.id else None)
    tally = RunTally()
    status, error = "completed", None
    try:
        refs = discover_inputs(paths)
        _emit("total", len(refs))
        logger.info("Run %s: %d inputs under %s", run_id, len(refs), ", ".join(paths))
        with _api_url_for_workers():
            for batch in _chunks(refs, settings.batch_size):
                todo = pending_inputs(settings, batch)
                results = _judge_batch(todo, settings) if todo else []
                outcomes = [o for r in results for o in r.outcomes]
                for r in results:
                    tally.stage_seconds.update(r.seconds)
                report = write_batch(settings, run_id, outcomes)
                tally.inputs += len(batch) - len(todo) + len(outcomes)
                tally.skipped += len(batch) - len(todo)
                tally.add(report)
                _emit("advance", len(batch) - len(todo))
    except BaseException as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        _finish(store, run_id, status, error, tally)
    logger.info(
        "Run %s: %d stored, %d duplicates, %d rejected, %d skipped",
        run_id, tally.stored, tally.duplicates, tally.rejected, tally.skipped,
    )  # fmt: skip
    _publish_artifact(run_id, tally)
    return {
        "run_id": run_id,
        **tally.counts(),
        "rejects_by_reason": dict(tally.rejects_by_reason),
        "duplicates_by_kind": dict(tally.duplicates_by_kind),
        "stage_seconds": {k: round(v, 3) for k, v in tally.stage_seconds.items()},
        "db": str(settings.db),
    }


def _finish(store: Store, run_id: str, status: str, error: str | None, tally: RunTally) -> None:
    try:
        store.finish_run(run_id, status, tally.counts(), error, dict(tally.stage_seconds))
    except Exception as exc:  # noqa: BLE001 - keep the original error, if any
        get_run_logger().error("Could not record the end of run %s: %s", run_id, exc)


def summary_markdown(run_id: str, tally: RunTally) -> str:
    lines = [
        f"# Veille ingest run `{run_id}`",
        "",
        "| outcome | count |",
        "|---|---:|",
        f"| inputs | {tally.inputs} |",
        f"| stored | {tally.stored} |",
        f"| duplicates | {tally.duplicates} |",
        f"| rejected | {tally.rejected} |",
        f"| skipped (already recorded) | {tally.skipped} |",
    ]
    lines += [f"| duplicates: {k} | {v} |" for k, v in sorted(tally.duplicates_by_kind.items())]
    lines += [f"| rejected: {k} | {v} |" for k, v in sorted(tally.rejects_by_reason.items())]
    if tally.new_articles:
        lines += ["", "## New articles", "", "| title | source | published | link |", "|---|---|---|---|"]
        for a in tally.new_articles[:200]:
            title = (a["title"] or "(untitled)").replace("|", "\\|")
            lines.append(
                f"| {title} | {a['source'] or ''} | {a['published_at'] or ''} | {a['url']} |"
            )
    return "\n".join(lines)


def _publish_artifact(run_id: str, tally: RunTally) -> None:
    create_markdown_artifact(
        key="veille-ingest-summary",
        markdown=summary_markdown(run_id, tally),
        description=f"Veille ingest run {run_id}",
    )


def run_ingest(paths: list[str], settings: Settings) -> dict[str, Any]:
    """Run the flow with a task runner that fits the settings (process pool
    for parallel extraction, threads when a single worker is asked for)."""
    runner = (
        ProcessPoolTaskRunner(max_workers=settings.workers)
        if settings.workers > 1
        else ThreadPoolTaskRunner(max_workers=1)
    )
    return ingest_files.with_options(task_runner=runner)(paths=paths, settings=settings)
