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
from extractors.text.boilerplate import clean, strip_site_name

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
