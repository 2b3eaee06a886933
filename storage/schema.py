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
]

LATEST = len(MIGRATIONS)
