"""The analysts' views (storage/schema.py, migrations 4 and 9): what each
answers on a store written the way runs write it, on a database migrated from
an older version, and in a file a DuckDB 1.x client opens."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from storage.schema import LATEST, MIGRATIONS
from storage.store import Store
from tests.support.analyst_data import FEED_A, FEED_B, HYPERLINK, fill_store
from tests.support.databases import at_schema_version

VIEWS = [
    "agency_daily",
    "articles_with_duplicates",
    "author_articles",
    "daily_volume",
    "feed_health",
    "rejects_daily",
    "story_outlets",
    "wire_share",
]

# Per article of fill_store (in its order): authors and wire credits (NULL: stored
# before they were looked for), and the story it belongs to.
SIGNED = [
    (["Jean Dupont"], ["AFP"], "s1"),
    (["Jean Dupont", "Marie Curie"], [], "s1"),
    (["Marie Curie"], ["AFP", "Reuters"], "s1"),
    (None, None, "s2"),
    ([], [], None),
]
STORIES = [  # story_id, title, first article (by index), article_count, source_count, first_source
    ("s1", "Trois articles", 0, 3, 2, "Le Monde"),
    ("s2", "Un seul", 3, 1, 0, None),
    ("s3", "Aucun article stocké", None, 0, 0, None),
]


def with_stories_and_credits(store: Store) -> Store:
    """Authors, wire credits and stories set by SQL over fill_store's articles,
    whatever the run's own extraction and story assignment found."""
    with store.connect() as con:
        mine = "SELECT article_id FROM articles WHERE url LIKE 'https://a.example/%' ORDER BY url"
        ids = [r[0] for r in con.execute(mine).fetchall()]
        con.execute("UPDATE articles SET story_id = NULL")
        con.execute("DELETE FROM stories")
        for article_id, (authors, agencies, story) in zip(ids, SIGNED, strict=True):
            con.execute(
                "UPDATE articles SET authors = ?, wire_agencies = ?, story_id = ? WHERE article_id = ?",
                [authors, agencies, story, article_id],
            )
        for story_id, title, first, articles, sources, first_source in STORIES:
            con.execute(
                "INSERT INTO stories (story_id, title, first_article_id, article_count, source_count, "
                "first_source, first_published_at, last_published_at, created_at, updated_at) "
                "SELECT ?, ?, ?, ?, ?, ?, min(published_at), max(published_at), now(), now() "
                "FROM articles WHERE story_id = ?",
                [story_id, title, None if first is None else ids[first], articles, sources, first_source,
                 story_id],
            )  # fmt: skip
    return store


@pytest.fixture
def store(db_path: Path) -> Store:
    return with_stories_and_credits(fill_store(db_path))


def rows(store: Store, sql: str) -> list[dict]:
    columns, values = store.query(sql)
    return [dict(zip(columns, row, strict=True)) for row in values]


def test_views_exist_with_a_comment(store: Store) -> None:
    comments = dict(store.query("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal")[1])
    assert sorted(comments) == VIEWS
    assert all(comment and len(comment) > 40 for comment in comments.values())


def test_daily_volume_counts_articles_per_publication_day_and_source(store: Store) -> None:
    assert store.query("SELECT day, source, articles FROM daily_volume ORDER BY day NULLS LAST")[1] == [
        (date(2023, 6, 14), "Le Monde", 1),  # published 00:30 in Paris: its day as written
        (date(2023, 6, 20), "Le Monde", 1),
        (date(2023, 7, 2), "-AFP", 1),
        (date(2024, 1, 31), None, 1),
        (None, "Ouest-France", 1),
    ]
    words = store.query("SELECT sum(words) = (SELECT sum(word_count) FROM articles) FROM daily_volume")
    assert words[1] == [(True,)]


def test_articles_with_duplicates_counts_copies_and_names_their_sources(store: Store) -> None:
    found = {
        r["title"]: (r["duplicate_count"], r["duplicate_sources"])
        for r in rows(store, "SELECT * FROM articles_with_duplicates")
    }
    assert found == {
        HYPERLINK: (1, ["Flux B"]),  # the feed's name
        "+33 : le numéro": (2, ["c.example"]),  # a page: its host; a local file: no source
        "@tous -- réunion": (0, []),
        "\tUn titre tabulé": (0, []),
        "Sans date": (0, []),
    }
    undisputed = "SELECT count(*) FROM articles_with_duplicates WHERE last_duplicate_at IS NULL"
    assert store.query(undisputed)[1] == [(3,)]


def test_rejects_daily_counts_rejects_per_day_and_reason(store: Store) -> None:
    today = store.query("SELECT CAST(max(rejected_at) AS DATE) FROM rejects")[1][0][0]
    assert store.query("SELECT day, reason, rejects, attempts FROM rejects_daily ORDER BY reason")[1] == [
        (today, "empty", 1, 1),
        (today, "language", 1, 1),
        (today, "off_topic", 1, 1),
    ]


def test_feed_health_shows_each_feeds_polls_and_articles(store: Store) -> None:
    health = {r["url"]: r for r in rows(store, "SELECT * FROM feed_health")}
    assert {url: (h["last_status"], h["consecutive_failures"], h["articles_day"], h["articles_week"],
                  h["articles_total"]) for url, h in health.items()} == {
        FEED_A: ("ok", 0, 3, 3, 3),
        FEED_B: ("fetch_failed", 1, 0, 0, 0),
    }  # fmt: skip


def test_story_outlets_lists_each_storys_outlets_first_publisher_and_wire_share(store: Store) -> None:
    found = {
        r["story_id"]: (r["title"], r["first_source"], r["first_url"], r["article_count"], r["sources"],
                        r["agencies"], r["wire_articles"], r["wire_share"])
        for r in rows(store, "SELECT * FROM story_outlets")
    }  # fmt: skip
    assert found == {
        # two of its three articles credit a wire; its outlets, sorted, whatever the story row says
        "s1": ("Trois articles", "Le Monde", "https://a.example/1", 3, ["-AFP", "Le Monde"],
               ["AFP", "Reuters"], 2, pytest.approx(2 / 3)),
        # its one article was stored before credits were looked for: no share, not 0
        "s2": ("Un seul", None, "https://a.example/4", 1, [], [], 0, None),
        "s3": ("Aucun article stocké", None, None, 0, [], [], 0, None),
    }  # fmt: skip
    published = store.query("SELECT first_published_at < last_published_at FROM story_outlets "
                            "WHERE story_id = 's1'")  # fmt: skip
    assert published[1] == [(True,)]


def test_author_articles_counts_each_persons_articles_and_sources(store: Store) -> None:
    found = {r["author"]: (r["articles"], r["source_count"], r["sources"])
             for r in rows(store, "SELECT * FROM author_articles")}  # fmt: skip
    assert found == {"Jean Dupont": (2, 1, ["Le Monde"]), "Marie Curie": (2, 2, ["-AFP", "Le Monde"])}
    spans = store.query("SELECT CAST(first_published_at AS DATE), CAST(last_published_at AS DATE) "
                        "FROM author_articles WHERE author = 'Marie Curie'")  # fmt: skip
    assert spans[1] == [(date(2023, 6, 20), date(2023, 7, 2))]


def test_wire_share_counts_credited_articles_among_those_looked_at(store: Store) -> None:
    found = store.query(
        "SELECT day, source, articles, articles_checked, wire_articles, wire_share FROM wire_share "
        "ORDER BY day NULLS LAST"
    )[1]
    assert found == [
        (date(2023, 6, 14), "Le Monde", 1, 1, 1, 1.0),
        (date(2023, 6, 20), "Le Monde", 1, 1, 0, 0.0),
        (date(2023, 7, 2), "-AFP", 1, 1, 1, 1.0),
        (date(2024, 1, 31), None, 1, 0, 0, None),  # stored before credits were looked for
        (None, "Ouest-France", 1, 1, 0, 0.0),
    ]
    # a source's share: the sums divided, not the shares averaged
    monde = "SELECT sum(wire_articles) / sum(articles_checked) FROM wire_share WHERE source = 'Le Monde'"
    assert store.query(monde)[1] == [(0.5,)]


def test_agency_daily_counts_articles_per_agency_and_day(store: Store) -> None:
    found = store.query("SELECT day, agency, articles, source_count FROM agency_daily ORDER BY day, agency")
    assert found[1] == [
        (date(2023, 6, 14), "AFP", 1, 1),
        (date(2023, 7, 2), "AFP", 1, 1),
        (date(2023, 7, 2), "Reuters", 1, 1),
    ]


def test_an_older_database_gets_the_views(db_path: Path) -> None:
    at_schema_version(db_path, 3).close()
    store = Store(db_path)
    store.ensure()
    assert store.schema_version() == LATEST
    for view in VIEWS:
        assert store.query(f"SELECT count(*) FROM {view}")[1] == [(0,)]


def test_a_duckdb_1_client_reads_the_views(tmp_path: Path) -> None:
    """The views of a file in the storage format 1.x clients read, through the
    DuckDB CLI of the package index (a dev dependency, 1.x)."""
    cli = Path(sys.executable).with_name("duckdb")
    if not cli.exists():
        pytest.skip("no DuckDB CLI in the venv (pip package duckdb-cli)")
    filled = with_stories_and_credits(fill_store(tmp_path / "filled.duckdb"))
    old_format = tmp_path / "v1.duckdb"
    con = duckdb.connect()
    con.execute(f"ATTACH '{filled.path}' AS filled (READ_ONLY)")
    con.execute(f"ATTACH '{old_format}' AS old (STORAGE_VERSION 'v1.2.0')")
    con.execute("USE old")
    for migration in MIGRATIONS:
        con.execute(migration)
    for table in ("articles", "duplicates", "rejects", "feeds", "stories"):
        con.execute(f"INSERT INTO old.{table} SELECT * FROM filled.{table}")
    con.close()
    sql = "SELECT version(); " + " ".join(f"SELECT count(*) FROM {view};" for view in VIEWS)
    result = subprocess.run([cli, "-readonly", "-csv", "-noheader", old_format, "-c", sql],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    version, *counts = result.stdout.split()
    assert version.startswith("v1.")
    assert dict(zip(VIEWS, counts, strict=True)) == {
        "agency_daily": "3",
        "articles_with_duplicates": "5",
        "author_articles": "2",
        "daily_volume": "5",
        "feed_health": "2",
        "rejects_daily": "3",
        "story_outlets": "3",
        "wire_share": "5",
    }
