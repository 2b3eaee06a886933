"""One family of errors (extractors.core.errors): every exception the project
defines is a `VeilleError`, transient or terminal; the CLI's exit codes follow
from the kind; the flow retries a write only when its error is transient."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from extractors.core.errors import ConfigError, TerminalError, TransientError, VeilleError, is_transient
from extractors.sources.fetch import FetchError, FetchFailure

PACKAGES = ("extractors", "storage", "flows")


def _project_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined at module level in the project's packages."""
    found: dict[str, type[BaseException]] = {}
    for name in PACKAGES:
        package = importlib.import_module(name)
        modules = [package] + [
            importlib.import_module(info.name) for info in pkgutil.walk_packages(package.__path__, f"{name}.")
        ]
        for module in modules:
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                    found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


EXCEPTIONS = _project_exceptions()

# Kind decided below the class, not by it.
MIXED = {
    "extractors.core.errors.VeilleError",  # the root: its two kinds derive from it
    "extractors.sources.fetch.FetchError",  # per instance: a 503 or a timeout is transient, a 404 is not
    "storage.store.StoreError",  # per subclass: StoreLocked is transient, the others terminal
}
# Defined in files this change did not own; the one-line fix for each.
PENDING: dict[str, str] = {}  # exceptions not in the family yet: name -> the line that would fix it


def test_the_walk_finds_the_project_exceptions() -> None:
    for name in ("extractors.sources.fetch.FetchError", "extractors.sources.feeds.NotAFeed",
                 "extractors.text.encoding.DecodeError", "extractors.judge.topic.ProfileError",
                 "storage.store.StoreError", "storage.store.StoreLocked",
                 "storage.locks.RunLockTimeout", *PENDING):  # fmt: skip
        assert name in EXCEPTIONS


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=f"not yet: {PENDING[n]}"))
        if n in PENDING
        else n
        for n in sorted(EXCEPTIONS)
    ],
)
def test_every_exception_is_a_veille_error_transient_or_terminal(name: str) -> None:
    cls = EXCEPTIONS[name]
    if not issubclass(cls, Exception):  # an interruption (Ctrl-C, SIGTERM), not a failure
        assert issubclass(cls, KeyboardInterrupt | SystemExit), name
        return
    assert issubclass(cls, VeilleError), name
    transient, terminal = issubclass(cls, TransientError), issubclass(cls, TerminalError)
    assert not (transient and terminal), name
    assert transient or terminal or name in MIXED, name
    assert cls.transient is transient, name  # the class attribute agrees with the kind


def test_kinds() -> None:
    from storage.locks import RunLockTimeout
    from storage.store import StoreError, StoreLocked

    assert not VeilleError.transient and TransientError.transient and not TerminalError.transient
    assert is_transient(StoreLocked("held")) and is_transient(RunLockTimeout("held"))
    assert not is_transient(StoreError("corrupt")) and not is_transient(ValueError("x"))
    assert isinstance(StoreLocked("held"), StoreError)  # callers catching StoreError still do
    assert isinstance(RunLockTimeout("held"), TimeoutError)


def test_a_fetch_error_is_transient_or_not_per_instance() -> None:
    timeout = FetchError(FetchFailure.TIMEOUT, "read timed out", url="https://a.fr/")
    gone = FetchError(FetchFailure.HTTP_ERROR, "HTTP 404", url="https://a.fr/", status=404)
    busy = FetchError(FetchFailure.HTTP_ERROR, "HTTP 503", url="https://a.fr/", status=503,
                      transient=True)  # fmt: skip
    assert (is_transient(timeout), is_transient(gone), is_transient(busy)) == (True, False, True)
    assert FetchError.transient is False  # the class default is untouched by instances


@pytest.mark.parametrize(  # FetchError, built with keywords, has its own test (test_fetch.py)
    "name", sorted(n for n, c in EXCEPTIONS.items() if issubclass(c, VeilleError) and c is not FetchError)
)
def test_family_errors_pickle_with_their_message(name: str) -> None:
    """Errors cross process boundaries (worker pool, Prefect results)."""
    copy = pickle.loads(pickle.dumps(EXCEPTIONS[name]("what went wrong")))
    assert type(copy) is EXCEPTIONS[name] and str(copy) == "what went wrong"
    assert copy.transient is EXCEPTIONS[name].transient


# -- exit codes ------------------------------------------------------------------


def test_exit_codes_come_from_the_kind() -> None:
    from extractors.core.settings import SettingsError
    from extractors.judge.topic import ProfileError
    from flows.cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, exit_code, fail
    from storage.locks import RunLockTimeout
    from storage.store import StoreError, StoreLocked

    assert (EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED) == (0, 1, 2, 130)  # README
    for usage in (SettingsError("veille.toml: unknown key"), ProfileError("topic.toml: bad"),
                  ConfigError("bad")):  # fmt: skip
        assert exit_code(usage) == 2, usage
    could_not_run = (StoreError("cannot open"), StoreLocked("held"), RunLockTimeout("held"),
                     FetchError(FetchFailure.TIMEOUT, "slow", url="https://a.fr/"),
                     TerminalError("x"), TransientError("x"), RuntimeError("no server"))  # fmt: skip
    for exc in could_not_run:
        assert exit_code(exc) == 1, exc
    assert fail(ProfileError("bad")).exit_code == 2
    assert fail(StoreLocked("held")).exit_code == 1
    assert fail("nothing to do", EXIT_USAGE).exit_code == 2 and fail("no").exit_code == 1


def test_a_bad_topic_profile_exits_2(tmp_path: Path) -> None:
    from flows.cli import app

    profile = tmp_path / "topic.toml"
    profile.write_text("not = [valid\n")
    result = CliRunner().invoke(app, ["extract", "seeds", "--topic", str(profile)])
    assert result.exit_code == 2, result.output
    assert "veille: error:" in result.stderr and "topic.toml" in result.stderr


# -- retries in the flow ---------------------------------------------------------


def _state(exc: BaseException | None) -> SimpleNamespace:
    def result():
        if exc is not None:
            raise exc
        return "ok"

    return SimpleNamespace(result=result)


def test_a_write_is_retried_only_when_its_error_is_transient() -> None:
    from flows.ingest import _retry_when_transient
    from storage.store import StoreError, StoreLocked

    def retried(exc: BaseException | None) -> bool:
        return _retry_when_transient(None, None, _state(exc))

    assert retried(StoreLocked("held by pid 42"))
    assert retried(FetchError(FetchFailure.TIMEOUT, "slow", url="https://a.fr/"))  # the family's rule
    assert not retried(StoreError("disk full"))
    assert not retried(ValueError("a bug"))
    assert not retried(None)
