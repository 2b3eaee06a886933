"""The Prefect server `veille ingest` starts for itself when none is set."""

from __future__ import annotations

import subprocess
from importlib.metadata import version

import pytest

from flows import prefect_server
from flows.prefect_server import TemporaryServer, healthy


def test_temporary_server_answers_on_loopback_and_stops(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    server = TemporaryServer(startup_timeout=120)
    try:
        url = server.wait()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api")
        assert healthy(url)
        proc = server._proc
    finally:
        server.stop()
    assert proc is not None and proc.poll() is not None
    assert not healthy(url)
    server.stop()  # again, as the exit handler will: no error


def test_a_server_that_cannot_start_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setattr(prefect_server, "prefect_executable", lambda: "false")
    server = TemporaryServer(startup_timeout=30)
    with pytest.raises(RuntimeError, match="temporary Prefect server exited with code 1"):
        server.wait()
    assert server._proc is not None and server._proc.wait(timeout=5) == 1
    server.stop()


def test_prefect_executable_is_this_environments() -> None:
    out = subprocess.run([prefect_server.prefect_executable(), "version"], capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0 and version("prefect") in out.stdout
