"""How `veille query` and `veille status` print rows: a table for people
(Rich), csv, json and markdown for programs and documents.

Every value printed is data, never markup or terminal control: Rich reads
`[...]` in a string as markup (`[/]` crashed the command, `[red]x[/red]`
printed `x`, `[link=…]` made a terminal link), so cells, headers and titles
go to Rich as `Text`, which it does not parse; control characters (an ESC in
a page title would drive the terminal) are shown as `\\x1b`. NULL is
distinct from an empty string: dim `NULL` in a table, `*NULL*` in markdown,
an empty cell in csv, `null` in json.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from storage.export import FORMULA_START

Rows = tuple[list[str], list[tuple]]  # (column names, rows), as `Store.query` returns them


class QueryFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


NULL = Text("NULL", style="dim italic")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1, but tab and newline
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&!#$])")


_FORMULA = re.compile(FORMULA_START)


def _spreadsheet_safe(row: Sequence[Any]) -> tuple[Any, ...]:
    """A csv row a spreadsheet shows as text: a cell that would start a formula
    (a page title "=HYPERLINK(...)") gets a `'` first, as `veille export` does."""
    return tuple("'" + v if isinstance(v, str) and _FORMULA.match(v) else v for v in row)


def jsonable(value: Any) -> Any:
    """`json.dumps`'s `default`: dates in ISO 8601, DECIMAL as a number, anything else as its text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal) and value.is_finite():
        return float(value)
    return str(value)


def printable(text: str) -> str:
    """`text` with its control characters written out (`\\x1b`), tab and newline kept."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _unique(columns: Sequence[str]) -> list[str]:
    """Column names as json keys: a repeated name (`SELECT 1 AS a, 2 AS a`) gets `_2`, `_3`…"""
    seen: dict[str, int] = {}
    names = []
    for name in columns:
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return names


def records(columns: Sequence[str], rows: Sequence[tuple]) -> list[dict[str, Any]]:
    keys = _unique(columns)
    return [dict(zip(keys, row, strict=True)) for row in rows]


def rich_table(columns: Sequence[str], rows: Sequence[tuple], title: str | None = None) -> Table:
    """The rows as a Rich table: numbers right-aligned, long values folded, NULL dim."""
    table = Table(title=Text(printable(title)) if title else None)
    for i, name in enumerate(columns):
        values = [row[i] for row in rows if row[i] is not None]
        right = bool(values) and all(_numeric(v) for v in values)
        table.add_column(Text(printable(name)), justify="right" if right else "left", overflow="fold")
    for row in rows:
        table.add_row(*(NULL if v is None else Text(printable(str(v))) for v in row))
    return table


def _markdown_cell(value: Any) -> str:
    if value is None:
        return "*NULL*"
    text = printable(str(value).replace("\r\n", "\n"))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "<br>")


def markdown_table(columns: Sequence[str], rows: Sequence[tuple]) -> str:
    """A GitHub-flavoured markdown table. Values are escaped (a title such as
    `[x](javascript:…)` or `<script>` stays text); newlines become `<br>`."""
    if not columns:
        return ""
    align = [
        "---:" if any(row[i] is not None for row in rows)
        and all(_numeric(row[i]) for row in rows if row[i] is not None) else "---"
        for i in range(len(columns))
    ]  # fmt: skip
    lines = [
        "| " + " | ".join(_markdown_cell(c) for c in columns) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(_markdown_cell(v) for v in row) + " |" for row in rows),
    ]
    return "\n".join(lines) + "\n"


def write_rows(columns: list[str], rows: list[tuple], format: QueryFormat, console: Console) -> None:
    """`veille query`'s output: the table on `console`, the other formats on stdout."""
    if format is QueryFormat.json:
        text = json.dumps(records(columns, rows), ensure_ascii=False, indent=2, default=jsonable)
        sys.stdout.write(text + "\n")
    elif format is QueryFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(map(_spreadsheet_safe, rows))  # NULL: an empty cell
    elif format is QueryFormat.markdown:
        sys.stdout.write(markdown_table(columns, rows))
    else:
        console.print(rich_table(columns, rows))


# -- veille status -------------------------------------------------------------

NO_FEEDS = (
    "No feeds polled yet: `veille ingest --feed URL` polls one, and `veille ingest` or "
    "`veille serve` with a --config file listing [[feeds]] polls them all."
)
NO_RUNS = "No runs yet."


def write_status(feeds: Rows, runs: Rows, format: QueryFormat, console: Console) -> None:
    """`veille status`'s output: the feeds (the columns of `STATUS_SQL`) and the last runs.

    json: {"feeds": [...], "runs": [...]}. csv: one table, its first column
    `record` ("feed" or "run"), then the feeds' columns, then the runs'
    (each row fills its own). markdown: two titled tables. table: "Feeds",
    "Last errors" (when any) and "Last runs", sized for 100 columns."""
    if format is QueryFormat.json:
        both = {"feeds": records(*feeds), "runs": records(*runs)}
        sys.stdout.write(json.dumps(both, ensure_ascii=False, indent=2, default=jsonable) + "\n")
    elif format is QueryFormat.csv:
        (feed_columns, feed_rows), (run_columns, run_rows) = feeds, runs
        blank_feed, blank_run = (None,) * len(feed_columns), (None,) * len(run_columns)
        writer = csv.writer(sys.stdout)
        writer.writerow(["record", *feed_columns, *run_columns])
        writer.writerows(_spreadsheet_safe(("feed", *row, *blank_run)) for row in feed_rows)
        writer.writerows(_spreadsheet_safe(("run", *blank_feed, *row)) for row in run_rows)
    elif format is QueryFormat.markdown:
        sys.stdout.write("### Feeds\n\n" + (markdown_table(*feeds) if feeds[1] else NO_FEEDS + "\n"))
        sys.stdout.write("\n### Last runs\n\n" + (markdown_table(*runs) if runs[1] else NO_RUNS + "\n"))
    else:
        for renderable in status_tables(feeds, runs):
            console.print(renderable)


def _when(value: datetime | None) -> Text:
    return Text(value.astimezone().strftime("%Y-%m-%d %H:%M")) if value else Text("—", style="dim")


def _took(started: datetime | None, finished: datetime | None) -> Text:
    if not (started and finished):
        return Text("—", style="dim")
    seconds = (finished - started).total_seconds()
    if seconds < 60:
        return Text(f"{seconds:.1f} s")
    minutes, seconds = divmod(round(seconds), 60)
    return Text(f"{minutes} min {seconds:02d} s")


def _number(value: Any) -> Text:
    return Text("—", style="dim") if value is None else Text(str(value))


def status_tables(feeds: Rows, runs: Rows) -> list[Table | Text]:
    """The terminal view of `veille status`: short headers, dates to the
    minute, long names and errors folded, so that it reads at 100 columns;
    every column is in the json and csv output."""
    shown: list[Table | Text] = []
    errors: list[tuple[Text, Text]] = []
    if not feeds[1]:
        shown.append(Text(NO_FEEDS))
    else:
        table = Table(
            title=Text("Feeds"),
            caption=Text("fails: consecutive failed polls; day, week, total: articles ingested"),
        )
        # Narrower than 100 columns, dates and statuses wrap before a header is cut.
        table.add_column(Text("feed"), overflow="fold", min_width=12)
        for name in ("kind", "last poll", "status"):
            table.add_column(Text(name), overflow="fold", min_width=len(name))
        for name in ("fails", "day", "week", "total"):
            table.add_column(Text(name), justify="right", min_width=len(name))
        for feed in records(*feeds):
            name = feed["name"] or feed["url"]
            status = Text(
                printable(" ".join(str(v) for v in (feed["last_status"], feed["last_http_status"]) if v))
            )
            if feed["failing"]:
                status.append(" failing", style="bold red")
            table.add_row(
                Text(printable(name)), Text(printable(feed["kind"] or "")), _when(feed["last_polled_at"]),
                status, _number(feed["consecutive_failures"]), _number(feed["articles_day"]),
                _number(feed["articles_week"]), _number(feed["articles_total"]),
            )  # fmt: skip
            if feed["last_error"]:
                errors.append((Text(printable(name)), Text(printable(feed["last_error"]))))
        shown.append(table)
    for run in records(*runs):
        if run.get("error"):
            errors.append((Text(f"run {run['run_id']}"), Text(printable(run["error"]))))
    if errors:
        table = Table(title=Text("Last errors"))
        table.add_column(Text("of"), overflow="fold", ratio=1)
        table.add_column(Text("error"), overflow="fold", ratio=3)
        for row in errors:
            table.add_row(*row)
        shown.append(table)
    if not runs[1]:
        shown.append(Text(NO_RUNS))
    else:
        table = Table(title=Text("Last run" if len(runs[1]) == 1 else f"Last {len(runs[1])} runs"))
        table.add_column(Text("run"), overflow="fold")
        table.add_column(Text("status"), overflow="fold")
        table.add_column(Text("started"), overflow="fold")
        for name in ("took", "stored", "duplicates", "rejected", "skipped"):
            table.add_column(Text(name), justify="right", no_wrap=True)
        for run in records(*runs):
            table.add_row(
                Text(printable(run["run_id"])), Text(printable(run["status"])), _when(run["started_at"]),
                _took(run["started_at"], run["finished_at"]), _number(run["stored"]),
                _number(run["duplicates"]), _number(run["rejected"]), _number(run["skipped"]),
            )  # fmt: skip
        shown.append(table)
    return shown
