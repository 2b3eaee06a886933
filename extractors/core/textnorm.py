"""Text normalisation shared by every layer: control characters out of what we
store, and the folded words that topic matching and deduplication compare."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Tab, newline and carriage return are the only C0 controls text keeps. Vertical
# tab and form feed go: XML 1.0 forbids them, terminals act on them, and Python's
# splitlines() counts them as line breaks where the rest of the code splits on
# "\n". U+FEFF goes too: inside text it is a byte-order mark left by joining
# files (its zero-width no-break space role passed to U+2060 in Unicode 3.2), and
# an invisible one makes "\ufeffTitre" and "Titre" two titles. C1 controls
# (U+0080-U+009F) stay: valid text rarely has them and dropping them would hide
# a decoding error instead of showing it.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")


def strip_control(text: str) -> str:
    """`text` without the characters of `CONTROL`: they break terminals, CSV
    exports, XML and some DuckDB clients.

    Not trafilatura.utils.remove_control_characters: that keeps vertical tab,
    form feed and U+001C-U+001F (str.isspace() is true for them), removes what
    text needs (U+200D joins emoji, U+200E marks direction, U+00AD is a soft
    hyphen) and runs a Python function per character once a line break makes
    the text not isprintable(): 17 times slower on a 100 KB article."""
    return CONTROL.sub("", text)


class _FoldTable(dict[int, str]):
    """str.translate's table for `fold`, filled one character at a time as
    texts bring them: the same result as folding the whole string (case folding
    and NFKD decomposition are per character; the only reordering NFKD does is
    among combining marks, which fold drops), in C rather than a Python loop
    over every character (5 times faster on an article)."""

    LIMIT = 65_536  # characters remembered; hostile text cannot grow it further

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code).casefold())
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        if len(self) < self.LIMIT:
            self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Biélorussie' -> 'bielorussie'."""
    return text.translate(_FOLD)


def words(text: str) -> list[str]:
    """Folded words, punctuation dropped: the unit of topic terms and shingles."""
    return _NON_WORD.sub(" ", fold(text)).split()
