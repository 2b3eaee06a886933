"""Exports (storage/export.py) read back with the readers analysts use, and
compared with the table they came from, value by value."""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from storage import export as exporting
from storage.export import ExportError, ExportFormat, ExportTable, export_table
from storage.store import Store, StoreError
from tests.support.analyst_data import HYPERLINK, fill_store


@pytest.fixture
def store(db_path: Path) -> Store:
    return fill_store(db_path)


def table_rows(store: Store, table: str, order: str = "1") -> tuple[list[str], list[tuple]]:
    with store.connect(read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        cursor = con.execute(f"SELECT * FROM {table} ORDER BY {order}")
        return [d[0] for d in cursor.description], cursor.fetchall()


def read_parquet(path: Path, order: str = "1") -> tuple[list[str], list[tuple]]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    cursor = con.execute(
        f"SELECT * FROM read_parquet('{path}/*/*.parquet', hive_partitioning = true) ORDER BY {order}"
    )
    return [d[0] for d in cursor.description], cursor.fetchall()


def spreadsheet_text(value: Any) -> str:
    """A value as the CSV shows it: text with a formula's first character gets a `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):  # DuckDB writes SQL's spelling (articles.truncated)
        return str(value).lower()
    if isinstance(value, str):
        return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
    return str(value)


def same_cells(cells: list[str], row: tuple) -> bool:
    """A CSV row shows these values (times compared as times: DuckDB writes
    `.62507`, Python `.625070`)."""
    if len(cells) != len(row):
        return False
    return all(
        datetime.fromisoformat(cell) == v if isinstance(v, datetime) else cell == spreadsheet_text(v)
        for cell, v in zip(cells, row, strict=True)
    )


def test_parquet_by_month_reads_back_as_the_table(store: Store, tmp_path: Path) -> None:
    done = export_table(store, ExportTable.articles, ExportFormat.parquet, tmp_path / "out")
    assert (done.path, done.rows, done.files) == (tmp_path / "out" / "articles", 5, 4)
    months = sorted(p.name for p in done.path.iterdir())
    assert months == ["month=2023-06", "month=2023-07", "month=2024-01", "month=undated"]
    assert all(len(list((done.path / m).glob("*.parquet"))) == 1 for m in months)
    columns, rows = read_parquet(done.path)
    expected_columns, expected = table_rows(store, "articles")
    assert columns == [*expected_columns, "month"]
    assert [row[:-1] for row in rows] == expected  # every value, types included
    published = expected_columns.index("published_date")
    assert {row[-1] for row in rows if row[published] is None} == {"undated"}
    assert all(row[-1] == f"{row[published]:%Y-%m}" for row in rows if row[published] is not None)


@pytest.mark.parametrize("reader", ["pandas", "polars"])
def test_parquet_reads_in_dataframe_libraries(store: Store, tmp_path: Path, reader: str) -> None:
    if importlib.util.find_spec(reader) is None:
        pytest.skip(f"{reader} is not installed in the venv: the Parquet files were read by DuckDB only")
    done = export_table(store, ExportTable.articles, ExportFormat.parquet, tmp_path)
    if reader == "pandas":
        import pandas

        frame = pandas.read_parquet(done.path)
        titles, months = set(frame["title"]), {str(m) for m in frame["month"]}
    else:
        import polars

        frame = polars.read_parquet(done.path / "**" / "*.parquet", hive_partitioning=True)
        titles, months = set(frame["title"]), set(frame["month"].cast(str))
    assert len(frame) == 5 and HYPERLINK in titles
    assert months == {"2023-06", "2023-07", "2024-01", "undated"}


def test_parquet_reads_in_a_duckdb_1_client(store: Store, tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("duckdb")
    if not cli.exists():
        pytest.skip("no DuckDB CLI in the venv (pip package duckdb-cli)")
    done = export_table(store, ExportTable.articles, ExportFormat.parquet, tmp_path)
    sql = (f"SELECT version(), count(*), count(DISTINCT month), sum(word_count) "
           f"FROM read_parquet('{done.path}/*/*.parquet', hive_partitioning = true)")  # fmt: skip
    result = subprocess.run([cli, "-csv", "-noheader", "-c", sql], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    version, count, months, words = result.stdout.strip().split(",")
    assert version.startswith("v1.") and (count, months) == ("5", "4")
    assert int(words) == store.query("SELECT sum(word_count) FROM articles")[1][0][0]


def test_csv_neutralises_formulas_and_keeps_every_value(store: Store, tmp_path: Path) -> None:
    done = export_table(store, ExportTable.articles, ExportFormat.csv, tmp_path)
    assert (done.path, done.rows, done.files) == (tmp_path / "articles.csv", 5, 1)
    with done.path.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    columns, expected = table_rows(store, "articles", "published_date NULLS LAST")
    assert header == columns
    assert len(rows) == len(expected) and all(map(same_cells, rows, expected))
    titles = [row[header.index("title")] for row in rows]
    assert titles == [
        "'" + HYPERLINK,  # =HYPERLINK("https://evil.example/?q=1","Cliquez, ici") shown as text
        "'+33 : le numéro",
        "'@tous -- réunion",
        "'\tUn titre tabulé",
        "Sans date",
    ]
    sources = [row[header.index("source")] for row in rows]
    assert sources == ["Le Monde", "Le Monde", "'-AFP", "", "Ouest-France"]
    assert {row[header.index("word_count")] for row in rows} == {str(r[columns.index("word_count")])
                                                                 for r in expected}  # fmt: skip


def test_jsonl_is_one_object_per_row_with_the_table_values(store: Store, tmp_path: Path) -> None:
    done = export_table(store, ExportTable.articles, ExportFormat.jsonl, tmp_path)
    lines = done.path.read_text(encoding="utf-8").splitlines()
    assert (done.path.name, done.rows, len(lines)) == ("articles.jsonl", 5, 5)
    records = [json.loads(line) for line in lines]
    columns, expected = table_rows(store, "articles", "published_date NULLS LAST")
    for record, row in zip(records, expected, strict=True):
        assert list(record) == columns
        for name, value in zip(columns, row, strict=True):
            got = record[name]
            if isinstance(value, datetime):
                got = datetime.fromisoformat(got)
            elif isinstance(value, date):
                got = date.fromisoformat(got)
            assert got == value, name
    assert records[0]["title"] == HYPERLINK  # JSON keeps the text as it is


def test_since_and_until_filter_on_the_publication_day(store: Store, tmp_path: Path) -> None:
    # published 2023-06-14 00:30 in Paris (2023-06-13 in UTC): its day as written counts
    done = export_table(store, ExportTable.articles, ExportFormat.parquet, tmp_path,
                        since=date(2023, 6, 14), until=date(2023, 7, 2))  # fmt: skip
    assert sorted(p.name for p in done.path.iterdir()) == ["month=2023-06", "month=2023-07"]
    columns, rows = read_parquet(done.path)
    published = [row[columns.index("published_date")] for row in rows]
    assert sorted(published) == [date(2023, 6, 14), date(2023, 6, 20), date(2023, 7, 2)]
    later = export_table(store, ExportTable.articles, ExportFormat.jsonl, tmp_path, since=date(2023, 6, 15))
    days = [json.loads(line)["published_date"] for line in later.path.read_text().splitlines()]
    assert days == ["2023-06-20", "2023-07-02", "2024-01-31"]  # not the undated article


def test_other_tables_filter_on_the_time_they_were_recorded(store: Store, tmp_path: Path) -> None:
    today = store.query("SELECT CAST(max(rejected_at) AS DATE) FROM rejects")[1][0][0]
    kept = export_table(store, ExportTable.rejects, ExportFormat.csv, tmp_path, since=today, until=today)
    gone = export_table(store, ExportTable.duplicates, ExportFormat.csv, tmp_path, until=date(2023, 1, 1))
    assert (kept.rows, gone.rows) == (3, 0)
    assert gone.path.read_text().splitlines()[0].startswith("location,url,duplicate_of")  # the header alone
    runs = export_table(store, ExportTable.runs, ExportFormat.parquet, tmp_path)
    assert runs.rows == 2 and [p.name for p in runs.path.iterdir()] == [f"month={today:%Y-%m}"]


def test_a_view_exports_like_a_table(store: Store, tmp_path: Path) -> None:
    done = export_table(store, ExportTable.articles_with_duplicates, ExportFormat.parquet, tmp_path)
    columns, rows = read_parquet(done.path, "article_id")
    assert [row[:-1] for row in rows] == table_rows(store, "articles_with_duplicates", "article_id")[1]
    copies = {row[columns.index("title")]: row[columns.index("duplicate_sources")] for row in rows}
    assert copies[HYPERLINK] == ["Flux B"] and copies["+33 : le numéro"] == ["c.example"]
    daily = export_table(store, ExportTable.daily_volume, ExportFormat.csv, tmp_path)
    with daily.path.open(newline="", encoding="utf-8") as handle:
        header, *lines = list(csv.reader(handle))
    columns, expected = table_rows(store, "daily_volume", "day NULLS LAST")
    assert header == columns and len(lines) == len(expected) and all(map(same_cells, lines, expected))
    assert lines[-1][:3] == ["", "Ouest-France", "1"]  # undated


def test_every_view_and_analyst_table_can_be_exported(store: Store, tmp_path: Path) -> None:
    """A view added by a migration is exportable too (README: "or a view")."""
    with store.connect(read_only=True) as con:
        views = {
            r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        }
    assert views and views <= {t.value for t in ExportTable}
    for table in ExportTable:
        done = export_table(store, table, ExportFormat.jsonl, tmp_path)
        assert done.rows == len(table_rows(store, table.value)[1]), table


def test_export_replaces_the_previous_one_whole(store: Store, tmp_path: Path) -> None:
    export_table(store, ExportTable.articles, ExportFormat.parquet, tmp_path)
    again = export_table(store, ExportTable.articles, ExportFormat.parquet, tmp_path, since=date(2024, 1, 1))
    assert [p.name for p in again.path.iterdir()] == ["month=2024-01"]  # no month left from before
    export_table(store, ExportTable.articles, ExportFormat.csv, tmp_path)
    export_table(store, ExportTable.articles, ExportFormat.csv, tmp_path, since=date(2024, 1, 1))
    with (tmp_path / "articles.csv").open(newline="", encoding="utf-8") as handle:
        assert len(list(csv.reader(handle))) == 2  # the header and 2024-01's article
    assert sorted(p.name for p in tmp_path.iterdir()) == ["articles", "articles.csv", "veille.duckdb"]


def test_a_failed_export_leaves_the_previous_one_and_no_partial_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    for format in ExportFormat:
        export_table(store, ExportTable.articles, format, out)
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    monkeypatch.setattr(exporting, "_options", lambda format: "FORMAT nonsense")
    for format in ExportFormat:
        with pytest.raises(StoreError):
            export_table(store, ExportTable.articles, format, out)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    with (out / "articles.csv").open(newline="", encoding="utf-8") as handle:
        assert len(list(csv.reader(handle))) == 6


def test_an_export_never_replaces_what_it_did_not_write(store: Store, tmp_path: Path) -> None:
    mine = tmp_path / "articles"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="is not a previous export"):
        export_table(store, ExportTable.articles, ExportFormat.parquet, tmp_path)
    (tmp_path / "rejects.csv").mkdir()
    with pytest.raises(ExportError, match="is not a previous export"):
        export_table(store, ExportTable.rejects, ExportFormat.csv, tmp_path)
    assert (mine / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["articles", "rejects.csv", "veille.duckdb"]


def test_a_long_export_reports_its_progress(tmp_path: Path) -> None:
    """DuckDB's progress of the running COPY, read from another thread; the
    CLI draws it as a bar. (`export_table` waits half a second first.)"""
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT i, repeat('x', 100) AS s FROM range(1000000) r(i)")
    seen: list[float] = []
    with exporting._progress(con, seen.append, delay=0.0, every=0.005):
        con.execute(f"COPY t TO '{tmp_path / 't.csv'}' (FORMAT csv)")
    assert seen and all(0.0 <= f <= 1.0 for f in seen)
