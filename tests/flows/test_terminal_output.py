"""What `veille ingest` shows in a terminal, read as the terminal shows it."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from storage.store import Store
from tests.support.paths import REPO, SEEDS
from tests.support.terminal import Terminal

VEILLE = Path(sys.executable).with_name("veille")
LOG_LINE = re.compile(r"\d\d:\d\d:\d\d\.\d{3} \| (INFO|WARNING|ERROR) ")


def test_logs_land_above_the_bar_and_no_dead_link_is_shown(tmp_path: Path) -> None:
    """Prefect's log lines used to be glued to the progress bar (each one
    written after the bar's text on the same line), and a "View at" link named
    the temporary server, which has no UI and is gone when the command ends."""
    home = tmp_path / "prefect home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "DO_NOT_TRACK", "VEILLE_DB")}
    env.update(PREFECT_HOME=str(home), COLUMNS="60")
    db = tmp_path / "a folder with a rather long name" / "veille.duckdb"
    argv = [VEILLE, "ingest", SEEDS, "--db", db, "--workers", "1"]
    with Terminal(argv, env, cwd=REPO) as terminal:
        assert terminal.wait(240) == 0, terminal.output[-3000:]
        screen, raw = terminal.screen, terminal.output
    logs = [line for line in screen if " | INFO " in line]
    assert any("Beginning flow run" in line for line in logs), screen
    glued = [line for line in logs if not LOG_LINE.match(line)]
    assert not glued, glued
    assert "View at" not in raw
    flow_run_id = Store(db).query("SELECT flow_run_id FROM runs")[1][0][0]
    hint = f"To see this run in Prefect's UI: PREFECT_HOME={home} prefect server start, then "
    assert hint + f"http://127.0.0.1:4200/runs/flow-run/{flow_run_id}" in raw.replace("\n", "")
    assert f"Database: {db}" in raw.replace("\n", "")  # not cut by the table's width
    assert "anonymous" not in raw.lower()  # Prefect's usage notice
