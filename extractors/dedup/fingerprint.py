"""Duplicate detection primitives: exact content hashes and MinHash/LSH.

Exact: SHA-256 of the folded word sequence, so that a copy differing only in
case, accents, punctuation or line breaks is the same content.

Near: MinHash over word 5-shingles. Signatures are cut into LSH bands; two
articles whose bands collide are candidates, and a candidate is a duplicate
when the MinHash estimate of their Jaccard similarity reaches the threshold.
Bands are stored with the articles and joined in the database, so a lookup
costs the same whatever the number of articles stored (no pairwise scan).
Shingles of five words are long enough that two different articles quoting
the same sentences stay well apart, and short enough that an edited copy (a
paragraph dropped, a few words changed) stays close.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from extractors.core.textnorm import words

if TYPE_CHECKING:
    from datasketch import MinHash

NUM_PERM = 128
SHINGLE = 5
BANDS = 32
ROWS = 4  # BANDS * ROWS <= NUM_PERM; (32, 4) finds pairs from Jaccard ~0.4 up
_SEED = 1


@dataclass(frozen=True, slots=True)
class Fingerprint:
    content_hash: str
    minhash: tuple[int, ...]


@lru_cache(maxsize=1)
def _template() -> MinHash:
    """Permutations drawn once, not per article. datasketch is imported here,
    not at module level: it pulls in scipy (half a second), and the single
    writer, which only needs `bands` and `similarity`, never computes a MinHash."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=_SEED)


def warm() -> None:
    """Import datasketch (and scipy under it) and draw the permutations now:
    a worker otherwise pays about half a second at its first article."""
    _template()


def _hash(tokens: Sequence[str]) -> str:
    return hashlib.sha256(" ".join(tokens).encode("utf-8")).hexdigest()


def content_hash(text: str) -> str:
    return _hash(words(text))


def shingles(tokens: Sequence[str], size: int = SHINGLE) -> set[bytes]:
    if len(tokens) <= size:
        return {" ".join(tokens).encode("utf-8")} if tokens else set()
    return {" ".join(tokens[i : i + size]).encode("utf-8") for i in range(len(tokens) - size + 1)}


def _minhash(tokens: Sequence[str]) -> tuple[int, ...]:
    template = _template()
    m = type(template)(num_perm=NUM_PERM, seed=_SEED, permutations=template.permutations,
                       scheme=template.scheme)  # fmt: skip
    m.update_batch(list(shingles(tokens)))
    return tuple(m.hashvalues.tolist())


def minhash(text: str) -> tuple[int, ...]:
    return _minhash(words(text))


def fingerprint(text: str) -> Fingerprint:
    tokens = words(text)
    return Fingerprint(_hash(tokens), _minhash(tokens))


def bands(signature: Sequence[int]) -> list[int]:
    """One 63-bit bucket per band (fits DuckDB BIGINT), stable across processes."""
    out = []
    for b in range(BANDS):
        chunk = signature[b * ROWS : (b + 1) * ROWS]
        digest = hashlib.blake2b(struct.pack(f"<H{ROWS}Q", b, *chunk), digest_size=8).digest()
        out.append(int.from_bytes(digest, "little") >> 1)
    return out


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """MinHash estimate of the Jaccard similarity of two signatures."""
    return float(np.mean(np.asarray(a, dtype=np.uint64) == np.asarray(b, dtype=np.uint64)))
