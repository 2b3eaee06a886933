"""DuckDB files in the states tests need: at an older schema version, or held
by another process (as an analyst's session or a running service holds it)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from storage.schema import MIGRATIONS


def at_schema_version(path: Path, version: int) -> duckdb.DuckDBPyConnection:
    """A new file with the first `version` migrations applied, as an older
    release left it; the open connection is returned for rows to be added."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for number, migration in enumerate(MIGRATIONS[:version], 1):
        con.execute(migration)
        con.execute("INSERT INTO schema_version VALUES (?)", [number])
    return con


@contextmanager
def held_by_another_process(path: Path) -> Iterator[None]:
    """`path` open for writing in another process (so no other process can
    open it at all) for the length of the block."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, time\n"
         f"con = duckdb.connect({str(path)!r})\nprint('held', flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()
