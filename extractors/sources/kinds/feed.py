"""RSS, Atom and RDF feeds (extractors.sources.feeds.parse_feed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from extractors.sources.feeds import parse_feed
from extractors.sources.registry import Parsed

if TYPE_CHECKING:
    from extractors.sources.fetch import FetchedPage


class _Feed:
    name = "feed"
    summary = "an RSS, Atom or RDF feed"

    def parse(self, page: FetchedPage, max_entries: int) -> Parsed:
        feed = parse_feed(page.content, page.final_url, max_entries=max_entries,
                          content_type=page.content_type, charset=page.charset)  # fmt: skip
        return Parsed(feed.entries, feed.title, feed.total_entries, feed.bozo)


KIND = _Feed()
