"""Topic relevance from a weighted term profile kept in TOML.

A profile lists terms (accent- and case-insensitive; a trailing `*` matches
any word ending) with weights, a threshold, and optionally `require_any`: at
least one of those terms must occur, so that an article that only shares the
general vocabulary (war, Russia) does not pass on volume alone.

The score is the sum over terms of weight * min(count, cap): repeating one
word many times cannot carry an article over the threshold.
"""

from __future__ import annotations

import bisect
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from extractors.core.errors import ConfigError
from extractors.core.textnorm import words

DEFAULT_PROFILE = Path(__file__).parent.parent / "data" / "topic.toml"


class ProfileError(ConfigError, ValueError):
    """The topic profile is invalid; the message names the file."""


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    weight: float
    tokens: tuple[tuple[str, bool], ...]  # (folded word, matches as a prefix)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    threshold: float
    cap: int
    terms: tuple[Term, ...]
    require_any: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Score:
    value: float
    matched: dict[str, int]
    required_found: bool

    def passes(self, profile: Profile) -> bool:
        return self.required_found and self.value >= profile.threshold


def _compile(term: str, weight: float) -> Term:
    tokens: list[tuple[str, bool]] = []
    for raw in term.split():
        parts = words(raw.rstrip("*"))
        tokens += [(w, False) for w in parts[:-1]]
        if parts:
            tokens.append((parts[-1], raw.endswith("*")))
    if not tokens:
        raise ProfileError(f"empty topic term {term!r}")
    return Term(term, weight, tuple(tokens))


@lru_cache(maxsize=8)
def load_profile(path: Path | None = None) -> Profile:
    path = Path(path) if path else DEFAULT_PROFILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: cannot load topic profile ({exc})") from exc
    unknown = set(data) - {"name", "threshold", "cap", "terms", "require_any"}
    if unknown:
        raise ProfileError(f"{path}: unknown key '{sorted(unknown)[0]}'")
    try:
        terms = tuple(_compile(t, float(w)) for t, w in data["terms"].items())
        required = tuple(_compile(t, 0.0) for t in data.get("require_any", []))
        return Profile(
            name=str(data.get("name", path.stem)),
            threshold=float(data["threshold"]),
            cap=int(data.get("cap", 3)),
            terms=terms,
            require_any=required,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"{path}: invalid topic profile ({exc!r})") from exc


class _Index:
    """Where each word of a text occurs, for matching terms word by word:
    one pass over the text instead of one regular expression per term."""

    def __init__(self, text: str) -> None:
        self.words = words(text)
        self.positions: dict[str, list[int]] = {}
        for i, w in enumerate(self.words):
            self.positions.setdefault(w, []).append(i)
        self.vocabulary = sorted(self.positions)

    def starts(self, token: str, prefix: bool) -> list[int]:
        if not prefix:
            return self.positions.get(token, [])
        lo = bisect.bisect_left(self.vocabulary, token)
        hi = bisect.bisect_left(self.vocabulary, token + "\uffff")
        return sorted(i for w in self.vocabulary[lo:hi] for i in self.positions[w])

    def count(self, term: Term) -> int:
        (first, first_prefix), rest = term.tokens[0], term.tokens[1:]
        found, next_free = 0, -1
        for i in self.starts(first, first_prefix):
            if i < next_free or i + len(rest) >= len(self.words):
                continue
            if all(
                self.words[i + k].startswith(tok) if prefix else self.words[i + k] == tok
                for k, (tok, prefix) in enumerate(rest, 1)
            ):
                found += 1
                next_free = i + len(term.tokens)
        return found


def score(text: str, profile: Profile) -> Score:
    index = _Index(text)
    matched: dict[str, int] = {}
    total = 0.0
    for term in profile.terms:
        count = index.count(term)
        if count:
            matched[term.text] = count
            total += term.weight * min(count, profile.cap)
    required = not profile.require_any or any(index.count(t) for t in profile.require_any)
    return Score(round(total, 2), matched, required)
