"""Source kinds, by name: what a polled source's document is, and how to read
its entries.

A polled source is a URL fetched on a schedule (`[[feeds]]` in the settings,
`--feed`, `--sitemap` or `--source KIND=URL` on the command line). Polling is
the same for every kind (extractors.sources.web.poll: a conditional GET, the
poll's state kept in the `feeds` table, an unchanged document skipped);
what differs is only how a fetched document becomes entries, and that is a
`SourceKind`. Every module of `extractors.sources.kinds` that defines `KIND`
is a kind, so adding one is adding that module (and its tests): the settings,
the command line (`--source`, `veille ingest --help`), the flow and the
service all read this registry.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Protocol

from extractors.core.records import Entry
from extractors.core.settings import Feed, SettingsError

if TYPE_CHECKING:
    from extractors.sources.fetch import FetchedPage


@dataclass(frozen=True, slots=True)
class Parsed:
    """A fetched document read as a source."""

    entries: Sequence[Entry]
    title: str | None = None  # the source's own name, a fallback publisher name
    total: int = 0  # entries in the document, before dropping and capping
    warning: str | None = None  # why the document is malformed, when it was still usable
    nested: Sequence[str] = field(default=())  # URLs of sources of the same kind (a sitemap index)


class SourceKind(Protocol):
    name: str  # as written in `[[feeds]] kind` and `--source NAME=URL`
    summary: str  # one line for `--help`

    def parse(self, page: FetchedPage, max_entries: int) -> Parsed:
        """The entries of `page` (at most `max_entries`); raise NotAFeed (a
        TerminalError) when the document is not of this kind at all."""
        ...


@cache
def kinds() -> dict[str, SourceKind]:
    """Every kind, by name: the `KIND` of each module of extractors.sources.kinds."""
    from extractors.sources import kinds as package

    found: dict[str, SourceKind] = {}
    for module in pkgutil.iter_modules(package.__path__):
        kind = getattr(importlib.import_module(f"{package.__name__}.{module.name}"), "KIND", None)
        if kind is not None:
            found[kind.name] = kind
    return dict(sorted(found.items()))


def get(name: str) -> SourceKind:
    try:
        return kinds()[name]
    except KeyError:
        raise SettingsError(f"unknown source kind {name!r} (known: {', '.join(kinds())})") from None


def check(feeds: Sequence[Feed], origin: str) -> None:
    """Every configured source names a known kind (`origin` names the file)."""
    for i, feed in enumerate(feeds, 1):
        if feed.kind not in kinds():
            raise SettingsError(
                f"{origin}: feeds[{i}].kind must be one of {', '.join(kinds())}, not {feed.kind!r}"
            )


def parse_option(value: str) -> Feed:
    """`--source KIND=URL`."""
    name, sep, url = value.partition("=")
    if not sep or not url:
        raise SettingsError(
            f"--source {value!r}: expected KIND=URL, for instance feed=https://example.fr/rss"
        )
    get(name)
    return Feed(name=url, url=url, kind=name)
