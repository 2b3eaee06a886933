"""Canonical URLs and the key that collapses their variants.

`canonical` is what we store: courlan's normalisation (lower-case host,
default port, sorted query) with tracking parameters and the fragment
removed. `key` is what we match on: the canonical URL without its scheme and
without a leading "www.", so http/https and www/no-www variants of one page
are one article.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from courlan import normalize_url


def file_uri(path: str | Path) -> str:
    """Absolute file:// URI of a path as given: ".." is folded, symlinks are not
    followed (a dangling link must still name itself)."""
    return Path(os.path.abspath(path)).as_uri()


def canonical(url: str) -> str:
    url = url.strip()
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return url  # file:, javascript:, ...: kept as given, to be refused and recorded
    try:
        normalised = normalize_url(url, strict=False)
    except (ValueError, AttributeError):
        normalised = url
    return normalised.split("#", 1)[0]


def key(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return url
    host = parts.netloc.lower().removeprefix("www.")
    rest = parts.path.rstrip("/") or ""
    return f"{host}{rest}" + (f"?{parts.query}" if parts.query else "")


def domain(url: str | None) -> str | None:
    """Host of an http(s) URL, lower-case, without "www."; None otherwise.

    Not courlan.extract_domain, which gives the registrable domain: it would
    store "blog.lemonde.fr" and "news.bbc.co.uk" as "lemonde.fr" and "bbc.co.uk",
    and None for an IP address or "localhost"."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower().removeprefix("www.")
