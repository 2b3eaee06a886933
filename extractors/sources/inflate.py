"""gzip and deflate undone in bounded pieces, so a bomb stops at a cap.

One inflater for both shapes compressed input comes in: an HTTP body that
arrives in reads (`fetch`, which caps the body as it streams) and a gzipped
file held whole (a sitemap.xml.gz, `inflate`). No zlib call produces more
than `PIECE` bytes, so a 64 KiB read never turns into tens of megabytes
before the cap is checked.

Not trafilatura.utils.handle_compressed_file(max_size=): over the cap, or on a
corrupt stream, it logs a warning and returns the compressed bytes as they
were, so a bomb cannot be told from a plain file (nor be refused with its
reason), and it only takes the whole input at once.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from extractors.core.errors import TerminalError

PIECE = 64 * 1024  # most bytes produced by one zlib call, and most input given to one
_GZIP_MAGIC = b"\x1f\x8b"


class InflateError(TerminalError, ValueError):
    """Compressed bytes that do not inflate within the rules."""


class CorruptStream(InflateError):
    """Not valid gzip or deflate."""


class TooLarge(InflateError):
    """Inflates past the cap."""


class Inflater:
    """Undo gzip or deflate without ever producing more than `PIECE` bytes at once.

    Concatenated gzip members are one stream (RFC 1952, as `gzip -d` reads
    them); bytes after the end of the stream that start no member are ignored,
    as browsers do. "deflate" is zlib-wrapped or, often, raw: both are read."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._raw_fallback = not self._gzip
        self._z = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self.seen_input = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The inflated pieces of the next compressed `data`; raise CorruptStream."""
        try:
            yield from self._feed(data)
        except zlib.error as exc:
            raise CorruptStream(str(exc)) from exc

    def _feed(self, data: bytes) -> Iterator[bytes]:
        self.seen_input = self.seen_input or bool(data)
        while True:
            if self._z.eof:
                data = self._z.unused_data + data
                if not (self._gzip and data[:2] == _GZIP_MAGIC):
                    return
                self._z = zlib.decompressobj(zlib.MAX_WBITS | 16)  # next gzip member
            try:
                out = self._z.decompress(data, PIECE)
            except zlib.error:
                if not self._raw_fallback:
                    raise
                self._raw_fallback = False
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self._z.decompress(data, PIECE)
            self._raw_fallback = False
            if out:
                yield out
            data = self._z.unconsumed_tail
            if not data and len(out) < PIECE and not (self._z.eof and self._z.unused_data):
                return

    @property
    def complete(self) -> bool:
        """The stream reached its end (or nothing was fed): a False means cut short."""
        return self._z.eof or not self.seen_input


def inflate(data: bytes, encoding: str, max_bytes: int) -> bytes:
    """All of compressed `data`, inflated; raise TooLarge past `max_bytes`
    (at most `PIECE` bytes more are ever held) and CorruptStream when it is not
    gzip or deflate. A stream cut short gives what it holds.

    `data` goes in `PIECE` at a time: given whole, zlib would copy the
    unconsumed rest of it after every piece (twice the time on a 30 MB sitemap)."""
    inflater = Inflater(encoding)
    out = bytearray()
    for start in range(0, len(data), PIECE):
        for piece in inflater.feed(data[start : start + PIECE]):
            if len(out) + len(piece) > max_bytes:
                raise TooLarge(f"inflates past {max_bytes} bytes")
            out += piece
    return bytes(out)
