"""The warm worker pool: same outcomes as in-process, no Prefect in the
workers, and an input that kills its worker gets its own outcome."""

from __future__ import annotations

import os
import sys
import time

from extractors.core.records import Candidate, Document, Rejected, RejectReason
from extractors.core.settings import Settings
from extractors.judge.parallel import WorkerPool
from extractors.judge.pipeline import ChunkResult, process_items
from extractors.sources import files
from tests.support.paths import SEEDS


def _modules_loaded(items: list, settings: Settings) -> ChunkResult:
    """Runs in a worker: report (as a rejection detail) whether Prefect is loaded."""
    return ChunkResult([Rejected("probe", RejectReason.EMPTY, str("prefect" in sys.modules))], {})


def _die_on_poison(items: list, settings: Settings) -> ChunkResult:
    """Runs in a worker: an input named "poison" kills the process, as a segfault would."""
    if any("poison" in item.location for item in items):
        os._exit(11)
    return process_items(items, settings)


def test_pool_gives_the_outcomes_of_the_pipeline_in_this_process() -> None:
    refs = list(files.discover([SEEDS]))
    settings = Settings().replace({"ingest.workers": 2})
    here = process_items(refs, settings).outcomes
    with WorkerPool(2) as pool:
        assert len(set(pool.pids()) - {os.getpid()}) == 2
        there = pool.run(refs, settings).outcomes
    assert [type(o) for o in there] == [Candidate] * 5
    assert [(o.location, o.content_hash, o.minhash) for o in there] == [
        (o.location, o.content_hash, o.minhash) for o in here
    ]


def test_workers_do_not_load_prefect() -> None:
    with WorkerPool(1, work=_modules_loaded) as pool:
        (probe,) = pool.run([Document("file:///probe.txt", "text", "x")], Settings()).outcomes
    assert probe.detail == "False"


def test_an_input_that_kills_its_worker_is_rejected_alone_and_the_pool_goes_on() -> None:
    seeds = sorted(SEEDS.glob("*.txt"))[:2]
    docs = [Document(location=p.as_uri(), kind="text", content=p.read_text()) for p in seeds]
    poison = Document(location="file:///poison.txt", kind="text", content="x")
    settings = Settings()
    with WorkerPool(2, work=_die_on_poison) as pool:
        before = set(pool.pids())
        outcomes = pool.run([docs[0], poison, docs[1]], settings).outcomes
        assert set(pool.pids()).isdisjoint(before)  # new workers replaced the broken pool
        again = pool.run(docs, settings).outcomes
    assert [o.location for o in outcomes] == [docs[0].location, poison.location, docs[1].location]
    assert [type(o) for o in outcomes] == [Candidate, Rejected, Candidate]
    assert outcomes[1].reason is RejectReason.UNREADABLE
    assert "worker process judging it died" in outcomes[1].detail
    assert [type(o) for o in again] == [Candidate, Candidate]


def _hang_on_poison(items: list, settings: Settings) -> ChunkResult:
    """Runs in a worker: an input named "hang" never ends, as a stuck parser would."""
    if any("hang" in item.location for item in items):
        while True:
            time.sleep(1)
    return process_items(items, settings)


def test_an_input_over_its_time_budget_is_rejected_alone_and_its_worker_replaced() -> None:
    seeds = sorted(SEEDS.glob("*.txt"))[:3]
    docs = [Document(location=p.as_uri(), kind="text", content=p.read_text()) for p in seeds]
    hang = Document(location="file:///hang.txt", kind="text", content="x", feed_url="https://f/x")
    settings = Settings().replace({"ingest.max_seconds_per_input": 3.0})
    for workers in (1, 2):
        with WorkerPool(workers, work=_hang_on_poison) as pool:
            before = set(pool.pids())
            outcomes = pool.run([docs[0], hang, docs[1], docs[2]], settings).outcomes
            assert set(pool.pids()).isdisjoint(before)
            again = pool.run(docs, settings).outcomes
        assert [o.location for o in outcomes] == [d.location for d in (docs[0], hang, docs[1], docs[2])]
        assert [type(o) for o in outcomes] == [Candidate, Rejected, Candidate, Candidate]
        assert (outcomes[1].reason, outcomes[1].feed_url) == (RejectReason.TIMEOUT, "https://f/x")
        assert "more than 3 s" in outcomes[1].detail
        assert [type(o) for o in again] == [Candidate] * 3
