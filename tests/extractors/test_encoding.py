import codecs

import pytest

from extractors.text.encoding import Decoded, DecodeError, decode, html_meta_charset

FRENCH = "La Biélorussie a reçu des armes nucléaires « tactiques » – naïve façon, œuvre, déjà."


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16", "utf-8-sig"])
def test_french_text_decodes_without_mojibake(encoding: str) -> None:
    data = FRENCH.encode(encoding)
    if encoding == "utf-16":
        assert data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    assert decode(data).text == FRENCH


def test_latin1_page_that_claims_utf8_still_reads_naive() -> None:
    html = f'<html><head><meta charset="utf-8"></head><body>{FRENCH}</body></html>'
    data = html.encode("cp1252")
    assert html_meta_charset(data) == "utf-8"
    decoded = decode(data, declared=html_meta_charset(data))
    assert "naïve" in decoded.text and "Ã" not in decoded.text


def test_declared_charset_wins_when_it_decodes() -> None:
    text = "Москва, Кремль: заявление"
    data = text.encode("koi8-r")
    assert data.decode("cp1252", "replace") != text  # the fallback would give mojibake
    assert decode(data, declared="koi8-r") == Decoded(text, "koi8-r")


@pytest.mark.parametrize("data", [bytes(range(256)) * 4, b"\x00\x01\x02hello\x00" * 50])
def test_binary_content_is_refused(data: bytes) -> None:
    with pytest.raises(DecodeError, match="binary"):
        decode(data)
