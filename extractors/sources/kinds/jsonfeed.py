"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), the feed format
some publishers and most static-site generators offer beside RSS.

The worked example of adding a source kind: this module and
tests/extractors/test_jsonfeed.py are the whole change. `[[feeds]] kind =
"jsonfeed"` and `veille ingest --source jsonfeed=URL` work because the
registry finds `KIND` here; polling, conditional requests, the poll's
record in `feeds`, fetching the pages and judging them are the same for
every kind.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from extractors.core.records import Entry
from extractors.core.urls import key
from extractors.sources.feeds import GUID_MAX, SUMMARY_MAX, TITLE_MAX, NotAFeed, absolute_url, plain_text
from extractors.sources.registry import Parsed

if TYPE_CHECKING:
    from extractors.sources.fetch import FetchedPage

VERSION_PREFIX = "https://jsonfeed.org/version/"


class _JsonFeed:
    name = "jsonfeed"
    summary = "a JSON Feed (jsonfeed.org)"

    def parse(self, page: FetchedPage, max_entries: int) -> Parsed:
        url = page.final_url
        try:
            document = json.loads(page.content)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise NotAFeed(f"{url}: expected a JSON Feed, got no JSON document ({exc})") from None
        version = document.get("version") if isinstance(document, dict) else None
        if not (isinstance(version, str) and version.startswith(VERSION_PREFIX)):
            raise NotAFeed(f"{url}: expected a JSON Feed, got JSON without a jsonfeed.org version")
        items = document.get("items")
        if not isinstance(items, list):
            raise NotAFeed(f"{url}: a JSON Feed without a list of items")
        entries: list[Entry] = []
        seen: set[str] = set()
        dropped = 0
        for item in items:
            if len(entries) == max_entries:
                break  # items past the cap are counted in `total`, not examined
            entry = _entry(item, url) if isinstance(item, dict) else None
            if entry is None:
                dropped += 1
            elif key(entry.url) not in seen:
                seen.add(key(entry.url))
                entries.append(entry)
        warning = f"{dropped} item(s) without a usable http(s) url" if dropped > 0 else None
        return Parsed(entries, plain_text(document.get("title"), TITLE_MAX), len(items), warning)


def _entry(item: dict[str, Any], base: str) -> Entry | None:
    """An item's page: `url`, else `external_url` (a link post's page)."""
    link = absolute_url(item.get("url"), base) or absolute_url(item.get("external_url"), base)
    if link is None:
        return None
    guid = item.get("id")
    return Entry(
        url=link,
        guid=plain_text(str(guid) if isinstance(guid, int | str) else None, GUID_MAX),
        title=plain_text(item.get("title"), TITLE_MAX),
        published=plain_text(item.get("date_published"), 200),
        summary=plain_text(item.get("summary"), SUMMARY_MAX),
    )


KIND = _JsonFeed()
