"""Where the tests find the repository's seeds and the shared corpora (read
in place, never copied: the shared pages are third-party; tests that need
them skip when `../shared` is not beside the repository)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"
EXTRACTION_CORPUS = SHARED / "corpus" / "extraction"
FEED_CORPUS = SHARED / "corpus" / "feeds"
