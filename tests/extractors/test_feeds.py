"""Feeds and sitemaps: ordinary documents, hostile ones, and feedparser's own oddities."""

from __future__ import annotations

import gzip
import re
import socket
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from extractors.core.records import Entry
from extractors.core.urls import canonical, key
from extractors.sources.feeds import (
    GUID_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    NotAFeed,
    ParsedFeed,
    neutralise_doctype,
    parse_feed,
    parse_sitemap,
)
from tests.support.paths import FEED_CORPUS
from tests.support.server import LocalServer

CORPUS = FEED_CORPUS
FEED_URL = "https://www.lemonde.fr/planete/rss_full.xml"


def rss(items: str, channel_title: str = "Le Monde - Planète", prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}'
        f'<rss version="2.0"><channel><title>{channel_title}</title>'
        f"<link>https://www.lemonde.fr/planete/</link>{items}</channel></rss>"
    ).encode()


def item(link: str | None = None, title: str = "Titre", guid: str | None = None) -> str:
    parts = [f"<title>{title}</title>"]
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    return "<item>" + "".join(parts) + "</item>"


def everything(feed: ParsedFeed) -> str:
    return repr(feed)


class Bounded:
    """CPU time (not wall time: other processes may share the machine) and Python heap
    peak of the block."""

    def __enter__(self) -> Bounded:
        tracemalloc.start()
        self.started = time.process_time()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.seconds = time.process_time() - self.started
        self.peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every outgoing TCP connection attempt made during the test (there should be none)."""
    dialled: list[tuple] = []

    def refuse(address, *args, **kwargs):
        dialled.append(address)
        raise OSError("no connections from the feed parser")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return dialled


# Ordinary feeds


def test_rss_2():
    data = rss(
        "<item><title>La sécheresse s’aggrave</title>"
        "<link>https://www.lemonde.fr/planete/article/2024/03/01/secheresse.html?utm_source=rss"
        "</link><guid isPermaLink='false'>lm-1</guid>"
        "<pubDate>Fri, 01 Mar 2024 10:00:00 +0100</pubDate>"
        "<description>&lt;p&gt;Les nappes &lt;b&gt;baissent&lt;/b&gt;&lt;/p&gt;</description>"
        "</item>"
        "<item><title>Lien relatif</title><link>/planete/article/relatif.html</link></item>"
    )
    feed = parse_feed(data, FEED_URL)
    assert feed.title == "Le Monde - Planète"
    assert feed.bozo is None
    assert (feed.total_entries, feed.dropped, feed.duplicates) == (2, 0, 0)
    first, second = feed.entries
    assert first == Entry(
        url="https://www.lemonde.fr/planete/article/2024/03/01/secheresse.html",
        guid="lm-1",
        title="La sécheresse s’aggrave",
        published="Fri, 01 Mar 2024 10:00:00 +0100",
        summary="<p>Les nappes <b>baissent</b></p>",
    )
    assert second.url == "https://www.lemonde.fr/planete/article/relatif.html"
    assert second.published is None


def test_atom():
    data = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Lib\xc3\xa9ration</title>
  <entry>
    <title>Budget : le gouvernement recule</title>
    <link rel="enclosure" href="https://cdn.liberation.fr/photo.jpg"/>
    <link rel="alternate" type="text/html" href="https://www.liberation.fr/politique/budget/"/>
    <id>tag:liberation.fr,2024:budget</id>
    <updated>2024-03-01T09:00:00Z</updated>
    <summary>R\xc3\xa9sum\xc3\xa9</summary>
  </entry>
  <entry>
    <title>Sans lien</title>
    <id>tag:liberation.fr,2024:orphan</id>
  </entry>
</feed>"""
    feed = parse_feed(data, "https://www.liberation.fr/arc/outboundfeeds/rss/")
    assert feed.title == "Libération"
    assert (feed.total_entries, feed.dropped) == (2, 1)
    (entry,) = feed.entries
    assert entry.url == "https://www.liberation.fr/politique/budget/"
    assert entry.guid == "tag:liberation.fr,2024:budget"
    assert entry.published == "2024-03-01T09:00:00Z"
    assert entry.summary == "Résumé"


def test_empty_feed_is_a_feed():
    feed = parse_feed(rss(""), FEED_URL)
    assert (feed.entries, feed.total_entries) == ((), 0)


def test_malformed_but_usable_feed_has_a_warning():
    data = rss(item("https://a.fr/1", title="Tom & Jerry") + item("https://a.fr/2"))
    feed = parse_feed(data, FEED_URL)
    assert feed.bozo and "\n" not in feed.bozo
    assert [e.url for e in feed.entries] == ["https://a.fr/1", "https://a.fr/2"]


def test_feed_served_as_html_still_parses():
    feed = parse_feed(rss(item("https://a.fr/1")), FEED_URL, content_type="text/html")
    assert [e.url for e in feed.entries] == ["https://a.fr/1"]


# Not feeds


@pytest.mark.parametrize(
    ("data", "seen"),
    [
        (
            b"<!DOCTYPE html><html><head><title>Le Monde</title></head><body><p>Accueil</p></body></html>",
            "HTML",
        ),  # fmt: skip
        (b"", "empty"),
        (b"   \n", "empty"),
        (b'{"items": []}', "JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "no RSS"),
    ],
)
def test_not_a_feed(data: bytes, seen: str):
    with pytest.raises(NotAFeed, match=seen):
        parse_feed(data, FEED_URL)


SECRET = "SECRET-TOKEN-4f2a"


@pytest.mark.parametrize(
    ("body", "content_type", "seen"),
    [
        (f"<html><head><title>{SECRET}</title></head><body>x</body></html>", "text/html", "HTML"),
        (f"{SECRET} is not a feed", "text/plain", "no element"),
        (f"<?xml version='1.0'?><error><message>{SECRET}</message></error>", "application/xml",
         "first element <error>"),
        (f'{{"error": "{SECRET}"}}', "application/json", "JSON"),
        (f"<{SECRET}\u00e9 a='{SECRET}'>", None, "no element"),  # not a plain XML name
    ],
)  # fmt: skip
def test_not_a_feed_is_described_without_quoting_the_body(body: str, content_type: str, seen: str):
    data = body.encode()
    with pytest.raises(NotAFeed) as caught:
        parse_feed(data, FEED_URL, content_type=content_type)
    message = str(caught.value)
    assert SECRET.lower() not in message.lower()
    assert seen in message and f"{len(data)} bytes of {content_type or 'application/xml'}" in message


def test_feed_warnings_do_not_quote_the_body():
    data = rss(item("https://a.fr/1")).replace(b'encoding="UTF-8"', f'encoding="{SECRET}"'.encode())
    feed = parse_feed(data, FEED_URL)
    assert [e.url for e in feed.entries] == ["https://a.fr/1"]
    assert feed.bozo and "CharacterEncodingOverride" in feed.bozo
    assert SECRET.lower() not in feed.bozo.lower()


@pytest.mark.parametrize(
    "body",
    [
        f"<html><body>{SECRET}</body></html>",
        f"{SECRET} garbage",
        f"<?xml version='1.0'?><error>{SECRET}</error>",
        f"<{SECRET}\u00e9/>",
    ],
)
def test_not_a_sitemap_is_described_without_quoting_the_body(body: str):
    with pytest.raises(NotAFeed) as caught:
        parse_sitemap(body.encode(), "https://e.fr/sitemap.xml")
    assert SECRET.lower() not in str(caught.value).lower()


def test_a_path_is_data_not_a_file_to_open(tmp_path: Path):
    # A real feed behind the path: had the parser opened it, this would parse.
    path = tmp_path / "feed.xml"
    path.write_bytes(rss(item("https://a.fr/from-the-file", title="FROM-THE-FILE")))
    assert parse_feed(path.read_bytes(), FEED_URL).entries  # the file itself is a feed
    with pytest.raises(NotAFeed, match=r"no element"):
        parse_feed(str(path).encode(), FEED_URL)


# Entity attacks


LAUGHS = "".join(
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
)  # lol9 expands to 10**9 "lol"s


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss [\n <!ENTITY lol0 "lol">\n' + LAUGHS.replace("><", ">\n<") + "\n]>\n",
        '<!DOCTYPE rss [<!ENTITY lol0 "lol">' + LAUGHS + "]>",  # one line: no regex shortcut
    ],
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_billion_laughs_is_not_expanded(doctype: str, encoding: str, no_connections: list):
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n{doctype}'
        '<rss version="2.0"><channel><title>&lol9;</title>'
        "<item><title>&lol9;</title><link>https://a.fr/1</link>"
        "<description>&lol9;</description></item></channel></rss>"
    )
    with Bounded() as bounds:
        feed = parse_feed(text.encode(encoding), FEED_URL)
    assert bounds.seconds < 2 and bounds.peak_mb < 50
    assert "lollol" not in everything(feed)
    assert [e.url for e in feed.entries] == ["https://a.fr/1"]
    assert feed.bozo and "entity declarations removed" in feed.bozo
    assert no_connections == []


def test_quadratic_blowup_is_not_expanded():
    # feedparser keeps an entity whose value has no "&" as "safe", and its fallback
    # parser expands it: this 100 KB document gives a 100 MB title (4 s, 400 MB RSS).
    doctype = '<!DOCTYPE rss [\n<!ENTITY a "' + "a" * 50_000 + '">\n]>\n'
    data = rss(item("https://a.fr/1", title="&a;" * 2_000), prolog=doctype)
    with Bounded() as bounds:
        feed = parse_feed(data, FEED_URL)
    assert bounds.seconds < 2 and bounds.peak_mb < 50
    assert "aaaa" not in (feed.entries[0].title or "")


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        "<!DOCTYPE rss [<!ENTITY xxe SYSTEM 'file:///etc/passwd' >]>",
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "http://127.0.0.1:1/x">]>',
        '<!DOCTYPE rss [<!ENTITY % dtd SYSTEM "http://127.0.0.1:1/evil.dtd"> %dtd;]>',
        '<!DOCTYPE rss SYSTEM "http://127.0.0.1:1/rss.dtd">',
        '<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "http://127.0.0.1:1/rss.dtd">',
    ],
)
def test_external_entities_are_never_read(doctype: str, no_connections: list):
    data = rss(
        item("https://a.fr/1", title="&xxe;") + "<item><link>https://a.fr/2</link>"
        "<description>avant &xxe; après</description></item>",
        channel_title="&xxe;",
        prolog=doctype,
    )
    with Bounded() as bounds:
        feed = parse_feed(data, FEED_URL)
    assert bounds.seconds < 2
    assert "root:" not in everything(feed)
    assert [e.url for e in feed.entries] == ["https://a.fr/1", "https://a.fr/2"]
    assert no_connections == []


def test_external_entity_pointing_at_a_live_server_is_not_requested(local_server: LocalServer):
    local_server.route("/x", b"SECRET-FROM-THE-INTRANET")
    local_server.route("/evil.dtd", b'<!ENTITY xxe "SECRET-FROM-THE-DTD">')
    for doctype in (
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{local_server.url("/x")}">]>',
        f'<!DOCTYPE rss SYSTEM "{local_server.url("/evil.dtd")}">',
    ):
        feed = parse_feed(rss(item("https://a.fr/1", title="&xxe;"), prolog=doctype), FEED_URL)
        assert "SECRET" not in everything(feed)
    assert local_server.requests == []


def test_neutralise_keeps_the_document_after_a_doctype():
    data = (
        b'<?xml version="1.0"?>\n<!-- c -->\n<!DOCTYPE rss [\n<!ENTITY x "a > b [c] \'d\'">\n'
        b'<!-- ] > -->\n]>\n<rss version="2.0"><channel><title>&lt;!DOCTYPE&gt;</title>'
        b"</channel></rss>"
    )
    cleaned, had_entities = neutralise_doctype(data)
    assert had_entities
    assert cleaned == (
        b'<?xml version="1.0"?>\n<!-- c -->\n\n<rss version="2.0"><channel>'
        b"<title>&lt;!DOCTYPE&gt;</title></channel></rss>"
    )
    assert neutralise_doctype(cleaned) == (cleaned, False)
    netscape = (
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"\n'
        b'  "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"/>'
    )
    assert neutralise_doctype(netscape) == (b'\n<rss version="0.91"/>', False)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_neutralise_sees_through_wide_encodings(encoding: str):
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?><!DOCTYPE rss [<!ENTITY e "é">]>'
        '<rss version="2.0"><channel><title>Été</title></channel></rss>'
    )
    cleaned, had_entities = neutralise_doctype(text.encode(encoding))
    assert had_entities
    assert cleaned.decode("utf-8") == (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Été</title></channel></rss>'
    )
    assert parse_feed(text.encode(encoding), FEED_URL).title == "Été"


# Entries: links, duplicates, caps


def test_duplicates_collapse_to_one_entry():
    data = rss(
        item("https://www.example.fr/a?utm_source=rss&amp;utm_medium=feed", guid="g1")
        + item("http://example.fr/a", guid="g2")
        + item("https://example.fr/a/", title="Même article")
        + item("https://example.fr/b", guid="g1")  # same GUID, other link
        + item("https://example.fr/c", guid="g3")
    )
    feed = parse_feed(data, FEED_URL)
    assert [(e.url, e.guid) for e in feed.entries] == [
        ("https://www.example.fr/a", "g1"),
        ("https://example.fr/c", "g3"),
    ]
    assert (feed.total_entries, feed.duplicates, feed.dropped) == (5, 3, 0)


def test_links_that_are_not_http_are_dropped():
    data = rss(
        item("javascript:alert(1)")
        + item("  JaVaScRiPt:alert(document.cookie)")
        + item("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==")
        + item("mailto:redaction@example.fr")
        + item("file:///etc/passwd")
        + item(None)
        + item("https://example.fr/ok")
    )
    feed = parse_feed(data, "https://example.fr/rss")
    assert [e.url for e in feed.entries] == ["https://example.fr/ok"]
    assert (feed.total_entries, feed.dropped) == (7, 6)


def test_entries_are_capped_but_counted():
    items = "".join(f"<item><link>https://e.fr/{i}</link></item>" for i in range(50_000))
    started = time.process_time()
    feed = parse_feed(rss(items), FEED_URL, max_entries=100)
    assert time.process_time() - started < 20
    assert feed.total_entries == 50_000
    assert len(feed.entries) == 100
    assert feed.entries[-1].url == "https://e.fr/99"


def test_nul_bytes_and_a_huge_title_are_cleaned_and_capped():
    title = "Ti\x00tre\x01 " + "x" * 2_000_000
    data = rss(item("https://a.fr/1", title=title), channel_title="Le\x00 Monde")
    started = time.process_time()
    feed = parse_feed(data, FEED_URL)
    assert time.process_time() - started < 10
    (entry,) = feed.entries
    assert entry.title is not None and len(entry.title) <= 1000
    assert entry.title.startswith("Titre x")
    assert "\x00" not in everything(feed)
    assert feed.title == "Le Monde"


def test_oversized_document_is_cut_with_a_warning():
    items = "".join(item(f"https://e.fr/{i}") for i in range(1000))
    feed = parse_feed(rss(items), FEED_URL, max_bytes=10_000)
    assert feed.bozo and "cut" in feed.bozo
    assert 0 < len(feed.entries) < 1000


# feedparser's own test suite: odd, ill-formed, hostile


def _corpus() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.txt")


def _declared_content_type(data: bytes) -> str | None:
    match = re.search(rb"Header:\s*Content-type:\s*([^\r\n]+?)\s*(?:-->|\r|\n)", data, re.I)
    return match.group(1).decode("ascii", "replace") if match else None


def _expectation(data: bytes) -> str | None:
    """The file's `Expect:` line: feedparser's own oracle for it (README.txt)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = data[:2000].decode("utf-16", "replace")
    elif data.startswith(b"\x00\x00\x00<"):
        head = data[:4000].decode("utf-32-be", "replace")
    else:
        head = data[:4000].decode("latin-1")
    match = re.search(r"Expect:\s*(.+?)\s*$", head, re.M)
    return match.group(1) if match else None


def _relative(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


# What a file's `Expect:` line says, in ParsedFeed's terms: the feed title, the
# entries' links (canonical, as parse_feed stores them) and GUIDs. Most entries of
# these files have no link and are dropped, so what they expect of an entry's
# content cannot be checked here.
CORPUS_EXPECTED: dict[str, dict[str, object]] = {
    "encoding/euc-kr.xml": {"title": "\ub144"},
    "entities/doesnotexist.xml": {"title": "testing &doesnotexist; entity"},
    "entities/rlm.xml": {"title": "testing \u200f entity"},
    "entities/zwj.xml": {"title": "testing \u200d entity"},
    "illformed/always_strip_doctype.xml": {"title": "found"},
    "wellformed/atom10/feed_title_base64.xml": {"title": "Example <b>Atom</b>"},
    "wellformed/atom10/feed_title_base64_2.xml": {"title": "<p>History of the &lt;blink&gt; tag</p>"},
    "wellformed/sanitize/feed_title_unacceptable_uri.xml": {"title": '<a href="">safe</a>'},
    "wellformed/sanitize/xml_declaration_unexpected_character.xml": {"title": "&lt;!DOCTYPE ~"},
    "wellformed/sanitize/xml_malicious_comment.xml": {"title": "safe"},
    "wellformed/sanitize/xml_unclosed_comment.xml": {"title": "safe"},
    "wellformed/xml/escaped_apos.xml": {"title": "it&apos;s correct"},
    "entities/query_variable_entry.xml": {"urls": [canonical("http://example/?a=1&b=2&c")]},
    "illformed/rss_item_link_corrupted_ampersands.xml": {"urls": ["http://link/get?a=1&b=2"]},
    "wellformed/rss/item_guid.xml": {"guids": ["http://guid.example.com/"]},
    # no Expect beyond "not bozo": its 15 entries, each with a link and a title
    "wellformed/sanitize/large_atom_feed_that_needs_css_sanitisation.xml": {"entries": 15},
}
NOT_FEEDS = {"illformed/rss_empty_document.xml"}  # feedparser: bozo; here: refused
# Well-formed for feedparser, which expands their entity declarations; here they
# are removed, and the warning says so (see test_billion_laughs_is_not_expanded).
ENTITIES_REMOVED = {"wellformed/rdf/doctype_contains_entity_decl.xml", "wellformed/rss/entity_in_doctype.xml"}
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(value: str | None, limit: int) -> bool:
    return value is None or (
        0 < len(value) <= limit and value == value.strip() and not _CONTROL_CHARS.search(value)
    )


@pytest.mark.parametrize("path", _corpus() or [None], ids=lambda p: p and _relative(p) or "absent")
def test_feedparser_corpus_gives_what_feedparser_expects(path: Path | None):
    if path is None:
        pytest.skip(f"{CORPUS} is absent")
    name, data = _relative(path), path.read_bytes()
    expect = _expectation(data) or ""
    if name in NOT_FEEDS:
        with pytest.raises(NotAFeed, match="expected RSS or Atom"):
            parse_feed(data, "http://example.org/feed", content_type=_declared_content_type(data))
        return
    feed = parse_feed(data, "http://example.org/feed", content_type=_declared_content_type(data))
    # feedparser's verdict on the document, and ours
    if expect.startswith("bozo"):
        assert feed.bozo, expect
    elif expect.startswith("not bozo") and name not in ENTITIES_REMOVED:
        assert feed.bozo is None, expect
    if name in ENTITIES_REMOVED:
        assert feed.bozo and "entity declarations removed" in feed.bozo
    if "CharacterEncodingOverride" in expect:
        assert feed.bozo and feed.bozo.startswith("CharacterEncodingOverride")
    expected = CORPUS_EXPECTED.get(name, {})
    if "title" in expected:
        assert feed.title == expected["title"], expect
    if "urls" in expected:
        assert [e.url for e in feed.entries] == expected["urls"], expect
    if "guids" in expected:
        assert [e.guid for e in feed.entries] == expected["guids"], expect
    if "entries" in expected:
        assert len(feed.entries) == expected["entries"] and all(e.title for e in feed.entries)
    # What any parsed feed gives: every entry counted once, absolute canonical
    # http(s) links without repeats, text without control characters, within caps.
    assert feed.total_entries == len(feed.entries) + feed.dropped + feed.duplicates
    assert feed.bozo is None or (feed.bozo and "\n" not in feed.bozo and not _CONTROL_CHARS.search(feed.bozo))
    assert _clean_text(feed.title, TITLE_MAX)
    for entry in feed.entries:
        parts = urlsplit(entry.url)
        assert parts.scheme in ("http", "https") and parts.hostname, entry.url
        assert entry.url == canonical(entry.url) and not re.search(r"\s", entry.url)
        assert _clean_text(entry.title, TITLE_MAX) and _clean_text(entry.summary, SUMMARY_MAX)
        assert _clean_text(entry.guid, GUID_MAX) and _clean_text(entry.published, 200)
    assert len({key(e.url) for e in feed.entries}) == len(feed.entries)
    guids = [e.guid for e in feed.entries if e.guid is not None]
    assert len(set(guids)) == len(guids)


def test_corpus_is_complete():
    """The corpus and its oracles are all there: a file lost, or an `Expect:` line
    no longer read, would otherwise quietly check less."""
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent")
    files = {_relative(p): _expectation(p.read_bytes()) for p in _corpus()}
    assert len(files) == 68
    assert set(CORPUS_EXPECTED) | NOT_FEEDS | ENTITIES_REMOVED <= set(files)
    verdicts = [(e or "").split(" ", 1)[0] for e in files.values()]
    assert (verdicts.count("bozo"), verdicts.count("not")) == (16, 41)


# Sitemaps


NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://www.francetvinfo.fr/politique/budget.html</loc>
    <news:news>
      <news:publication><news:name>franceinfo</news:name><news:language>fr</news:language>
      </news:publication>
      <news:publication_date>2024-03-01T08:30:00+01:00</news:publication_date>
      <news:title>Budget : ce qu'il faut retenir</news:title>
    </news:news>
  </url>
  <url><loc>https://www.francetvinfo.fr/politique/budget.html?utm_source=sitemap</loc></url>
  <url><loc>javascript:alert(1)</loc></url>
  <url><loc>https://www.francetvinfo.fr/sante/</loc><lastmod>2024-03-01</lastmod></url>
</urlset>"""


def test_news_sitemap():
    entries, nested = parse_sitemap(NEWS_SITEMAP, "https://www.francetvinfo.fr/sitemap-news.xml")
    assert nested == []
    assert entries == [
        Entry(
            url="https://www.francetvinfo.fr/politique/budget.html",
            guid=None,
            title="Budget : ce qu'il faut retenir",
            published="2024-03-01T08:30:00+01:00",
            summary=None,
        ),
        Entry(url="https://www.francetvinfo.fr/sante/"),
    ]


def test_sitemap_index():
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://www.lemonde.fr/sitemap_news.xml</loc></sitemap>
  <sitemap><loc>/sitemap_2024-03.xml</loc><lastmod>2024-03-01</lastmod></sitemap>
  <sitemap><loc>file:///etc/passwd</loc></sitemap>
</sitemapindex>"""
    entries, nested = parse_sitemap(data, "https://www.lemonde.fr/sitemap_index.xml")
    assert entries == []
    assert nested == [
        "https://www.lemonde.fr/sitemap_news.xml",
        "https://www.lemonde.fr/sitemap_2024-03.xml",
    ]


def test_gzipped_sitemap():
    entries, _ = parse_sitemap(gzip.compress(NEWS_SITEMAP), "https://f.fr/sitemap.xml.gz")
    assert len(entries) == 2


def test_sitemap_capped():
    urls = "".join(f"<url><loc>https://e.fr/{i}</loc></url>" for i in range(100))
    data = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    entries, _ = parse_sitemap(data.encode(), "https://e.fr/sitemap.xml", max_entries=10)
    assert [e.url for e in entries] == [f"https://e.fr/{i}" for i in range(10)]


@pytest.mark.parametrize(
    "data", [b"<html><body>Not found</body></html>", b"", b"garbage", b"<rss version='2.0'/>"]
)
def test_not_a_sitemap(data: bytes):
    with pytest.raises(NotAFeed):
        parse_sitemap(data, "https://e.fr/sitemap.xml")


def test_sitemap_entities_are_not_expanded(no_connections: list):
    data = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        b'<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://e.fr/&xxe;&lol2;</loc></url><url><loc>https://e.fr/ok</loc></url>"
        b"</urlset>"
    )
    entries, _ = parse_sitemap(data, "https://e.fr/sitemap.xml")
    assert "root" not in repr(entries) and "lollol" not in repr(entries)
    assert entries[-1].url == "https://e.fr/ok"
    assert no_connections == []


def test_gzip_bomb_sitemap_is_refused():
    bomb = gzip.compress(b"\x00" * 60_000_000, compresslevel=1)
    with pytest.raises(NotAFeed, match="inflates"):
        parse_sitemap(bomb, "https://e.fr/sitemap.xml.gz", max_bytes=1_000_000)


def test_a_stray_byte_order_mark_is_not_kept_in_fields_or_links():
    """U+FEFF inside a field (files joined by a CMS) is a control character like the
    others (extractors.core.textnorm.CONTROL): the title is "Titre", the link https://a.fr/1."""
    data = rss(item("\ufeffhttps://a.fr/1", title="\ufeffTitre"), channel_title="Le Monde\ufeff")
    feed = parse_feed(data, FEED_URL)
    assert [(e.url, e.title) for e in feed.entries] == [("https://a.fr/1", "Titre")]
    assert feed.title == "Le Monde"


def test_gzipped_sitemap_of_several_members_is_read_whole():
    """Concatenated gzip members are one file (RFC 1952, `gzip -d`): the entries of
    the second member count too (only the first member's were read before)."""
    half = NEWS_SITEMAP.index(b"<url><loc>javascript")
    data = gzip.compress(NEWS_SITEMAP[:half]) + gzip.compress(NEWS_SITEMAP[half:])
    entries, _ = parse_sitemap(data, "https://f.fr/sitemap.xml.gz")
    assert [e.url for e in entries] == [e.url for e in parse_sitemap(NEWS_SITEMAP, "https://f.fr/s.xml")[0]]
    with pytest.raises(NotAFeed, match="corrupt gzip sitemap"):
        parse_sitemap(b"\x1f\x8b" + b"not gzip" * 10, "https://f.fr/sitemap.xml.gz")
