"""One typed settings object: packaged defaults, then the user's TOML file,
then environment variables, then command-line flags (applied by the caller
through `Settings.replace`). Unknown keys are an error naming the file and key,
so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractors.errors import ConfigError

DEFAULT_DB = Path("data/veille.duckdb")


class SettingsError(ConfigError, ValueError):
    """The configuration is invalid; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Feed:
    """A source to poll, as data: an RSS/Atom feed or a (news) sitemap."""

    name: str
    url: str
    kind: str = "feed"  # "feed" or "sitemap"
    group: str | None = None  # feeds of one group share a schedule (`veille serve`)
    interval_seconds: int | None = None  # overrides [schedule] for this feed or group
    cron: str | None = None


EXTRACTION_MODES = ("adaptive", "full", "fast")


@dataclass(frozen=True, slots=True)
class Settings:
    db: Path = DEFAULT_DB
    lock_timeout_seconds: float = 30.0  # wait for another process's DuckDB lock
    run_lock_timeout_seconds: float = 300.0  # wait for another run on the same database
    publish_snapshot: bool = True  # copy the database for analysts after each run
    max_bytes: int = 5_000_000
    batch_size: int = 200
    chunk_size: int = 20
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    language: str = "fr"
    language_prefix_chars: int = 500
    extraction: str = "adaptive"  # "adaptive", "full" or "fast": see extractors.html.extract
    topic_profile: Path | None = None
    near_duplicate_threshold: float = 0.6
    max_seconds_per_input: float = 60.0  # time budget to judge one input (reject `timeout`)
    min_file_age_seconds: float = 5.0  # files found in folders younger than this wait a run
    follow_external_symlinks: bool = False  # follow symlinks that leave the named folder
    schedule_interval_seconds: int = 900
    schedule_cron: str | None = None
    watch_folder: Path | None = None  # `veille serve` ingests new files dropped here
    watch_interval_seconds: int = 60
    feeds: tuple[Feed, ...] = ()
    # fetching (see extractors.fetch.FetchPolicy)
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0
    max_redirects: int = 5
    retries: int = 2
    max_retry_after: float = 30.0
    user_agent: str = "Veille/0.1 (French news monitoring; respects robots.txt)"
    respect_robots: bool = True
    allow_private_networks: bool = False
    allowed_networks: tuple[str, ...] = ()  # e.g. ("127.0.0.1/32",): trusted despite being private
    per_host_concurrency: int = 2
    per_host_delay: float = 0.5
    fetch_threads: int = 8
    max_entries_per_feed: int = 500
    max_fetch_attempts: int = 5  # runs that retry a page after transient failures
    feed_failing_after: int = 5  # consecutive failed polls before a feed is marked failing

    def replace(self, **changes: Any) -> Settings:
        """A copy with the given fields changed (`None` values are ignored), validated."""
        updated = dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})
        _validate(updated, "settings")
        return updated


# TOML section -> {key: (Settings field, type)}
_SCHEMA: dict[str, dict[str, tuple[str, type]]] = {
    "storage": {
        "db": ("db", Path),
        "lock_timeout_seconds": ("lock_timeout_seconds", float),
        "run_lock_timeout_seconds": ("run_lock_timeout_seconds", float),
        "publish_snapshot": ("publish_snapshot", bool),
    },
    "ingest": {
        "max_bytes": ("max_bytes", int),
        "batch_size": ("batch_size", int),
        "chunk_size": ("chunk_size", int),
        "workers": ("workers", int),
        "language": ("language", str),
        "language_prefix_chars": ("language_prefix_chars", int),
        "extraction": ("extraction", str),
        "near_duplicate_threshold": ("near_duplicate_threshold", float),
        "max_seconds_per_input": ("max_seconds_per_input", float),
        "min_file_age_seconds": ("min_file_age_seconds", float),
        "follow_external_symlinks": ("follow_external_symlinks", bool),
    },
    "topic": {"profile": ("topic_profile", Path)},
    "fetch": {
        "connect_timeout": ("connect_timeout", float),
        "read_timeout": ("read_timeout", float),
        "total_timeout": ("total_timeout", float),
        "max_redirects": ("max_redirects", int),
        "retries": ("retries", int),
        "max_retry_after": ("max_retry_after", float),
        "user_agent": ("user_agent", str),
        "respect_robots": ("respect_robots", bool),
        "allow_private_networks": ("allow_private_networks", bool),
        "allowed_networks": ("allowed_networks", list),
        "per_host_concurrency": ("per_host_concurrency", int),
        "per_host_delay": ("per_host_delay", float),
        "threads": ("fetch_threads", int),
        "max_entries_per_feed": ("max_entries_per_feed", int),
        "max_attempts": ("max_fetch_attempts", int),
        "failing_after": ("feed_failing_after", int),
    },
    "schedule": {
        "interval_seconds": ("schedule_interval_seconds", int),
        "cron": ("schedule_cron", str),
    },
    "watch": {
        "folder": ("watch_folder", Path),
        "interval_seconds": ("watch_interval_seconds", int),
    },
}
# Settings field -> the key as the user writes it ("fetch.retries"), for messages.
_KEY_OF = {field: f"{section}.{key}" for section, keys in _SCHEMA.items() for key, (field, _) in keys.items()}
_FEED_KEYS = {"name", "url", "kind", "group", "interval_seconds", "cron"}
_FEED_KINDS = {"feed", "sitemap"}


def _coerce(value: Any, kind: type, where: str) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is Path and isinstance(value, str):
        return Path(value)
    if kind is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{where}: expected a list of strings, got {value!r}")
        return tuple(value)
    if kind is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{where}: expected true or false, got {value!r}")
        return value
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
        where = f"{origin}: feeds[{i}]"
        url = _coerce(entry["url"], str, f"{where}.url")
        kind = _coerce(entry.get("kind", "feed"), str, f"{where}.kind")
        if kind not in _FEED_KINDS:
            raise SettingsError(f"{where}.kind: expected one of {sorted(_FEED_KINDS)}, got {kind!r}")
        interval = entry.get("interval_seconds")
        feeds.append(
            Feed(
                name=_coerce(entry.get("name") or url, str, f"{where}.name"),
                url=url,
                kind=kind,
                group=_coerce(entry["group"], str, f"{where}.group") if "group" in entry else None,
                interval_seconds=_coerce(interval, int, f"{where}.interval_seconds")
                if interval is not None
                else None,
                cron=_coerce(entry["cron"], str, f"{where}.cron") if "cron" in entry else None,
            )
        )
    return feeds


def _validate(s: Settings, origin: str) -> None:
    """Every bound, at load: a value the run could not use is an error now
    (exit 2, one line naming the key as the user writes it), not a traceback
    halfway through a run. NaN fails every comparison, so it fails here too."""

    def bad(name: str, what: str) -> SettingsError:
        return SettingsError(f"{origin}: {_KEY_OF.get(name, name)} {what}")

    positive = (
        "max_bytes", "batch_size", "chunk_size", "workers", "language_prefix_chars",
        "connect_timeout", "read_timeout", "total_timeout", "per_host_concurrency",
        "fetch_threads", "max_entries_per_feed", "schedule_interval_seconds", "max_fetch_attempts",
        "max_seconds_per_input", "watch_interval_seconds", "feed_failing_after",
    )  # fmt: skip
    for name in positive:
        if not getattr(s, name) > 0:
            raise bad(name, f"must be positive, not {getattr(s, name)!r}")
    non_negative = (
        "max_redirects", "retries", "max_retry_after", "per_host_delay", "min_file_age_seconds",
        "lock_timeout_seconds", "run_lock_timeout_seconds",
    )  # fmt: skip
    for name in non_negative:
        if not getattr(s, name) >= 0:
            raise bad(name, f"must be zero or more, not {getattr(s, name)!r}")
    for network in s.allowed_networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise bad("allowed_networks", f"has {network!r}, not a network (e.g. \"10.1.0.0/16\")") from None
    if s.extraction not in EXTRACTION_MODES:
        raise bad("extraction", f"must be one of {', '.join(EXTRACTION_MODES)}, not {s.extraction!r}")
    if not 0 < s.near_duplicate_threshold <= 1:
        raise bad("near_duplicate_threshold", "must be in (0, 1]")


def load(config: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Defaults, then `config` if given, then the environment: `VEILLE_DB`,
    and `VEILLE_ALLOW_PRIVATE_NETWORKS=1` (fetch from loopback and private
    addresses: tests, intranets)."""
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
    if env.get("VEILLE_ALLOW_PRIVATE_NETWORKS", "").strip().lower() in ("1", "true", "yes"):
        settings = settings.replace(allow_private_networks=True)
    return settings


def fetch_policy(s: Settings):  # -> extractors.fetch.FetchPolicy (imported late: httpx is slow)
    from extractors.fetch import FetchPolicy

    return FetchPolicy(
        connect_timeout=s.connect_timeout,
        read_timeout=s.read_timeout,
        total_timeout=s.total_timeout,
        max_bytes=s.max_bytes,
        max_redirects=s.max_redirects,
        retries=s.retries,
        max_retry_after=s.max_retry_after,
        user_agent=s.user_agent,
        respect_robots=s.respect_robots,
        allow_private=s.allow_private_networks,
        allowed_networks=tuple(s.allowed_networks),
        per_host_concurrency=s.per_host_concurrency,
        per_host_delay=s.per_host_delay,
    )
