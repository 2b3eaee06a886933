"""`veille serve` and `veille deploy`: scheduled ingestion as Prefect deployments.

One deployment per schedule group of feeds (a feed's `group`, or its own
`interval_seconds`/`cron`, or the `[schedule]` default), plus one that
ingests new files dropped into a watched folder. Each deployment allows one
run at a time (a run due while the previous one is still going waits in the
queue), and all runs on one database take turns through the storage run lock.

`veille serve` runs them in its own process; `veille deploy` registers the
same deployments to a Prefect work pool of type `process`, for the workers
of that pool (`prefect worker start --pool NAME`) to run them. Either way a
run's settings come from the environment its process is given (by `serve`,
or by the deployment's job variables), never from its parameters.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import flow
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy, StateType
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import TypeAdapter

from extractors.core.settings import Feed, Settings, SettingsError
from flows.ingest import ingest_in_flow, run_name
from flows.prefect_server import die_with_parent, healthy, prefect_executable, stop_process

LOCAL_API = "http://127.0.0.1:4200/api"
SERVE_SETTINGS_ENV = "VEILLE_SERVE_SETTINGS"


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
            cron, interval = settings.schedule.cron, settings.schedule.interval_seconds
            if cron:
                interval = None
        result.append(ScheduleGroup(name, tuple(feeds), interval, cron))
    return result


_ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


WATCH_FOLDER = "watch-folder"


def deployments(
    settings: Settings, watch: Path | None = None, job_variables: dict[str, Any] | None = None
) -> list[RunnerDeployment]:
    """One deployment per schedule group, plus `watch-folder`. Their only
    parameter names the group: everything else comes from the serving process
    (or, on a work pool, from the environment in `job_variables`)."""
    result = []
    for group in schedule_groups(settings):
        names = [f.name for f in group.feeds]
        result.append(
            served_ingest.to_deployment(
                name=f"feeds-{_slug(group.name)}",
                interval=group.interval_seconds,
                cron=group.cron,
                parameters={"group": group.name},
                tags=["veille", "feeds", *names],
                description=f"Poll {len(names)} feed(s): {', '.join(names)}",
                concurrency_limit=_ONE_AT_A_TIME,
                entrypoint_type=EntrypointType.MODULE_PATH,
                job_variables=job_variables,
            )
        )
    if watch is not None:
        result.append(
            served_ingest.to_deployment(
                name=WATCH_FOLDER,
                interval=settings.watch.interval_seconds,
                parameters={"group": WATCH_FOLDER},
                tags=["veille", "files"],
                description=f"Ingest new files dropped into {watch.resolve()}",
                concurrency_limit=_ONE_AT_A_TIME,
                entrypoint_type=EntrypointType.MODULE_PATH,
                job_variables=job_variables,
            )
        )
    return result


def served_settings_environment(settings: Settings, watch: Path | None) -> str:
    """The settings of the serving process, paths made absolute (its runs
    start in other processes and directories), for `VEILLE_SERVE_SETTINGS`."""
    profile = settings.topic.profile
    settings = settings.replace(
        {
            "storage.db": settings.storage.db.expanduser().resolve(),
            "watch.folder": watch and watch.resolve(),
            "topic.profile": profile and profile.resolve(),
        }
    )
    data = dataclasses.asdict(settings)
    return json.dumps(data, default=str)


def _served_settings() -> Settings:
    raw = os.environ.get(SERVE_SETTINGS_ENV)
    if not raw:
        raise RuntimeError(
            f"runs of Veille's deployments are started by `veille serve` or by the workers of a pool "
            f"`veille deploy` registered them to ({SERVE_SETTINGS_ENV} is not set)"
        )
    return TypeAdapter(Settings).validate_python(json.loads(raw))


@flow(
    name="veille-ingest",
    flow_run_name=run_name,
    log_prints=False,
    task_runner=ThreadPoolTaskRunner(max_workers=os.cpu_count()),
)
def served_ingest(group: str) -> dict[str, Any]:
    """A scheduled run of `veille serve`: the feeds of one schedule group, or
    the watched folder.

    Anyone who can reach the Prefect API can start a deployment's run with
    parameters of their choosing, so `group` is the only one: it picks among
    what the serving process's configuration already lists. The settings
    (database, network policy, caps, time budgets) come from the serving
    process itself, through the environment it gives its runs, never from the
    API. Same Prefect flow name as `veille ingest`'s runs: one history."""
    settings = _served_settings()
    if group == WATCH_FOLDER:
        if settings.watch.folder is None:
            raise ValueError("this service watches no folder")
        return ingest_in_flow(settings, [str(settings.watch.folder)], [], [])
    feeds = {g.name: g.feeds for g in schedule_groups(settings)}
    if group not in feeds:
        raise ValueError(f"no schedule group {group!r} in this service's configuration")
    return ingest_in_flow(settings, [], list(feeds[group]), [])


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
        start_new_session=True,  # stopped last, by us: Ctrl-C must not take it down first
        preexec_fn=die_with_parent,
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
        stop_process(server, grace=5)


@dataclass
class Stopped:
    """How `serve` ended: the signal that stopped it and what became of the runs."""

    signal: str
    cancelled: int  # runs in progress that were stopped
    crashed: int  # runs marked Crashed by the final sweep (their process could not report)
    seconds: float

    def line(self) -> str:
        runs = "no run was in progress"
        if self.cancelled or self.crashed:
            runs = (
                f"{self.cancelled + self.crashed} run(s) in progress ended (Cancelled or Crashed), "
                "their slots released"
            )
        return f"Stopped by {self.signal} in {self.seconds:.1f} s: {runs}; schedules stay active."


_ACTIVE = [StateType.RUNNING, StateType.PENDING, StateType.CANCELLING]


async def end_unfinished_runs(deployment_ids: list[UUID], message: str) -> list[str]:
    """Mark Crashed every run of these deployments that is not in a final
    state, which frees its concurrency slot (Prefect releases a deployment's
    slot on any move out of Running, Pending or Cancelling, forced or not);
    a flow-run process of theirs still alive on this machine is stopped
    first. Called when nothing of ours can still be running them: at start
    (under the serve lock) and after stopping. Returns the runs' names."""
    from prefect import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.states import Crashed

    if not deployment_ids:
        return []
    async with get_client() as client:
        runs = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=deployment_ids)),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=_ACTIVE))
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=200,
        )
        for run in runs:
            await asyncio.to_thread(_stop_flow_run_processes, str(run.id))
            await client.set_flow_run_state(run.id, Crashed(message=message), force=True)
    return [run.name for run in runs]


def _stop_flow_run_processes(flow_run_id: str, grace: float = 5.0) -> None:
    """SIGTERM (then SIGKILL) the processes of this machine running that flow
    run (the runner gives them PREFECT__FLOW_RUN_ID): an orphan left by a
    killed service would otherwise go on holding the run lock."""
    needle = f"PREFECT__FLOW_RUN_ID={flow_run_id}".encode()
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0") and int(entry.name) != os.getpid():
                pids.append(int(entry.name))
        except (OSError, ValueError):
            continue
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [pid for pid in pids if _signal(pid, sig)]
        deadline = time.monotonic() + grace
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = [pid for pid in alive if _signal(pid, 0)]
        if not alive:
            return


def _signal(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


async def _serve(deps: list[RunnerDeployment], log: Any, poll_seconds: float) -> Stopped:
    from prefect.runner import Runner

    runner = Runner(name=f"veille-serve-{os.getpid()}", pause_on_shutdown=False, query_seconds=poll_seconds)
    ids = [await runner.aadd_deployment(d) for d in deps]
    left = await end_unfinished_runs(ids, "the veille serve that ran it stopped without ending it")
    if left:
        log(f"Marked {len(left)} run(s) left unfinished by an earlier stop as Crashed: {', '.join(left)}")
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig.name)
        stop.set()

    started = asyncio.ensure_future(runner.start())
    await asyncio.sleep(0)  # start() installs its own SIGTERM handler first thing: ours replace it
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    log(f"Serving {len(deps)} deployment(s): {', '.join(d.name for d in deps)}")
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({started, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not stop.is_set():
        stopping.cancel()
        started.result()  # the runner ended by itself: its error, if any
        return Stopped("end", 0, 0, 0.0)
    t0 = time.monotonic()
    processes = getattr(runner, "_process_manager", None)  # Prefect 3.8's runner internals
    in_progress = len(processes.flow_run_ids()) if processes is not None else 0
    try:
        # Cancels the runs in progress: their processes get SIGTERM and a
        # write in progress completes first; runs are marked Cancelled.
        await asyncio.wait_for(runner.astop(), timeout=6)
    except Exception:  # noqa: BLE001 - the sweep below ends what is left (TimeoutError included)
        pass
    try:
        await asyncio.wait_for(started, timeout=2)
    except Exception:  # noqa: BLE001
        started.cancel()
    try:
        crashed = await end_unfinished_runs(ids, f"veille serve was stopped ({received[0]}) during this run")
    except Exception as exc:  # noqa: BLE001 - the next start sweeps again
        log(f"Could not check the runs left unfinished ({type(exc).__name__}: {exc}); the next start will")
        crashed = []
    return Stopped(received[0], max(0, in_progress - len(crashed)), len(crashed), time.monotonic() - t0)


def serve(settings: Settings, watch: Path | None = None, log: Any = print) -> Stopped:
    """Register the deployments and run their schedules until SIGTERM or
    SIGINT (Ctrl-C).

    Stopping ends every run this service started in a final state (Cancelled,
    or Crashed when its process could not say so itself), which frees its
    deployment's concurrency slot; runs in progress get SIGTERM, and a write
    in progress completes first. Schedules stay active on the server
    (`pause_on_shutdown=False`): the next start resumes them, and a run due
    meanwhile is picked up then. Runs left unfinished by a service that was
    killed (kill -9, a power cut) are marked Crashed when the next one starts.
    """
    deps = _checked_deployments(settings, watch)
    os.environ[SERVE_SETTINGS_ENV] = served_settings_environment(settings, watch)
    # Runs due are looked for often enough that one starts well within its
    # interval (Prefect's default is every 10 s).
    intervals = [g.interval_seconds for g in schedule_groups(settings) if g.interval_seconds]
    intervals += [settings.watch.interval_seconds] if watch is not None else []
    poll = max(1.0, min(10.0, min(intervals, default=100) / 10))
    return asyncio.run(_serve(deps, log, poll))


def _checked_deployments(
    settings: Settings, watch: Path | None, job_variables: dict[str, Any] | None = None
) -> list[RunnerDeployment]:
    """`deployments`, with a schedule Prefect refuses as a settings error."""
    try:
        deps = deployments(settings, watch, job_variables)
    except ValueError as exc:  # pydantic's ValidationError too: a schedule Prefect refuses
        first = str(exc).splitlines()[-1].strip() if str(exc) else type(exc).__name__
        raise SettingsError(f"a schedule Prefect cannot use: {first}") from None
    if not deps:
        raise ValueError("nothing to serve: no [[feeds]] in the configuration and no watched folder")
    return deps


def existing_api() -> str | None:
    """The Prefect server to register to: PREFECT_API_URL, else a server already
    running on 127.0.0.1:4200. Never a temporary one: what is registered must
    outlive the command."""
    url = os.environ.get("PREFECT_API_URL")
    if url:
        return url
    return LOCAL_API if healthy(LOCAL_API) else None


WORK_POOL_TYPE = "process"


def deploy(settings: Settings, pool: str, watch: Path | None = None) -> list[str]:
    """Register `veille serve`'s deployments (names, schedules, one run at a
    time, the `group` parameter) to the work pool `pool`, of type `process`
    (created if missing), so that `prefect worker start --pool NAME` runs them.
    Their runs get the settings as `serve` gives its own: in the environment
    (`VEILLE_SERVE_SETTINGS`, paths made absolute), here through the
    deployments' job variables. Returns the deployments' names."""
    env = {SERVE_SETTINGS_ENV: served_settings_environment(settings, watch)}
    deps = _checked_deployments(settings, watch, job_variables={"env": env})
    asyncio.run(_register(deps, pool))
    return [d.name for d in deps]


async def _register(deps: list[RunnerDeployment], pool: str) -> None:
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    async with get_client() as client:
        try:
            existing = await client.read_work_pool(pool)
        except ObjectNotFound:
            template = ProcessWorker.get_default_base_job_template()
            await client.create_work_pool(
                WorkPoolCreate(name=pool, type=WORK_POOL_TYPE, base_job_template=template)
            )
        else:
            if existing.type != WORK_POOL_TYPE:
                raise ValueError(f"work pool {pool!r} is of type {existing.type!r}, not {WORK_POOL_TYPE!r}")
    for dep in deps:
        await dep.aapply(work_pool_name=pool)
