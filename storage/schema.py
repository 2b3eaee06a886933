"""The database schema as an ordered list of migrations.

A database records the version it is at in `schema_version`; opening it for
writing applies the missing migrations in one transaction each, so a file
written by an older release opens in a newer one. Never edit a released
migration: append a new one.
"""

from __future__ import annotations

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
]

LATEST = len(MIGRATIONS)
