"""Stories in a real DuckDB file: grouping across writes, the window, the
counts of `stories`, duplicates and re-runs; and the quality floor of the
labelled French set (tests/data/stories/)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from benchmarks import stories as bench
from extractors.core.records import Candidate, DatePrecision, Extraction, PublicationDate
from extractors.core.settings import StoriesSettings
from extractors.dedup import fingerprint, stories
from storage.store import Store
from tests.support.databases import at_schema_version
from tests.support.paths import REPO

ARTICLES = REPO / "tests" / "data" / "stories" / "articles.jsonl"


def records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in ARTICLES.read_text("utf-8").splitlines() if line.strip()]


def of_event(event: str | None) -> list[dict[str, Any]]:
    return [r for r in records() if r["event"] == event]


def candidate(record: dict[str, Any], shift: timedelta = timedelta(), url: str | None = None,
              source: str | None = None) -> Candidate:  # fmt: skip
    url = url or record["url"]
    when = datetime.fromisoformat(record["published"]) + shift
    extraction = Extraction(location=url, url=url, title=record["title"], body=record["text"],
                            published=PublicationDate(when, DatePrecision.DAY, "record"),
                            source=source or record["source"], source_domain=None, language="fr",
                            topic_score=20.0)  # fmt: skip
    fp = fingerprint.fingerprint(record["text"])
    return Candidate(
        extraction, fp.content_hash, fp.minhash, None, stories.features(record["title"], record["text"])
    )


def story_of(store: Store) -> dict[str, str | None]:
    return dict(store.query("SELECT url, story_id FROM articles")[1])


def story_row(store: Store, story_id: str) -> dict[str, Any]:
    cols, rows = store.query("SELECT * FROM stories WHERE story_id = ?", [story_id])
    return dict(zip(cols, rows[0], strict=True))


def count(store: Store, table: str) -> int:
    return store.query(f"SELECT count(*) FROM {table}")[1][0][0]


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store(db_path)
    s.begin_run("r1", None)
    return s


def test_one_event_in_different_words_joins_one_story_across_writes(store: Store) -> None:
    doctrine = of_event("doctrine-2024-11")
    store.write_batch("r1", [candidate(r) for r in doctrine[:2]])
    store.write_batch("r2", [candidate(r) for r in doctrine[2:]])
    ids = {story_of(store)[r["url"]] for r in doctrine}
    assert len(ids) == 1 and None not in ids
    (story_id,) = ids
    row = story_row(store, story_id)
    first = min(doctrine, key=lambda r: r["published"])
    last = max(doctrine, key=lambda r: r["published"])
    assert row["article_count"] == 4 and row["source_count"] == 4
    assert row["first_source"] == first["source"] and row["title"] == first["title"]
    assert row["first_article_id"] == story_id  # the first published also came first
    assert row["first_published_at"] == datetime.fromisoformat(first["published"])
    assert row["last_published_at"] == datetime.fromisoformat(last["published"])
    assert row["created_at"] <= row["updated_at"]


def test_unrelated_articles_start_stories_of_their_own(store: Store) -> None:
    """In a store that has seen the topic (a handful of articles is not enough
    to know its common words: README, "Stories"), articles on the topic but
    about no shared event stay apart, and apart from the events' stories."""
    events = [r for r in records() if r["event"]]
    store.write_batch("r1", [candidate(r) for r in events])
    unrelated = of_event(None)
    store.write_batch("r2", [candidate(r) for r in unrelated])
    ids = story_of(store)
    assert len({ids[r["url"]] for r in unrelated}) == len(unrelated)
    assert not {ids[r["url"]] for r in unrelated} & {ids[r["url"]] for r in events}
    sizes = store.query("SELECT article_count, source_count FROM stories WHERE story_id IN "
                        "(SELECT story_id FROM articles WHERE url IN (SELECT unnest(?)))",
                        [[r["url"] for r in unrelated]])[1]  # fmt: skip
    assert set(sizes) == {(1, 1)}


def test_a_story_takes_articles_within_its_window_only(db_path: Path, tmp_path: Path) -> None:
    first, second = of_event("exercice-strategique-2024-10")[:2]
    late = candidate(second, shift=timedelta(days=10))
    narrow = Store(db_path)
    narrow.write_batch("r1", [candidate(first)])
    narrow.write_batch("r2", [late])
    assert story_of(narrow)[first["url"]] != story_of(narrow)[second["url"]]
    wide = Store(tmp_path / "wide.duckdb")
    wide.write_batch("r1", [candidate(first)], story_settings=StoriesSettings(window_days=14))
    wide.write_batch("r2", [late], story_settings=StoriesSettings(window_days=14))
    assert story_of(wide)[first["url"]] == story_of(wide)[second["url"]]


def test_an_earlier_article_arriving_later_becomes_the_first(store: Store) -> None:
    """Counts and firsts follow the articles, not the order they came in:
    two articles of one outlet count as one source."""
    zap = sorted(of_event("zaporijjia-aiea-2024-11"), key=lambda r: r["published"])
    store.write_batch("r1", [candidate(r) for r in zap[1:]])
    store.write_batch("r2", [candidate(zap[0], source=zap[1]["source"])])
    (story_id,) = set(story_of(store).values())
    row = story_row(store, story_id)
    assert row["article_count"] == 4 and row["source_count"] == 3
    assert row["first_published_at"] == datetime.fromisoformat(zap[0]["published"])
    assert row["first_source"] == zap[1]["source"] and row["title"] == zap[0]["title"]
    first_id = store.query("SELECT article_id FROM articles WHERE url = ?", [zap[0]["url"]])[1][0][0]
    assert row["first_article_id"] == first_id != story_id  # the id stays the founder's


def test_duplicates_join_no_story(store: Store) -> None:
    oreshnik = of_event("oreshnik-dnipro-2024-11")
    store.write_batch("r1", [candidate(r) for r in oreshnik[:2]])
    before = {t: count(store, t) for t in ("stories", "story_postings", "story_terms")}
    copy = candidate(oreshnik[0], url="https://copie.example.net/dnipro.html", source="Copie")
    report = store.write_batch("r2", [copy])
    assert len(report.duplicates) == 1 and not report.stored
    assert {t: count(store, t) for t in before} == before
    (story_id,) = set(story_of(store).values())
    assert story_row(store, story_id)["article_count"] == 2


def test_a_rerun_stores_nothing_twice(store: Store) -> None:
    batch = [candidate(r) for r in records()]
    store.write_batch("r1", batch)
    tables = ("articles", "stories", "story_postings", "story_terms")
    before = {t: count(store, t) for t in tables}
    rows = store.query("SELECT * EXCLUDE (updated_at) FROM stories ORDER BY story_id")[1]
    report = store.write_batch("r2", batch)
    assert len(report.skipped) == len(batch) and not report.stored
    assert {t: count(store, t) for t in tables} == before
    assert store.query("SELECT * EXCLUDE (updated_at) FROM stories ORDER BY story_id")[1] == rows


def test_articles_stored_before_the_migration_keep_no_story(db_path: Path) -> None:
    con = at_schema_version(db_path, 6)
    con.execute(
        "INSERT INTO articles (article_id, url, url_key, location, body, language, ingested_at,"
        " content_hash, topic_score, word_count, run_id) VALUES"
        " ('a1', 'https://x.fr/a', 'x.fr/a', 'https://x.fr/a', 'texte', 'fr', now(), 'h', 10.0, 1, 'r0')"
    )
    con.close()
    store = Store(db_path)
    store.write_batch("r1", [candidate(r) for r in of_event("doctrine-2024-11")[:1]])
    ids = story_of(store)
    assert ids["https://x.fr/a"] is None and ids[of_event("doctrine-2024-11")[0]["url"]] is not None


def test_would_join_reads_without_writing(store: Store) -> None:
    from storage.stories import would_join

    minsk = of_event("minsk-traite-2024-12")
    store.write_batch("r1", [candidate(r) for r in minsk[:3]])
    before = count(store, "story_postings")
    probe, unrelated = minsk[3], of_event(None)[0]
    with store.connect(read_only=True) as con:
        at = datetime.fromisoformat(probe["published"])
        match = would_join(con, probe["title"], probe["text"], at, StoriesSettings())
        none = would_join(con, unrelated["title"], unrelated["text"], at, StoriesSettings())
        too_late = would_join(con, probe["title"], probe["text"], at + timedelta(days=30), StoriesSettings())
    assert match is not None and match.story_id == story_of(store)[minsk[0]["url"]]
    assert match.title == minsk[0]["title"] and match.article_count == 3
    assert none is None and too_late is None
    assert count(store, "story_postings") == before


def test_labelled_set_quality_floor(tmp_path: Path) -> None:
    """Pairwise precision and recall on the labelled French set, through the
    real pipeline and writer; the seeds' pair is one story, the other seeds
    three more. Measured 1.00 / 0.92 (README); the floor leaves room for
    tuning, not for grouping to break."""
    q = bench.quality(tmp_path / "quality.duckdb")
    assert q.precision >= 0.8 and q.recall >= 0.8, (q.precision, q.recall, q.groups)
    seeds = q.seed_stories
    assert seeds["000_d67aa00b0c5a3fe1.txt"] == seeds["002_97dcbfb83b55ebfe.txt"]
    assert len(set(seeds.values())) == 4
    # in one big batch, and one by one, the decision is the same kind of good
    for batch in (1, 64):
        other = bench.quality(tmp_path / f"quality-{batch}.duckdb", batch=batch)
        assert other.precision >= 0.8 and other.recall >= 0.8, (batch, other.precision, other.recall)


def test_the_seeds_alone_in_an_empty_store_make_their_four_stories(store: Store) -> None:
    """`make run` on a new machine: five articles on one topic and nothing
    stored before. The topic's own words (the profile's terms) are no
    features, or every article on the topic would look like every other one
    while the store is too small to find those words common."""
    seeds = [i.candidate for i in bench.labelled_set() if Path(i.candidate.location).parent.name == "seeds"]
    assert len(seeds) == 5
    store.write_batch("r1", seeds)
    by_seed = {
        Path(loc).name[:3]: sid for loc, sid in store.query("SELECT location, story_id FROM articles")[1]
    }
    assert by_seed["000"] == by_seed["002"]
    assert len(set(by_seed.values())) == 4, by_seed


def test_settings_bounds() -> None:
    from extractors.core.settings import SettingsError

    for bad in ({"window_days": 0}, {"window_days": 1000}, {"threshold": 0.0}, {"threshold": 1.5}):
        with pytest.raises(SettingsError, match="stories"):
            replace(StoriesSettings(), **bad)
