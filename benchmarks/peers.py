"""The peers figure of `make bench`: Veille against the extractors a user would
pick instead, measured in the same run, so that "ahead of every peer" is
re-measured at every release rather than quoted.

Systems, each in a process of its own, one after the other, over the same files:

- Veille: `extractors.judge.pipeline.process_items` (read, extract, clean,
  language, topic, fingerprint: what a worker of `veille ingest` does, without
  Prefect) in the project's environment;
- bare `trafilatura.extract` with its defaults, the floor every figure of the
  bench is set against, in the project's environment;
- newspaper4k and news-please, pinned, each in a virtual environment of its own
  under `.bench-peers/` at the repository root (not tracked), made with
  `python3.11 -m venv` and installed from PyPI by pip the first time, then
  reused while its pin is unchanged. A peer that cannot be installed (no
  network, a failed build) or that fails to run is skipped with one message,
  and the rest of the bench goes on.

The peers run benchmarks/peer_runner.py, which imports the peer and the
standard library only: it reads a list of files, writes the text of each and
the timings as JSON, and everything else (scoring included) happens here.

Two measures per system:

1. speed: the generated pages of the bench (benchmarks/generate.py, same seed,
   so the first pages of `make bench`'s corpus): wall and CPU time of the loop
   in one warm process, import and an untimed pass over the first pages
   excluded;
2. quality: P, R and F1 on the 26 French pages of trafilatura's evaluation in
   the shared corpus (../shared/corpus/extraction/trafilatura-fr), scored by
   the corpus's own score.py through benchmarks/extraction_score.py, so the
   figures are those of `python -m benchmarks.extraction_score` (Veille scored
   on `body`, as there). Every system gets the page decoded the way Veille
   decodes it; the peers also get the page's URL, which newspaper4k requires.
   The pages are written to a temporary folder for the runners, never into the
   repository.

    python -m benchmarks.peers [--pages 300] [--no-install] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import extraction_score, generate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = ROOT / ".bench-peers"
RUNNER = HERE / "peer_runner.py"
DEFAULT_PAGES = 300
WARMUP = 3  # files run untimed after the imports, before the clock starts
INSTALL_TIMEOUT = 900  # seconds for `pip install` of one peer
RUN_TIMEOUT = 120  # seconds for a runner, plus RUN_TIMEOUT_PER_PAGE a page
RUN_TIMEOUT_PER_PAGE = 3.0
GENERATED, SCORED = "generated", "trafilatura-fr"
NO_NETWORK = ("NewConnectionError", "Temporary failure in name resolution", "Network is unreachable",
              "ConnectTimeoutError")  # what pip prints when the index cannot be reached  # fmt: skip

Log = Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class Peer:
    name: str  # peer_runner.py's name for it, and its folder under the cache
    requirement: str  # what pip installs; a new pin makes a new environment


PEERS = (
    Peer("newspaper4k", "newspaper4k==0.9.6"),
    Peer("news-please", "news-please==1.6.16"),
)


class Unavailable(Exception):
    """A system could not be installed or run; the message says why, in a line."""


@dataclass(frozen=True, slots=True)
class Measure:
    system: str
    version: str
    pages: int
    wall: float  # seconds over the generated pages, import and warm-up excluded
    cpu: float
    with_text: int  # generated pages it returned text for
    errors: int  # pages it raised on (generated and scored)
    quality: dict[str, float] | None  # precision, recall, f1 on the scored pages

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.wall if self.wall else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.pages * 1000

    @property
    def wall_ms(self) -> float:
        return self.wall / self.pages * 1000


@dataclass(frozen=True, slots=True)
class Skipped:
    system: str
    reason: str


@dataclass(frozen=True, slots=True)
class Figure:
    pages: int
    page_bytes: int
    seed: int
    scored_pages: int
    corpus: Path
    rows: list[Measure | Skipped]
    load_before: float
    load_after: float
    seconds: float


# -- the peers' environments ----------------------------------------------------------------


def _last_error(path: Path) -> str:
    """The line of pip's output that says why, else its last line."""
    try:
        lines = [x.strip() for x in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    except OSError:
        return "(no output)"
    lines = [x for x in lines if x]
    errors = [x for x in lines if x.startswith("ERROR")]
    why = (errors or lines or ["(no output)"])[-1][:300]
    if any(sign in x for x in lines for sign in NO_NETWORK):
        why = f"no network? pip could not reach the index; {why}"
    return why


def ensure_env(peer: Peer, cache: Path, install: bool, log: Log) -> Path:
    """The Python of `peer`'s own environment, made and installed if needed."""
    env = cache / peer.name
    python = env / "bin" / "python"
    stamp = env / "bench-peer.txt"  # written once the install succeeded
    if python.exists() and stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == peer.requirement:
        return python
    if not install:
        raise Unavailable(f"not installed in {env} (--no-install)")
    base = shutil.which("python3.11") or sys.executable
    shutil.rmtree(env, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    out_path = cache / f"{peer.name}-install.log"
    log(f"[peers] installing {peer.requirement} into {env} (log: {out_path}) ...")
    steps = [
        [base, "-m", "venv", str(env)],
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
         "--retries", "1", "--timeout", "30", peer.requirement],
    ]  # fmt: skip
    with out_path.open("wb") as out:
        for cmd in steps:
            what = " ".join(cmd[1:4])
            try:
                rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    timeout=INSTALL_TIMEOUT, check=False).returncode  # fmt: skip
            except (OSError, subprocess.TimeoutExpired) as exc:
                shutil.rmtree(env, ignore_errors=True)
                raise Unavailable(f"`{what}` failed: {exc}") from exc
            if rc:
                shutil.rmtree(env, ignore_errors=True)
                raise Unavailable(
                    f"`{what}` exited with status {rc}: {_last_error(out_path)} (log: {out_path})"
                )
    stamp.write_text(peer.requirement + "\n", encoding="utf-8")
    return python


# -- running one system ------------------------------------------------------------------------


def run_process(
    name: str, cmd: list[str], request: dict[str, Any], scratch: Path, pages: int
) -> dict[str, Any]:
    """One system's process over `request`'s files: its JSON result."""
    stem = "".join(c if c.isalnum() else "-" for c in name)
    req, res, out_path = (
        scratch / f"{stem}.request.json",
        scratch / f"{stem}.result.json",
        scratch / f"{stem}.log",
    )
    req.write_text(json.dumps(request), encoding="utf-8")
    with out_path.open("wb") as out:
        try:
            rc = subprocess.run([*cmd, str(req), str(res)], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=ROOT, check=False,
                                timeout=RUN_TIMEOUT + RUN_TIMEOUT_PER_PAGE * pages).returncode  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise Unavailable(f"run failed: {exc}") from exc
    if rc or not res.is_file():
        raise Unavailable(f"run exited with status {rc}: {_last_error(out_path)}")
    return dict(json.loads(res.read_text(encoding="utf-8")))


def veille_worker(request_path: Path, result_path: Path) -> None:
    """Veille's side of the figure, in a process of its own, with the same JSON
    as peer_runner.py: the pipeline of a worker (`process_items`, one outcome
    per file, the body of a kept article as its text) over the generated
    pages, and `pipeline.extract` (what `veille extract` prints) over the
    scored pages, which are not on the topic and would be rejected."""
    request = json.loads(request_path.read_text(encoding="utf-8"))
    start = time.perf_counter()
    from extractors.core.records import Candidate
    from extractors.core.settings import load
    from extractors.judge import pipeline
    from extractors.sources import files

    import_seconds = time.perf_counter() - start
    settings = load(None)
    sets: dict[str, list[list[str]]] = request["sets"]

    def pipeline_texts(paths: list[str]) -> list[dict[str, Any]]:
        result = pipeline.process_items(list(files.discover(paths)), settings)
        outcomes = zip(paths, result.outcomes, strict=True)
        return [{"path": p, "text": o.extraction.body if isinstance(o, Candidate) else "",
                 "seconds": None, "error": None} for p, o in outcomes]  # fmt: skip

    def extract_texts(paths: list[str]) -> list[dict[str, Any]]:
        out = []
        for path in paths:
            _, body = extraction_score.veille(Path(path).read_text(encoding="utf-8"))
            out.append({"path": path, "text": body, "seconds": None, "error": None})
        return out

    start = time.perf_counter()
    first = next(iter(sets.values()), [])
    pipeline_texts([p for p, _ in first[: int(request.get("warmup", WARMUP))]])
    warmup_seconds = time.perf_counter() - start
    results = {}
    for name, entries in sets.items():
        paths = [p for p, _ in entries]
        wall, cpu = time.perf_counter(), time.process_time()
        out = extract_texts(paths) if name == SCORED else pipeline_texts(paths)
        results[name] = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "files": out}
    from importlib import metadata

    result = {
        "peer": "veille",
        "version": f"{metadata.version('veille')} (trafilatura {metadata.version('trafilatura')})",
        "python": platform.python_version(),
        "import_seconds": import_seconds,
        "warmup_seconds": warmup_seconds,
        "sets": results,
    }
    result_path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


# -- the figure ---------------------------------------------------------------------------------


def _scored_pages(corpus: Path, directory: Path) -> tuple[Any, Any, list[list[str]]] | None:
    """(scorer, part, [path, url] per page) for the French pages of the shared
    corpus, each written decoded to `directory`; None when the corpus is absent."""
    if not (corpus / "score.py").is_file():
        return None
    scorer = extraction_score.load_scorer(corpus)
    parts = extraction_score.load_parts(corpus, scorer, {SCORED})
    if not parts:
        return None
    part = parts[0]
    evaldata = json.loads((corpus / SCORED / "evaldata-fr.json").read_text(encoding="utf-8"))
    urls = {item["file"]: url for url, item in evaldata.items()}
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, page in enumerate(part.pages):
        path = directory / f"{i:03d}.html"
        path.write_text(page.html, encoding="utf-8")
        entries.append([str(path), urls.get(page.name, f"https://example.org/{page.name}")])
    return scorer, part, entries


def _measure(name: str, result: dict[str, Any], pages: int, scored: tuple[Any, Any, Any] | None) -> Measure:
    gen = result["sets"][GENERATED]
    files = list(gen["files"])
    errors = sum(1 for f in files if f.get("error"))
    quality = None
    if scored is not None and SCORED in result["sets"]:
        scorer, part, _ = scored
        scored_files = result["sets"][SCORED]["files"]
        errors += sum(1 for f in scored_files if f.get("error"))
        m = extraction_score.score(scorer, part, [f["text"] or "" for f in scored_files])
        quality = {k: float(m[k]) for k in ("precision", "recall", "f1")}
    return Measure(name, str(result["version"]), pages, float(gen["wall"]), float(gen["cpu"]),
                   sum(1 for f in files if (f["text"] or "").strip()), errors, quality)  # fmt: skip


def measure(pages: int, seed: int = generate.DEFAULT_SEED, corpus: Path = extraction_score.CORPUS,
            cache: Path = CACHE, install: bool = True, log: Log = print) -> Figure:  # fmt: skip
    """Install what is missing, generate the pages, run every system, score."""
    start, load_before = time.perf_counter(), os.getloadavg()[0]
    pythons: dict[str, Path | Unavailable] = {}
    for peer in PEERS:  # installs first, so that pip does not run beside a measure
        try:
            pythons[peer.name] = ensure_env(peer, cache, install, log)
        except Unavailable as exc:
            pythons[peer.name] = exc
    scratch = Path(tempfile.mkdtemp(prefix="veille-peers-"))
    try:
        generated = generate.generate(scratch / GENERATED, pages, seed)
        sets: dict[str, list[list[str]]] = {
            GENERATED: [[str(p), f"https://example.org/{p.name}"] for p in generated.paths]
        }
        scored = _scored_pages(corpus, scratch / SCORED)
        if scored is None:
            log(f"[peers] no extraction corpus at {corpus}: speed only, no F1")
        else:
            sets[SCORED] = scored[2]
        systems: list[tuple[str, list[str] | Unavailable, str]] = [
            ("Veille pipeline", [sys.executable, "-m", "benchmarks.peers", "--veille-worker"], "veille"),
            ("bare trafilatura.extract", [sys.executable, "-I", str(RUNNER)], "trafilatura"),
        ]
        for peer in PEERS:
            python = pythons[peer.name]
            cmd = python if isinstance(python, Unavailable) else [str(python), "-I", str(RUNNER)]
            systems.append((peer.name, cmd, peer.name))
        rows: list[Measure | Skipped] = []
        for name, cmd, runner_name in systems:
            if isinstance(cmd, Unavailable):
                log(f"[peers] {name}: skipped: {cmd}")
                rows.append(Skipped(name, str(cmd)))
                continue
            log(
                f"[peers] {name}: {pages} generated pages"
                + (" + the scored pages" if scored else "")
                + " ..."
            )
            request = {"peer": runner_name, "warmup": WARMUP, "sets": sets}
            try:
                row = _measure(name, run_process(name, cmd, request, scratch, pages), pages, scored)
            except (Unavailable, KeyError, ValueError) as exc:
                log(f"[peers] {name}: skipped: {exc}")
                rows.append(Skipped(name, str(exc)))
                continue
            f1 = f", F1 {row.quality['f1']:.3f}" if row.quality else ""
            log(f"[peers] {name}: {row.pages_per_second:.1f} pages/s, CPU {row.cpu_ms:.1f} ms a page{f1}")
            rows.append(row)
        return Figure(pages, generated.total_bytes, seed, len(sets.get(SCORED, [])), corpus, rows,
                      load_before, os.getloadavg()[0], time.perf_counter() - start)  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def markdown(fig: Figure) -> str:
    measured = [r for r in fig.rows if isinstance(r, Measure)]
    veille = next((r for r in measured if r.system == "Veille pipeline"), None)
    header = ["system", "version", "pages/s", "CPU ms a page", "wall ms a page", "CPU vs Veille",
              "pages with text", f"P ({SCORED})", "R", "F1"]  # fmt: skip
    rows = []
    for r in fig.rows:
        if isinstance(r, Skipped):
            rows.append([r.system, "skipped", r.reason.replace("|", "/"), *[""] * (len(header) - 3)])
            continue
        q = r.quality
        rows.append([
            r.system, r.version, f"{r.pages_per_second:.1f}", f"{r.cpu_ms:.1f}", f"{r.wall_ms:.1f}",
            f"{r.cpu_ms / veille.cpu_ms:.2f}x" if veille else "n/a", f"{r.with_text}/{r.pages}",
            *([f"{q['precision']:.3f}", f"{q['recall']:.3f}", f"**{q['f1']:.3f}**"] if q else ["n/a"] * 3),
        ])  # fmt: skip
    lines = [
        "### Peers: the same pages through the extractors users would pick instead",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs · "
        f"Python {platform.python_version()} · "
        f"{fig.pages:,} generated pages, {fig.page_bytes / fig.pages / 1024:.0f} KB each on average "
        f"(benchmarks/generate.py, seed {fig.seed}) · quality on the {fig.scored_pages} French pages of "
        f"{fig.corpus / SCORED} (segment scoring)",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---", "---", *["---:"] * (len(header) - 2)]) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]
    notes = [
        "Each system runs in a process of its own, one after the other, over the same files; its clock "
        f"starts after its imports and an untimed pass over the first {WARMUP} pages, and covers reading "
        "and extracting. Veille is `process_items` (read, extract, clean, language, topic, fingerprint; "
        "no Prefect) on the generated pages and `pipeline.extract` on the scored ones (body); newspaper4k "
        "is `Article(url, language='fr', fetch_images=False)` + `download(input_html=...)` + `parse()`; "
        "news-please is `NewsPlease.from_html(html, url, fetch_images=False).maintext`. The peers live in "
        f"their own environments under {CACHE.name}/ (benchmarks/peer_runner.py)."
    ]
    errors = [f"{r.system} {r.errors}" for r in measured if r.errors]
    if errors:
        notes.append(f"Pages a system raised on (empty text, counted in its F1): {', '.join(errors)}.")
    if veille is not None and veille.quality:
        peers = [r for r in measured if r.system in {p.name for p in PEERS}]
        not_ahead = [r.system for r in peers if r.cpu_ms <= veille.cpu_ms
                     or (r.quality or {}).get("f1", 0.0) >= veille.quality["f1"]]  # fmt: skip
        if peers:
            notes.append(
                f"Veille ahead of every peer measured (less CPU a page and a higher F1): "
                f"{'yes' if not not_ahead else 'NO, not of ' + ', '.join(not_ahead)}."
            )
    skipped = [r.system for r in fig.rows if isinstance(r, Skipped)]
    if skipped:
        notes.append(f"Not measured this time: {', '.join(skipped)} (see the row for why).")
    notes.append(
        f"Load average {fig.load_before:.1f} before, {fig.load_after:.1f} after: other processes on the "
        f"machine skew the timings; the ratios between rows of one run are what count. "
        f"This figure took {fig.seconds:.0f} s."
    )
    lines.append(" ".join(notes))
    return "\n".join(lines) + "\n"


def section(pages: int, seed: int = generate.DEFAULT_SEED, log: Log = print, install: bool = True) -> str:
    """The figure as markdown, for benchmarks/run.py. It never fails the bench:
    anything unexpected becomes a line saying the figure was skipped, and why."""
    try:
        return markdown(measure(pages, seed, install=install, log=log))
    except Exception as exc:  # the figure is optional: report it, never stop `make bench`
        log(f"[peers] figure skipped: {type(exc).__name__}: {exc}")
        return f"### Peers\n\nSkipped: {type(exc).__name__}: {exc}\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--pages", type=int, default=DEFAULT_PAGES, help=f"generated pages (default {DEFAULT_PAGES})"
    )
    p.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    p.add_argument("--corpus", type=Path, default=extraction_score.CORPUS, help="folder holding score.py")
    p.add_argument("--cache", type=Path, default=CACHE, help=f"the peers' environments (default {CACHE})")
    p.add_argument("--no-install", dest="install", action="store_false", help="use installed peers only")
    p.add_argument("--out", type=Path, default=None, help="also write the markdown there")
    p.add_argument(
        "--veille-worker", nargs=2, type=Path, metavar=("REQUEST", "RESULT"), help=argparse.SUPPRESS
    )
    args = p.parse_args(argv)
    if args.veille_worker:
        veille_worker(*args.veille_worker)
        return 0
    if args.pages < WARMUP:
        p.error(f"need --pages >= {WARMUP}")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    text = markdown(measure(args.pages, args.seed, args.corpus, args.cache, args.install, log))
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
