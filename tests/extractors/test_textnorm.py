"""The one set of control characters stored text may not hold."""

from __future__ import annotations

from extractors.core.textnorm import strip_control


def test_control_characters_go_and_text_stays():
    kept = "Titre\tà\r\nla ligne 👨\u200d👩\u200d👧 \u200ecoupé\xadmot \u00a0fin"
    assert strip_control(kept) == kept  # joiners, direction marks, soft hyphens are text
    dropped = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\x7f\ufeff"
    assert strip_control(f"a{dropped}b") == "ab"
