"""`veille report` (flows/report.py): the page it writes from a real DuckDB
file, opened in headless Chromium to see that every chart was drawn; a page
that asks for nothing over the network; data escaped; an empty database and
one at an older schema; the exit codes; the run summary's figures."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest
from lxml import html as lxml_html
from typer.testing import CliRunner

from extractors.core.records import Rejected, RejectReason
from flows.cli import app
from flows.report import plot_text, run_figures
from storage.store import Store
from tests.support.analyst_data import candidate
from tests.support.databases import at_schema_version, held_by_another_process
from tests.support.paths import SEEDS

runner = CliRunner()

HOSTILE_TITLE = """<script>alert("titre")</script> [bold]Réforme[/bold] & "guillemets" 'apostrophes'"""
HOSTILE_SOURCE = "<b>Source</b> [red]rouge[/red]"
HOSTILE_AUTHOR = "<img src=x onerror=alert(1)> Jean « Dupont »"
TODAY = date.today()
CHARTS = [
    "chart-coverage-day",
    "chart-coverage-source",
    "chart-stories",
    "chart-wire-day",
    "chart-wire-source",
    "chart-agencies",
    "chart-authors",
    "chart-rejects",
    "chart-duplicates",
]


def _text(i: int, vocabulary: list[str]) -> str:
    """A body of its own (no near-duplicate of another), in the seeds' words."""
    rng = random.Random(i)
    return "\n".join(" ".join(rng.choices(vocabulary, k=40)) + "." for _ in range(6))


# day offset (from today), source, title, authors, wire credits, story
ARTICLES = [
    (1, "Le Monde", "Sommet à Bruxelles : les Vingt-Sept d'accord", ["Claire Martin"], ["AFP"], "st-1"),
    (1, "Le Figaro", "Bruxelles : accord trouvé au sommet", ["Paul Durand"], [], "st-1"),
    (2, "Ouest-France", "Les Vingt-Sept s'accordent", [], ["AFP"], "st-1"),
    (2, HOSTILE_SOURCE, HOSTILE_TITLE, [HOSTILE_AUTHOR], ["Reuters"], "st-2"),
    (3, "Le Monde", "Réponse de Moscou après le sommet", ["Claire Martin"], [], "st-2"),
    (3, "Libération", "Moscou répond", ["Claire Martin", "Paul Durand"], ["AFP", "Reuters"], "st-2"),
    (5, "Le Figaro", "Un autre sujet", ["Paul Durand"], [], "st-3"),
    (8, "Le Monde", "Analyse de la semaine", [], [], None),
    (400, "Le Monde", "Un article d'il y a longtemps", ["Claire Martin"], ["AFP"], None),
]


def fill(path: Path) -> Store:
    """Articles over several days written by the Store as a run writes them,
    a duplicate and rejects; then authors, wire credits and stories set by SQL
    (what the extraction and the story assignment would find is theirs to test)."""
    vocabulary = " ".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")).split()
    store = Store(path)
    store.begin_run("run1", None)
    articles = []
    for i, (days_ago, source, title, *_) in enumerate(ARTICLES):
        published = datetime.combine(TODAY - timedelta(days=days_ago), time(8 + i), tzinfo=UTC)
        url = f"https://site{i}.example/article-{i}"
        articles.append(candidate(_text(i, vocabulary), url, title, published, source, None))
    copy = candidate(_text(0, vocabulary), "https://copie.example/reprise", "Reprise", None, None, None)
    rejects = [
        Rejected("https://x.example/en", RejectReason.LANGUAGE, "en (p=0.99)", None),
        Rejected("https://x.example/off", RejectReason.OFF_TOPIC, "score 1.0", None),
        Rejected("https://x.example/off2", RejectReason.OFF_TOPIC, "score 2.0", None),
    ]
    report = store.write_batch("run1", [*articles, copy, *rejects])
    assert (len(report.stored), len(report.duplicates), len(report.rejected)) == (len(ARTICLES), 1, 3)
    store.finish_run("run1", "completed", {"stored": len(ARTICLES), "duplicates": 1, "rejected": 3})
    with store.connect() as con:
        con.execute("UPDATE articles SET story_id = NULL")
        con.execute("DELETE FROM stories")
        for i, (*_, authors, agencies, story) in enumerate(ARTICLES):
            con.execute(
                "UPDATE articles SET authors = ?, wire_agencies = ?, story_id = ? WHERE url = ?",
                [authors, agencies, story, f"https://site{i}.example/article-{i}"],
            )
        con.execute(
            "INSERT INTO stories (story_id, title, first_published_at, last_published_at, article_count, "
            "source_count, first_article_id, first_source, created_at, updated_at) "
            "SELECT story_id, arg_min(title, published_at), min(published_at), max(published_at), count(*), "
            "count(DISTINCT source), arg_min(article_id, published_at), arg_min(source, published_at), "
            "now(), now() FROM articles WHERE story_id IS NOT NULL GROUP BY story_id"
        )
    return store


@pytest.fixture
def filled(db_path: Path) -> Path:
    fill(db_path)
    return db_path


def report(db: Path, out: Path, *args: str):
    result = runner.invoke(app, ["report", "--db", str(db), "--out", str(out), *args])
    return result


def chromium_dom(page: Path, tmp_path: Path) -> lxml_html.HtmlElement:
    """The page's DOM once headless Chromium has run its scripts."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's package before the tests")
        pytest.skip("no chromium on this machine (apt-get install chromium): the charts are not checked")
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={tmp_path / 'chromium-profile'}", "--virtual-time-budget=10000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0 and "</html>" in result.stdout, result.stderr[-2000:]
    return lxml_html.fromstring(result.stdout)


def classed(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def test_every_chart_is_drawn_in_chromium(filled: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = report(filled, page)
    assert result.exit_code == 0, result.output
    size = page.stat().st_size
    assert result.stdout.strip() == (
        f"veille: report of {len(ARTICLES)} articles, {len(CHARTS)} charts, written to {page} "
        f"({size / 1e6:.1f} MB)"
    )
    dom = chromium_dom(page, tmp_path)
    for chart in CHARTS:
        (div,) = dom.xpath(f"//div[@id='{chart}']")
        assert div.xpath(f".//*[local-name()='svg' and {classed('main-svg')}]"), f"{chart}: not drawn"
        bars = div.xpath(f".//*[local-name()='g' and {classed('trace')} and {classed('bars')}]"
                         "//*[local-name()='path']/@d")  # fmt: skip
        assert any(re.search(r"[VH]", d) for d in bars), f"{chart}: no bar drawn"
    assert [s.get("id") for s in dom.xpath("//section")] == [
        "coverage", "stories", "wires", "authors", "outcomes"
    ]  # fmt: skip
    assert not dom.xpath("//*[@class='unavailable']")
    # figures the page states, as the views answer them
    cards = [" ".join(c.xpath("string(div[1])").split() + c.xpath("string(div[2])").split())
             for c in dom.xpath(f"//div[{classed('card')}]")]  # fmt: skip
    assert cards == ["9 articles", "5 sources", "2 stories in several outlets", "56% wire share",
                     "3 authors", "1 duplicates", "3 rejected inputs"]  # fmt: skip
    (stories,) = dom.xpath("//section[@id='stories']//table")
    largest = [[" ".join(" ".join(td.itertext()).split()) for td in tr.xpath("td")]
               for tr in stories.xpath(".//tbody/tr")]  # fmt: skip
    assert largest == [  # as many articles and outlets: the first published first
        ["1", "Réponse de Moscou après le sommet", f"Le Monde {TODAY - timedelta(days=3)}", "3",
         f"{HOSTILE_SOURCE}, Le Monde, Libération", "67% (AFP, Reuters)"],
        ["2", "Les Vingt-Sept s'accordent", f"Ouest-France {TODAY - timedelta(days=2)}", "3",
         "Le Figaro, Le Monde, Ouest-France", "67% (AFP)"],
    ]  # fmt: skip
    assert stories.xpath(".//a/@href") == [
        "https://site4.example/article-4",
        "https://site2.example/article-2",
    ]


def test_the_page_asks_for_nothing_over_the_network(filled: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert report(filled, page).exit_code == 0
    raw = page.read_text(encoding="utf-8")
    tree = lxml_html.fromstring(raw)
    assert not tree.xpath("//*[@src] | //link | //iframe | //object | //embed | //img")
    urls = {f"https://site{i}.example/article-{i}" for i in range(len(ARTICLES))}
    hrefs = tree.xpath("//@href")
    assert hrefs and all(h.startswith("#") or h in urls for h in hrefs), hrefs
    (csp,) = tree.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert "default-src 'none'" in csp and "connect-src" not in csp
    assert len(tree.xpath("//script")) == 1 + len(CHARTS)  # plotly.js once, one per chart
    # and once drawn: plotly added no link or image that reaches out
    dom = chromium_dom(page, tmp_path)
    drawn = dom.xpath("//@href | //@src | //@*[local-name()='href']")
    assert all(h.startswith(("#", "data:")) or h in urls for h in drawn), sorted(set(drawn))[:10]


def test_hostile_text_is_shown_as_text(filled: Path, tmp_path: Path) -> None:
    from plotly.offline import get_plotlyjs

    page = tmp_path / "[bold]report.html"
    hostile_story(filled)
    result = report(filled, page)
    assert result.exit_code == 0, result.output
    assert f"written to {page} (" in result.stdout  # Rich markup in the path printed as it is
    raw = page.read_text(encoding="utf-8").replace(get_plotlyjs(), "")
    for hostile in ("<script>alert", "<b>Source", "<img src=x", "javascript:"):
        assert hostile not in raw, hostile
    dom = chromium_dom(page, tmp_path)
    texts = [" ".join(t.text_content().split()) for t in dom.xpath("//td")]
    assert " ".join(HOSTILE_TITLE.split()) in texts
    assert " ".join(HOSTILE_AUTHOR.split()) in texts
    assert not dom.xpath("//td//script | //td//img | //td//b | //a[starts-with(@href, 'javascript')]")
    # in the charts, plotly drew the text literally, no tag taken from the data
    labels = [t.text_content() for t in dom.xpath("//*[local-name()='text']")]
    assert any(HOSTILE_SOURCE in label for label in labels)
    assert any(HOSTILE_AUTHOR[:40] in label for label in labels)
    assert not dom.xpath("//*[local-name()='svg']//*[local-name()='a' or local-name()='img']")


def hostile_story(db: Path) -> None:
    """The story of the hostile article, titled and published by it, at a URL that is no web page."""
    with Store(db).connect() as con:
        con.execute("UPDATE articles SET url = 'javascript:alert(1)' WHERE title = ?", [HOSTILE_TITLE])
        con.execute(
            "UPDATE stories SET title = ?, first_source = ?, first_article_id = "
            "(SELECT article_id FROM articles WHERE title = ?) WHERE story_id = 'st-2'",
            [HOSTILE_TITLE, HOSTILE_SOURCE, HOSTILE_TITLE],
        )


def test_chart_labels_keep_plotly_from_reading_tags() -> None:
    assert plot_text("<b>x</b> & <br>") == "&lt;b&gt;x&lt;/b&gt; &amp; &lt;br&gt;"
    assert plot_text("mot " * 30, 12) == "mot mot mot…"


def test_days_keeps_the_last_days(filled: Path, tmp_path: Path) -> None:
    result = report(filled, tmp_path / "week.html", "--days", "7")
    assert result.exit_code == 0, result.output
    assert "report of 7 articles" in result.stdout  # 8 and 400 days ago are left out
    page = (tmp_path / "week.html").read_text(encoding="utf-8")
    assert f"publication days from {TODAY - timedelta(days=6)} to {TODAY}" in page


def test_an_empty_database_gives_a_page_of_no_data_notes(db_path: Path, tmp_path: Path) -> None:
    Store(db_path).ensure()
    page = tmp_path / "empty.html"
    result = report(db_path, page)
    assert result.exit_code == 0, result.output
    assert "report of 0 articles, 0 charts" in result.stdout
    tree = lxml_html.fromstring(page.read_text(encoding="utf-8"))
    assert not tree.xpath("//script")  # no chart, no plotly.js
    for section in ("coverage", "stories", "wires", "authors", "outcomes"):
        assert tree.xpath(f"//section[@id='{section}']//p[@class='empty']"), section


def test_an_older_schema_is_read_as_it_is(db_path: Path, tmp_path: Path) -> None:
    at_schema_version(db_path, 6).close()
    page = tmp_path / "old.html"
    result = report(db_path, page)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("unavailable at this schema: stories, wire agencies, authors")
    tree = lxml_html.fromstring(page.read_text(encoding="utf-8"))
    unavailable = tree.xpath("//section[p[@class='unavailable']]/@id")
    assert unavailable == ["stories", "wires", "authors"]
    assert "schema version 6" in tree.xpath("//section[@id='stories']")[0].text_content()
    with duckdb.connect(str(db_path), read_only=True) as con:  # a read never migrates
        assert con.execute("SELECT max(version) FROM schema_version").fetchone() == (6,)
    at_schema_version(tmp_path / "v3.duckdb", 3).close()
    result = report(tmp_path / "v3.duckdb", page)
    assert result.exit_code == 0, result.output
    assert "unavailable at this schema: coverage, stories, wire agencies, authors, rejects" in result.stdout


def test_exit_codes(filled: Path, tmp_path: Path) -> None:
    missing = report(tmp_path / "none.duckdb", tmp_path / "r.html")
    assert missing.exit_code == 1 and "no database at" in missing.stderr
    assert report(filled, tmp_path / "r.html", "--days", "0").exit_code == 2
    folder = report(filled, tmp_path)
    assert folder.exit_code == 2 and "is a folder" in folder.stderr
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    unwritable = report(filled, blocker / "r.html")
    assert unwritable.exit_code == 1 and "cannot write" in unwritable.stderr
    not_veille = tmp_path / "other.duckdb"
    duckdb.connect(str(not_veille)).close()
    other = report(not_veille, tmp_path / "r.html")
    assert other.exit_code == 1 and "not a Veille database" in other.stderr
    assert not list(tmp_path.glob(".*.tmp-*"))  # nothing left half-written


def test_a_busy_database_is_reported_from_its_snapshot(filled: Path, tmp_path: Path) -> None:
    Store(filled).publish_snapshot()
    with held_by_another_process(filled):
        result = report(filled, tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    assert "reading the snapshot" in result.stderr
    assert f"report of {len(ARTICLES)} articles" in result.stdout
    snapshot_only = report(tmp_path / "none.duckdb", tmp_path / "r.html", "--snapshot")
    assert snapshot_only.exit_code == 1 and "snapshot" in snapshot_only.stderr


def test_the_run_summary_has_the_runs_stories_and_wire_share(filled: Path) -> None:
    from flows.ingest import summary_markdown
    from flows.summary import RunTally

    hostile_story(filled)
    figures = run_figures(Store(filled), "run1")
    assert figures is not None
    assert (figures.articles, figures.checked, figures.wire) == (len(ARTICLES), len(ARTICLES), 5)
    assert figures.agencies == {"AFP": 4, "Reuters": 2}
    assert [(s.article_count, s.source_count) for s in figures.stories] == [(3, 3), (3, 3)]
    markdown = summary_markdown("run1", RunTally(stored=len(ARTICLES)), figures)
    assert "## Stories and wires" in markdown
    assert (
        "Wire credits: 5 of this run's 9 new articles (56%) credit an agency (AFP 4, Reuters 2)." in markdown
    )
    assert "&#60;script&#62;" in markdown and "<script>" not in markdown  # the hostile title, as text
    assert "`veille report --out report.html`" in markdown
    assert (
        "| [Les Vingt-Sept s'accordent](https://site2.example/article-2) | Ouest-France | 3 | 3 | 3 |"
        in markdown
    )
    assert run_figures(Store(filled), "no-such-run").stories == []


@pytest.mark.usefixtures("prefect_harness")
def test_a_report_of_the_seeds_ingested_by_the_flow(db_path: Path, tmp_path: Path) -> None:
    ingested = runner.invoke(app, ["ingest", "seeds", "--db", str(db_path), "--workers", "1"])
    assert ingested.exit_code == 0, ingested.output
    result = report(db_path, tmp_path / "seeds.html")
    assert result.exit_code == 0, result.output
    assert "report of 5 articles" in result.stdout and "unavailable" not in result.stdout
    (run_id,) = Store(db_path).query("SELECT run_id FROM runs")[1][0]
    figures = run_figures(Store(db_path), run_id)
    assert figures is not None and (figures.articles, figures.checked) == (5, 5)  # credits looked for
