"""Main text and metadata of an HTML page, through trafilatura.

Comments are excluded; the text then goes through the same French cleaning
rules as plain text (`extractors.boilerplate`), which catch what trafilatura
keeps from the article's surroundings ("Lire aussi", share bars, credits).

The title loses the site name pages append to it ("… | Le Site"), so that the
headline repeated at the top of the text is recognised and taken out of the body.
"""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura

from extractors.boilerplate import strip_site_name


@dataclass(frozen=True, slots=True)
class PageText:
    text: str
    title: str | None
    date: str | None  # ISO date as htmldate found it, unparsed
    sitename: str | None
    url: str | None  # the page's own canonical link, if it declares one


def extract(html: str, url: str | None = None, fast: bool = False) -> PageText | None:
    """None when trafilatura finds no main text.

    `fast` skips trafilatura's fallback extractors (readability, jusText):
    about a quarter less time per page, at the cost of recall on pages whose
    main text the first pass misses (on the shared French corpus, F1 0.961
    -> 0.940, recall 0.961 -> 0.921)."""
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
        fast=fast,
    )
    if doc is None or not (doc.text or "").strip():
        return None
    return PageText(
        text=doc.text,
        title=strip_site_name(doc.title, [doc.sitename, doc.hostname]) if doc.title else None,
        date=doc.date or None,
        sitename=doc.sitename or None,
        url=doc.url or None,
    )
