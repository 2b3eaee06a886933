"""Text normalisation shared by topic matching and deduplication."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Biélorussie' -> 'bielorussie'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Folded words, punctuation dropped: the unit of topic terms and shingles."""
    return _NON_WORD.sub(" ", fold(text)).split()
