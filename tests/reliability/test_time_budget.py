"""Every input has a time budget ([ingest] max_seconds_per_input): one that
takes longer gets its own `timeout` outcome, its worker process is replaced,
and the run goes on; in `veille ingest` and in `veille extract`, with one
worker as with several."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.store import Store
from tests.support.files import backdate
from tests.support.paths import SEEDS

VEILLE = Path(sys.executable).with_name("veille")
_PARAGRAPH = (
    "<p>Le déploiement d'armes nucléaires tactiques russes en Biélorussie inquiète l'OTAN "
    "et les voisins de Minsk, selon plusieurs diplomates.</p>\n"
)


def _slow_page(path: Path) -> Path:
    """A 4.3 MB article (under the 5 MB cap) that trafilatura takes about 5 s
    to read on this machine: far over a 1 s budget, for no fault of its own."""
    path.write_text(f"<html><body><article>{_PARAGRAPH * 30_000}</article></body></html>")
    return path


def _config(tmp_path: Path, workers: int) -> Path:
    cfg = tmp_path / "veille.toml"
    cfg.write_text(f'[storage]\ndb = "{tmp_path / "v.duckdb"}"\n'
                   f"[ingest]\nmax_seconds_per_input = 1\nworkers = {workers}\n")  # fmt: skip
    return cfg


@pytest.mark.parametrize("workers", [1, 2])
def test_an_input_over_budget_is_rejected_and_the_run_goes_on(
    tmp_path: Path, prefect_harness, workers: int
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        (drop / seed.name).write_text(seed.read_text())
    _slow_page(drop / "lourde.html")
    backdate(drop)
    result = subprocess.run([VEILLE, "ingest", drop, "--config", _config(tmp_path, workers)],
                            capture_output=True, text=True, timeout=300, env=os.environ)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    store = Store(tmp_path / "v.duckdb")
    assert store.query("SELECT count(*) FROM articles")[1] == [(5,)]
    _, rejects = store.query("SELECT location, reason, detail FROM rejects")
    assert [(loc.rsplit("/", 1)[1], reason) for loc, reason, _ in rejects] == [("lourde.html", "timeout")]
    assert "more than 1 s" in rejects[0][2]
    assert store.query("SELECT status, stored, rejected FROM runs")[1] == [("completed", 5, 1)]


def test_extract_stops_an_input_over_budget(tmp_path: Path) -> None:
    page = _slow_page(tmp_path / "lourde.html")
    seed = sorted(SEEDS.glob("*.txt"))[0]
    result = subprocess.run(
        [VEILLE, "extract", page, seed, "--config", _config(tmp_path, 1), "--format", "jsonl"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["verdict"] for r in records] == ["rejected: timeout", "kept"]
    assert records[0]["location"].endswith("lourde.html")
