"""From one read input to its outcome, minus deduplication.

`process_refs` is the unit of parallel work: it reads, extracts, cleans,
identifies the language, scores the topic and fingerprints each input, and
needs no shared state, so chunks of inputs can run in separate processes.
Deduplication needs the stored articles and happens in the single writer
(`storage.store.Store.write_batch`).
"""

from __future__ import annotations

import functools
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractors.core import urls
from extractors.core.records import (
    Candidate,
    Document,
    Extraction,
    InputRef,
    Outcome,
    Rejected,
    RejectReason,
)
from extractors.core.settings import Settings
from extractors.core.textnorm import strip_control, words
from extractors.dedup import fingerprint, stories
from extractors.judge import topic
from extractors.sources import files
from extractors.text import boilerplate, dates, html, language

MAX_TITLE_CHARS = 1000


def safe_text(text: str) -> str:
    """Text without NUL and other control characters (newlines and tabs kept):
    they break terminals, CSV exports and some DuckDB clients."""
    return strip_control(text)


@dataclass
class StageTimer:
    """Seconds spent per stage, summed over the inputs of a chunk."""

    seconds: Counter[str] = field(default_factory=Counter)

    def lap(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] += now - since
        return now


def extract(
    doc: Document, settings: Settings, timer: StageTimer | None = None, profile: topic.Profile | None = None
) -> Extraction:
    """`profile`: the topic profile as data (a Dask worker has no access to the
    file `settings.topic.profile` names); None loads that file."""
    timer = timer or StageTimer()
    t = time.perf_counter()
    title, date_meta, sitename, text = doc.title, None, None, doc.content
    declared: tuple[str, ...] = ()
    declared_wires: tuple[tuple[str, str], ...] = ()
    publisher = None
    page_url = doc.url
    if doc.kind == "html":
        page = html.extract(doc.content, url=doc.url, mode=settings.ingest.extraction)
        text = page.text if page else ""
        if page:
            title = title or page.title
            date_meta, sitename, declared = page.date, page.sitename, page.authors
            declared_wires, publisher = page.wires, page.publisher
            page_url = page_url or (urls.canonical(page.url) if page.url else None)
    t = timer.lap("extract", t)
    known_title = title or doc.title_hint
    cleaned = boilerplate.clean(safe_text(text), title=safe_text(known_title) if known_title else None)
    t = timer.lap("clean", t)
    lang, prob = language.detect(cleaned.body, settings.ingest.language_prefix_chars)
    t = timer.lap("language", t)
    profile = profile or topic.load_profile(settings.topic.profile)
    score = topic.score(f"{cleaned.title or ''}\n{cleaned.body}", profile)
    timer.lap("topic", t)
    url = page_url or doc.location
    source_raw = _source(doc, sitename, cleaned.source, url)
    domain = urls.domain(url)
    source = normalise_source(source_raw, publisher) if source_raw and source_raw != domain else source_raw
    wires = dict(cleaned.wires)
    for agency, evidence in declared_wires:
        wires.setdefault(agency, evidence)
    published = dates.first(
        dates.parse(doc.published, doc.published_origin),
        dates.parse(date_meta, "metadata"),
        dates.parse(cleaned.date_text, "text"),
    )
    return Extraction(
        location=doc.location,
        url=url,
        title=cleaned.title[:MAX_TITLE_CHARS] if cleaned.title else None,
        body=cleaned.body,
        published=published,
        source=source,
        source_domain=domain,
        language=lang,
        language_probability=prob,
        topic_score=score.value,
        topic_terms=score.matched,
        on_topic=score.passes(profile),
        truncated=cleaned.truncated,
        authors=_authors([*declared, *cleaned.authors], [source, source_raw, sitename, doc.source]),
        wire_agencies=tuple(wires),
        wire_evidence=tuple(wires.values()),
        source_raw=source_raw,
        removed=cleaned.removed,
    )


def _authors(names: list[str], publishers: list[str | None]) -> tuple[str, ...]:
    """Each person once, in order (the page's metadata first, then the bylines),
    without the publisher: a house byline signs as the site itself."""
    house = {_name_key(p) for p in publishers if p}
    found: dict[str, str] = {}
    for name in names:
        key = _name_key(name)
        if key and key not in house:
            found.setdefault(key, name)
    return tuple(found.values())


def _name_key(name: str) -> str:
    return " ".join(words(name))


# A site name's web suffix: "Le Monde.fr", "Boursorama.com".
_SITE_SUFFIX = re.compile(r"(?<=\w)\.(?:fr|com|net|org|info|eu|be|ch|ca|io|tv|co\.uk)$", re.IGNORECASE)


def normalise_source(name: str, publisher: str | None = None) -> str:
    """A publisher's name as sources are grouped: without a web suffix ("Le Monde.fr"
    is "Le Monde"), and a lower-case site name ("lemonde", a handle rather than a
    name) replaced by the page's JSON-LD publisher when it names one."""

    def bare(value: str) -> str:
        value = " ".join(value.split())
        return _SITE_SUFFIX.sub("", value) or value

    found = bare(name)
    if publisher and publisher.strip() and found.islower():
        found = bare(publisher)
    return found


def _source(doc: Document, sitename: str | None, in_text: str | None, url: str) -> str | None:
    """Publisher name, most specific first. For a web page the site's own
    name (og:site_name, JSON-LD publisher) beats a "Source : X" line, which
    names where the story came from rather than who published it."""
    if doc.kind == "html":
        return doc.source or sitename or in_text or doc.feed_title or urls.domain(url)
    return doc.source or in_text or sitename or doc.feed_title or urls.domain(url)


def verdict(
    ex: Extraction, settings: Settings, feed_url: str | None = None, profile: topic.Profile | None = None
) -> Rejected | None:
    """Why an extraction is not kept, or None when it is."""
    if not ex.body.strip():
        return Rejected(ex.location, RejectReason.EMPTY, "no text left after extraction", feed_url)
    if ex.language != settings.ingest.language:
        detail = f"{ex.language} (p={ex.language_probability})"
        return Rejected(ex.location, RejectReason.LANGUAGE, detail, feed_url)
    if not ex.on_topic:
        profile = profile or topic.load_profile(settings.topic.profile)
        missing = "" if ex.topic_terms else " (no topic term)"
        detail = f"score {ex.topic_score} < {profile.threshold}{missing}"
        return Rejected(ex.location, RejectReason.OFF_TOPIC, detail, feed_url)
    return None


def judge(
    doc: Document, settings: Settings, timer: StageTimer | None = None, profile: topic.Profile | None = None
) -> Outcome:
    """The outcome of one document: a candidate article or a rejection."""
    timer = timer or StageTimer()
    ex = extract(doc, settings, timer, profile)
    rejected = verdict(ex, settings, doc.feed_url, profile)
    if rejected is not None:
        return rejected
    t = time.perf_counter()
    fp = fingerprint.fingerprint(ex.body)
    t = timer.lap("fingerprint", t)
    features = stories.features(
        ex.title, ex.body, _background(profile or topic.load_profile(settings.topic.profile))
    )
    timer.lap("stories", t)
    return Candidate(ex, fp.content_hash, fp.minhash, doc.feed_url, features)


@functools.lru_cache(maxsize=4)
def _background(profile: topic.Profile) -> stories.Background:
    """The topic's own words, which tell no event from another (extractors/dedup/stories.py)."""
    return stories.Background.of(
        [token for term in profile.terms + profile.require_any for token in term.tokens]
    )


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """What a worker returns for its inputs: their outcomes (for `veille
    extract`, records describing them), and the seconds spent per stage."""

    outcomes: list[Any]
    seconds: dict[str, float]


def warm(topic_profile: Path | None = None) -> None:
    """Load now what judging the first input would: the language profiles,
    datasketch (and scipy under it) with the MinHash permutations, and the
    topic profile (importing this module imported trafilatura). For worker
    processes, as they start."""
    language.warm()
    fingerprint.warm()
    topic.load_profile(topic_profile)


def process_items(
    items: Iterable[InputRef | Document], settings: Settings, profile: topic.Profile | None = None
) -> ChunkResult:
    """Read (local files) and judge a chunk of inputs. Never raises for a bad
    input: an unexpected error becomes an `unreadable` rejection naming it.
    `profile`: the topic profile as data, else the file the settings name."""
    timer = StageTimer()
    outcomes: list[Outcome] = []
    for item in items:
        if isinstance(item, Document):
            outcomes.append(_safe_judge(item, settings, timer, profile))
            continue
        t = time.perf_counter()
        docs = files.read_input(item, settings)
        timer.lap("read", t)
        for doc in docs:
            outcomes.append(doc if isinstance(doc, Rejected) else _safe_judge(doc, settings, timer, profile))
    return ChunkResult(outcomes, dict(timer.seconds))


def _safe_judge(
    doc: Document, settings: Settings, timer: StageTimer, profile: topic.Profile | None = None
) -> Outcome:
    try:
        return judge(doc, settings, timer, profile)
    except Exception as exc:  # noqa: BLE001 - one bad input must not end the run
        detail = f"{type(exc).__name__}: {exc}"[:500]
        return Rejected(doc.location, RejectReason.UNREADABLE, f"processing failed: {detail}", doc.feed_url)


def describe(item: Document | Rejected, settings: Settings) -> dict[str, Any]:
    """What the pipeline keeps from one input, and its verdict, without
    deduplication: the record `veille extract` prints."""
    if isinstance(item, Rejected):
        return {"location": item.location, "verdict": f"rejected: {item.reason}", "detail": item.detail}
    try:
        ex = extract(item, settings)
    except Exception as exc:  # noqa: BLE001 - as in process_items: one bad input, one outcome
        detail = f"processing failed: {type(exc).__name__}: {exc}"[:500]
        return {"location": item.location, "verdict": "rejected: unreadable", "detail": detail}
    rejected = verdict(ex, settings)
    return {
        "location": ex.location,
        "url": ex.url,
        "verdict": f"rejected: {rejected.reason}" if rejected else "kept",
        "title": ex.title,
        "body": ex.body,
        "published_at": ex.published.value if ex.published else None,
        "date_precision": ex.published.precision.value if ex.published else None,
        "date_source": ex.published.source if ex.published else None,
        "source": ex.source,
        "source_domain": ex.source_domain,
        "language": ex.language,
        "language_probability": ex.language_probability,
        "topic_score": ex.topic_score,
        "topic_terms": ex.topic_terms,
        "truncated": ex.truncated,
        "authors": list(ex.authors),
        "wire_agencies": list(ex.wire_agencies),
        "wire_evidence": list(ex.wire_evidence),
        "source_raw": ex.source_raw,
        "story": None,  # the stored story it would join: `veille extract` asks the database
        "removed": [{"rule": rule, "line": line} for rule, line in ex.removed],
    }


def describe_items(items: Iterable[InputRef | Document], settings: Settings) -> ChunkResult:
    """`process_items` for `veille extract`: read and describe each input
    (in a worker process, under the same time budget)."""
    records = []
    for item in items:
        docs = files.read_input(item, settings) if isinstance(item, InputRef) else [item]
        records += [describe(doc, settings) for doc in docs]
    return ChunkResult(records, {})
