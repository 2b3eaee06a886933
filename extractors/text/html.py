"""Main text and metadata of an HTML page, through trafilatura.

Comments are excluded; the text then goes through the same French cleaning
rules as plain text (`extractors.text.boilerplate`), which catch what trafilatura
keeps from the article's surroundings ("Lire aussi", share bars, credits).

Metadata (title, site name, date, canonical link, authors) is read from the page's
head and JSON-LD first: news pages declare it there, and reading it costs a
tenth of a millisecond, where trafilatura's own metadata pass (which walks
every link of the page) costs about as much as the extraction. Only a page
that declares no date falls back to htmldate's search.

The title loses the site name pages append to it ("… | Le Site"), so that the
headline repeated at the top of the text is recognised and taken out of the body.

A standfirst (chapô) marked up apart from the body ("chapo", "article__desc",
"lead" classes, or a paragraph outside <article> that the meta description
repeats) is often left out by trafilatura; it is put back on top of the text
(`_ledes`, read before trafilatura prunes the tree, then `_with_lede`). On the
shared French corpus this took the F1 from 0.961 to 0.974. A declared author
that is a news agency ("AFP") is no person but a wire credit (`PageText.wires`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from extractors.core.textnorm import words
from extractors.text.boilerplate import is_publisher, strip_site_name, wire_names

_META = {
    "title": ("og:title", "twitter:title", "dc.title"),
    "sitename": ("og:site_name", "application-name"),
    "date": (
        "article:published_time",
        "og:article:published_time",
        "datepublished",
        "date",
        "pubdate",
        "publishdate",
        "dc.date",
        "dc.date.issued",
        "dcterms.created",
        "sailthru.date",
        "parsely-pub-date",
    ),  # fmt: skip
    "url": ("og:url",),  # after <link rel="canonical">, which some pages declare in https and og:url in http
}


@dataclass(frozen=True, slots=True)
class PageText:
    text: str
    title: str | None
    date: str | None  # as the page declares it, unparsed
    sitename: str | None
    url: str | None  # the page's own canonical link, if it declares one
    authors: tuple[str, ...] = ()  # as the page declares them (JSON-LD, meta author): people only
    wires: tuple[tuple[str, str], ...] = ()  # (agency, declared author naming it): ("AFP", "AFP")
    publisher: str | None = None  # the JSON-LD publisher's name


_LETTER = re.compile(r"[^\W\d_]")
_AUTHOR_META = ("author", "article:author", "og:article:author", "dc.creator")

# The standfirst (chapô) marked up apart from the body, which trafilatura may leave
# out: a class token naming it ("chapo", "article__desc", "lead", "standfirst"), not
# in a comment, a teaser card or a menu, nor in the page's margins.
_LEDE_CLASS = re.compile(
    r"^(?:[\w-]*?article[\w-]*?[_-]+)?(?:chapo|chapeau|standfirst|lede|lead|intro|desc)$"
    r"|^[\w-]*?[_-](?:chapo|chapeau|standfirst|lede)$",
    re.IGNORECASE,
)
_LEDE_HINT = re.compile(r"chap|standfirst|lede|lead|intro|desc", re.IGNORECASE)  # a cheap first test
_LEDE_TAGS = ("p", "div", "section", "h2", "span")
_NOT_LEDE_CLASS = re.compile(r"forum|comment|teaser|card|list|promo|menu|newsletter|modal|related", re.I)
_MARGINS = frozenset({"nav", "aside", "footer", "figure", "figcaption", "a", "form", "button"})
# a lead image with its caption, a lead video, a list: no standfirst
_NOT_IN_LEDE = (
    ".//img | .//picture | .//figure | .//video | .//iframe | .//script | .//style | .//ul | .//ol | .//table"
)
_LEDE_MIN_CHARS, _LEDE_MAX_CHARS = 40, 1000
_KEY_WORDS = 12  # a paragraph is found again by its first words


@dataclass(frozen=True, slots=True)
class _Ledes:
    """What the page marks as its lede, read before trafilatura prunes the tree:
    candidates (document position, text) in document order, and the position of
    each paragraph by its first words, to tell whether a lede comes before the body."""

    candidates: list[tuple[int, str]]
    paragraphs: dict[str, int]


def _person_names(value: Any, people: bool = True) -> list[str]:
    """Names in a JSON-LD `author`: a string, a Person, or a list of them.
    An Organization is the publisher signing, not a person: left out when `people`
    (an agency signing is a wire credit, read with `people=False`)."""
    if isinstance(value, list):
        return [name for item in value for name in _person_names(item, people)]
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        kind = value.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        organization = "Organization" in kinds or "NewsMediaOrganization" in kinds
        return [] if organization and people else [value["name"]]
    return []


def _json_ld(tree: HtmlElement) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            if "@graph" in node:
                visit(node["@graph"])
            publisher = node.get("publisher")
            if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
                found.setdefault("sitename", publisher["name"])
                found.setdefault("publisher", publisher["name"])
            for key, field in (("datePublished", "date"), ("headline", "title")):
                if isinstance(node.get(key), str):
                    found.setdefault(field, node[key])
            if "author" in node:
                found.setdefault("authors", []).extend(_person_names(node["author"]))
                found.setdefault("credited", []).extend(_person_names(node["author"], people=False))

    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            # some pages wrap it in CDATA, as for XHTML
            text = (script.text or "").strip().removeprefix("<![CDATA[").removesuffix("]]>")
            visit(json.loads(text))
        except (ValueError, RecursionError):
            continue
    return found


# Between names in one declared value: "A et B", "A, B", "A; B", "A | B", "A (avec B)".
_AUTHOR_SPLIT = re.compile(r"\s*[;,|()]\s*|\s+(?:et|and|&)\s+|\bavec\s+", re.IGNORECASE)
_SITE = re.compile(r"\bwww\.|\w\.(?:com|fr|net|org|info|eu|be|ch|ca|io|tv)\b", re.IGNORECASE)
_AUTHOR_LEAD = re.compile(r"^(?:par|by)\s+", re.IGNORECASE)


def _authors(declared: list[str], house: list[str | None]) -> list[str]:
    """People's names, each once: "A et B" split; a profile URL, an e-mail, a
    site ("MesOpinions.com"), the page's publisher or site name, a known
    publisher or an agency ("Les Echos", "AFP") left out."""
    publishers = {" ".join(words(name)) for name in house if name}
    found: dict[str, str] = {}
    for value in declared:
        if "://" in value or "@" in value:
            continue
        # whitespace runs made single spaces first: the split stays linear
        for part in _AUTHOR_SPLIT.split(" ".join(value.split())):
            name = _AUTHOR_LEAD.sub("", part.strip())
            key = " ".join(words(name))
            if (
                key
                and _LETTER.search(name)
                and not any(c.isdigit() for c in name)  # a user name ("link78")
                and len(name) <= 80
                and not _SITE.search(name)
                and key not in publishers
                and not is_publisher(name)
            ):
                found.setdefault(key, name)
    return list(found.values())


def _wires(declared: list[str]) -> list[tuple[str, str]]:
    """(agency, declared value) for the news agencies among the declared authors:
    "AFP", "Agence France-Presse", "Jean Dupont avec AFP", "AFP/Belga"."""
    found: dict[str, str] = {}
    for value in declared:
        value = " ".join(value.split())
        for part in _AUTHOR_SPLIT.split(value):
            for agency in wire_names(_AUTHOR_LEAD.sub("", part.strip())):
                found.setdefault(agency, value)
    return list(found.items())


def _microdata_authors(tree: HtmlElement) -> list[str]:
    """`itemprop="author"` elements in the page (Le Monde's byline), when the
    head declares no author: their `name` property, else their text."""
    names = []
    for element in tree.xpath('//*[@itemprop="author"][not(self::meta)]'):
        named = element.xpath('.//*[@itemprop="name"]')
        text = (named[0] if named else element).text_content()
        names.append(" ".join(text.split()))
    return names


def head_metadata(tree: HtmlElement) -> dict[str, Any]:
    """Title, site name, date, canonical URL and authors (a list) as the page declares them."""
    meta: dict[str, Any] = {}
    authors: list[str] = []
    for element in tree.xpath("//meta[@content]"):
        name = element.get("property") or element.get("name") or element.get("itemprop") or ""
        name = name.strip().lower()
        content = element.get("content", "").strip()
        if not content:
            continue
        if name in _AUTHOR_META:
            authors.append(content)
        if name in ("description", "og:description"):
            meta.setdefault("description", content)
        for field, names in _META.items():
            if name in names and field not in meta:
                meta[field] = content
    # the canonical link before og:url (an http og:url beside an https canonical),
    # unless it is relative
    canonical = [href.strip() for href in tree.xpath('//link[@rel="canonical"]/@href') if href.strip()]
    absolute = [href for href in canonical if urlsplit(href).scheme in ("http", "https")]
    if absolute:
        meta["url"] = absolute[0]
    elif canonical:
        meta.setdefault("url", canonical[0])
    for field, value in _json_ld(tree).items():
        meta.setdefault(field, value)
    house = [meta.get("publisher"), meta.get("sitename")]
    # JSON-LD names the article's people; a meta author is often the group
    # that owns the site ("Prisma Média" on gala.fr): a fallback only.
    declared = meta.get("authors") or authors or _microdata_authors(tree)
    meta["authors"] = _authors(declared, house)
    meta["wires"] = _wires([*meta.pop("credited", []), *authors, *declared])
    if "title" not in meta:
        title = tree.findtext(".//title") or ""
        h1 = tree.xpath("//h1")
        meta_title = title.strip() or (h1[0].text_content().strip() if h1 else "")
        if meta_title:
            meta["title"] = " ".join(meta_title.split())
    return meta


def _key(text: str) -> str:
    return " ".join(words(text))


def _plain_key(text: str) -> str:
    """A paragraph's first words as written: cheap, for every paragraph of a page."""
    return " ".join(text.split()[:_KEY_WORDS])


def _in_margins(element: HtmlElement) -> bool:
    return any(isinstance(a.tag, str) and a.tag in _MARGINS for a in element.iterancestors())


def _is_lede_element(element: HtmlElement) -> bool:
    tokens = (element.get("class") or "").split()
    return any(_LEDE_CLASS.match(t) for t in tokens) and not any(_NOT_LEDE_CLASS.search(t) for t in tokens)


def _lede_text(element: HtmlElement) -> str | None:
    text = " ".join(element.text_content().split())
    if not _LEDE_MIN_CHARS <= len(text) <= _LEDE_MAX_CHARS or _in_margins(element):
        return None
    return None if element.xpath(_NOT_IN_LEDE) else text


def _ledes(tree: HtmlElement, description: str | None) -> _Ledes:
    """The page's lede candidates: the first element of a lede class, and the first
    paragraph outside <article> that the meta description repeats (whole, or cut
    with "…"). One pass over the page's blocks, under a millisecond a page."""
    described = _key(description.rstrip(". …")) if description else ""
    head = " ".join(description.split()[:3]).casefold() if description else ""
    paragraphs: dict[str, int] = {}
    by_class: tuple[int, str] | None = None
    by_description: tuple[int, str] | None = None
    for position, element in enumerate(tree.iter(*_LEDE_TAGS)):
        classes = element.get("class")
        if by_class is None and classes and _LEDE_HINT.search(classes) and _is_lede_element(element):
            if lede := _lede_text(element):
                by_class = (position, lede)
        if element.tag != "p":
            continue
        text = " ".join(element.text_content().split())
        paragraphs.setdefault(_plain_key(text), position)
        if (
            by_description is None
            and described
            and head in text.casefold()  # cheap test first: the folded key costs more
            and _key(text).startswith(described)
            and not any(a.tag == "article" for a in element.iterancestors())
            and (lede := _lede_text(element))
        ):
            by_description = (position, lede)
    return _Ledes(sorted(c for c in (by_class, by_description) if c), paragraphs)


def _with_lede(text: str, ledes: _Ledes, title: str | None) -> str:
    """`text` with the page's lede on top (under the headline, when the text opens
    with it) when the page marks one that the text lacks.

    The first candidate is the lede when it comes before the body (before the
    paragraph of the text's first line, where the page has it as a paragraph) and
    its first words are nowhere in the text."""
    if not ledes.candidates or not text.strip():
        return text
    position, lede = ledes.candidates[0]
    lines = [line for line in text.splitlines() if line.strip()]
    firsts = (_plain_key(line) for line in lines[:3])
    body_at = next((ledes.paragraphs[k] for k in firsts if k in ledes.paragraphs), None)
    if body_at is not None and position > body_at:
        return text
    if " ".join(words(lede)[:_KEY_WORDS]) in _key(text):
        return text
    headline = _key(title) if title else ""
    at = next((i + 1 for i, line in enumerate(lines[:3]) if headline and _key(line).startswith(headline)), 0)
    return "\n".join([*lines[:at], lede, *lines[at:]])


ADAPTIVE_MIN_CHARS = 1000


def extract(html: str, url: str | None = None, mode: str = "adaptive") -> PageText | None:
    """None when trafilatura finds no main text.

    `mode` chooses how hard trafilatura tries:
    - "full": its fallback extractors (readability, jusText) checked against
      its own result on every page;
    - "fast": its own pass only, about 30% cheaper; it misses the main text
      of some pages (on the shared French corpus, F1 0.961 -> 0.940, recall
      0.961 -> 0.921: 3 of 26 pages lose text);
    - "adaptive" (default): the fast pass, and the full one only when the
      fast pass finds less than ADAPTIVE_MIN_CHARS characters, which no news
      article body is short of: the pages the fast pass gets wrong are those.
      Same F1 as "full" on the shared corpora, at the cost of "fast" on
      pages where the fast pass finds an article.
    """
    tree = load_html(html)
    if tree is None:
        return None
    meta = head_metadata(tree)
    date = meta.get("date")
    if not date:
        date = find_date(tree, extensive_search=True, original_date=True) or None
    ledes = _ledes(tree, meta.get("description"))
    text = _main_text(tree, url, fast=mode != "full")
    if mode == "adaptive" and len(text) < ADAPTIVE_MIN_CHARS:
        text = _main_text(load_html(html), url, fast=False)
    if not text.strip():
        return None
    host = urlsplit(meta.get("url") or url or "").hostname
    title = strip_site_name(meta["title"], [meta.get("sitename"), host]) if meta.get("title") else None
    return PageText(
        text=_with_lede(text, ledes, title),
        title=title,
        date=date,
        sitename=meta.get("sitename"),
        url=meta.get("url"),
        authors=tuple(meta["authors"]),
        wires=tuple(meta["wires"]),
        publisher=meta.get("publisher"),
    )


def _main_text(tree: HtmlElement, url: str | None, fast: bool) -> str:
    """trafilatura's main text of `tree` (which it prunes: parse again to reuse)."""
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
        fast=fast,
    )
    return (doc.text or "") if doc is not None else ""
