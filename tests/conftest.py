"""Shared fixtures. The Prefect environment is set before Prefect is imported:
a temporary PREFECT_HOME, no analytics (no internet), one test harness (a
temporary API server on loopback) for the whole session."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

_PREFECT_HOME = tempfile.mkdtemp(prefix="veille-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("VEILLE_DB", None)

import pytest  # noqa: E402

pytest_plugins = ["tests.support.fixtures"]

from tests.support.paths import REPO, SEEDS, SHARED  # noqa: E402,F401


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        from prefect.settings import PREFECT_API_URL

        # `veille ingest` (in this process or in subprocesses) uses this server
        # instead of starting its own; tests of that path remove the variable.
        os.environ["PREFECT_API_URL"] = PREFECT_API_URL.value()
        try:
            yield
        finally:
            os.environ.pop("PREFECT_API_URL", None)
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "veille.duckdb"


@pytest.fixture
def seeds() -> list[Path]:
    return sorted(SEEDS.glob("*.txt"))
