"""Hostile and broken web inputs, through the real flow and a loopback server."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.core.settings import Feed
from extractors.judge.pipeline import MAX_TITLE_CHARS
from storage.store import Store
from tests.support.pages import ARTICLES, DATE, HTML, RSS, journal_page, rss, run_web_ingest
from tests.support.server import Reply

pytestmark = pytest.mark.usefixtures("prefect_harness")


def run(db: Path, **inputs) -> dict:
    return run_web_ingest(
        db, {"fetch.retries": 1, "fetch.failing_after": 2, "fetch.max_entries_per_feed": 3}, **inputs
    )


def _distinct_article(n: int) -> dict:
    import random

    from tests.support.corpus import article

    title, _, body = article(random.Random(n), n).partition("\n\n")
    return {"title": title, "published": "2023-06-14T08:30:00+02:00",
            "paragraphs": body.strip().split("\n")}  # fmt: skip


def test_big_feed_is_capped_per_poll_and_the_rest_taken_next_time(local_server, db_path):
    s = local_server
    items = []
    for n in range(8):
        s.route(f"/p{n}.html", journal_page(_distinct_article(n)).encode(), headers=HTML)
        items.append((s.url(f"/p{n}.html"), f"P{n}", DATE))
    s.add("/feed.xml", Reply(body=rss(items), headers=RSS, etag='"same"'))
    feed = [Feed(name="Big", url=s.url("/feed.xml"))]
    stored = [run(db_path, feeds=feed)["stored"] for _ in range(4)]
    assert stored == [3, 3, 2, 0]
    assert Store(db_path).query("SELECT count(*) FROM articles")[1] == [(8,)]
    # once everything is taken the validators are kept: the fourth poll was conditional
    assert s.requests[-1].headers.get("if-none-match") == '"same"'


def test_persistent_404_marks_the_feed_failing_and_spares_the_others(local_server, db_path):
    s = local_server
    s.add("/gone.xml", Reply(status=410))
    s.route("/a.html", journal_page(ARTICLES["doctrine"]).encode(), headers=HTML)
    s.add("/ok.xml", Reply(body=rss([(s.url("/a.html"), "A", DATE)]), headers=RSS))
    feeds = [Feed(name="Gone", url=s.url("/gone.xml")), Feed(name="Ok", url=s.url("/ok.xml"))]
    for _ in range(3):
        run(db_path, feeds=feeds)
    rows = Store(db_path).query(
        "SELECT name, last_status, last_http_status, consecutive_failures, failing FROM feeds ORDER BY name"
    )[1]
    assert rows[0] == ("Gone", "http_error", 410, 3, True)
    # the same bytes again (no validators to send): not parsed again, the article not refetched
    assert rows[1] == ("Ok", "unchanged", 200, 0, False)
    assert (s.hits("/ok.xml"), s.hits("/a.html")) == (3, 1)
    assert Store(db_path).query("SELECT count(*) FROM articles")[1] == [(1,)]


def test_scripts_handlers_and_javascript_urls_never_reach_the_text(local_server, db_path):
    page = journal_page(ARTICLES["exercices"]).replace(
        "<h1>",
        '<script>document.write("alert-from-script")</script>'
        '<p onclick="stealCookies()">Paragraphe piégé <a href="javascript:evilCall()">'
        "cliquez</a> au milieu du texte sur la Biélorussie et les armes nucléaires.</p><h1>",
    )
    local_server.route("/x.html", page.encode(), headers=HTML)
    summary = run(db_path, urls=[local_server.url("/x.html"), "javascript:alert(1)"])
    assert summary["stored"] == 1
    body = Store(db_path).query("SELECT body FROM articles")[1][0][0]
    for bad in ("alert-from-script", "document.write", "stealCookies", "onclick", "javascript:",
                "evilCall"):  # fmt: skip
        assert bad not in body
    assert dict(Store(db_path).query("SELECT location, reason FROM rejects")[1]) == {
        "javascript:alert(1)": "unsupported"
    }


def test_nul_bytes_and_a_huge_title_are_stored_safely(local_server, db_path):
    title = "Biélorussie " * 180_000  # about 2.2 MB
    article = ARTICLES["doctrine"]
    page = journal_page(article).replace("Vladimir Poutine", "Vladimir\x00 Poutine")
    # The page's own title is what the article takes (og:title first, then <title>):
    # both are huge, so only the article title cap stands between them and the row.
    page = page.replace(f"<title>{article['title']}", f"<title>{title}", 1)
    page = page.replace(f'og:title" content="{article["title"]}', f'og:title" content="{title}', 1)
    assert page.count(title) == 2
    local_server.route("/nul.html", page.encode(), headers=HTML)
    local_server.add("/feed.xml", Reply(body=rss([(local_server.url("/nul.html"), title, DATE)]),
                                        headers=RSS))  # fmt: skip
    summary = run(db_path, feeds=[Feed(name="Nul", url=local_server.url("/feed.xml"))])
    assert summary["stored"] == 1
    stored_title, body = Store(db_path).query("SELECT title, body FROM articles")[1][0]
    assert stored_title == title[:MAX_TITLE_CHARS].strip() and "\x00" not in stored_title + body
    assert "Vladimir Poutine" in body


def test_server_error_then_success_is_stored_once(local_server, db_path):
    local_server.add("/flaky.html", Reply(status=500),
                     Reply(body=journal_page(ARTICLES["entrepots"]).encode(), headers=HTML))  # fmt: skip
    summary = run(db_path, urls=[local_server.url("/flaky.html")] * 2)
    assert (summary["stored"], summary["rejected"]) == (1, 0)
    assert local_server.hits("/flaky.html") == 2


def test_redirects_to_private_addresses_or_files_are_blocked(local_server, db_path):
    s = local_server
    s.redirect("/to-private.html", "http://10.0.0.1/secret.html")
    s.redirect("/to-file.html", "file:///etc/passwd")
    s.redirect("/loop-a.html", "/loop-b.html")
    s.redirect("/loop-b.html", "/loop-a.html")
    run(db_path, urls=[s.url("/to-private.html"), s.url("/to-file.html"), s.url("/loop-a.html")])
    reasons = {loc.rsplit("/", 1)[-1]: (reason, detail) for loc, reason, detail in
               Store(db_path).query("SELECT location, reason, detail FROM rejects")[1]}  # fmt: skip
    assert reasons["to-private.html"][0] == "blocked" and "10.0.0.1" in reasons["to-private.html"][1]
    assert reasons["to-file.html"][0] == "blocked"
    assert reasons["loop-a.html"][0] == "http_error"
    assert not any(r.path.startswith("/secret") for r in s.requests)


def test_malformed_and_future_feed_dates_fall_back_to_the_page(local_server, db_path):
    s = local_server
    s.route("/a.html", journal_page(ARTICLES["entrepots"]).encode(), headers=HTML)
    s.route("/b.html", journal_page(ARTICLES["doctrine"]).encode(), headers=HTML)
    items = [(s.url("/a.html"), "A", "not a date at all"),
             (s.url("/b.html"), "B", "Fri, 01 Jan 2100 00:00:00 GMT")]  # fmt: skip
    s.add("/feed.xml", Reply(body=rss(items), headers=RSS))
    run(db_path, feeds=[Feed(name="Dates", url=s.url("/feed.xml"))])
    rows = Store(db_path).query("SELECT date_source, published_date::VARCHAR FROM articles ORDER BY url")[1]
    assert rows == [("metadata", "2023-06-14"), ("metadata", "2024-11-19")]
