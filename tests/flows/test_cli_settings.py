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
        ("fetch", "connect_timeout = nan", "fetch.connect_timeout"),
        ("fetch", "max_redirects = -3", "fetch.max_redirects"),
        ("ingest", "workers = 100000", "ingest.workers"),
        ("fetch", "threads = 1000000000", "fetch.threads"),
        ("fetch", "threads = 1e9", "fetch.threads"),
        ("schedule", 'cron = "61 * * * *"', "schedule.cron"),
        ("schedule", "interval_seconds = 0", "schedule.interval_seconds"),
        ("storage", 'storage_version = "1.2"', "storage.storage_version"),
        ("feeds", 'url = "example.fr/rss"', "feeds[1].url"),
        ("feeds", 'url = "https://example.fr/rss"\ncron = "every day"', "feeds[1].cron"),
        ("feeds", 'url = "https://example.fr/rss"\nkind = "rss"', "feeds[1].kind"),
    ],
)
def test_a_bad_setting_exits_2_before_any_run_is_recorded(
    tmp_path: Path, section: str, line: str, key: str
) -> None:
    db = tmp_path / "v.duckdb"
    cfg = tmp_path / "veille.toml"
    table = {"storage": "", "feeds": "[[feeds]]\n"}.get(section, f"[{section}]\n")
    cfg.write_text(f'[storage]\ndb = "{db}"\n{table}{line}\n')
    result = runner.invoke(app, ["ingest", "seeds", "--config", str(cfg)])
    assert result.exit_code == 2, result.output
    assert f"{key} " in result.output and "Traceback" not in result.output
    assert not db.exists()  # no `runs` row left `running`: nothing was started


def test_the_message_names_the_key_as_written_with_its_brackets(tmp_path: Path) -> None:
    """Messages are printed as text, not as Rich markup: `[schedul]` stays."""
    cfg = tmp_path / "veille.toml"
    cfg.write_text("[schedul]\ninterval_seconds = 60\n")
    result = runner.invoke(app, ["ingest", "seeds", "--config", str(cfg)])
    assert result.exit_code == 2
    assert "unknown section [schedul]" in result.output


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    db = tmp_path / "v.duckdb"
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope.txt"), "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert f"no such file or directory: {tmp_path / 'nope.txt'}" in result.output
    assert not db.exists()


@pytest.mark.parametrize("name", [":memory:", "md:veille"])
def test_duckdb_special_names_are_refused(tmp_path: Path, name: str) -> None:
    result = runner.invoke(app, ["ingest", "seeds", "--db", name])
    assert result.exit_code == 2 and "storage.db must name a database file" in result.output


def test_a_home_relative_database_is_expanded_once(tmp_path: Path, monkeypatch) -> None:
    from extractors.core.settings import Settings
    from storage.locks import RunLock
    from storage.store import Store

    monkeypatch.setenv("HOME", str(tmp_path))
    settings = Settings().replace({"storage.db": "~/data/v.duckdb"})
    assert settings.storage.db == tmp_path / "data" / "v.duckdb"
    store = Store.for_settings(settings.storage)
    assert store.snapshot_path().parent == tmp_path / "data"
    assert RunLock(settings.storage.db).path.parent == tmp_path / "data"
