"""The DuckDB store: the one writer, and read-only queries.

DuckDB lets one process open a file for writing and, while it does, no other
process can open it at all. So a connection is held only for the length of
one batch: open, write in one transaction, close. An open that meets another
process's lock waits (bounded, with backoff) and then fails with `StoreLocked`
naming the holder, the one transient `StoreError` (extractors.core.errors); the
caller decides whether to retry later.

Every outcome is written once. An input whose location already has a final
outcome (stored, duplicate, or a rejection that will not change) is skipped,
so re-running over the same inputs adds nothing and records nothing new.

Files are written in a storage format older DuckDB clients read (`[storage]
storage_version`, v1.2.0 by default): the duckdb library that writes them
(2.0) would otherwise use its own format, which the CLI, DBeaver or R on a
1.x release refuse ("version number 69, but we can only read versions
between 64 and 68"). A new file and every snapshot take that format; an
existing file keeps the one it has until `convert` rewrites it.

Closing a writable connection does not checkpoint: a batch's commit stays in
the write-ahead log (`<db>.wal`, which DuckDB replays on open, 1.x clients
included) until the log passes DuckDB's `checkpoint_threshold` (16 MiB), a
run finishes (`finish_run`), or a snapshot is taken. In the formats 1.x
clients read, a checkpoint costs more the larger the indexes of the tables
written (the primary and unique keys of `articles`, `article_minhash`,
`stories`): 1.2-2 s with 100,000 articles stored, five to eight times the
rest of a batch of 200, which DuckDB's default checkpoint on close made every
batch pay (benchmarks/lookup.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from extractors.core import urls
from extractors.core.errors import TerminalError, TransientError, VeilleError
from extractors.core.records import (
    Candidate,
    Duplicate,
    FeedPoll,
    FeedState,
    Outcome,
    PublicationDate,
    Rejected,
    RejectReason,
    RunStatus,
)
from extractors.core.settings import StorageSettings, StoriesSettings
from extractors.dedup import fingerprint
from extractors.dedup.decision import article_id, decide
from storage import stories
from storage.schema import LATEST, MIGRATIONS

RETRYABLE = tuple(r.value for r in RejectReason if r.retryable)
DEFAULT_STORAGE_VERSION = StorageSettings().storage_version
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (.+?)(?:\. See|\. However|$)", re.S)


class StoreError(VeilleError):
    """The database cannot be opened, read or written. The message says why.

    Terminal (`transient` is False: a path that cannot be written, a corrupt
    file, a schema newer than this release) except in `StoreLocked`, which
    callers catching `StoreError` catch with the rest."""


class StoreLocked(StoreError, TransientError):
    """Another process holds the database file: transient, it lets go sooner or later."""


class QueryRefused(StoreError, TerminalError):
    """SQL that `Store.query` does not run: empty, several statements, or one
    that would write, reach files other than the database or the network, or
    change settings. The message says which, in one line."""


# The kinds of statement `Store.query` runs: they read. `PRAGMA` and `CALL`
# include a few that would change settings (`PRAGMA enable_profiling`,
# `CALL enable_logging()`): the sandbox's locked configuration refuses those.
READING_STATEMENTS = frozenset(
    {
        duckdb.StatementType.SELECT,  # also DESCRIBE, SHOW, SUMMARIZE, FROM …, VALUES …
        duckdb.StatementType.EXPLAIN,
        duckdb.StatementType.PRAGMA,  # table_info, database_size, version…
        duckdb.StatementType.CALL,  # pragma_version(), duckdb_tables()…
    }
)
_WHY_REFUSED = {
    duckdb.StatementType.COPY: "writes files",
    duckdb.StatementType.EXPORT: "writes files",
    duckdb.StatementType.COPY_DATABASE: "writes to another database",
    duckdb.StatementType.ATTACH: "opens other databases",
    duckdb.StatementType.DETACH: "changes the attached databases",
    duckdb.StatementType.LOAD: "installs or loads extensions",
    duckdb.StatementType.SET: "changes settings",
    duckdb.StatementType.VARIABLE_SET: "changes settings",
}
# Statements DuckDB rewrites into a PRAGMA (`COPY FROM DATABASE a TO b`, `IMPORT DATABASE`).
_WHY_REFUSED_KEYWORD = {"COPY": "copies data out of the database", "IMPORT": "changes the database"}
_EXPORT_HINT = "veille query only reads its database (to write data out, use `veille export`)"
# A connection for SQL the user wrote: no file but its database, no network
# (so no ATTACH, COPY TO, read_csv of other files, INSTALL), and settings
# locked, so that no SET undoes this. DuckDB's refusals then say:
_SANDBOX = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "lock_configuration": True,
}
_SANDBOX_REFUSALS = ("file system operations are disabled", "external extensions is disabled",
                     "configuration has been locked")  # fmt: skip


def reading_statement(sql: str) -> duckdb.Statement:
    """The one reading statement in `sql`, else `QueryRefused`. `sql` that does
    not parse is a `StoreError` with DuckDB's message."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise StoreError(str(exc)) from exc
    if not statements:
        raise QueryRefused("no SQL statement to run: the SQL is empty or only comments")
    if len(statements) > 1:
        raise QueryRefused(f"{len(statements)} SQL statements given: queries run one at a time")
    (statement,) = statements
    words = statement.query.upper().split(None, 2)
    keyword = " ".join(words[:2] if words[:1] == ["FORCE"] else words[:1])
    if statement.type in READING_STATEMENTS and keyword not in _WHY_REFUSED_KEYWORD:
        return statement
    why = _WHY_REFUSED.get(statement.type) or _WHY_REFUSED_KEYWORD.get(keyword, "changes the database")
    raise QueryRefused(f"{keyword} refused: it {why}; {_EXPORT_HINT}")


_HELD_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGTERM and SIGINT arriving while a writable connection is in use take
    effect once the work on it is done (before it is closed, which still
    happens). A signal handler that raises inside a DuckDB
    statement becomes DuckDB's "Query interrupted" error instead of the
    handler's own exception (a stopped run would look failed, not stopped);
    a write is short, so the signal waits for it. Main thread only: Python
    runs signal handlers there. Nested holds deliver to the outer one: a
    caller that must also count what was written holds them around both."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[tuple[int, Any]] = []
    previous = {sig: signal.getsignal(sig) for sig in _HELD_SIGNALS}
    for sig in _HELD_SIGNALS:
        signal.signal(sig, lambda signum, frame: received.append((signum, frame)))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum, frame in received:
            handler = previous[signum]
            if callable(handler):
                handler(signum, frame)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


@dataclass(frozen=True, slots=True)
class StoredArticle:
    article_id: str
    location: str
    url: str
    title: str | None
    source: str | None
    published_at: datetime | None


@dataclass(slots=True)
class BatchReport:
    stored: list[StoredArticle] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class NewArticle:
    """A candidate about to become a row of `articles`."""

    candidate: Candidate
    url_key: str
    ingested_at: datetime
    run_id: str
    story_id: str | None = None

    @property
    def article_id(self) -> str:
        return article_id(self.url_key)


def _published(row: NewArticle) -> PublicationDate | None:
    return row.candidate.published


# The `articles` table, column by column: its SQL type and its value for a new
# article. The insert is built from this map, and a test checks that the table
# and the map agree: adding a column is a migration, a field of `Extraction`
# and a line here.
ARTICLE_COLUMNS: dict[str, tuple[str, Callable[[NewArticle], Any]]] = {
    "article_id": ("VARCHAR", lambda r: r.article_id),
    "url": ("VARCHAR", lambda r: r.candidate.url),
    "url_key": ("VARCHAR", lambda r: r.url_key),
    "location": ("VARCHAR", lambda r: r.candidate.location),
    "source": ("VARCHAR", lambda r: r.candidate.source),
    "source_domain": ("VARCHAR", lambda r: r.candidate.source_domain),
    "title": ("VARCHAR", lambda r: r.candidate.title),
    "body": ("VARCHAR", lambda r: r.candidate.body),
    "language": ("VARCHAR", lambda r: r.candidate.language),
    "published_at": ("TIMESTAMPTZ", lambda r: p.value if (p := _published(r)) else None),
    "published_date": ("DATE", lambda r: p.value.date() if (p := _published(r)) else None),
    "date_precision": ("VARCHAR", lambda r: p.precision.value if (p := _published(r)) else None),
    "date_source": ("VARCHAR", lambda r: p.source if (p := _published(r)) else None),
    "ingested_at": ("TIMESTAMPTZ", lambda r: r.ingested_at),
    "content_hash": ("VARCHAR", lambda r: r.candidate.content_hash),
    "topic_score": ("DOUBLE", lambda r: r.candidate.topic_score),
    "word_count": ("INTEGER", lambda r: len(r.candidate.body.split())),
    "run_id": ("VARCHAR", lambda r: r.run_id),
    "location_key": ("VARCHAR", lambda r: urls.key(r.candidate.location)),
    "feed_url": ("VARCHAR", lambda r: r.candidate.feed_url),
    "truncated": ("BOOLEAN", lambda r: r.candidate.truncated),
    "authors": ("VARCHAR[]", lambda r: list(r.candidate.authors)),
    "wire_agencies": ("VARCHAR[]", lambda r: list(r.candidate.wire_agencies)),
    "wire_evidence": ("VARCHAR[]", lambda r: list(r.candidate.wire_evidence)),
    "source_raw": ("VARCHAR", lambda r: r.candidate.source_raw),
    "story_id": ("VARCHAR", lambda r: r.story_id),
}


@dataclass(frozen=True, slots=True)
class Conversion:
    """What `Store.convert` did. Formats are DuckDB's names for them
    ("v1.2.0+": read by DuckDB 1.2 and later)."""

    path: Path
    old_format: str
    new_format: str
    rows: dict[str, int] = field(default_factory=dict)  # per table, the same in both files
    backup: Path | None = None  # the old file, kept; None when nothing was converted

    @property
    def converted(self) -> bool:
        return self.backup is not None


class Store:
    def __init__(
        self, path: str | Path, lock_timeout: float = 30.0, storage_version: str = DEFAULT_STORAGE_VERSION
    ) -> None:
        """`storage_version`: the DuckDB format of the files this store creates
        (its database when new, its snapshots), "latest" for the library's own."""
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.storage_version = storage_version

    # -- connections -------------------------------------------------------

    @classmethod
    def for_settings(cls, storage: StorageSettings) -> Store:
        """The store that `[storage]` names."""
        return cls(storage.db, storage.lock_timeout_seconds, storage.storage_version)

    @contextmanager
    def connect(
        self, read_only: bool = False, sandboxed: bool = False
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection; a writable one is migrated to the latest schema.
        A `sandboxed` one is read-only, reaches no file but the database nor
        the network, and cannot change its settings: for SQL the user wrote."""
        read_only = read_only or sandboxed
        if read_only and not self.path.exists():
            raise StoreError(f"no database at {self.path} (run `veille ingest` first)")
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create {self.path.parent}: {exc.strerror}") from exc
        con = self._open(read_only, sandboxed=sandboxed)
        try:
            with nullcontext() if read_only else signals_held():
                if not read_only:
                    con.execute("PRAGMA disable_checkpoint_on_shutdown")  # see the module's docstring
                    self._migrate(con)
                yield con
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from exc
        finally:
            con.close()

    def _open(
        self, read_only: bool, threads: int | None = 1, sandboxed: bool = False
    ) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.05
        # The writer runs beside the extraction workers: one DuckDB thread
        # (`threads`) is enough for its small transactions and leaves the CPUs
        # to them. Readers (analysts' queries) get all threads. The storage
        # version only applies to a file this creates: DuckDB opens an
        # existing file in the format it has, whatever the setting says.
        config: dict[str, Any] = {}
        if not read_only:
            config["storage_compatibility_version"] = self.storage_version
            if threads:
                config["threads"] = threads
        if sandboxed:
            config.update(_SANDBOX)
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only, config=config)
            except duckdb.IOException as exc:
                message = str(exc)
                if "lock" not in message.lower():
                    raise StoreError(f"cannot open {self.path}: {message}") from exc
                if time.monotonic() >= deadline:
                    holder = _LOCK_HOLDER.search(message)
                    who = holder.group(1).strip() if holder else "another process"
                    raise StoreLocked(
                        f"{self.path} is locked by {who}; gave up after {self.lock_timeout:g}s"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            except duckdb.Error as exc:
                raise StoreError(f"cannot open {self.path}: {self._format_problem(exc)}") from exc

    def _format_problem(self, exc: duckdb.Error) -> str:
        """DuckDB's message, shortened when it is about an unknown storage version
        (DuckDB lists every version it knows, some seventy)."""
        if "not a known DuckDB version" in str(exc):
            return (
                f"storage_version {self.storage_version!r} is not a DuckDB version that "
                f"duckdb {duckdb.__version__} knows (v1.2.0, v1.5.0, latest...)"
            )
        return str(exc)

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = con.execute("SELECT max(version) FROM schema_version").fetchone()
        current = (row[0] if row else None) or 0
        if current > LATEST:
            raise StoreError(f"{self.path} has schema version {current}, newer than this release ({LATEST})")
        for version in range(current + 1, LATEST + 1):
            con.begin()
            con.execute(MIGRATIONS[version - 1])
            con.execute("INSERT INTO schema_version VALUES (?)", [version])
            con.commit()
        if current < LATEST:
            con.execute("CHECKPOINT")  # a new or migrated file is whole, its log empty

    def ensure(self) -> None:
        """Create or migrate the database now, so that a path that cannot be
        written fails before any work starts."""
        with self.connect():
            pass

    def schema_version(self) -> int:
        with self.connect(read_only=True) as con:
            row = con.execute("SELECT max(version) FROM schema_version").fetchone()
            return int(row[0]) if row and row[0] else 0

    # -- runs ----------------------------------------------------------------

    def begin_run(self, run_id: str, flow_run_id: str | None, close_stale: bool = False) -> None:
        """Record the start of a run (`running`). With `close_stale` (the caller
        holds the run lock, so no other run is alive) runs still marked running
        were killed: they become `crashed`."""
        with self.connect() as con:
            if close_stale:
                con.execute(
                    "UPDATE runs SET status = ?, finished_at = ? WHERE status = ?",
                    [RunStatus.CRASHED.value, datetime.now(UTC), RunStatus.RUNNING.value],
                )
            con.execute(
                "INSERT INTO runs (run_id, flow_run_id, started_at, status) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [run_id, flow_run_id, datetime.now(UTC), RunStatus.RUNNING.value],
            )

    def finish_run(
        self,
        run_id: str,
        status: RunStatus | str,
        counts: dict[str, int],
        error: str | None = None,
        stage_seconds: dict[str, float] | None = None,
    ) -> None:
        """Record how a run ended (a `RunStatus`, or its text: nothing else is accepted)."""
        status = RunStatus(status)
        with self.connect() as con:
            con.execute(
                "UPDATE runs SET finished_at = ?, status = ?, inputs = ?, stored = ?, "
                "duplicates = ?, rejected = ?, skipped = ?, error = ?, stage_seconds = ? "
                "WHERE run_id = ?",
                [
                    datetime.now(UTC),
                    status.value,
                    counts.get("inputs", 0),
                    counts.get("stored", 0),
                    counts.get("duplicates", 0),
                    counts.get("rejected", 0),
                    counts.get("skipped", 0),
                    error,
                    json.dumps({k: round(v, 4) for k, v in (stage_seconds or {}).items()}),
                    run_id,
                ],
            )
            con.execute("CHECKPOINT")  # a finished run leaves the file whole, its log empty

    # -- outcomes --------------------------------------------------------------

    @staticmethod
    def _settled(con: duckdb.DuckDBPyConnection, locations: Sequence[str]) -> set[str]:
        if not locations:
            return set()
        by_key = {urls.key(loc): loc for loc in locations}
        rows = con.execute(
            """
            WITH q AS (SELECT unnest(?::VARCHAR[]) AS k)
            SELECT k FROM q WHERE k IN (SELECT location_key FROM articles)
               OR k IN (SELECT url_key FROM articles)
               OR k IN (SELECT location_key FROM duplicates)
               OR k IN (SELECT location_key FROM rejects
                        WHERE NOT list_contains(?::VARCHAR[], reason))
            """,
            [list(by_key), list(RETRYABLE)],
        ).fetchall()
        settled_keys = {r[0] for r in rows}
        return {loc for loc in locations if urls.key(loc) in settled_keys}

    def settled(self, locations: Sequence[str]) -> set[str]:
        """The locations that already have a final outcome (not to be processed again)."""
        if not locations or not self.path.exists():
            return set()
        with self.connect() as con:
            return self._settled(con, locations)

    def write_batch(
        self,
        run_id: str,
        outcomes: Sequence[Outcome],
        near_threshold: float = 0.6,
        story_settings: StoriesSettings | None = None,
    ) -> BatchReport:
        """Deduplicate the candidates against the store and each other, place
        the new articles in stories (a duplicate joins none), and record every
        outcome, in one transaction."""
        report = BatchReport()
        if not outcomes:
            return report
        now = datetime.now(UTC)
        with self.connect() as con:
            con.begin()
            settled = self._settled(con, [o.location for o in outcomes])
            fresh: list[Outcome] = []
            seen_here: set[str] = set()
            for o in outcomes:
                key = urls.key(o.location)
                if o.location in settled or key in seen_here:
                    report.skipped.append(o.location)
                else:
                    seen_here.add(key)
                    fresh.append(o)
            candidates = [o for o in fresh if isinstance(o, Candidate)]
            report.rejected = [o for o in fresh if isinstance(o, Rejected)]
            stored, duplicates = decide(_SqlIndex(con), candidates, near_threshold)
            keys = [urls.key(c.url) for c in stored]
            ids = [article_id(k) for k in keys]
            plan = stories.place(con, list(zip(ids, stored, strict=True)), now,
                                 story_settings or StoriesSettings())  # fmt: skip
            story_of = {p.article_id: p.story_id for p in plan.placements}
            self._insert_articles(
                con,
                [
                    NewArticle(c, k, now, run_id, story_of.get(i))
                    for c, k, i in zip(stored, keys, ids, strict=True)
                ],
            )
            stories.record(con, plan, now)
            report.stored = [
                StoredArticle(
                    i, c.location, c.url, c.title, c.source, c.published.value if c.published else None
                )
                for i, c in zip(ids, stored, strict=True)
            ]
            report.duplicates = duplicates
            self._insert_duplicates(con, run_id, now, duplicates)
            self._upsert_rejects(con, run_id, now, report.rejected)
            done = [urls.key(c.location) for c in stored] + [urls.key(d.location) for d in duplicates]
            if done:
                con.execute("DELETE FROM rejects WHERE location_key IN (SELECT unnest(?))", [done])
            con.commit()
        return report

    @staticmethod
    def _insert_articles(con: duckdb.DuckDBPyConnection, rows: list[NewArticle]) -> None:
        if not rows:
            return
        stored = [r.candidate for r in rows]
        ids = [r.article_id for r in rows]
        names = list(ARTICLE_COLUMNS)
        values = ", ".join(f"unnest(${i}::{ARTICLE_COLUMNS[n][0]}[])" for i, n in enumerate(names, 1))
        con.execute(
            f"INSERT INTO articles ({', '.join(names)}) SELECT {values}",
            [[ARTICLE_COLUMNS[n][1](r) for r in rows] for n in names],
        )
        con.execute(
            "INSERT INTO article_minhash SELECT unnest($1), unnest($2::UBIGINT[][])",
            [ids, [list(c.minhash) for c in stored]],
        )
        band_ids, buckets, owners = [], [], []
        for aid, c in zip(ids, stored, strict=True):
            for band, bucket in enumerate(fingerprint.bands(c.minhash)):
                band_ids.append(band)
                buckets.append(bucket)
                owners.append(aid)
        con.execute(
            "INSERT INTO minhash_bands SELECT unnest($1::SMALLINT[]), unnest($2::BIGINT[]), unnest($3)",
            [band_ids, buckets, owners],
        )

    @staticmethod
    def _insert_duplicates(
        con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, dups: list[Duplicate]
    ) -> None:
        if not dups:
            return
        con.execute(
            "INSERT INTO duplicates (location, url, duplicate_of, kind, similarity, detected_at, "
            "run_id, location_key, feed_url) SELECT unnest($1), unnest($2), unnest($3), "
            "unnest($4), unnest($5::DOUBLE[]), $6, $7, unnest($8::VARCHAR[]), unnest($9::VARCHAR[])",
            [
                [d.location for d in dups],
                [d.url for d in dups],
                [d.duplicate_of for d in dups],
                [d.kind.value for d in dups],
                [d.similarity for d in dups],
                now,
                run_id,
                [urls.key(d.location) for d in dups],
                [d.feed_url for d in dups],
            ],
        )

    @staticmethod
    def _upsert_rejects(
        con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, rejects: list[Rejected]
    ) -> None:
        if not rejects:
            return
        con.execute(
            """
            INSERT INTO rejects (location, reason, detail, rejected_at, attempts, run_id,
                location_key, feed_url)
            SELECT unnest($1), unnest($2), unnest($3), $4, 1, $5, unnest($6::VARCHAR[]),
                unnest($7::VARCHAR[])
            ON CONFLICT (location) DO UPDATE SET reason = excluded.reason,
                detail = excluded.detail, rejected_at = excluded.rejected_at,
                attempts = rejects.attempts + 1, run_id = excluded.run_id
            """,
            [
                [r.location for r in rejects],
                [r.reason.value for r in rejects],
                [r.detail for r in rejects],
                now,
                run_id,
                [urls.key(r.location) for r in rejects],
                [r.feed_url for r in rejects],
            ],
        )

    def retryable_pages(self, max_attempts: int, limit: int = 1000) -> list[tuple[str, str | None]]:
        """Web pages whose last failure was transient, to try again: (url, feed_url)."""
        if not self.path.exists():
            return []
        with self.connect() as con:
            return con.execute(
                "SELECT location, feed_url FROM rejects WHERE list_contains(?::VARCHAR[], reason) "
                "AND (location LIKE 'http://%' OR location LIKE 'https://%') AND attempts < ? "
                "ORDER BY rejected_at LIMIT ?",
                [list(RETRYABLE), max_attempts, limit],
            ).fetchall()

    # -- feeds -----------------------------------------------------------------

    def feed_states(self, feed_urls: Sequence[str]) -> dict[str, FeedState]:
        if not feed_urls or not self.path.exists():
            return {}
        with self.connect() as con:
            rows = con.execute(
                "SELECT url, etag, last_modified, content_hash, consecutive_failures FROM feeds "
                "WHERE url IN (SELECT unnest(?))",
                [list(feed_urls)],
            ).fetchall()
        return {r[0]: FeedState(*r) for r in rows}

    def record_polls(self, polls: Sequence[FeedPoll], failing_after: int = 5) -> list[str]:
        """Upsert each feed's polling state; return the feeds that are failing.

        A failure keeps the previous validators (ETag, Last-Modified) so the
        next poll stays conditional. A feed is marked `failing` once it has
        failed `failing_after` times in a row, until it succeeds again."""
        if not polls:
            return []
        now = datetime.now(UTC)
        with self.connect() as con:
            con.begin()
            for p in polls:
                failed = p.status.failed
                con.execute(
                    """
                    INSERT INTO feeds AS f (url, name, kind, title, etag, last_modified,
                        content_hash, last_polled_at, last_ok_at, last_status, last_http_status,
                        last_error, consecutive_failures, entries_seen, last_entries,
                        last_new_entries)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                    ON CONFLICT (url) DO UPDATE SET
                        name = coalesce(excluded.name, f.name),
                        kind = excluded.kind,
                        title = coalesce(excluded.title, f.title),
                        etag = CASE WHEN $17 THEN f.etag ELSE coalesce(excluded.etag, f.etag) END,
                        last_modified = CASE WHEN $17 THEN f.last_modified
                            ELSE coalesce(excluded.last_modified, f.last_modified) END,
                        content_hash = coalesce(excluded.content_hash, f.content_hash),
                        last_polled_at = excluded.last_polled_at,
                        last_ok_at = coalesce(excluded.last_ok_at, f.last_ok_at),
                        last_status = excluded.last_status,
                        last_http_status = excluded.last_http_status,
                        last_error = excluded.last_error,
                        consecutive_failures = CASE WHEN $17 THEN f.consecutive_failures + 1
                            ELSE 0 END,
                        entries_seen = f.entries_seen + excluded.last_new_entries,
                        last_entries = excluded.last_entries,
                        last_new_entries = excluded.last_new_entries,
                        failing = CASE WHEN $17 THEN f.consecutive_failures + 1 >= $18
                            ELSE false END
                    """,
                    [
                        p.url, p.name, p.kind, p.title, p.etag, p.last_modified, p.content_hash,
                        now, None if failed else now, p.status.value, p.http_status, p.error,
                        1 if failed else 0, p.new_entries, p.entries, p.new_entries, failed,
                        failing_after,
                    ],
                )  # fmt: skip
            failing = con.execute(
                "SELECT url FROM feeds WHERE failing AND url IN (SELECT unnest(?))",
                [[p.url for p in polls]],
            ).fetchall()
            con.commit()
        return [r[0] for r in failing]

    # -- snapshot --------------------------------------------------------------

    def snapshot_path(self) -> Path:
        return self.path.with_name(f"{self.path.stem}.snapshot{self.path.suffix or '.duckdb'}")

    def publish_snapshot(self) -> Path:
        """Copy the database to its snapshot file, atomically, in `storage_version`'s format.

        Analysts open the snapshot (read-only, for as long as they like)
        instead of the live file, whose lock would block the writer. The copy
        is taken while this process holds the write lock, right after a
        checkpoint, so it is consistent; `os.replace` swaps it in, so a reader
        sees the old snapshot or the new one, never half of one, and a session
        that still has the old file open keeps reading it undisturbed. When
        the live file has the configured format the copy is a file copy;
        when it has another (written before `convert`), the snapshot is
        rewritten in the configured format, so analysts' clients still open it.
        """
        target = self.snapshot_path()
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with self.connect() as con:
            con.execute("CHECKPOINT")
            try:
                _remove_database_file(tmp)
                if _file_format(con) == self._create_empty(con, tmp):
                    _remove_database_file(tmp)
                    shutil.copyfile(self.path, tmp)
                else:
                    self._copy_into(con, tmp)
                _fsync(tmp)
                os.replace(tmp, target)
            except OSError as exc:
                _remove_database_file(tmp)
                raise StoreError(f"cannot write snapshot {target}: {exc.strerror or exc}") from exc
            except BaseException:
                _remove_database_file(tmp)
                raise
        return target

    # -- storage format ----------------------------------------------------------

    def storage_format(self) -> str:
        """The format of the database file, as DuckDB names it ("v1.2.0+")."""
        with self.connect(read_only=True) as con:
            return _file_format(con)

    def _attach_new(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        """Create the database `path` in `storage_version`'s format, attached as `_TARGET`."""
        version = _literal(self.storage_version)
        try:
            con.execute(f"ATTACH {_literal(path)} AS {_TARGET} (STORAGE_VERSION {version})")
        except duckdb.Error as exc:
            raise StoreError(f"cannot create {path}: {self._format_problem(exc)}") from exc

    def _create_empty(self, con: duckdb.DuckDBPyConnection, path: Path) -> str:
        """Create the empty database `path` in `storage_version`'s format; its format's name."""
        self._attach_new(con, path)
        try:
            return _file_format(con, _TARGET)
        finally:
            _detach_target(con)

    def _copy_into(self, con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, int]:
        """Copy the connection's database (tables with their rows and constraints,
        views, sequences at their current value, macros, types) into the new file
        `path`, in `storage_version`'s format. Returns the rows of each table,
        checked to be the same in both; a difference is a `StoreError`."""
        source = str(_one(con, "SELECT current_database()"))
        self._attach_new(con, path)
        try:
            con.execute(f"COPY FROM DATABASE {_quoted(source)} TO {_TARGET}")
            return _same_contents(con, source, _TARGET)
        finally:
            _detach_target(con)

    def convert(self) -> Conversion:
        """Rewrite an existing database in `storage_version`'s format, nothing lost.

        The caller holds the run lock (no run writes meanwhile); this holds
        DuckDB's lock while it copies. Every table, view, sequence, macro and
        type is copied to a new file beside the database (schema_version
        included: the schema is not migrated), row counts are compared table
        by table, then the old file is kept as `<db>.bak-<its format>` and
        the new one renamed over the database in one step: a reader sees one
        file or the other. A file already in that format is left as it is."""
        if not self.path.exists():
            raise StoreError(f"no database at {self.path}")
        tmp = self.path.with_name(f".{self.path.name}.convert-{os.getpid()}.tmp")
        con = self._open(read_only=False, threads=None)
        try:
            with signals_held():
                con.execute("CHECKPOINT")
                old = _file_format(con)
                _remove_database_file(tmp)
                new = self._create_empty(con, tmp)
                _remove_database_file(tmp)
                if old == new:
                    return Conversion(self.path, old, new)
                rows = self._copy_into(con, tmp)
        except duckdb.Error as exc:
            _remove_database_file(tmp)
            raise StoreError(f"{self.path}: not converted: {exc}") from exc
        except BaseException:
            _remove_database_file(tmp)
            raise
        finally:
            con.close()
        try:
            if Path(f"{self.path}.wal").exists():  # it would be replayed on the new file
                raise StoreError(f"{self.path}: written to while converting; not converted, try again")
            backup = _unused(self.path.with_name(f"{self.path.name}.bak-{old.rstrip('+')}"))
            try:
                os.link(self.path, backup)  # the old file stays whole under its new name
            except OSError:
                shutil.copy2(self.path, backup)
            _fsync(tmp)
            os.replace(tmp, self.path)
        except OSError as exc:
            raise StoreError(f"{self.path}: not converted: {exc.strerror or exc}") from exc
        finally:
            _remove_database_file(tmp)
        return Conversion(self.path, old, new, rows, backup)

    # -- reading ---------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] | None = None) -> tuple[list[str], list[tuple]]:
        """Run one reading statement; returns (column names, rows).

        Read-only twice over, since DuckDB's read-only mode covers only the
        database's own tables (`COPY … TO`, `EXPORT DATABASE`, `ATTACH` and
        `INSTALL` still write files or reach the network): the statement must
        be of a reading kind (`READING_STATEMENTS`), and it runs on a sandboxed
        connection, which stops what that check lets through (`EXPLAIN ANALYZE
        COPY …`, `read_csv('/etc/passwd')`, `PRAGMA enable_profiling`). Either
        refusal is a `QueryRefused`."""
        reading_statement(sql)
        with self.connect(sandboxed=True) as con:
            try:
                cursor = con.execute(sql, params or [])
            except duckdb.Error as exc:
                first = (str(exc).splitlines() or [type(exc).__name__])[0].replace('""', '"')
                if any(refusal in first for refusal in _SANDBOX_REFUSALS):
                    raise QueryRefused(f"refused: {first}; {_EXPORT_HINT}") from exc
                raise
            if cursor.description is None:
                return [], []
            return [d[0] for d in cursor.description], cursor.fetchall()

    def run_summary(self, run_id: str) -> dict[str, Any]:
        with self.connect(read_only=True) as con:
            cols = [d[0] for d in con.execute("SELECT * FROM runs LIMIT 0").description]
            row = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id]).fetchone()
            reasons = con.execute(
                "SELECT reason, count(*) FROM rejects WHERE run_id = ? GROUP BY reason ORDER BY reason",
                [run_id],
            ).fetchall()
        summary = dict(zip(cols, row, strict=True)) if row else {}
        summary["rejects_by_reason"] = dict(reasons)
        return summary


_TARGET = "veille_copy_target"  # the alias of the file a copy writes


def _detach_target(con: duckdb.DuckDBPyConnection) -> None:
    """Detach `_TARGET` with its contents in the file itself: its write-ahead
    log would not follow the file when it is renamed (checkpoints on close are
    off for the store's connections)."""
    con.execute(f"CHECKPOINT {_TARGET}")
    con.execute(f"DETACH {_TARGET}")


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Any:
    row = con.execute(sql, list(params)).fetchone()
    return row[0] if row else None


def _literal(value: object) -> str:
    """A SQL string literal (ATTACH takes no parameters)."""
    return "'" + str(value).replace("'", "''") + "'"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _file_format(con: duckdb.DuckDBPyConnection, database: str | None = None) -> str:
    """The storage format of an attached database (default: the connection's own)."""
    sql = "SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = "
    if database is None:
        return str(_one(con, sql + "current_database()"))
    return str(_one(con, sql + "?", [database]))


_CATALOG_SQL = """
SELECT 'table ' || schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = $1
UNION ALL SELECT 'view ' || schema_name || '.' || view_name FROM duckdb_views()
    WHERE database_name = $1 AND NOT internal
UNION ALL SELECT 'sequence ' || schema_name || '.' || sequence_name || ' at ' || coalesce(last_value, 0)
    FROM duckdb_sequences() WHERE database_name = $1
UNION ALL SELECT 'index ' || schema_name || '.' || index_name FROM duckdb_indexes() WHERE database_name = $1
"""


def _same_contents(con: duckdb.DuckDBPyConnection, source: str, copy: str) -> dict[str, int]:
    """The rows of each table of the database `source`, after checking that
    `copy` has the same tables, views, sequences (at the same value) and
    indexes, and the same number of rows in each table."""
    src, dst = (sorted(r[0] for r in con.execute(_CATALOG_SQL, [db]).fetchall()) for db in (source, copy))
    if src != dst:
        raise StoreError(f"the copy differs from the database: {', '.join(sorted(set(src) ^ set(dst)))}")
    rows: dict[str, int] = {}
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY ALL", [source]
    ).fetchall()
    for schema, table in tables:
        name = f"{_quoted(schema)}.{_quoted(table)}"
        before = _one(con, f"SELECT count(*) FROM {_quoted(source)}.{name}")
        after = _one(con, f"SELECT count(*) FROM {_quoted(copy)}.{name}")
        if before != after:
            raise StoreError(f"the copy of table {schema}.{table} has {after} rows, not {before}")
        rows[table if schema == "main" else f"{schema}.{table}"] = before
    return rows


def _unused(path: Path) -> Path:
    """`path`, or `path-2`, `path-3`... : the first name not taken (a backup never overwrites one)."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _remove_database_file(path: Path) -> None:
    """A temporary database file and its write-ahead log, if any."""
    path.unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)


class _SqlIndex:
    """`StoredIndex` for the duplicate decision, answered inside the batch's
    transaction. Each lookup is one single-column semi-join, whose cost barely
    grows with the number of stored articles."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def _pairs(self, sql: str, values: Sequence[Any]) -> list[tuple[Any, str]]:
        return self.con.execute(sql, [list(values)]).fetchall() if values else []

    def ids_by_url_key(self, keys: Sequence[str]) -> dict[str, str]:
        return dict(
            self._pairs("SELECT url_key, article_id FROM articles WHERE url_key IN (SELECT unnest(?))", keys)
        )

    def ids_by_content_hash(self, hashes: Sequence[str]) -> dict[str, str]:
        sql = "SELECT content_hash, article_id FROM articles WHERE content_hash IN (SELECT unnest(?))"
        return dict(self._pairs(sql, hashes))

    def ids_by_bucket(self, buckets: Sequence[int]) -> list[tuple[int, str]]:
        sql = "SELECT bucket, article_id FROM minhash_bands WHERE bucket IN (SELECT unnest(?::BIGINT[]))"
        return self._pairs(sql, buckets)

    def signatures(self, ids: Sequence[str]) -> dict[str, Sequence[int]]:
        sql = "SELECT article_id, signature FROM article_minhash WHERE article_id IN (SELECT unnest(?))"
        return dict(self._pairs(sql, ids))
