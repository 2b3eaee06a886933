"""The one set of control characters stored text may not hold, and folding."""

from __future__ import annotations

import random
import unicodedata

from extractors.core.textnorm import fold, strip_control, words


def test_control_characters_go_and_text_stays():
    kept = "Titre\tà\r\nla ligne 👨\u200d👩\u200d👧 \u200ecoupé\xadmot \u00a0fin"
    assert strip_control(kept) == kept  # joiners, direction marks, soft hyphens are text
    dropped = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\x7f\ufeff"
    assert strip_control(f"a{dropped}b") == "ab"


def _fold_whole(text: str) -> str:
    """The definition: NFKD of the case-folded string, combining marks dropped."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def test_folding_character_by_character_equals_folding_the_whole_string():
    rng = random.Random(7)
    planes = [(0x20, 0x3000), (0x300, 0x370), (0xAC00, 0xD7A4), (0xFB00, 0xFFFE), (0x10000, 0x1F700)]
    texts = ["Biélorussie", "STRASSE Straße ǅ ﬁn", "e\u0301te\u0301 cœur Œuvre ½ ℃", "ΣΊΣΥΦΟΣ ὈΔΥΣΣΕΎΣ"]
    texts += ["".join(chr(rng.randrange(*rng.choice(planes))) for _ in range(60)) for _ in range(500)]
    for text in texts:
        assert fold(text) == _fold_whole(text), text
    assert words("Biélorussie : l'OTAN, 2023") == ["bielorussie", "l", "otan", "2023"]
