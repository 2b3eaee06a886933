from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from extractors.core.records import Candidate, Extraction, Rejected, RejectReason
from extractors.core.urls import file_uri
from extractors.dedup import fingerprint
from storage.schema import LATEST
from storage.store import ARTICLE_COLUMNS, Store, StoreError, StoreLocked
from tests.support.databases import at_schema_version


def candidate(text: str, location: str, url: str | None = None) -> Candidate:
    fp = fingerprint.fingerprint(text)
    extraction = Extraction(location=location, url=url or location, title=None, body=text,
                            published=None, source=None, source_domain=None, language="fr",
                            topic_score=10.0)  # fmt: skip
    return Candidate(extraction, fp.content_hash, fp.minhash)


def count(store: Store, table: str) -> int:
    return store.query(f"SELECT count(*) FROM {table}")[1][0][0]


@pytest.fixture
def texts(seeds: list[Path]) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in seeds]


def test_new_database_is_at_latest_schema(db_path: Path) -> None:
    store = Store(db_path)
    store.begin_run("r1", None)
    assert store.schema_version() == LATEST
    assert {"articles", "rejects", "duplicates", "runs"} <= {
        r[0] for r in store.query("SELECT table_name FROM information_schema.tables")[1]
    }


def test_older_database_is_migrated_and_keeps_its_rows(db_path: Path, texts) -> None:
    """A file written at schema version 1 (files only: no location keys yet), with
    rows in every table migration 2 back-fills, opens at the latest version and
    its inputs still count as settled."""
    article, duplicate, reject = (file_uri(f"/corpus/{name}.txt") for name in ("a", "copy", "c"))
    con = at_schema_version(db_path, 1)
    con.execute(
        "INSERT INTO articles (article_id, url, url_key, location, body, language, ingested_at,"
        " content_hash, topic_score, word_count, run_id)"
        " VALUES ('a1', ?, ?, ?, ?, 'fr', now(), ?, 10.0, 3, 'r0')",
        [article, article, article, texts[0], fingerprint.fingerprint(texts[0]).content_hash],
    )
    con.execute(
        "INSERT INTO duplicates VALUES (?, ?, 'a1', 'exact', 1.0, now(), 'r0')", [duplicate, duplicate]
    )
    con.execute("INSERT INTO rejects VALUES (?, 'language', 'en (p=0.99)', now(), 1, 'r0')", [reject])
    con.execute("CREATE TABLE notes (x INTEGER)")  # a table of the user's own
    con.execute("INSERT INTO notes VALUES (42)")
    con.close()
    store = Store(db_path)
    store.begin_run("r1", None)
    assert store.schema_version() == LATEST
    assert store.query("SELECT x FROM notes")[1] == [(42,)]
    for table, location in (("articles", article), ("duplicates", duplicate), ("rejects", reject)):
        rows = store.query(f"SELECT location, location_key, feed_url FROM {table}")[1]
        assert rows == [(location, location, None)], table
    assert store.query("SELECT count(*), count(*) FILTER (WHERE NOT failing) FROM feeds")[1] == [(0, 0)]
    assert store.settled([article, duplicate, reject]) == {article, duplicate, reject}
    # the migrated article is still found by its text
    report = store.write_batch("r1", [candidate(texts[0], file_uri("/corpus/again.txt"))])
    assert not report.stored and [d.duplicate_of for d in report.duplicates] == ["a1"]


def test_newer_database_is_refused(db_path: Path) -> None:
    con = duckdb.connect(str(db_path))
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    con.execute("INSERT INTO schema_version VALUES (?)", [LATEST + 1])
    con.close()
    with pytest.raises(StoreError, match="newer than this release"):
        Store(db_path).begin_run("r1", None)


def test_batch_records_each_outcome_once_and_rerun_adds_nothing(db_path, texts) -> None:
    store = Store(db_path)
    outcomes = [
        candidate(texts[0], "file:///a.txt"),
        candidate(texts[1], "file:///b.txt"),
        candidate(texts[0], "file:///copy-of-a.txt"),
        Rejected("file:///c.txt", RejectReason.LANGUAGE, "en (p=0.99)"),
    ]
    report = store.write_batch("r1", outcomes)
    assert [a.location for a in report.stored] == ["file:///a.txt", "file:///b.txt"]
    assert [(d.location, d.kind.value) for d in report.duplicates] == [("file:///copy-of-a.txt", "exact")]
    assert report.duplicates[0].duplicate_of == report.stored[0].article_id
    again = store.write_batch("r2", outcomes)
    assert (again.stored, again.duplicates, again.rejected) == ([], [], [])
    assert len(again.skipped) == 4
    assert (count(store, "articles"), count(store, "duplicates"), count(store, "rejects")) == (2, 1, 1)


def test_near_duplicates_across_batches_but_not_articles_sharing_quotes(db_path, texts) -> None:
    store = Store(db_path)
    store.write_batch("r1", [candidate(t, f"file:///{i}.txt") for i, t in enumerate(texts)])
    assert count(store, "articles") == 5  # 000 and 002 share quotes and both stay
    lines = texts[0].split("\n")
    edited = "\n".join(lines[:4] + lines[5:]).replace("Poutine", "Vladimir Poutine", 2)
    report = store.write_batch("r2", [candidate(edited, "file:///edited.txt")])
    assert not report.stored
    (dup,) = report.duplicates
    assert dup.kind.value == "near" and 0.6 <= dup.similarity < 1.0
    stored_0 = store.query("SELECT article_id FROM articles WHERE location = 'file:///0.txt'")[1]
    assert dup.duplicate_of == stored_0[0][0]


def test_url_duplicate_for_variant_of_a_stored_url(db_path, texts) -> None:
    store = Store(db_path)
    store.write_batch("r1", [candidate(texts[0], "a", "https://www.example.fr/article/1")])
    report = store.write_batch("r2", [candidate(texts[1], "b", "http://example.fr/article/1/")])
    assert [d.kind.value for d in report.duplicates] == ["url"]


def test_retryable_reject_is_retried_and_replaced_by_the_article(db_path, texts) -> None:
    store = Store(db_path)
    loc = file_uri("/tmp/flaky.txt")
    store.write_batch("r1", [Rejected(loc, RejectReason.UNREADABLE, "Permission denied")])
    assert store.settled([loc]) == set()  # unreadable may be readable next time
    store.write_batch("r2", [Rejected(loc, RejectReason.UNREADABLE, "Permission denied")])
    assert store.query("SELECT attempts FROM rejects")[1] == [(2,)]
    store.write_batch("r3", [candidate(texts[2], loc)])
    assert count(store, "rejects") == 0 and count(store, "articles") == 1
    assert store.settled([loc]) == {loc}


def test_failed_batch_leaves_nothing(db_path, texts, monkeypatch) -> None:
    store = Store(db_path)
    store.begin_run("r0", None)

    def boom(*args, **kwargs):
        raise duckdb.IOException("disk full (simulated)")

    monkeypatch.setattr(Store, "_insert_duplicates", staticmethod(boom))
    with pytest.raises(StoreError, match="disk full"):
        store.write_batch("r1", [candidate(texts[0], "a"), candidate(texts[0], "b")])
    assert count(store, "articles") == 0
    assert count(store, "minhash_bands") == 0


def test_lock_held_by_another_process_times_out_naming_it(db_path: Path) -> None:
    Store(db_path).begin_run("r0", None)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(db_path)!r})
            print("locked", flush=True)
            time.sleep(30)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(StoreLocked, match=rf"locked by .*{holder.pid}"):
            Store(db_path, lock_timeout=1.0).begin_run("r1", None)
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()
    Store(db_path, lock_timeout=5).begin_run("r1", None)  # free again once released


def test_query_is_read_only_and_missing_db_is_a_clear_error(tmp_path, db_path) -> None:
    with pytest.raises(StoreError, match="no database"):
        Store(tmp_path / "absent.duckdb").query("SELECT 1")
    store = Store(db_path)
    store.begin_run("r1", None)
    with pytest.raises(StoreError):
        store.query("DELETE FROM runs")
    assert count(store, "runs") == 1


def test_sql_metacharacters_are_stored_verbatim(db_path) -> None:
    text = "Robert'); DROP TABLE articles;-- « nucléaire » " * 5
    store = Store(db_path)
    store.write_batch("r1", [candidate(text, "file:///x'; DROP TABLE runs;--.txt")])
    assert store.query("SELECT body FROM articles")[1] == [(text,)]


def test_a_signal_during_a_write_takes_effect_after_it(tmp_path: Path) -> None:
    """SIGINT (as SIGTERM) sent while a writable connection is open does not
    interrupt the statement: the write completes, then the signal acts."""
    import os
    import signal

    store = Store(tmp_path / "s.duckdb")
    store.ensure()
    with pytest.raises(KeyboardInterrupt):
        with store.connect() as con:
            con.execute("CREATE TABLE t AS SELECT range AS n FROM range(10)")
            os.kill(os.getpid(), signal.SIGINT)
            con.execute("INSERT INTO t SELECT range FROM range(10, 20)")  # still runs
    assert store.query("SELECT count(*) FROM t")[1] == [(20,)]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_articles_table_and_the_column_map_agree(db_path) -> None:
    """The insert is built from ARTICLE_COLUMNS: a column added by a migration
    but not to the map (or the reverse) fails here, not in a run."""
    store = Store(db_path)
    store.ensure()
    _, rows = store.query("SELECT column_name, data_type FROM information_schema.columns "
                          "WHERE table_name = 'articles' ORDER BY ordinal_position")  # fmt: skip
    spelled = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}
    assert dict(rows) == {name: spelled.get(sql, sql) for name, (sql, _) in ARTICLE_COLUMNS.items()}
