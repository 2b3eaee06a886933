"""RSS/Atom feeds and news sitemaps, from bytes to `FeedEntry` records.

Feeds are hostile input. feedparser is handed bytes wrapped in a stream, never
a string: given a string (or even bytes) it may treat the value as a URL to
fetch or a path to open (bytes such as b"/etc/passwd" are opened as a file).
Before parsing, the document is cut to `max_bytes` and any DOCTYPE is removed
from its prolog, internal subset included: entity declarations are what the
billion-laughs attack expands (feedparser's fallback parser expands them
without limit) and what XXE uses to read files or make requests. Entities a
legitimate feed declares are lost with it, which costs at worst a `bozo`
warning and an unexpanded `&name;`.

Entries come out canonical and unique: one entry per canonical URL key (so
http/https, www and utm_* variants are one entry) and per GUID, only http(s)
links, text fields without NUL or control bytes and with a length cap.
"""

from __future__ import annotations

import codecs
import io
import re
import zlib
from calendar import timegm
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import feedparser
from lxml import etree

from extractors.urls import canonical, key

TITLE_MAX = 1000
SUMMARY_MAX = 10_000
GUID_MAX = 2000
URL_MAX = 4096
SITEMAP_MAX_BYTES = 50_000_000  # the sitemap protocol's own limit, uncompressed

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s+")
_XML_DECL_ENCODING = re.compile(rb"""^(<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")
_WIDE = (  # byte order marks and the first bytes of "<?" in encodings that are not ASCII-based
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)


class NotAFeed(ValueError):
    """Something other than a feed (an HTML page, garbage) where a feed was expected."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    url: str  # canonical (extractors.urls.canonical)
    guid: str | None
    title: str | None
    published: str | None  # the feed's own date string, or ISO 8601 (UTC) when only parsed
    summary: str | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    entries: tuple[FeedEntry, ...]
    bozo: str | None  # why the feed is malformed, when it was still usable
    total_entries: int  # entries in the document, before dropping and capping
    # Of the entries examined (all of them unless the cap was reached first):
    dropped: int = 0  # without a usable http(s) link
    duplicates: int = 0  # URL key or GUID already seen earlier in the feed


def parse_feed(
    data: bytes,
    url: str,
    *,
    max_entries: int = 500,
    max_bytes: int = 5_000_000,
    content_type: str | None = None,
    charset: str | None = None,
) -> ParsedFeed:
    """Parse RSS/Atom/RDF `data` that came from `url` (after redirects: relative links
    are resolved against it).

    `content_type` (a media type, or a whole Content-Type value) and `charset`
    are what the server declared, as in `FetchedPage`; feedparser weighs them
    against the document's own declaration (RFC 3023). Raise NotAFeed when the
    bytes are not a feed at all.
    """
    warnings = []
    if len(data) > max_bytes:
        data = data[:max_bytes]
        warnings.append(f"document cut to its first {max_bytes} bytes")
    data, had_entities = neutralise_doctype(data)
    if had_entities:
        warnings.append("entity declarations removed, not expanded")
    # Without a Content-Type feedparser would assume ISO-8859-1 (it does when other
    # headers are present); application/xml means "as the document declares, else UTF-8".
    declared = content_type or "application/xml"
    if charset and "charset=" not in declared.lower():
        declared += f"; charset={charset}"
    # No Content-Location: as a base it makes feedparser join URLs at every element,
    # doubling its time; entry links are joined to `url` below instead.
    headers = {"content-type": declared}
    try:
        result = feedparser.parse(io.BytesIO(data), response_headers=headers)
    except Exception as exc:  # feedparser's bugs become a verdict on the input
        raise NotAFeed(f"{url}: unreadable as a feed ({type(exc).__name__}: {exc})") from exc
    if not result.get("version") and not result.entries:
        raise NotAFeed(f"{url}: expected RSS or Atom, got {_what_it_is(data)}")
    if result.get("bozo"):
        problem = result.get("bozo_exception")
        warnings.insert(0, _one_line(f"{type(problem).__name__}: {problem}"))
    entries: list[FeedEntry] = []
    seen_keys: set[str] = set()
    seen_guids: set[str] = set()
    dropped = duplicates = 0
    for raw in result.entries:
        if len(entries) == max_entries:
            break  # entries past the cap are counted in total_entries, not examined
        guid = _text(raw.get("id"), GUID_MAX)
        link = _entry_link(raw, url, guid)
        if link is None:
            dropped += 1
            continue
        if key(link) in seen_keys or (guid is not None and guid in seen_guids):
            duplicates += 1
            continue
        seen_keys.add(key(link))
        if guid is not None:
            seen_guids.add(guid)
        entries.append(
            FeedEntry(
                url=link,
                guid=guid,
                title=_text(raw.get("title"), TITLE_MAX),
                published=_published(raw),
                summary=_text(raw.get("summary"), SUMMARY_MAX),
            )
        )
    return ParsedFeed(
        title=_text(result.feed.get("title"), TITLE_MAX),
        entries=tuple(entries),
        bozo="; ".join(warnings) or None,
        total_entries=len(result.entries),
        dropped=dropped,
        duplicates=duplicates,
    )


def parse_sitemap(
    data: bytes, url: str, *, max_entries: int = 5000, max_bytes: int = SITEMAP_MAX_BYTES
) -> tuple[list[FeedEntry], list[str]]:
    """Article entries of a (news) sitemap, and the sitemap URLs of a sitemap index.

    `published` is news:publication_date (a plain <lastmod> is when the page
    changed, not when it was published, and is not used). A gzipped sitemap
    (.xml.gz served as is) is inflated up to `max_bytes`. Raise NotAFeed when
    the bytes are not a sitemap.
    """
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, max_bytes, url)
    data = neutralise_doctype(data[:max_bytes])[0]
    parser_options = {
        "resolve_entities": False,
        "no_network": True,
        "huge_tree": False,
        "load_dtd": False,
        "recover": True,
        "remove_comments": True,
        "remove_pis": True,
    }
    entries: list[FeedEntry] = []
    nested: list[str] = []
    seen: set[str] = set()
    root_name = None
    try:
        events = etree.iterparse(io.BytesIO(data), events=("start", "end"), **parser_options)
        for event, element in events:
            name = etree.QName(element).localname if isinstance(element.tag, str) else ""
            if root_name is None:
                root_name = name
                if name not in ("urlset", "sitemapindex"):
                    raise NotAFeed(f"{url}: expected a sitemap, got a <{name[:50]}> document")
                continue
            if event != "end" or name not in ("url", "sitemap"):
                continue
            loc = _absolute(_child_text(element, "loc"), url)
            news = element.find("{*}news")
            title = published = None
            if news is not None:
                title = _text(_child_text(news, "title"), TITLE_MAX)
                published = _text(_child_text(news, "publication_date"), 200)
            _forget(element)
            if loc is None or key(loc) in seen:
                continue
            seen.add(key(loc))
            if name == "sitemap" and root_name == "sitemapindex":
                if len(nested) < max_entries:
                    nested.append(loc)
            elif name == "url" and root_name == "urlset":
                if len(entries) >= max_entries:
                    break
                entries.append(FeedEntry(loc, None, title, published, None))
    except etree.XMLSyntaxError as exc:
        if root_name is None:
            raise NotAFeed(f"{url}: expected a sitemap, got {_what_it_is(data)}") from exc
    if root_name is None:
        raise NotAFeed(f"{url}: expected a sitemap, got {_what_it_is(data)}")
    return entries, nested


def neutralise_doctype(data: bytes) -> tuple[bytes, bool]:
    """`data` without DOCTYPE or ENTITY declarations in its prolog, and whether entities
    were declared (a bare DOCTYPE such as Netscape's RSS 0.91 one goes silently).

    Documents in UTF-16/32 are first re-encoded as UTF-8 (with their XML
    declaration corrected), so that a declaration cannot hide between NUL bytes.
    """
    for mark, encoding in _WIDE:
        if data.startswith(mark):
            text = data.decode(encoding, "replace").lstrip("\ufeff")
            data = _XML_DECL_ENCODING.sub(rb"\1\2utf-8\2", text.encode("utf-8"), count=1)
            break
    start = 3 if data.startswith(codecs.BOM_UTF8) else 0
    i, had_entities, n = start, False, len(data)
    while i < n:
        while i < n and data[i] in b" \t\r\n":
            i += 1
        if data.startswith(b"<?", i):
            end = data.find(b"?>", i + 2)
            i = n if end < 0 else end + 2
        elif data.startswith(b"<!--", i):
            end = data.find(b"-->", i + 4)
            i = n if end < 0 else end + 3
        elif data[i : i + 9].upper() == b"<!DOCTYPE" or data[i : i + 8].upper() == b"<!ENTITY":
            end = _declaration_end(data, i)
            had_entities = had_entities or b"<!entity" in data[i:end].lower()
            data = data[:i] + data[end:]
            n = len(data)
        else:
            break
    return data, had_entities


def _declaration_end(data: bytes, i: int) -> int:
    """Index just past the `<!DOCTYPE ...>` or `<!ENTITY ...>` starting at `i` (or the end)."""
    depth, quote, n = 0, 0, len(data)
    i += 2
    while i < n:
        c = data[i]
        if quote:
            if c == quote:
                quote = 0
        elif c in b"\"'":
            quote = c
        elif data.startswith(b"<!--", i):
            end = data.find(b"-->", i + 4)
            if end < 0:
                return n
            i = end + 3
            continue
        elif c == ord("["):
            depth += 1
        elif c == ord("]"):
            depth = max(0, depth - 1)
        elif c == ord(">") and depth == 0:
            return i + 1
        i += 1
    return n


def _entry_link(raw, base: str, guid: str | None) -> str | None:
    candidates = [raw.get("link")]
    candidates += [
        link.get("href") for link in raw.get("links", ()) if link.get("rel") == "alternate"
    ]
    if guid and raw.get("guidislink", True):
        candidates.append(guid)
    for candidate in candidates:
        link = _absolute(candidate, base)
        if link is not None:
            return link
    return None


def _absolute(value: object, base: str) -> str | None:
    """The canonical http(s) URL `value` names relative to `base`, or None."""
    if not isinstance(value, str):
        return None
    value = _WHITESPACE.sub("%20", _CONTROL.sub("", value).strip())
    if not value or len(value) > URL_MAX:
        return None
    try:
        absolute = urljoin(base, value)
        if urlsplit(absolute).scheme not in ("http", "https"):
            return None
        link = canonical(absolute)
        parts = urlsplit(link)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return link


def _text(value: object, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    value = _CONTROL.sub("", value[: limit * 2]).strip()[:limit].strip()
    return value or None


def _published(raw) -> str | None:
    for name in ("published", "updated", "created"):
        text = _text(raw.get(name), 200)
        if text:
            return text
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = raw.get(name)
        if parsed:
            return datetime.fromtimestamp(timegm(parsed), UTC).isoformat()
    return None


def _child_text(element, name: str, namespace: str = "*") -> str | None:
    found = element.find(f"{{{namespace}}}{name}")
    return found.text if found is not None and isinstance(found.text, str) else None


def _forget(element) -> None:
    """Free a parsed <url>/<sitemap> and its earlier siblings: memory stays flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _gunzip(data: bytes, max_bytes: int, url: str) -> bytes:
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise NotAFeed(f"{url}: corrupt gzip sitemap ({exc})") from exc
    if len(out) > max_bytes:
        raise NotAFeed(f"{url}: gzipped sitemap inflates past {max_bytes} bytes")
    return out


def _what_it_is(data: bytes) -> str:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        return "an empty document"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:1024]:
        return "an HTML page"
    if head[:1] == b"{":
        return "JSON"
    preview = _one_line(head[:60].decode("utf-8", "replace"))
    return f"no RSS, Atom or RDF root element (starts with {preview!r})"


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub("", text).split())[:300]

