"""`veille serve`: scheduled ingestion as Prefect deployments.

One deployment per schedule group of feeds (a feed's `group`, or its own
`interval_seconds`/`cron`, or the `[schedule]` default), plus one that
ingests new files dropped into a watched folder. Each deployment allows one
run at a time (a run due while the previous one is still going waits in the
queue), and all runs on one database take turns through the storage run lock.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import serve as prefect_serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from extractors.settings import Feed, Settings
from flows.ingest import ingest
from flows.prefect_server import healthy, prefect_executable, stop_process

LOCAL_API = "http://127.0.0.1:4200/api"


@dataclass(frozen=True, slots=True)
class ScheduleGroup:
    name: str
    feeds: tuple[Feed, ...]
    interval_seconds: int | None
    cron: str | None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "default"


def schedule_groups(settings: Settings) -> list[ScheduleGroup]:
    """Feeds grouped by schedule. A feed's own `interval_seconds`/`cron`
    override `[schedule]`; feeds that share a `group` share a schedule (the
    first override met in the group)."""
    groups: dict[str, list[Feed]] = {}
    for feed in settings.feeds:
        if feed.group:
            key = feed.group
        elif feed.cron:
            key = f"cron {feed.cron}"
        elif feed.interval_seconds:
            key = f"every {feed.interval_seconds}s"
        else:
            key = "default"
        groups.setdefault(key, []).append(feed)
    result = []
    for name, feeds in groups.items():
        cron = next((f.cron for f in feeds if f.cron), None)
        interval = next((f.interval_seconds for f in feeds if f.interval_seconds), None)
        if cron is None and interval is None:
            cron, interval = settings.schedule_cron, settings.schedule_interval_seconds
            if cron:
                interval = None
        result.append(ScheduleGroup(name, tuple(feeds), interval, cron))
    return result


def _parameters(settings: Settings, **inputs: Any) -> dict[str, Any]:
    """JSON parameters for a deployment (Prefect validates them back into types)."""
    data = dataclasses.asdict(settings)
    data = {k: (str(v) if isinstance(v, Path) else v) for k, v in data.items()}
    inputs = {k: [dataclasses.asdict(x) if dataclasses.is_dataclass(x) else x for x in v]
              for k, v in inputs.items()}  # fmt: skip
    return {"settings": data, **inputs}


_ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


def deployments(settings: Settings, watch: Path | None = None) -> list[RunnerDeployment]:
    # served runs start in their own process: absolute paths, whatever its working directory
    settings = settings.replace(db=settings.db.resolve())
    if settings.topic_profile:
        settings = settings.replace(topic_profile=settings.topic_profile.resolve())
    result = []
    for group in schedule_groups(settings):
        names = [f.name for f in group.feeds]
        result.append(
            ingest.to_deployment(
                name=f"feeds-{_slug(group.name)}",
                interval=group.interval_seconds,
                cron=group.cron,
                parameters=_parameters(settings, feeds=list(group.feeds)),
                tags=["veille", "feeds", *names],
                description=f"Poll {len(names)} feed(s): {', '.join(names)}",
                concurrency_limit=_ONE_AT_A_TIME,
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    if watch is not None:
        folder = watch.resolve()
        result.append(
            ingest.to_deployment(
                name="watch-folder",
                interval=settings.watch_interval_seconds,
                parameters=_parameters(settings, paths=[str(folder)]),
                tags=["veille", "files"],
                description=f"Ingest new files dropped into {folder}",
                concurrency_limit=_ONE_AT_A_TIME,
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return result


@contextmanager
def _use_api(url: str) -> Iterator[str]:
    """Point this process (Prefect's settings are already loaded) and the flow
    run processes it starts (they inherit the environment) at `url`."""
    os.environ["PREFECT_API_URL"] = url
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:
        os.environ.pop("PREFECT_API_URL", None)


@contextmanager
def prefect_api(log: Any = print, startup_timeout: float = 90.0) -> Iterator[str]:
    """The Prefect server to use: PREFECT_API_URL, else a local server on
    127.0.0.1:4200, started here (and stopped on exit) if none is running."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    if healthy(LOCAL_API):
        with _use_api(LOCAL_API) as url:
            yield url
        return
    prefect = prefect_executable()
    log(f"Starting a local Prefect server on {LOCAL_API} (UI: http://127.0.0.1:4200)")
    server = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", "4200"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while not healthy(LOCAL_API):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the local Prefect server did not start (is port 4200 free?)")
            time.sleep(0.5)
        with _use_api(LOCAL_API) as url:
            yield url
    finally:
        stop_process(server, grace=20)


def serve(settings: Settings, watch: Path | None = None) -> None:
    """Register the deployments and run their schedules until stopped.

    Ctrl-C or SIGTERM stops the process; the schedules stay active on the
    server (`pause_on_shutdown=False`), so the next start resumes them and a
    run due meanwhile is picked up then.
    """
    deps = deployments(settings, watch)
    if not deps:
        raise ValueError("nothing to serve: no [[feeds]] in the configuration and no watched folder")
    prefect_serve(*deps, pause_on_shutdown=False)
