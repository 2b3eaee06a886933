"""`Store.query` reads and does nothing else: each of its two guards on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.store import QueryRefused, Store, StoreError, reading_statement


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT 1) TO '{out}/x.csv'",
        "EXPORT DATABASE '{out}/export'",
        "ATTACH '{out}/new.duckdb' AS n",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SELECT * FROM read_text('{out}/secret.txt')",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
    ],
)
def test_the_sandboxed_connection_alone_refuses_files_network_and_settings(
    tmp_path: Path, db_path: Path, sql: str
) -> None:
    """Without the statement check: what DuckDB itself refuses on that connection."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "secret.txt").write_text("secret")
    Store(db_path).ensure()
    with pytest.raises(StoreError, match="disabled (by|through) configuration|configuration has been locked"):
        with Store(db_path).connect(sandboxed=True) as con:
            con.execute(sql.format(out=out))
    assert sorted(p.name for p in out.iterdir()) == ["secret.txt"]


def test_reading_statements_pass_and_others_are_refused() -> None:
    for sql in ("SELECT 1", "WITH a AS (SELECT 1) SELECT * FROM a", "DESCRIBE runs", "EXPLAIN SELECT 1",
                "PRAGMA table_info('runs')", "CALL pragma_version()", "-- why\nSELECT 1;"):  # fmt: skip
        assert reading_statement(sql).query.strip()
    for sql, line in [
        ("COPY runs TO 'x.csv'", "COPY refused: it writes files"),
        ("COPY FROM DATABASE a TO b", "COPY refused: it copies data out of the database"),
        ("INSERT INTO runs VALUES (1)", "INSERT refused: it changes the database"),
        ("", "no SQL statement to run"),
        ("SELECT 1; SELECT 2", "2 SQL statements given"),
    ]:
        with pytest.raises(QueryRefused, match=line):
            reading_statement(sql)
    with pytest.raises(StoreError, match="syntax error") as caught:
        reading_statement("SELEC 1")
    assert not isinstance(caught.value, QueryRefused)  # bad SQL is an error, not a refusal
