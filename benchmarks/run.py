"""`make bench`: how fast, how big and how flat `veille ingest` is.

Every figure is measured in this run against its baseline, on a corpus made
here (benchmarks/generate.py: French news pages of 100-150 KB with the DOM of
real ones, calibrated against real French pages, see 0 below):

0. calibration: bare `trafilatura.extract` CPU per page on the generated
   corpus against the real French pages of the shared extraction corpus
   (../shared/corpus/extraction; skipped when absent), in this process,
   interleaved with the bare loop of 1;
1. throughput: the real CLI (`veille ingest DIR`, a subprocess with a fresh
   `--db`) against bare `trafilatura.extract` loops over the same files, in
   two modes, with the performance issue's targets:
   - steady state (service mode, from the first chunk running to the last
     write) >= 0.9x the bare loop spread over one warm process per CPU;
   - cold (temporary mode, end to end) >= 1.2x the bare loop in one process;
   - service: one `prefect server start` (its own PREFECT_HOME, a free port
     of 127.0.0.1) for these runs, each pointed at it with PREFECT_API_URL,
     as a deployed Veille runs; a run's Prefect start-up is then imports +
     client + flow run creation. The server's own start time (a cold start:
     it creates its database) is reported apart. Run first;
   - temporary: no PREFECT_API_URL, so each run starts (and stops) a
     temporary Prefect server (`prefect server start`, no UI, no scheduler), as
     `veille ingest` does by default; in the
     PREFECT_HOME the service-mode server left (database already there);
2. time per stage, from the run's `runs.stage_seconds` (seconds summed over
   workers), plus the single writer's time from Prefect's own task-run
   records (the server's SQLite file in its PREFECT_HOME);
3. peak memory (summed RSS of the CLI, the Prefect server and the workers) at
   two corpus sizes, in both modes (in service mode the shared server is
   sampled alongside the CLI's tree);
4. near-duplicate lookup cost per new article with 1k, 10k and 100k articles
   stored (benchmarks/lookup.py);
5. a second run over the same inputs, as a share of the first, in both modes;
6. Dask: the first `--dask-pages` pages through a LocalCluster of 2 workers
   against the local pool, with the overhead per chunk (benchmarks/dask_figure.py);
7. stories: pairwise precision and recall on the labelled French set, and the
   cost of placing a new article with 1k, 10k and 100k stored (benchmarks/stories.py);
8. peers (optional, `--no-peers` to skip): newspaper4k and news-please, each in
   its own environment under .bench-peers/, against Veille and bare trafilatura
   on the first `--peer-pages` pages and the shared French corpus: pages/s and
   F1 (benchmarks/peers.py; a peer that cannot be installed is skipped).
9. the fixed cost of a cold run, by parts, against the code the performance
   issue was filed on (`--fixed-cost-baseline`, a git worktree; target: a
   quarter of it), benchmarks/fixed_cost.py.

Two references explain the throughput figure: the bare loop spread over one
warm process per CPU (the most any pipeline doing trafilatura's work can
reach here), and the pipeline's own CPU cost per page without Prefect
(`extractors.judge.pipeline.process_items` in this process). The CPU time of every
process of the tree (CLI, Prefect server, workers) is read from /proc too, and
the marginal CPU per page of each (the large service-mode run minus the small
one) bounds the steady-state ratio any scheduling could reach.

Every process the benchmark starts is stopped before it returns (process
groups of the CLI runs and of the Prefect server, in `finally` blocks).

The table is printed and written to benchmarks/last-run.md.

    python -m benchmarks.run [--pages 1500] [--small 500] [--skip-lookup] [--skip-service] [--no-peers]

`make bench` takes about 22 minutes on an idle 2-CPU machine: 4 for the runs
of 1,500 pages and the lookup, 14 for filling 100,000 articles through the
writer for the stories figure (`--stories-sizes ''` skips it), 2 for the
peers, 2 for the fixed cost.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from benchmarks import dask_figure, extraction_score, fixed_cost, generate, lookup, peers, stories
from benchmarks.procs import TreeSampler, TreeUsage, mb, rss_bytes, tree

HERE = Path(__file__).resolve().parent
STAGES = ("read", "extract", "clean", "language", "topic", "fingerprint")
CLI_TIMEOUT = 1800  # seconds; a hung run must not hang `make bench`
LINGER_TIMEOUT = 10.0  # seconds a run's processes may outlive it before they are stopped
SERVER_STARTUP_TIMEOUT = 120  # seconds for `prefect server start` to answer /api/health
REAL_CORPUS = extraction_score.CORPUS
CALIBRATION_TOLERANCE = 0.15  # generated vs real bare-extraction cost per page

# targets from the performance issue (13)
TARGET_STEADY = 0.9  # service-mode steady pages/s / bare loop on every CPU, warm
TARGET_COLD = 1.2  # temporary-mode pages/s, end to end / bare loop in one process
CHUNKS_PHASE = "chunks and writes"
TARGET_RSS = 2**30
TARGET_RSS_GROWTH = 1.25  # peak at the large size / peak at the small size
TARGET_LOOKUP_GROWTH = 2.0
TARGET_RERUN_SHARE = 0.10

TEMPORARY, SERVICE = "temporary", "service"
MODE_NAMES = {
    TEMPORARY: "temporary Prefect server per run",
    SERVICE: "service mode, one running Prefect server",
}


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


def code_version() -> str:
    """The commit measured, with "+changes" when flows/, extractors/ or storage/
    differ from it (read-only git; "unknown" outside a git checkout)."""
    root = HERE.parent
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, text=True,
                             capture_output=True, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "flows", "extractors",
                                "storage"], cwd=root, text=True, capture_output=True,
                               check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("+changes" if dirty else "")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- processes ---------------------------------------------------------------------------


def stop_group(proc: subprocess.Popen[bytes], grace: float = 20.0) -> list[str]:
    """Stop `proc` and whatever is left of its process group (it was started
    with start_new_session=True, so the group is the one it leads and holds
    only processes this benchmark started): SIGTERM, then SIGKILL after
    `grace` seconds. Returns the command lines of the processes that were
    still running."""
    pgid = proc.pid
    members = [_cmdline(pid) for pid in _group_members(pgid)]
    if not members and proc.poll() is not None:
        return []
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if proc.poll() is not None and not _group_members(pgid):
            break
        time.sleep(0.1)
    else:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    return members


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmd = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return f"pid {pid}"
    for prefix in (str(HERE.parent / ".venv" / "bin") + "/", str(Path(sys.executable).parent) + "/"):
        cmd = cmd.replace(prefix, "")
    return cmd[:160]


def wait_group_empty(pgid: int, timeout: float) -> float:
    """Seconds until process group `pgid` has no live process left (at most
    `timeout`): how long what a run started outlives it."""
    t = time.perf_counter()
    while _group_members(pgid) and time.perf_counter() - t < timeout:
        time.sleep(0.05)
    return time.perf_counter() - t


def _group_members(pgid: int) -> list[int]:
    """Live processes (zombies excluded) of process group `pgid`."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":  # state, ppid, pgrp
            out.append(int(entry))
    return out


# -- the Prefect server of service mode --------------------------------------------------


@dataclass
class PrefectServer:
    proc: subprocess.Popen[bytes]
    home: Path
    port: int
    start_seconds: float = 0.0  # launch -> /api/health answers 200
    idle_rss: int = 0  # RSS of its process tree once healthy
    stop_seconds: float = 0.0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def prefect_command() -> str:
    script = Path(sys.executable).parent / "prefect"
    return str(script) if script.exists() else (shutil.which("prefect") or "prefect")


def start_prefect_server(home: Path, scratch: Path) -> PrefectServer:
    """`prefect server start` on a free port of 127.0.0.1, PREFECT_HOME in
    `home`, analytics off; returns once /api/health answers."""
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for name in ("PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_UI_API_URL", "PREFECT_SERVER_API_PORT",
                 "PREFECT_SERVER_API_HOST", "PREFECT_PROFILES_PATH"):  # fmt: skip
        env.pop(name, None)
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    port = _free_port()
    cmd = [prefect_command(), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    log(f"[server] {' '.join(cmd)}")
    out_path = scratch / "prefect-server.log"
    with out_path.open("wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=scratch,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    server = PrefectServer(proc, home, port)
    deadline = time.monotonic() + SERVER_STARTUP_TIMEOUT
    while not _healthy(server.api_url):
        if proc.poll() is not None or time.monotonic() > deadline:
            why = (f"exited with status {proc.returncode}" if proc.poll() is not None
                   else f"did not answer {server.api_url}/health in {SERVER_STARTUP_TIMEOUT}s")  # fmt: skip
            stop_group(proc)
            raise BenchError(f"`{' '.join(cmd)}` {why}.\n--- output (last lines) ---\n{_tail(out_path)}")
        time.sleep(0.1)
    server.start_seconds = time.perf_counter() - t0
    server.idle_rss = sum(rss_bytes(pid) or 0 for pid in tree(proc.pid))
    log(f"[server] healthy on port {port} after {server.start_seconds:.1f} s, RSS {mb(server.idle_rss)}")
    return server


def stop_prefect_server(server: PrefectServer) -> None:
    t = time.perf_counter()
    stop_group(server.proc)
    server.stop_seconds = time.perf_counter() - t
    log(f"[server] stopped in {server.stop_seconds:.1f} s")


# -- running the CLI --------------------------------------------------------------------


@dataclass
class CliRun:
    label: str
    mode: str
    pages: int
    wall: float
    cpu: float  # user + sys of the whole process tree (and of the shared server, service mode)
    usage: TreeUsage
    run: dict[str, Any]  # the `runs` row of this run
    stage_seconds: dict[str, float]
    rejects: dict[str, int]
    duplicates: dict[str, int]
    timeline: dict[str, float | None]  # phases of the wall time, from Prefect's records
    writes: list[float] = field(default_factory=list)  # seconds of each write-batch task
    chunks: list[float] = field(default_factory=list)  # seconds of each process-chunk task
    left_behind: list[str] = field(default_factory=list)  # still running after it exited (stopped)
    linger: float = 0.0  # seconds its other processes outlived it

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.wall

    @property
    def startup(self) -> float | None:
        return self.timeline.get(PHASES[0])


def veille_command() -> list[str]:
    script = Path(sys.executable).parent / "veille"
    return [str(script)] if script.exists() else [sys.executable, "-m", "flows.cli"]


def cli_env(prefect_home: Path, api_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PREFECT_API_URL", "PREFECT_API_KEY", "VEILLE_DB"):
        env.pop(name, None)
    env.update(
        PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PYTHONUNBUFFERED="1",
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


def run_cli(label: str, corpus: Path, pages: int, db: Path, prefect_home: Path, scratch: Path,
            workers: int | None, config: Path | None = None,
            server: PrefectServer | None = None) -> CliRun:  # fmt: skip
    """One `veille ingest` run; with `server`, pointed at it (service mode),
    else starting a temporary Prefect server itself."""
    mode = SERVICE if server else TEMPORARY
    cmd = [*veille_command(), "ingest", str(corpus), "--db", str(db)]
    if workers:
        cmd += ["--workers", str(workers)]
    if config:
        cmd += ["--config", str(config)]
    stem = "".join(c if c.isalnum() else "-" for c in f"{mode}-{label}")
    out_path, err_path = scratch / f"{stem}.stdout", scratch / f"{stem}.stderr"
    log(f"[{mode}: {label}] {' '.join(cmd)}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started_wall = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err,
                                env=cli_env(prefect_home, server.api_url if server else None),
                                cwd=HERE.parent, stdin=subprocess.DEVNULL,
                                start_new_session=True)  # fmt: skip
        sampler = TreeSampler(proc.pid, extra_roots=(server.proc.pid,) if server else ())
        sampler.start()
        rc: int | None = None
        try:
            rc = proc.wait(timeout=CLI_TIMEOUT)
        except subprocess.TimeoutExpired:
            rc = None
        finally:
            wall = time.perf_counter() - t0
            ended_wall = time.time()
            usage = sampler.stop()
            linger = wait_group_empty(proc.pid, LINGER_TIMEOUT) if rc is not None else 0.0
            left = stop_group(proc, grace=5)  # a timeout, an interrupt, or stragglers
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if left:
        log(f"[{mode}: {label}] still running {LINGER_TIMEOUT:.0f} s after the run ended, stopped: "
            f"{'; '.join(left)}")  # fmt: skip
    elif linger >= 0.5:
        log(f"[{mode}: {label}] its processes outlived it by {linger:.1f} s")
    if rc != 0:
        why = f"timed out after {CLI_TIMEOUT}s" if rc is None else f"exited with status {rc}"
        raise BenchError(
            f"`{' '.join(cmd)}` {why}.\n--- stderr (last lines) ---\n{_tail(err_path)}\n"
            f"--- stdout (last lines) ---\n{_tail(out_path, 15)}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime) + usage.extra_cpu
    run, rejects, duplicates = read_run(db)
    stages = json.loads(run.get("stage_seconds") or "{}")
    home = server.home if server else prefect_home
    timeline, writes, chunks = prefect_timeline(home, started_wall, ended_wall)
    log(f"[{mode}: {label}] {wall:.1f} s, peak RSS {mb(usage.rss_bytes)}, "
        f"stored {run.get('stored')} / skipped {run.get('skipped')} of {pages}")  # fmt: skip
    return CliRun(label, mode, pages, wall, cpu, usage, run, stages, rejects, duplicates, timeline,
                  writes, chunks, left, linger)  # fmt: skip


def read_run(db: Path) -> tuple[dict[str, Any], dict[str, int], dict[str, int]]:
    """The latest `runs` row, with its rejects by reason and duplicates by kind."""
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise BenchError(f"cannot open {db} after the run: {exc}") from exc
    try:
        cur = con.execute("SELECT * FROM runs ORDER BY started_at DESC LIMIT 1")
        cols = [d[0] for d in cur.description]
        row = cur.fetchone()
        if row is None:
            raise BenchError(f"{db} has no run recorded")
        run = dict(zip(cols, row, strict=True))
        by = "WHERE run_id = ? GROUP BY 1 ORDER BY 1"
        rejects = dict(con.execute(f"SELECT reason, count(*) FROM rejects {by}", [run["run_id"]]).fetchall())
        dups = dict(con.execute(f"SELECT kind, count(*) FROM duplicates {by}", [run["run_id"]]).fetchall())
    finally:
        con.close()
    return run, rejects, dups


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC).timestamp()


PHASES = (
    "start-up (imports; temporary: Prefect server started / service: client; flow run created)",
    "flow start -> first chunk running (discovery, worker processes start)",
    "chunks and writes",
    "last write -> flow end (run record, artifact)",
    "flow end -> exit (temporary: server shutdown)",
)


def prefect_timeline(prefect_home: Path, started: float, ended: float
                     ) -> tuple[dict[str, float | None], list[float], list[float]]:  # fmt: skip
    """Phases of the wall time, from the latest flow run and its task runs in
    the Prefect server's database, PREFECT_HOME/prefect.db (times in UTC)."""
    empty: dict[str, float | None] = {}
    path = prefect_home / "prefect.db"
    if not path.exists():
        return empty, [], []
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            flow = con.execute(
                "SELECT id, start_time, end_time FROM flow_run ORDER BY created DESC LIMIT 1"
            ).fetchone()
            if flow is None:
                return empty, [], []
            tasks = con.execute(
                "SELECT name, start_time, end_time FROM task_run WHERE flow_run_id = ?", [flow[0]]
            ).fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        log(f"(could not read Prefect's records: {exc})")
        return empty, [], []

    def spans(prefix: str) -> list[tuple[float, float]]:
        out = []
        for name, start, end in tasks:
            s, e = _epoch(start), _epoch(end)
            if name.startswith(prefix) and s is not None and e is not None:
                out.append((s, e))
        return sorted(out)

    chunk_spans, write_spans = spans("process-chunk"), spans("write-batch")
    flow_start, flow_end = _epoch(flow[1]), _epoch(flow[2])
    first_chunk = chunk_spans[0][0] if chunk_spans else None
    last_write = write_spans[-1][1] if write_spans else None
    work_start = first_chunk or (write_spans[0][0] if write_spans else None)

    def gap(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else max(0.0, b - a)

    timeline = dict(zip(PHASES, (
        gap(started, flow_start),
        gap(flow_start, work_start),
        gap(work_start, last_write),
        gap(last_write, flow_end),
        gap(flow_end, ended),
    ), strict=True))  # fmt: skip
    return timeline, [e - s for s, e in write_spans], [e - s for s, e in chunk_spans]


# -- the bare baseline --------------------------------------------------------------------


def bare_trafilatura(paths: list[Path], real: RealPages | None = None, rounds: int = 5
                     ) -> tuple[float, float, int, RealCost | None]:  # fmt: skip
    """Wall and CPU seconds for read + `trafilatura.extract` (default options)
    over `paths`, in this process, import excluded; and how many gave text.

    With `real`, the calibration reference is measured in the same loop, in
    `rounds` rounds: a pass over the real pages, then the next slice of
    `paths` (timed apart), so that both see the same machine load; after an
    untimed pass over the real pages (trafilatura's lazy set-up on its
    fallback paths)."""
    import trafilatura

    trafilatura.extract("<html><body><p>warm-up</p></body></html>")
    if real:
        for text in real.texts:
            trafilatura.extract(text)
    found, wall, cpu, real_cpu, gen_cpu = 0, 0.0, 0.0, [], []
    n = rounds if real else 1
    bounds = [len(paths) * i // n for i in range(n + 1)]
    for i in range(n):
        if real:
            c = time.process_time()
            for text in real.texts:
                trafilatura.extract(text)
            real_cpu.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        for path in paths[bounds[i] : bounds[i + 1]]:
            if trafilatura.extract(path.read_text(encoding="utf-8")):
                found += 1
        wall += time.perf_counter() - t
        gen_cpu.append((time.process_time() - c) / max(1, bounds[i + 1] - bounds[i]))
        cpu += time.process_time() - c
    cost = None
    if real:
        cost = RealCost(real.corpus, real.sources, len(real.texts), real.total_bytes,
                        [x / len(real.texts) for x in real_cpu], gen_cpu)  # fmt: skip
    return wall, cpu, found, cost


@dataclass(frozen=True, slots=True)
class RealPages:
    corpus: Path
    sources: list[str]  # globs under `corpus` that matched
    texts: list[str]
    total_bytes: int


@dataclass(frozen=True, slots=True)
class RealCost:
    """Bare `trafilatura.extract` over the real French pages, several passes."""

    corpus: Path
    sources: list[str]
    pages: int
    total_bytes: int
    real_rounds: list[float]  # CPU seconds per real page, each round
    generated_rounds: list[float]  # CPU seconds per generated page, each round (its slice)

    @property
    def ms_per_page(self) -> float:
        """Real pages, median of the rounds."""
        return statistics.median(self.real_rounds) * 1000

    @property
    def generated_ms_per_page(self) -> float:
        return statistics.median(self.generated_rounds) * 1000

    @property
    def ratio(self) -> float:
        return self.generated_ms_per_page / self.ms_per_page


REAL_SOURCES = ("trafilatura-fr/html/*.html", "trafilatura-fr/html/*.html.gz", "readability-fr/*/source.html")


def real_pages(corpus: Path) -> RealPages | None:
    """The calibration reference: real French news pages, decoded as Veille
    does; None when the corpus is not there."""
    if not corpus.is_dir():
        return None
    from extractors.text.encoding import decode, html_meta_charset

    texts, sizes, used = [], 0, []
    for pattern in REAL_SOURCES:
        found = sorted(corpus.glob(pattern))
        if found:
            used.append(pattern)
        for path in found:
            try:
                data = path.read_bytes()
                if path.suffix == ".gz":
                    data = gzip.decompress(data)
                texts.append(decode(data, html_meta_charset(data)).text)
            except (OSError, ValueError):
                continue
            sizes += len(data)
    return RealPages(corpus, used, texts, sizes) if texts else None


def _warm_up() -> None:
    import trafilatura

    trafilatura.extract("<html><body><p>warm-up</p></body></html>")


def _extract_files(paths: list[str]) -> int:
    import trafilatura

    return sum(1 for p in paths if trafilatura.extract(Path(p).read_text(encoding="utf-8")))


def bare_parallel(paths: list[Path], processes: int) -> float:
    """Wall seconds for the same loop spread over `processes` warm processes:
    what this machine can do in parallel at best, the ceiling of the ratio."""
    import multiprocessing

    slices = [[str(p) for p in paths[i : i + 25]] for i in range(0, len(paths), 25)]
    with multiprocessing.get_context("spawn").Pool(processes, initializer=_warm_up) as pool:
        pool.map(_warm_up_task, range(processes * 4), chunksize=1)  # all started and warm
        t = time.perf_counter()
        pool.map(_extract_files, slices, chunksize=1)
        return time.perf_counter() - t


def _warm_up_task(_: int) -> None:
    time.sleep(0.2)


@dataclass(frozen=True, slots=True)
class InProcess:
    pages: int
    wall: float
    cpu: float
    stage_seconds: dict[str, float]
    kept: int


def pipeline_in_process(paths: list[Path], config: Path | None = None) -> InProcess | None:
    """The pipeline's own cost per page, without Prefect: `process_items` over
    `paths` in this process, after a warm-up (language profiles, topic profile)."""
    try:
        from extractors.core.records import Candidate
        from extractors.core.settings import load
        from extractors.judge import pipeline
        from extractors.sources import files

        process = getattr(pipeline, "process_items", None) or pipeline.process_refs
    except (ImportError, AttributeError) as exc:
        log(f"(no in-process pipeline measure: {exc})")
        return None
    settings = load(config)
    refs = list(files.discover([str(p) for p in paths]))
    process(refs[:3], settings)
    t, cpu = time.perf_counter(), time.process_time()
    result = process(refs, settings)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    kept = sum(1 for o in result.outcomes if isinstance(o, Candidate))
    return InProcess(len(refs), wall, cpu, dict(result.seconds), kept)


# -- the report ------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def _s(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def _short(n: int) -> str:
    return f"{n / 1000:g}k" if n >= 1000 else str(n)


def _md_table(header: list[str], rows: Iterable[list[str]], align: str) -> list[str]:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]  # fmt: skip
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def marginal_cpu_note(r: Results) -> str | None:
    """What one more page costs each process, from the two corpus sizes of the
    service mode (CPU of the large run minus the small one, per page of
    difference: start-up cancels out), and the steady ratio those costs allow
    on any number of CPUs kept busy: bare CPU per page / Veille's CPU per page."""
    m = next((m for m in r.modes if m.mode == SERVICE and m.small is not None), None)
    if m is None or m.small is None or m.first.pages <= m.small.pages:
        return None
    pages = m.first.pages - m.small.pages
    big, small = m.first.usage.cpu_by_role, m.small.usage.cpu_by_role
    per_role = {role: (big.get(role, 0.0) - small.get(role, 0.0)) / pages * 1000 for role in big}
    # The running server's first run (the small one) also warms it up: its share
    # is the large run's whole CPU per page instead, an upper bound.
    server = "Prefect server"
    if server in big:
        per_role[server] = big[server] / m.first.pages * 1000
    total = sum(ms for ms in per_role.values() if ms > 0)
    bare = r.bare_cpu / r.pages * 1000
    parts = ", ".join(f"{role} {ms:.1f}" for role, ms in sorted(per_role.items(), key=lambda kv: -kv[1])
                      if ms >= 0.05)  # fmt: skip
    return (f"Marginal CPU per page, service mode ({m.first.pages:,}-page run minus the "
            f"{m.small.pages:,}-page run, per page of difference, so start-up cancels out; the Prefect "
            f"server: its CPU in the large run per page): {parts}: "
            f"{total:.1f} ms, against {bare:.1f} ms for bare `trafilatura.extract`. With every CPU busy, "
            f"the steady state cannot exceed {bare / total:.2f}x the bare loop on the same CPUs "
            f"(target {TARGET_STEADY}x).")  # fmt: skip


def cpu_split(usage: TreeUsage) -> str:
    parts = sorted(usage.cpu_by_role.items(), key=lambda kv: -kv[1])
    names = {"worker": "workers"}
    return ", ".join(f"{names.get(role, role)} {sec:.1f} s" for role, sec in parts if sec >= 0.05)


@dataclass
class ModeRuns:
    mode: str
    small: CliRun | None
    first: CliRun
    second: CliRun

    @property
    def runs(self) -> list[CliRun]:
        return [r for r in (self.small, self.first, self.second) if r is not None]


@dataclass
class Results:
    pages: int
    small: int
    corpus_bytes: int
    corpus_seconds: float
    bare_seconds: float
    bare_cpu: float
    bare_found: int
    real: RealCost | None
    real_corpus: Path
    parallel_pages: int
    parallel_seconds: float | None
    in_process: InProcess | None
    empty: CliRun | None
    modes: list[ModeRuns]
    server: PrefectServer | None
    lookups: lookup.LookupResult | None
    lookup_seconds: float = 0.0
    total_seconds: float = 0.0
    load_before: float = 0.0
    command: str = "python -m benchmarks.run"
    version_before: str = "unknown"
    version_after: str = "unknown"
    seed: int = generate.DEFAULT_SEED


def calibration_line(r: Results) -> str:
    size = f"{r.corpus_bytes / r.pages / 1024:.0f} KB on average"
    if r.real is None:
        return (f"Calibration: bare `trafilatura.extract` CPU per page, generated "
                f"{r.bare_cpu / r.pages * 1000:.1f} ms ({r.pages:,} pages, {size}); comparison with "
                f"real French pages skipped: no corpus at {r.real_corpus}.")  # fmt: skip
    real = r.real
    ok = abs(real.ratio - 1) <= CALIBRATION_TOLERANCE
    rounds = len(real.real_rounds)
    return (
        f"Calibration: bare `trafilatura.extract` CPU per page, generated "
        f"{real.generated_ms_per_page:.1f} ms ({r.pages:,} pages, {size}) vs real French news pages "
        f"{real.ms_per_page:.1f} ms "
        f"({real.pages} pages, {real.total_bytes / real.pages / 1024:.0f} KB on average; {real.corpus}: "
        f"{', '.join(real.sources)}); medians of {rounds} rounds interleaved in the bare loop: "
        f"{real.ratio:.2f}x, " + (f"within ±{CALIBRATION_TOLERANCE:.0%}." if ok else
                                  f"OUTSIDE ±{CALIBRATION_TOLERANCE:.0%}: recalibrate benchmarks/generate.py "
                                  "(or the machine was too busy to tell).")
    )  # fmt: skip


def _rss_detail(run: CliRun) -> str:
    return f"{mb(run.usage.rss_bytes)} ({run.usage.describe()}); PSS {mb(run.usage.pss_bytes)}"


def report(r: Results, extra_rows: list[list[str]] = ()) -> str:  # type: ignore[assignment]
    """The markdown of the run; `extra_rows`: more rows of the summary table
    (the fixed cost against its baseline, from benchmarks/fixed_cost.py)."""
    bare_pps = r.pages / r.bare_seconds
    lines = [
        "## Benchmark (`make bench`)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · code {r.version_before} · {os.cpu_count()} CPUs · Python "
        f"{platform.python_version()} · trafilatura {metadata.version('trafilatura')} · prefect "
        f"{metadata.version('prefect')} · duckdb {metadata.version('duckdb')} · corpus: {r.pages:,} "
        f"generated pages, {r.corpus_bytes / r.pages / 1024:.0f} KB each on average "
        f"(benchmarks/generate.py, seed {r.seed})",
        "",
        calibration_line(r),
        "",
    ]
    if r.version_after != r.version_before:
        lines += [f"WARNING: the code changed during the benchmark ({r.version_before} -> "
                  f"{r.version_after}): figures mix two versions.", ""]  # fmt: skip
    rows: list[list[str]] = []
    par_pps = r.parallel_pages / r.parallel_seconds if r.parallel_seconds else None
    for m in r.modes:
        first = m.first
        steady = first.timeline.get(CHUNKS_PHASE)
        if m.mode == SERVICE and steady and par_pps:
            ratio = r.pages / steady / par_pps
            rows.append([
                f"steady state, `veille ingest` of {r.pages:,} pages against a running Prefect server "
                f"(first chunk running -> last write)",
                f"{r.pages / steady:.1f} pages/s ({steady:.1f} s; end to end {first.pages_per_second:.1f} "
                f"pages/s, {first.wall:.1f} s)",
                f"bare `trafilatura.extract` loop, {os.cpu_count()} warm processes: {par_pps:.1f} pages/s "
                f"({r.parallel_pages:,} pages, {r.parallel_seconds:.1f} s)",
                f"ratio >= {TARGET_STEADY}",
                f"{verdict(ratio >= TARGET_STEADY)} {ratio:.2f}x",
            ])  # fmt: skip
        if m.mode == TEMPORARY:
            ratio = first.pages_per_second / bare_pps
            rows.append([
                f"cold, `veille ingest` of {r.pages:,} pages with its temporary Prefect server, end to end",
                f"{first.pages_per_second:.1f} pages/s ({first.wall:.1f} s)",
                f"bare `trafilatura.extract` loop, 1 process: {bare_pps:.1f} pages/s "
                f"({r.bare_seconds:.1f} s)",
                f"ratio >= {TARGET_COLD}",
                f"{verdict(ratio >= TARGET_COLD)} {ratio:.2f}x",
            ])  # fmt: skip
    rows += extra_rows
    for m in r.modes:
        first = m.first
        where = " (CLI tree + the running server)" if m.mode == SERVICE else ""
        big_rss = first.usage.rss_bytes
        if m.small is not None:
            small_rss = m.small.usage.rss_bytes
            growth = big_rss / small_rss if small_rss else float("inf")
            rows.append([f"peak RSS, {r.small:,} pages — **{m.mode}**{where}", _rss_detail(m.small), "",
                         f"< {mb(TARGET_RSS)}", verdict(small_rss < TARGET_RSS)])  # fmt: skip
            rows.append([
                f"peak RSS, {r.pages:,} pages — **{m.mode}**{where}", _rss_detail(first),
                f"{r.small:,} pages: {mb(small_rss)}",
                f"< {mb(TARGET_RSS)}, <= {TARGET_RSS_GROWTH}x the {r.small:,}-page peak",
                f"{verdict(big_rss < TARGET_RSS and growth <= TARGET_RSS_GROWTH)} {growth:.2f}x",
            ])  # fmt: skip
        else:
            rows.append([f"peak RSS, {r.pages:,} pages — **{m.mode}**{where}", _rss_detail(first), "",
                         f"< {mb(TARGET_RSS)}", verdict(big_rss < TARGET_RSS)])  # fmt: skip
    if r.lookups is not None and len(r.lookups.probes) >= 2:
        probes = r.lookups.probes
        lo, hi = probes[0], probes[-1]
        growth = hi.ms_per_article / lo.ms_per_article
        rows.append([
            f"near-duplicate lookup, per new article (batches of {lo.batch})",
            " · ".join(f"{p.stored_before:,} stored: {p.ms_per_article:.2f} ms" for p in probes),
            f"{lo.stored_before:,} stored: {lo.ms_per_article:.2f} ms",
            f"{_short(hi.stored_before)} <= {TARGET_LOOKUP_GROWTH}x {_short(lo.stored_before)}",
            f"{verdict(growth <= TARGET_LOOKUP_GROWTH)} {growth:.2f}x",
        ])  # fmt: skip
    for m in r.modes:
        first, second = m.first, m.second
        share = second.wall / first.wall
        none_extracted = (second.stage_seconds.get("extract", 0.0) == 0.0
                          and second.run.get("skipped") == r.pages)  # fmt: skip
        rows.append([
            f"second run over the same {r.pages:,} inputs — **{m.mode}**",
            f"{second.wall:.1f} s = {share:.0%} of run 1; skipped {second.run.get('skipped')}, "
            f"extract {second.stage_seconds.get('extract', 0.0):.1f} s",
            f"run 1: {first.wall:.1f} s",
            f"< {TARGET_RERUN_SHARE:.0%}, no page re-extracted",
            f"{verdict(share < TARGET_RERUN_SHARE and none_extracted)} {share:.0%}"
            + ("" if none_extracted else " (pages re-extracted)"),
        ])  # fmt: skip
    lines += _md_table(["figure", "measured", "baseline", "target", "result"], rows, "lllll")

    notes = ["Modes: **temporary** = `veille ingest` with no PREFECT_API_URL, as a user runs it: each "
             "run starts a temporary Prefect server (`prefect server start`, no UI, no scheduler) "
             "and stops it on exit (both in its wall time, the server in its memory)"
             + ("; these runs come after the service-mode ones and use the PREFECT_HOME its server "
                "left (database created and migrated), as on a machine that has run `veille serve`."
                if r.server is not None else ".")]  # fmt: skip
    if r.server is not None:
        s = r.server
        notes.append(
            f"**service** = every run with PREFECT_API_URL set to one `prefect server start` "
            f"(127.0.0.1:{s.port}, its own PREFECT_HOME), as a deployed Veille runs: a run's Prefect "
            "start-up is imports + client + flow run creation; the server counts in the RSS and CPU "
            f"figures while the runs last. The server itself took {s.start_seconds:.1f} s from launch "
            f"to /api/health answering (not in any run's time), held {mb(s.idle_rss)} RSS once up, "
            f"and stopped in {s.stop_seconds:.1f} s at the end."
        )  # fmt: skip
    lines += ["", " ".join(notes)]
    cpu_notes = []
    for m in r.modes:
        cpu_notes.append(f"{m.mode} {m.first.cpu / r.pages * 1000:.1f} ms")
    cpu_note = (f"CPU per page, start-up included (all processes): `veille ingest` "
                f"{', '.join(cpu_notes)}, vs the bare loop "
                f"{r.bare_cpu / r.pages * 1000:.1f} ms.")  # fmt: skip
    fixed = []
    for m in r.modes:
        steady = m.first.timeline.get(CHUNKS_PHASE)
        if steady:
            fixed.append(f"{m.mode} {m.first.wall - steady:.1f} s of {m.first.wall:.1f}")
    if fixed:
        cpu_note += (" Fixed cost of run 1 (wall time minus first chunk running -> last write): "
                     + ", ".join(fixed) + ".")  # fmt: skip
    if par_pps:
        cpu_note += (f" The same bare loop spread over {os.cpu_count()} warm processes "
                     f"({r.parallel_pages:,} pages) runs at {par_pps:.1f} pages/s: "
                     f"{par_pps / bare_pps:.2f}x, the most any pipeline doing at least "
                     "trafilatura's work can reach on this machine.")  # fmt: skip
    lines += ["", cpu_note]
    ceiling = marginal_cpu_note(r)
    if ceiling:
        lines += ["", ceiling]

    # outcomes: the corpus must be stored, not rejected or deduplicated
    outcome_lines = []
    for m in r.modes:
        run, first = m.first.run, m.first
        outcome = (f"{run.get('inputs')} inputs: {run.get('stored')} stored, "
                   f"{run.get('duplicates')} duplicates, {run.get('rejected')} rejected, "
                   f"{run.get('skipped')} skipped")  # fmt: skip
        details = [f"{k} {v}" for k, v in sorted(first.duplicates.items())]
        details += [f"rejected {k} {v}" for k, v in sorted(first.rejects.items())]
        outcome_lines.append(f"{m.mode}: {outcome}" + (f" ({', '.join(details)})" if details else ""))
    kept = min((m.first.run.get("stored") or 0) for m in r.modes) / r.pages
    check = ("every page stored, as the corpus intends" if kept == 1 else
             "most pages stored" if kept >= 0.9 else
             "WARNING: under 90% of the pages stored: the corpus no longer exercises the whole "
             "pipeline (see benchmarks/generate.py) and the throughput figure is not comparable")  # fmt: skip
    lines += ["", f"Run 1 outcomes: {'; '.join(outcome_lines)}: {check}. Bare trafilatura found text "
              f"in {r.bare_found:,} of {r.pages:,} pages."]  # fmt: skip

    # time per stage
    lines += ["", f"### Time per stage, run 1 ({r.pages:,} pages; `runs.stage_seconds`, "
              "seconds summed over the workers)", ""]  # fmt: skip
    per_mode = []
    for m in r.modes:
        stages = dict(m.first.stage_seconds)
        if "write" not in stages and m.first.writes:
            stages["write"] = sum(m.first.writes)  # older flows did not time the writer themselves
        per_mode.append(stages)
    names = [*STAGES, *sorted(set().union(*per_mode) - set(STAGES) - {"write"}), "write"]
    stage_rows = []
    for name in names:
        label = name
        if name == "write":
            batches = max(len(m.first.writes) for m in r.modes) or "?"
            label = f"write (single writer, {batches} batches, beside the workers)"
        row = [label]
        for stages in per_mode:
            sec, total = stages.get(name), sum(stages.values())
            share = f"{sec / total:.0%}" if sec is not None and total else ""
            row += ["n/a", "", ""] if sec is None else [_s(sec, 2), f"{sec / r.pages * 1000:.2f}", share]
        stage_rows.append(row)
    sum_row = ["**sum**"]
    for stages in per_mode:
        total = sum(stages.values())
        sum_row += [_s(total, 2), f"{total / r.pages * 1000:.2f}", ""]
    stage_rows.append(sum_row)
    header = ["stage"]
    for m in r.modes:
        header += [f"{m.mode} s", "ms per page", "share"]
    lines += _md_table(header, stage_rows, "l" + "rrr" * len(r.modes))
    notes = ["Stage times are wall-clock inside the workers: on a busy machine they include "
             "waiting for a CPU."]  # fmt: skip
    for m in r.modes:
        if m.first.writes:
            notes.append(f"Inside Prefect's write-batch task runs ({m.mode}): {sum(m.first.writes):.2f} s "
                         f"({', '.join(f'{w:.2f}' for w in m.first.writes)}).")  # fmt: skip
    lines += ["", " ".join(notes)]

    ip = r.in_process
    if ip is not None:
        bare_ms = r.bare_cpu / r.pages * 1000
        ip_ms = ip.cpu / ip.pages * 1000
        n = os.cpu_count() or 1
        lines += ["", f"### The pipeline's own cost, without Prefect (`process_items` over {ip.pages} "
                  "pages in one process)", ""]  # fmt: skip
        ip_rows = [[name, f"{sec / ip.pages * 1000:.2f}"] for name, sec in
                   sorted(ip.stage_seconds.items(), key=lambda kv: STAGES.index(kv[0])
                          if kv[0] in STAGES else 99)]  # fmt: skip
        ip_rows.append(["**CPU per page, all stages**", f"{ip_ms:.2f}"])
        ip_rows.append(["bare `trafilatura.extract` CPU per page", f"{bare_ms:.2f}"])
        lines += _md_table(["stage", "ms per page"], ip_rows, "lr")
        lines += ["", f"{ip.kept} of {ip.pages} kept. At this cost, {n} workers with no other "
                  f"overhead would reach at most {n * bare_ms / ip_ms:.2f}x the bare loop "
                  f"({n} x {bare_ms:.1f} / {ip_ms:.1f})."]  # fmt: skip

    # where the wall time of run 1 goes
    lines += ["", "### Wall time of run 1 (phases from Prefect's flow and task run records, seconds)", ""]
    tl_rows = [[phase] + [_s(m.first.timeline.get(phase)) for m in r.modes] for phase in PHASES]
    tl_rows.append(["**wall time**"] + [f"{m.first.wall:.1f}" for m in r.modes])
    tl_rows.append(["process-chunk task runs: count, mean s"]
                   + [f"{len(m.first.chunks)}, {sum(m.first.chunks) / len(m.first.chunks):.2f}"
                      if m.first.chunks else "" for m in r.modes])  # fmt: skip
    tl_rows.append([f"CPU time (user + sys), {os.cpu_count()} CPUs"]
                   + [f"{m.first.cpu:.1f}: {cpu_split(m.first.usage)}" for m in r.modes])  # fmt: skip
    lines += _md_table(["phase", *(m.mode for m in r.modes)], tl_rows, "l" + "r" * len(r.modes))

    # the other runs, for reference
    other_rows = []
    for run_ in ([r.empty] if r.empty else []) + [x for m in r.modes for x in m.runs]:
        other_rows.append([run_.mode, run_.label, f"{run_.pages:,}", f"{run_.wall:.1f}", _s(run_.startup),
                           f"{run_.cpu:.1f}", cpu_split(run_.usage), mb(run_.usage.rss_bytes),
                           mb(run_.usage.pss_bytes), str(run_.usage.max_processes)])  # fmt: skip
    lines += ["", "### All CLI runs", ""]
    lines += _md_table(["mode", "run", "pages", "wall s", "start-up s", "CPU s", "CPU by process",
                        "peak RSS", "peak PSS", "processes"], other_rows, "llrrrrlrrr")  # fmt: skip
    left = [f"{x.mode} {x.label}: `{'`, `'.join(x.left_behind)}`" for m in r.modes for x in m.runs
            if x.left_behind]  # fmt: skip
    if left:
        lines += ["", f"Processes of a run still running {LINGER_TIMEOUT:.0f} s after `veille ingest` "
                  "exited (stopped by the benchmark): " + "; ".join(left) + "."]  # fmt: skip
    lingered = [f"{x.mode} {x.label} {x.linger:.1f} s" for m in r.modes for x in m.runs
                if not x.left_behind and x.linger >= 0.5]  # fmt: skip
    if lingered:
        lines += ["", "Processes that outlived `veille ingest` and exited on their own: "
                  + ", ".join(lingered) + "."]  # fmt: skip

    if r.lookups is not None:
        lk = r.lookups
        lines += ["", "### Near-duplicate lookup (`Store.write_batch` of new distinct candidates)", ""]
        lines += _md_table(
            ["stored before", "batch", "best s", "median s", "ms per article (best)", "repeats (s)"],
            [[f"{p.stored_before:,}", str(p.batch), f"{p.best:.3f}", f"{p.median:.3f}",
              f"{p.ms_per_article:.2f}", ", ".join(f"{s:.3f}" for s in p.seconds)]
             for p in lk.probes],
            "rrrrrl",
        )  # fmt: skip
        lines += ["", f"Filling the store through `write_batch` took {lk.fill_seconds:.0f} s "
                  f"({lk.fingerprint_wait_seconds:.0f} s of it waiting for fingerprints); "
                  f"database {mb(lk.db_bytes)}."]  # fmt: skip
    lines += ["", f"Corpus generated in {r.corpus_seconds:.1f} s; whole benchmark "
              f"{r.total_seconds / 60:.1f} min; load average {r.load_before:.1f} before, "
              f"{os.getloadavg()[0]:.1f} after (other processes on the machine skew the figures). "
              f"Command: `{r.command}`."]  # fmt: skip
    return "\n".join(lines) + "\n"


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", type=int, default=1500, help="corpus size (default 1500)")
    p.add_argument(
        "--small",
        type=int,
        default=500,
        help="smaller corpus for the memory comparison, several chunks long (a run "
        "of one chunk starts no worker process); 0 to skip (default 500)",
    )
    p.add_argument("--skip-lookup", action="store_true", help="skip the near-duplicate lookup part")
    p.add_argument(
        "--lookup-sizes",
        default="1000,10000,100000",
        help="articles stored before each lookup probe (default 1000,10000,100000)",
    )
    p.add_argument("--lookup-batch", type=int, default=200, help="new articles per probe")
    p.add_argument("--lookup-repeats", type=int, default=3, help="timed batches per probe (default 3)")
    p.add_argument(
        "--stories-sizes",
        default="1000,10000,100000",
        help="articles stored before each story placement probe (benchmarks/stories.py); '' to skip",
    )
    p.add_argument(
        "--empty-run",
        action="store_true",
        help="also run `veille ingest` on an empty directory (Prefect start-up alone); "
        "always done with --skip-service, to create PREFECT_HOME's database",
    )
    p.add_argument(
        "--skip-service",
        action="store_true",
        help="skip the service-mode runs (one shared `prefect server start`)",
    )
    p.add_argument("--workers", type=int, default=None, help="passed to `veille ingest`")
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="settings TOML passed to `veille ingest` (and used for the in-process "
        "measure), e.g. to compare [ingest] extraction = 'full'",
    )
    p.add_argument(
        "--profile-pages",
        type=int,
        default=100,
        help="pages for the in-process pipeline cost, without Prefect; 0 to skip (default 100)",
    )
    p.add_argument(
        "--parallel-pages",
        type=int,
        default=0,
        help="pages for the bare loop over one process per CPU (default 0: all of --pages)",
    )
    p.add_argument(
        "--real-corpus",
        type=Path,
        default=REAL_CORPUS,
        help=f"real French pages for the calibration line (default {REAL_CORPUS})",
    )
    p.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    p.add_argument("--dask-pages", type=int, default=300, help="pages for the Dask figure; 0 to skip")
    p.add_argument("--fixed-cost-runs", type=int, default=3,
                   help="cold runs on seeds/ and 50 pages for the fixed cost; 0 to skip")  # fmt: skip
    p.add_argument("--fixed-cost-baseline", default=fixed_cost.BASELINE_REV,
                   help="git revision whose fixed cost is the baseline, run interleaved; '' for none "
                   "(default %(default)s)")  # fmt: skip
    p.add_argument(
        "--peers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="newspaper4k and news-please side by side, installed into .bench-peers/ (default on)",
    )
    p.add_argument(
        "--peer-pages",
        type=int,
        default=peers.DEFAULT_PAGES,
        help="pages for the peers figure (default %(default)s)",
    )
    p.add_argument("--keep", action="store_true", help="keep the scratch directory")
    p.add_argument(
        "--scratch", type=Path, default=None, help="scratch directory (default: a new temporary directory)"
    )
    p.add_argument("--out", type=Path, default=HERE / "last-run.md", help="where to write the table")
    args = p.parse_args(argv)
    args.command = " ".join(["python -m benchmarks.run", *(sys.argv[1:] if argv is None else argv)])
    if args.pages < 1 or args.small < 0 or args.small >= args.pages:
        p.error("need --pages >= 1 and 0 <= --small < --pages")
    return args


def _link_subset(paths: list[Path], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for path in paths:
        try:
            os.link(path, directory / path.name)
        except FileExistsError:
            continue
        except OSError:
            shutil.copy2(path, directory / path.name)


def run(args: argparse.Namespace) -> Results:
    t_all = time.perf_counter()
    load_before = os.getloadavg()[0]
    version_before = code_version()
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="veille-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    log(f"scratch directory: {scratch}")
    server: PrefectServer | None = None
    try:
        t = time.perf_counter()
        corpus = generate.generate(scratch / "corpus", args.pages, args.seed)
        corpus_seconds = time.perf_counter() - t
        log(f"corpus: {args.pages} pages, {corpus.total_bytes / args.pages / 1024:.0f} KB each, "
            f"in {corpus_seconds:.1f} s")  # fmt: skip

        reference = real_pages(args.real_corpus)
        with_real = f", {len(reference.texts)} real French pages interleaved" if reference else ""
        log(f"bare trafilatura.extract loop{with_real} ...")
        bare_seconds, bare_cpu, bare_found, real = bare_trafilatura(corpus.paths, reference)
        log(f"bare: {bare_seconds:.1f} s, {args.pages / bare_seconds:.1f} pages/s, "
            f"CPU {bare_cpu / args.pages * 1000:.1f} ms per page")  # fmt: skip
        if real is not None:
            log(f"real French pages: {real.ms_per_page:.1f} ms per page ({real.pages} pages), generated "
                f"{real.generated_ms_per_page:.1f} ms: {real.ratio:.2f}x")  # fmt: skip
        ncpu = os.cpu_count() or 1
        parallel_seconds, parallel_pages = None, min(args.parallel_pages or args.pages, args.pages)
        if ncpu > 1 and parallel_pages:
            parallel_seconds = bare_parallel(corpus.paths[:parallel_pages], ncpu)
            log(f"bare in {ncpu} processes: {parallel_pages} pages in {parallel_seconds:.1f} s")

        in_process = None
        if args.profile_pages:
            log(f"pipeline in one process, {min(args.profile_pages, args.pages)} pages ...")
            in_process = pipeline_in_process(corpus.paths[: args.profile_pages], args.config)
        if args.small:
            _link_subset(corpus.paths[: args.small], scratch / "corpus-small")

        def runs(mode: str, home: Path, srv: PrefectServer | None) -> ModeRuns:
            def cli(label: str, directory: Path, pages: int, db: Path) -> CliRun:
                return run_cli(label, directory, pages, db, home, scratch, args.workers, args.config,
                               srv)  # fmt: skip

            small_run = None
            if args.small:
                small_run = cli(f"{args.small} pages", scratch / "corpus-small", args.small,
                                scratch / f"{mode}-small.duckdb")  # fmt: skip
            db = scratch / f"{mode}.duckdb"
            first = cli(f"{args.pages} pages, run 1", corpus.directory, args.pages, db)
            second = cli(f"{args.pages} pages, run 2 (same inputs)", corpus.directory, args.pages, db)
            return ModeRuns(mode, small_run, first, second)

        # Service mode first: its server creates and migrates the Prefect database in its
        # PREFECT_HOME (its start time is the cold start), and the temporary-mode runs then
        # use that home, warm, as `veille ingest` does after `veille serve` on one machine.
        modes: list[ModeRuns] = []
        temp_home = scratch / "prefect-home"
        if not args.skip_service:
            temp_home = scratch / "prefect-server-home"
            server = start_prefect_server(temp_home, scratch)
            try:
                modes.append(runs(SERVICE, scratch / "prefect-client-home", server))
            finally:
                stop_prefect_server(server)
        empty = None
        if args.empty_run or args.skip_service:
            (scratch / "empty").mkdir(exist_ok=True)
            label = "empty dir" + (", cold PREFECT_HOME" if args.skip_service else "")
            empty = run_cli(label, scratch / "empty", 0, scratch / "empty.duckdb", temp_home, scratch,
                            args.workers, args.config)  # fmt: skip
        modes.insert(0, runs(TEMPORARY, temp_home, None))

        lookups, lookup_seconds = None, 0.0
        if not args.skip_lookup:
            sizes = [int(x) for x in args.lookup_sizes.split(",") if x.strip()]
            log(f"near-duplicate lookup at {', '.join(f'{s:,}' for s in sizes)} stored ...")
            t = time.perf_counter()
            try:
                lookups = lookup.run(scratch / "lookup.duckdb", sizes, batch=args.lookup_batch,
                                     repeats=args.lookup_repeats, processes=max(1, min(2, ncpu)),
                                     log=log)  # fmt: skip
            except (RuntimeError, OSError) as exc:
                raise BenchError(f"near-duplicate lookup: {exc}") from exc
            lookup_seconds = time.perf_counter() - t
        return Results(args.pages, args.small, corpus.total_bytes, corpus_seconds, bare_seconds,
                       bare_cpu, bare_found, real, args.real_corpus, parallel_pages, parallel_seconds,
                       in_process, empty, modes, server, lookups, lookup_seconds,
                       time.perf_counter() - t_all, load_before, args.command, version_before,
                       code_version(), args.seed)  # fmt: skip
    finally:
        if server is not None and server.proc.poll() is None:
            stop_prefect_server(server)
        if args.keep or args.scratch:
            log(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def baseline_tree(rev: str) -> Iterator[tuple[Path | None, str]]:
    """A checkout of `rev` (a git worktree in a temporary directory, removed
    after) and its name; (None, "") without git, the commit or with `rev` empty."""
    if not rev:
        yield None, ""
        return
    root = HERE.parent
    where = Path(tempfile.mkdtemp(prefix="veille-baseline-")) / "tree"
    try:
        subprocess.run(["git", "worktree", "add", "--detach", str(where), rev], cwd=root,
                       capture_output=True, check=True)  # fmt: skip
    except subprocess.CalledProcessError as exc:
        log(f"(fixed cost without its baseline: no checkout of {rev}: {exc.stderr.decode(errors='replace')})")
        shutil.rmtree(where.parent, ignore_errors=True)
        yield None, ""
        return
    except OSError as exc:
        log(f"(fixed cost without its baseline: no checkout of {rev}: {exc})")
        shutil.rmtree(where.parent, ignore_errors=True)
        yield None, ""
        return
    try:
        yield where, f"{rev} (main when the performance issue was filed)"
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=root, capture_output=True)
        shutil.rmtree(where.parent, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        results = run(args)
    except BenchError as exc:
        log(f"bench: error: {exc}")
        return 1
    fixed_text, fixed_rows = "", []
    if args.fixed_cost_runs:
        with baseline_tree(args.fixed_cost_baseline) as (base, name):
            fixed_text, fixed_rows = fixed_cost.section(args.fixed_cost_runs, 50, log, base, name)
    text = report(results, fixed_rows)
    if fixed_text:
        text += "\n" + fixed_text
    if args.dask_pages:
        text += dask_figure.section(min(args.dask_pages, args.pages), args.seed, log)
    if args.stories_sizes:
        text += "\n" + stories.section([int(x) for x in args.stories_sizes.split(",") if x.strip()], log)
    if args.peers and args.peer_pages >= peers.WARMUP:
        text += "\n" + peers.section(min(args.peer_pages, args.pages), args.seed, log)
    print(text)
    log(calibration_line(results))
    args.out.write_text(text, encoding="utf-8")
    log(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
