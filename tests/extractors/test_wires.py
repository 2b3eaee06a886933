"""Wire credits (issue 15, point 2): which news agencies an article credits, and
the text that proves each. Article-level credits count; photo credits do not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.core.records import Document
from extractors.core.settings import Settings
from extractors.judge.pipeline import describe, extract
from extractors.text.boilerplate import clean, wire_names
from tests.support.paths import SEEDS

P1 = (
    "Le Kremlin a confirmé mardi le déploiement d’armes nucléaires tactiques en Biélorussie, "
    "une annonce aussitôt condamnée par l’OTAN et par plusieurs capitales européennes."
)
P2 = (
    "Selon Moscou, les ogives resteront sous contrôle russe, comme le prévoit le traité de "
    "non-prolifération, mais les experts doutent de la portée de cette garantie."
)


@pytest.mark.parametrize(
    ("text", "agencies", "evidence"),
    [
        # datelines opening the text: kept in the body
        (f"PARIS (AFP) - {P1}\n{P2}", ("AFP",), "PARIS (AFP) -"),
        (f"Kiev (AFP) – {P1}\n{P2}", ("AFP",), "Kiev (AFP) –"),
        (f"MOSCOU, 12 mars (Reuters) - {P1}\n{P2}", ("Reuters",), "MOSCOU, 12 mars (Reuters) -"),
        (f"Bruxelles (Belga/AFP) - {P1}\n{P2}", ("Belga", "AFP"), "Bruxelles (Belga/AFP) -"),
        # a credit cut off an article sentence
        (f"{P1}\n{P2} (AFP)", ("AFP",), "(AFP)"),
        # bylines and "avec" lines
        (f"Par Jean Dupont avec AFP\n{P1}\n{P2}", ("AFP",), "avec AFP"),
        (f"Par AFP\n{P1}\n{P2}", ("AFP",), "Par AFP"),
        (f"Le Monde avec AFP\n{P1}\n{P2}", ("AFP",), "Le Monde avec AFP"),
        (f"{P1}\n{P2}\n(avec l’AFP et Reuters)", ("AFP", "Reuters"), "(avec l’AFP et Reuters)"),
        # source lines
        (f"{P1}\n{P2}\nSource : AFP", ("AFP",), "Source : AFP"),
        (f"{P1}\n{P2}\nSources : agence France-Presse, Reuters", ("AFP", "Reuters"),
         "Sources : agence France-Presse, Reuters"),
        # agency-only credits after the last paragraph
        (f"{P1}\n{P2}\nAFP/Belga", ("AFP", "Belga"), "AFP/Belga"),
        (f"{P1}\n{P2}\n© AFP", ("AFP",), "© AFP"),
        (f"{P1}\n{P2}\n© AFP 2024. Tous droits réservés.\nPartager sur Facebook", ("AFP",),
         "© AFP 2024. Tous droits réservés."),
        (f"{P1}\n{P2}\n(ATS/Keystone)", ("ATS", "Keystone"), "(ATS/Keystone)"),
        # the first evidence of an agency is kept
        (f"PARIS (AFP) - {P1}\n{P2}\n© AFP", ("AFP",), "PARIS (AFP) -"),
    ],
)  # fmt: skip
def test_article_level_credits_are_wires(text: str, agencies: tuple[str, ...], evidence: str) -> None:
    assert clean(text).wires == tuple((agency, evidence) for agency in agencies)


def test_dateline_stays_in_the_body_and_a_wire_byline_keeps_its_author() -> None:
    cleaned = clean(f"Par Jean Dupont avec AFP\nPARIS (AFP) - {P1}\n{P2}")
    assert cleaned.body == f"PARIS (AFP) - {P1}\n{P2}"
    assert cleaned.authors == ("Jean Dupont",)
    assert cleaned.wires == (("AFP", "avec AFP"),)


def test_wire_credit_lines_are_removed() -> None:
    cleaned = clean(f"{P1}\nLe Monde avec AFP\n{P2}\nAFP/Belga")
    assert cleaned.body == f"{P1}\n{P2}"
    assert cleaned.removed == (("wire_credit", "Le Monde avec AFP"), ("credit", "AFP/Belga"))


@pytest.mark.parametrize(
    "text",
    [
        # a caption ending in an agency, a credit under a caption
        f"{P1}\nDes manifestants devant le Parlement à Strasbourg (AFP)\n{P2}",
        f"{P1}\nDes manifestants devant le Parlement à Strasbourg\n(AFP)\n{P2}",
        f"{P1}\n{P2}\nDes manifestants devant le Parlement à Strasbourg\n© AFP",
        # a photographer and an agency
        f"{P1}\n{P2} (Roman Chop/Associated Press)",
        f"{P1}\nDes soldats se reposent dans une tranchée. (Roman Chop/Associated Press)\n{P2}",
        # a copyright notice under a caption
        f"{P1}\nDes soldats dans des chars capturés\n"
        f"(Copyright 2022 The Associated Press. Tous droits réservés.)\n{P2}",
        # a credit mid-text, under no caption: an image's
        f"{P1}\n© AFP\n{P2}",
        # photo agencies are no wires
        f"{P1}\n{P2}\n© Getty Images",
        f"{P1}\n{P2} (Sipa)",
        # a source that is no agency; an agency named in a sentence
        f"{P1}\n{P2}\nSource : ZeroHedge",
        f"{P1}\nSelon l’AFP, le convoi a franchi la frontière.\n{P2}",
        f"{P1}\nSelon l’agence (Reuters), le convoi a franchi la frontière.\n{P2}",
        # a dispatch quoted far into the text: no dateline of this article
        f"{P1}\n{P2}\n{P1}\nPARIS (AFP) - {P2}",
    ],
)
def test_photo_credits_and_mentions_are_no_wires(text: str) -> None:
    assert clean(text).wires == ()


@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_no_seed_carries_a_wire_credit(seed: str) -> None:
    """Seed 000's "(PA)" and "(Copyright 2022 The Associated Press…)" and seed 001's
    "(Roman Chop/Associated Press)" credit photos; seed 004's "Source : ZeroHedge"
    is a blog, not an agency."""
    assert clean((SEEDS / seed).read_text(encoding="utf-8")).wires == ()


@pytest.mark.parametrize(
    ("names", "wires"),
    [
        ("AFP", ("AFP",)),
        ("agence France-Presse", ("AFP",)),
        ("l’AFP", ("AFP",)),
        ("The Associated Press", ("AP",)),
        ("AFP/Belga", ("AFP", "Belga")),
        ("Keystone-ATS", ("ATS",)),
        ("Reuters, dpa et EFE", ("Reuters", "dpa", "EFE")),
        ("AFP/Getty Images", ()),
        ("Le Monde", ()),
        ("ZeroHedge", ()),
    ],
)
def test_wire_names(names: str, wires: tuple[str, ...]) -> None:
    assert wire_names(names) == wires


def _page(head: str = "", first: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in (f"{first}{P1}", P2))
    return (
        f"<html lang='fr'><head><title>Armes nucléaires</title>{head}</head><body>"
        f"<article><h1>Armes nucléaires</h1>{body}</article></body></html>"
    )


def _ld(author: object) -> str:
    ld = json.dumps({"@type": "NewsArticle", "author": author})
    return f'<script type="application/ld+json">{ld}</script>'


@pytest.mark.parametrize(
    ("head", "authors", "wires"),
    [
        (_ld({"@type": "Organization", "name": "AFP"}), (), (("AFP", "AFP"),)),
        (_ld([{"@type": "Person", "name": "Jean Dupont"}, {"@type": "Organization", "name": "Reuters"}]),
         ("Jean Dupont",), (("Reuters", "Reuters"),)),
        ('<meta name="author" content="Agence France-Presse">', (), (("AFP", "Agence France-Presse"),)),
        ('<meta name="author" content="Jean Dupont avec AFP">', ("Jean Dupont",),
         (("AFP", "Jean Dupont avec AFP"),)),
        ('<meta name="author" content="Jean Dupont">', ("Jean Dupont",), ()),
        ('<meta name="author" content="Le Journal">', ("Le Journal",), ()),
    ],
)  # fmt: skip
def test_declared_author_that_is_an_agency_is_a_wire(
    head: str, authors: tuple[str, ...], wires: tuple[tuple[str, str], ...]
) -> None:
    doc = Document("https://example.fr/armes", "html", _page(head), url="https://example.fr/armes")
    ex = extract(doc, Settings())
    assert ex.authors == authors
    assert tuple(zip(ex.wire_agencies, ex.wire_evidence, strict=True)) == wires


def test_wires_of_the_text_before_those_of_the_page() -> None:
    head = '<meta name="author" content="AFP/Reuters">'
    doc = Document(
        "https://example.fr/armes", "html", _page(head, "PARIS (AFP) - "), url="https://example.fr/armes"
    )
    ex = extract(doc, Settings())
    assert ex.body.split("\n") == [f"PARIS (AFP) - {P1}", P2]
    assert (ex.wire_agencies, ex.wire_evidence) == (("AFP", "Reuters"), ("PARIS (AFP) -", "AFP/Reuters"))


def test_describe_shows_the_wires_and_the_raw_source() -> None:
    record = describe(Document("file:///corpus/armes.txt", "text", f"{P1}\n{P2}\nSource : AFP"), Settings())
    assert record["wire_agencies"] == ["AFP"] and record["wire_evidence"] == ["Source : AFP"]
    assert (record["source"], record["source_raw"]) == ("AFP", "AFP")


def test_seed_documents_have_no_wires(tmp_path: Path) -> None:
    for seed in sorted(SEEDS.glob("*.txt")):
        ex = extract(Document(seed.as_uri(), "text", seed.read_text(encoding="utf-8")), Settings())
        assert (ex.wire_agencies, ex.wire_evidence) == ((), ())


SPACES = " " * 300_000


@pytest.mark.parametrize(
    ("line", "wires"),
    [
        (f"PARIS{SPACES}(AFP) - {P1}", (("AFP", "PARIS (AFP) -"),)),
        (f"PARIS,{SPACES}12 mars (AFP){SPACES}x", ()),
        (f"Le{SPACES}Monde{SPACES}avec AFP", ()),
        (f"Source :{SPACES}AFP{SPACES}, Reuters", ()),
        (f"AFP{SPACES}/{SPACES}Belga", ()),
        (f"x{SPACES}2024{SPACES}tous droits réservés", ()),
        (f"{P1} (AFP{SPACES})", ()),
    ],
)
def test_line_holding_a_long_space_run(line: str, wires: tuple[tuple[str, str], ...]) -> None:
    """The wire patterns stay linear in the line (see test_backtracking.py): these
    take a fraction of a second, and the evidence is stored with single spaces."""
    assert clean(f"{line}\n{P2}").wires == wires
