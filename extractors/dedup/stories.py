"""Stories: articles about the same event from different outlets, in different words.

Copies and near-copies are duplicates (`decision.py`); a story groups the
articles that are not copies but report the same event: a speech, a missile
test, a summit. Grouping is incremental, one new article at a time, across
runs, and its cost must not grow with the store, so an article is never
compared with every stored one:

1. **Features** (`features`, in the worker, no database): what an article is
   about, as a small weighted set. Words of the title and of the first
   `LEAD_WORDS` of the body, folded, without stop words (`data/stories.toml`)
   and lightly stemmed ("déploiement", "déploie" -> "deploi"); names (a
   capitalised word inside a sentence, or an acronym) count double, and two
   names in a row make one more feature ("john_kirby"); numbers are features
   ("#2000"), and a number before a month is a date ("#25_mai").
2. **Weights** (`assign`, in the single writer): TF-IDF, the document
   frequencies being those of the articles already stored (kept in the
   database, updated with each article), with `PRIOR_DOCUMENTS` imaginary
   articles that hold none of the features, so that a nearly empty store
   still weighs every feature, and words that every stored article has
   ("nucléaire", "Poutine" under the default topic) weigh almost nothing
   once the store has grown. An article keeps its `TOP_K` heaviest features.
3. **Candidates**: an inverted index (feature -> article, its story, its
   weight, its day) restricted to the days within the window of the new
   article: the articles of other stories within `window_days` that share a
   heavy feature. Their number depends on how much is published within the
   window, not on how much is stored.
4. **Decision**: cosine similarity of the two top-`TOP_K` vectors; the new
   article joins the story of the most similar one when that reaches the
   threshold, else it starts a story of its own (whose id is its own
   article id). Stories never merge, and an article never moves: a story is
   the group of articles that reached it, in the order they came.

The decision is pure: the store answers `StoryIndex` with SQL and writes the
plan (storage/store.py), as for duplicates.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Protocol

import numpy as np

from extractors.core.textnorm import fold

LEAD_WORDS = 700  # of the body: the lede says what happened, the end drifts to context
MAX_FEATURES = 200  # carried per candidate, heaviest first
TOP_K = 40  # features an article is indexed and compared on
PRIOR_DOCUMENTS = 20
TITLE_BOOST = 1.0  # the title counts as one more sentence: 2 and 3 did worse on the labelled set
NAME_BOOST = 2.0
DOCUMENTS = 0  # the term id under which the number of articles counted is kept
Feature = tuple[str, float]  # (feature, how often, boosts included)

_SENTENCE = re.compile(r"(?<=[.!?;:»\"“”])\s+|\n+")
_TOKEN = re.compile(
    r"\d+(?:[ \u00a0\u202f]\d{3})*(?:[.,]\d+)?(?:er|e)?\b|[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE
)
_ELISION = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)
_APOSTROPHE = re.compile(r"(?i)\b(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu|quoiqu)['’]")
_SUFFIXES = ("issements", "issement", "ements", "ement", "ations", "ation", "atrices", "atrice", "ateurs",
             "ateur", "euses", "euse", "eurs", "eur", "iques", "ique", "ments", "ment", "ees", "ee", "es",
             "er", "e", "s", "x")  # fmt: skip
_MIN_STEM = 4
_INVERSION = re.compile(r"(?:-t)?-(?:il|elle|ils|elles|on)$")  # "a-t-il", "est-elle"


@dataclass(frozen=True, slots=True)
class Vocabulary:
    stop: frozenset[str]
    months: frozenset[str]


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    data = tomllib.loads(resources.files("extractors").joinpath("data/stories.toml").read_text("utf-8"))
    stop = frozenset(data["function_words"].split()) | frozenset(data["news_words"].split())
    return Vocabulary(stop, frozenset(data["months"].split()))


def stem(word: str) -> str:
    """A light French stem of a folded word: plural, feminine and a few
    derivational endings off, never below four letters. Light on purpose:
    outlets say "déploiement", "déployer", "déploie"; an aggressive stemmer
    also merges words that mean different things."""
    if len(word) <= _MIN_STEM:
        return word
    if word.endswith("aux") and len(word) > 5:
        return word[:-3] + "al"
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            word = word[: -len(suffix)]
            break
    return word[:-1] + "i" if word.endswith("y") else word


@lru_cache(maxsize=1 << 15)
def _folded(token: str) -> str:
    """A token as compared: no elided article, no "-t-il", folded. Cached:
    articles repeat their words, and folding is most of the cost."""
    return fold(_INVERSION.sub("", _ELISION.sub("", token)))


_stem = lru_cache(maxsize=1 << 15)(stem)


def _number(token: str) -> str:
    digits = re.sub(r"[ \u00a0\u202f]", "", token)
    digits = re.sub(r"(?:er|e)$", "", digits)
    return digits.replace(",", ".").rstrip("0").rstrip(".") if "." in digits or "," in digits else digits


@dataclass(frozen=True, slots=True)
class Background:
    """Words every article of the topic shares (the topic profile's terms):
    they say what the corpus is about, not which event an article reports, so
    they are no features. Without this, a store of a few articles finds them
    rare, and any two articles on the topic look alike."""

    words: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    @classmethod
    def of(cls, tokens: Sequence[tuple[str, bool]]) -> Background:
        """From (folded word, matches as a prefix) pairs, as a topic term holds them."""
        return cls(frozenset(w for w, prefix in tokens if not prefix),
                   tuple(sorted({w for w, prefix in tokens if prefix})))  # fmt: skip

    def __contains__(self, folded: object) -> bool:
        return folded in self.words or (isinstance(folded, str) and folded.startswith(self.prefixes))


NO_BACKGROUND = Background()


def _sentence_features(
    sentence: str, boost: float, counts: Counter[str], budget: int, background: Background = NO_BACKGROUND
) -> int:
    """Add the features of one sentence to `counts`; returns the words read."""
    vocab = vocabulary()
    tokens = _TOKEN.findall(_APOSTROPHE.sub(" ", sentence))
    previous_name: str | None = None
    previous_number: str | None = None
    for i, token in enumerate(tokens[:budget]):
        if token[0].isdigit():
            number = _number(token)
            counts[f"#{number}"] += boost
            previous_number, previous_name = number, None
            continue
        folded = _folded(token)
        if previous_number is not None and folded in vocab.months:
            counts[f"#{previous_number}_{folded}"] += boost
        previous_number = None
        if folded in vocab.stop or len(folded) < 3:
            previous_name = None
            continue
        is_name = (i > 0 and token[0].isupper()) or (len(token) > 1 and token.isupper())
        if folded not in background:
            counts[_stem(folded)] += boost * (NAME_BOOST if is_name else 1.0)
        if is_name and previous_name is not None:
            counts[f"{previous_name}_{folded}"] += boost
        previous_name = folded if is_name else None
    return min(len(tokens), budget)


def features(title: str | None, body: str, background: Background = NO_BACKGROUND) -> tuple[Feature, ...]:
    """The weighted features of an article (see the module's docstring),
    at most `MAX_FEATURES`, heaviest first, without the `background` words
    (a pair of names keeps them: "vladimir_poutine"). Depends on nothing stored."""
    counts: Counter[str] = Counter()
    if title:
        _sentence_features(title, TITLE_BOOST, counts, LEAD_WORDS, background)
    left = LEAD_WORDS
    for sentence in _SENTENCE.split(body):
        if left <= 0:
            break
        left -= _sentence_features(sentence, 1.0, counts, left, background)
    # heaviest first; among equals, the longer feature (a crude sign of a rarer one)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))
    return tuple((f, round(c, 3)) for f, c in ranked[:MAX_FEATURES])


def term_id(feature: str) -> int:
    """A feature's id in the database: 63 bits of its hash, never `DOCUMENTS`."""
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    return (int.from_bytes(digest, "little") >> 1) or 1


def article_number(article_id: str) -> int:
    """An article id (16 hex digits) as the integer the index keeps."""
    return int(article_id, 16)


def story_id(number: int) -> str:
    return f"{number:016x}"


def day_of(when: datetime) -> int:
    """Days since 1970-01-01 (UTC) of a timezone-aware time."""
    return math.floor(when.timestamp() / 86_400)


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """A new article to place: its id, its time (publication, else ingestion)
    and its features."""

    article_id: str
    at: datetime
    features: Sequence[Feature]


@dataclass(frozen=True, slots=True)
class Posting:
    """One row of the inverted index: an indexed feature of a stored article."""

    term: int
    day: int
    article: int
    story: int
    weight: float
    norm: float  # of the article's whole indexed vector


@dataclass(frozen=True, slots=True)
class PostingColumns:
    """Rows of the inverted index as columns (what a database returns cheaply):
    one entry per row, in the order the rows were read."""

    term: np.ndarray  # int64
    day: np.ndarray  # int64
    article: np.ndarray  # uint64
    story: np.ndarray  # uint64
    weight: np.ndarray  # float64
    norm: np.ndarray  # float64

    @classmethod
    def of(cls, rows: Sequence[Posting]) -> PostingColumns:
        return cls(
            np.array([p.term for p in rows], dtype=np.int64),
            np.array([p.day for p in rows], dtype=np.int64),
            np.array([p.article for p in rows], dtype=np.uint64),
            np.array([p.story for p in rows], dtype=np.uint64),
            np.array([p.weight for p in rows], dtype=np.float64),
            np.array([p.norm for p in rows], dtype=np.float64),
        )


class StoryIndex(Protocol):
    """What the assignment needs to know about stored articles."""

    def frequencies(self, terms: Sequence[int]) -> dict[int, int]:
        """Articles counted that have each term (absent: none); `DOCUMENTS`: all of them."""
        ...

    def postings(self, terms: Sequence[int], first_day: int, last_day: int) -> PostingColumns: ...


@dataclass(frozen=True, slots=True)
class Placement:
    article_id: str
    story_id: str
    score: float  # cosine similarity to `matched`; 0.0 for the first article of a story
    matched: str | None  # the most similar article of the story it joined; None: a new story

    @property
    def new_story(self) -> bool:
        return self.matched is None


@dataclass(slots=True)
class Plan:
    """What the store writes: one placement per article, the postings of
    the new articles, and what to add to the document frequencies."""

    placements: list[Placement] = field(default_factory=list)
    postings: list[Posting] = field(default_factory=list)
    frequencies: Counter[int] = field(default_factory=Counter)


def assign(index: StoryIndex, articles: Sequence[StoryArticle], window_days: int, threshold: float,
           top_k: int = TOP_K) -> Plan:  # fmt: skip
    """Place each article, in order, in a story: the story of the most
    similar stored (or earlier in `articles`) article within `window_days`
    when the similarity reaches `threshold`, else a new story of its own."""
    plan = Plan()
    if not articles:
        return plan
    ids = [[term_id(f) for f, _ in a.features] for a in articles]
    df: dict[int, int] = dict(index.frequencies(sorted({t for terms in ids for t in terms} | {DOCUMENTS})))
    days = [day_of(a.at) for a in articles]
    wanted = sorted({t for terms in ids for t in terms})
    stored = index.postings(wanted, min(days) - window_days, max(days) + window_days) if wanted else None
    inverted = _Inverted(stored, len(articles))
    for article, terms, day in zip(articles, ids, days, strict=True):
        vector = _vector(article.features, terms, df, top_k)
        norm = math.sqrt(sum(w * w for w in vector.values()))
        placement = _place(article, day, vector, norm, inverted, window_days, threshold)
        plan.placements.append(placement)
        story = article_number(placement.story_id)
        number = article_number(article.article_id)
        position = inverted.add_article(number, day, story, norm)
        for term, weight in vector.items():
            inverted.add(term, position, weight)
            plan.postings.append(Posting(term, day, number, story, weight, norm))
        for term in set(terms) | {DOCUMENTS}:
            df[term] = df.get(term, 0) + 1
            plan.frequencies[term] += 1
    return plan


class _Inverted:
    """The inverted index a batch is placed with: the stored rows within the
    window, then the batch's own articles as they are placed. Articles have a
    position; a term keeps its articles' positions and weights, as arrays for
    the stored rows and lists for the batch's, so that scoring an article is
    a few array operations per feature rather than a Python step per row
    (a store with thousands of articles within the window has thousands of
    rows for a common feature)."""

    def __init__(self, stored: PostingColumns | None, room: int) -> None:
        self.number: list[int] = []  # by position: the article's number, its story
        self.story: list[int] = []
        self.day = np.zeros(room, dtype=np.int64)  # `room` positions for the batch's articles
        self.norm = np.zeros(room, dtype=np.float64)
        self._stored: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._batch: dict[int, tuple[list[int], list[float]]] = {}
        if stored is None or not len(stored.term):
            return
        numbers, first, position = np.unique(stored.article, return_index=True, return_inverse=True)
        self.number, self.story = numbers.tolist(), stored.story[first].tolist()
        self.day = np.concatenate([stored.day[first], self.day])
        self.norm = np.concatenate([stored.norm[first], self.norm])
        order = np.argsort(stored.term, kind="stable")  # a term's rows in the order read
        terms = stored.term[order]
        starts = np.flatnonzero(np.r_[True, terms[1:] != terms[:-1]])
        for chunk in np.split(order, starts[1:]):
            self._stored[int(stored.term[chunk[0]])] = (position[chunk], stored.weight[chunk])

    def add_article(self, number: int, day: int, story: int, norm: float) -> int:
        position = len(self.number)
        self.number.append(number)
        self.story.append(story)
        self.day[position] = day
        self.norm[position] = norm
        return position

    def add(self, term: int, position: int, weight: float) -> None:
        positions, weights = self._batch.setdefault(term, ([], []))
        positions.append(position)
        weights.append(weight)

    def rows(self, vector: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """Positions and weight products of every row of the vector's terms,
        term by term in the vector's order, stored rows before the batch's."""
        positions, products = [], []
        for term, weight in vector.items():
            if (found := self._stored.get(term)) is not None:
                positions.append(found[0])
                products.append(weight * found[1])
            if (batch := self._batch.get(term)) is not None:
                positions.append(np.array(batch[0], dtype=np.intp))
                products.append(weight * np.array(batch[1], dtype=np.float64))
        if not positions:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float64)
        return np.concatenate(positions), np.concatenate(products)


def _vector(feats: Sequence[Feature], terms: list[int], df: dict[int, int], top_k: int) -> dict[int, float]:
    """The article's `top_k` heaviest features, TF-IDF weighted."""
    documents = df.get(DOCUMENTS, 0) + PRIOR_DOCUMENTS
    weights: dict[int, float] = {}
    for (_, count), term in zip(feats, terms, strict=True):
        idf = math.log(documents / (df.get(term, 0) + 1))
        if idf > 0:
            weights[term] = max(weights.get(term, 0.0), (1 + math.log(count)) * idf if count >= 1 else idf)
    return dict(sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k])


def _place(article: StoryArticle, day: int, vector: dict[int, float], norm: float, inverted: _Inverted,
           window_days: int, threshold: float) -> Placement:  # fmt: skip
    positions, products = inverted.rows(vector)
    near = np.abs(inverted.day[positions] - day) <= window_days
    positions, products = positions[near], products[near]
    if positions.size and norm:
        # the dot products, each summed in the order of its rows (np.bincount adds in order)
        dots = np.bincount(positions, weights=products, minlength=len(inverted.number))
        seen = np.unique(positions)
        others = inverted.norm[seen]
        scores = np.zeros(seen.size)
        nonzero = others != 0
        scores[nonzero] = dots[seen][nonzero] / (norm * others[nonzero])
        ok = scores >= threshold
        if ok.any():
            best = scores[ok].max()
            tied = seen[ok][scores[ok] == best]
            other = min(tied, key=lambda i: inverted.number[i])  # equal scores: the lower id
            return Placement(article.article_id, story_id(inverted.story[other]), round(float(best), 4),
                             story_id(inverted.number[other]))  # fmt: skip
    return Placement(article.article_id, article.article_id, 0.0, None)
