"""Past one DuckDB writer: the corpus split into several database files (one
`--db` each, each with its own single writer), read together by attaching
their snapshots read-only in the DuckDB CLI, as README says. `veille query`
itself reads one file and refuses ATTACH."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from extractors.core.settings import Settings
from tests.support.files import backdate
from tests.support.paths import SEEDS

pytestmark = pytest.mark.usefixtures("prefect_harness")

BIN = Path(sys.executable).parent


def test_two_databases_read_together(tmp_path: Path) -> None:
    from flows.ingest import run_ingest

    seeds = sorted(SEEDS.glob("*.txt"))
    for name, part in (("east", seeds[:2]), ("west", seeds[2:])):
        folder = tmp_path / name
        folder.mkdir()
        for seed in part:
            shutil.copy(seed, folder)
        backdate(*folder.iterdir())
        settings = Settings().replace({"storage.db": tmp_path / f"{name}.duckdb", "ingest.workers": 1})
        assert run_ingest(settings, paths=[str(folder)])["stored"] == len(part)
    sql = (
        "ATTACH 'east.snapshot.duckdb' AS east (READ_ONLY); "
        "ATTACH 'west.snapshot.duckdb' AS west (READ_ONLY); "
        "SELECT count(*) FROM (SELECT url FROM east.articles UNION ALL SELECT url FROM west.articles);"
    )
    both = subprocess.run([BIN / "duckdb", "-csv", "-noheader", "-c", sql], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert both.returncode == 0, both.stderr
    assert both.stdout.strip() == "5"
    refused = subprocess.run([BIN / "veille", "query", "--db", str(tmp_path / "east.duckdb"),
                              "ATTACH 'west.snapshot.duckdb' AS west (READ_ONLY)"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode == 2 and "veille: error:" in refused.stderr
