"""(News) sitemaps, and sitemap indexes whose sitemaps are polled too
(extractors.sources.feeds.parse_sitemap)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from extractors.sources.feeds import parse_sitemap
from extractors.sources.registry import Parsed

if TYPE_CHECKING:
    from extractors.sources.fetch import FetchedPage


class _Sitemap:
    name = "sitemap"
    summary = "a (news) sitemap or a sitemap index"

    def parse(self, page: FetchedPage, max_entries: int) -> Parsed:
        entries, nested = parse_sitemap(page.content, page.final_url, max_entries=max_entries)
        return Parsed(entries, None, len(entries), None, nested)


KIND = _Sitemap()
