"""Web inputs: poll a feed or sitemap, fetch an article page.

Plain functions over a `Fetcher`; the flow decides what to poll and fetch and
runs these in threads. Every failure becomes a value: a `FeedPoll` with a
status for a feed, a `Rejected` with a reason for a page, so one bad feed or
page never stops the others.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from extractors.core.records import (
    Document,
    FeedPoll,
    FeedState,
    FeedStatus,
    Rejected,
    RejectReason,
)
from extractors.core.urls import canonical
from extractors.sources.feeds import FeedEntry, NotAFeed, parse_feed, parse_sitemap
from extractors.sources.fetch import Fetcher, FetchError, FetchFailure
from extractors.text.encoding import DecodeError, decode, html_meta_charset

HTML_TYPES = {"text/html", "application/xhtml+xml", None}


@dataclass(frozen=True, slots=True)
class WebEntry:
    """A page to fetch, with what its feed said about it."""

    url: str  # canonical
    feed_url: str | None = None
    feed_title: str | None = None
    title: str | None = None
    published: str | None = None


@dataclass(frozen=True, slots=True)
class Polled:
    poll: FeedPoll
    entries: list[WebEntry]
    sitemaps: list[str]  # nested sitemaps of a sitemap index


def _feed_status(exc: FetchError) -> FeedStatus:
    if exc.kind in (FetchFailure.BLOCKED, FetchFailure.ROBOTS, FetchFailure.UNSUPPORTED_SCHEME):
        return FeedStatus.BLOCKED
    if exc.kind is FetchFailure.TOO_LARGE:
        return FeedStatus.TOO_LARGE
    return FeedStatus.FETCH_FAILED if exc.transient else FeedStatus.HTTP_ERROR


def reject_reason(exc: FetchError) -> RejectReason:
    """The recorded reason for a page that could not be fetched."""
    if exc.transient:
        return RejectReason.FETCH_FAILED
    if exc.kind is FetchFailure.TOO_LARGE:
        return RejectReason.TOO_LARGE
    if exc.kind in (FetchFailure.BLOCKED, FetchFailure.ROBOTS):
        return RejectReason.BLOCKED
    if exc.kind in (FetchFailure.UNSUPPORTED_SCHEME, FetchFailure.INVALID_URL):
        return RejectReason.UNSUPPORTED
    return RejectReason.HTTP_ERROR


def poll(
    fetcher: Fetcher,
    url: str,
    name: str | None,
    state: FeedState | None,
    *,
    kind: str = "feed",
    max_entries: int = 500,
) -> Polled:
    """Fetch a feed (conditionally) and parse it if it changed."""
    state = state or FeedState(url)

    def result(status: FeedStatus, **kw) -> Polled:
        return Polled(FeedPoll(url=url, name=name, kind=kind, status=status, **kw), [], [])

    try:
        page = fetcher.get(url, etag=state.etag, last_modified=state.last_modified)
    except FetchError as exc:
        return result(_feed_status(exc), http_status=exc.status, error=str(exc))
    validators = {"etag": page.etag, "last_modified": page.last_modified}
    if page.not_modified:
        return result(FeedStatus.NOT_MODIFIED, http_status=page.status, **validators)
    digest = hashlib.sha256(page.content).hexdigest()
    if digest == state.content_hash:
        return result(FeedStatus.UNCHANGED, http_status=page.status, content_hash=digest, **validators)
    try:
        if kind == "sitemap":
            entries, nested = parse_sitemap(page.content, page.final_url, max_entries=max_entries)
            title, total, warning = None, len(entries), None
        else:
            parsed = parse_feed(
                page.content, page.final_url, max_entries=max_entries,
                content_type=page.content_type, charset=page.charset,
            )  # fmt: skip
            entries, nested = list(parsed.entries), []
            title, total, warning = parsed.title, parsed.total_entries, parsed.bozo
    except NotAFeed as exc:
        return result(FeedStatus.NOT_A_FEED, http_status=page.status, error=str(exc)[:500])
    web = [_entry(e, url, name or title) for e in entries]
    poll_ = FeedPoll(
        url=url, name=name, kind=kind, status=FeedStatus.OK, http_status=page.status,
        error=f"malformed but usable: {warning}"[:500] if warning else None, title=title,
        content_hash=digest, entries=total, **validators,
    )  # fmt: skip
    return Polled(poll_, web, nested)


def _entry(e: FeedEntry, feed_url: str, feed_title: str | None) -> WebEntry:
    return WebEntry(url=e.url, feed_url=feed_url, feed_title=feed_title, title=e.title, published=e.published)


def fetch_page(fetcher: Fetcher, entry: WebEntry) -> Document | Rejected:
    """Fetch and decode one article page."""
    try:
        page = fetcher.get(entry.url)
    except FetchError as exc:
        return Rejected(entry.url, reject_reason(exc), str(exc), entry.feed_url)
    if page.content_type not in HTML_TYPES and not page.content_type.endswith("+xml"):
        detail = f"content type {page.content_type} is not a web page"
        return Rejected(entry.url, RejectReason.UNSUPPORTED, detail, entry.feed_url)
    try:
        decoded = decode(page.content, [page.charset, html_meta_charset(page.content)])
    except DecodeError as exc:
        return Rejected(entry.url, RejectReason.UNREADABLE, str(exc), entry.feed_url)
    return Document(
        location=entry.url,
        kind="html",
        content=decoded.text,
        url=canonical(page.final_url),
        title_hint=entry.title,
        published=entry.published,
        published_origin="feed",
        encoding=decoded.encoding,
        feed_title=entry.feed_title,
        feed_url=entry.feed_url,
    )
