"""`veille export` (storage/export.py behind the command line), and the CLI's
use of the analysts' views."""

from __future__ import annotations

import csv
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import STATUS_SQL, app
from storage.store import Store
from tests.support.analyst_data import FEED_A, FEED_B, HYPERLINK, fill_store
from tests.support.databases import held_by_another_process
from tests.support.paths import REPO

runner = CliRunner()


@pytest.fixture
def ingested(db_path: Path, prefect_harness) -> Path:
    """The seeds, ingested by the real flow (as in tests/flows/test_cli.py)."""
    result = runner.invoke(app, ["ingest", "seeds", "--db", str(db_path), "--workers", "1"])
    assert result.exit_code == 0, result.output
    return db_path


@pytest.fixture
def filled(db_path: Path) -> Path:
    fill_store(db_path).publish_snapshot()
    return db_path


def test_export_of_an_ingest_reads_back_and_says_what_it_wrote(ingested: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    result = runner.invoke(app, ["export", "--format", "parquet", "--out", str(out), "--db", str(ingested)])
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("articles/month=*/*.parquet"))
    assert result.stdout.splitlines() == [
        f"veille: exported 5 rows of articles in {len(files)} file(s) to {out / 'articles'}"
    ]
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    con = duckdb.connect()
    con.execute(f"ATTACH '{ingested}' AS db (READ_ONLY)")
    exported = con.execute(
        f"SELECT * EXCLUDE (month) FROM read_parquet('{out}/articles/*/*.parquet', hive_partitioning = true)"
    ).fetchall()
    assert sorted(exported) == sorted(con.execute("SELECT * FROM db.articles").fetchall())
    daily = runner.invoke(app, ["export", "--format", "csv", "--table", "daily_volume", "--out", str(out),
                                "--db", str(ingested)])  # fmt: skip
    assert daily.exit_code == 0, daily.output
    with (out / "daily_volume.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sum(int(r["articles"]) for r in rows) == 5


def test_export_dates_and_formula_cells_from_the_command_line(filled: Path, tmp_path: Path) -> None:
    args = ["export", "--format", "csv", "--out", str(tmp_path / "x"), "--db", str(filled)]
    result = runner.invoke(app, [*args, "--since", "2023-06-14", "--until", "2023-06-30"])
    assert result.exit_code == 0, result.output
    assert "exported 2 rows of articles in 1 file(s)" in result.stdout
    with (tmp_path / "x" / "articles.csv").open(newline="", encoding="utf-8") as handle:
        titles = [row["title"] for row in csv.DictReader(handle)]
    assert titles == ["'" + HYPERLINK, "'+33 : le numéro"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--since", "2024-02-01", "--until", "2024-01-01"], "error: --since 2024-02-01 is after --until"),
        (["--since", "01/02/2024"], "Invalid value for '--since'"),
        (["--table", "minhash_bands"], "Invalid value for '--table'"),
        (["--format", "xlsx"], "Invalid value for '--format'"),
    ],
)
def test_export_refuses_bad_options_with_exit_2(filled: Path, tmp_path: Path, extra, message) -> None:
    result = runner.invoke(app, ["export", "--out", str(tmp_path / "x"), "--db", str(filled), *extra])
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "x").exists()


def test_export_prints_paths_as_text_and_fails_in_one_line(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "[bold]out[/]"
    result = runner.invoke(app, ["export", "--out", str(out), "--table", "feed_health", "--db", str(filled)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(f"to {out / 'feed_health'}")
    (out / "rejects").mkdir()
    (out / "rejects" / "mine.txt").write_text("x")
    refused = runner.invoke(app, ["export", "--out", str(out), "--table", "rejects", "--db", str(filled)])
    assert refused.exit_code == 1
    why = "exists and is not a previous export; move it or choose another --out"
    assert refused.stderr.splitlines() == [f"veille: error: {out / 'rejects'} {why}"]


def test_export_reads_the_snapshot_while_the_database_is_held(filled: Path, tmp_path: Path) -> None:
    with held_by_another_process(filled):
        result = runner.invoke(app, ["export", "--format", "jsonl", "--out", str(tmp_path / "x"),
                                     "--db", str(filled)])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "is busy; reading the snapshot" in result.stderr
        assert len((tmp_path / "x" / "articles.jsonl").read_text().splitlines()) == 5


def test_status_reads_the_feed_health_view(filled: Path) -> None:
    store = Store(filled)
    columns, rows = store.query(STATUS_SQL)
    assert columns == store.query("SELECT * FROM feed_health LIMIT 0")[0]
    assert columns[:3] == ["name", "url", "kind"] and columns[-3:] == ["articles_day", "articles_week",
                                                                       "articles_total"]  # fmt: skip
    assert [(r[1], r[6]) for r in rows] == [(FEED_B, 1), (FEED_A, 0)]  # the failing feed first


def test_the_readme_exports_work_as_written(filled: Path, tmp_path: Path, monkeypatch) -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = [shlex.split(m.group(1)) for m in re.finditer(r"^veille export (.+?)(?:\s+#.*)?$", text, re.M)]
    assert len(commands) >= 3
    monkeypatch.chdir(tmp_path)  # --out exports: beside the user
    for args in commands:
        result = runner.invoke(app, ["export", *args, "--db", str(filled)])
        assert result.exit_code == 0, (args, result.output)
    cli = Path(sys.executable).with_name("duckdb")
    for sql in re.findall(r'^duckdb -c "([^"]+)"', text, re.M) if cli.exists() else []:
        result = subprocess.run([cli, "-csv", "-c", sql], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[1:] == ["2023-06,2", "2023-07,1", "2024-01,1", "undated,1"]
