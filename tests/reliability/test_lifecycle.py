"""Stop, restart, Ctrl-C: every run ends in a final state, nothing written is
lost, nothing is written twice, and the operator sees one line, not a
traceback. Real processes: `veille ingest` and `veille serve` in a
pseudo-terminal (Ctrl-C) or sent signals to their process group, a real
`prefect server`, and kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from storage.store import Store
from tests.support.corpus import write_corpus
from tests.support.prefect_api import PrefectServer, wait_for
from tests.support.terminal import Terminal

BIN = Path(sys.executable).parent
PROBE = Path(__file__).resolve().parents[1] / "support" / "interrupt_probe.py"
CORPUS_SIZE = 120


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    (tmp_path / "prefect").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "VEILLE_DB")}
    return {**env, "PREFECT_HOME": str(tmp_path / "prefect"), **extra}


def _config(tmp_path: Path, db: Path, **ingest: object) -> Path:
    cfg = tmp_path / "veille.toml"
    lines = [f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in ingest.items()]
    cfg.write_text(f'[storage]\ndb = "{db}"\n[ingest]\n' + "\n".join(lines) + "\n")
    return cfg


def _stored(db: Path) -> int:
    return Store(db).query("SELECT count(*) FROM articles")[1][0][0] if db.exists() else 0


def _each_input_once(db: Path, corpus: Path) -> None:
    store = Store(db)
    _, rows = store.query(
        "SELECT location, count(*) FROM (SELECT location FROM articles UNION ALL "
        "SELECT location FROM duplicates UNION ALL SELECT location FROM rejects) GROUP BY ALL"
    )
    assert len(rows) == CORPUS_SIZE and {n for _, n in rows} == {1}, rows[:5]
    assert _stored(db) == CORPUS_SIZE


def _alive_in_session(sid: int) -> list[str]:
    """Processes of that session still running (zombies aside: this sandbox's
    init does not reap the orphans it inherits)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            alive.append(stat.parent.name)
    return alive


def _clean(output: str) -> None:
    for bad in ("Traceback", "Error logging to API", "was never awaited", "leaked"):
        assert bad not in output, output[-4000:]


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["before", "extract", "write", "snapshot"])
def test_ctrl_c_stops_ingest_at_any_stage_and_the_next_run_takes_the_rest(tmp_path: Path, stage: str) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, CORPUS_SIZE)
    db = tmp_path / "data" / "veille.duckdb"
    cfg = _config(tmp_path, db, batch_size=40, workers=2)
    mark = tmp_path / "paused"
    env = _env(tmp_path, VEILLE_PROBE_STAGE=stage, VEILLE_PROBE_MARK=str(mark))
    argv = [sys.executable, PROBE, "ingest", corpus, "--config", cfg]
    with Terminal(argv, env, cwd=tmp_path) as term:
        if stage == "before":
            time.sleep(1.5)  # imports, the temporary server and the workers are starting
        else:
            deadline = time.monotonic() + 120
            while not mark.exists():
                assert term.proc.poll() is None and time.monotonic() < deadline, term.output
                time.sleep(0.05)
        typed = term.ctrl_c()
        code = term.wait(timeout=60)
        seconds = time.monotonic() - typed
        output = term.output
    line = output.strip().splitlines()[-1].removeprefix("^C")  # the terminal echoes Ctrl-C
    print(f"{stage}: exit {code} {seconds:.1f} s after Ctrl-C; {line!r}")
    assert code == 130, output[-3000:]
    assert seconds < 5, output[-3000:]
    _clean(output)
    assert line.startswith("veille: interrupted; this run stored "), output[-3000:]
    assert line.endswith("the next run takes the rest")
    stored = int(line.split("stored ")[1].split()[0])
    assert stored == _stored(db)  # what it says is what is there: nothing half-written
    if stage == "write":
        assert stored == 40  # the batch being written when Ctrl-C came was completed and counted
    if stage == "snapshot":
        assert stored == CORPUS_SIZE
    if db.exists():
        _, runs = Store(db).query("SELECT status, stored FROM runs")
        assert runs == [("completed" if stage == "snapshot" else "interrupted", stored)]
    assert not list(db.parent.glob(".*.tmp"))  # no half-copied snapshot left behind
    assert _alive_in_session(term.proc.pid) == []  # workers and the temporary server are gone

    again = subprocess.run([BIN / "veille", "ingest", corpus, "--config", cfg], env=_env(tmp_path),
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr[-3000:]
    _each_input_once(db, corpus)


@pytest.mark.slow
def test_ctrl_c_ends_the_flow_run_crashed_on_the_server(tmp_path: Path, prefect_harness) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, CORPUS_SIZE)
    db = tmp_path / "veille.duckdb"
    cfg = _config(tmp_path, db, batch_size=40, workers=1)
    mark = tmp_path / "paused"
    api = os.environ["PREFECT_API_URL"]
    env = {**_env(tmp_path, VEILLE_PROBE_STAGE="write", VEILLE_PROBE_MARK=str(mark)), "PREFECT_API_URL": api}
    with Terminal([sys.executable, PROBE, "ingest", corpus, "--config", cfg], env) as term:
        deadline = time.monotonic() + 120
        while not mark.exists():
            assert term.proc.poll() is None and time.monotonic() < deadline, term.output
            time.sleep(0.05)
        term.ctrl_c()
        assert term.wait(timeout=30) == 130
    (flow_run_id,) = Store(db).query("SELECT flow_run_id FROM runs")[1][0]
    state = httpx.get(f"{api}/flow_runs/{flow_run_id}", timeout=10).json()["state"]
    assert state["type"] in ("CRASHED", "CANCELLED"), state


# -- veille serve -------------------------------------------------------------------


@pytest.fixture
def prefect_server(tmp_path: Path):
    server = PrefectServer(tmp_path / "server-home")
    try:
        yield server
    finally:
        server.stop()


INTERVAL = 30  # seconds between runs of the watch-folder deployment


def _serve_setup(tmp_path: Path, server: PrefectServer) -> tuple[list[str], dict[str, str], Path, Path]:
    drop = tmp_path / "drop"
    write_corpus(drop, CORPUS_SIZE)
    db = tmp_path / "data" / "veille.duckdb"
    cfg = tmp_path / "veille.toml"
    cfg.write_text(
        textwrap.dedent(f"""
        [storage]
        db = "{db}"
        [ingest]
        batch_size = 20
        workers = 1
        [watch]
        folder = "{drop}"
        interval_seconds = {INTERVAL}
    """)
    )
    env = {**_env(tmp_path, VEILLE_PROBE_STAGE="extract", VEILLE_PROBE_MARK=str(tmp_path / "paused")),
           "PREFECT_API_URL": server.api}  # fmt: skip
    # each input takes 0.5 s more: a run lasts about a minute, long enough to stop it mid-way
    return [sys.executable, str(PROBE), "serve", "--config", str(cfg)], env, db, drop


def _running(server: PrefectServer) -> list[dict]:
    return [r for r in server.runs() if r["state_type"] == "RUNNING"]


def _unfinished(server: PrefectServer) -> list[dict]:
    return [r for r in server.runs() if r["state_type"] in ("RUNNING", "PENDING", "CANCELLING")]


@pytest.mark.slow
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "sigterm-idle"])
def test_stopping_serve_ends_its_runs_and_frees_their_slots(
    tmp_path: Path, prefect_server: PrefectServer, how: str
) -> None:
    argv, env, db, _ = _serve_setup(tmp_path, prefect_server)
    with Terminal(argv, env) as term:
        term.wait_for("Serving 1 deployment", 120)
        if how != "sigterm-idle":
            wait_for(lambda: _running(prefect_server), 120, "a run in progress")
            wait_for(lambda: _stored(db) if db.exists() else 0, 120, "a batch written")
        sent = term.ctrl_c() if how == "ctrl-c" else time.monotonic()
        if how != "ctrl-c":
            os.killpg(term.proc.pid, signal.SIGTERM)
        code = term.wait(timeout=30)
        seconds = time.monotonic() - sent
        output = term.output
    last = output.strip().splitlines()[-1].removeprefix("^C")
    print(f"{how}: exit {code} in {seconds:.1f} s; {last!r}")
    assert seconds < 10, output[-3000:]
    assert code == (130 if how == "ctrl-c" else 0), output[-3000:]
    _clean(output)
    assert last.startswith("Stopped by SIG"), output[-3000:]
    assert _unfinished(prefect_server) == []
    assert prefect_server.active_slots() == 0
    if how != "sigterm-idle":
        ended = [r for r in prefect_server.runs() if r["state_type"] in ("CANCELLED", "CRASHED")]
        assert len(ended) == 1 and ended[0]["state"]["message"], ended
        _, runs = Store(db).query("SELECT status, error FROM runs")
        assert [status for status, _ in runs] == ["interrupted"], runs


@pytest.mark.slow
@pytest.mark.parametrize("killed", ["service", "process-group"])
def test_after_kill_9_the_next_serve_ends_the_orphans_and_runs_on_time(
    tmp_path: Path, prefect_server: PrefectServer, killed: str
) -> None:
    """kill -9 of the service alone (its flow-run process then ends its run
    itself), or of its whole process group (nothing is left to end it: the
    next start marks it Crashed and frees its slot)."""
    argv, env, db, drop = _serve_setup(tmp_path, prefect_server)
    first = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)  # fmt: skip
    try:
        (orphan,) = wait_for(lambda: _running(prefect_server), 120, "a run in progress")
        wait_for(lambda: _stored(db) if db.exists() else 0, 120, "a batch written")
        if killed == "service":
            first.kill()
        else:
            os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        wait_for(lambda: _alive_in_session(first.pid) == [], 30, "the killed processes to end")
        env = {k: v for k, v in env.items() if k != "VEILLE_PROBE_STAGE"}
        restarted = datetime.now(UTC)
        with Terminal(argv, env) as term:
            term.wait_for("Serving 1 deployment", 120)
            serving = datetime.now(UTC)
            ended = {r["id"]: r for r in prefect_server.runs()}[orphan["id"]]
            marked = [x for x in term.output.splitlines() if x.startswith("Marked")]
            print(f"{killed}: orphan {ended['state_type']} ({ended['state']['message']}); {marked}")
            assert ended["state_type"] in ("CRASHED", "CANCELLED"), ended["state"]
            if killed == "process-group":
                assert marked == [
                    f"Marked 1 run(s) left unfinished by an earlier stop as Crashed: {orphan['name']}"
                ]

            def new_run():
                return [r for r in prefect_server.runs() if r["id"] != orphan["id"] and r["start_time"]
                        and datetime.fromisoformat(r["start_time"]) > restarted]  # fmt: skip

            second = wait_for(new_run, INTERVAL + 30, "a run after the restart")[0]
            start = datetime.fromisoformat(second["start_time"])
            due = max(datetime.fromisoformat(second["expected_start_time"]), serving)
            after, late = (start - restarted).total_seconds(), (start - due).total_seconds()
            print(f"{killed}: first run after the restart: {after:.1f} s after it, {late:.1f} s late")
            # not held back by a slot that the killed run kept (Prefect's lease: 300 s)
            assert (start - due).total_seconds() < 10
            assert (start - restarted).total_seconds() < INTERVAL + 30
            wait_for(lambda: [r for r in prefect_server.runs() if r["id"] == second["id"]
                           and r["state_type"] == "COMPLETED"], 120, "that run to complete")  # fmt: skip
            os.killpg(term.proc.pid, signal.SIGTERM)
            assert term.wait(timeout=30) == 0
            _clean(term.output)
    finally:
        if first.poll() is None:
            first.kill()
    _each_input_once(db, drop)  # nothing the killed run had not committed is lost
    _, runs = Store(db).query("SELECT status FROM runs ORDER BY started_at")
    assert runs[0][0] in ("crashed", "interrupted") and runs[-1][0] == "completed", runs
