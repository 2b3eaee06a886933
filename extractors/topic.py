"""Topic relevance from a weighted term profile kept in TOML.

A profile lists terms (accent- and case-insensitive; a trailing `*` matches
any word ending) with weights, a threshold, and optionally `require_any`: at
least one of those terms must occur, so that an article that only shares the
general vocabulary (war, Russia) does not pass on volume alone.

The score is the sum over terms of weight * min(count, cap): repeating one
word many times cannot carry an article over the threshold.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from extractors.textnorm import words

_SPACE = r"\s"
DEFAULT_PROFILE = Path(__file__).parent / "data" / "topic.toml"


class ProfileError(ValueError):
    """The topic profile is invalid; the message names the file."""


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    weight: float
    pattern: re.Pattern[str]


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
    parts: list[str] = []
    for raw in term.split():
        tokens = words(raw.rstrip("*"))
        if tokens:
            tail = r"\w*" if raw.endswith("*") else ""
            parts.append(_SPACE.join(re.escape(t) for t in tokens) + tail)
    if not parts:
        raise ProfileError(f"empty topic term {term!r}")
    return Term(term, weight, re.compile(r"(?<!\w)" + _SPACE.join(parts) + r"(?!\w)"))


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


def score(text: str, profile: Profile) -> Score:
    folded = " ".join(words(text))
    matched: dict[str, int] = {}
    total = 0.0
    for term in profile.terms:
        count = len(term.pattern.findall(folded))
        if count:
            matched[term.text] = count
            total += term.weight * min(count, profile.cap)
    required = not profile.require_any or any(t.pattern.search(folded) for t in profile.require_any)
    return Score(round(total, 2), matched, required)
