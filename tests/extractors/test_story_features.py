"""The pure side of stories: features of a text, and the decision against an
index kept in memory (the database's is tested in tests/storage/test_stories.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from extractors.dedup import stories
from extractors.dedup.stories import Posting, PostingColumns, StoryArticle


def test_features_keep_names_numbers_dates_and_stems_not_stop_words() -> None:
    feats = dict(stories.features(
        "Loukachenko annonce des missiles",
        "Le 25 mai, à Minsk, John Kirby a-t-il parlé de 2 000 ogives ? Les déploiements continuent.",
    ))  # fmt: skip
    assert feats["loukachenko"] == 1.0  # first word of a sentence: not counted as a name
    assert feats[stories.stem("kirby")] == stories.NAME_BOOST and feats["john_kirby"] == 1.0
    assert "#25_mai" in feats and "#2000" in feats and "#25" in feats
    assert "missil" in feats and "deploi" in feats and "ogiv" in feats
    assert not {"le", "les", "a-t-il", "a", "annonce", "parle"} & set(feats)
    assert stories.stem("déploiement".replace("é", "e")) == stories.stem("deploie") == "deploi"


class MemoryIndex:
    def __init__(self) -> None:
        self.df: Counter[int] = Counter()
        self.rows: list[Posting] = []

    def frequencies(self, terms: Sequence[int]) -> dict[int, int]:
        return {t: self.df[t] for t in terms if t in self.df}

    def postings(self, terms: Sequence[int], first_day: int, last_day: int) -> PostingColumns:
        wanted = set(terms)
        rows = [p for p in self.rows if p.term in wanted and first_day <= p.day <= last_day]
        return PostingColumns.of(rows)

    def add(self, plan: stories.Plan) -> None:
        self.rows += plan.postings
        self.df.update(plan.frequencies)


def article(n: int, words: str, day: int) -> StoryArticle:
    at = datetime(2024, 11, 1, 12, tzinfo=UTC) + timedelta(days=day)
    return StoryArticle(f"{n:016x}", at, [(w, 1.0) for w in words.split()])


def test_assign_joins_the_closest_story_within_the_window_else_starts_one() -> None:
    index = MemoryIndex()
    first = stories.assign(index, [article(1, "a b c d e f", 0), article(2, "u v w x y z", 0)], 3, 0.3)
    assert [p.new_story for p in first.placements] == [True, True]
    assert first.frequencies[stories.DOCUMENTS] == 2
    index.add(first)
    later = stories.assign(index, [article(3, "a b c d q r", 2), article(4, "u v w x y z", 9)], 3, 0.3)
    joined, too_late = later.placements
    assert joined.story_id == f"{1:016x}" and joined.matched == f"{1:016x}" and joined.score >= 0.3
    assert too_late.new_story and too_late.story_id == f"{4:016x}"
    # an article of this batch is seen by the next one of the same batch
    index.add(later)
    chain = stories.assign(index, [article(5, "m n o p", 4), article(6, "m n o p k", 4)], 3, 0.3)
    assert chain.placements[1].story_id == chain.placements[0].story_id == f"{5:016x}"
