"""A run's counts and its summary, the dict `veille ingest` prints and a
flow returns: kept free of Prefect, so that the CLI can report a run it
records without starting Prefect (nothing new to ingest) in the same shape."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from extractors.core.records import FeedPoll, RunStatus
from extractors.core.settings import Settings
from storage.store import BatchReport


@dataclass
class RunTally:
    inputs: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0
    rejects_by_reason: Counter[str] = field(default_factory=Counter)
    duplicates_by_kind: Counter[str] = field(default_factory=Counter)
    stage_seconds: Counter[str] = field(default_factory=Counter)
    new_articles: list[dict[str, Any]] = field(default_factory=list)
    feeds: list[FeedPoll] = field(default_factory=list)

    def add(self, report: BatchReport) -> None:
        self.stored += len(report.stored)
        self.duplicates += len(report.duplicates)
        self.rejected += len(report.rejected)
        self.skipped += len(report.skipped)
        self.rejects_by_reason.update(r.reason.value for r in report.rejected)
        self.duplicates_by_kind.update(d.kind.value for d in report.duplicates)
        self.new_articles += [
            {
                "article_id": a.article_id,
                "title": a.title,
                "source": a.source,
                "published_at": a.published_at.isoformat() if a.published_at else None,
                "url": a.url,
            }
            for a in report.stored
        ]

    def counts(self) -> dict[str, int]:
        return {
            "inputs": self.inputs,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "skipped": self.skipped,
        }


def run_summary(
    run_id: str, tally: RunTally, settings: Settings, status: RunStatus, error: str | None
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "status": status.value,  # plain text, as in `runs.status`
        "error": error,
        **tally.counts(),
        "rejects_by_reason": dict(tally.rejects_by_reason),
        "duplicates_by_kind": dict(tally.duplicates_by_kind),
        "stage_seconds": {k: round(v, 3) for k, v in tally.stage_seconds.items()},
        "feeds": [
            {
                "url": p.url,
                "name": p.name,
                "status": p.status.value,
                "http_status": p.http_status,
                "entries": p.entries,
                "new": p.new_entries,
                "error": p.error,
            }
            for p in tally.feeds
        ],  # fmt: skip
        "db": str(settings.storage.db),
    }
