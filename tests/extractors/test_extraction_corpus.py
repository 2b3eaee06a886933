"""Quality floor on external pages: Veille's HTML extraction must score at least
as well as bare trafilatura on the French pages of trafilatura's own benchmark.

Both figures are computed here, with the corpus's own scorer, so the floor
follows trafilatura when it is upgraded instead of a number written down once.
The corpus is third-party pages kept outside the repository: without it the
test is skipped. Full table: `python -m benchmarks.extraction_score`.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.support.paths import EXTRACTION_CORPUS, REPO

CORPUS = EXTRACTION_CORPUS


def _benchmark():
    """benchmarks/ is not an installed package: load the module from its file."""
    path = REPO / "benchmarks" / "extraction_score.py"
    spec = importlib.util.spec_from_file_location("_veille_extraction_score", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_veille_scores_at_least_as_well_as_bare_trafilatura_on_french_pages() -> None:
    if not (CORPUS / "score.py").is_file() or not (CORPUS / "trafilatura-fr").is_dir():
        pytest.skip(f"no extraction corpus at {CORPUS}")
    f1 = _benchmark().segment_f1(CORPUS)
    assert f1["veille"] >= f1["bare"], f1


def test_language_of_the_default_prefix_is_that_of_the_whole_text() -> None:
    """The bounded prefix decides as the whole body would, on every page of the
    corpus (French and the non-French pages of the AEB sample)."""
    if not (CORPUS / "score.py").is_file():
        pytest.skip(f"no extraction corpus at {CORPUS}")
    from extractors.core.settings import Settings
    from extractors.text import language

    bench = _benchmark()
    scorer = bench.load_scorer(CORPUS)
    bodies = [bench.veille(page.html)[1] for part in bench.load_parts(CORPUS, scorer) for page in part.pages]
    prefix = Settings().ingest.language_prefix_chars
    decided = [(language.detect(b, prefix)[0], language.detect(b, len(b) or 1)[0]) for b in bodies]
    assert len(decided) >= 60 and {whole for _, whole in decided} >= {"fr", "en"}
    assert [p for p, _ in decided] == [w for _, w in decided]
