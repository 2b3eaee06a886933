"""The Dask figure of `make bench`: the same pages through the local worker
pool and through a `distributed.LocalCluster` of 2 worker processes (one
thread each), one after the other in this process, against one Prefect
server; and what a chunk costs on the cluster beyond judging it.

Both sides start warm, as they run in use: the local pool is started (and
its workers warmed) before its run, as `veille ingest` starts it before
Prefect; the cluster is started, and its workers import the pipeline, before
its run, as a long-lived cluster would have. Their start times are reported
apart. Each run ingests the pages into a fresh DuckDB file; both must record
the same outcomes.

Overhead per chunk: (cluster wall - local wall) / chunks sent to the cluster
(`chunk_size` documents each; the local pool takes one chunk per worker and
batch). It is the price of a chunk's trip: its pickled documents to a
worker, the task run's Prefect API calls from there, the result back.

    python -m benchmarks.dask_figure [--pages 300] [--seed 2024]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import generate

WORKERS = 2


@dataclass
class DaskFigure:
    pages: int
    chunk_size: int
    pool_start: float  # seconds to start and warm the local pool
    cluster_start: float  # seconds to start the LocalCluster and warm its workers
    local_wall: float
    dask_wall: float
    local_outcomes: tuple[int, int, int]  # stored, duplicates, rejected
    dask_outcomes: tuple[int, int, int]
    dask_chunks: int

    @property
    def overhead_ms_per_chunk(self) -> float:
        return (self.dask_wall - self.local_wall) / self.dask_chunks * 1000


def _warm_worker() -> int:
    """On each Dask worker: the imports and model loads the local pool's workers pay as they start."""
    import flows.ingest  # noqa: F401
    from extractors.judge import pipeline

    pipeline.warm()
    return os.getpid()


def _outcomes(summary: dict[str, Any]) -> tuple[int, int, int]:
    return summary["stored"], summary["duplicates"], summary["rejected"]


def measure(corpus: Path, pages: int, api_url: str, scratch: Path, log: Any = print) -> DaskFigure:
    """Both runs over the `pages` files of `corpus`, against the Prefect API at `api_url`."""
    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api_url  # this process's flows, and the cluster's workers
    try:
        from distributed import Client, LocalCluster

        from extractors.core.records import Document
        from extractors.core.settings import Settings
        from extractors.judge.parallel import WorkerPool
        from flows.ingest import prestarted, run_ingest

        base = Settings().replace({"ingest.workers": WORKERS, "storage.publish_snapshot": False})
        size, batch = base.ingest.chunk_size, base.ingest.batch_size
        chunks = sum(math.ceil(min(batch, pages - start) / size) for start in range(0, pages, batch))

        t = time.perf_counter()
        pool = WorkerPool(WORKERS, None)
        pool.run([Document(f"warm-{i}", "text", "Bonjour.") for i in range(WORKERS)], base)  # once warm
        pool_start = time.perf_counter() - t
        try:
            with prestarted(pool):
                log(f"[dask figure] local pool of {WORKERS} workers, {pages} pages ...")
                t = time.perf_counter()
                local = run_ingest(base.replace({"storage.db": scratch / "dask-figure-local.duckdb"}),
                                   paths=[str(corpus)])  # fmt: skip
                local_wall = time.perf_counter() - t
        finally:
            pool.close()

        t = time.perf_counter()
        with (
            LocalCluster(n_workers=WORKERS, processes=True, threads_per_worker=1, host="127.0.0.1",
                         dashboard_address=None) as cluster,
            Client(cluster, set_as_default=False) as client,
        ):  # fmt: skip
            client.run(_warm_worker)
            cluster_start = time.perf_counter() - t
            settings = base.replace({"storage.db": scratch / "dask-figure-dask.duckdb",
                                     "ingest.executor": "dask",
                                     "ingest.dask_address": cluster.scheduler_address})  # fmt: skip
            log(f"[dask figure] LocalCluster of {WORKERS} workers, {pages} pages ...")
            t = time.perf_counter()
            dask = run_ingest(settings, paths=[str(corpus)])
            dask_wall = time.perf_counter() - t
    finally:
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous
    figure = DaskFigure(pages, size, pool_start, cluster_start, local_wall, dask_wall, _outcomes(local),
                        _outcomes(dask), chunks)  # fmt: skip
    if figure.local_outcomes != figure.dask_outcomes:
        raise RuntimeError(f"different outcomes: local {figure.local_outcomes}, dask {figure.dask_outcomes}")
    return figure


def markdown(f: DaskFigure) -> str:
    rows = [
        ("local pool", f.local_wall, f.pool_start, "one per worker and batch"),
        ("Dask LocalCluster", f.dask_wall, f.cluster_start, f"{f.dask_chunks} of {f.chunk_size} pages"),
    ]
    lines = [
        "",
        f"### Dask: {f.pages} pages, {WORKERS} worker processes each",
        "",
        "| executor | wall s | pages/s | start s (apart) | chunks |",
        "|---|---:|---:|---:|---|",
    ]
    lines += [f"| {name} | {wall:.1f} | {f.pages / wall:.1f} | {start:.1f} | {chunks} |"
              for name, wall, start, chunks in rows]  # fmt: skip
    stored, duplicates, rejected = f.dask_outcomes
    lines += [
        "",
        f"Overhead per chunk on the cluster: {f.overhead_ms_per_chunk:.0f} ms "
        f"((Dask wall - local wall) / {f.dask_chunks} chunks). Same outcomes both ways: "
        f"{stored} stored, {duplicates} duplicates, {rejected} rejected.",
    ]
    return "\n".join(lines) + "\n"


def _drain_prefect() -> None:
    """Send this process's queued Prefect logs and events while the server is
    still there (else its background workers print "Error logging to API"
    into the benchmark's output once it is stopped)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=5, at_exit=False)


def section(pages: int, seed: int, log: Any = print) -> str:
    """Generate the pages, start a Prefect server for the two runs, measure,
    stop everything; the figure as markdown (for benchmarks/run.py)."""
    from benchmarks.run import start_prefect_server, stop_prefect_server

    scratch = Path(tempfile.mkdtemp(prefix="veille-dask-figure-"))
    if "prefect" not in sys.modules:  # this process's Prefect client: a home of its own
        os.environ["PREFECT_HOME"] = str(scratch / "client-home")
    try:
        corpus = generate.generate(scratch / "corpus", pages, seed)
        server = start_prefect_server(scratch / "prefect-home", scratch)
        try:
            figure = measure(corpus.directory, pages, server.api_url, scratch, log)
        finally:
            _drain_prefect()
            stop_prefect_server(server)
        return markdown(figure)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", type=int, default=300)
    p.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    args = p.parse_args(argv)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    print(section(args.pages, args.seed, log=lambda m: print(m, file=sys.stderr)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
