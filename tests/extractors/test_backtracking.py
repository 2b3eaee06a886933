"""Inputs that made the date and cleaning patterns backtrack super-linearly.

A page or a record can put anything in its declared date and a text file can
hold a line as long as itself: a run of spaces inside a date made the patterns
try every way of splitting it, quadratically ("14 juin 2023", 16,000 spaces,
a word: 3 s) or cubically ("Publié", 800 spaces, a word: 43 s). The runs here
are 300,000 spaces: on the old patterns most cases would run for a quarter of
an hour or, cubic, for years, far past the suite's timeout, so the tests
assert only results, never a duration; the other cases pin that a run where
the old patterns happened to be fast changes no result either.
"""

from __future__ import annotations

import pytest

from extractors.core.records import Document
from extractors.core.settings import Settings
from extractors.judge.pipeline import extract
from extractors.text import dates
from extractors.text.boilerplate import clean, load_rules, strip_site_name

SPACES = " " * 300_000
JUNE_14 = "2023-06-14T00:00:00+00:00"
BODY = (
    "Le gouvernement a présenté mercredi son projet de loi sur l’énergie.\n"
    "Le texte prévoit une hausse des investissements dans le nucléaire civil, "
    "et un calendrier serré pour les débats au Parlement.\n"
)


@pytest.mark.parametrize("origin", ["record", "feed", "metadata", "text"])
@pytest.mark.parametrize(
    ("text", "iso"),
    [
        (f"14 juin 2023{SPACES}mis à jour le 15 juin 2023", JUNE_14),
        (f"14 juin 2023{SPACES}à midi", JUNE_14),
        (f"14 juin 2023 à{SPACES}10h12", "2023-06-14T10:12:00+02:00"),
        (f"2023-06-14{SPACES}", JUNE_14),
    ],
)
def test_declared_date_holding_a_long_space_run(text: str, iso: str, origin: str) -> None:
    parsed = dates.parse(text, origin)
    assert parsed is not None
    assert (parsed.value.isoformat(), parsed.source) == (iso, origin)


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        (f"Publié{SPACES}par la rédaction", None),
        (f"Publié le 3 mars 2024{SPACES}par la rédaction", None),
        (f"Mis à jour le 3 mars 2024 à 10h{SPACES}par la rédaction", None),
        (f"Publié{SPACES}le 3 mars 2024 à 10h12", "date_line"),
        (f"date{SPACES}inconnue", None),
        (f"Si vous avez déjà un compte{SPACES}lisez la suite.", None),
        (f"Source : AFP{SPACES}et Reuters", None),
        (f"Il vous reste{SPACES}57.09% de cet article à lire.", None),
        (f"La suite est réservée aux abonnés.{SPACES}Abonnez-vous", None),
    ],
)
def test_line_holding_a_long_space_run(line: str, rule: str | None) -> None:
    cleaned = clean(f"{line}\n{BODY}")
    assert dict((text, name) for name, text in cleaned.removed).get(line) == rule
    if rule is None:
        assert cleaned.body.split("\n")[0] == line
    else:
        assert cleaned.body == BODY.strip()
        assert cleaned.date_text == "3 mars 2024"


@pytest.mark.parametrize(
    ("line", "paywall"),
    [
        (f"Il vous reste{SPACES}57.09%{SPACES}de cet article à lire{SPACES}x", False),
        (f"Cet article est réservé aux abonnés{SPACES}x", False),
        (f"La suite{SPACES}est{SPACES}réservée aux abonnés{SPACES}du{SPACES}Monde{SPACES}x{SPACES}y", False),
        (f"La suite{SPACES}est{SPACES}réservée aux abonnés{SPACES}du{SPACES}Monde{SPACES}.", True),
        (f"Abonnez-vous{SPACES}pour{SPACES}lire{SPACES}la suite{SPACES}x", False),
        (f"Pour lire la suite{SPACES}et{SPACES}x", False),
        (f"La suite est réservée aux abonnés.{SPACES}Abonnez-vous{SPACES}x", True),
        (f"»{SPACES}Article réservé aux abonnés{SPACES}", True),
        ("Cet article est réservé aux abonnés" + ". Il vous reste 5 % à lire" * 20_000, True),
    ],
)
def test_paywall_pattern_on_a_long_line(line: str, paywall: bool) -> None:
    """A paywall line is short (clean() checks its length first), but its
    pattern alone stays linear on any line."""
    assert bool(load_rules().paywall.match(line)) is paywall


@pytest.mark.parametrize(
    ("line", "byline"),
    [
        (f"Par{SPACES}Jean{SPACES}de{SPACES}La{SPACES}Fontaine{SPACES}x", False),
        (f"Par Jean Dupont{SPACES}et{SPACES}Marie Curie{SPACES}avec{SPACES}AFP{SPACES}.", True),
        (f"Par Jean Dupont,{SPACES}envoyé spécial à Kiev{SPACES}", True),
        ("Par " + "Jean Dupont et " * 20_000 + "x", False),
        ("Par " + "A " * 100_000 + "x", False),
    ],
)
def test_byline_pattern_on_a_long_line(line: str, byline: bool) -> None:
    """A byline is short (clean() checks its length first); its pattern alone stays linear."""
    assert bool(load_rules().byline.match(line)) is byline


def test_title_holding_a_long_space_run() -> None:
    title = f"Projet de loi{SPACES}sur l’énergie"
    assert strip_site_name(f"{title} | Le Site", ["Le Site"]) == title


def _page(head: str) -> str:
    paragraph = " ".join(BODY.split()) * 8
    return (
        f"<html><head><title>Projet de loi sur l’énergie</title>{head}</head><body><article>"
        f"<h1>Projet de loi sur l’énergie</h1><p>{paragraph}</p><p>{paragraph}</p>"
        "</article></body></html>"
    )


@pytest.mark.parametrize(
    "head",
    [
        f'<meta name="date" content="2023-06-14{SPACES}">',
        f'<meta name="date" content="14 juin 2023{SPACES}mis à jour le 15 juin 2023">',
        f'<script type="application/ld+json">{{"datePublished": "14 juin 2023{SPACES}à midi"}}</script>',
    ],
)
def test_page_declaring_a_date_with_a_long_space_run(head: str) -> None:
    ex = extract(Document("https://example.fr/loi", "html", _page(head)), Settings())
    assert ex.published is not None
    assert (ex.published.value.isoformat(), ex.published.source) == (JUNE_14, "metadata")
    assert "nucléaire civil" in ex.body


def test_text_file_with_a_long_space_run_in_a_date_line() -> None:
    content = f"Publié{SPACES}par la rédaction\nPublié le 14 juin 2023 à 10h12\n{BODY}"
    ex = extract(Document("file:///corpus/loi.txt", "text", content), Settings())
    assert ex.published is not None
    assert (ex.published.value.isoformat(), ex.published.source) == (JUNE_14, "text")
    assert ("date_line", "Publié le 14 juin 2023 à 10h12") in ex.removed
    assert ex.body.split("\n")[0] == f"Publié{SPACES}par la rédaction"


def test_page_declaring_an_author_with_a_long_space_run() -> None:
    head = f'<meta name="author" content="Jean{SPACES}Dupont{SPACES}et{SPACES}Marie Curie">'
    ex = extract(Document("https://example.fr/loi", "html", _page(head)), Settings())
    assert ex.authors == ("Jean Dupont", "Marie Curie")
