"""Processes a test starts: a free loopback port for a server, and a stop that
leaves nothing behind. (benchmarks/run.py keeps its own: the benchmarks do not
import the tests.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess


def free_port() -> int:
    """A loopback port nothing listens on (connection refused), as far as one can tell."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_group(proc: subprocess.Popen, grace: float = 30.0) -> None:
    """End `proc` and the process group it leads (started with
    start_new_session=True): SIGTERM, then SIGKILL when it has not exited after
    `grace` seconds, or at once when `grace` is 0. Nothing is sent to a process
    that has already exited."""
    if proc.poll() is not None:
        return
    if grace > 0:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            pass
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
