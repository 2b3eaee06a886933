"""Crashes, kills and overlapping runs: nothing lost, nothing stored twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from storage.store import Store
from tests.support.corpus import write_corpus

VEILLE = Path(sys.executable).with_name("veille")
PROBE = Path(__file__).resolve().parents[1] / "support" / "interrupt_probe.py"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    (tmp_path / "prefect").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **extra}  # fmt: skip
    env.pop("PREFECT_API_URL", None)
    env.pop("VEILLE_DB", None)
    return env


def _config(tmp_path: Path, db: Path, batch_size: int = 20) -> Path:
    cfg = tmp_path / "veille.toml"
    cfg.write_text(f'[storage]\ndb = "{db}"\n[ingest]\nbatch_size = {batch_size}\nworkers = 1\n')
    return cfg


def _outcomes(db: Path) -> dict[str, int]:
    store = Store(db)
    counts = {}
    for table in ("articles", "duplicates", "rejects"):
        counts[table] = store.query(f"SELECT count(*) FROM {table}")[1][0][0]
    counts["distinct_locations"] = store.query(
        "SELECT count(DISTINCT location) FROM (SELECT location FROM articles UNION ALL "
        "SELECT location FROM duplicates UNION ALL SELECT location FROM rejects)"
    )[1][0][0]
    return counts


def _write_batch_script(db: Path, corpus: Path, pause_in_transaction: bool) -> str:
    """A process that writes one batch and pauses, inside or after the transaction."""
    return textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from extractors.sources.files import discover
        from extractors.judge.pipeline import process_items
        from extractors.core.settings import Settings
        from storage.store import Store

        refs = list(discover([{str(corpus)!r}]))
        outcomes = process_items(refs, Settings()).outcomes
        store = Store({str(db)!r})
        if {pause_in_transaction!r}:
            original = Store._insert_duplicates
            def pause(*args, **kwargs):
                print("in-transaction", flush=True)
                time.sleep(60)
            Store._insert_duplicates = staticmethod(pause)
        store.write_batch("crash-run", outcomes)
        print("committed", flush=True)
        time.sleep(60)
    """)


@pytest.mark.parametrize("moment", ["in-transaction", "committed"])
def test_kill_9_during_or_after_a_write(tmp_path: Path, moment: str) -> None:
    corpus = tmp_path / "in"
    write_corpus(corpus, 30)
    db = tmp_path / "veille.duckdb"
    Store(db).ensure()
    proc = subprocess.Popen(
        [sys.executable, "-c", _write_batch_script(db, corpus, moment == "in-transaction")],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == moment
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    expected = 0 if moment == "in-transaction" else 30
    assert _outcomes(db)["articles"] == expected  # nothing half-written, nothing lost
    assert Store(db).query("SELECT count(*) FROM minhash_bands")[1][0][0] == expected * 32
    # the next run completes the work: every input exactly once
    result = subprocess.run([VEILLE, "ingest", corpus, "--db", db, "--workers", "1"],
                            env=_env(tmp_path), capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert _outcomes(db) == {"articles": 30, "duplicates": 0, "rejects": 0, "distinct_locations": 30}


def test_kill_9_of_a_whole_ingest_then_rerun(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    write_corpus(corpus, 200)
    db = tmp_path / "veille.duckdb"
    cfg = _config(tmp_path, db, batch_size=10)
    log = tmp_path / "run.log"
    with log.open("w") as out:
        proc = subprocess.Popen([VEILLE, "ingest", corpus, "--config", cfg], env=_env(tmp_path),
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 120
        while "write-batch" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI, its Prefect server, its workers
        proc.wait(timeout=30)
    partial = _outcomes(db)
    assert 0 < partial["articles"] < 200, partial
    assert Store(db).query("SELECT status FROM runs")[1] == [("running",)]  # it never finished
    rerun = subprocess.run([VEILLE, "ingest", corpus, "--config", cfg], env=_env(tmp_path),
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert _outcomes(db) == {"articles": 200, "duplicates": 0, "rejects": 0,
                             "distinct_locations": 200}  # fmt: skip
    statuses = Store(db).query("SELECT status FROM runs ORDER BY started_at")[1]
    assert statuses == [("crashed",), ("completed",)]


def test_two_ingests_at_once_on_one_database(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    write_corpus(corpus, 60)
    db = tmp_path / "veille.duckdb"
    cfg = _config(tmp_path, db, batch_size=10)
    procs = [
        subprocess.Popen(
            [VEILLE, "ingest", corpus, "--config", cfg],
            env=_env(tmp_path / f"p{i}"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    failures = [r[1] for p, r in zip(procs, results, strict=True) if p.returncode != 0]
    assert not failures, [f[f.find("Traceback") :][:3000] for f in failures]
    assert _outcomes(db) == {"articles": 60, "duplicates": 0, "rejects": 0, "distinct_locations": 60}
    runs = Store(db).query("SELECT status, stored, skipped FROM runs ORDER BY started_at")[1]
    assert sorted(r[1] for r in runs) == [0, 60] and sorted(r[2] for r in runs) == [0, 60]
    assert {r[0] for r in runs} == {"completed"}


def test_disk_full_is_a_clean_failure_and_loses_nothing(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes writes past a size fail with EFBIG, as a full disk would."""
    corpus = tmp_path / "in"
    write_corpus(corpus, 40)
    db = tmp_path / "veille.duckdb"
    Store(db).ensure()
    script = textwrap.dedent(f"""
        import resource, signal
        from extractors.sources.files import discover
        from extractors.judge.pipeline import process_items
        from extractors.core.settings import Settings
        from storage.store import Store, StoreError
        outcomes = process_items(list(discover([{str(corpus)!r}])), Settings()).outcomes
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            Store({str(db)!r}).write_batch("full-run", outcomes)
        except StoreError as exc:
            print("StoreError:", exc)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, cwd=Path(__file__).parents[2])  # fmt: skip
    assert result.stdout.startswith("StoreError:"), (result.stdout, result.stderr[-1500:])
    assert "Traceback" not in result.stdout
    assert _outcomes(db)["articles"] == 0
    rerun = subprocess.run([VEILLE, "ingest", corpus, "--db", db, "--workers", "1"],
                           env=_env(tmp_path), capture_output=True, text=True, timeout=300)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert _outcomes(db)["articles"] == 40


def test_sigterm_during_a_run_shows_crashed_and_the_next_run_completes(
    tmp_path: Path, prefect_harness
) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        api = str(client.api_url)
    corpus = tmp_path / "in"
    write_corpus(corpus, 200)
    db = tmp_path / "veille.duckdb"
    cfg = _config(tmp_path, db, batch_size=10)
    env = {**_env(tmp_path), "PREFECT_API_URL": api}
    log = tmp_path / "run.log"
    with log.open("w") as out:
        proc = subprocess.Popen([VEILLE, "ingest", corpus, "--config", cfg], env=env,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 120
        while "write-batch" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) != 0
    flow_run_id = Store(db).query("SELECT flow_run_id FROM runs")[1][0][0]
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run_id).state
    assert state is not None and state.type.value == "CRASHED", state
    assert _outcomes(db)["articles"] < 200
    rerun = subprocess.run([VEILLE, "ingest", corpus, "--config", cfg], env=env,
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert _outcomes(db) == {"articles": 200, "duplicates": 0, "rejects": 0,
                             "distinct_locations": 200}  # fmt: skip


@pytest.mark.parametrize("task_name", ["process-chunk", "write-batch"])
def test_sigterm_while_prefect_creates_a_task_run_is_still_a_crash(
    tmp_path: Path, prefect_harness, task_name: str
) -> None:
    """The race behind the test above, made certain: SIGTERM lands while
    Prefect's task engine creates a task run. Prefect 3.8 then raises
    `ValueError: Task run is not set` from its crash handler, and the flow
    run ended Failed (a bug in the code, for the UI) instead of Crashed."""
    from prefect.client.orchestration import get_client

    db = tmp_path / "veille.duckdb"
    mark = tmp_path / "signalled"
    env = {**_env(tmp_path), "PREFECT_API_URL": os.environ["PREFECT_API_URL"],
           "VEILLE_PROBE_STAGE": f"task-run:{task_name}", "VEILLE_PROBE_MARK": str(mark)}  # fmt: skip
    probe = subprocess.run([sys.executable, PROBE, "ingest", "seeds", "--config", _config(tmp_path, db)],
                           env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert mark.exists() and probe.returncode != 0, probe.stderr[-2000:]
    (flow_run_id, status, error), *_ = Store(db).query("SELECT flow_run_id, status, error FROM runs")[1]
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run_id).state
    assert state is not None and state.type.value == "CRASHED", state
    assert (status, error) == ("interrupted", "stopped by SIGTERM; the next run takes the rest")
