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
from extractors.text.boilerplate import is_publisher, strip_site_name

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
    "url": ("og:url",),
}


@dataclass(frozen=True, slots=True)
class PageText:
    text: str
    title: str | None
    date: str | None  # as the page declares it, unparsed
    sitename: str | None
    url: str | None  # the page's own canonical link, if it declares one
    authors: tuple[str, ...] = ()  # as the page declares them (JSON-LD, meta author): people only


_LETTER = re.compile(r"[^\W\d_]")
_AUTHOR_META = ("author", "article:author", "og:article:author", "dc.creator")


def _person_names(value: Any) -> list[str]:
    """Names in a JSON-LD `author`: a string, a Person, or a list of them.
    An Organization is the publisher signing, not a person."""
    if isinstance(value, list):
        return [name for item in value for name in _person_names(item)]
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        kind = value.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        return [] if "Organization" in kinds or "NewsMediaOrganization" in kinds else [value["name"]]
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
        for field, names in _META.items():
            if name in names and field not in meta:
                meta[field] = content
    for field, value in _json_ld(tree).items():
        meta.setdefault(field, value)
    house = [meta.get("publisher"), meta.get("sitename")]
    # JSON-LD names the article's people; a meta author is often the group
    # that owns the site ("Prisma Média" on gala.fr): a fallback only.
    meta["authors"] = _authors(meta.get("authors") or authors or _microdata_authors(tree), house)
    if "url" not in meta:
        canonical = tree.xpath('//link[@rel="canonical"]/@href')
        if canonical:
            meta["url"] = canonical[0].strip()
    if "title" not in meta:
        title = tree.findtext(".//title") or ""
        h1 = tree.xpath("//h1")
        meta_title = title.strip() or (h1[0].text_content().strip() if h1 else "")
        if meta_title:
            meta["title"] = " ".join(meta_title.split())
    return meta


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
    text = _main_text(tree, url, fast=mode != "full")
    if mode == "adaptive" and len(text) < ADAPTIVE_MIN_CHARS:
        text = _main_text(load_html(html), url, fast=False)
    if not text.strip():
        return None
    title = meta.get("title")
    host = urlsplit(meta.get("url") or url or "").hostname
    return PageText(
        text=text,
        title=strip_site_name(title, [meta.get("sitename"), host]) if title else None,
        date=date,
        sitename=meta.get("sitename"),
        url=meta.get("url"),
        authors=tuple(meta["authors"]),
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
