"""The fixed cost of a cold `veille ingest`, and its parts.

A cold run is `veille ingest` with no PREFECT_API_URL: it starts its own
temporary Prefect server and its worker processes, runs the flow, publishes
the snapshot and stops the server. On a few pages that start and stop is
nearly all of the wall time. The fixed cost is the wall time minus the part
that grows with the pages: from the moment the flow starts judging with warm
workers to the end of its last write (pages × the steady time per page, as
measured in the same run).

Each run is a real `veille ingest` (a subprocess with a fresh `--db`, in its
own process group) with `VEILLE_TIMINGS=FILE` (flows/timings.py): the
command appends when it reaches each stage, on `time.monotonic()`, the clock
this benchmark reads too. The temporary server's own readiness is read from
outside: a thread finds its port on its command line and polls its
`/api/health`. The runs share one temporary PREFECT_HOME, as the bench's
temporary mode does; the first run (which creates Prefect's database there)
is reported on its own line and left out of the medians.

    python -m benchmarks.fixed_cost [--runs 3] [--pages 50] [--seeds seeds]

The machine may be busy (2 CPUs, other work): the table gives the median of
the runs, and the best run's total beside it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "seeds"
RUN_TIMEOUT = 300.0  # seconds for one small cold run

# The command's critical path, stage to stage: (part, from, to). "start" is
# the benchmark's launch of the process, "end" the moment it was reaped.
PARTS: tuple[tuple[str, str, str], ...] = (
    ("interpreter and CLI imports", "start", "imports"),
    ("settings, inputs, launch server and workers", "imports", "pool-launched"),
    ("Prefect and flow imports", "pool-launched", "prefect-imported"),
    ("waiting for the server", "prefect-imported", "server-waited"),
    ("flow run start", "server-waited", "flow-started"),
    ("run lock, begin run, discover, skip-settled", "flow-started", "judging"),
    ("judging and writes (per page)", "judging", "write-done"),
    ("finish run row", "write-done", "snapshot-start"),
    ("snapshot", "snapshot-start", "snapshot-done"),
    ("artifacts", "snapshot-done", "artifacts-done"),
    ("flow run end", "artifacts-done", "flow-ended"),
    ("workers stop", "flow-ended", "flow-returned"),
    ("summary, Prefect's exit handlers", "flow-returned", "server-stop"),
    ("server stop", "server-stop", "server-stopped"),
    ("interpreter exit", "server-stopped", "end"),
)
# Beside the critical path: how long the things started early took.
ASIDE: tuple[tuple[str, str, str], ...] = (
    ("server launch → /api/health answers", "server-launched", "server-healthy"),
    ("workers launch → all warm", "pool-launched", "pool-ready"),
    ("first judged chunk, from judging", "judging", "chunk-judged"),
)


@dataclass
class Run:
    label: str
    pages: int
    wall: float
    marks: dict[str, float]  # stage -> seconds since the launch (last occurrence)
    first: dict[str, float] = field(default_factory=dict)  # stage -> first occurrence

    def span(self, a: str, b: str) -> float | None:
        ta = self.first.get(a) if a in ("judging", "imports") else self.marks.get(a)
        tb = self.first.get(b) if b == "imports" else self.marks.get(b)
        return None if ta is None or tb is None else tb - ta

    @property
    def per_page_part(self) -> float:
        """The part that grows with the pages: judging with warm workers, and writing."""
        start = max(self.marks.get("judging", 0.0), self.marks.get("pool-ready", 0.0))
        return max(0.0, self.marks.get("write-done", start) - start)

    @property
    def marked(self) -> bool:
        """Whether the code run wrote stage marks (trees before flows/timings.py did not)."""
        return "write-done" in self.marks

    @property
    def fixed(self) -> float:
        return self.wall - self.per_page_part


# The code when the performance issue (13) was filed: its fixed cost is what
# "a quarter of what it is now" is measured against.
BASELINE_REV = "92df788"
TARGET_FIXED_SHARE = 0.25


def fixed_costs(runs: list[Run], reference: list[Run]) -> list[float]:
    """Each run's fixed cost; for a run without stage marks (an older tree),
    its wall time minus its pages at the steady time per page of `reference`
    (this tree's runs on the same inputs)."""
    steady = statistics.median(r.per_page_part / r.pages for r in reference) if reference else 0.0
    return [r.fixed if r.marked else r.wall - r.pages * steady for r in runs]


def _server_port(root: int) -> int | None:
    """The port on the command line of `prefect server start` under `root`."""
    from benchmarks.run import _cmdline, tree

    for pid in tree(root):
        match = re.search(r"server start .*--port (\d+)", _cmdline(pid))
        if match:
            return int(match.group(1))
    return None


def _watch_health(root: int, found: dict[str, float], t0: float, stop: threading.Event) -> None:
    port = None
    while not stop.is_set() and "server-healthy" not in found:
        port = port or _server_port(root)
        if port:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as r:
                    if r.status == 200:
                        found["server-healthy"] = time.monotonic() - t0
            except (urllib.error.URLError, OSError):
                pass
        stop.wait(0.02)


def cold_run(label: str, inputs: Path, pages: int, db: Path, home: Path, scratch: Path,
             code: Path | None = None) -> Run:  # fmt: skip
    """One cold `veille ingest INPUTS --db DB` with PREFECT_HOME=HOME; with
    `code`, the Veille of that source tree."""
    from benchmarks.run import BenchError, _tail, cli_env, stop_group, veille_command

    timings = scratch / f"{db.stem}.timings"
    env = cli_env(home) | {"VEILLE_TIMINGS": str(timings)}
    veille = veille_command()
    if code is not None:  # the `veille` script as pip writes it, on that tree's code
        env["PYTHONPATH"] = str(code)
        script = scratch / "veille-script.py"
        script.write_text("import sys\nfrom flows.cli import main\nif __name__ == '__main__':\n"
                          "    sys.exit(main())\n", encoding="utf-8")  # fmt: skip
        veille = [sys.executable, str(script)]
    cmd = [*veille, "ingest", str(inputs), "--db", str(db)]
    err_path = scratch / f"{db.stem}.stderr"
    with err_path.open("wb") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, cwd=code or HERE.parent, start_new_session=True)  # fmt: skip
        found: dict[str, float] = {}
        stop = threading.Event()
        watcher = threading.Thread(target=_watch_health, args=(proc.pid, found, t0, stop), daemon=True)
        watcher.start()
        try:
            rc = proc.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            rc = None
        finally:
            wall = time.monotonic() - t0
            stop.set()
            watcher.join()
            stop_group(proc, grace=5)
    if rc != 0:
        raise BenchError(f"`{' '.join(cmd)}` ended with {rc}:\n{_tail(err_path)}")
    marks: dict[str, float] = {"start": 0.0, "end": wall, **found}
    first: dict[str, float] = {}
    lines = timings.read_text(encoding="utf-8").splitlines() if timings.exists() else []  # older trees
    for line in lines:
        stage, at = line.split("\t")
        marks[stage] = float(at) - t0
        first.setdefault(stage, float(at) - t0)
    return Run(label, pages, wall, marks, first)


def measure(runs: int = 3, pages: int = 50, seeds: Path = SEEDS, scratch: Path | None = None,
            log: Callable[[str], None] = print,
            baseline: Path | None = None) -> tuple[Run | None, dict[str, list[Run]]]:  # fmt: skip
    """A first run in a fresh PREFECT_HOME (Prefect creates its database), then
    `runs` cold runs on `seeds`, and as many on `pages` generated pages; with
    `baseline` (another source tree), each run of this tree is followed by the
    same run of that one, both through a copy of the `veille` script."""
    from benchmarks import generate

    own = scratch is None
    scratch = scratch or Path(tempfile.mkdtemp(prefix="veille-fixed-"))
    home = scratch / "prefect-home"
    n_seeds = sum(1 for p in seeds.rglob("*") if p.is_file())
    sets: dict[str, tuple[Path, int]] = {f"{n_seeds} seeds": (seeds, n_seeds)}
    try:
        if pages:
            corpus = generate.generate(scratch / "corpus", pages)
            sets[f"{pages} generated pages"] = (corpus.directory, pages)
        first = cold_run("first run, fresh PREFECT_HOME", seeds, n_seeds, scratch / "first.duckdb", home,
                         scratch)  # fmt: skip
        log(f"[fixed cost] first run (creates PREFECT_HOME's database): {first.wall:.2f} s")
        trees: dict[str, Path | None] = {"": None}
        if baseline is not None:
            trees = {"baseline: ": baseline, "this tree: ": HERE.parent}
        out: dict[str, list[Run]] = {tree + label: [] for label in sets for tree in trees}
        for i in range(runs):  # interleaved: a burst of load hits every set alike
            for label, (inputs, n) in sets.items():
                for tree, code in trees.items():
                    name = tree + label
                    db = scratch / f"{re.sub(r'[^a-z0-9]+', '-', name)}-{i}.duckdb"
                    run = cold_run(name, inputs, n, db, home, scratch, code)
                    out[name].append(run)
                    log(f"[fixed cost] {name}, run {i + 1}: {run.wall:.2f} s, fixed {run.fixed:.2f} s")
        return first, out
    finally:
        if own:
            shutil.rmtree(scratch, ignore_errors=True)


def _median(values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    return f"{statistics.median(got):.2f}" if got else "–"


def table(first: Run | None, sets: dict[str, list[Run]]) -> str:
    labels = list(sets)
    lines = ["| part (median s) | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for name, a, b in PARTS:
        lines.append(f"| {name} | " + " | ".join(_median([r.span(a, b) for r in sets[x]]) for x in labels)
                     + " |")  # fmt: skip
    lines.append("| **wall** | " + " | ".join(_median([r.wall for r in sets[x]]) for x in labels) + " |")
    fixed = {x: fixed_costs(sets[x], _reference(sets, x)) for x in labels}
    lines.append("| **fixed cost** (wall − judging and writes) | "
                 + " | ".join(_median(list(fixed[x])) for x in labels) + " |")  # fmt: skip
    lines.append("| fixed cost, best run | " + " | ".join(f"{min(fixed[x]):.2f}" for x in labels) + " |")
    lines.append("| steady ms per page | "
                 + " | ".join(f"{statistics.median(r.per_page_part / r.pages for r in sets[x]) * 1000:.0f}"
                              if sets[x][0].marked else "–" for x in labels) + " |")  # fmt: skip
    lines += ["", "| beside the critical path (median s) | " + " | ".join(labels) + " |",
              "|---|" + "---:|" * len(labels)]  # fmt: skip
    for name, a, b in ASIDE:
        lines.append(f"| {name} | " + " | ".join(_median([r.span(a, b) for r in sets[x]]) for x in labels)
                     + " |")  # fmt: skip
    runs = sum(len(v) for v in sets.values())
    if any(not r.marked for v in sets.values() for r in v):
        note_marks = ("\nThe baseline tree writes no stage marks: its parts are blank and its fixed cost is "
                      "its wall time minus its pages at this tree's steady time per page.")  # fmt: skip
    else:
        note_marks = ""
    note = (f"\n{runs} cold `veille ingest` runs (no PREFECT_API_URL), interleaved, on {os.cpu_count()} "
            f"CPUs, load average {os.getloadavg()[0]:.1f} after.")  # fmt: skip
    if first is not None:
        note += (f" The first run, in a fresh PREFECT_HOME (Prefect creates its database), took "
                 f"{first.wall:.2f} s (fixed {first.fixed:.2f} s); it is not in the medians.")  # fmt: skip
    return "\n".join(lines) + "\n" + note + note_marks + "\n"


def _reference(sets: dict[str, list[Run]], label: str) -> list[Run]:
    """This tree's runs on the inputs of `label` (itself without a baseline)."""
    inputs = label.split(": ", 1)[-1]
    return next((v for k, v in sets.items() if k.split(": ", 1)[-1] == inputs and v[0].marked), [])


def verdicts(sets: dict[str, list[Run]], baseline_name: str) -> list[list[str]]:
    """Rows of the summary table: each input set's median fixed cost against the
    baseline tree's, target at most TARGET_FIXED_SHARE of it."""
    rows = []
    for label, runs in sets.items():
        if not label.startswith("this tree: "):
            continue
        inputs = label.removeprefix("this tree: ")
        base = sets.get(f"baseline: {inputs}")
        if not base:
            continue
        ours = statistics.median(fixed_costs(runs, runs))
        theirs = statistics.median(fixed_costs(base, runs))
        share = ours / theirs if theirs > 0 else float("inf")
        ok = share <= TARGET_FIXED_SHARE
        rows.append([
            f"fixed cost of a cold `veille ingest`, {inputs} (median of {len(runs)})",
            f"{ours:.2f} s (wall {statistics.median(r.wall for r in runs):.2f} s)",
            f"{baseline_name}: {theirs:.2f} s (wall {statistics.median(r.wall for r in base):.2f} s)",
            f"<= {TARGET_FIXED_SHARE:.0%} of the baseline",
            f"{'**PASS**' if ok else '**FAIL**'} {share:.0%}",
        ])  # fmt: skip
    return rows


def section(runs: int, pages: int, log: Callable[[str], None], baseline: Path | None = None,
            baseline_name: str = "") -> tuple[str, list[list[str]]]:  # fmt: skip
    """The part of `make bench`'s table (benchmarks/run.py), and its rows of the
    summary table (empty without a baseline)."""
    first, sets = measure(runs, pages, log=log, baseline=baseline)
    text = "### Fixed cost of a cold `veille ingest` (`benchmarks/fixed_cost.py`)\n\n"
    if baseline is not None:
        text += f"Baseline: {baseline_name}, run interleaved with this tree.\n\n"
    return text + table(first, sets), verdicts(sets, baseline_name) if baseline is not None else []


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=3, help="cold runs per input set (default 3)")
    p.add_argument("--pages", type=int, default=50, help="generated pages for the second set; 0: none")
    p.add_argument("--seeds", type=Path, default=SEEDS, help="the small input folder (default seeds/)")
    p.add_argument("--scratch", type=Path, default=None, help="keep the runs' files there")
    p.add_argument("--baseline", type=Path, default=None,
                   help="another source tree of Veille, run interleaved with this one")  # fmt: skip
    args = p.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.scratch:
        args.scratch.mkdir(parents=True, exist_ok=True)
    first, sets = measure(args.runs, args.pages, args.seeds, args.scratch, log, args.baseline)
    print(table(first, sets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
