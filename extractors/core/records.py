"""Typed records passed between the stages of the pipeline.

One name per concept: an input is a `Document` once read, a `Candidate` once
extracted and filtered, and every input ends as exactly one `Outcome`: an
article stored, a duplicate of a stored article, or a rejection with a reason
from the closed set `RejectReason`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class RejectReason(enum.StrEnum):
    """Closed set of reasons an input is not stored. Stored as text in `rejects.reason`."""

    LANGUAGE = "language"  # not French (detail: detected language or "unknown")
    OFF_TOPIC = "off_topic"  # topic score under the profile's threshold
    EMPTY = "empty"  # nothing left after extraction and cleaning
    UNREADABLE = "unreadable"  # cannot be read or decoded (binary, I/O error, bad JSON)
    TOO_LARGE = "too_large"  # over the size cap, not read
    UNSUPPORTED = "unsupported"  # a file type or URL scheme Veille does not ingest
    HTTP_ERROR = "http_error"  # the server answered 4xx (not found, gone, forbidden)
    BLOCKED = "blocked"  # refused by policy: robots.txt, private address, redirect to file://
    FETCH_FAILED = "fetch_failed"  # transient: timeout, connection error, 5xx, truncated body
    TIMEOUT = "timeout"  # judging it took longer than [ingest] max_seconds_per_input

    @property
    def retryable(self) -> bool:
        """Whether a later run should try this input again (the cause may go away).
        A fetch that failed with a transient error (extractors.core.errors) is
        recorded as FETCH_FAILED, so its page is tried again."""
        return self in (RejectReason.UNREADABLE, RejectReason.FETCH_FAILED)


class DuplicateKind(enum.StrEnum):
    URL = "url"  # same canonical URL as a stored article
    EXACT = "exact"  # same normalised body
    NEAR = "near"  # MinHash Jaccard estimate over the threshold


class DatePrecision(enum.StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True, slots=True)
class PublicationDate:
    value: datetime  # timezone-aware
    precision: DatePrecision
    source: str  # where it came from: "text", "metadata", "record", "feed", ...


@dataclass(frozen=True, slots=True)
class InputRef:
    """Where an input lives, before it is read. `location` is what rejects keep."""

    location: str  # file:// URI (with #N for the N-th record of a JSON file) or URL
    path: str | None = None  # local path, for files


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """A page that a polled source (a feed, a sitemap...) points to, as the
    source describes it: one type from the poll to the page's `Document`."""

    url: str  # canonical (extractors.core.urls.canonical)
    guid: str | None = None
    title: str | None = None  # becomes the document's `title_hint`
    published: str | None = None  # the source's own date string, or ISO 8601 (UTC) when only parsed
    summary: str | None = None
    feed_url: str | None = None  # the polled source it came from (None: named by the user)
    feed_title: str | None = None  # that source's title, a fallback publisher name


@dataclass(frozen=True, slots=True)
class Document:
    """An input once read and decoded, before extraction."""

    location: str
    kind: str  # "text" or "html"
    content: str
    url: str | None = None  # canonical URL if known (records, web pages)
    title: str | None = None
    published: str | None = None  # raw date string from a record or a feed
    source: str | None = None  # publisher name from a record
    encoding: str | None = None
    published_origin: str = "record"  # provenance of `published`: "record" or "feed"
    feed_title: str | None = None  # fallback source name for web pages
    title_hint: str | None = None  # fallback title (a feed entry's), after the page's own
    feed_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Extraction:
    """What the pipeline keeps from an input, before the language and topic
    verdicts: the fields `veille extract` prints, and every article field a
    stored article has (declared here once: see `Candidate`)."""

    location: str
    url: str
    title: str | None
    body: str
    published: PublicationDate | None
    source: str | None
    source_domain: str | None
    language: str
    topic_score: float
    language_probability: float = 1.0
    topic_terms: dict[str, int] = field(default_factory=dict)
    on_topic: bool = True
    truncated: bool = False  # the page showed a paywall or a "read the rest" line
    authors: tuple[str, ...] = ()  # people who signed it (page metadata, byline lines)
    wire_agencies: tuple[str, ...] = ()  # news agencies it credits, by canonical name ("AFP")
    wire_evidence: tuple[str, ...] = ()  # for each of wire_agencies, the credit naming it ("PARIS (AFP) -")
    source_raw: str | None = None  # `source` before its normalisation ("Le Monde.fr", "lemonde")
    removed: tuple[tuple[str, str], ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A French, on-topic, cleaned article, not yet checked for duplicates:
    its extraction, the fingerprint of its body and the features that place
    it in a story (extractors.dedup.stories). The article fields are the
    extraction's, read through the candidate (`candidate.title`)."""

    extraction: Extraction
    content_hash: str
    minhash: tuple[int, ...] = field(repr=False)
    feed_url: str | None = None
    story_features: tuple[tuple[str, float], ...] = field(default=(), repr=False)


def _read_through(name: str) -> property:
    return property(lambda self: getattr(self.extraction, name), doc=f"The extraction's `{name}`.")


for _name in Extraction.__dataclass_fields__:
    setattr(Candidate, _name, _read_through(_name))


@dataclass(frozen=True, slots=True)
class Rejected:
    location: str
    reason: RejectReason
    detail: str
    feed_url: str | None = None


@dataclass(frozen=True, slots=True)
class Duplicate:
    location: str
    url: str
    duplicate_of: str  # article_id
    kind: DuplicateKind
    similarity: float
    feed_url: str | None = None


Outcome = Candidate | Rejected


class FeedStatus(enum.StrEnum):
    """Outcome of polling one feed or sitemap, kept in `feeds.last_status`."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"  # 304: nothing fetched but the headers
    UNCHANGED = "unchanged"  # 200 with the same bytes as last time: not parsed
    HTTP_ERROR = "http_error"
    NOT_A_FEED = "not_a_feed"
    BLOCKED = "blocked"
    FETCH_FAILED = "fetch_failed"
    TOO_LARGE = "too_large"

    @property
    def failed(self) -> bool:
        return self not in (FeedStatus.OK, FeedStatus.NOT_MODIFIED, FeedStatus.UNCHANGED)


class RunStatus(enum.StrEnum):
    """How an ingest run stands or ended: a run's summary `status` and, for
    the runs that got as far as being recorded, `runs.status` (same text)."""

    RUNNING = "running"  # recorded at its start; still running, or killed (see CRASHED)
    COMPLETED = "completed"  # every input has its outcome (rejections included)
    INTERRUPTED = "interrupted"  # Ctrl-C, SIGTERM, the database locked: the next run takes the rest
    FAILED = "failed"  # an unexpected error ended it; `runs.error` says which
    CRASHED = "crashed"  # left running by a killed process; set by the next run to start
    SKIPPED = "skipped"  # another run held the run lock past its timeout: not recorded in `runs`
    DEFERRED = "deferred"  # the database was locked at the start: not recorded in `runs`


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the last poll of a feed left for the next one (conditional GET)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    consecutive_failures: int = 0


@dataclass(frozen=True, slots=True)
class FeedPoll:
    url: str
    name: str | None
    kind: str  # "feed" or "sitemap"
    status: FeedStatus
    http_status: int | None = None
    error: str | None = None
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    entries: int = 0  # entries in the feed (before the per-poll cap)
    new_entries: int = 0  # entries not seen before
