"""`veille deploy --pool NAME` against a real Prefect server, run by a real
`prefect worker start --pool NAME`: the deployments `veille serve` would
serve, registered to a work pool of type `process`, and a run started
through the API that the worker runs to completion."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import httpx
import pytest

from extractors.core.settings import load
from flows.service import SERVE_SETTINGS_ENV, deployments, served_settings_environment
from tests.support.files import backdate
from tests.support.paths import SEEDS
from tests.support.prefect_api import PrefectServer, wait_for
from tests.support.processes import stop_group

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def test_deploy_to_a_work_pool_and_a_worker_runs_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SEEDS, inbox)
    backdate(*inbox.iterdir())
    db = tmp_path / "veille.duckdb"
    config = tmp_path / "veille.toml"
    # One feed on a yearly cron (never due here) and the watched folder: both
    # kinds of deployment. The server's scheduler is off, so that the only run
    # is the one this test starts.
    config.write_text(textwrap.dedent(f"""
        [watch]
        folder = "{inbox}"
        interval_seconds = 3600
        [[feeds]]
        name = "Le Quotidien"
        url = "http://127.0.0.1:9/rss"
        cron = "0 0 1 1 *"
    """))  # fmt: skip
    monkeypatch.setenv("PREFECT_API_SERVICES_SCHEDULER_ENABLED", "false")
    server = PrefectServer(tmp_path / "server-home")
    env = {**os.environ, "PREFECT_API_URL": server.api, "PREFECT_HOME": str(tmp_path / "client-home"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PREFECT_WORKER_QUERY_SECONDS": "1"}  # fmt: skip
    env.pop("VEILLE_DB", None)
    worker = None
    try:
        deployed = subprocess.run([BIN / "veille", "deploy", "--pool", "veille-pool", "--config", str(config),
                                   "--db", str(db)], env=env, cwd=tmp_path, capture_output=True, text=True,
                                  timeout=120)  # fmt: skip
        assert deployed.returncode == 0, deployed.stderr
        assert "Registered 2 deployment(s) to work pool 'veille-pool'" in deployed.stderr

        pool = httpx.get(f"{server.api}/work_pools/veille-pool", timeout=10).json()
        assert pool["type"] == "process"
        registered = {d["name"]: d for d in server.post("/deployments/filter", {})}
        settings = load(config, environ={}).replace({"storage.db": db})
        served = {d.name: d for d in deployments(settings, inbox)}
        assert sorted(registered) == sorted(served) == ["feeds-cron-0-0-1-1", "watch-folder"]
        for name, dep in registered.items():
            assert dep["work_pool_name"] == "veille-pool"
            assert dep["parameters"] == served[name].parameters  # {"group": ...}: nothing else
            assert dep["global_concurrency_limit"]["limit"] == 1  # one run at a time
            assert dep["concurrency_options"]["collision_strategy"] == "ENQUEUE"
            schedule = dep["schedules"][0]["schedule"]
            assert (schedule.get("interval"), schedule.get("cron")) == (
                served[name].schedules[0].schedule.model_dump(mode="json").get("interval"),
                served[name].schedules[0].schedule.model_dump(mode="json").get("cron"),
            )
            # the run's settings, as `veille serve` gives its runs: paths absolute
            assert dep["job_variables"]["env"][SERVE_SETTINGS_ENV] == served_settings_environment(
                settings, inbox
            )

        worker = subprocess.Popen([BIN / "prefect", "worker", "start", "--pool", "veille-pool"], env=env,
                                  cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)  # fmt: skip
        run = server.post(f"/deployments/{registered['watch-folder']['id']}/create_flow_run", {})

        def final_state() -> str | None:
            state = httpx.get(f"{server.api}/flow_runs/{run['id']}", timeout=10).json()["state"]
            return state["type"] if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

        assert wait_for(final_state, 240, "the worker to run the flow run", step=1) == "COMPLETED"
        con = duckdb.connect(str(db), read_only=True)
        try:
            stored = con.execute("SELECT count(*) FROM articles").fetchone()[0]
            runs = con.execute("SELECT status, flow_run_id FROM runs").fetchall()
        finally:
            con.close()
        assert stored == 5
        assert runs == [("completed", run["id"])]
    finally:
        if worker is not None:
            stop_group(worker, grace=20)
        server.stop()
