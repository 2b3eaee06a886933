"""Pytest fixtures for the test helpers; loaded by tests/conftest.py via `pytest_plugins`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import LocalServer


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A fresh LocalServer on 127.0.0.1, stopped after the test."""
    with LocalServer() as server:
        yield server
