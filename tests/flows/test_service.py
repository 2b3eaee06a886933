"""`veille serve` against a real Prefect server on loopback.

The service runs on a schedule, and an analyst holds a read-only DuckDB
connection in the middle: runs due meanwhile must not fail, and what they
could not write must be written by a later run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from extractors.core.settings import Settings, load
from flows.prefect_server import stop_process
from flows.service import (
    SERVE_SETTINGS_ENV,
    WATCH_FOLDER,
    deployments,
    schedule_groups,
    served_ingest,
    served_settings_environment,
)
from storage.store import Store
from tests.support.pages import ARTICLES, DATE, HTML, RSS, blog_page, journal_page, rss
from tests.support.paths import SEEDS
from tests.support.prefect_api import PrefectServer, wait_for
from tests.support.server import LocalServer, Reply


def test_schedule_groups_and_deployments(tmp_path: Path, prefect_harness) -> None:
    cfg = tmp_path / "veille.toml"
    cfg.write_text(
        textwrap.dedent("""
        [schedule]
        interval_seconds = 600
        [[feeds]]
        name = "A"
        url = "https://a.example/rss"
        [[feeds]]
        name = "B"
        url = "https://b.example/rss"
        group = "fast"
        interval_seconds = 60
        [[feeds]]
        name = "C"
        url = "https://c.example/rss"
        group = "fast"
        [[feeds]]
        name = "D"
        url = "https://d.example/rss"
        cron = "0 * * * *"
    """)
    )
    settings = load(cfg, environ={})
    groups = {g.name: g for g in schedule_groups(settings)}
    assert {n: ([f.name for f in g.feeds], g.interval_seconds, g.cron) for n, g in groups.items()} == {
        "default": (["A"], 600, None),
        "fast": (["B", "C"], 60, None),
        "cron 0 * * * *": (["D"], None, "0 * * * *"),
    }
    deps = {d.name: d for d in deployments(settings, watch=tmp_path)}
    assert sorted(deps) == ["feeds-cron-0", "feeds-default", "feeds-fast", "watch-folder"]
    fast = deps["feeds-fast"]
    assert {"veille", "B", "C"} <= set(fast.tags)
    # the only parameter an API client can set picks a group; the rest is the service's own
    assert fast.parameters == {"group": "fast"}
    assert deps["watch-folder"].parameters == {"group": "watch-folder"}
    assert {name: set(d._parameter_openapi_schema.properties) for name, d in deps.items()} == {
        name: {"group"} for name in deps
    }
    assert fast.concurrency_limit == 1


@pytest.mark.slow
def test_serve_runs_on_schedule_while_an_analyst_holds_the_database(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    server = PrefectServer(tmp_path / "prefect")
    api = server.api
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_API_URL": api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}  # fmt: skip
    service = holder = None
    site = LocalServer(lifetime=600).start()
    try:
        site.route("/a/entrepots.html", journal_page(ARTICLES["entrepots"]).encode(), headers=HTML)
        site.route("/b/doctrine.html", blog_page(ARTICLES["doctrine"]).encode(), headers=HTML)
        site.route("/a/exercices.html", journal_page(ARTICLES["exercices"]).encode(), headers=HTML)
        first = [(site.url("/a/entrepots.html"), "Entrepôts", DATE)]
        site.add("/feed.xml", Reply(body=rss(first), headers=RSS))
        db = tmp_path / "data" / "veille.duckdb"
        cfg = tmp_path / "veille.toml"
        cfg.write_text(
            textwrap.dedent(f"""
            [storage]
            db = "{db}"
            lock_timeout_seconds = 3
            [schedule]
            interval_seconds = 20
            [fetch]
            allow_private_networks = true
            per_host_delay = 0
            [[feeds]]
            name = "Local"
            url = "{site.url("/feed.xml")}"
        """)
        )
        log = (tmp_path / "serve.log").open("w")
        service = subprocess.Popen([bin_dir / "veille", "serve", "--config", cfg], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)  # fmt: skip

        def runs() -> list[dict]:
            body = {"flow_runs": {"deployment_id": {"is_null_": False}}, "limit": 100,
                    "offset": 0, "sort": "EXPECTED_START_TIME_ASC"}  # fmt: skip
            return httpx.post(f"{api}/flow_runs/filter", json=body, timeout=10).json()

        def finished(n: int):
            done = [r for r in runs() if r["state_type"] in ("COMPLETED", "FAILED", "CRASHED")]
            return done if len(done) >= n else None

        wait_for(lambda: finished(1), 120, "the first scheduled run")
        assert Store(db).query("SELECT count(*) FROM articles")[1] == [(1,)]
        # an analyst opens the live file read-only for 25 s; meanwhile the feed grows
        holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, time
            con = duckdb.connect({str(db)!r}, read_only=True)
            print("holding", flush=True)
            time.sleep(25)
        """)], stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert holder.stdout.readline().strip() == "holding"
        more = first + [(site.url("/b/doctrine.html"), "Doctrine", DATE),
                        (site.url("/a/exercices.html"), "Exercices", DATE)]  # fmt: skip
        site.add("/feed.xml", Reply(body=rss(more), headers=RSS))
        held_from = time.time()
        assert holder.wait(timeout=60) == 0
        # a snapshot was there for the analyst all along
        assert Store(db).snapshot_path().exists()
        wait_for(lambda: Store(db).query("SELECT count(*) FROM articles")[1][0][0] == 3
              and finished(3), 120, "the articles held back")  # fmt: skip
        all_runs = finished(3)
        states = [r["state_type"] for r in all_runs]
        print(f"scheduled runs: {len(all_runs)} finished, states {states}")
        assert set(states) == {"COMPLETED"}, states
        assert any(r["start_time"] and r["start_time"] > _iso(held_from) for r in all_runs)
        logs = httpx.post(f"{api}/logs/filter", json={"limit": 200, "offset": 0}, timeout=10).json()
        deferred = [x["message"] for x in logs if x["message"].startswith("Deferring run")]
        assert deferred and "locked by" in deferred[0], [x["message"] for x in logs][-20:]
        print("deferred:", deferred[0])
        deps = httpx.post(f"{api}/deployments/filter", json={"limit": 10, "offset": 0},
                          timeout=10).json()  # fmt: skip
        assert [d["name"] for d in deps] == ["feeds-default"]
        assert "Local" in deps[0]["tags"]
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=60)
        deps = httpx.post(f"{api}/deployments/filter", json={"limit": 10, "offset": 0},
                          timeout=10).json()  # fmt: skip
        assert deps[0]["paused"] is False  # schedules stay active for the next start
    finally:
        for proc in (holder, service):
            if proc:
                stop_process(proc, grace=30)
        server.stop()
        site.stop()


def _iso(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).isoformat()


def test_a_served_run_takes_its_settings_from_the_service_not_from_parameters(
    tmp_path: Path, prefect_harness, monkeypatch
) -> None:
    """Run parameters come from anyone who reaches the Prefect API: the
    database, the network policy and the inputs come from the serving process."""
    drop = tmp_path / "drop"
    drop.mkdir()
    seed = sorted(SEEDS.glob("*.txt"))[0]
    (drop / seed.name).write_text(seed.read_text())
    os.utime(drop / seed.name, (time.time() - 60, time.time() - 60))
    settings = Settings().replace({"storage.db": tmp_path / "served.duckdb", "ingest.workers": 1})
    monkeypatch.setenv(SERVE_SETTINGS_ENV, served_settings_environment(settings, drop))
    summary = served_ingest(group=WATCH_FOLDER)
    assert (summary["db"], summary["stored"]) == (str((tmp_path / "served.duckdb").resolve()), 1)
    with pytest.raises(ValueError, match="no schedule group 'elsewhere'"):
        served_ingest(group="elsewhere")
    with pytest.raises(Exception, match="settings"):  # not a parameter of the served flow
        served_ingest(group=WATCH_FOLDER, settings={"allow_private_networks": True})
    monkeypatch.delenv(SERVE_SETTINGS_ENV)
    with pytest.raises(RuntimeError, match="started by `veille serve`"):
        served_ingest(group=WATCH_FOLDER)
