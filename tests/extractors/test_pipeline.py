"""`pipeline.extract` and `describe`: what they keep of an input beyond its text."""

from __future__ import annotations

import pytest

from extractors.core.records import Document
from extractors.core.settings import Settings
from extractors.judge.pipeline import describe, extract

PAYWALL = "Il vous reste 57.09% de cet article à lire. La suite est réservée aux abonnés."
PARAGRAPHS = [
    "Le Kremlin a confirmé mardi le déploiement d’armes nucléaires tactiques en Biélorussie, "
    "une annonce aussitôt condamnée par l’OTAN et par plusieurs capitales européennes.",
    "Selon Moscou, les ogives resteront sous contrôle russe, comme le prévoit le traité de "
    "non-prolifération, mais les experts doutent de la portée de cette garantie de dissuasion.",
]


def _page(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<html lang='fr'><head><title>Armes nucléaires en Biélorussie</title></head><body><article>"
        f"<h1>Armes nucléaires en Biélorussie</h1>{body}</article></body></html>"
    )


@pytest.mark.parametrize(("paywall", "truncated"), [([PAYWALL], True), ([], False)])
def test_page_with_a_paywall_line_is_truncated(paywall: list[str], truncated: bool) -> None:
    doc = Document(
        "https://example.fr/armes", "html", _page(PARAGRAPHS + paywall), url="https://example.fr/armes"
    )
    ex = extract(doc, Settings())
    assert ex.body.split("\n") == PARAGRAPHS
    assert ex.truncated is truncated
    assert (("paywall", PAYWALL) in ex.removed) is truncated


def test_describe_shows_the_flag() -> None:
    text = "\n".join([*PARAGRAPHS, PAYWALL])
    record = describe(Document("file:///corpus/armes.txt", "text", text), Settings())
    assert record["verdict"] == "kept" and record["truncated"] is True
    assert {"rule": "paywall", "line": PAYWALL} in record["removed"]


def _signed_page(head: str, byline: str = "") -> str:
    byline_html = f"<p>{byline}</p>" if byline else ""
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<html lang='fr'><head><title>Armes nucléaires en Biélorussie</title>{head}</head><body>"
        f"<article><h1>Armes nucléaires en Biélorussie</h1>{byline_html}{body}</article></body></html>"
    )


LD_PEOPLE = (
    '<script type="application/ld+json">{"@type": "NewsArticle", "author": ['
    '{"@type": "Person", "name": "Jean Dupont"}, {"@type": "Organization", "name": "Le Journal"}, '
    '"Marie Curie"]}</script>'
)


@pytest.mark.parametrize(
    ("head", "byline", "authors"),
    [
        (LD_PEOPLE, "", ("Jean Dupont", "Marie Curie")),
        # CDATA around the JSON-LD (liberation.fr)
        (
            LD_PEOPLE.replace('json">', 'json"><![CDATA[').replace("</script>", "]]></script>"),
            "",
            ("Jean Dupont", "Marie Curie"),
        ),
        # the JSON-LD names the people; the meta author is then the owner group, left out
        (LD_PEOPLE + '<meta name="author" content="Groupe Média">', "", ("Jean Dupont", "Marie Curie")),
        ('<meta name="author" content="Jean Dupont et Marie Curie">', "", ("Jean Dupont", "Marie Curie")),
        (
            '<meta property="article:author" content="https://www.facebook.com/lejournal">'
            '<meta property="article:author" content="Jean Dupont">',
            "",
            ("Jean Dupont",),
        ),
        ('<meta name="author" content="AFP">', "", ()),
        ('<meta name="author" content="lejournal.fr">', "", ()),
        # a byline in the text adds its people after the page's
        (
            '<meta name="author" content="Jean Dupont">',
            "Par Jean Dupont et Paul Martin",
            ("Jean Dupont", "Paul Martin"),
        ),
        # a house byline: the site itself signs
        ('<meta property="og:site_name" content="Le Journal">', "Par Le Journal", ()),
        (
            '<meta name="author" content="Le Journal"><meta property="og:site_name" content="Le Journal">',
            "",
            (),
        ),
    ],
)
def test_authors_of_a_page(head: str, byline: str, authors: tuple[str, ...]) -> None:
    doc = Document(
        "https://example.fr/armes", "html", _signed_page(head, byline), url="https://example.fr/armes"
    )
    ex = extract(doc, Settings())
    assert ex.authors == authors
    assert ex.body.split("\n") == PARAGRAPHS


def test_describe_shows_the_authors() -> None:
    text = "\n".join(["Par Jean Dupont, envoyé spécial à Minsk", *PARAGRAPHS])
    record = describe(Document("file:///corpus/armes.txt", "text", text), Settings())
    assert record["authors"] == ["Jean Dupont"] and record["body"].split("\n") == PARAGRAPHS
    assert {"rule": "byline", "line": "Par Jean Dupont, envoyé spécial à Minsk"} in record["removed"]
