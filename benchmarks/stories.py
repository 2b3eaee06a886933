"""Stories: how well articles are grouped, and what placing one costs as the store grows.

Quality: the labelled French set of tests/data/stories/ (articles.jsonl:
short articles written for it, each with its event or none; seeds-labels.toml:
the events of the five seeds) goes through the real pipeline
(`pipeline.judge`) and `Store.write_batch` into a fresh database, in batches
in publication order; then every pair of articles is counted: put in one
story and labelled one event (true positive), put together but labelled
apart (false positive), labelled together but put apart (false negative).
Pairwise precision and recall follow.

Cost: a store is filled through `Store.write_batch` with synthetic articles
(100 a day over consecutive days, in time order, as a feed brings
them; each of an event of a few articles sharing some features, plus
background features drawn from a Zipf-like vocabulary), then batches of new
articles of the last day are written and timed at 1k, 10k and 100k stored.
What is timed is the story part of the write (`storage.stories.place` and
`record`: lookups, decision, index and `stories` rows), the rest of
`write_batch` being the near-duplicate lookup's (benchmarks/lookup.py).

    python -m benchmarks.stories [--sizes 1000,10000,100000] [--skip-cost]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from extractors.core.records import (
    Candidate,
    DatePrecision,
    Extraction,
    InputRef,
    PublicationDate,
)
from extractors.core.settings import Settings
from extractors.judge import pipeline
from extractors.sources import files
from storage import stories as story_store
from storage.store import Store

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "stories"
SEEDS = REPO / "seeds"

# -- quality -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Labelled:
    candidate: Candidate
    event: str | None  # None: about no event of the set (a story of its own is right)


def labelled_set(settings: Settings | None = None) -> list[Labelled]:
    """The labelled articles, judged by the real pipeline; each must be kept."""
    settings = settings or Settings()
    path = DATA / "articles.jsonl"
    events = [json.loads(line).get("event") for line in path.read_text("utf-8").splitlines() if line.strip()]
    docs = files.read_input(InputRef(path.as_uri(), str(path)), settings)
    items = list(zip(docs, events, strict=True))
    seed_events = tomllib.loads((DATA / "seeds-labels.toml").read_text("utf-8"))["events"]
    for name, event in sorted(seed_events.items()):
        seed = SEEDS / name
        items += [(doc, event) for doc in files.read_input(InputRef(seed.as_uri(), str(seed)), settings)]
    out = []
    for doc, event in items:
        outcome = pipeline.judge(doc, settings)  # type: ignore[arg-type]
        if not isinstance(outcome, Candidate):
            raise RuntimeError(f"{getattr(doc, 'location', doc)} not kept: {outcome}")
        out.append(Labelled(outcome, event))
    return out


@dataclass(frozen=True, slots=True)
class Quality:
    articles: int
    events: int  # labelled events with at least two articles
    stories: int
    true_pairs: int
    false_pairs: int
    missed_pairs: int
    groups: list[list[str]] = field(default_factory=list)  # location of each story's articles
    seed_stories: dict[str, str] = field(default_factory=dict)  # seed file -> its story id

    @property
    def precision(self) -> float:
        found = self.true_pairs + self.false_pairs
        return self.true_pairs / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_pairs + self.missed_pairs
        return self.true_pairs / wanted if wanted else 1.0


def _time(c: Candidate, now: datetime) -> datetime:
    return c.published.value if c.published else now


def quality(db: Path, batch: int = 8, settings: Settings | None = None) -> Quality:
    """Group the labelled set in `db` (a new file) and count pairs."""
    settings = settings or Settings()
    items = labelled_set(settings)
    now = datetime.now(UTC)
    ordered = sorted(items, key=lambda i: _time(i.candidate, now))  # as feeds bring them
    store = Store(db)
    store.begin_run("stories-quality", None)
    for start in range(0, len(ordered), batch):
        part = [i.candidate for i in ordered[start : start + batch]]
        report = store.write_batch("stories-quality", part, settings.ingest.near_duplicate_threshold,
                                   settings.stories)  # fmt: skip
        if len(report.stored) != len(part):
            raise RuntimeError(f"{len(part) - len(report.stored)} labelled articles not stored (duplicates?)")
    story_of = dict(store.query("SELECT location, story_id FROM articles")[1])
    tp = fp = fn = 0
    for a, b in itertools.combinations(items, 2):
        together = story_of[a.candidate.location] == story_of[b.candidate.location]
        same = a.event is not None and a.event == b.event
        tp += together and same
        fp += together and not same
        fn += same and not together
    groups: dict[str, list[str]] = {}
    for i in items:
        groups.setdefault(story_of[i.candidate.location], []).append(i.candidate.location)
    labelled = [e for e in (i.event for i in items) if e]
    seeds = {Path(i.candidate.location).name: story_of[i.candidate.location] for i in items
             if Path(i.candidate.location).parent.name == "seeds"}  # fmt: skip
    return Quality(len(items), sum(1 for e in set(labelled) if labelled.count(e) > 1), len(groups), tp, fp,
                   fn, sorted(groups.values()), seeds)  # fmt: skip


# -- cost ----------------------------------------------------------------------------------------

PER_DAY = 100  # articles a day in the synthetic store: 1k stored already span more than a window
EVENT_SIZE = (1, 6)  # articles per event
START = datetime(2024, 1, 1, 8, tzinfo=UTC)


def _draw(rng: random.Random, vocabulary: int) -> int:
    """A background word: rank drawn from a Zipf-like law over `vocabulary` words."""
    return min(int(rng.paretovariate(1.1)) - 1, vocabulary - 1)


def synthetic(n: int, first: int = 0, prefix: str = "s") -> Iterator[Candidate]:
    """Articles `first` .. `first + n - 1`: PER_DAY a day from START, in time
    order; consecutive articles form events of a few articles that share
    twelve event features; each also has 140 background features. Only what
    the writer reads is filled (no text is extracted: features are given)."""
    for i in range(first, first + n):
        key = f"{prefix}{i}"
        rng = random.Random(f"veille-bench-stories:{key}")
        event = i // 4  # about 4 articles an event, consecutive
        erng = random.Random(f"veille-bench-stories-event:{event}")
        feats: dict[str, float] = {}
        for k in erng.sample(range(40), 14)[:12]:
            if rng.random() < 0.8:
                feats[f"e{event}_{k}"] = float(rng.choice((1, 1, 2, 3)))
        while len(feats) < 150:
            feats[f"w{_draw(rng, 50_000)}"] = float(rng.choice((1, 1, 1, 2)))
        when = START + timedelta(days=i // PER_DAY, minutes=(i % PER_DAY) * 1440 // PER_DAY)
        digest = hashlib.sha256(key.encode()).hexdigest()
        extraction = Extraction(
            location=f"file:///bench/stories/{key}.txt",
            url=f"https://www.example.fr/bench/stories/{key}.html",
            title=f"Article {key}",
            body=f"Article {key}.",
            language="fr",
            published=PublicationDate(when, DatePrecision.DAY, "record"),
            source=f"Source {rng.randrange(40)}",
            source_domain="example.fr",
            topic_score=10.0,
        )
        minhash = tuple(rng.getrandbits(63) for _ in range(128))  # distinct: no near duplicate
        ranked = tuple(sorted(feats.items(), key=lambda kv: -kv[1]))
        yield Candidate(extraction, digest, minhash, None, ranked)


@dataclass(frozen=True, slots=True)
class Probe:
    stored_before: int
    batch: int
    seconds: list[float]  # the story part of each timed write
    write_seconds: list[float]  # the whole write_batch

    @property
    def ms_per_article(self) -> float:
        return min(self.seconds) / self.batch * 1000

    @property
    def write_ms_per_article(self) -> float:
        return min(self.write_seconds) / self.batch * 1000


@dataclass(frozen=True, slots=True)
class Cost:
    probes: list[Probe]
    fill_seconds: float
    db_bytes: int
    postings: int


class _Timed:
    """Sums the time spent in the story functions the store calls."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.place, self.record = story_store.place, story_store.record

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t

        return timed

    def __enter__(self) -> _Timed:
        story_store.place, story_store.record = self.wrap(self.place), self.wrap(self.record)  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        story_store.place, story_store.record = self.place, self.record  # type: ignore[method-assign]


def cost(db: Path, sizes: list[int], batch: int = 200, repeats: int = 3, fill_batch: int = 500,
         log: Callable[[str], None] = print) -> Cost:  # fmt: skip
    """Fill `db` to each size in turn; time `repeats` writes of `batch` new
    articles published on the store's last day. Probe articles stay stored."""
    store = Store(db)
    store.begin_run("bench-stories", None)
    probes: list[Probe] = []
    have, fill_seconds = 0, 0.0
    for size in sorted(sizes):
        start = time.perf_counter()
        if size > have:
            log(f"  filling the store: {have:,} -> {size:,} articles")
        while have < size:
            n = min(fill_batch, size - have)
            report = store.write_batch("bench-stories", list(synthetic(n, have)))
            if len(report.stored) != n:
                raise RuntimeError(f"fill: {len(report.stored)} of {n} stored")
            have += n
        fill_seconds += time.perf_counter() - start
        seconds, writes = [], []
        for r in range(repeats):
            # the next articles of the same stream: the same day as the last ones stored
            cands = list(synthetic(batch, have, prefix=f"p{size}-{r}-"))
            with _Timed() as timer:
                t = time.perf_counter()
                report = store.write_batch("bench-stories", cands)
                writes.append(time.perf_counter() - t)
            seconds.append(timer.seconds)
            if len(report.stored) != batch:
                raise RuntimeError(f"probe at {size}: {len(report.stored)} of {batch} stored")
        probes.append(Probe(have, batch, seconds, writes))
        p = probes[-1]
        log(f"  {have:>7,} stored: {p.ms_per_article:.2f} ms per new article for stories "
            f"({p.write_ms_per_article:.2f} ms the whole write)")  # fmt: skip
    postings = int(store.query("SELECT count(*) FROM story_postings")[1][0][0])
    return Cost(probes, fill_seconds, db.stat().st_size, postings)


# -- report --------------------------------------------------------------------------------------

TARGET_PRECISION = 0.8
TARGET_RECALL = 0.8
TARGET_GROWTH = 2.0


def report(q: Quality | None, c: Cost | None) -> str:
    lines = ["### Stories (`python -m benchmarks.stories`)", ""]
    if q is not None:
        lines.append(
            f"Labelled set (tests/data/stories/ and the seeds): {q.articles} articles, {q.events} events "
            f"of two or more; {q.stories} stories made. Pairwise precision {q.precision:.2f} "
            f"({q.true_pairs} of {q.true_pairs + q.false_pairs} pairs put together are one event), "
            f"recall {q.recall:.2f} ({q.true_pairs} of {q.true_pairs + q.missed_pairs} pairs of one event "
            f"put together); targets {TARGET_PRECISION} and {TARGET_RECALL}."
        )
        seeds = q.seed_stories
        groups: dict[str, list[str]] = {}
        for name, story in sorted(seeds.items()):
            groups.setdefault(story, []).append(name[:3])
        lines += ["", "Seeds by story: " + "; ".join(" + ".join(g) for g in groups.values()) + "."]
    if c is not None and c.probes:
        lo, hi = c.probes[0], c.probes[-1]
        lines += ["", f"| stored before | story placement, ms per new article (best of {len(lo.seconds)}) "
                  "| whole `write_batch`, ms per article |", "|---:|---:|---:|"]  # fmt: skip
        lines += [f"| {p.stored_before:,} | {p.ms_per_article:.2f} | {p.write_ms_per_article:.2f} |"
                  for p in c.probes]  # fmt: skip
        growth = hi.ms_per_article / lo.ms_per_article if lo.ms_per_article else float("inf")
        lines += ["", f"Story placement {hi.stored_before:,} / {lo.stored_before:,} stored: {growth:.2f}x "
                  f"(target <= {TARGET_GROWTH}x); batches of {lo.batch}; {c.postings:,} index rows; "
                  f"database {c.db_bytes / 1e6:.0f} MB; fill {c.fill_seconds:.0f} s."]  # fmt: skip
    return "\n".join(lines) + "\n"


def section(sizes: list[int], log: Callable[[str], None] = print) -> str:
    """Both measures in a scratch directory, as a section of `make bench`'s report."""
    with tempfile.TemporaryDirectory(prefix="veille-stories-") as scratch:
        log("stories: labelled set ...")
        q = quality(Path(scratch) / "quality.duckdb")
        log(f"stories: precision {q.precision:.2f}, recall {q.recall:.2f}; placement cost ...")
        c = cost(Path(scratch) / "cost.duckdb", sizes, log=log) if sizes else None
    return report(q, c)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000,10000,100000", help="articles stored before each cost probe")
    p.add_argument("--batch", type=int, default=200)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-cost", action="store_true")
    p.add_argument("--skip-quality", action="store_true")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="veille-stories-") as scratch:
        q = None if args.skip_quality else quality(Path(scratch) / "quality.duckdb")
        if q is not None:
            print(f"precision {q.precision:.2f}, recall {q.recall:.2f}", file=sys.stderr)
        c = None
        if not args.skip_cost:
            sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
            c = cost(Path(scratch) / "cost.duckdb", sizes, args.batch, args.repeats,
                     log=lambda m: print(m, file=sys.stderr))  # fmt: skip
    print(report(q, c))
    return 0


if __name__ == "__main__":
    sys.exit(main())
