"""The `veille` command line.

Commands keep the names promised to users (README): `ingest`, `query`,
`extract`. Expected failures (bad configuration, a database that cannot be
opened) end with one line on stderr and a non-zero exit, not a traceback.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import uuid
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from extractors import files
from extractors.parallel import WorkerPool
from extractors.pipeline import extract as extract_document
from extractors.pipeline import verdict
from extractors.records import Rejected
from extractors.settings import Feed, Settings, SettingsError, load
from extractors.topic import ProfileError, load_profile
from flows.prefect_server import TemporaryServer, startup_timeout
from storage.locks import RunLock, RunLockTimeout
from storage.store import Store, StoreError, StoreLocked

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
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="TOML settings file (see veille.toml).")
]


class QueryFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class ExtractFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]veille: error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _settings(config: Path | None, db: Path | None, **overrides: Any) -> Settings:
    try:
        settings = load(config).replace(db=db, **overrides)
        load_profile(settings.topic_profile)  # fail now, not in a worker
        return settings
    except (SettingsError, ProfileError) as exc:
        raise fail(str(exc), 2) from exc


def _prefect_defaults() -> None:
    """Environment defaults for Prefect, set before it is imported; the user's own win.
    No analytics (no internet here, nor at many users' sites), and time for the
    temporary server to start on a busy machine (Prefect's default is 20 s)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or directories (recursive).")
    ] = None,
    feed: Annotated[
        list[str] | None, typer.Option("--feed", help="RSS/Atom feed URL (repeatable).")
    ] = None,
    url: Annotated[
        list[str] | None, typer.Option("--url", help="Article page URL (repeatable).")
    ] = None,
    sitemap: Annotated[
        list[str] | None, typer.Option("--sitemap", help="(News) sitemap URL (repeatable).")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    workers: Annotated[
        int | None, typer.Option(help="Processes for extraction (default: CPU count).")
    ] = None,
    topic: Annotated[Path | None, typer.Option(help="Topic profile TOML.")] = None,
) -> None:
    """Ingest files, feeds, sitemaps and article URLs through the Prefect flow.

    With no input named, polls the feeds listed in the --config file."""
    settings = _settings(config, db, workers=workers, topic_profile=topic)
    sources = [Feed(name=u, url=u) for u in feed or []]
    sources += [Feed(name=u, url=u, kind="sitemap") for u in sitemap or []]
    if not (paths or sources or url):
        sources = list(settings.feeds)
    if not (paths or sources or url):
        raise fail("nothing to ingest: name files, --feed, --url or --sitemap, "
                   "or a --config listing [[feeds]]", 2)  # fmt: skip
    locations = [ref.location for ref in files.discover(paths or [])]
    if paths and not (sources or url):
        done = _nothing_new(settings, locations)
        if done is not None:
            _print_summary(done)
            return
    _prefect_defaults()
    # Start what takes longest first: Prefect's server (when none is set), then
    # the worker processes; both come up while Prefect and the flow are imported.
    # Workers only when there may be more than one chunk: a few files are judged
    # in this process.
    server = None if os.environ.get("PREFECT_API_URL") else TemporaryServer(startup_timeout())
    several_chunks = bool(sources or url) or len(locations) > settings.chunk_size
    pool = (
        WorkerPool(settings.workers, settings.topic_profile)
        if settings.workers > 1 and several_chunks
        else None
    )
    try:
        summary = _run_ingest(settings, paths or [], sources, list(url or []), pool, server)
    finally:
        if pool is not None:
            pool.close()
    _print_summary(summary)
    if summary["status"] != "completed":
        raise fail(f"run {summary['status']}: {summary['error']}")


def _nothing_new(settings: Settings, locations: list[str]) -> dict[str, Any] | None:
    """When every one of these local inputs already has its outcome, record
    the run (all skipped) and return its summary, without starting Prefect or
    any worker: a folder ingested again costs a moment, not a Prefect server
    start. None when there is something to do, or when the database or the
    run lock is held (the flow then handles it: it waits, skips or defers)."""
    store = Store(settings.db, lock_timeout=2.0)
    if not locations or not store.path.exists():
        return None
    lock = RunLock(settings.db)
    try:
        lock.acquire(0)
    except (RunLockTimeout, StoreError):
        return None
    try:
        if len(store.settled(locations)) < len(locations):
            return None
        run_id = uuid.uuid4().hex[:12]
        counts = {"inputs": len(locations), "stored": 0, "duplicates": 0, "rejected": 0,
                  "skipped": len(locations)}  # fmt: skip
        store.begin_run(run_id, None, close_stale=True)  # we hold the run lock
        store.finish_run(run_id, "completed", counts)
    except StoreError:
        return None
    finally:
        lock.release()
    err.print(f"veille: nothing new in {len(locations)} inputs: run {run_id} recorded without Prefect")
    return {"run_id": run_id, "status": "completed", "error": None, **counts, "db": str(settings.db),
            "rejects_by_reason": {}, "duplicates_by_kind": {}, "feeds": []}  # fmt: skip


def _run_ingest(
    settings: Settings,
    paths: list[Path],
    sources: list[Feed],
    urls: list[str],
    pool: WorkerPool | None,
    server: TemporaryServer | None,
) -> dict[str, Any]:
    from prefect.settings import PREFECT_API_URL, temporary_settings  # slow import: only here

    from flows.ingest import prestarted, progress_hook, run_ingest

    try:
        api = {PREFECT_API_URL: server.wait()} if server else {}
    except RuntimeError as exc:
        raise fail(str(exc)) from exc

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
        else:
            bar.advance(task_id, amount)

    try:
        Store(settings.db, settings.lock_timeout_seconds).ensure()
        with temporary_settings(api), bar, progress_hook(on_progress), prestarted(pool):
            return run_ingest(settings, paths=[str(p) for p in paths], feeds=sources, urls=urls)
    except StoreError as exc:
        raise fail(str(exc)) from exc


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table(title=f"Run {summary['run_id']} → {summary['db']}", show_header=True)
    table.add_column("outcome")
    table.add_column("count", justify="right")
    for key in ("inputs", "stored", "duplicates", "rejected", "skipped"):
        table.add_row(key, str(summary[key]))
    for kind, n in sorted(summary["duplicates_by_kind"].items()):
        table.add_row(f"  duplicates: {kind}", str(n))
    for reason, n in sorted(summary["rejects_by_reason"].items()):
        table.add_row(f"  rejected: {reason}", str(n))
    out.print(table)
    if summary["feeds"]:
        feeds = Table("feed", "status", "HTTP", "entries", "new", "error", title="Feeds")
        for f in summary["feeds"]:
            feeds.add_row(f["name"] or f["url"], f["status"], str(f["http_status"] or ""),
                          str(f["entries"]), str(f["new"]), f["error"] or "")  # fmt: skip
        out.print(feeds)


def _reading_store(settings: Settings, snapshot: bool) -> Store:
    """The live database, or its snapshot when asked or when the live file is
    busy: a query never makes the service wait more than a moment."""
    live = Store(settings.db, lock_timeout=2.0)
    snap = Store(live.snapshot_path())
    if snapshot:
        return snap
    if snap.path.exists():
        try:
            with live.connect(read_only=True):
                return live
        except StoreLocked:
            mtime = datetime.fromtimestamp(snap.path.stat().st_mtime).isoformat(timespec="seconds")
            err.print(f"veille: {settings.db} is busy; reading the snapshot of {mtime}", soft_wrap=True)
            return snap
    return live


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run, read-only.")],
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[QueryFormat, typer.Option("--format", help="Output format.")] = (
        QueryFormat.table
    ),
    snapshot: Annotated[
        bool, typer.Option("--snapshot", help="Read the snapshot published after the last run.")
    ] = False,
) -> None:
    """Run read-only SQL on the database."""
    settings = _settings(config, db)
    try:
        columns, rows = _reading_store(settings, snapshot).query(sql)
    except StoreError as exc:
        raise fail(str(exc)) from exc
    _print_rows(columns, rows, format)


def _print_rows(columns: list[str], rows: list[tuple], format: QueryFormat) -> None:
    if format is QueryFormat.json:
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2, default=_jsonable) + "\n")
    elif format is QueryFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        table = Table(*columns, show_lines=False)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        out.print(table)


STATUS_SQL = """
SELECT f.name, f.url, f.kind, f.last_polled_at, f.last_status, f.last_http_status,
       f.consecutive_failures, f.failing, f.last_error, f.entries_seen,
       count(a.article_id) FILTER (WHERE a.ingested_at >= now() - INTERVAL 1 DAY) AS articles_day,
       count(a.article_id) FILTER (WHERE a.ingested_at >= now() - INTERVAL 7 DAY) AS articles_week,
       count(a.article_id) AS articles_total
FROM feeds f LEFT JOIN articles a ON a.feed_url = f.url
GROUP BY ALL ORDER BY f.consecutive_failures DESC, f.name
"""


@app.command()
def status(
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[QueryFormat, typer.Option("--format", help="Output format.")] = (
        QueryFormat.table
    ),
    snapshot: Annotated[bool, typer.Option("--snapshot", help="Read the snapshot.")] = False,
) -> None:
    """Feed health: last poll, status, consecutive failures, articles in the last day and week."""
    settings = _settings(config, db)
    store = _reading_store(settings, snapshot)
    try:
        columns, rows = store.query(STATUS_SQL)
        runs = store.query(
            "SELECT run_id, status, started_at, finished_at, stored, duplicates, rejected "
            "FROM runs ORDER BY started_at DESC LIMIT 5"
        )
    except StoreError as exc:
        raise fail(str(exc)) from exc
    _print_rows(columns, rows, format)
    if format is QueryFormat.table:
        _print_rows(*runs, format)


@app.command()
def extract(
    paths: Annotated[list[Path], typer.Argument(help="Files to extract.")],
    format: Annotated[ExtractFormat, typer.Option("--format", help="Output format.")] = (
        ExtractFormat.json
    ),
    config: ConfigOption = None,
    topic: Annotated[Path | None, typer.Option(help="Topic profile TOML.")] = None,
) -> None:
    """Show what the pipeline would keep from each input, without storing anything."""
    settings = _settings(config, None, topic_profile=topic)
    results = []
    for ref in files.discover(paths):
        for item in files.read(ref, settings.max_bytes):
            results.append(_extraction_record(item, settings))
    if format is ExtractFormat.jsonl:
        for record in results:
            sys.stdout.write(json.dumps(record, ensure_ascii=False, default=_jsonable) + "\n")
    else:
        sys.stdout.write(json.dumps(results, ensure_ascii=False, indent=2, default=_jsonable) + "\n")


def _extraction_record(item: Any, settings: Settings) -> dict[str, Any]:
    if isinstance(item, Rejected):
        return {"location": item.location, "verdict": f"rejected: {item.reason}", "detail": item.detail}
    ex = extract_document(item, settings)
    rejected = verdict(ex, settings)
    return {
        "location": ex.location,
        "url": ex.url,
        "verdict": f"rejected: {rejected.reason}" if rejected else "kept",
        "title": ex.title,
        "body": ex.body,
        "published_at": ex.published.value if ex.published else None,
        "date_precision": ex.published.precision.value if ex.published else None,
        "date_source": ex.published.source if ex.published else None,
        "source": ex.source,
        "source_domain": ex.source_domain,
        "language": ex.language,
        "language_probability": ex.language_probability,
        "topic_score": ex.topic_score,
        "topic_terms": ex.topic_terms,
        "removed": [{"rule": rule, "line": line} for rule, line in ex.removed],
    }


@app.command()
def serve(
    config: ConfigOption = None,
    db: DbOption = None,
    watch: Annotated[
        Path | None, typer.Option(help="Folder to watch for new files (default: [watch] folder).")
    ] = None,
) -> None:
    """Run scheduled ingestion: register Prefect deployments and serve them until stopped.

    Uses the Prefect server of PREFECT_API_URL, else a local one on 127.0.0.1:4200
    (started if none is running). Ctrl-C or SIGTERM stops; schedules stay active."""
    settings = _settings(config, db)
    watch = watch or settings.watch_folder
    if not settings.feeds and watch is None:
        raise fail("nothing to serve: no [[feeds]] in the configuration and no --watch folder", 2)
    try:
        Store(settings.db, settings.lock_timeout_seconds).ensure()
    except StoreError as exc:
        raise fail(str(exc)) from exc
    _prefect_defaults()
    from flows.service import prefect_api
    from flows.service import serve as serve_deployments

    try:
        with prefect_api(log=lambda m: err.print(m, highlight=False)) as api:
            err.print(f"Serving Veille deployments on {api}", highlight=False)
            serve_deployments(settings, watch)
    except KeyboardInterrupt:
        err.print("Stopped; schedules stay active for the next start.")
    except RuntimeError as exc:
        raise fail(str(exc)) from exc


def main() -> None:
    app()


if __name__ == "__main__":
    main()
