"""The database schema as an ordered list of migrations.

A database records the version it is at in `schema_version`; opening it for
writing applies the missing migrations in one transaction each, so a file
written by an older release opens in a newer one. Never edit a released
migration: append a new one.
"""

from __future__ import annotations

# `feed_health` as of migration 4, also what `veille status` runs on a file
# not migrated yet (a read never migrates). A later change is a new migration
# with CREATE OR REPLACE VIEW and a new constant, not an edit of this one.
FEED_HEALTH_SQL = """
    SELECT f.name, f.url, f.kind, f.last_polled_at, f.last_status, f.last_http_status,
           f.consecutive_failures, f.failing, f.last_error, f.entries_seen,
           count(a.article_id) FILTER (WHERE a.ingested_at >= now() - INTERVAL 1 DAY) AS articles_day,
           count(a.article_id) FILTER (WHERE a.ingested_at >= now() - INTERVAL 7 DAY) AS articles_week,
           count(a.article_id) AS articles_total
    FROM feeds f LEFT JOIN articles a ON a.feed_url = f.url
    GROUP BY ALL
"""

# Migration 9: views over stories, authors and wire credits (README, "Views"),
# what `veille report` draws. An article stored before its columns existed has
# NULL `authors` / `wire_agencies` (not looked for), unlike an empty list (none
# found): a wire share counts only the articles whose credits were looked for.
ANALYSIS_VIEWS = r"""
    CREATE VIEW story_outlets AS
    WITH members AS (
        SELECT story_id,
               list(DISTINCT source ORDER BY source) FILTER (WHERE source IS NOT NULL) AS sources,
               list_sort(list_distinct(flatten(list(wire_agencies)))) AS agencies,
               count(*) FILTER (WHERE len(wire_agencies) > 0) AS wire_articles,
               count(wire_agencies) AS articles_checked
        FROM articles
        WHERE story_id IS NOT NULL
        GROUP BY story_id
    )
    SELECT s.story_id, s.title, s.first_published_at, s.last_published_at, s.article_count,
           s.source_count, s.first_source, s.first_article_id, f.url AS first_url,
           coalesce(m.sources, CAST([] AS VARCHAR[])) AS sources,
           coalesce(m.agencies, CAST([] AS VARCHAR[])) AS agencies,
           coalesce(m.wire_articles, 0) AS wire_articles,
           CAST(m.wire_articles AS DOUBLE) / nullif(m.articles_checked, 0) AS wire_share
    FROM stories s
    LEFT JOIN members m ON m.story_id = s.story_id
    LEFT JOIN articles f ON f.article_id = s.first_article_id;
    COMMENT ON VIEW story_outlets IS 'Each story with its first publisher (first_source, first_url), '
        'its outlets (sources, sorted), the agencies its articles credit, and its wire share: the '
        'fraction of its articles with a wire credit, among those whose credits were looked for.';

    CREATE VIEW author_articles AS
    WITH signed AS (
        SELECT article_id, source, published_at, unnest(authors) AS author FROM articles
    )
    SELECT author, count(DISTINCT article_id) AS articles, count(DISTINCT source) AS source_count,
           coalesce(list(DISTINCT source ORDER BY source) FILTER (WHERE source IS NOT NULL),
                    CAST([] AS VARCHAR[])) AS sources,
           min(published_at) AS first_published_at, max(published_at) AS last_published_at
    FROM signed
    WHERE author IS NOT NULL AND trim(author) <> ''
    GROUP BY author;
    COMMENT ON VIEW author_articles IS 'Each person who signed articles (articles.authors): '
        'how many articles, in which sources (sorted), first and last publication.';

    CREATE VIEW wire_share AS
    SELECT published_date AS day, source, count(*) AS articles,
           count(wire_agencies) AS articles_checked,
           count(*) FILTER (WHERE len(wire_agencies) > 0) AS wire_articles,
           CAST(count(*) FILTER (WHERE len(wire_agencies) > 0) AS DOUBLE)
               / nullif(count(wire_agencies), 0) AS wire_share
    FROM articles
    GROUP BY published_date, source;
    COMMENT ON VIEW wire_share IS 'Articles per publication day and source with a wire credit '
        '(wire_articles) among those whose credits were looked for (articles_checked), and their '
        'share; sum both columns before dividing to share a week or a source.';

    CREATE VIEW agency_daily AS
    WITH credited AS (
        SELECT published_date, article_id, source, unnest(wire_agencies) AS agency FROM articles
    )
    SELECT published_date AS day, agency, count(DISTINCT article_id) AS articles,
           count(DISTINCT source) AS source_count
    FROM credited
    GROUP BY published_date, agency;
    COMMENT ON VIEW agency_daily IS 'Articles crediting each wire agency (AFP, Reuters…) per '
        'publication day, and in how many sources; an article crediting two agencies counts for each.';
"""

MIGRATIONS: list[str] = [
    # 1: the foundation
    """
    CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY,
        flow_run_id VARCHAR,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        status VARCHAR NOT NULL,          -- extractors.core.records.RunStatus: running /
                                          -- completed / interrupted / failed / crashed
        inputs INTEGER DEFAULT 0,         -- inputs seen (files, records, pages)
        stored INTEGER DEFAULT 0,
        duplicates INTEGER DEFAULT 0,
        rejected INTEGER DEFAULT 0,
        skipped INTEGER DEFAULT 0,        -- already recorded by an earlier run
        error VARCHAR,
        stage_seconds JSON
    );
    CREATE TABLE articles (
        article_id VARCHAR PRIMARY KEY,
        url VARCHAR NOT NULL,
        url_key VARCHAR NOT NULL UNIQUE,
        location VARCHAR NOT NULL,
        source VARCHAR,
        source_domain VARCHAR,
        title VARCHAR,
        body VARCHAR NOT NULL,
        language VARCHAR NOT NULL,
        published_at TIMESTAMPTZ,
        published_date DATE,
        date_precision VARCHAR,
        date_source VARCHAR,
        ingested_at TIMESTAMPTZ NOT NULL,
        content_hash VARCHAR NOT NULL UNIQUE,
        topic_score DOUBLE NOT NULL,
        word_count INTEGER NOT NULL,
        run_id VARCHAR NOT NULL
    );
    CREATE TABLE article_minhash (
        article_id VARCHAR PRIMARY KEY,
        signature UBIGINT[] NOT NULL
    );
    CREATE TABLE minhash_bands (
        band SMALLINT NOT NULL,
        bucket BIGINT NOT NULL,
        article_id VARCHAR NOT NULL
    );
    CREATE TABLE duplicates (
        location VARCHAR PRIMARY KEY,
        url VARCHAR,
        duplicate_of VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,            -- url / exact / near
        similarity DOUBLE NOT NULL,
        detected_at TIMESTAMPTZ NOT NULL,
        run_id VARCHAR NOT NULL
    );
    CREATE TABLE rejects (
        location VARCHAR PRIMARY KEY,
        reason VARCHAR NOT NULL,
        detail VARCHAR,
        rejected_at TIMESTAMPTZ NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 1,
        run_id VARCHAR NOT NULL
    );
    """,
    # 2: the web. Inputs are matched on a location key (URL variants collapse),
    # articles remember the feed they came from, feeds keep their polling state.
    """
    ALTER TABLE articles ADD COLUMN location_key VARCHAR;
    ALTER TABLE articles ADD COLUMN feed_url VARCHAR;
    ALTER TABLE duplicates ADD COLUMN location_key VARCHAR;
    ALTER TABLE duplicates ADD COLUMN feed_url VARCHAR;
    ALTER TABLE rejects ADD COLUMN location_key VARCHAR;
    ALTER TABLE rejects ADD COLUMN feed_url VARCHAR;
    UPDATE articles SET location_key = location;
    UPDATE duplicates SET location_key = location;
    UPDATE rejects SET location_key = location;
    CREATE TABLE feeds (
        url VARCHAR PRIMARY KEY,
        name VARCHAR,
        kind VARCHAR NOT NULL DEFAULT 'feed',   -- feed / sitemap
        title VARCHAR,
        etag VARCHAR,
        last_modified VARCHAR,
        content_hash VARCHAR,
        last_polled_at TIMESTAMPTZ,
        last_ok_at TIMESTAMPTZ,
        last_status VARCHAR,
        last_http_status INTEGER,
        last_error VARCHAR,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        entries_seen BIGINT NOT NULL DEFAULT 0,
        last_entries INTEGER,
        last_new_entries INTEGER
    );
    """,
    # 3: a feed that keeps failing is marked, so status and queries can single it out
    """
    ALTER TABLE feeds ADD COLUMN failing BOOLEAN NOT NULL DEFAULT false;
    """,
    # 4: views for the questions analysts ask (README, "Views"). Plain SQL that
    # DuckDB 1.x clients read too. Days of a TIMESTAMPTZ are in the session's
    # time zone; a publication day is `published_date`, the date as written.
    # A view changes by a later migration (CREATE OR REPLACE VIEW), like a table.
    r"""
    CREATE VIEW daily_volume AS
    SELECT published_date AS day, source, count(*) AS articles,
           CAST(sum(word_count) AS BIGINT) AS words
    FROM articles
    GROUP BY published_date, source;
    COMMENT ON VIEW daily_volume IS 'Articles per publication day (published_date; NULL: undated) '
        'and source (NULL: unknown), with their words.';

    CREATE VIEW articles_with_duplicates AS
    WITH copies AS (
        SELECT d.duplicate_of AS article_id, d.detected_at,
               coalesce(f.name, nullif(regexp_extract(d.url, '^https?://(?:www\.)?([^/:?#]+)', 1), ''))
                   AS copy_source
        FROM duplicates d LEFT JOIN feeds f ON f.url = d.feed_url
    ), per_article AS (
        SELECT article_id, count(*) AS duplicate_count,
               list(DISTINCT copy_source ORDER BY copy_source) FILTER (WHERE copy_source IS NOT NULL)
                   AS duplicate_sources,
               max(detected_at) AS last_duplicate_at
        FROM copies
        GROUP BY article_id
    )
    SELECT a.article_id, a.url, a.title, a.source, a.source_domain, a.published_at, a.published_date,
           coalesce(p.duplicate_count, 0) AS duplicate_count,
           coalesce(p.duplicate_sources, CAST([] AS VARCHAR[])) AS duplicate_sources,
           p.last_duplicate_at
    FROM articles a LEFT JOIN per_article p ON p.article_id = a.article_id;
    COMMENT ON VIEW articles_with_duplicates IS 'Each stored article with how many inputs were '
        'its duplicates (url, exact or near) and their sources: the name of the feed a duplicate '
        'came from, else the host of its URL (none for local files).';

    CREATE VIEW rejects_daily AS
    SELECT CAST(rejected_at AS DATE) AS day, reason, count(*) AS rejects,
           CAST(sum(attempts) AS BIGINT) AS attempts
    FROM rejects
    GROUP BY CAST(rejected_at AS DATE), reason;
    COMMENT ON VIEW rejects_daily IS 'Rejected inputs per day of their last rejection and reason; '
        'attempts counts the tries of inputs rejected again (unreadable, fetch_failed).';

    CREATE VIEW feed_health AS
    """
    + FEED_HEALTH_SQL
    + r""";
    COMMENT ON VIEW feed_health IS 'Each polled source: last poll, status, consecutive failures, '
        'and the articles it gave in the last day, week and in all (what veille status shows).';
    """,
    # 5: whether the stored text is the whole article or a paywalled part of it.
    # NULL for the articles stored before: their paywall lines were removed
    # unrecorded. No view selects `*` from articles, so none needs recreating.
    """
    ALTER TABLE articles ADD COLUMN truncated BOOLEAN;
    """,
    # 6: who signed the article (people only: no publisher, no agency). NULL for
    # the articles stored before: their byline lines were kept in the body.
    """
    ALTER TABLE articles ADD COLUMN authors VARCHAR[];
    """,
    # 7: which news agencies an article credits (wire_agencies, with the text that
    # proved each in wire_evidence, same length), and the publisher's name as found
    # before its normalisation (source_raw: "Le Monde.fr" stored as source "Le Monde").
    # NULL for the articles stored before: their credits were not looked for, which
    # is not the same as none found (an empty list).
    """
    ALTER TABLE articles ADD COLUMN wire_agencies VARCHAR[];
    ALTER TABLE articles ADD COLUMN wire_evidence VARCHAR[];
    ALTER TABLE articles ADD COLUMN source_raw VARCHAR;
    """,
    # 8: stories: articles about the same event from different outlets
    # (extractors/dedup/stories.py, storage/stories.py). Articles stored before
    # keep a NULL story_id and are not in the index: stories start with the
    # articles stored after this migration. `story_terms` and `story_postings`
    # are internal (the document frequencies and the inverted index).
    """
    CREATE TABLE stories (
        story_id VARCHAR PRIMARY KEY,     -- the article_id of the article that started it
        first_published_at TIMESTAMPTZ,   -- of its articles: published_at, else ingested_at
        last_published_at TIMESTAMPTZ,
        article_count INTEGER NOT NULL,
        source_count INTEGER NOT NULL,    -- distinct articles.source (NULL not counted)
        first_article_id VARCHAR,         -- the earliest article
        first_source VARCHAR,             -- its source
        title VARCHAR,                    -- the earliest title
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    );
    ALTER TABLE articles ADD COLUMN story_id VARCHAR;
    CREATE TABLE story_terms (
        term BIGINT PRIMARY KEY,          -- feature id (extractors.dedup.stories.term_id); 0: all
        df INTEGER NOT NULL               -- articles that have it
    );
    CREATE TABLE story_postings (
        day INTEGER NOT NULL,             -- days since 1970-01-01 (UTC) of the article's time
        term BIGINT NOT NULL,
        article UBIGINT NOT NULL,         -- article_id as a number (16 hex digits)
        story UBIGINT NOT NULL,           -- story_id as a number
        weight FLOAT NOT NULL,            -- TF-IDF weight when the article was stored
        norm FLOAT NOT NULL               -- of the article's indexed vector
    );
    """,
    # 9: views over stories, authors and wire credits (ANALYSIS_VIEWS above)
    ANALYSIS_VIEWS,
]

LATEST = len(MIGRATIONS)
