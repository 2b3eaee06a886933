"""One typed settings object: packaged defaults, then the user's TOML file,
then environment variables, then command-line flags (applied by the caller
through `Settings.replace`). Unknown keys are an error naming the file and key,
so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_DB = Path("data/veille.duckdb")


class SettingsError(ValueError):
    """The configuration is invalid; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Feed:
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Settings:
    db: Path = DEFAULT_DB
    lock_timeout_seconds: float = 30.0
    max_bytes: int = 5_000_000
    batch_size: int = 200
    chunk_size: int = 20
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    language: str = "fr"
    language_prefix_chars: int = 1000
    topic_profile: Path | None = None
    near_duplicate_threshold: float = 0.6
    schedule_interval_seconds: int = 900
    schedule_cron: str | None = None
    feeds: tuple[Feed, ...] = ()

    def replace(self, **changes: Any) -> Settings:
        """A copy with the given fields changed; `None` values are ignored."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


# TOML section -> {key: (Settings field, type)}
_SCHEMA: dict[str, dict[str, tuple[str, type]]] = {
    "storage": {"db": ("db", Path), "lock_timeout_seconds": ("lock_timeout_seconds", float)},
    "ingest": {
        "max_bytes": ("max_bytes", int),
        "batch_size": ("batch_size", int),
        "chunk_size": ("chunk_size", int),
        "workers": ("workers", int),
        "language": ("language", str),
        "language_prefix_chars": ("language_prefix_chars", int),
        "near_duplicate_threshold": ("near_duplicate_threshold", float),
    },
    "topic": {"profile": ("topic_profile", Path)},
    "schedule": {
        "interval_seconds": ("schedule_interval_seconds", int),
        "cron": ("schedule_cron", str),
    },
}
_FEED_KEYS = {"name", "url"}


def _coerce(value: Any, kind: type, where: str) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is Path and isinstance(value, str):
        return Path(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SettingsError(f"{where}: expected {kind.__name__}, got {value!r}")
    return value


def parse(data: dict[str, Any], origin: str, base: Settings | None = None) -> Settings:
    """Apply a parsed TOML document to `base` (defaults when None)."""
    changes: dict[str, Any] = {}
    for section, body in data.items():
        if section == "feeds":
            changes["feeds"] = tuple(_parse_feeds(body, origin))
            continue
        if section not in _SCHEMA:
            raise SettingsError(f"{origin}: unknown section [{section}]")
        if not isinstance(body, dict):
            raise SettingsError(f"{origin}: [{section}] must be a table")
        for key, value in body.items():
            if key not in _SCHEMA[section]:
                raise SettingsError(f"{origin}: unknown key '{section}.{key}'")
            name, kind = _SCHEMA[section][key]
            changes[name] = _coerce(value, kind, f"{origin}: {section}.{key}")
    settings = dataclasses.replace(base or Settings(), **changes)
    _validate(settings, origin)
    return settings


def _parse_feeds(body: Any, origin: str) -> list[Feed]:
    if not isinstance(body, list):
        raise SettingsError(f"{origin}: feeds must be an array of tables ([[feeds]])")
    feeds = []
    for i, entry in enumerate(body, 1):
        unknown = set(entry) - _FEED_KEYS
        if unknown:
            raise SettingsError(f"{origin}: unknown key 'feeds[{i}].{sorted(unknown)[0]}'")
        if "url" not in entry:
            raise SettingsError(f"{origin}: feeds[{i}] has no url")
        url = _coerce(entry["url"], str, f"{origin}: feeds[{i}].url")
        feeds.append(Feed(name=str(entry.get("name") or url), url=url))
    return feeds


def _validate(s: Settings, origin: str) -> None:
    positive = ("max_bytes", "batch_size", "chunk_size", "workers", "language_prefix_chars")
    for name in positive:
        if getattr(s, name) <= 0:
            raise SettingsError(f"{origin}: {name} must be positive")
    if not 0 < s.near_duplicate_threshold <= 1:
        raise SettingsError(f"{origin}: near_duplicate_threshold must be in (0, 1]")


def load(config: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Defaults, then `config` if given, then `VEILLE_DB` from the environment."""
    settings = Settings()
    if config is not None:
        try:
            data = tomllib.loads(Path(config).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"{config}: cannot read ({exc.strerror or exc})") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{config}: invalid TOML ({exc})") from exc
        settings = parse(data, str(config), settings)
    env = os.environ if environ is None else environ
    if env.get("VEILLE_DB"):
        settings = settings.replace(db=Path(env["VEILLE_DB"]))
    return settings
