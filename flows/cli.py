"""The `veille` command line.

Commands keep the names promised to users (README): `ingest`, `query`,
`extract`. Expected failures (bad configuration, a database that cannot be
opened) end with one line on stderr and a non-zero exit, not a traceback;
the exit codes are set here, in `EXIT_CODES` and the `EXIT_*` constants.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import signal
import sys
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from extractors.core.errors import ConfigError, VeilleError
from extractors.core.records import Rejected, RunStatus
from extractors.core.settings import Feed, Settings, SettingsError, load
from extractors.judge.parallel import WorkerPool
from extractors.judge.pipeline import describe, describe_items
from extractors.judge.topic import load_profile
from extractors.sources import files, registry
from flows.cluster import ClusterUnreachable, check_reachable
from flows.output import QueryFormat, jsonable, write_rows, write_status
from flows.prefect_server import TemporaryServer, startup_timeout
from flows.summary import RunTally, run_summary
from flows.timings import mark
from storage.export import ExportFormat, ExportTable, export_table
from storage.locks import RunLock, RunLockTimeout
from storage.schema import FEED_HEALTH_SQL
from storage.store import QueryRefused, Store, StoreError, StoreLocked
from storage.stories import would_join

mark("imports")
app = typer.Typer(
    name="veille",
    help="Collect French news on one topic into DuckDB: clean, filter, deduplicate, date, source.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB file (default: $VEILLE_DB, else data/veille.duckdb)."),
]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML settings file (see veille.toml).")]
WatchOption = Annotated[
    Path | None, typer.Option(help="Folder to watch for new files (default: \\[watch] folder).")
]
DaskOption = Annotated[
    str | None,
    typer.Option(
        "--dask",
        metavar="ADDRESS",
        help="Judge inputs on the Dask cluster of this scheduler, e.g. tcp://host:8786 "
        '(sets ingest.executor = "dask").',
    ),
]


def _executor(dask: str | None) -> dict[str, Any]:
    """The settings `--dask ADDRESS` stands for (none when it is not given)."""
    return {"ingest.executor": "dask", "ingest.dask_address": dask} if dask else {}


def _check_cluster(settings: Settings) -> None:
    """With executor = "dask", fail now (one line, nothing started or recorded)
    when nothing listens at the scheduler's address."""
    if settings.ingest.executor == "dask" and settings.ingest.dask_address:
        try:
            check_reachable(settings.ingest.dask_address)
        except ClusterUnreachable as exc:
            raise fail(exc) from exc


class ExtractFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"


# Exit codes (README): the only place they are chosen.
EXIT_OK = 0
EXIT_FAILED = 1  # could not run: the database cannot be opened, is locked, another run holds it
EXIT_USAGE = 2  # invalid configuration, or nothing to do: the command or a file must change
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)

# The exit code of an expected failure (extractors.core.errors), by kind: the first that matches.
EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (ConfigError, EXIT_USAGE),  # a topic profile (ProfileError)
    (SettingsError, EXIT_USAGE),  # the settings file (not a ConfigError yet: extractors/core/settings.py)
    (VeilleError, EXIT_FAILED),
)


def exit_code(exc: BaseException) -> int:
    """The exit code a failure ends the command with (`EXIT_CODES`; anything else: 1)."""
    return next((code for kind, code in EXIT_CODES if isinstance(exc, kind)), EXIT_FAILED)


def fail(problem: str | BaseException, code: int | None = None) -> typer.Exit:
    """Print `veille: error: <problem>` on stderr; return the Exit to raise. Its
    code, unless given, is the exception's (`exit_code`), else `EXIT_FAILED`."""
    if code is None:
        code = exit_code(problem) if isinstance(problem, BaseException) else EXIT_FAILED
    err.print(f"[bold red]veille: error:[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _settings(config: Path | None, db: Path | None, **overrides: Any) -> Settings:
    """The settings of one command: the file, the environment, then the flags
    (`overrides`: keys as written in the file, "ingest.workers")."""
    try:
        settings = load(config).replace({"storage.db": db, **overrides}, "command line")
        if settings.feeds:
            registry.check(settings.feeds, str(config))
        load_profile(settings.topic.profile)  # fail now, not in a worker
        return settings
    except (ConfigError, SettingsError) as exc:
        raise fail(exc) from exc


def _prefect_defaults() -> None:
    """Environment defaults for Prefect, set before it is imported; the user's own win.
    No analytics (no internet here, nor at many users' sites), and time for the
    temporary server to start on a busy machine (Prefect's default is 20 s)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")  # Prefect's client notice and telemetry
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or directories (recursive).")] = None,
    feed: Annotated[list[str] | None, typer.Option("--feed", help="RSS/Atom feed URL (repeatable).")] = None,
    url: Annotated[list[str] | None, typer.Option("--url", help="Article page URL (repeatable).")] = None,
    sitemap: Annotated[
        list[str] | None, typer.Option("--sitemap", help="(News) sitemap URL (repeatable).")
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            metavar="KIND=URL",
            help="A source of any registered kind, e.g. jsonfeed=https://example.fr/feed.json (repeatable).",
        ),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    workers: Annotated[
        int | None, typer.Option(help="Processes for extraction (default: CPU count).")
    ] = None,
    topic: Annotated[Path | None, typer.Option(help="Topic profile TOML.")] = None,
    dask: DaskOption = None,
) -> None:
    """Ingest files, feeds, sitemaps and article URLs through the Prefect flow.

    With no input named, polls the feeds listed in the --config file.
    Ctrl-C stops it within seconds: what was written stays, the next run takes the rest."""
    stored = [0]
    try:
        named = [f"feed={u}" for u in feed or []] + [f"sitemap={u}" for u in sitemap or []] + (source or [])
        _ingest(paths or [], named, url or [], db, config, workers, topic, stored, dask)
    except KeyboardInterrupt as exc:
        traceback.clear_frames(exc.__traceback__)  # no DuckDB handle kept alive till exit
        err.print(
            f"veille: interrupted; this run stored {stored[0]} new article(s), the next run takes the rest",
            highlight=False,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _ingest(
    paths: list[Path],
    named: list[str],
    url: list[str],
    db: Path | None,
    config: Path | None,
    workers: int | None,
    topic: Path | None,
    stored: list[int],
    dask: str | None = None,
) -> None:
    """`named`: the sources named on the command line, as `KIND=URL`."""
    settings = _settings(config, db, **{"ingest.workers": workers, "topic.profile": topic, **_executor(dask)})
    try:
        sources = [registry.parse_option(value) for value in named]
    except SettingsError as exc:
        raise fail(exc, EXIT_USAGE) from exc
    if not (paths or sources or url):
        sources = list(settings.feeds)
    if not (paths or sources or url):
        raise fail("nothing to ingest: name files, --feed, --url or --sitemap, "
                   "or a --config listing [[feeds]]", EXIT_USAGE)  # fmt: skip
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:  # a typo, not an input to reject: nothing is started or recorded
        raise fail(f"no such file or directory: {missing[0]}", EXIT_USAGE)
    locations = [ref.location for ref in files.discover_inputs(paths, settings)]
    if paths and not (sources or url):
        done = _nothing_new(settings, locations)
        if done is not None:
            _print_summary(done)
            return
    _check_cluster(settings)
    _prefect_defaults()
    # Start what takes longest first: Prefect's server (when none is set), then
    # the worker processes (no more than there are chunks to judge); both come
    # up while Prefect and the flow are imported.
    server = None if os.environ.get("PREFECT_API_URL") else TemporaryServer(startup_timeout())
    mark("server-launched")
    chunks = (
        settings.ingest.workers
        if (sources or url)
        else math.ceil(len(locations) / settings.ingest.chunk_size)
    )
    pool = None  # on a Dask cluster, no worker process here
    if settings.ingest.executor == "local":
        pool = WorkerPool(max(1, min(settings.ingest.workers, chunks)), settings.topic.profile)
        mark("pool-launched")
    try:
        summary = _run_ingest(settings, paths, sources, url, pool, server, stored)
    except BaseException:
        if pool is not None:
            pool.close(wait=False)
        if server is not None:
            server.hurry()
        raise
    mark("flow-ended")
    if pool is not None:
        # Every input is judged: nothing is lost by stopping the idle workers at
        # once, and a graceful exit costs each one its interpreter's teardown
        # (0.3-0.7 s in benchmarks/fixed_cost.py).
        pool.close(wait=False)
        if pool.warm_at is not None:
            mark("pool-ready", pool.warm_at)
    mark("flow-returned")
    _print_summary(summary)
    if summary["status"] != RunStatus.COMPLETED:
        raise fail(f"run {summary['status']}: {summary['error']}", EXIT_FAILED)


def _nothing_new(settings: Settings, locations: list[str]) -> dict[str, Any] | None:
    """When every one of these local inputs already has its outcome, record
    the run (all skipped) and return its summary, without starting Prefect or
    any worker: a folder ingested again costs a moment, not a Prefect server
    start. None when there is something to do, or when the database or the
    run lock is held (the flow then handles it: it waits, skips or defers)."""
    store = Store(settings.storage.db, lock_timeout=2.0)
    if not locations or not store.path.exists():
        return None
    lock = RunLock(settings.storage.db)
    try:
        lock.acquire(0)
    except (RunLockTimeout, StoreError):
        return None
    try:
        if len(store.settled(locations)) < len(locations):
            return None
        run_id = uuid.uuid4().hex[:12]
        tally = RunTally(inputs=len(locations), skipped=len(locations))
        store.begin_run(run_id, None, close_stale=True)  # we hold the run lock
        store.finish_run(run_id, RunStatus.COMPLETED, tally.counts())
    except StoreError:
        return None
    finally:
        lock.release()
    err.print(f"veille: nothing new in {len(locations)} inputs: run {run_id} recorded without Prefect")
    return run_summary(run_id, tally, settings, RunStatus.COMPLETED, None)


def _run_ingest(
    settings: Settings,
    paths: list[Path],
    sources: list[Feed],
    urls: list[str],
    pool: WorkerPool | None,
    server: TemporaryServer | None,
    stored: list[int],
) -> dict[str, Any]:
    from prefect.settings import PREFECT_API_URL, temporary_settings  # slow import: only here

    from flows.ingest import prestarted, progress_hook, run_ingest

    mark("prefect-imported")
    if server is not None:
        # What Prefect imports as the flow run starts (to serialise its parameters:
        # fastapi, 0.2 s), imported while this process would only wait for the server.
        import fastapi.encoders  # noqa: F401
    try:
        api = {PREFECT_API_URL: server.wait()} if server else {}
    except RuntimeError as exc:
        raise fail(exc) from exc
    mark("server-waited")

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    task_id = bar.add_task("ingesting", total=None)

    def on_progress(event: str, amount: int) -> None:
        if event == "total":
            bar.update(task_id, total=amount)
        elif event == "stored":
            stored[0] += amount
        else:
            bar.advance(task_id, amount)

    try:
        Store.for_settings(settings.storage).ensure()
        with temporary_settings(api), bar, progress_hook(on_progress), prestarted(pool):
            with _prefect_logs_through(err, temporary=server is not None):
                summary = run_ingest(settings, paths=[str(p) for p in paths], feeds=sources, urls=urls)
    except (StoreError, ClusterUnreachable) as exc:
        raise fail(exc) from exc
    if server is not None:
        _how_to_see_the_run(settings, summary["run_id"])
    return summary


class _LogLines(logging.Handler):
    """Prefect's console log lines, printed by the console the progress bar
    draws on (so each line lands above the bar instead of being glued to it),
    as plain text (never Rich markup: they carry page titles and URLs)."""

    def __init__(self, console: Console, like: logging.Handler, temporary: bool) -> None:
        super().__init__(like.level)
        self.console, self.temporary = console, temporary
        self.setFormatter(like.formatter)
        self.filters = list(like.filters)

    def emit(self, record: logging.LogRecord) -> None:
        # "View at <url>" names the temporary server: no UI, and gone at exit
        if self.temporary and record.getMessage().startswith("View at "):
            return
        try:
            self.console.print(Text(self.format(record)), soft_wrap=True)
        except Exception:  # noqa: BLE001 - a log line never stops a run
            self.handleError(record)


@contextmanager
def _prefect_logs_through(console: Console, temporary: bool) -> Iterator[None]:
    from prefect.logging.handlers import PrefectConsoleHandler

    root = logging.getLogger()
    theirs = [h for h in root.handlers if isinstance(h, PrefectConsoleHandler)]
    ours = [_LogLines(console, h, temporary) for h in theirs]
    for old, new in zip(theirs, ours, strict=True):
        root.removeHandler(old)
        root.addHandler(new)
    try:
        yield
    finally:
        for old, new in zip(theirs, ours, strict=True):
            root.removeHandler(new)
            root.addHandler(old)


def _how_to_see_the_run(settings: Settings, run_id: str) -> None:
    """The temporary server is gone; its runs are in Prefect's database."""
    try:
        rows = Store.for_settings(settings.storage).query(
            "SELECT flow_run_id FROM runs WHERE run_id = ?", [run_id]
        )[1]
    except StoreError:
        return
    if not rows or not rows[0][0]:
        return
    home = os.environ.get("PREFECT_HOME", "~/.prefect")
    err.print(
        Text(f"To see this run in Prefect's UI: PREFECT_HOME={home} prefect server start, "
             f"then http://127.0.0.1:4200/runs/flow-run/{rows[0][0]}"),
        soft_wrap=True,
    )  # fmt: skip


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table(title=f"Run {summary['run_id']}")
    table.add_column("outcome")
    table.add_column("count", justify="right")
    for key in ("inputs", "stored", "duplicates", "rejected", "skipped"):
        table.add_row(key, str(summary[key]))
    for kind, n in sorted(summary["duplicates_by_kind"].items()):
        table.add_row(f"  duplicates: {kind}", str(n))
    for reason, n in sorted(summary["rejects_by_reason"].items()):
        table.add_row(f"  rejected: {reason}", str(n))
    out.print(table)
    out.print(Text(f"Database: {summary['db']}"), soft_wrap=True)  # whole, for copy and paste
    if summary["feeds"]:
        feeds = Table("feed", "status", "HTTP", "entries", "new", "error", title="Feeds")
        for f in summary["feeds"]:
            feeds.add_row(Text(f["name"] or f["url"]), f["status"], str(f["http_status"] or ""),
                          str(f["entries"]), str(f["new"]), Text(f["error"] or ""))  # fmt: skip
        out.print(feeds)


def _reading_store(settings: Settings, snapshot: bool) -> Store:
    """The live database, or its snapshot when asked or when the live file is
    busy: a query never makes the service wait more than a moment."""
    live = Store(settings.storage.db, lock_timeout=2.0)
    snap = Store(live.snapshot_path())
    if snapshot:
        return snap
    if snap.path.exists():
        try:
            with live.connect(read_only=True):
                return live
        except StoreLocked:
            mtime = datetime.fromtimestamp(snap.path.stat().st_mtime).isoformat(timespec="seconds")
            err.print(
                f"veille: {settings.storage.db} is busy; reading the snapshot of {mtime}", soft_wrap=True
            )
            return snap
    return live


@app.command()
def query(
    sql: Annotated[
        str,
        typer.Argument(
            metavar="SQL",
            help="One SQL statement that reads; - reads it from stdin. "
            "SQL that starts with - goes after --, options before: veille query --db F -- '-- note'",
        ),
    ],
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[
        QueryFormat, typer.Option("--format", help="Output format; NULL shows as NULL in a table.")
    ] = QueryFormat.table,
    snapshot: Annotated[
        bool, typer.Option("--snapshot", help="Read the snapshot published after the last run.")
    ] = False,
) -> None:
    """Run one read-only SQL statement on the database.

    Statements that read run (SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA, CALL),
    on a connection that reaches no other file and no network; COPY, EXPORT, ATTACH,
    INSTALL, LOAD, SET, writes, several statements or none are refused in one line
    (exit 2): veille export writes data out."""
    if sql == "-":
        sql = sys.stdin.read()
    settings = _settings(config, db)
    try:
        columns, rows = _reading_store(settings, snapshot).query(sql)
    except QueryRefused as exc:
        raise fail(exc, EXIT_USAGE) from exc
    except StoreError as exc:
        raise fail(exc) from exc
    write_rows(columns, rows, format, out)


# The view `feed_health` (storage/schema.py, migration 4) is the one place of this SQL.
# The `feed_health` view's query, run as such: a database not yet migrated to
# the view (a read never migrates) still answers.
STATUS_SQL = f"SELECT * FROM ({FEED_HEALTH_SQL}) ORDER BY consecutive_failures DESC, name"


STATUS_RUNS_SQL = """
SELECT run_id, status, started_at, finished_at, inputs, stored, duplicates, rejected, skipped, error
FROM runs ORDER BY started_at DESC LIMIT 5
"""


@app.command()
def status(
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[
        QueryFormat,
        typer.Option("--format", help="Output format; json: an object with feeds and runs; csv: see README."),
    ] = QueryFormat.table,
    snapshot: Annotated[bool, typer.Option("--snapshot", help="Read the snapshot.")] = False,
) -> None:
    """Feed health (last poll, status, consecutive failures, last error, articles
    in the last day, week and in all), then the last 5 runs."""
    settings = _settings(config, db)
    try:
        store = _reading_store(settings, snapshot)
        feeds = store.query(STATUS_SQL)
        runs = store.query(STATUS_RUNS_SQL)
    except StoreError as exc:
        raise fail(exc) from exc
    write_status(feeds, runs, format, out)


@app.command()
def convert(db: DbOption = None, config: ConfigOption = None) -> None:
    """Rewrite the database in the configured storage format ([storage] storage_version).

    For a database written in a newer format than analysts' DuckDB clients read:
    every table, view and sequence is copied, row counts are checked, the old file
    is kept as <db>.bak-<format> and the snapshot is refreshed. Takes the run lock."""
    settings = _settings(config, db)
    store = Store.for_settings(settings.storage)
    if not store.path.exists():
        raise fail(f"no database at {store.path}")
    lock = RunLock(settings.storage.db)
    try:
        lock.acquire(settings.storage.run_lock_timeout_seconds)
        try:
            done = store.convert()
            snapshot = _converted_snapshot(store, settings, done.converted, done.new_format)
        finally:
            lock.release()
    except (StoreError, RunLockTimeout) as exc:
        raise fail(exc) from exc
    if done.converted:
        line = (
            f"veille: converted {done.path} from format {done.old_format} to {done.new_format}: "
            f"{len(done.rows)} tables, {sum(done.rows.values()):,} rows, counts checked; "
            f"the old file is {done.backup}{snapshot}"
        )
    else:
        line = f"veille: {done.path} is already in format {done.new_format}: nothing to convert{snapshot}"
    out.print(escape(line), highlight=False, soft_wrap=True)


def _converted_snapshot(store: Store, settings: Settings, converted: bool, target: str) -> str:
    """Publish the snapshot again when the database was converted (if snapshots
    are published or one exists), or when the one there has another format;
    what was done, for the command's line."""
    snap = store.snapshot_path()
    if snap.exists() and Store(snap).storage_format() != target:
        return f"; snapshot {store.publish_snapshot()} rewritten in format {target}"
    if converted and (snap.exists() or settings.storage.publish_snapshot):
        return f"; snapshot {store.publish_snapshot()} refreshed"
    return ""


@app.command()
def export(
    out_dir: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Folder for the export (created if needed).")
    ],
    format: Annotated[ExportFormat, typer.Option("--format", help="File format.")] = ExportFormat.parquet,
    table: Annotated[ExportTable, typer.Option("--table", help="Table or view to export.")] = (
        ExportTable.articles
    ),
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First day (publication day for articles).")
    ] = None,
    until: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day, included.")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    snapshot: Annotated[bool, typer.Option("--snapshot", help="Read the snapshot.")] = False,
) -> None:
    """Write a table or view to files: Parquet by month (Hive layout), CSV safe for spreadsheets, JSON lines.

    Goes to DIR/TABLE/month=YYYY-MM/ (Parquet) or DIR/TABLE.csv, DIR/TABLE.jsonl, replacing
    the previous export of that table and format whole. Reads like veille query: the
    snapshot when the service holds the database."""
    settings = _settings(config, db)
    if since and until and since > until:
        raise fail(f"--since {since:%Y-%m-%d} is after --until {until:%Y-%m-%d}", EXIT_USAGE)
    bar = Progress(
        f"exporting {table.value}", BarColumn(), "[progress.percentage]{task.percentage:>3.0f}%",
        TimeElapsedColumn(), console=err, disable=not err.is_terminal, transient=True,
    )  # fmt: skip
    task_id = bar.add_task("export", total=1.0)

    def on_progress(fraction: float) -> None:  # from the export's thread, once it has lasted a moment
        if not bar.live.is_started:
            bar.start()
        bar.update(task_id, completed=fraction)

    try:
        done = export_table(
            _reading_store(settings, snapshot), table, format, out_dir,
            since.date() if since else None, until.date() if until else None, on_progress,
        )  # fmt: skip
    except VeilleError as exc:
        raise fail(exc) from exc
    finally:
        if bar.live.is_started:
            bar.stop()
    out.print(
        Text(f"veille: exported {done.rows} rows of {done.table} in {done.files} file(s) to {done.path}"),
        soft_wrap=True,
    )


@app.command()
def report(
    out_file: Annotated[
        Path, typer.Option("--out", metavar="FILE", help="HTML file to write (replaced whole).")
    ],
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, help="Only the last N days (publication days; rejects by their day)."),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    snapshot: Annotated[bool, typer.Option("--snapshot", help="Read the snapshot.")] = False,
) -> None:
    """Write one self-contained HTML page of charts: coverage per day and source, the largest
    stories, wire share, authors, rejects and duplicates.

    Reads like veille query (the snapshot when the service holds the database) and never
    migrates it: sections a database at an older schema cannot answer say so."""
    settings = _settings(config, db)
    if out_file.is_dir():
        raise fail(f"--out {out_file} is a folder: name the HTML file to write", EXIT_USAGE)
    from flows.report import write_report  # plotly: only for this command

    try:
        done = write_report(_reading_store(settings, snapshot), out_file, days)
    except VeilleError as exc:
        raise fail(exc) from exc
    out.print(Text(done.line()), soft_wrap=True)


@app.command()
def extract(
    paths: Annotated[list[Path], typer.Argument(help="Files to extract.")],
    format: Annotated[ExtractFormat, typer.Option("--format", help="Output format.")] = (ExtractFormat.json),
    config: ConfigOption = None,
    topic: Annotated[Path | None, typer.Option(help="Topic profile TOML.")] = None,
    db: DbOption = None,
) -> None:
    """Show what the pipeline would keep from each input, without storing anything,
    and the stored story each kept input would join (if the database exists)."""
    settings = _settings(config, db, **{"topic.profile": topic})
    refs = list(files.discover_inputs(paths, settings))
    # In a worker process, so that an input over its time budget is stopped
    # (and reported) like in a run.
    with WorkerPool(1, settings.topic.profile, work=describe_items) as pool:
        results = [
            describe(item, settings) if isinstance(item, Rejected) else item
            for item in pool.run(refs, settings).outcomes
        ]
    _would_join(results, settings)
    if format is ExtractFormat.jsonl:
        for record in results:
            sys.stdout.write(json.dumps(record, ensure_ascii=False, default=jsonable) + "\n")
    else:
        sys.stdout.write(json.dumps(results, ensure_ascii=False, indent=2, default=jsonable) + "\n")


def _would_join(records: list[dict[str, Any]], settings: Settings) -> None:
    """Set each kept record's "story" to the stored story it would join
    (storage/stories.py), read only: the live database, or its snapshot while
    the service holds it. None when there is no database or no such story."""
    kept = [r for r in records if r.get("verdict") == "kept"]
    if not kept or not settings.storage.db.exists():
        return
    try:
        with _reading_store(settings, snapshot=False).connect(read_only=True) as con:
            for r in kept:
                at = r.get("published_at") or datetime.now(UTC)
                match = would_join(con, r.get("title"), r.get("body") or "", at, settings.stories)
                r["story"] = match.as_dict() if match else None
    except StoreError as exc:
        err.print(f"veille: stories not looked up: {escape(str(exc))}", highlight=False)


def _stop_exit_code(signal_name: str) -> int:
    """How `veille serve` exits when stopped: Ctrl-C as an interrupt, SIGTERM
    (and an end of its own) as a normal stop."""
    return EXIT_INTERRUPTED if signal_name == "SIGINT" else EXIT_OK


class _StoppedEarly(KeyboardInterrupt):
    """SIGTERM before the service's own signal handlers are in place."""


def _stop_early(signum: int, frame: Any) -> None:
    raise _StoppedEarly()


@app.command()
def serve(
    config: ConfigOption = None,
    db: DbOption = None,
    watch: WatchOption = None,
    dask: DaskOption = None,
) -> None:
    """Run scheduled ingestion: register Prefect deployments and serve them until stopped.

    Uses the Prefect server of PREFECT_API_URL, else a local one on 127.0.0.1:4200
    (started if none is running). Ctrl-C or SIGTERM stops; schedules stay active."""
    settings = _settings(config, db, **_executor(dask))
    watch = watch or settings.watch.folder
    if not settings.feeds and watch is None:
        raise fail("nothing to serve: no [[feeds]] in the configuration and no --watch folder", EXIT_USAGE)
    _check_cluster(settings)
    lock = RunLock(settings.storage.db, kind="serve")
    try:
        Store.for_settings(settings.storage).ensure()
        lock.acquire(0)
    except RunLockTimeout as exc:
        raise fail(f"another veille serve is serving this database: {exc}", exit_code(exc)) from exc
    except StoreError as exc:
        raise fail(exc) from exc
    _prefect_defaults()
    t0 = time.monotonic()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        # Until the service's own handlers are in place, SIGTERM stops it as Ctrl-C does.
        signal.signal(signal.SIGTERM, _stop_early)
        from flows.service import prefect_api
        from flows.service import serve as serve_deployments

        with prefect_api(log=lambda m: err.print(m, highlight=False, markup=False)) as api:
            err.print(f"Prefect API: {api}", highlight=False, markup=False)
            stopped = serve_deployments(settings, watch, log=lambda m: err.print(m, markup=False))
            # stopping the local server, if we started it, must not be cut short
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
    except KeyboardInterrupt as exc:
        name = "SIGTERM" if isinstance(exc, _StoppedEarly) else "SIGINT"
        err.print(f"Stopped by {name} in {time.monotonic() - t0:.1f} s, before serving anything.")
        raise typer.Exit(_stop_exit_code(name)) from None
    except SettingsError as exc:
        raise fail(exc) from exc
    except Exception as exc:  # noqa: BLE001 - Prefect's errors: one line, not a traceback
        message = str(exc) if isinstance(exc, RuntimeError) else f"{type(exc).__name__}: {exc}"
        raise fail(message, EXIT_FAILED) from exc
    finally:
        lock.release()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    err.print(stopped.line(), highlight=False)
    raise typer.Exit(_stop_exit_code(stopped.signal))


@app.command()
def deploy(
    pool: Annotated[
        str,
        typer.Option(
            "--pool", metavar="NAME", help="Prefect work pool, of type process (created if missing)."
        ),
    ],
    config: ConfigOption = None,
    db: DbOption = None,
    watch: WatchOption = None,
    dask: DaskOption = None,
) -> None:
    """Register the deployments `veille serve` serves to a Prefect work pool instead.

    `prefect worker start --pool NAME`, on any host with Veille installed that
    sees the database's path, then runs them. Uses the Prefect server of
    PREFECT_API_URL, else one already running on 127.0.0.1:4200."""
    settings = _settings(config, db, **_executor(dask))
    watch = watch or settings.watch.folder
    if not settings.feeds and watch is None:
        raise fail("nothing to deploy: no [[feeds]] in the configuration and no --watch folder", EXIT_USAGE)
    _prefect_defaults()
    from flows.service import deploy as deploy_deployments
    from flows.service import existing_api

    api = existing_api()
    if api is None:
        raise fail("no Prefect server: set PREFECT_API_URL, or start one (prefect server start)")
    try:
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: api}):
            names = deploy_deployments(settings, pool, watch)
    except SettingsError as exc:
        raise fail(exc) from exc
    except Exception as exc:  # noqa: BLE001 - Prefect's errors: one line, not a traceback
        raise fail(f"{type(exc).__name__}: {exc}", EXIT_FAILED) from exc
    err.print(f"Registered {len(names)} deployment(s) to work pool {pool!r} on {api}: {', '.join(names)}",
              highlight=False, markup=False)  # fmt: skip
    err.print(f"Start a worker for them: prefect worker start --pool {pool}", highlight=False, markup=False)


def main() -> None:
    atexit.register(mark, "exit")  # registered first: run last, after the server has stopped
    try:
        app()
    finally:
        # What is left is exit: Prefect sends its last logs, then a temporary
        # server stops. A second Ctrl-C must not cut that short (a server left
        # running, a traceback from a half-sent log); it lasts a moment.
        signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":
    main()
