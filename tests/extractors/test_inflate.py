"""The one bounded inflater (HTTP bodies in fetch, gzipped sitemaps in feeds)."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest

from extractors.sources.inflate import PIECE, CorruptStream, Inflater, TooLarge, inflate
from tests.support.server import gzip_bomb


def _raw_deflate(data: bytes) -> bytes:
    squeezer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return squeezer.compress(data) + squeezer.flush()


TEXT = "".join(f"<url><loc>https://e.fr/{i}</loc></url>\n" for i in range(20_000)).encode()


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("gzip", gzip.compress(TEXT)),
        ("gzip", gzip.compress(TEXT[:1000]) + gzip.compress(TEXT[1000:])),  # two members: one stream
        ("gzip", gzip.compress(TEXT) + b"\x00\x00 trailing junk"),  # ignored, as browsers do
        ("deflate", zlib.compress(TEXT)),
        ("deflate", _raw_deflate(TEXT)),  # what many servers send as "deflate"
    ],
)
def test_inflates_whole_and_in_reads_alike(encoding: str, data: bytes):
    assert inflate(data, encoding, len(TEXT)) == TEXT
    inflater = Inflater(encoding)
    pieces = [p for i in range(0, len(data), 1000) for p in inflater.feed(data[i : i + 1000])]
    assert b"".join(pieces) == TEXT and inflater.complete
    assert max(map(len, pieces)) <= PIECE


def test_the_cap_is_exact():
    data = gzip.compress(TEXT)
    assert inflate(data, "gzip", len(TEXT)) == TEXT
    with pytest.raises(TooLarge, match=f"past {len(TEXT) - 1} bytes"):
        inflate(data, "gzip", len(TEXT) - 1)


def test_a_bomb_stops_at_the_cap_with_little_memory():
    bomb = gzip_bomb(256 << 20)  # 256 KB that inflates to 256 MiB
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge):
            inflate(bomb, "gzip", 1_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(bomb) + 3_000_000, peak


def test_corrupt_and_cut_short():
    data = gzip.compress(TEXT)
    with pytest.raises(CorruptStream):
        inflate(b"\x1f\x8b" + b"not gzip at all" * 10, "gzip", 10**6)
    inflater = Inflater("gzip")
    cut = b"".join(inflater.feed(data[: len(data) // 2]))
    assert TEXT.startswith(cut) and not inflater.complete
    assert inflate(data[: len(data) // 2], "gzip", 10**6) == cut  # what it holds, as before
