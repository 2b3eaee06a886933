"""Extraction on a real Dask cluster (`[ingest] executor = "dask"`): a
`distributed.LocalCluster` of two worker processes on 127.0.0.1, under the
session's Prefect test server.

The workers are started in a directory where none of the inputs, nor the
topic profile, exist (the inputs and the profile are named by paths relative
to the test's own directory): what a chunk needs must travel with it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from extractors.core.settings import Settings
from extractors.judge.topic import DEFAULT_PROFILE
from tests.support.corpus import write_corpus
from tests.support.files import backdate
from tests.support.pages import ARTICLES, ENGLISH, OFF_TOPIC, blog_page, journal_page
from tests.support.paths import SEEDS
from tests.support.processes import free_port, stop_group

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Iterator[object]:
    """Two Dask worker processes (one thread each) whose working directory is
    an empty one of their own. Started after the Prefect test server, so that
    they inherit its PREFECT_API_URL."""
    from distributed import Client, LocalCluster

    elsewhere = tmp_path_factory.mktemp("dask-workers-cwd")
    here = os.getcwd()
    os.chdir(elsewhere)
    try:
        local = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                             dashboard_address=None)  # fmt: skip
    finally:
        os.chdir(here)
    client = Client(local, set_as_default=False)  # runs must connect by address, as the CLI does
    try:
        assert set(client.run(os.getcwd).values()) == {str(elsewhere)}
        yield local
    finally:
        client.close()
        local.close()


def _inputs(top: Path) -> Path:
    """The seeds, pages in two site templates (one article in both: a duplicate),
    rejects of several reasons, a JSONL file of records, and generated
    articles for several chunks and batches; all relative to `top`."""
    inputs = top / "inputs"
    shutil.copytree(SEEDS, inputs / "seeds")
    pages = inputs / "pages"
    pages.mkdir()
    for name, article in ARTICLES.items():
        (pages / f"{name}.html").write_text(journal_page(article), encoding="utf-8")
    (pages / "entrepots-blog.html").write_text(blog_page(ARTICLES["entrepots"]), encoding="utf-8")
    (pages / "english.html").write_text(journal_page(ENGLISH), encoding="utf-8")
    (pages / "off-topic.html").write_text(journal_page(OFF_TOPIC), encoding="utf-8")
    (pages / "empty.txt").write_text("", encoding="utf-8")
    records = [{"url": "https://example.fr/a", "text": "\n".join(ARTICLES["doctrine"]["paragraphs"])},
               {"html": 3}, {"title": "sans texte"}]  # fmt: skip
    (pages / "records.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n")
    write_corpus(inputs / "corpus", 60)
    backdate(*[p for p in inputs.rglob("*") if p.is_file()])
    shutil.copy(DEFAULT_PROFILE, top / "profile.toml")
    return Path("inputs")


def _settings(db: Path, **changes: object) -> Settings:
    """Small chunks and batches: several of each, written in turn."""
    return Settings().replace({"storage.db": db, "ingest.workers": 2, "ingest.chunk_size": 7,
                               "ingest.batch_size": 40, "topic.profile": Path("profile.toml"),
                               "storage.publish_snapshot": False, **changes})  # fmt: skip


def _dask(address: str) -> dict[str, object]:
    return {"ingest.executor": "dask", "ingest.dask_address": address}


def _table(db: Path, name: str) -> list[tuple]:
    """A table's rows, without the columns that differ between two runs of the
    same inputs: ids, times, run ids (a duplicate names its original by location)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = [(c[0], c[1]) for c in con.execute(f"DESCRIBE {name}").fetchall()]
        keep = [c for c, kind in columns
                if not kind.startswith(("TIMESTAMP", "DATE")) and c not in ("article_id", "run_id")
                or c == "published_date"]  # fmt: skip
        select = ", ".join(f"t.{c}" for c in keep)
        if name == "duplicates":
            select += ", a.location AS original"
            query = f"SELECT {select} FROM duplicates t JOIN articles a ON a.article_id = t.duplicate_of"
        else:
            query = f"SELECT {select} FROM {name} t"
        rows = con.execute(query + " ORDER BY t.location").fetchall()
        keep_names = keep + (["original"] if name == "duplicates" else [])
        return [tuple(v for c, v in zip(keep_names, r, strict=True) if c != "duplicate_of") for r in rows]
    finally:
        con.close()


def _runs(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT status, inputs, stored, duplicates, rejected, error FROM runs").fetchall()
    finally:
        con.close()


def test_same_outcomes_as_the_local_pool(cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.ingest import run_ingest

    inputs = _inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    local = run_ingest(_settings(tmp_path / "local.duckdb"), paths=[str(inputs)])
    dask = run_ingest(_settings(tmp_path / "dask.duckdb", **_dask(cluster.scheduler_address)),
                      paths=[str(inputs)])  # fmt: skip
    for summary in (local, dask):
        assert summary["status"] == "completed"
    counts = ("inputs", "stored", "duplicates", "rejected")
    assert [dask[k] for k in counts] == [local[k] for k in counts]
    tables = {name: (_table(tmp_path / "local.duckdb", name), _table(tmp_path / "dask.duckdb", name))
              for name in ("articles", "duplicates", "rejects")}  # fmt: skip
    for name, (here, there) in tables.items():
        assert here == there, name
    articles, duplicates, rejects = (tables[n][0] for n in ("articles", "duplicates", "rejects"))
    # the blog's copy of a page and the JSONL record of another are duplicates
    assert (len(articles), len(duplicates), len(rejects)) == (5 + 3 + 60, 2, 6)
    assert sorted(r[1] for r in rejects) == ["empty", "language", "off_topic"] + ["unreadable"] * 3
    # the chunks ran on the cluster, each a Prefect task run of its own
    assert dask["stage_seconds"]["read"] > 0


def test_a_worker_killed_mid_run(cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGKILL of a Dask worker process while it judges a chunk: Dask runs the
    chunk again on the other worker (the nanny restarts the killed one), and
    the run ends with every input recorded exactly once."""
    from distributed import Client

    from flows.ingest import run_ingest

    inputs = tmp_path / "inputs"
    write_corpus(inputs, 120, seed=11)
    shutil.copy(DEFAULT_PROFILE, tmp_path / "profile.toml")
    monkeypatch.chdir(tmp_path)
    client = Client(cluster.scheduler_address, set_as_default=False)
    killed: list[int] = []
    stop = threading.Event()

    def kill_a_busy_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed and not stop.is_set():
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker)
    try:
        killer.start()
        summary = run_ingest(_settings(tmp_path / "db.duckdb", **_dask(cluster.scheduler_address)),
                             paths=[str(inputs.relative_to(tmp_path))])  # fmt: skip
        client.wait_for_workers(2, timeout=60)  # the nanny's new worker, for the next test
    finally:
        stop.set()
        killer.join()
        client.close()
    assert killed, "no worker was busy"
    assert summary["status"] == "completed", summary["error"]
    db = tmp_path / "db.duckdb"
    locations = [r[0] for r in _table(db, "articles")] + [r[0] for r in _table(db, "rejects")]
    locations += [r[0] for r in _table(db, "duplicates")]
    assert len(locations) == len(set(locations)) == 120
    assert summary["stored"] == 120


def test_an_unreachable_scheduler_stops_the_command(tmp_path: Path) -> None:
    """`veille ingest --dask` on a closed port: one error line, exit 1, no run
    recorded as done."""
    db = tmp_path / "db.duckdb"
    inputs = tmp_path / "inputs"
    shutil.copytree(SEEDS, inputs)
    backdate(*inputs.iterdir())
    address = f"tcp://127.0.0.1:{free_port()}"
    veille = Path(sys.executable).with_name("veille")
    result = subprocess.run([veille, "ingest", str(inputs), "--db", str(db), "--dask", address],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"veille: error: cannot reach the Dask scheduler at {address}: Connection refused"]
    if db.exists():
        assert not [r for r in _runs(db) if r[0] == "completed"]
        assert not _table(db, "articles") and not _table(db, "rejects")


def test_an_unreachable_scheduler_fails_the_flow_before_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same in the flow (a served or deployed run, which no command checks
    first): the run fails at its start, and nothing is recorded."""
    from flows import cluster as cluster_module
    from flows.cluster import ClusterUnreachable
    from flows.ingest import run_ingest

    monkeypatch.setattr(cluster_module, "CONNECT_SECONDS", 2.0)
    db = tmp_path / "db.duckdb"
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(ClusterUnreachable, match="cannot reach the Dask scheduler"):
        run_ingest(_settings(db, **_dask(address)), paths=[str(SEEDS)])
    if db.exists():
        assert _runs(db) == [] and not _table(db, "articles") and not _table(db, "rejects")


def test_a_served_run_on_a_cluster_of_the_dask_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run of `veille serve --dask ADDRESS`'s watch-folder deployment on a
    cluster started as docker-compose.yml starts it: `dask scheduler` and a
    `dask worker` (one process here), each in its process group, stopped at the end."""
    from flows.service import SERVE_SETTINGS_ENV, WATCH_FOLDER, served_ingest, served_settings_environment

    inbox = tmp_path / "inbox"
    shutil.copytree(SEEDS, inbox)
    backdate(*inbox.iterdir())
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = Path(sys.executable).with_name("dask")
    workers_cwd = tmp_path / "elsewhere"
    workers_cwd.mkdir()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet
    )
    worker = subprocess.Popen(
        [dask, "worker", address, "--nthreads", "1", "--no-dashboard"], cwd=workers_cwd, **quiet
    )
    try:
        from distributed import Client

        with Client(address, set_as_default=False, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
        settings = _settings(tmp_path / "db.duckdb", **_dask(address)).replace(
            {"topic.profile": DEFAULT_PROFILE, "watch.folder": inbox}
        )
        monkeypatch.setenv(SERVE_SETTINGS_ENV, served_settings_environment(settings, inbox))
        summary = served_ingest(WATCH_FOLDER)
    finally:
        stop_group(worker, grace=10)
        stop_group(scheduler, grace=10)
    assert (summary["status"], summary["stored"]) == ("completed", 5)
