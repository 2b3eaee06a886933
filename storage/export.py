"""Exports: one table or view of the store, written as files other tools open.

DuckDB writes them (`COPY`), from a read-only connection, so an export never
holds the database for writing and reads the snapshot as well as the live
file. Formats:

- Parquet, one folder per month in Hive layout (`month=2023-06/data_0.parquet`,
  `month=undated/` for rows with no date): DuckDB, pandas, polars and Spark
  read the folder as one table with `month` as a column.
- CSV for spreadsheets: a text cell that starts with `=`, `+`, `-`, `@`, a
  tab or a carriage return is written with a `'` before it, so that a page
  title such as `=HYPERLINK(...)` is shown as text, never run as a formula
  (OWASP's advice on CSV injection). Other values are written as they are.
- JSON lines: one object per row.

An export replaces the previous one of the same table and format in the same
folder, whole: the files are written in a temporary folder beside it, then
renamed into place. A failed or interrupted export leaves the previous one as
it was, and no partial file. Dates (`since`, `until`, the month) are UTC days,
except a publication's, which is the date as written (`published_date`).
"""

from __future__ import annotations

import enum
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from extractors.core.errors import TerminalError
from storage.store import Store


class ExportFormat(enum.StrEnum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


class ExportTable(enum.StrEnum):
    """The tables and views (storage/schema.py: migrations 4 and 9) an export can name."""

    articles = "articles"
    duplicates = "duplicates"
    rejects = "rejects"
    runs = "runs"
    feeds = "feeds"
    daily_volume = "daily_volume"
    articles_with_duplicates = "articles_with_duplicates"
    rejects_daily = "rejects_daily"
    feed_health = "feed_health"
    stories = "stories"
    story_outlets = "story_outlets"
    author_articles = "author_articles"
    wire_share = "wire_share"
    agency_daily = "agency_daily"


# The column that dates a row: what `since` and `until` compare, and the month
# of its Parquet folder. Articles by publication, the rest by when Veille recorded them.
DATED_BY: dict[ExportTable, str] = {
    ExportTable.articles: "published_date",
    ExportTable.duplicates: "detected_at",
    ExportTable.rejects: "rejected_at",
    ExportTable.runs: "started_at",
    ExportTable.feeds: "last_polled_at",
    ExportTable.daily_volume: "day",
    ExportTable.articles_with_duplicates: "published_date",
    ExportTable.rejects_daily: "day",
    ExportTable.feed_health: "last_polled_at",
    ExportTable.stories: "first_published_at",
    ExportTable.story_outlets: "first_published_at",
    ExportTable.author_articles: "first_published_at",
    ExportTable.wire_share: "day",
    ExportTable.agency_daily: "day",
}

# The first characters that make a spreadsheet read a cell as a formula.
FORMULA_START = r"^[=+\-@\t\r]"
MONTH = "month"  # the Parquet partition column
UNDATED = "undated"


class ExportError(TerminalError):
    """The export cannot be written where it was asked to. The message says why."""


@dataclass(frozen=True, slots=True)
class Export:
    """What an export wrote: `path` is the folder (Parquet) or the file."""

    table: ExportTable
    format: ExportFormat
    path: Path
    rows: int
    files: int


def target_path(out_dir: Path, table: ExportTable, format: ExportFormat) -> Path:
    """Where an export of `table` in `format` goes: beside the other tables' and formats'."""
    return out_dir / (table.value if format is ExportFormat.parquet else f"{table.value}.{format.value}")


def export_table(
    store: Store,
    table: ExportTable,
    format: ExportFormat,
    out_dir: Path,
    since: date | None = None,
    until: date | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Export:
    """Write the rows of `table` dated from `since` to `until` (both days
    included; a row with no date is left out when either is given) into
    `out_dir`, replacing a previous export there. `on_progress` is called with
    the fraction done, from another thread, when the export takes more than
    half a second."""
    target = target_path(out_dir, table, format)
    _check_replaceable(target, format)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=out_dir))
    except OSError as exc:
        raise ExportError(f"cannot write in {out_dir}: {exc.strerror or exc}") from exc
    try:
        written = work / target.name
        with store.connect(read_only=True) as con:
            # The same days and printed times whatever the machine's time zone.
            con.execute("SET TimeZone = 'UTC'")
            sql = _select(con, table, format, since, until)
            with _progress(con, on_progress):
                row = con.execute(f"COPY ({sql}) TO {_literal(written)} ({_options(format)})").fetchone()
        rows = int(row[0]) if row else 0
        if format is ExportFormat.parquet and not written.exists():
            written.mkdir()  # no rows: an empty export, still one
        files = sum(1 for p in written.rglob("*") if p.is_file()) if written.is_dir() else 1
        _swap(written, target)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Export(table, format, target, rows, files)


def _select(
    con: duckdb.DuckDBPyConnection,
    table: ExportTable,
    format: ExportFormat,
    since: date | None,
    until: date | None,
) -> str:
    day = f"CAST({_ident(DATED_BY[table])} AS DATE)"
    columns = con.execute(f"DESCRIBE SELECT * FROM {_ident(table)}").fetchall()
    if format is ExportFormat.csv:
        select = [_spreadsheet_safe(n) if kind == "VARCHAR" else _ident(n) for n, kind, *_ in columns]
    else:
        select = [_ident(name) for name, *_ in columns]
    if format is ExportFormat.parquet:
        select.append(f"coalesce(strftime({day}, '%Y-%m'), '{UNDATED}') AS {MONTH}")
    where = [f"{day} {op} DATE '{d.isoformat()}'" for op, d in ((">=", since), ("<=", until)) if d]
    return (
        f"SELECT {', '.join(select)} FROM {_ident(table)}"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + f" ORDER BY {day} NULLS LAST, 1"
    )


def _spreadsheet_safe(column: str) -> str:
    """The column's text, `'` first where a spreadsheet would read a formula."""
    name = _ident(column)
    quoted = f"'''' || {name}"
    return f"CASE WHEN regexp_matches({name}, '{FORMULA_START}') THEN {quoted} ELSE {name} END AS {name}"


def _options(format: ExportFormat) -> str:
    return {
        ExportFormat.parquet: f"FORMAT parquet, PARTITION_BY ({MONTH})",
        ExportFormat.csv: "FORMAT csv, HEADER true",
        ExportFormat.jsonl: "FORMAT json",
    }[format]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _check_replaceable(target: Path, format: ExportFormat) -> None:
    """Refuse to replace anything an export did not write: a file where a
    folder goes, or a folder with more than month folders in it."""
    if not target.exists() and not target.is_symlink():
        return
    if format is not ExportFormat.parquet:
        if target.is_file() and not target.is_symlink():
            return
    elif target.is_dir() and not target.is_symlink():
        if all(p.is_dir() and p.name.startswith(f"{MONTH}=") for p in target.iterdir()):
            return
    raise ExportError(f"{target} exists and is not a previous export; move it or choose another --out")


def _swap(new: Path, target: Path) -> None:
    """Put `new` where `target` is. A file is replaced in one rename; a
    folder in two (the old one aside, beside `new`, whose temporary folder is
    removed afterwards; then the new one in place), the old one put back if
    the second fails."""
    if new.is_file() or not target.exists():
        os.replace(new, target)
        return
    old = new.with_name(f"{new.name}.old")
    os.replace(target, old)
    try:
        os.replace(new, target)
    except OSError:
        os.replace(old, target)
        raise


@contextmanager
def _progress(
    con: duckdb.DuckDBPyConnection,
    on_progress: Callable[[float], None] | None,
    delay: float = 0.5,
    every: float = 0.2,
) -> Iterator[None]:
    """Report the running statement's progress (DuckDB's own estimate) `every`
    so often, after `delay`: a short export shows no progress at all."""
    if on_progress is None:
        yield
        return
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    stop = threading.Event()

    def poll() -> None:
        if stop.wait(delay):
            return
        while True:
            percent = con.query_progress()
            if percent >= 0:
                on_progress(min(percent, 100.0) / 100)
            if stop.wait(every):
                return

    thread = threading.Thread(target=poll, name="export-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
