"""RSS/Atom feeds and news sitemaps, from bytes to `Entry` records.

Feeds are hostile input. feedparser is handed bytes wrapped in a stream, never
a string: given a string (or even bytes) it may treat the value as a URL to
fetch or a path to open (bytes such as b"/etc/passwd" are opened as a file).

Entity declarations are what the billion-laughs attack expands (feedparser
keeps those it deems "safe" and its fallback parser expands them without
limit: a 130 KB feed gives a 1 GB title) and what XXE uses to read files or
make requests. So before feedparser sees a feed, the document is cut to
`max_bytes`, decoded to text by feedparser's own routine (HTTP charset, byte
order mark, XML declaration and its fallbacks, as RFC 3023 orders them: the
text cleaned is the text feedparser would have parsed, whatever the encoding,
UTF-7 and EBCDIC included), and every DOCTYPE (internal subset included) and
ENTITY declaration before the first element is removed, whatever precedes it
(junk, a form feed, a no-break space, comments). feedparser then gets the
cleaned text as UTF-8, declared as UTF-8, so it cannot decode it differently.
Bytes that decode in no encoding are refused (NotAFeed), never passed on raw.
Entities a legitimate feed declares are lost, which costs at worst a warning
and an unexpanded `&name;`.

Errors and warnings never quote the document: a NotAFeed names the URL, what
the document looks like (HTML, JSON, the name of its first element when that
is a plain XML name), its size and its media type.

Entries come out canonical and unique: one entry per canonical URL key (so
http/https, www and utm_* variants are one entry) and per GUID, only http(s)
links, text fields without NUL or control bytes and with a length cap.
"""

from __future__ import annotations

import io
import re
import xml.sax
from calendar import timegm
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import feedparser
from feedparser.encodings import convert_to_utf8
from feedparser.exceptions import CharacterEncodingOverride, NonXMLContentType
from lxml import etree

from extractors.core.errors import TerminalError
from extractors.core.records import Entry
from extractors.core.textnorm import strip_control
from extractors.core.urls import canonical, key
from extractors.sources.inflate import CorruptStream, TooLarge, inflate
from extractors.text.encoding import WIDE_BOMS

TITLE_MAX = 1000
SUMMARY_MAX = 10_000
GUID_MAX = 2000
URL_MAX = 4096
SITEMAP_MAX_BYTES = 50_000_000  # the sitemap protocol's own limit, uncompressed

_WHITESPACE = re.compile(r"\s+")
_XML_DECL_ENCODING = re.compile(rb"""^(<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")
_XML_DECLARATION = re.compile(r"^<\?xml[^>]*>")
# What ends the prolog scan (an element whose name starts as feedparser's `<\w` does: it
# takes everything before as the prolog it looks for entities in) and what the scan skips
# or removes on the way.
_PROLOG_MARK = re.compile(r"<(?:[A-Za-z0-9_]|\?|!--|!\[CDATA\[|!\s*(?:DOCTYPE|ENTITY))", re.I | re.A)
_DECLARATION_TOKEN = re.compile(r"""<!--|"[^"]*"?|'[^']*'?|[\[\]>]""")
_LEFTOVER_DECLARATION = re.compile(r"<!(?=\s*(?:DOCTYPE|ENTITY))", re.I)
_ENTITY = re.compile(r"<!\s*ENTITY", re.I)
_FIRST_TAG = re.compile(r"<([A-Za-z_][A-Za-z0-9_.:-]{0,49})[\s/>]")
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,49}")
_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+/-]{0,79}")
_WIDE = (  # byte order marks and the first bytes of "<?" in encodings that are not ASCII-based
    *WIDE_BOMS,
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)


class NotAFeed(TerminalError, ValueError):
    """Something other than a feed (an HTML page, garbage) where a feed was expected."""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    entries: tuple[Entry, ...]
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
    are what the server declared, as in `FetchedPage`; they are weighed against
    the document's own declaration as feedparser does (RFC 3023). Raise NotAFeed
    when the bytes are not a feed at all, or are not text in any encoding.
    """
    warnings = []
    size = len(data)
    if len(data) > max_bytes:
        data = data[:max_bytes]
        warnings.append(f"document cut to its first {max_bytes} bytes")
    # Without a Content-Type feedparser would assume ISO-8859-1 (it does when other
    # headers are present); application/xml means "as the document declares, else UTF-8".
    declared = content_type or "application/xml"
    if charset and "charset=" not in declared.lower():
        declared += f"; charset={charset}"
    media_type = declared.split(";", 1)[0].strip()
    text, encoding_warning = _decode(data, declared, url, size, media_type)
    text, had_entities = _strip_declarations(text)
    if encoding_warning:
        warnings.append(encoding_warning)
    if had_entities:
        warnings.append("entity declarations removed, not expanded")
    # The text goes on as UTF-8 and says so in every place feedparser looks: the
    # charset (what it trusts for application/*, text/*) and the XML declaration
    # (what it trusts for other media types), which _decode left as utf-8. The media
    # type stays, so feedparser still notes a feed served as text/html.
    # No Content-Location: as a base it makes feedparser join URLs at every element,
    # doubling its time; entry links are joined to `url` below instead.
    headers = {"content-type": f"{media_type}; charset=utf-8"}
    try:
        result = feedparser.parse(io.BytesIO(text.encode("utf-8")), response_headers=headers)
    except Exception as exc:  # feedparser's bugs become a verdict on the input
        raise NotAFeed(
            f"{url}: unreadable as a feed (feedparser failed with {type(exc).__name__}"
            f" on {_size_and_type(size, media_type)})"
        ) from exc
    if not result.get("version") and not result.entries:
        raise NotAFeed(
            f"{url}: expected RSS or Atom, got {_what_it_is(text)} ({_size_and_type(size, media_type)})"
        )
    if result.get("bozo"):
        warnings.insert(0, _problem(result.get("bozo_exception"), declared))
    entries: list[Entry] = []
    seen_keys: set[str] = set()
    seen_guids: set[str] = set()
    dropped = duplicates = 0
    for raw in result.entries:
        if len(entries) == max_entries:
            break  # entries past the cap are counted in total_entries, not examined
        guid = plain_text(raw.get("id"), GUID_MAX)
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
            Entry(
                url=link,
                guid=guid,
                title=plain_text(raw.get("title"), TITLE_MAX),
                published=_published(raw),
                summary=plain_text(raw.get("summary"), SUMMARY_MAX),
            )
        )
    return ParsedFeed(
        title=plain_text(result.feed.get("title"), TITLE_MAX),
        entries=tuple(entries),
        bozo="; ".join(warnings) or None,
        total_entries=len(result.entries),
        dropped=dropped,
        duplicates=duplicates,
    )


def parse_sitemap(
    data: bytes, url: str, *, max_entries: int = 5000, max_bytes: int = SITEMAP_MAX_BYTES
) -> tuple[list[Entry], list[str]]:
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
    entries: list[Entry] = []
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
                    got = _plain(name, _PLAIN_NAME) or "another"
                    raise NotAFeed(f"{url}: expected a sitemap, got a <{got}> document ({len(data)} bytes)")
                continue
            if event != "end" or name not in ("url", "sitemap"):
                continue
            loc = absolute_url(_child_text(element, "loc"), url)
            news = element.find("{*}news")
            title = published = None
            if news is not None:
                title = plain_text(_child_text(news, "title"), TITLE_MAX)
                published = plain_text(_child_text(news, "publication_date"), 200)
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
                entries.append(Entry(url=loc, title=title, published=published))
    except etree.XMLSyntaxError as exc:
        if root_name is None:
            raise NotAFeed(f"{url}: expected a sitemap, got {_sitemap_what(data)}") from exc
    if root_name is None:
        raise NotAFeed(f"{url}: expected a sitemap, got {_sitemap_what(data)}")
    return entries, nested


def neutralise_doctype(data: bytes) -> tuple[bytes, bool]:
    """`data` without DOCTYPE or ENTITY declarations before its first element, and
    whether entities were declared (a bare DOCTYPE such as Netscape's RSS 0.91 one
    goes silently). See `_strip_declarations`.

    Documents in UTF-16/32 are first re-encoded as UTF-8 (with their XML
    declaration corrected), so that a declaration cannot hide between NUL bytes;
    other documents are scanned as ASCII-compatible bytes. parse_feed does not
    rely on this: it decodes first, whatever the encoding.
    """
    for mark, encoding in _WIDE:
        if data.startswith(mark):
            text = data.decode(encoding, "replace").lstrip("\ufeff")
            data = _XML_DECL_ENCODING.sub(rb"\1\2utf-8\2", text.encode("utf-8"), count=1)
            break
    text, had_entities = _strip_declarations(data.decode("latin-1"))
    return text.encode("latin-1"), had_entities


def _decode(data: bytes, content_type: str, url: str, size: int, media_type: str) -> tuple[str, str | None]:
    """The text feedparser would parse in `data`, and a warning when the declared
    encoding was not the one that worked.

    feedparser's own routine does the decoding (HTTP charset, BOM, the EBCDIC and
    UTF-16/32 signatures, the XML declaration, then UTF-8, Windows-1252 and
    ISO-8859-2), so the text cleaned here is exactly the text it would parse. The
    result starts with an XML declaration that says utf-8."""
    verdict: dict = {}
    try:
        converted = convert_to_utf8({"content-type": content_type}, data, verdict)
        if not verdict.get("encoding"):  # no encoding fits: `converted` is the raw bytes
            raise UnicodeError("no encoding fits")
        text = converted.decode("utf-8")
    except Exception as exc:  # UnicodeError (a lone surrogate, a codec that fails), bugs
        raise NotAFeed(
            f"{url}: unreadable as a feed (not text in any encoding: {_size_and_type(size, media_type)})"
        ) from exc
    if not _XML_DECLARATION.match(text):  # feedparser always writes one; be sure of it
        text = "<?xml version='1.0' encoding='utf-8'?>\n" + text
    warning = None
    if isinstance(verdict.get("bozo_exception"), CharacterEncodingOverride):
        used = _plain(verdict["encoding"], _PLAIN_TOKEN) or "another encoding"
        warning = f"CharacterEncodingOverride: not in its declared encoding, read as {used}"
    return text, warning


def _strip_declarations(text: str) -> tuple[str, bool]:
    """`text` without any DOCTYPE (internal subset included) or ENTITY declaration
    before its first element, whatever precedes them, and whether entities were
    declared.

    The scan goes past anything that is not an element: an XML declaration,
    processing instructions, comments, CDATA sections, and junk (text, a form feed, a
    no-break space, an element whose name does not start with an ASCII letter, digit
    or "_"). It stops only where feedparser's own prolog ends (its `<\\w`), which is
    also past where an XML parser's prolog ends. A DOCTYPE or ENTITY still written
    in what it kept (inside a comment, a processing instruction, a CDATA section:
    feedparser's regular expressions see those too) has its "<" escaped.
    """
    kept: list[str] = []
    start = i = 0
    stop = n = len(text)
    had_entities = False
    while (found := _PROLOG_MARK.search(text, i)) is not None:
        j, mark = found.start(), found.group()
        if mark == "<?":
            end = text.find("?>", j + 2)
            i = n if end < 0 else end + 2
        elif mark == "<!--":
            end = text.find("-->", j + 4)
            i = n if end < 0 else end + 3
        elif mark.upper() == "<![CDATA[":
            end = text.find("]]>", j + 9)
            i = n if end < 0 else end + 3
        elif mark.startswith("<!"):  # DOCTYPE or ENTITY: removed
            end = _declaration_end(text, j)
            had_entities = had_entities or _ENTITY.search(text, j, end) is not None
            kept.append(text[start:j])
            start = i = end
        else:  # the first element
            stop = j
            break
    kept.append(text[start:stop])
    prolog = "".join(kept)
    had_entities = had_entities or _ENTITY.search(prolog) is not None
    prolog = _LEFTOVER_DECLARATION.sub("&lt;!", prolog)
    return prolog + text[stop:], had_entities


def _declaration_end(text: str, i: int) -> int:
    """Index just past the `<!DOCTYPE ...>` or `<!ENTITY ...>` starting at `i` (or the end):
    the first ">" outside quoted strings, comments and the [internal subset]."""
    depth, position, n = 0, i + 2, len(text)
    while (token := _DECLARATION_TOKEN.search(text, position)) is not None:
        mark, position = token.group(), token.end()
        if mark == "<!--":
            end = text.find("-->", position)
            if end < 0:
                return n
            position = end + 3
        elif mark == "[":
            depth += 1
        elif mark == "]":
            depth = max(0, depth - 1)
        elif mark == ">" and depth == 0:
            return position
        # else a quoted string, skipped whole (one left open runs to the end)
    return n


def _entry_link(raw, base: str, guid: str | None) -> str | None:
    candidates = [raw.get("link")]
    candidates += [link.get("href") for link in raw.get("links", ()) if link.get("rel") == "alternate"]
    if guid and raw.get("guidislink", True):
        candidates.append(guid)
    for candidate in candidates:
        link = absolute_url(candidate, base)
        if link is not None:
            return link
    return None


def absolute_url(value: object, base: str) -> str | None:
    """The canonical http(s) URL `value` names relative to `base`, or None."""
    if not isinstance(value, str):
        return None
    value = _WHITESPACE.sub("%20", strip_control(value).strip())
    if not value or len(value) > URL_MAX:
        return None
    try:
        # Not courlan.fix_relative_urls: it turns "//host/x" into http://host/x even
        # from an https base (urljoin keeps https) and returns "{...}" unjoined.
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


def plain_text(value: object, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    value = strip_control(value[: limit * 2]).strip()[:limit].strip()
    return value or None


def _published(raw) -> str | None:
    for name in ("published", "updated", "created"):
        text = plain_text(raw.get(name), 200)
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
    try:
        return inflate(data, "gzip", max_bytes)
    except CorruptStream as exc:
        raise NotAFeed(f"{url}: corrupt gzip sitemap ({exc})") from exc
    except TooLarge as exc:
        raise NotAFeed(f"{url}: gzipped sitemap inflates past {max_bytes} bytes") from exc


def _what_it_is(text: str, expected: str = "RSS, Atom or RDF") -> str:
    """What a document that is not the expected one looks like, without quoting it
    (at most the name of its first element, when that is a plain XML name)."""
    head = _XML_DECLARATION.sub("", text[:4096].lstrip("\ufeff \t\r\n"), count=1)
    head = head.lstrip("\ufeff \t\r\n")
    if not head:
        return "an empty document"
    lowered = head[:2048].lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<html" in lowered[:1024]:
        return "an HTML page"
    if head[:1] == "{":
        return "JSON"
    first = _FIRST_TAG.search(head)
    if first is None:
        return f"no {expected} root element (no element)"
    return f"no {expected} root element (first element <{first.group(1)}>)"


def _sitemap_what(data: bytes) -> str:
    what = _what_it_is(data[:4096].decode("utf-8", "replace"), "urlset or sitemapindex")
    return f"{what} ({len(data)} bytes)"


def _size_and_type(size: int, media_type: str | None) -> str:
    return f"{size} bytes of {_plain(media_type, _PLAIN_TOKEN) or 'unnamed media type'}"


def _plain(value: object, pattern: re.Pattern[str]) -> str | None:
    """`value` when it is a plain token (a name, a media type, an encoding), else None."""
    return value if isinstance(value, str) and pattern.fullmatch(value) else None


def _problem(exc: object, content_type: str) -> str:
    """A one-line description of what feedparser found wrong, without quoting the
    document: the XML parser's messages are a position and a fixed text (expat's),
    the Content-Type is the server's header; other exceptions (some quote the
    document) go by their name only."""
    name = type(exc).__name__
    if isinstance(exc, xml.sax.SAXParseException):
        return _one_line(f"{name}: {exc}")  # <unknown>:line:column: message
    if isinstance(exc, NonXMLContentType):  # feedparser was told "; charset=utf-8" too
        return _one_line(f"{name}: {content_type} is not an XML media type")
    return name


def _one_line(text: str) -> str:
    return " ".join(strip_control(text).split())[:300]
