"""`veille query` and `veille status` as users meet them: read-only for real
(nothing written, nothing reached outside the database), one line for what is
refused, data printed as data (no Rich markup, no terminal control), NULL
distinct, status readable at 100 columns."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractors.core.records import FeedPoll, FeedStatus, RunStatus
from flows.cli import app
from storage.store import Store
from tests.support.databases import at_schema_version
from tests.support.paths import REPO

runner = CliRunner()

MARKUP = "[/] [bold]x [red]y[/red] [link=https://example.org]t"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database with runs (one failed, its error in markup) and its snapshot, in its own folder."""
    path = tmp_path / "data" / "veille.duckdb"
    store = Store(path)
    store.begin_run("r1", None)
    store.finish_run("r1", RunStatus.COMPLETED, {"inputs": 3, "stored": 3})
    store.begin_run("r2", None)
    store.finish_run("r2", RunStatus.FAILED, {"inputs": 1}, error=f"boom {MARKUP}")
    store.publish_snapshot()
    return path


def _state(folder: Path) -> dict[str, str]:
    """Every file under `folder` with a hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _query(db: Path, *args: str, env: dict[str, str] | None = None, input: str | None = None):
    return runner.invoke(app, ["query", "--db", str(db), *args], env=env, input=input)


def _one_error_line(result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("veille: error: ")
    return lines[0]


# Each statement, what its one line says. `{out}`: a folder outside the database.
REFUSED = [
    ("COPY (SELECT * FROM runs) TO '{out}/runs.csv'", "COPY refused: it writes files"),
    ("COPY runs TO '{out}/runs.parquet' (FORMAT parquet)", "COPY refused: it writes files"),
    ("EXPORT DATABASE '{out}/export'", "EXPORT refused: it writes files"),
    ("ATTACH '{out}/new.duckdb' AS n (READ_WRITE)", "ATTACH refused: it opens other databases"),
    ("ATTACH '{db}' AS again (READ_WRITE)", "ATTACH refused: it opens other databases"),
    ("COPY FROM DATABASE veille TO memory", "COPY refused"),
    ("INSTALL httpfs", "INSTALL refused: it installs or loads extensions"),
    ("FORCE INSTALL httpfs", "FORCE INSTALL refused"),
    ("LOAD httpfs", "LOAD refused: it installs or loads extensions"),
    ("SET enable_external_access = true", "SET refused: it changes settings"),
    ("PRAGMA threads = 1", "PRAGMA refused: it changes settings"),
    ("RESET threads", "RESET refused: it changes settings"),
    ("DELETE FROM runs", "DELETE refused: it changes the database"),
    ("CREATE TABLE t AS SELECT 1", "CREATE refused: it changes the database"),
    ("DROP TABLE runs", "DROP refused: it changes the database"),
    # What the statement check lets through, the sandboxed connection stops.
    ("EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}/x.csv'", "file system operations are disabled"),
    ("SELECT * FROM read_csv('{out}/secret.csv')", "file system operations are disabled"),
    ("SELECT * FROM glob('{out}/*')", "file system operations are disabled"),
    ("PRAGMA enable_profiling", "configuration has been locked"),
    ("CALL enable_logging()", "configuration has been locked"),
]


@pytest.mark.parametrize("snapshot", [False, True], ids=["live", "snapshot"])
@pytest.mark.parametrize(("sql", "says"), REFUSED, ids=[sql.split("(")[0][:40] for sql, _ in REFUSED])
def test_what_would_write_or_reach_out_is_refused_in_one_line(
    db: Path, tmp_path: Path, sql: str, says: str, snapshot: bool
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "secret.csv").write_text("a,b\n1,2\n")
    before = _state(tmp_path)
    sql = sql.format(out=out, db=db.with_name("veille.snapshot.duckdb") if snapshot else db)
    result = _query(db, *(["--snapshot"] if snapshot else []), "--format", "json", "--", sql)
    assert result.exit_code == 2, result.output
    line = _one_error_line(result)
    assert says in line and "use `veille export`" in line
    assert result.stdout == ""
    assert _state(tmp_path) == before  # no file written, the database and its snapshot unchanged


@pytest.mark.parametrize("sql", ["", " ", ";", " ; ;", "-- comment", "/* note */", "-- a\n-- b\n"])
def test_no_statement_is_one_line(db: Path, sql: str) -> None:
    result = _query(db, "--", sql)
    assert result.exit_code == 2, result.output
    assert _one_error_line(result).endswith("no SQL statement to run: the SQL is empty or only comments")


def test_several_statements_are_refused(db: Path) -> None:
    result = _query(db, "SELECT 1; SELECT 2")
    assert result.exit_code == 2 and result.stdout == ""
    assert _one_error_line(result).endswith("2 SQL statements given: queries run one at a time")
    one = _query(db, "--format", "csv", "SELECT 1 AS n;")  # a final ";" is not a statement
    assert one.exit_code == 0 and one.stdout.split() == ["n", "1"]


def test_sql_starting_with_a_dash_after_double_dash_or_from_stdin(db: Path) -> None:
    sql = "-- runs, newest first\nSELECT run_id FROM runs ORDER BY started_at DESC"
    after_dashes = _query(db, "--format", "csv", "--", sql)
    assert after_dashes.exit_code == 0, after_dashes.output
    assert after_dashes.stdout.split() == ["run_id", "r2", "r1"]
    from_stdin = _query(db, "--format", "csv", "-", input=sql)
    assert from_stdin.exit_code == 0 and from_stdin.stdout == after_dashes.stdout
    assert _query(db, "-", input="-- nothing\n").exit_code == 2


def test_reading_statements_other_than_select_run(db: Path) -> None:
    for sql in ("DESCRIBE runs", "SHOW TABLES", "SUMMARIZE runs", "EXPLAIN SELECT 1",
                "PRAGMA table_info('runs')", "CALL pragma_version()", "FROM runs"):  # fmt: skip
        result = _query(db, "--format", "json", sql)
        assert result.exit_code == 0, (sql, result.output)
        assert json.loads(result.stdout), sql


def test_data_is_printed_as_data_not_markup(db: Path) -> None:
    sql = (
        "SELECT '[/]' AS a, '[red]x[/red]' AS b, '[link=https://example.org]t' AS c, "
        "chr(27) || '[31mred' AS d, 1 AS \"[bold]h\""
    )
    table = _query(db, sql, env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    for text in ("[/]", "[red]x[/red]", "[link=https://example.org]t", "\\x1b[31mred", "[bold]h"):
        assert text in table.stdout
    assert "\x1b" not in table.stdout  # an ESC from the data never reaches the terminal
    as_json = _query(db, "--format", "json", sql)
    assert json.loads(as_json.stdout)[0]["d"] == "\x1b[31mred"  # json and csv keep the data exact


def test_null_is_distinct_in_every_format(db: Path) -> None:
    sql = "SELECT NULL AS n, '' AS e, 'NULL' AS s, 1.5 AS x"
    table = _query(db, sql)
    assert [c.strip() for c in table.stdout.splitlines()[3].split("│")[1:-1]] == ["NULL", "", "NULL", "1.5"]
    assert list(csv.reader(io.StringIO(_query(db, "--format", "csv", sql).stdout)))[1] == [
        "",
        "",
        "NULL",
        "1.5",
    ]
    assert json.loads(_query(db, "--format", "json", sql).stdout) == [
        {"n": None, "e": "", "s": "NULL", "x": 1.5}
    ]
    markdown = _query(db, "--format", "markdown", sql).stdout.splitlines()
    assert markdown == ["| n | e | s | x |", "| --- | --- | --- | ---: |", "| *NULL* |  | NULL | 1.5 |"]


def test_markdown_escapes_cells(db: Path) -> None:
    sql = "SELECT '<b>a|b</b> [x](javascript:alert(1)) *y*' || chr(10) || 'z' AS \"t|1\""
    result = _query(db, "--format", "markdown", sql)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "| t\\|1 |",
        "| --- |",
        "| \\<b\\>a\\|b\\</b\\> \\[x\\](javascript:alert(1)) \\*y\\*<br>z |",
    ]


# -- veille status ----------------------------------------------------------------


def _polled(db: Path) -> None:
    """Two feeds, one with markup in its name and error, polled twice (failing after 2)."""
    long_url = "https://example.org/feeds/" + "politique-internationale/" * 3 + "rss.xml"
    polls = [
        FeedPoll(long_url, f"Le Monde {MARKUP}", "feed", FeedStatus.HTTP_ERROR, 503,
                 f"HTTP 503 {MARKUP} \x1b]8;;https://evil.example\x1b\\here"),
        FeedPoll("https://ex.fr/sitemap.xml", None, "sitemap", FeedStatus.OK, 200),
    ]  # fmt: skip
    for _ in range(2):
        Store(db).record_polls(polls, failing_after=2)


def test_status_with_no_feeds_says_so(db: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["status", "--db", str(db)], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("No feeds polled yet: `veille ingest --feed URL` polls one")
    assert "[[feeds]]" in result.stdout  # printed as text, not read as markup
    assert "Feeds" not in result.stdout and "Last 2 runs" in result.stdout
    empty = tmp_path / "empty.duckdb"
    Store(empty).ensure()
    nothing = runner.invoke(app, ["status", "--db", str(empty)], env={"COLUMNS": "100"})
    assert "No runs yet." in nothing.stdout and "┏" not in nothing.stdout
    as_json = runner.invoke(app, ["status", "--db", str(empty), "--format", "json"])
    assert json.loads(as_json.stdout) == {"feeds": [], "runs": []}


def test_status_tables_are_titled_escaped_and_fit_100_columns(db: Path) -> None:
    _polled(db)
    result = runner.invoke(app, ["status", "--db", str(db)], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    titles = [line.strip() for line in lines if line.strip() in ("Feeds", "Last errors", "Last 2 runs")]
    assert titles == ["Feeds", "Last errors", "Last 2 runs"]
    headers = [_cells(line) for line in lines if line.startswith("┃")]
    assert headers == [
        ["feed", "kind", "last poll", "status", "fails", "day", "week", "total"],  # none cut
        ["of", "error"],
        ["run", "status", "started", "took", "stored", "duplicates", "rejected", "skipped"],
    ]
    wide = runner.invoke(app, ["status", "--db", str(db)], env={"COLUMNS": "300"}).stdout
    assert "\x1b" not in wide  # the ESC of an OSC 8 link in an error is written out, not sent
    feeds, errors, runs = ([_cells(line) for line in table] for table in _tables(wide))
    name = f"Le Monde {MARKUP}"
    assert [(f[0], f[3], f[4]) for f in feeds] == [
        (name, "http_error 503 failing", "2"),
        ("https://ex.fr/sitemap.xml", "ok 200", "0"),
    ]
    assert errors == [
        [name, f"HTTP 503 {MARKUP} \\x1b]8;;https://evil.example\\x1b\\here"],
        ["run r2", f"boom {MARKUP}"],
    ]
    assert [(r[0], r[1], r[4]) for r in runs] == [("r2", "failed", "0"), ("r1", "completed", "3")]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line[1:-1].split(line[0])]


def _tables(text: str) -> list[list[str]]:
    """The body lines of each table Rich drew (one line per row at a wide COLUMNS)."""
    tables: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("┡"):
            tables.append([])
        elif line.startswith("│"):
            tables[-1].append(line)
    return tables


def test_status_json_and_csv_include_the_runs(db: Path) -> None:
    _polled(db)
    as_json = json.loads(runner.invoke(app, ["status", "--db", str(db), "--format", "json"]).stdout)
    assert list(as_json) == ["feeds", "runs"]
    assert [f["name"] for f in as_json["feeds"]] == [f"Le Monde {MARKUP}", None]
    assert as_json["feeds"][0]["failing"] is True and as_json["feeds"][0]["consecutive_failures"] == 2
    assert [(r["run_id"], r["status"], r["error"]) for r in as_json["runs"]] == [
        ("r2", "failed", f"boom {MARKUP}"),
        ("r1", "completed", None),
    ]
    as_csv = runner.invoke(app, ["status", "--db", str(db), "--format", "csv"]).stdout
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert [r["record"] for r in rows] == ["feed", "feed", "run", "run"]
    assert rows[0]["name"] == f"Le Monde {MARKUP}" and rows[0]["run_id"] == ""
    assert (rows[2]["run_id"], rows[2]["error"], rows[2]["name"]) == ("r2", f"boom {MARKUP}", "")
    assert rows[3]["stored"] == "3"
    markdown = runner.invoke(app, ["status", "--db", str(db), "--format", "markdown"]).stdout
    assert markdown.startswith("### Feeds\n\n| name |") and "\n### Last runs\n\n| run\\_id |" in markdown


# -- the README's queries ---------------------------------------------------------------

_OPTIONS = r"(?:[ \t]+--[\w-]+(?:[ \t]+\w+)?)*"
_README_QUERY = re.compile(rf"veille query({_OPTIONS}(?:[ \t]+--)?[ \t]+\"(?:[^\"\\]|\\.)*\"{_OPTIONS})")


def readme_queries() -> list[list[str]]:
    """The arguments of every `veille query [--option value] [--] "…" [--option value]`
    the README shows."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [shlex.split(m.group(1)) for m in _README_QUERY.finditer(text)]


def test_the_readme_queries_still_work(ingested_with_feed: Path) -> None:
    queries = readme_queries()
    assert len(queries) >= 8 and any(args[0] == "--format" for args in queries)
    for args in queries:
        result = runner.invoke(app, ["query", "--db", str(ingested_with_feed), *args], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (args, result.output)
        assert result.stdout.strip(), args


@pytest.fixture
def ingested_with_feed(db_path: Path, prefect_harness, local_server) -> Path:
    """seeds/ and one feed from the loopback server, ingested by the real flow."""
    from tests.support.pages import ARTICLES, journal_page, rss

    assert runner.invoke(app, ["ingest", "seeds", "--db", str(db_path), "--workers", "1"]).exit_code == 0
    page = journal_page(ARTICLES["entrepots"]).encode()
    local_server.route("/a.html", page, headers={"Content-Type": "text/html; charset=utf-8"})
    items = [(local_server.url("/a.html"), "A", "Wed, 14 Jun 2023 06:30:00 GMT")]
    local_server.route("/feed.xml", rss(items), headers={"Content-Type": "application/rss+xml"})
    polled = runner.invoke(
        app,
        ["ingest", "--feed", local_server.url("/feed.xml"), "--db", str(db_path), "--workers", "1"],
        env={"VEILLE_ALLOW_PRIVATE_NETWORKS": "1"},
    )
    assert polled.exit_code == 0, polled.output
    return db_path


def test_csv_cells_that_would_start_a_formula_are_text(db: Path) -> None:
    sql = "SELECT '=HYPERLINK(\"http://x\",\"x\")' AS t, '+1' AS plus, 'a=b' AS fine, -1 AS n"
    rows = list(csv.reader(io.StringIO(_query(db, "--format", "csv", sql).stdout)))
    assert rows == [["t", "plus", "fine", "n"], ['\'=HYPERLINK("http://x","x")', "'+1", "a=b", "-1"]]


def test_status_answers_on_a_database_from_before_the_views(tmp_path: Path) -> None:
    """A read never migrates: a file at schema 3 (no `feed_health` view yet)
    still gets its status, from the view's own query."""
    import duckdb

    old = tmp_path / "old.duckdb"
    at_schema_version(old, 3).close()
    result = runner.invoke(app, ["status", "--db", str(old), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"feeds": [], "runs": []}
    assert duckdb.connect(str(old), read_only=True).execute(
        "SELECT max(version) FROM schema_version"
    ).fetchone() == (3,)
