"""Run one peer extractor over a list of files, in its own process: the part
of benchmarks/peers.py that runs inside the peer's virtual environment.

It imports the peer's package and the standard library only (no project
code), so the peer's environment needs nothing but the peer:

    PEER_PYTHON benchmarks/peer_runner.py REQUEST.json RESULT.json

REQUEST.json: {"peer": "newspaper4k" | "news-please" | "trafilatura",
"warmup": N, "sets": {"name": [[path, url], ...], ...}}. Each file is UTF-8
HTML (benchmarks/peers.py decodes the corpus pages the way Veille does before
writing them). The peer is imported, then run untimed over the first N files
of the first set (lazy set-up: caches, suffix lists, language profiles),
then over each set in order; a set's wall and CPU time (`time.perf_counter`,
`time.process_time`) cover reading the files and extracting, not the import
or the warm-up, as the bare loop of benchmarks/run.py does.

RESULT.json: the peer's version, import and warm-up seconds, and per set its
wall and CPU seconds and, per file, the text, the seconds it took and the
error it raised (the class and message: a page a peer fails on is an empty
text, recorded, not a crash of the run).
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

Extract = Callable[[str, str], str]

DISTRIBUTIONS = {"newspaper4k": "newspaper4k", "news-please": "news-please", "trafilatura": "trafilatura"}


def newspaper4k() -> Extract:
    """`Article(url).download(input_html=...)`, `parse()`, `.text`; French,
    and no image downloads (the pages are already here, there is no network)."""
    import newspaper

    def run(html: str, url: str) -> str:
        article = newspaper.Article(url, language="fr", fetch_images=False)
        article.download(input_html=html)
        article.parse()
        return article.text or ""

    return run


def news_please() -> Extract:
    """`NewsPlease.from_html(html, url, fetch_images=False).maintext`: its
    newspaper, readability, date and language extractors, no crawler."""
    from newsplease import NewsPlease

    def run(html: str, url: str) -> str:
        article = NewsPlease.from_html(html, url=url, fetch_images=False)
        return (getattr(article, "maintext", None) or "") if article else ""

    return run


def trafilatura() -> Extract:
    """Bare `trafilatura.extract` with its defaults, as in benchmarks/run.py."""
    import trafilatura as traf

    def run(html: str, url: str) -> str:
        return traf.extract(html) or ""

    return run


PEERS: dict[str, Callable[[], Extract]] = {
    "newspaper4k": newspaper4k,
    "news-please": news_please,
    "trafilatura": trafilatura,
}


def run_one(extract: Extract, path: str, url: str) -> dict[str, object]:
    start = time.perf_counter()
    text, error = "", None
    try:
        text = extract(Path(path).read_text(encoding="utf-8"), url)
    except Exception as exc:  # a peer's failure on one page is that page's result
        error = f"{type(exc).__name__}: {exc}"[:300]
    return {"path": path, "text": text, "seconds": time.perf_counter() - start, "error": error}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    request = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    peer = request["peer"]
    sets: dict[str, list[list[str]]] = request["sets"]

    start = time.perf_counter()
    extract = PEERS[peer]()
    import_seconds = time.perf_counter() - start

    start = time.perf_counter()
    first = next(iter(sets.values()), [])
    for path, url in first[: int(request.get("warmup", 3))]:
        run_one(extract, path, url)
    warmup_seconds = time.perf_counter() - start

    results = {}
    for name, files in sets.items():
        wall, cpu = time.perf_counter(), time.process_time()
        out = [run_one(extract, path, url) for path, url in files]
        results[name] = {
            "wall": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu,
            "files": out,
        }
    result = {
        "peer": peer,
        "version": metadata.version(DISTRIBUTIONS[peer]),
        "python": platform.python_version(),
        "import_seconds": import_seconds,
        "warmup_seconds": warmup_seconds,
        "sets": results,
    }
    Path(argv[1]).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
