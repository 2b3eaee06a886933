"""The duplicate decision: which candidates of a batch are new, and which
repeat a stored article or an earlier candidate of the same batch.

The decision is pure: what is already stored is asked through `StoredIndex`,
which the store answers with SQL (storage/store.py), so the rules live here
beside the fingerprints they compare, and the store only keeps rows.
Order of the tests, for each candidate: the same URL key, then the same
content hash, then the most similar near-duplicate at or above the threshold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from extractors.core import urls
from extractors.core.records import Candidate, Duplicate, DuplicateKind
from extractors.dedup import fingerprint


def article_id(url_key: str) -> str:
    """An article's id: stable for its URL key, whatever run stores it."""
    return hashlib.sha256(url_key.encode("utf-8")).hexdigest()[:16]


class StoredIndex(Protocol):
    """What the decision needs to know about stored articles."""

    def ids_by_url_key(self, keys: Sequence[str]) -> dict[str, str]: ...

    def ids_by_content_hash(self, hashes: Sequence[str]) -> dict[str, str]: ...

    def ids_by_bucket(self, buckets: Sequence[int]) -> list[tuple[int, str]]: ...

    def signatures(self, ids: Sequence[str]) -> dict[str, Sequence[int]]: ...


def decide(
    index: StoredIndex, candidates: Sequence[Candidate], threshold: float
) -> tuple[list[Candidate], list[Duplicate]]:
    """The new candidates, in batch order, and the duplicates."""
    if not candidates:
        return [], []
    keys = [urls.key(c.url) for c in candidates]
    by_url = index.ids_by_url_key(keys)
    by_hash = index.ids_by_content_hash([c.content_hash for c in candidates])
    cand_bands = [fingerprint.bands(c.minhash) for c in candidates]
    near_ids = _band_matches(index, cand_bands)
    signatures = dict(index.signatures(sorted({a for ids in near_ids.values() for a in ids})))

    stored: list[Candidate] = []
    duplicates: list[Duplicate] = []
    batch_bands: dict[tuple[int, int], list[str]] = {}
    for i, (cand, key, bands) in enumerate(zip(candidates, keys, cand_bands, strict=True)):
        near = set(near_ids.get(i, ()))
        for band, bucket in enumerate(bands):
            near.update(batch_bands.get((band, bucket), ()))
        found = _match(cand, key, by_url, by_hash, near, signatures, threshold)
        if found:
            duplicates.append(found)
            continue
        aid = article_id(key)
        stored.append(cand)
        by_url[key] = aid
        by_hash[cand.content_hash] = aid
        signatures[aid] = cand.minhash
        for band, bucket in enumerate(bands):
            batch_bands.setdefault((band, bucket), []).append(aid)
    return stored, duplicates


def _match(
    cand: Candidate,
    key: str,
    by_url: dict[str, str],
    by_hash: dict[str, str],
    near: set[str],
    signatures: dict[str, Sequence[int]],
    threshold: float,
) -> Duplicate | None:
    def dup(of: str, kind: DuplicateKind, sim: float) -> Duplicate:
        return Duplicate(cand.location, cand.url, of, kind, round(sim, 4), cand.feed_url)

    if key in by_url:
        return dup(by_url[key], DuplicateKind.URL, 1.0)
    if cand.content_hash in by_hash:
        return dup(by_hash[cand.content_hash], DuplicateKind.EXACT, 1.0)
    best: tuple[float, str] | None = None
    for other in sorted(near):
        sim = fingerprint.similarity(cand.minhash, signatures[other])
        if sim >= threshold and (best is None or sim > best[0]):
            best = (sim, other)
    return dup(best[1], DuplicateKind.NEAR, best[0]) if best else None


def _band_matches(index: StoredIndex, cand_bands: list[list[int]]) -> dict[int, set[str]]:
    """Stored articles sharing an LSH bucket with each candidate. A bucket
    hashes the band number with its rows, so matching on the bucket alone is
    matching on (band, bucket)."""
    wanted: dict[int, list[int]] = {}
    for i, bands in enumerate(cand_bands):
        for bucket in bands:
            wanted.setdefault(bucket, []).append(i)
    out: dict[int, set[str]] = {}
    for bucket, aid in index.ids_by_bucket(list(wanted)):
        for i in wanted[bucket]:
            out.setdefault(i, set()).add(aid)
    return out
