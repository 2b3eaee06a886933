"""A bad setting of any section stops the command before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("section", "line", "key"),
    [
        ("fetch", "retries = -1", "fetch.retries"),
        ("fetch", 'allowed_networks = ["not a network"]', "fetch.allowed_networks"),
        ("fetch", "per_host_delay = -1.0", "fetch.per_host_delay"),
        ("ingest", "max_seconds_per_input = 0", "ingest.max_seconds_per_input"),
    ],
)
def test_a_bad_setting_exits_2_before_any_run_is_recorded(
    tmp_path: Path, section: str, line: str, key: str
) -> None:
    db = tmp_path / "v.duckdb"
    cfg = tmp_path / "veille.toml"
    cfg.write_text(f'[storage]\ndb = "{db}"\n[{section}]\n{line}\n')
    result = runner.invoke(app, ["ingest", "seeds", "--config", str(cfg)])
    assert result.exit_code == 2, result.output
    assert f"{key} " in result.output and "Traceback" not in result.output
    assert not db.exists()  # no `runs` row left `running`: nothing was started
