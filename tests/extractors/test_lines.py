"""Lines that authors, wires and stories depend on (issue 15, point 5), each on a
page written for its test: the standfirst kept, ad buttons, "live" link boxes,
video teasers and follow prompts removed, the canonical link and the site name."""

from __future__ import annotations

import json

import pytest

from extractors.core.records import Document
from extractors.core.settings import Settings
from extractors.judge.pipeline import extract, normalise_source
from extractors.text import html
from extractors.text.boilerplate import clean

TITLE = "Des armes nucléaires en Biélorussie"
PARAGRAPHS = [
    "Le Kremlin a confirmé mardi le déploiement d’armes nucléaires tactiques en Biélorussie, "
    "une annonce aussitôt condamnée par l’OTAN et par plusieurs capitales européennes.",
    "Selon Moscou, les ogives resteront sous contrôle russe, comme le prévoit le traité de "
    "non-prolifération, mais les experts doutent de la portée de cette garantie de dissuasion.",
    "À Minsk, le président Loukachenko a salué une décision qui, selon lui, protège le pays "
    "contre les menaces venues de l’Ouest et renforce l’alliance entre les deux voisins.",
]
LEDE = (
    "Moscou franchit un pas de plus dans l’escalade nucléaire : les premières ogives tactiques "
    "russes seront stockées en Biélorussie dès l’été, annonce le Kremlin."
)


def _page(header: str = "", body: list[str] | None = None, head: str = "", after: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in (PARAGRAPHS if body is None else body))
    return (
        f"<html lang='fr'><head><title>{TITLE}</title>{head}</head><body>"
        f"<header><h1>{TITLE}</h1>{header}</header>"
        f"<article>{paragraphs}</article>{after}<footer><p>Mentions légales</p></footer></body></html>"
    )


def _extract(page: str, url: str = "https://example.fr/armes") -> object:
    return extract(Document(url, "html", page, url=url), Settings())


# The standfirst (chapô): part of the article, even marked up apart from its body.
@pytest.mark.parametrize(
    ("header", "head"),
    [
        (f'<p class="article__desc">{LEDE}</p>', ""),
        (f'<div class="chapo">{LEDE}</div>', ""),
        (f'<p class="lead">{LEDE}</p>', ""),
        (f'<section class="mag__article__chapo"><p>{LEDE}</p></section>', ""),
        # no class: the meta description repeats a paragraph outside <article> (cut with "…")
        (f"<p>{LEDE}</p>", f'<meta name="description" content="{LEDE[:90]}…">'),
    ],
)
def test_standfirst_marked_apart_from_the_body_opens_the_text(header: str, head: str) -> None:
    ex = _extract(_page(header, head=head))
    assert ex.body.split("\n") == [LEDE, *PARAGRAPHS]


def test_standfirst_goes_under_the_headline_when_the_text_opens_with_it() -> None:
    page = html.extract(_page(f'<p class="chapo">{LEDE}</p>', body=[f"<b>{TITLE}</b>", *PARAGRAPHS]))
    assert page is not None
    assert page.text.split("\n")[:2] == [TITLE, LEDE]


@pytest.mark.parametrize(
    ("header", "after", "head"),
    [
        # the text already has it
        ("", "", ""),
        # a teaser card's description, after the article: another story
        ("", f'<section><div class="teaser"><p class="teaser__desc">{LEDE}</p></div></section>', ""),
        # a "lead" after the body, in the page's margin
        ("", f'<aside><p class="lead">{LEDE}</p></aside>', ""),
        # a lead image and its caption
        (f'<div class="article-lead"><img src="a.jpg">{LEDE}</div>', "", ""),
        # a paragraph outside <article> that the description does not repeat
        (f"<p>{LEDE}</p>", "", '<meta name="description" content="Toute l’actualité du jour.">'),
    ],
)
def test_no_standfirst_added_from_elsewhere(header: str, after: str, head: str) -> None:
    body = [LEDE, *PARAGRAPHS] if not (header or after or head) else PARAGRAPHS
    ex = _extract(_page(header, body=body, head=head, after=after))
    assert ex.body.split("\n") == body


# Ad buttons.
@pytest.mark.parametrize(
    "line", ["Passer la publicité", "Fermer la publicité", "Publicité", "PASSER LA PUB ›"]
)
def test_ad_buttons_are_removed(line: str) -> None:
    text = "\n".join([PARAGRAPHS[0], line, PARAGRAPHS[1]])
    cleaned = clean(text)
    assert (cleaned.body, cleaned.removed) == (f"{PARAGRAPHS[0]}\n{PARAGRAPHS[1]}", (("advertising", line),))


def test_sentence_about_advertising_is_kept() -> None:
    text = "\n".join(
        [PARAGRAPHS[0], "Passer la publicité à la télévision coûte cher aux partis.", PARAGRAPHS[1]]
    )
    assert clean(text).body == text


# "Live" boxes of links to other stories.
LIVE_BOX = [
    "Les principales infos de ce matin :",
    "> Ukraine : Kiev annonce la reprise de deux villages près de Bakhmout",
    "> Climat : la COP s’ouvre sur un constat d’échec",
    "> Retraites : le Conseil constitutionnel rendra sa décision vendredi",
]


def test_live_box_of_links_is_removed_with_its_heading() -> None:
    links = "".join(f'<p>&gt; <a href="/autre-{i}">{line[2:]}</a></p>' for i, line in enumerate(LIVE_BOX[1:]))
    page = _page(body=[PARAGRAPHS[0], LIVE_BOX[0], *PARAGRAPHS[1:]]).replace(
        f"<p>{LIVE_BOX[0]}</p>", f"<h2>{LIVE_BOX[0]}</h2>{links}"
    )
    ex = _extract(page)
    assert ex.body.split("\n") == PARAGRAPHS
    assert [line for rule, line in ex.removed if rule == "link_list"] == LIVE_BOX


@pytest.mark.parametrize(
    ("lines", "removed"),
    [
        # one link under a known heading
        (["Les principales infos de ce matin", "> Climat : la COP s’ouvre"], 2),
        # two links under any title-like heading
        (["Ailleurs dans l’actualité", "> Climat : la COP s’ouvre", "> Retraites : décision vendredi"], 3),
    ],
)
def test_live_box_in_a_text(lines: list[str], removed: int) -> None:
    cleaned = clean("\n".join([PARAGRAPHS[0], *lines, PARAGRAPHS[1]]))
    assert cleaned.body == f"{PARAGRAPHS[0]}\n{PARAGRAPHS[1]}"
    assert [rule for rule, _ in cleaned.removed] == ["link_list"] * removed


def test_single_quoted_line_under_a_paragraph_is_kept() -> None:
    text = "\n".join([PARAGRAPHS[0], "> Nous ne reculerons pas.", PARAGRAPHS[1]])
    assert clean(text).body == text


# Pages without CSS classes: video teasers and follow prompts, like "À lire aussi".
TEASERS = [
    "VIDÉO – Les images de l’incendie de la cathédrale de Rouen",
    "VIDEO. Un ours brun aperçu dans les Pyrénées",
    "Suivez-nous sur Facebook",
    "Suivez-nous sur Facebook, Instagram, X et LinkedIn pour ne rien manquer de notre actualité",
    "À lire aussi : La Pologne renforce sa frontière",
    "Partager cet article",
]


def test_teasers_and_follow_prompts_of_a_page_without_classes_are_removed() -> None:
    body = [PARAGRAPHS[0], TEASERS[0], TEASERS[1], PARAGRAPHS[1], *TEASERS[2:], PARAGRAPHS[2]]
    body += ["EN VIDÉO -", "Le zoo de Beauval accueille deux pandas"]
    ex = _extract(_page(body=body))
    assert ex.body.split("\n") == PARAGRAPHS
    removed = {line: rule for rule, line in ex.removed}
    assert all(line in removed for line in TEASERS)
    assert removed["Le zoo de Beauval accueille deux pandas"] == "read_also_link"


def test_sentence_about_a_video_is_kept() -> None:
    text = "\n".join(
        [PARAGRAPHS[0], "La vidéo, tournée lundi, montre le convoi à la frontière.", PARAGRAPHS[1]]
    )
    assert clean(text).body == text


# The canonical link.
@pytest.mark.parametrize(
    ("head", "url"),
    [
        (
            '<meta property="og:url" content="http://www.example.fr/armes?utm_source=x">'
            '<link rel="canonical" href="https://www.example.fr/armes">',
            "https://www.example.fr/armes",
        ),
        ('<meta property="og:url" content="https://www.example.fr/armes">', "https://www.example.fr/armes"),
        ('<link rel="canonical" href="https://www.example.fr/armes">', "https://www.example.fr/armes"),
        # a relative canonical link does not replace an absolute og:url
        (
            '<meta property="og:url" content="https://www.example.fr/armes">'
            '<link rel="canonical" href="/armes">',
            "https://www.example.fr/armes",
        ),
    ],
)
def test_canonical_link_preferred_to_og_url(head: str, url: str) -> None:
    ex = extract(Document("file:///pages/armes.html", "html", _page(head=head)), Settings())
    assert ex.url == url


# Site names, normalised for grouping; the raw value kept.
def _publisher(name: str) -> str:
    ld = {"@type": "NewsArticle", "headline": TITLE, "publisher": {"@type": "Organization", "name": name}}
    return f'<script type="application/ld+json">{json.dumps(ld)}</script>'


@pytest.mark.parametrize(
    ("head", "source", "raw"),
    [
        ('<meta property="og:site_name" content="Le Monde.fr">', "Le Monde", "Le Monde.fr"),
        ('<meta property="og:site_name" content="Journal.COM">', "Journal", "Journal.COM"),
        ('<meta property="og:site_name" content="lemonde">' + _publisher("Le Monde"), "Le Monde", "lemonde"),
        (
            '<meta property="og:site_name" content="lemonde.fr">' + _publisher("Le Monde"),
            "Le Monde",
            "lemonde.fr",
        ),
        # lower case without a publisher: kept
        ('<meta property="og:site_name" content="lemonde">', "lemonde", "lemonde"),
        (
            '<meta property="og:site_name" content="Le Monde">' + _publisher("Société éditrice du Monde"),
            "Le Monde",
            "Le Monde",
        ),  # fmt: skip
        # no name: the domain, as it is
        ("", "example.fr", "example.fr"),
    ],
)
def test_site_name_normalised_and_raw_value_kept(head: str, source: str, raw: str) -> None:
    ex = _extract(_page(head=head))
    assert (ex.source, ex.source_raw) == (source, raw)


def test_normalise_source() -> None:
    assert normalise_source("  Le   Monde.fr ") == "Le Monde"
    assert normalise_source("lemonde", "Le Monde.fr") == "Le Monde"
    assert normalise_source("Libération", "SARL Libération") == "Libération"
    assert normalise_source(".fr") == ".fr"


SPACES = " " * 300_000


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        (f"Passer{SPACES}la publicité", "advertising"),
        (f"Passer la publicité{SPACES}x", None),
        (f"VIDÉO{SPACES}– Un ours brun aperçu", None),
        (f"Suivez-nous{SPACES}sur Facebook", None),
        (f">{SPACES}Climat : la COP s’ouvre", None),
        (f"Les principales infos{SPACES}de ce matin", None),
    ],
)
def test_line_holding_a_long_space_run(line: str, rule: str | None) -> None:
    """The new rules stay linear in the line (see test_backtracking.py)."""
    cleaned = clean(f"{PARAGRAPHS[0]}\n{line}\n{PARAGRAPHS[1]}")
    assert dict((text, name) for name, text in cleaned.removed).get(line) == rule
