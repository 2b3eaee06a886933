"""Main text and metadata of an HTML page, through trafilatura.

Comments are excluded; the text then goes through the same French cleaning
rules as plain text (`extractors.boilerplate`), which catch what trafilatura
keeps from the article's surroundings ("Lire aussi", share bars, credits).
"""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura


@dataclass(frozen=True, slots=True)
class PageText:
    text: str
    title: str | None
    date: str | None  # ISO date as htmldate found it, unparsed
    sitename: str | None
    url: str | None  # the page's own canonical link, if it declares one


def extract(html: str, url: str | None = None) -> PageText | None:
    """None when trafilatura finds no main text."""
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
    )
    if doc is None or not (doc.text or "").strip():
        return None
    return PageText(
        text=doc.text,
        title=doc.title or None,
        date=doc.date or None,
        sitename=doc.sitename or None,
        url=doc.url or None,
    )
