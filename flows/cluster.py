"""Extraction on a Dask cluster (`[ingest] executor = "dask"`).

The `process-chunk` task runs of a run go to the scheduler at
`[ingest] dask_address` through prefect-dask's `DaskTaskRunner`: each runs on
some Dask worker, which reports it to the Prefect API itself. Everything
else stays in the flow's process: discovery, fetching, and the single writer
of the DuckDB file.

A chunk carries what judging it needs, so that a worker needs no access to
the flow's files: local inputs are read in the flow's process and travel as
documents (or as their rejects, which need no judging), the topic profile
travels as data. The boilerplate rules and the models (trafilatura,
langdetect) are part of the installed package, as the code is: a worker is
a host with the project installed (the same image, in docker-compose.yml).

What a cluster can do to a run:

- the scheduler cannot be reached when the run starts: `ClusterUnreachable`,
  raised before anything is recorded;
- a worker dies while judging a chunk: Dask runs the chunk again on another
  worker (the run ends with every input once); when the chunk has killed
  `distributed.scheduler.allowed-failures` workers, or the scheduler is lost,
  `ClusterLost`: the run stops as interrupted, what was written stays, and
  the next run takes the rest.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import CancelledError
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from extractors.core.errors import TransientError
from extractors.core.settings import Settings

CONNECT_SECONDS = 10.0  # to reach the scheduler when a run starts


class ClusterUnreachable(TransientError, ConnectionError):
    """The Dask scheduler cannot be reached: nothing was judged or recorded."""


class ClusterLost(TransientError, RuntimeError):
    """The cluster failed a chunk (its workers kept dying, or the scheduler went
    away): the run stops there, the next run takes the rest."""


def check_reachable(address: str, timeout: float = CONNECT_SECONDS) -> None:
    """Fail fast (a TCP connection, no Dask client) when nothing listens at the
    scheduler's address: before any Prefect or run start."""
    parts = urlsplit(address)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 8786), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ClusterUnreachable(f"cannot reach the Dask scheduler at {address}: {reason}") from None


@contextmanager
def dask_runner(settings: Settings) -> Iterator[Any]:
    """A started `DaskTaskRunner` connected to the settings' scheduler, for one run."""
    from prefect_dask import DaskTaskRunner

    address = settings.ingest.dask_address
    runner = DaskTaskRunner(address=address, client_kwargs={"timeout": f"{CONNECT_SECONDS:g}s"})
    with runner:
        try:
            runner.client  # noqa: B018 - connects now: an unreachable scheduler fails the run at its start
        except (OSError, TimeoutError) as exc:
            raise ClusterUnreachable(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        yield runner


def cluster_failure(exc: BaseException) -> bool:
    """Whether a chunk's failure is the cluster's (a worker that kept dying, a
    lost scheduler or connection) rather than the code's. `process_items`
    never raises for a bad input, so these are the only expected ones."""
    from distributed import KilledWorker

    return isinstance(exc, KilledWorker | CancelledError | OSError | TimeoutError)
