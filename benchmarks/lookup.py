"""Cost of deduplicating new articles against a growing store.

The store is filled through `Store.write_batch` itself (big batches) with
synthetic distinct candidates fingerprinted by `extractors.dedup.fingerprint.fingerprint`,
then a batch of new distinct candidates is written and timed at each size.
The claim under test (extractors/dedup/fingerprint.py): LSH bands are joined in the
database, so a lookup costs about the same whatever the number stored.

Texts are cheap to make: random draws from the generator's French vocabulary,
so two texts share no 5-word shingle in practice. Fingerprints are computed
in a spawned process pool (the fingerprint, not the text, is the slow part).

A batch's commit goes to the write-ahead log; the checkpoint that moves the
log into the file comes once the log passes DuckDB's threshold (storage/store.py),
and its cost grows with the indexes of the file. So each probe also times a
checkpoint after its batches, and a batch is charged the share of it that its
log bytes are of the threshold: the cost per article is what a long run of
such batches pays on average, not the fastest batch between two checkpoints.
"""

from __future__ import annotations

import multiprocessing
import random
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks import generate
from extractors.core.records import Candidate, Extraction
from extractors.dedup import fingerprint
from storage.store import Store

WORDS_PER_TEXT = 60
FILL_BATCH = 25_000  # big batches fill faster; the fill is not what is measured
CHECKPOINT_THRESHOLD = 16 * 1024 * 1024  # DuckDB's default `checkpoint_threshold`, which the store keeps


@dataclass(frozen=True, slots=True)
class Probe:
    stored_before: int  # articles in the store when the batch was written
    batch: int  # new candidates in the batch
    seconds: list[float]  # one per repeat
    checkpoint_seconds: float = 0.0  # a checkpoint after the repeats
    log_bytes: float = 0.0  # write-ahead log written per batch

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def best(self) -> float:
        """The fastest repeat: slower ones measure other processes' interference
        more than this code (the reasoning of the timeit module)."""
        return min(self.seconds)

    @property
    def checkpoint_share(self) -> float:
        """Seconds of checkpoint a batch pays on average: one checkpoint every
        `CHECKPOINT_THRESHOLD` bytes of log."""
        return self.checkpoint_seconds * min(1.0, self.log_bytes / CHECKPOINT_THRESHOLD)

    @property
    def ms_per_article(self) -> float:
        return (self.best + self.checkpoint_share) / self.batch * 1000


@dataclass(frozen=True, slots=True)
class LookupResult:
    probes: list[Probe]
    fill_seconds: float  # wall time of the fills, fingerprints included
    fingerprint_wait_seconds: float  # part of it the writer spent waiting for fingerprints
    db_bytes: int


def _vocabulary() -> list[str]:
    pools = (generate.CLAIMS, generate.FACTS, generate.ANALYSES, generate.QUOTES,
             generate.CONTEXTS, generate.VENUES, generate.SPEAKERS, generate.TOWNS,
             generate.LAST_NAMES, generate.SUBSECTIONS)  # fmt: skip
    words = {w.strip(",.«»:") for pool in pools for text in pool for w in text.split()}
    return sorted(w for w in words if w and "{" not in w)


_VOCAB: list[str] = []


def _candidate(key: str) -> Candidate:
    if not _VOCAB:
        _VOCAB.extend(_vocabulary())
    rng = random.Random(f"veille-bench-lookup:{key}")
    body = " ".join(rng.choices(_VOCAB, k=WORDS_PER_TEXT)).capitalize() + "."
    fp = fingerprint.fingerprint(body)
    extraction = Extraction(
        location=f"file:///bench/lookup/{key}.txt",
        url=f"https://www.example.fr/bench/{key}.html",
        title=f"Article {key}",
        body=body,
        language="fr",
        published=None,
        source="Bench",
        source_domain="example.fr",
        topic_score=10.0,
    )
    return Candidate(extraction, fp.content_hash, fp.minhash)


def _candidates(keys: list[str]) -> list[Candidate]:
    return [_candidate(k) for k in keys]


def _in_slices(keys: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def _count(store: Store) -> int:
    return int(store.query("SELECT count(*) FROM articles")[1][0][0])


def _log_bytes(db: Path) -> int:
    log = Path(f"{db}.wal")
    return log.stat().st_size if log.exists() else 0


def _checkpoint(store: Store) -> float:
    """Seconds a checkpoint of the store takes now."""
    with store.connect() as con:
        t = time.perf_counter()
        con.execute("CHECKPOINT")
        return time.perf_counter() - t


def _fill(store: Store, cands: list[Candidate]) -> None:
    report = store.write_batch("bench-fill", cands)
    if len(report.stored) != len(cands):
        raise RuntimeError(
            f"fill: {len(report.stored)} of {len(cands)} stored "
            f"({len(report.duplicates)} duplicates): synthetic texts not distinct"
        )


def run(db: Path, sizes: list[int], batch: int = 200, repeats: int = 3,
        processes: int = 2, log: Callable[[str], None] = print) -> LookupResult:  # fmt: skip
    """Fill `db` up to each size in turn and time `repeats` batches of `batch`
    new candidates there. Probe batches stay in the store (the next fill
    counts them)."""
    store = Store(db)
    store.begin_run("bench-fill", None)
    probes: list[Probe] = []
    fill_seconds = wait_seconds = 0.0
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for size in sorted(sizes):
            have = _count(store)
            keys = [f"fill-{i}" for i in range(have, size)]
            if keys:
                log(f"  filling the store: {have:,} -> {size:,} articles")
            start = time.perf_counter()
            # the pool fingerprints the next slices while a batch is written
            pending: list[Candidate] = []
            waited_since = time.perf_counter()
            for i, part in enumerate(pool.imap(_candidates, _in_slices(keys, 500))):
                pending += part
                if len(pending) >= FILL_BATCH or (i + 1) * 500 >= len(keys):
                    wait_seconds += time.perf_counter() - waited_since
                    _fill(store, pending)
                    pending = []
                    waited_since = time.perf_counter()
            fill_seconds += time.perf_counter() - start
            _checkpoint(store)  # the probe's log starts empty
            seconds, stored_before, log_bytes = [], _count(store), []
            for r in range(repeats):
                cands = _candidates([f"probe-{size}-{r}-{i}" for i in range(batch)])
                before = _log_bytes(db)
                t = time.perf_counter()
                report = store.write_batch(f"bench-probe-{size}", cands)
                seconds.append(time.perf_counter() - t)
                if _log_bytes(db) > before:  # else the batch ended in a checkpoint
                    log_bytes.append(_log_bytes(db) - before)
                if len(report.stored) != batch:
                    raise RuntimeError(f"probe at {size}: {len(report.stored)} of {batch} stored")
            per_batch = statistics.mean(log_bytes) if log_bytes else 0.0
            probes.append(Probe(stored_before, batch, seconds, _checkpoint(store), per_batch))
            p = probes[-1]
            log(f"  {stored_before:>7,} stored: {p.ms_per_article:.2f} ms per new article "
                f"({p.best / batch * 1000:.2f} for its batch, {p.checkpoint_share / batch * 1000:.2f} "
                f"for its share of a {p.checkpoint_seconds:.2f} s checkpoint)")  # fmt: skip
    return LookupResult(probes, fill_seconds, wait_seconds, db.stat().st_size)
