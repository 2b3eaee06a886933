"""Stories through the real flow and `veille extract`: the labelled set
ingested by `run_ingest`, then a new page about one of its events shows the
story it would join."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractors.core.settings import Settings
from flows.cli import app
from storage.store import Store
from tests.support.paths import REPO

pytestmark = pytest.mark.usefixtures("prefect_harness")
ARTICLES = REPO / "tests" / "data" / "stories" / "articles.jsonl"
runner = CliRunner()

NEW_PAGE = {
    "url": "https://gazette-du-lac.example.ch/international/traite-minsk-oreshnik",
    "source": "La Gazette du Lac",
    "published": "2024-12-07T18:00:00+01:00",
    "title": "Traité de Minsk : le Bélarus sous le parapluie atomique russe, des Oreshnik promis",
    "text": (
        "Vendredi, à Minsk, Alexandre Loukachenko et Vladimir Poutine ont signé un traité de garanties "
        "de sécurité pour l'État d'union de la Russie et du Bélarus.\n"
        "La Russie s'y engage à défendre son allié avec l'arme nucléaire s'il est attaqué. Le président "
        "biélorusse a aussitôt réclamé des missiles Oreshnik, que Moscou promet pour le second semestre "
        "2025.\nLa Pologne et la Lituanie dénoncent une escalade aux frontières de l'Union européenne, "
        "où des armes nucléaires tactiques russes sont déjà stationnées depuis 2023."
    ),
}


def test_ingested_events_form_stories_and_extract_names_the_one_a_page_would_join(
    db_path: Path, tmp_path: Path
) -> None:
    from flows.ingest import run_ingest

    settings = Settings().replace({"storage.db": db_path, "ingest.workers": 1})
    summary = run_ingest(settings, paths=[str(ARTICLES)])
    assert summary["stored"] == 30
    store = Store(db_path)
    events = [json.loads(line)["event"] for line in ARTICLES.read_text("utf-8").splitlines()]
    story_of = dict(store.query("SELECT location, story_id FROM articles")[1])
    by_event: dict[str, set[str]] = {}
    for n, event in enumerate(events, 1):
        by_event.setdefault(event or f"none-{n}", set()).add(story_of[f"{ARTICLES.as_uri()}#{n}"])
    # no story holds two events; an event may split (recall 0.92 on the whole set,
    # README), but most are one story each, the Minsk treaty's among them
    events_of: dict[str, set[str]] = {}
    for event, ids in by_event.items():
        for story in ids:
            events_of.setdefault(story, set()).add(event)
    assert all(len(e) == 1 for e in events_of.values()), events_of
    named = [e for e in by_event if not e.startswith("none-")]
    assert sum(len(by_event[e]) == 1 for e in named) >= len(named) - 1, by_event
    assert len(by_event["minsk-traite-2024-12"]) == 1, by_event

    page = tmp_path / "page.json"
    page.write_text(json.dumps(NEW_PAGE, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["extract", str(page), "--db", str(db_path), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    (minsk,) = by_event["minsk-traite-2024-12"]
    assert record["verdict"] == "kept"
    assert record["story"]["story_id"] == minsk and record["story"]["articles"] == 5
    assert record["story"]["title"].startswith("À Minsk, Poutine et Loukachenko")
    assert Store(db_path).query("SELECT count(*) FROM articles")[1] == [(30,)]  # nothing written

    no_db = runner.invoke(app, ["extract", str(page), "--db", str(tmp_path / "none.duckdb")])
    assert no_db.exit_code == 0 and json.loads(no_db.stdout)[0]["story"] is None
    assert not (tmp_path / "none.duckdb").exists()
