"""Bytes to text, without mojibake.

Order of trust: a byte-order mark, then the charset the input declares (HTTP
header or HTML meta), then UTF-8, then Windows-1252. A declared charset that
fails to decode strictly is a lie (a Latin-1 page that claims UTF-8) and is
skipped. Windows-1252 is the fallback because it is what French text that is
not UTF-8 almost always is; charset-normalizer is asked only when even that
fails (Windows-1252 leaves five bytes undefined).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass

from charset_normalizer import from_bytes

from extractors.core.errors import TerminalError
from extractors.core.textnorm import CONTROL

# Byte-order marks of the encodings that are not ASCII-based, UTF-32 first: its
# little-endian mark begins with UTF-16's.
WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), *WIDE_BOMS)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


class DecodeError(TerminalError, ValueError):
    """The bytes are not text in any encoding we accept (binary data)."""


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str


def html_meta_charset(data: bytes) -> str | None:
    """The charset an HTML document declares in its first few kilobytes."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_binary(text: str) -> bool:
    """More than 1% of the first 8 KiB are control characters (the ones stored
    text may not hold): bytes that decoded by chance, not text."""
    sample = text[:8192]
    return bool(sample) and len(CONTROL.findall(sample)) > len(sample) // 100


def decode(data: bytes, declared: str | Sequence[str | None] | None = None) -> Decoded:
    """Decode `data`; raise DecodeError for binary content.

    `declared` is one charset or several in order of trust (for a web page:
    the HTTP header's, then the HTML meta's)."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            text = _try(data, encoding)
            if text is not None:
                return Decoded(text, encoding)
    if b"\x00" in data[:8192]:
        raise DecodeError("binary content (NUL bytes)")
    named = [declared] if isinstance(declared, str) else list(declared or [])
    candidates = [c for c in named if c] + ["utf-8", "cp1252"]
    for encoding in candidates:
        text = _try(data, encoding)
        if text is not None and not _looks_binary(text):
            return Decoded(text, codecs.lookup(encoding).name)
    best = from_bytes(data).best()
    if best is None or _looks_binary(str(best)):
        raise DecodeError("binary content (no text encoding fits)")
    return Decoded(str(best), best.encoding)
