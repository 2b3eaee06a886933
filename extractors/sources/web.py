"""Web inputs: poll a source (a feed, a sitemap, any kind of the registry), fetch an article page.

Plain functions over a `Fetcher`; the flow decides what to poll and fetch and
runs these in threads. Every failure becomes a value: a `FeedPoll` with a
status for a feed, a `Rejected` with a reason for a page, so one bad feed or
page never stops the others.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from extractors.core.records import (
    Document,
    Entry,
    FeedPoll,
    FeedState,
    FeedStatus,
    Rejected,
    RejectReason,
)
from extractors.core.settings import Feed
from extractors.core.urls import canonical
from extractors.sources import registry
from extractors.sources.feeds import NotAFeed
from extractors.sources.fetch import Fetcher, FetchError, FetchFailure
from extractors.text.encoding import DecodeError, decode, html_meta_charset

HTML_TYPES = {"text/html", "application/xhtml+xml", None}


@dataclass(frozen=True, slots=True)
class Polled:
    poll: FeedPoll
    entries: list[Entry]
    nested: list[str]  # sources of the same kind to poll too (the sitemaps of a sitemap index)


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


def poll(fetcher: Fetcher, source: Feed, state: FeedState | None, *, max_entries: int = 500) -> Polled:
    """Fetch a polled source (conditionally) and read it, by its kind
    (extractors.sources.registry), if it changed."""
    url, name, kind = source.url, source.name, source.kind
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
        parsed = registry.get(kind).parse(page, max_entries)
    except NotAFeed as exc:
        return result(FeedStatus.NOT_A_FEED, http_status=page.status, error=str(exc)[:500])
    feed_title = name or parsed.title
    entries = [replace(e, feed_url=url, feed_title=feed_title) for e in parsed.entries]
    warning = parsed.warning
    poll_ = FeedPoll(
        url=url, name=name, kind=kind, status=FeedStatus.OK, http_status=page.status,
        error=f"malformed but usable: {warning}"[:500] if warning else None, title=parsed.title,
        content_hash=digest, entries=parsed.total, **validators,
    )  # fmt: skip
    return Polled(poll_, entries, list(parsed.nested))


def fetch_page(fetcher: Fetcher, entry: Entry) -> Document | Rejected:
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
