"""A Prefect API server for one `veille ingest`, when none is configured.

With no PREFECT_API_URL, Prefect starts a temporary server by itself when a
flow is first called, after its server modules are imported in the calling
process (about 3 s), and stops it in about a second at exit. Veille starts
one itself instead, as the command starts, through Prefect's own command
(`prefect server start` without the UI, the scheduler and the late-runs
service, which a single run has no use for, and without analytics; the
services that record task runs and events from the run stay on) on a free
loopback port: it comes up while the
command imports the flow and the worker processes warm up, and it stops in
0.2 s. It uses the same database as Prefect's temporary server (the one in
PREFECT_HOME), so runs show in the UI of any server started there later.

This module imports nothing of Prefect: it is loaded before Prefect is.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from flows.timings import mark


def prefect_executable() -> str:
    """The `prefect` command of this environment (the one beside this Python
    first: another one on PATH may be another version)."""
    beside = Path(sys.executable).with_name("prefect")
    return str(beside) if beside.exists() else (shutil.which("prefect") or "prefect")


def die_with_parent() -> None:
    """`preexec_fn` for a server in its own session (out of reach of the
    terminal's Ctrl-C, stopped by us last): it gets SIGTERM if we are killed
    (kill -9) before we can stop it, instead of running on as an orphan.
    Linux only; elsewhere the server is left to the operator."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=2.0) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


# Settings of the temporary server only (the user's own environment wins). A
# server registers Prefect's block types in its database as it starts: to know
# whether they changed since the last start it imports every installed Prefect
# collection (prefect-dask brings Dask's `distributed`) and hashes them all,
# about 0.5 s of its start-up for blocks a single run never uses. Any server
# started later in PREFECT_HOME registers them at its own start.
SERVER_ENV = {
    "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
    "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false",
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporaryServer:
    """Started on construction; `wait()` returns its API URL once it answers.
    Stopped at interpreter exit, after Prefect has sent the run's last logs
    (exit handlers run last-registered first, and Prefect registers its own
    once a flow runs, after this one), or by `stop()`."""

    def __init__(self, startup_timeout: float = 90.0, attempts: int = 3) -> None:
        self.startup_timeout = startup_timeout
        self._attempts = attempts
        self._grace = 10.0  # seconds for the server to stop before it is killed
        self._output = tempfile.TemporaryFile()
        self._start()
        atexit.register(self.stop)

    def _start(self) -> None:
        self.port = _free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self._attempts -= 1
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [prefect_executable(), "server", "start", "--host", "127.0.0.1", "--port", str(self.port),
             "--no-ui", "--no-scheduler", "--no-late-runs", "--analytics-off", "--log-level", "ERROR"],
            stdin=subprocess.DEVNULL,
            env=SERVER_ENV | dict(os.environ),
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the command's process group, not the server
            preexec_fn=die_with_parent,
        )  # fmt: skip

    def wait(self) -> str:
        deadline = time.monotonic() + self.startup_timeout
        while not healthy(self.api_url):
            assert self._proc is not None
            code = self._proc.poll()
            if code is not None:
                if self._attempts > 0:  # most likely the port was taken meanwhile
                    self._start()
                    continue
                raise RuntimeError(f"the temporary Prefect server exited with code {code}: {self._tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"the temporary Prefect server did not answer within {self.startup_timeout:g} s "
                    "(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)"
                )
            time.sleep(0.05)
        return self.api_url

    def _tail(self) -> str:
        self._output.seek(0)
        lines = self._output.read().decode("utf-8", "replace").strip().splitlines()
        return " | ".join(lines[-5:]) or "no output"

    def hurry(self) -> None:
        """The command was interrupted: at exit, give the server a moment to
        finish what it was writing, not the usual ten seconds (it can take
        six to shut down gracefully mid-run, and Ctrl-C must end the command
        within five). Logs and states were already sent by then."""
        self._grace = 1.5

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            mark("server-stop")
            stop_process(proc, grace=self._grace)
            mark("server-stopped")


def stop_process(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, then SIGKILL if it is still there after `grace` seconds; reaped."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def startup_timeout() -> float:
    try:
        return float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))
    except ValueError:
        return 90.0
