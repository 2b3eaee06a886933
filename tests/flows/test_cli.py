"""The `veille` command line: contracts users rely on (names, flags, exit codes)."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.support.databases import held_by_another_process
from tests.support.pages import ARTICLES, journal_page, rss
from tests.support.server import LocalServer

runner = CliRunner()


@pytest.fixture
def ingested(db_path: Path, prefect_harness) -> Path:
    result = runner.invoke(app, ["ingest", "seeds", "--db", str(db_path), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "stored" in result.output
    return db_path


def test_query_formats(ingested: Path) -> None:
    sql = "SELECT source, date_precision FROM articles WHERE source IS NOT NULL ORDER BY source"
    as_json = runner.invoke(app, ["query", sql, "--db", str(ingested), "--format", "json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == [
        {"source": "Nouvelles Du Monde", "date_precision": None},
        {"source": "ZeroHedge", "date_precision": None},
    ]
    as_csv = runner.invoke(app, ["query", sql, "--db", str(ingested), "--format", "csv"])
    assert list(csv.reader(io.StringIO(as_csv.stdout)))[0] == ["source", "date_precision"]
    table = runner.invoke(app, ["query", "SELECT count(*) AS n FROM articles", "--db", str(ingested)])
    assert table.exit_code == 0 and _table(table.stdout) == [(["n"], [["5"]])]


def test_query_uses_veille_db_and_fails_cleanly(ingested: Path, tmp_path: Path) -> None:
    env = {"VEILLE_DB": str(ingested)}
    ok = runner.invoke(app, ["query", "SELECT count(*) FROM runs", "--format", "csv"], env=env)
    assert ok.exit_code == 0 and ok.stdout.splitlines()[1] == "1"
    bad_sql = runner.invoke(app, ["query", "SELEC nonsense", "--db", str(ingested)])
    assert bad_sql.exit_code == 1 and "veille: error:" in bad_sql.stderr
    missing = runner.invoke(app, ["query", "SELECT 1", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 1 and "no database" in missing.stderr


def test_extract_shows_what_would_be_kept_and_why(tmp_path: Path) -> None:
    fete = tmp_path / "fete.txt"
    fete.write_text(
        "La fête du village revient ce week-end avec un grand bal populaire, "
        "un marché artisanal et un concours de pétanque au bord de la rivière."
    )
    result = runner.invoke(app, ["extract", "seeds/003_ac430c01fe7a889e.txt", str(fete), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    seed, other = (json.loads(line) for line in result.stdout.splitlines())
    assert seed["verdict"] == "kept" and seed["source"] == "Nouvelles Du Monde"
    assert seed["language"] == "fr" and seed["topic_score"] > 12
    assert any(r["rule"] == "share" and r["line"] == "Facebook" for r in seed["removed"])
    assert other["verdict"] == "rejected: off_topic"


def test_bad_config_is_a_one_line_error(tmp_path: Path) -> None:
    cfg = tmp_path / "veille.toml"
    cfg.write_text("[storage]\ndatabase = 'x'\n")
    result = runner.invoke(app, ["query", "SELECT 1", "--config", str(cfg)])
    assert result.exit_code == 2
    assert "unknown key 'storage.database'" in result.stderr


def test_ingest_command_end_to_end_in_a_subprocess(tmp_path: Path) -> None:
    """The installed entry point, its own Prefect server, its exit codes."""
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    veille = Path(sys.executable).with_name("veille")
    db = tmp_path / "cli.duckdb"
    ok = subprocess.run([veille, "ingest", "seeds", "--db", db], env=env, capture_output=True,
                        text=True, timeout=180)  # fmt: skip
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert "stored" in ok.stdout and "│ stored     │     5 │" in ok.stdout
    # the temporary server recorded the run and its task runs where a later server finds them
    with sqlite3.connect(tmp_path / "prefect" / "prefect.db") as con:
        flows = con.execute("SELECT state_type FROM flow_run").fetchall()
        tasks = {name.rsplit("-", 1)[0] for (name,) in con.execute("SELECT name FROM task_run")}
    assert flows == [("COMPLETED",)]
    assert {"discover-files", "skip-settled", "process-chunk", "write-batch"} <= tasks
    blocker = tmp_path / "file"
    blocker.write_text("x")
    bad = subprocess.run([veille, "ingest", "seeds", "--db", blocker / "x.duckdb"], env=env,
                         capture_output=True, text=True, timeout=180)  # fmt: skip
    assert bad.returncode == 1
    errors = [line for line in bad.stderr.splitlines() if line.startswith("veille: error:")]
    assert len(errors) == 1 and "cannot create" in errors[0]
    assert "Traceback" not in bad.stderr


def test_query_falls_back_to_the_snapshot_while_the_database_is_held(ingested: Path) -> None:
    assert ingested.with_name("veille.snapshot.duckdb").exists()
    with held_by_another_process(ingested):
        result = runner.invoke(
            app, ["query", "SELECT count(*) AS n FROM articles", "--db", str(ingested),
                  "--format", "csv"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == ["n", "5"]
        assert "is busy; reading the snapshot" in result.stderr


def test_status_reports_feeds_and_runs(ingested: Path, local_server: LocalServer) -> None:
    files_only = runner.invoke(app, ["status", "--db", str(ingested), "--format", "json"])
    assert files_only.exit_code == 0, files_only.output
    assert json.loads(files_only.stdout)["feeds"] == []  # files only: no feed yet
    page = journal_page(ARTICLES["entrepots"]).encode()
    local_server.route("/a.html", page, headers={"Content-Type": "text/html; charset=utf-8"})
    feed_url = local_server.url("/feed.xml")
    items = [(local_server.url("/a.html"), "A", "Wed, 14 Jun 2023 06:30:00 GMT")]
    local_server.route("/feed.xml", rss(items), headers={"Content-Type": "application/rss+xml"})
    polled = runner.invoke(
        app,
        ["ingest", "--feed", feed_url, "--db", str(ingested), "--workers", "1"],
        env={"VEILLE_ALLOW_PRIVATE_NETWORKS": "1"},  # the feed is on 127.0.0.1
    )
    assert polled.exit_code == 0, polled.output
    result = runner.invoke(app, ["status", "--db", str(ingested), "--format", "json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    (feed,) = status["feeds"]
    assert [(run["status"], run["stored"]) for run in status["runs"]] == [("completed", 1), ("completed", 5)]
    assert feed["last_polled_at"] is not None
    assert {k: v for k, v in feed.items() if k != "last_polled_at"} == {
        "name": feed_url, "url": feed_url, "kind": "feed", "last_status": "ok", "last_http_status": 200,
        "consecutive_failures": 0, "failing": False, "last_error": None, "entries_seen": 1,
        "articles_day": 1, "articles_week": 1, "articles_total": 1,
    }  # fmt: skip
    table = runner.invoke(app, ["status", "--db", str(ingested)], env={"COLUMNS": "400"})
    assert table.exit_code == 0, table.output
    (feeds_header, feeds), (runs_header, runs) = _table(table.stdout)
    assert (feeds_header[:4], feeds_header[-1]) == (["feed", "kind", "last poll", "status"], "total")
    assert [(f[:2], f[3], f[-1]) for f in feeds] == [([feed_url, "feed"], "ok 200", "1")]
    assert runs_header[:2] == ["run", "status"]
    assert [(run[1], run[4]) for run in runs] == [("completed", "1"), ("completed", "5")]  # newest first


def _table(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """The (header, rows) of each table Rich drew in `text`, one line per row (run
    with a wide COLUMNS: a wrapped row would read as several)."""
    tables: list[tuple[list[str], list[list[str]]]] = []
    for line in text.splitlines():
        cells = [c.strip() for c in line[1:-1].split(line[:1])] if line[:1] in ("┃", "│") else None
        if line.startswith("┏"):
            tables.append(([], []))
        elif line.startswith("┃") and cells:
            tables[-1][0].extend(cells)
        elif line.startswith("│") and cells:
            tables[-1][1].append(cells)
    return tables


def test_files_with_nothing_new_are_recorded_without_starting_prefect(ingested: Path, tmp_path: Path) -> None:
    import duckdb

    again = runner.invoke(app, ["ingest", "seeds", "--db", str(ingested), "--workers", "1"])
    assert again.exit_code == 0, again.output
    assert "nothing new in 5 inputs" in again.stderr
    fete = tmp_path / "fete.txt"
    fete.write_text("La fête du village revient ce week-end avec un grand bal populaire.")
    more = runner.invoke(app, ["ingest", "seeds", str(fete), "--db", str(ingested), "--workers", "1"])
    assert more.exit_code == 0, more.output
    assert "nothing new" not in more.stderr
    with duckdb.connect(str(ingested), read_only=True) as con:
        runs = con.execute(
            "SELECT flow_run_id IS NOT NULL, stored, rejected, skipped, status FROM runs ORDER BY started_at"
        ).fetchall()
    assert runs == [
        (True, 5, 0, 0, "completed"),  # the first run, through Prefect
        (False, 0, 0, 5, "completed"),  # nothing new: no flow run
        (True, 0, 1, 5, "completed"),  # a new file: through Prefect again
    ]


def _help_texts(command: str) -> list[str]:
    """The help of each option of `veille COMMAND`, as written in flows/cli.py."""
    (callback,) = [c.callback for c in app.registered_commands if (c.name or c.callback.__name__) == command]
    hints = typing.get_type_hints(callback, include_extras=True)
    return [extra.help for hint in hints.values() for extra in getattr(hint, "__metadata__", ())
            if getattr(extra, "help", None)]  # fmt: skip


@pytest.mark.parametrize(
    "command", ["ingest", "serve", "deploy", "query", "status", "extract", "export", "report"]
)
def test_help_shows_the_settings_names_in_brackets(command: str) -> None:
    """Rich reads "[watch]" as markup and drops it: a help text naming a settings
    table must show it."""
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.replace("│", " ").split())
    texts = _help_texts(command)
    assert texts
    for text in texts:
        assert " ".join(text.replace("\\[", "[").split()) in shown, text
