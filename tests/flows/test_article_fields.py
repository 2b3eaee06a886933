"""Fields beyond the text through the real flow and `veille extract`: whether
the article is whole (`truncated`) and who signed it (`authors`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractors.core.settings import Settings
from flows.cli import app
from storage.store import Store
from tests.support.files import backdate

PAYWALL = "Il vous reste 57.09% de cet article à lire. La suite est réservée aux abonnés."

TEASER = """\
Moscou déploie ses armes nucléaires tactiques en Biélorussie
Par Jean Dupont et Marie Curie, envoyés spéciaux à Minsk
Le Kremlin a confirmé mardi le déploiement d’armes nucléaires tactiques en Biélorussie, une annonce \
aussitôt condamnée par l’OTAN et par plusieurs capitales européennes.
Selon Moscou, les ogives resteront sous contrôle russe, comme le prévoit le traité de non-prolifération, \
mais les experts doutent de la portée de cette garantie et y voient un signal de dissuasion.
"""

WHOLE = """\
L’arsenal nucléaire russe au cœur du sommet de l’OTAN
Réunis à Vilnius, les dirigeants de l’Alliance ont consacré une séance entière à la dissuasion \
nucléaire, après l’installation d’ogives russes sur le sol biélorusse.
Les missiles capables de porter une arme nucléaire tactique sont désormais à portée de la Pologne \
et des pays baltes, ont rappelé plusieurs ministres.
Le communiqué final appelle Moscou à respecter ses engagements de non-prolifération.
Par Les Echos
"""


def _write(folder: Path) -> tuple[Path, Path]:
    folder.mkdir()
    teaser, whole = folder / "teaser.txt", folder / "whole.txt"
    teaser.write_text(TEASER + PAYWALL + "\n", encoding="utf-8")
    whole.write_text(WHOLE, encoding="utf-8")
    backdate(folder)
    return teaser, whole


@pytest.mark.usefixtures("prefect_harness")
def test_stored_article_says_whether_it_is_whole_and_who_signed_it(tmp_path: Path, db_path: Path) -> None:
    from flows.ingest import run_ingest

    teaser, whole = _write(tmp_path / "in")
    settings = Settings().replace({"storage.db": db_path, "ingest.workers": 1})
    summary = run_ingest(settings, paths=[str(tmp_path / "in")])
    assert (summary["stored"], summary["rejected"], summary["duplicates"]) == (2, 0, 0)
    rows = Store(db_path).query("SELECT location, truncated, authors, body FROM articles")[1]
    by_name = {Path(row[0]).name: row[1:] for row in rows}
    truncated, authors, body = by_name["teaser.txt"]
    assert (truncated, authors) == (True, ["Jean Dupont", "Marie Curie"])
    assert "Il vous reste" not in body and body.endswith("un signal de dissuasion.")
    assert "Par Jean" not in body and body.startswith("Le Kremlin a confirmé")
    truncated, authors, body = by_name["whole.txt"]
    assert (truncated, authors) == (False, [])  # "Par Les Echos": the publisher signs
    assert body.endswith("engagements de non-prolifération.")


def test_extract_shows_the_flag_and_the_authors(tmp_path: Path) -> None:
    teaser, whole = _write(tmp_path / "in")
    result = CliRunner().invoke(app, ["extract", str(teaser), str(whole), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert (first["verdict"], first["truncated"], second["truncated"]) == ("kept", True, False)
    assert {"rule": "paywall", "line": PAYWALL} in first["removed"]
    assert (first["authors"], second["authors"]) == (["Jean Dupont", "Marie Curie"], [])
