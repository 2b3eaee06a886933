"""The analysts' views (storage/schema.py, migration 4): what each answers on a
store written the way runs write it, on a database migrated from an older
version, and in a file a DuckDB 1.x client opens."""

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

VIEWS = ["articles_with_duplicates", "daily_volume", "feed_health", "rejects_daily"]


@pytest.fixture
def store(db_path: Path) -> Store:
    return fill_store(db_path)


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
    filled = fill_store(tmp_path / "filled.duckdb")
    old_format = tmp_path / "v1.duckdb"
    con = duckdb.connect()
    con.execute(f"ATTACH '{filled.path}' AS filled (READ_ONLY)")
    con.execute(f"ATTACH '{old_format}' AS old (STORAGE_VERSION 'v1.2.0')")
    con.execute("USE old")
    for migration in MIGRATIONS:
        con.execute(migration)
    for table in ("articles", "duplicates", "rejects", "feeds"):
        con.execute(f"INSERT INTO old.{table} SELECT * FROM filled.{table}")
    con.close()
    sql = "SELECT version(); " + " ".join(f"SELECT count(*) FROM {view};" for view in VIEWS)
    result = subprocess.run([cli, "-readonly", "-csv", "-noheader", old_format, "-c", sql],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    version, *counts = result.stdout.split()
    assert version.startswith("v1.")
    assert counts == ["5", "5", "2", "3"]
