"""A real Prefect server for the service tests, and a bounded wait."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from flows.prefect_server import healthy
from tests.support.processes import free_port, stop_group

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float, what: str, step: float = 0.3) -> T:
    """The predicate's first truthy value, polled every `step` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class PrefectServer:
    """`prefect server start` on a free loopback port, in its own session
    (a Ctrl-C typed to the command under test does not reach it)."""

    def __init__(self, home: Path) -> None:
        port = free_port()
        self.api = f"http://127.0.0.1:{port}/api"
        env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
               "PREFECT_UI_API_URL": self.api}  # the UI in a browser asks this server, not :4200  # fmt: skip
        env.pop("PREFECT_API_URL", None)
        prefect = Path(sys.executable).with_name("prefect")
        self.proc = subprocess.Popen(
            [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            wait_for(lambda: self.proc.poll() is not None or healthy(self.api), 120, "the Prefect server")
        except AssertionError:
            self.stop()
            raise
        assert self.proc.poll() is None, "prefect server exited at start"

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return httpx.post(f"{self.api}{path}", json=body, timeout=10).json()

    def runs(self) -> list[dict]:
        """Flow runs of deployments, in expected start order."""
        return self.post("/flow_runs/filter", {"flow_runs": {"deployment_id": {"is_null_": False}},
                                               "limit": 200, "offset": 0,
                                               "sort": "EXPECTED_START_TIME_ASC"})  # fmt: skip

    def active_slots(self) -> int:
        return sum(limit["active_slots"] for limit in self.post("/v2/concurrency_limits/filter", {}))

    def stop(self) -> None:
        stop_group(self.proc)
