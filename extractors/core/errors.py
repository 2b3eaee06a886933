"""The one family of Veille's expected failures.

Every exception the project raises on purpose derives from `VeilleError`, so
`except VeilleError` catches every expected failure (anything else is a bug).
Each says, through `transient`, whether trying the same thing again later
may succeed:

- `TransientError` (transient = True): a lock held by another process, a
  timeout, a 503. A retry, or the next run, may succeed.
- `TerminalError` (transient = False): bad configuration, a parse error, a
  404. Retrying will not help; something must change first.
  `ConfigError` is the terminal kind the user fixes in a configuration file
  (the command line exits 2 for it).

`transient` is a class attribute, so a class whose kind depends on the case
may set it per instance instead (`FetchError`: a 503 is transient, a 404 is
not); `is_transient` reads it. Extra builtin bases stay where callers catch
an error as one (`SettingsError` is also a `ValueError`, `RunLockTimeout` a
`TimeoutError`).

Interruptions are not errors: Ctrl-C and SIGTERM stay `KeyboardInterrupt`
and the like (`BaseException`), outside this family.
"""

from __future__ import annotations


class VeilleError(Exception):
    """An expected failure; the message is one line that says what and where."""

    transient: bool = False  # may the same attempt succeed later?


class TransientError(VeilleError):
    """Retrying later may succeed: a lock held, a timeout, a 503."""

    transient = True


class TerminalError(VeilleError):
    """Retrying will not help: bad configuration, a parse error, a 404."""

    transient = False


class ConfigError(TerminalError):
    """A configuration file (settings, topic profile) is invalid; the user must fix it."""


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` is an expected failure that a later attempt may get past."""
    return isinstance(exc, VeilleError) and bool(exc.transient)
