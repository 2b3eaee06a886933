"""A store with what analysts' views and exports must handle: articles of
several months and one undated, titles a spreadsheet would run as formulas,
an exact duplicate from another feed, rejects, and two polled feeds (one
failing). Written the way a run writes it (Store.write_batch, record_polls),
with the seeds' texts as bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from extractors.core.records import (
    Candidate,
    DatePrecision,
    Extraction,
    FeedPoll,
    FeedStatus,
    PublicationDate,
    Rejected,
    RejectReason,
)
from extractors.dedup import fingerprint
from storage.store import Store
from tests.support.paths import SEEDS

FEED_A = "https://a.example/rss"
FEED_B = "https://b.example/rss"
HYPERLINK = '=HYPERLINK("https://evil.example/?q=1","Cliquez, ici")'
PARIS = timezone(timedelta(hours=2))

# url, title, published, source, feed: one article per seed text, in this order
ARTICLES = [
    ("https://a.example/1", HYPERLINK, datetime(2023, 6, 14, 0, 30, tzinfo=PARIS), "Le Monde", FEED_A),
    ("https://a.example/2", "+33 : le numéro", datetime(2023, 6, 20, 9, 0, tzinfo=UTC), "Le Monde", FEED_A),
    ("https://a.example/3", "@tous -- réunion", datetime(2023, 7, 2, 12, 0, tzinfo=UTC), "-AFP", FEED_A),
    ("https://a.example/4", "\tUn titre tabulé", datetime(2024, 1, 31, 23, 30, tzinfo=UTC), None, None),
    ("https://a.example/5", "Sans date", None, "Ouest-France", None),
]
# the first seed's text again, from FEED_B; the second's from a page and from a file
COPY_URL = "https://www.b.example/copie"


def candidate(
    text: str, url: str, title: str | None, published: datetime | None, source: str | None, feed: str | None
) -> Candidate:
    fp = fingerprint.fingerprint(text)
    date = PublicationDate(published, DatePrecision.DAY, "record") if published else None
    extraction = Extraction(location=url, url=url, title=title, body=text, published=date, source=source,
                            source_domain=url.split("/")[2], language="fr", topic_score=12.5)  # fmt: skip
    return Candidate(extraction, fp.content_hash, fp.minhash, feed)


def fill_store(path: Path) -> Store:
    """The store at `path`, written by two runs."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    store = Store(path)
    store.record_polls(
        [
            FeedPoll(FEED_A, "Flux A", "feed", FeedStatus.OK, 200, entries=3, new_entries=3),
            FeedPoll(FEED_B, "Flux B", "feed", FeedStatus.FETCH_FAILED, 503, "HTTP 503"),
        ]
    )
    store.begin_run("run1", None)
    report = store.write_batch(
        "run1",
        [candidate(text, *article) for text, article in zip(texts, ARTICLES, strict=True)]
        + [Rejected("https://a.example/en", RejectReason.LANGUAGE, "en (p=0.99)", FEED_A)],
    )
    assert len(report.stored) == len(ARTICLES), report
    store.finish_run("run1", "completed", {"stored": len(ARTICLES), "rejected": 1})
    store.begin_run("run2", None)
    report = store.write_batch(
        "run2",
        [
            candidate(texts[0], COPY_URL, "Copie", None, None, FEED_B),
            candidate(texts[1], "https://www.c.example/reprise", None, None, None, None),
            candidate(texts[1], "file:///corpus/reprise.txt", None, None, None, None),
            Rejected("https://a.example/off", RejectReason.OFF_TOPIC, "score 1.0", FEED_A),
            Rejected("https://a.example/vide", RejectReason.EMPTY, "-", None),
        ],
    )
    assert [d.kind.value for d in report.duplicates] == ["exact"] * 3, report
    store.finish_run("run2", "completed", {"duplicates": 3, "rejected": 2})
    return store
