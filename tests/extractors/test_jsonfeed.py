"""The JSON Feed source kind (extractors/sources/kinds/jsonfeed.py): the worked
example of adding a source kind. This file and that module are the whole
change: the registry, the settings, `--source` and the flow needed nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractors.core.records import Entry
from extractors.core.settings import Feed, SettingsError
from extractors.sources import registry
from extractors.sources.feeds import NotAFeed
from extractors.sources.fetch import FetchedPage
from storage.store import Store
from tests.support.pages import ARTICLES, journal_page
from tests.support.server import LocalServer, Reply

BASE = "https://blog.example.fr/feed.json"


def page(document: object, url: str = BASE) -> FetchedPage:
    content = document if isinstance(document, bytes) else json.dumps(document).encode()
    return FetchedPage(url, url, 200, content, "application/feed+json", None, None, None, False, 0.0)


def jsonfeed(items: list[dict], title: str = "Le Carnet") -> dict:
    return {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items}


def test_items_become_entries() -> None:
    items = [
        {"id": 1, "url": "https://blog.example.fr/a?utm_source=feed", "title": "Premier\x00 billet",
         "date_published": "2024-03-01T10:00:00+01:00", "summary": "Résumé"},
        {"id": "2", "url": "/b", "title": "Relatif"},
        {"id": "3", "external_url": "https://journal.example.fr/c"},  # a link post
        {"id": "4", "url": "https://blog.example.fr/a"},  # the first again, without tracking
        {"id": "5", "url": "javascript:alert(1)"},
        {"id": "6", "content_text": "no url at all"},
        "not an item",
    ]  # fmt: skip
    parsed = registry.get("jsonfeed").parse(page(jsonfeed(items)), max_entries=100)
    assert parsed.title == "Le Carnet" and parsed.total == 7
    assert list(parsed.entries) == [
        Entry(url="https://blog.example.fr/a", guid="1", title="Premier billet",
              published="2024-03-01T10:00:00+01:00", summary="Résumé"),
        Entry(url="https://blog.example.fr/b", guid="2", title="Relatif"),
        Entry(url="https://journal.example.fr/c", guid="3"),
    ]  # fmt: skip
    assert parsed.warning == "3 item(s) without a usable http(s) url"


def test_the_cap_and_what_is_not_a_json_feed() -> None:
    items = [{"url": f"https://blog.example.fr/{i}"} for i in range(10)]
    capped = registry.get("jsonfeed").parse(page(jsonfeed(items)), max_entries=3)
    assert [e.url for e in capped.entries] == [f"https://blog.example.fr/{i}" for i in range(3)]
    assert capped.total == 10
    for document, message in [
        (b"<rss version='2.0'/>", "got no JSON document"),
        ({"items": []}, "without a jsonfeed.org version"),
        ({"version": "https://jsonfeed.org/version/1", "items": {}}, "without a list of items"),
        (b"\xff\xfe{", "got no JSON document"),
    ]:
        with pytest.raises(NotAFeed, match=message):
            registry.get("jsonfeed").parse(page(document), max_entries=10)


def test_the_registry_knows_every_kind_and_refuses_others() -> None:
    assert list(registry.kinds()) == ["feed", "jsonfeed", "sitemap"]
    registry.check([Feed("A", BASE, kind="jsonfeed")], "veille.toml")
    with pytest.raises(
        SettingsError,
        match=r"veille.toml: feeds\[2\].kind must be one of feed, jsonfeed, sitemap, not 'json'",
    ):
        registry.check([Feed("A", BASE), Feed("B", BASE, kind="json")], "veille.toml")
    assert registry.parse_option(f"jsonfeed={BASE}") == Feed(BASE, BASE, kind="jsonfeed")
    for bad in ("jsonfeed", f"rss={BASE}", "jsonfeed="):
        with pytest.raises(SettingsError):
            registry.parse_option(bad)


def test_ingest_a_json_feed_from_the_command_line(
    local_server: LocalServer, db_path: Path, prefect_harness
) -> None:
    from flows.cli import app

    s = local_server
    s.route("/a/entrepots.html", journal_page(ARTICLES["entrepots"]).encode(),
            headers={"Content-Type": "text/html; charset=utf-8"})  # fmt: skip
    body = json.dumps(jsonfeed([{"id": "e", "url": s.url("/a/entrepots.html")}])).encode()
    s.add("/feed.json", Reply(body=body, headers={"Content-Type": "application/feed+json"}, etag='"v1"'))
    argv = ["ingest", "--source", f"jsonfeed={s.url('/feed.json')}", "--db", str(db_path), "--workers", "1"]
    env = {"VEILLE_ALLOW_PRIVATE_NETWORKS": "1"}
    first = CliRunner().invoke(app, argv, env=env)
    assert first.exit_code == 0, first.output
    store = Store(db_path)
    _, rows = store.query("SELECT url, feed_url, source FROM articles")
    assert rows == [(s.url("/a/entrepots.html"), s.url("/feed.json"), "Le Quotidien de l'Est")]
    _, feeds = store.query("SELECT url, kind, last_status, last_entries FROM feeds")
    assert feeds == [(s.url("/feed.json"), "jsonfeed", "ok", 1)]
    second = CliRunner().invoke(app, argv, env=env)  # a conditional request: nothing to parse again
    assert second.exit_code == 0, second.output
    assert store.query("SELECT last_status FROM feeds")[1] == [("not_modified",)]
    assert s.hits("/a/entrepots.html") == 1
    unknown = CliRunner().invoke(
        app, ["ingest", "--source", f"json={s.url('/feed.json')}", "--db", str(db_path)]
    )
    assert unknown.exit_code == 2 and "unknown source kind 'json'" in unknown.stderr
