"""Web ingestion end to end: a real HTTP server on 127.0.0.1, the real flow."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.core.settings import Feed, Settings
from storage.store import Store
from tests.support.pages import (
    ARTICLES,
    DATE,
    ENGLISH,
    HTML,
    LATIN1_TITLE,
    OFF_TOPIC,
    RSS,
    blog_page,
    journal_page,
    rss,
    run_web_ingest,
)
from tests.support.server import LocalServer, Reply

pytestmark = pytest.mark.usefixtures("prefect_harness")


def run(db: Path, **inputs) -> dict:
    return run_web_ingest(db, {"fetch.retries": 1}, **inputs)


def feed(server: LocalServer, path: str = "/feed.xml", name: str = "Quotidien") -> Feed:
    return Feed(name=name, url=server.url(path))


@pytest.fixture
def site(local_server: LocalServer) -> LocalServer:
    s = local_server
    s.route("/a/entrepots.html", journal_page(ARTICLES["entrepots"]).encode(), headers=HTML)
    s.route("/b/doctrine.html", blog_page(ARTICLES["doctrine"]).encode(), headers=HTML)
    s.route("/a/exercices.html", journal_page(ARTICLES["exercices"]).encode(), headers=HTML)
    s.route("/a/english.html", journal_page(ENGLISH, site="World Daily").encode(), headers=HTML)
    s.route("/a/fete.html", journal_page(OFF_TOPIC).encode(), headers=HTML)
    s.route("/b/repris.html", blog_page(ARTICLES["entrepots"]).encode(), headers=HTML)
    items = [
        (s.url("/a/entrepots.html"), "Entrepôts", DATE),
        (s.url("/b/doctrine.html"), "Doctrine", "Tue, 19 Nov 2024 13:05:00 GMT"),
        (s.url("/a/exercices.html?utm_source=rss&utm_medium=feed"), "Exercices", DATE),
        (s.url("/a/english.html"), "English", DATE),
        (s.url("/a/fete.html"), "Fête", DATE),
        (s.url("/b/repris.html"), "Repris", DATE),
        (s.url("/a/entrepots.html#comments"), "Entrepôts (bis)", DATE),
    ]
    s.add("/feed.xml", Reply(body=rss(items), headers=RSS, etag='"v1"'))
    return s


def test_feed_to_clean_dated_sourced_articles(site: LocalServer, db_path: Path) -> None:
    summary = run(db_path, feeds=[feed(site)])
    assert (summary["stored"], summary["duplicates"], summary["rejected"]) == (3, 1, 2)
    store = Store(db_path)
    cols, rows = store.query(
        "SELECT url, title, body, source, source_domain, published_at, date_source, "
        "date_precision, feed_url FROM articles ORDER BY url"
    )
    arts = {r[0].rsplit("/", 1)[-1]: dict(zip(cols, r, strict=True)) for r in rows}
    assert sorted(arts) == ["doctrine.html", "entrepots.html", "exercices.html"]
    assert arts["entrepots.html"]["source"] == "Le Quotidien de l'Est"
    assert arts["doctrine.html"]["source"] == "Géopolitique Hebdo"
    assert arts["entrepots.html"]["source_domain"] == "127.0.0.1"
    assert arts["entrepots.html"]["title"] == ARTICLES["entrepots"]["title"]
    assert arts["exercices.html"]["url"].endswith("/a/exercices.html")  # tracking params gone
    for name, art in arts.items():
        assert art["date_source"] == "feed" and art["date_precision"] == "day"
        assert art["feed_url"] == site.url("/feed.xml")
        body = art["body"]
        for noise in ["Lire aussi", "PSG", "Facebook", "newsletter", "cookies", "©",
                      "Tous droits réservés", "Leave a Comment", "Akismet", "Publicité",
                      "Sur le même sujet", "Kudryavtsev", "Rubrique"]:  # fmt: skip
            assert noise not in body, (name, noise)
        key = name.removesuffix(".html")
        for paragraph in ARTICLES[key]["paragraphs"]:
            assert paragraph in body.split("\n"), (name, paragraph[:40])
    assert arts["entrepots.html"]["published_at"].isoformat().startswith("2023-06-14T06:30")
    reasons = {loc.rsplit("/", 1)[-1]: r for loc, r in store.query(
        "SELECT location, reason FROM rejects")[1]}  # fmt: skip
    assert reasons == {"english.html": "language", "fete.html": "off_topic"}
    (dup,) = store.query(
        "SELECT d.location, d.kind, d.similarity, a.url FROM duplicates d "
        "JOIN articles a ON a.article_id = d.duplicate_of"
    )[1]
    # The same article in the other template: once each template's furniture is
    # cleaned away the two bodies are the same text, hence an exact duplicate.
    assert dup[0].endswith("/b/repris.html") and dup[1:3] == ("exact", 1.0)
    assert dup[3].endswith("/a/entrepots.html")
    assert site.hits("/a/entrepots.html") == 1  # the #comments variant was not fetched again
    (feed_row,) = store.query(
        "SELECT last_status, etag, consecutive_failures, last_entries, entries_seen FROM feeds"
    )[1]
    assert feed_row == ("ok", '"v1"', 0, 7, 6)


def test_unchanged_feed_costs_one_request_and_nothing_else(site: LocalServer, db_path) -> None:
    run(db_path, feeds=[feed(site)])
    before = len(site.requests)
    second = run(db_path, feeds=[feed(site)])
    new_requests = site.requests[before:]
    assert [r.path for r in new_requests] == ["/feed.xml"]
    assert new_requests[0].headers.get("if-none-match") == '"v1"'
    assert second["inputs"] == 0 and second["feeds"][0]["status"] == "not_modified"
    assert Store(db_path).query("SELECT last_status, etag FROM feeds")[1] == [("not_modified", '"v1"')]


def test_changed_feed_fetches_only_new_pages(site: LocalServer, db_path) -> None:
    run(db_path, feeds=[feed(site)])
    items = [(site.url("/a/entrepots.html"), "Entrepôts", DATE),
             (site.url("/b/doctrine.html"), "Doctrine", DATE)]  # fmt: skip
    site.add("/feed.xml", Reply(body=rss(items), headers=RSS, etag='"v2"'))
    before = len(site.requests)
    third = run(db_path, feeds=[feed(site)])
    assert [r.path for r in site.requests[before:]] == ["/feed.xml"]
    assert third["feeds"][0]["new"] == 0 and third["stored"] == 0


def test_bad_feeds_and_pages_are_recorded_and_the_run_goes_on(local_server, db_path) -> None:
    s = local_server
    s.add("/flaky.html", Reply(status=503))
    s.route("/latin1.html", journal_page(
        {**ARTICLES["exercices"], "title": LATIN1_TITLE}, charset="utf-8").encode("cp1252"),
        headers=HTML)  # fmt: skip
    s.route("/ok.html", journal_page(ARTICLES["doctrine"]).encode(), headers=HTML)
    s.add("/missing.xml", Reply(status=404))
    s.route("/page.xml", b"<html><body><p>Pas un flux</p></body></html>", headers=HTML)
    s.add("/good.xml", Reply(body=rss([(s.url("/flaky.html"), "Flaky", DATE),
                                       (s.url("/ok.html"), "Ok", DATE)]), headers=RSS))  # fmt: skip
    feeds = [feed(s, "/missing.xml", "Missing"), feed(s, "/page.xml", "Page"),
             feed(s, "/good.xml", "Good")]  # fmt: skip
    first = run(db_path, feeds=feeds, urls=[s.url("/latin1.html"), "file:///etc/passwd"])
    statuses = {f["name"]: f["status"] for f in first["feeds"]}
    assert statuses == {"Missing": "http_error", "Page": "not_a_feed", "Good": "ok"}
    store = Store(db_path)
    reasons = dict(store.query("SELECT location, reason FROM rejects")[1])
    assert reasons == {s.url("/flaky.html"): "fetch_failed", "file:///etc/passwd": "unsupported"}
    assert s.hits("/flaky.html") == 2  # one retry within the run, then recorded
    (body,) = store.query("SELECT body FROM articles WHERE title = ?", [LATIN1_TITLE])[1][0]
    assert "manœuvres" in body and "Ã" not in body
    # the server recovers: the transient failure is retried by the next run, and stored
    s.route("/flaky.html", journal_page(ARTICLES["entrepots"]).encode(), headers=HTML)
    second = run(db_path, feeds=feeds)
    assert second["stored"] == 1
    assert store.query("SELECT count(*) FROM rejects WHERE reason = 'fetch_failed'")[1] == [(0,)]
    failures = dict(store.query("SELECT name, consecutive_failures FROM feeds")[1])
    assert failures == {"Missing": 2, "Page": 2, "Good": 0}


def test_private_addresses_are_refused_by_default(local_server, db_path) -> None:
    from flows.ingest import run_ingest

    local_server.route("/feed.xml", rss([]), headers=RSS)
    summary = run_ingest(
        Settings().replace({"storage.db": db_path, "ingest.workers": 1}), feeds=[feed(local_server)]
    )
    assert summary["feeds"][0]["status"] == "blocked"
    assert local_server.requests == []
