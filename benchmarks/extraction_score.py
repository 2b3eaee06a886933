"""Veille's HTML extraction against bare trafilatura, on external annotated pages.

    .venv/bin/python -m benchmarks.extraction_score [--corpus DIR] [--reps N] [--leaks]

The pages and their scorer live outside the repository, in
`../shared/corpus/extraction/` (third-party pages: read in place, never copied
here). Its `score.py` is imported from there, so both systems are scored by the
very functions that produced the published baseline:

- trafilatura-fr: 26 French pages, segment scoring ("with" snippets must
  appear, "without" snippets must not; counts pooled over the corpus);
- readability-fr: 3 French pages, AEB shingle scoring against Readability.js's
  output (a tool's output, not a human gold standard);
- aeb-sample: 40 non-French pages, AEB shingle scoring against human truth.

Both systems get the same text: the bytes decoded the way Veille decodes a file
(`extractors.text.encoding.decode` with the page's meta charset). score.py hands
trafilatura the raw bytes of the French pages and lets it guess the encoding;
on this corpus that gives the same output, hence the same published figures.

Systems:

- bare: `trafilatura.extract(html)` with its defaults;
- veille: `extractors.judge.pipeline.extract`, what `veille extract` prints, scored on
  `body`. This is the honest comparison: trafilatura's text is the main text,
  and the AEB and Readability references leave the headline out too;
- veille+title: `title + "\\n" + body`, as a check that Veille's gain does not
  come from moving the headline out of the body. trafilatura's text keeps the
  headline when the page puts it inside the article, and the annotators of
  trafilatura-fr count a headline sometimes as "with", sometimes as "without".

ms/page is the median over pages of the median of `--reps` timed runs, after
one untimed run (whose output is the one scored). Veille's time covers the
whole of `pipeline.extract`: metadata, cleaning, language and topic.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import trafilatura

from extractors.core.records import Document
from extractors.core.settings import Settings
from extractors.judge.pipeline import extract
from extractors.text.encoding import decode, html_meta_charset

T = TypeVar("T")
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "extraction"


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    html: str
    truth: object  # segment item {"with", "without"} or reference text, as score.py loads it


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    scheme: str  # "segments" or "aeb"
    pages: list[Page]


@dataclass(frozen=True, slots=True)
class Result:
    part: str
    system: str
    pages: int
    precision: float
    recall: float
    f1: float
    ms_per_page: float | None


def load_scorer(corpus: Path) -> ModuleType:
    """The corpus's own score.py, imported in place."""
    spec = importlib.util.spec_from_file_location("extraction_corpus_score", corpus / "score.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {corpus / 'score.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_text(html: bytes | str) -> str:
    """Decoded as Veille decodes an .html file. The AEB pages come as text already:
    score.py reads them as UTF-8, which they are, as Veille would."""
    if isinstance(html, str):
        return html
    return decode(html, html_meta_charset(html)).text


def load_parts(corpus: Path, scorer: ModuleType, only: set[str] | None = None) -> list[Part]:
    """The corpus parts present under `corpus`, in a fixed order."""
    loaders = {
        "trafilatura-fr": (
            "segments",
            corpus / "trafilatura-fr" / "evaldata-fr.json",
            lambda: scorer.load_segments(
                corpus / "trafilatura-fr" / "evaldata-fr.json", corpus / "trafilatura-fr" / "html"
            ),
        ),
        "readability-fr": (
            "aeb",
            corpus / "readability-fr",
            lambda: scorer.load_readability(corpus / "readability-fr"),
        ),
        "aeb-sample": (
            "aeb",
            corpus / "aeb-sample" / "ground-truth-sample.json",
            lambda: scorer.load_aeb(
                corpus / "aeb-sample" / "ground-truth-sample.json", corpus / "aeb-sample" / "html"
            ),
        ),
    }
    parts = []
    for name, (scheme, marker, load) in loaders.items():
        if (only is None or name in only) and marker.exists():
            pages = [Page(pid, as_text(html), truth) for pid, html, truth in load()]
            parts.append(Part(name, scheme, pages))
    return parts


def bare(html: str) -> str:
    return trafilatura.extract(html) or ""


def veille(html: str, settings: Settings | None = None) -> tuple[str | None, str]:
    """(title, body) as `veille extract` prints them."""
    doc = Document(location="benchmark", kind="html", content=html)
    ex = extract(doc, settings or Settings())
    return ex.title, ex.body


def timed(pages: list[Page], system: Callable[[str], T], reps: int) -> tuple[list[T], float | None]:
    """The output of `system` on each page, and the median ms per page (None if reps=0)."""
    out, times = [], []
    for page in pages:
        out.append(system(page.html))
        runs = []
        for _ in range(reps):
            start = time.perf_counter()
            system(page.html)
            runs.append(time.perf_counter() - start)
        if runs:
            times.append(statistics.median(runs))
    return out, (1000 * statistics.median(times) if times else None)


def score(scorer: ModuleType, part: Part, texts: list[str]) -> dict[str, float]:
    if part.scheme == "segments":
        return scorer.segment_score(
            [scorer.segment_counts(p.truth, t) for p, t in zip(part.pages, texts, strict=True)]
        )
    return scorer.aeb_score([(p.truth, t) for p, t in zip(part.pages, texts, strict=True)], n_boot=0)


def evaluate(scorer: ModuleType, part: Part, reps: int) -> tuple[list[Result], dict[str, list[str]]]:
    """Scores of the three systems on one part, and their texts by system name."""
    bare_texts, bare_ms = timed(part.pages, bare, reps)
    extractions, veille_ms = timed(part.pages, veille, reps)
    texts = {
        "bare": bare_texts,
        "veille": [body for _, body in extractions],
        "veille+title": [f"{title}\n{body}" if title else body for title, body in extractions],
    }
    ms = {"bare": bare_ms, "veille": veille_ms, "veille+title": None}  # same run as veille
    results = []
    for name, out in texts.items():
        m = score(scorer, part, out)
        results.append(
            Result(part.name, name, len(part.pages), m["precision"], m["recall"], m["f1"], ms[name])
        )
    return results, texts


def segment_f1(corpus: Path = CORPUS) -> dict[str, float]:
    """F1 of each system on trafilatura-fr, without timing (for the quality-floor test)."""
    scorer = load_scorer(corpus)
    (part,) = load_parts(corpus, scorer, {"trafilatura-fr"})
    results, _ = evaluate(scorer, part, reps=0)
    return {r.system: r.f1 for r in results}


def print_table(results: list[Result]) -> None:
    header = f"{'corpus':15s} {'system':13s} {'pages':>5s} {'P':>6s} {'R':>6s} {'F1':>6s} {'ms/page':>8s}"
    print(header)
    print("-" * len(header))
    previous = None
    for r in results:
        if previous is not None and r.part != previous:
            print()
        previous = r.part
        ms = f"{r.ms_per_page:8.1f}" if r.ms_per_page is not None else f"{'-':>8s}"
        print(f"{r.part:15s} {r.system:13s} {r.pages:5d} {r.precision:6.3f} {r.recall:6.3f} {r.f1:6.3f} {ms}")


def print_leaks(scorer: ModuleType, part: Part, texts: dict[str, list[str]]) -> None:
    """Per page of a segment part: the snippets each system loses or leaks."""
    norm = scorer._norm
    for i, page in enumerate(part.pages):
        lines = []
        for name, out in texts.items():
            got = norm(out[i] or "")
            lost = [w for w in page.truth["with"] if norm(w) not in got]
            leaked = [w for w in page.truth["without"] if norm(w) in got]
            lines += [f"  {name:13s} lost   {w!r}" for w in lost]
            lines += [f"  {name:13s} leaked {w!r}" for w in leaked]
        if lines:
            print(page.name, *lines, sep="\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="folder holding score.py")
    ap.add_argument("--reps", type=int, default=1, help="timed runs per page and system")
    ap.add_argument("--leaks", action="store_true", help="list lost/leaked snippets per page")
    args = ap.parse_args(argv)

    if not (args.corpus / "score.py").is_file():
        print(f"no extraction corpus at {args.corpus} (score.py missing): nothing to score")
        return 0
    scorer = load_scorer(args.corpus)
    parts = load_parts(args.corpus, scorer)
    print(f"trafilatura {trafilatura.__version__}, corpus {args.corpus}, reps {args.reps}\n")
    results = []
    for part in parts:
        part_results, texts = evaluate(scorer, part, args.reps)
        results += part_results
        if args.leaks and part.scheme == "segments":
            print_leaks(scorer, part, texts)
            print()
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
