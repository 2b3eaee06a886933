"""Stories in the database: the SQL side of `extractors.dedup.stories`.

The decision is pure (`stories.assign`); this module answers its questions
with SQL inside the writer's transaction and writes what it decided:

- `story_terms` (internal): for each feature id, the number of articles that
  have it (document frequency); term 0 counts the articles.
- `story_postings` (internal): the inverted index, one row per indexed
  feature of an article, with its day, its story, its weight and the norm of
  the article's vector. Rows are appended as articles arrive, roughly in
  time order, so DuckDB's per-row-group min/max of `day` skips most of the
  table when a lookup asks for the days around a new article: its cost
  follows what was published within the window, not what is stored.
- `stories`: one row per story, recomputed from its articles whenever one
  joins, so that its counts and first/last publication never drift from
  `articles`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import numpy as np

from extractors.core.records import Candidate
from extractors.core.settings import StoriesSettings
from extractors.dedup import stories
from extractors.dedup.stories import Plan, PostingColumns, StoryArticle

# What `stories` holds for the stories that the listed ids name, from their
# articles: an article's time is its publication, else its ingestion.
_REFRESH_SQL = """
INSERT INTO stories AS s (story_id, first_published_at, last_published_at, article_count,
    source_count, first_article_id, first_source, title, created_at, updated_at)
SELECT story_id, min(t), max(t), count(*), count(DISTINCT source),
       arg_min(article_id, (t, ingested_at, article_id)),
       arg_min(source, (t, ingested_at, article_id)),
       arg_min(title, (t, ingested_at, article_id)) FILTER (WHERE title IS NOT NULL),
       $2, $2
FROM (SELECT story_id, article_id, source, title, ingested_at, coalesce(published_at, ingested_at) AS t
      FROM articles WHERE story_id IN (SELECT unnest($1::VARCHAR[])))
GROUP BY story_id
ON CONFLICT (story_id) DO UPDATE SET
    first_published_at = excluded.first_published_at,
    last_published_at = excluded.last_published_at,
    article_count = excluded.article_count,
    source_count = excluded.source_count,
    first_article_id = excluded.first_article_id,
    first_source = excluded.first_source,
    title = excluded.title,
    updated_at = excluded.updated_at
"""


class SqlStoryIndex:
    """`StoryIndex` answered by the database (inside the writer's transaction,
    or on a read-only connection for `veille extract`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def frequencies(self, terms: Sequence[int]) -> dict[int, int]:
        rows = self.con.execute(
            "SELECT term, df FROM story_terms WHERE term IN (SELECT unnest(?::BIGINT[]))", [list(terms)]
        ).fetchall()
        return dict(rows)

    def postings(self, terms: Sequence[int], first_day: int, last_day: int) -> PostingColumns:
        columns = self.con.execute(
            "SELECT term, day, article, story, weight, norm FROM story_postings "
            "WHERE day BETWEEN $1 AND $2 AND term IN (SELECT unnest($3::BIGINT[]))",
            [first_day, last_day, list(terms)],
        ).fetchnumpy()
        types = {"term": np.int64, "day": np.int64, "article": np.uint64, "story": np.uint64,
                 "weight": np.float64, "norm": np.float64}  # fmt: skip
        return PostingColumns(**{name: np.asarray(columns[name], dtype=t) for name, t in types.items()})


def article_time(candidate: Candidate, ingested_at: datetime) -> datetime:
    """The time that places an article among stories: its publication, else its ingestion."""
    return candidate.published.value if candidate.published else ingested_at


def place(
    con: duckdb.DuckDBPyConnection,
    new: Sequence[tuple[str, Candidate]],
    ingested_at: datetime,
    settings: StoriesSettings,
) -> Plan:
    """The story of each new article (`(article_id, candidate)`, in batch order)."""
    articles = [StoryArticle(aid, article_time(c, ingested_at), c.story_features) for aid, c in new]
    return stories.assign(SqlStoryIndex(con), articles, settings.window_days, settings.threshold)


def record(con: duckdb.DuckDBPyConnection, plan: Plan, now: datetime) -> None:
    """Write the index rows and frequencies of a plan, and refresh the stories
    it touched. The articles themselves, with their `story_id`, are written
    before this."""
    if not plan.placements:
        return
    if plan.postings:
        columns = list(zip(*((p.day, p.term, p.article, p.story, p.weight, p.norm) for p in plan.postings),
                           strict=True))  # fmt: skip
        con.execute(
            "INSERT INTO story_postings (day, term, article, story, weight, norm) SELECT "
            "unnest($1::INTEGER[]), unnest($2::BIGINT[]), unnest($3::UBIGINT[]), unnest($4::UBIGINT[]), "
            "unnest($5::FLOAT[]), unnest($6::FLOAT[])",
            [list(c) for c in columns],
        )
    terms = sorted(plan.frequencies)
    con.execute(
        "INSERT INTO story_terms AS t SELECT unnest($1::BIGINT[]), unnest($2::INTEGER[]) "
        "ON CONFLICT (term) DO UPDATE SET df = t.df + excluded.df",
        [terms, [plan.frequencies[t] for t in terms]],
    )
    touched = sorted({p.story_id for p in plan.placements})
    con.execute(_REFRESH_SQL, [touched, now])


@dataclass(frozen=True, slots=True)
class StoryMatch:
    """The stored story an article would join."""

    story_id: str
    title: str | None
    article_count: int
    score: float  # similarity to the closest article of the story
    matched: str  # that article's id

    def as_dict(self) -> dict[str, Any]:
        return {"story_id": self.story_id, "title": self.title, "articles": self.article_count,
                "score": self.score, "closest_article_id": self.matched}  # fmt: skip


def would_join(
    con: duckdb.DuckDBPyConnection,
    title: str | None,
    body: str,
    at: datetime,
    settings: StoriesSettings,
) -> StoryMatch | None:
    """The story an article with this title and body, dated `at`, would join
    if it were stored now (None: it would start one), read only. A database
    whose schema has no stories yet answers None."""
    known = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'story_postings'").fetchone()
    if not known or not known[0]:
        return None
    probe = StoryArticle("0" * 16, at, stories.features(title, body))
    (placement,) = stories.assign(SqlStoryIndex(con), [probe], settings.window_days,
                                  settings.threshold).placements  # fmt: skip
    if placement.matched is None:
        return None
    row = con.execute(
        "SELECT title, article_count FROM stories WHERE story_id = ?", [placement.story_id]
    ).fetchone()
    title_, count = row if row else (None, 0)
    return StoryMatch(placement.story_id, title_, count, placement.score, placement.matched)
