"""The files analysts open are in a format their DuckDB clients read.

duckdb 2.0 writes its own storage format by default, which DuckDB 1.x clients
refuse. Veille writes `[storage] storage_version` (v1.2.0) instead; these
tests open the files with the DuckDB CLI from the package index (a 1.x
release, the dev dependency `duckdb-cli`) running README's analyst command as
README writes it, and check that `veille convert` rewrites a database written
in the newer format without losing anything.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from extractors.core.settings import Settings
from flows.cli import app
from storage.schema import LATEST
from storage.store import Store, StoreError, _same_contents
from tests.support.paths import REPO, SEEDS

DUCKDB_CLI = Path(sys.executable).with_name("duckdb")
OLD_CLIENT_REFUSES = "Trying to read a database file with version number"
runner = CliRunner()


@pytest.fixture
def duckdb_cli() -> Path:
    if not DUCKDB_CLI.exists():
        pytest.skip(f"no DuckDB CLI at {DUCKDB_CLI}: `make install` installs it (dev dependency duckdb-cli)")
    return DUCKDB_CLI


def analyst_command() -> str:
    """README's command for analysts, as written there."""
    commands = set(
        re.findall(r"`(duckdb -readonly [^`]+)`", (REPO / "README.md").read_text(encoding="utf-8"))
    )
    assert len(commands) == 1, f"README should show one `duckdb -readonly ...` command, not {commands}"
    return commands.pop()


def run_cli(cli: Path, argv: list[str], cwd: Path, sql: str) -> subprocess.CompletedProcess[str]:
    """The DuckDB CLI as an analyst runs it (`duckdb` found on PATH), the SQL typed
    in; a HOME of its own, so no ~/.duckdbrc changes what it does."""
    env = {**os.environ, "PATH": f"{cli.parent}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(cwd)}
    return subprocess.run(
        argv, cwd=cwd, input=f".mode csv\n{sql}\n", capture_output=True, text=True, env=env, timeout=120
    )


def ingest(db: Path, **changes) -> dict:
    from flows.ingest import run_ingest

    settings = Settings().replace({"storage.db": db, "ingest.workers": 1, **changes})
    return run_ingest(settings, paths=[str(SEEDS)])


def counts(db: Path) -> dict[str, int]:
    """The rows of each table, read by the duckdb library (any format)."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def counts_sql(tables: list[str]) -> str:
    return " UNION ALL ".join(f"SELECT '{t}' AS t, count(*) AS n FROM \"{t}\"" for t in tables) + ";"


def csv_pairs(stdout: str) -> dict[str, int]:
    lines = stdout.splitlines()
    assert lines[0] == "t,n", stdout
    return {t: int(n) for t, n in (line.split(",") for line in lines[1:])}


# -- through the real flow and the DuckDB CLI --------------------------------------


def test_a_run_leaves_a_snapshot_the_readmes_duckdb_command_reads(
    tmp_path: Path, prefect_harness, duckdb_cli: Path
) -> None:
    command = shlex.split(analyst_command())
    db = tmp_path / "data" / "veille.duckdb"
    summary = ingest(db)
    assert summary["stored"] == 5
    snapshot = Store(db).snapshot_path()
    assert str(snapshot.relative_to(tmp_path)) in command  # README names the file this run wrote
    assert Store(db).storage_format() == Store(snapshot).storage_format() == "v1.2.0+"
    ids = [r[0] for r in Store(db).query("SELECT article_id FROM articles ORDER BY article_id")[1]]
    sql = (
        "SELECT count(*) AS n FROM articles;\n"
        "SELECT article_id FROM articles ORDER BY article_id;\n"
        "SELECT published_date, source, title FROM articles ORDER BY published_at DESC NULLS LAST;"
    )
    on_snapshot = run_cli(duckdb_cli, command, tmp_path, sql)
    assert (on_snapshot.returncode, on_snapshot.stderr) == (0, ""), on_snapshot.stderr
    assert on_snapshot.stdout.splitlines()[:8] == ["n", "5", "article_id", *ids]
    on_live = run_cli(
        duckdb_cli, ["duckdb", "-readonly", str(db)], tmp_path, "SELECT count(*) AS n FROM articles;"
    )
    assert (on_live.returncode, on_live.stdout.splitlines(), on_live.stderr) == (0, ["n", "5"], "")


def test_a_latest_format_database_is_refused_by_the_cli_until_converted(
    tmp_path: Path, prefect_harness, duckdb_cli: Path
) -> None:
    command = shlex.split(analyst_command())
    db = tmp_path / "data" / "veille.duckdb"
    assert ingest(db, **{"storage.storage_version": "latest"})["stored"] == 5
    snapshot = Store(db).snapshot_path()
    assert Store(db).storage_format() == Store(snapshot).storage_format() != "v1.2.0+"
    before = counts(db)
    assert before["articles"] == 5 and before["runs"] == 1
    sql = counts_sql(sorted(before))

    refused = run_cli(duckdb_cli, command, tmp_path, sql)  # the test can fail: this is what it sees
    assert refused.returncode != 0 and OLD_CLIENT_REFUSES in refused.stderr, refused.stderr

    converted = runner.invoke(app, ["convert", "--db", str(db)])
    assert converted.exit_code == 0, converted.output
    (line,) = converted.stdout.splitlines()
    assert line.startswith(f"veille: converted {db} from format ") and "to v1.2.0+" in line
    assert Store(db).storage_format() == Store(snapshot).storage_format() == "v1.2.0+"
    for argv in (command, ["duckdb", "-readonly", str(db)]):
        read = run_cli(duckdb_cli, argv, tmp_path, sql)
        assert (read.returncode, read.stderr) == (0, ""), read.stderr
        assert csv_pairs(read.stdout) == before
    schema = run_cli(duckdb_cli, command, tmp_path, "SELECT max(version) AS v FROM schema_version;")
    assert schema.stdout.splitlines() == ["v", str(LATEST)]
    backups = list(db.parent.glob("veille.duckdb.bak-*"))
    assert len(backups) == 1 and counts(backups[0]) == before  # the old file, kept whole

    again = runner.invoke(app, ["convert", "--db", str(db)])
    assert again.exit_code == 0
    assert again.stdout.splitlines() == [f"veille: {db} is already in format v1.2.0+: nothing to convert"]
    assert list(db.parent.glob("veille.duckdb.bak-*")) == backups


# -- the store, without Prefect --------------------------------------------------


def test_a_new_database_takes_the_configured_format(tmp_path: Path) -> None:
    default, latest = (
        Store(tmp_path / "default.duckdb"),
        Store(tmp_path / "l.duckdb", storage_version="latest"),
    )
    default.ensure()
    latest.ensure()
    with duckdb.connect(str(tmp_path / "library.duckdb")) as con:  # the library's own format
        own = con.execute(
            "SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = 'library'"
        )
        library_format = own.fetchone()[0]
    assert default.storage_format() == "v1.2.0+"
    assert latest.storage_format() == library_format != "v1.2.0+"
    configured = Settings().replace(
        {"storage.db": tmp_path / "s.duckdb", "storage.storage_version": "v1.3.0"}
    )
    store = Store.for_settings(configured.storage)
    store.ensure()
    assert store.storage_format() == "v1.3.0+"


def test_opening_an_existing_file_never_changes_its_format(tmp_path: Path) -> None:
    newer, older = tmp_path / "newer.duckdb", tmp_path / "older.duckdb"
    Store(newer, storage_version="latest").begin_run("r1", None)
    Store(older, storage_version="v1.2.0").begin_run("r1", None)
    formats = {newer: Store(newer).storage_format(), older: Store(older).storage_format()}
    Store(newer, storage_version="v1.2.0").begin_run("r2", None)
    Store(older, storage_version="latest").begin_run("r2", None)
    assert {p: Store(p).storage_format() for p in (newer, older)} == formats
    assert formats[newer] != formats[older]


def test_the_snapshot_takes_the_configured_format_whatever_the_live_file_has(tmp_path: Path) -> None:
    db = tmp_path / "v.duckdb"
    Store(db, storage_version="latest").begin_run("r1", None)
    with Store(db).connect() as con:
        con.execute("CREATE VIEW run_ids AS SELECT run_id FROM runs; CREATE SEQUENCE seq START 7")
        con.execute("SELECT nextval('seq')")
    snapshot = Store(db, storage_version="v1.2.0").publish_snapshot()
    assert Store(db).storage_format() != Store(snapshot).storage_format() == "v1.2.0+"
    assert counts(snapshot) == counts(db)
    assert Store(snapshot).query("SELECT * FROM run_ids")[1] == [("r1",)]
    assert sorted(tmp_path.iterdir()) == sorted([db, snapshot])  # no temporary file left
    same = Store(db, storage_version="latest").publish_snapshot()  # same format: a file copy
    assert Store(same).storage_format() == Store(db).storage_format()


def test_convert_keeps_every_table_view_sequence_and_the_schema_version(tmp_path: Path) -> None:
    db = tmp_path / "v.duckdb"
    store = Store(db, storage_version="latest")
    for run in ("r1", "r2", "r3"):
        store.begin_run(run, None)
    with store.connect() as con:
        con.execute("CREATE VIEW run_ids AS SELECT run_id FROM runs; CREATE SEQUENCE seq START 7")
        con.execute("SELECT nextval('seq')")
        con.execute(
            "INSERT INTO rejects (location, reason, rejected_at, run_id) VALUES ('a', 'empty', now(), 'r1')"
        )
    old_format, before = store.storage_format(), counts(db)

    done = Store(db, storage_version="v1.2.0").convert()
    assert (done.old_format, done.new_format, done.converted) == (old_format, "v1.2.0+", True)
    assert done.rows == before and counts(db) == before
    assert done.backup == tmp_path / f"v.duckdb.bak-{old_format.rstrip('+')}"
    assert counts(done.backup) == before and Store(done.backup).storage_format() == old_format
    converted = Store(db)
    assert converted.storage_format() == "v1.2.0+" and converted.schema_version() == LATEST
    assert converted.query("SELECT * FROM run_ids ORDER BY 1")[1] == [("r1",), ("r2",), ("r3",)]
    with converted.connect() as con:
        assert con.execute("SELECT nextval('seq')").fetchone()[0] == 8  # goes on where it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.duckdb", done.backup.name]

    Store(db, storage_version="latest").convert()  # and back: a second backup, the first kept
    assert len(list(tmp_path.glob("v.duckdb.bak-*"))) == 2


def test_convert_leaves_a_file_in_the_format_alone(tmp_path: Path) -> None:
    db = tmp_path / "v.duckdb"
    Store(db).ensure()
    done = Store(db).convert()
    assert (done.converted, done.backup, done.old_format) == (False, None, "v1.2.0+")
    assert sorted(tmp_path.iterdir()) == [db]


def test_convert_to_a_version_duckdb_does_not_know_fails_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "v.duckdb"
    Store(db).ensure()
    with pytest.raises(StoreError, match=r"'v9\.9\.9' is not a DuckDB version") as raised:
        Store(db, storage_version="v9.9.9").convert()
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 200
    assert sorted(tmp_path.iterdir()) == [db] and Store(db).storage_format() == "v1.2.0+"


def test_a_copy_with_a_missing_row_is_caught(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        for name in ("src", "dst"):
            con.execute(f"ATTACH '{tmp_path / name}.duckdb' AS {name}")
            con.execute(f"CREATE TABLE {name}.t (x INTEGER); INSERT INTO {name}.t VALUES (1), (2)")
        assert _same_contents(con, "src", "dst") == {"t": 2}
        con.execute("DELETE FROM dst.t WHERE x = 2")
        with pytest.raises(StoreError, match="table main.t has 1 rows, not 2"):
            _same_contents(con, "src", "dst")
        con.execute("CREATE VIEW src.v AS SELECT 1")
        with pytest.raises(StoreError, match="view main.v"):
            _same_contents(con, "src", "dst")


def test_convert_without_a_database_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["convert", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "no database at" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no lock file left behind either
