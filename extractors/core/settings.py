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
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any

from extractors.core.errors import ConfigError

DEFAULT_DB = Path("data/veille.duckdb")


class SettingsError(ConfigError, ValueError):
    """The configuration is invalid; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Feed:
    """A source to poll, as data: its kind names one of extractors.sources.registry
    ("feed", "sitemap", ...), checked against it when the command loads them."""

    name: str
    url: str
    kind: str = "feed"
    group: str | None = None  # feeds of one group share a schedule (`veille serve`)
    interval_seconds: int | None = None  # overrides [schedule] for this feed or group
    cron: str | None = None


EXTRACTION_MODES = ("adaptive", "full", "fast")
USER_AGENT = "Veille/0.1 (French news monitoring; respects robots.txt)"


# Checks: (test, what the message says when the test fails). NaN fails every
# comparison, so it fails every bound too.
Check = tuple[Callable[[Any], bool], str]
POSITIVE: Check = (lambda v: v > 0, "must be positive")
NON_NEGATIVE: Check = (lambda v: v >= 0, "must be zero or more")
FRACTION: Check = (lambda v: 0 < v <= 1, "must be in (0, 1]")


def one_of(*choices: str) -> Check:
    return (lambda v: v in choices, f"must be one of {', '.join(choices)}")


def _is_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def setting(default: Any = dataclasses.MISSING, check: Check | None = None, *, factory: Any = None) -> Any:
    """A field declared once: its default and its bound."""
    if factory is not None:
        return field(default_factory=factory, metadata={"check": check})
    return field(default=default, metadata={"check": check})


@dataclass(frozen=True, slots=True)
class Section:
    """A TOML section: field names are the keys as the user writes them, and
    every value is checked when the section is built (at load, by `replace`,
    or directly in code), so no part of Veille holds a value it cannot use."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            check = f.metadata.get("check")
            value = getattr(self, f.name)
            if check is not None and not check[0](value):
                raise SettingsError(f"{self.key(f.name)} {check[1]}, not {value!r}")
        self.check()

    @classmethod
    def key(cls, name: str) -> str:
        return f"{SECTION_OF[cls]}.{name}"

    def check(self) -> None:
        """Checks that span fields or items; none by default."""


@dataclass(frozen=True, slots=True)
class StorageSettings(Section):
    db: Path = DEFAULT_DB
    lock_timeout_seconds: float = setting(30.0, NON_NEGATIVE)  # wait for another process's lock
    run_lock_timeout_seconds: float = setting(300.0, NON_NEGATIVE)  # wait for another run
    publish_snapshot: bool = True  # copy the database for analysts after each run


@dataclass(frozen=True, slots=True)
class IngestSettings(Section):
    max_bytes: int = setting(5_000_000, POSITIVE)  # per input, files and pages alike
    batch_size: int = setting(200, POSITIVE)
    chunk_size: int = setting(20, POSITIVE)
    workers: int = setting(check=POSITIVE, factory=lambda: os.cpu_count() or 1)
    language: str = "fr"
    language_prefix_chars: int = setting(500, POSITIVE)
    extraction: str = setting("adaptive", one_of(*EXTRACTION_MODES))  # see extractors.text.html
    near_duplicate_threshold: float = setting(0.6, FRACTION)
    max_seconds_per_input: float = setting(60.0, POSITIVE)  # time budget to judge one input
    min_file_age_seconds: float = setting(5.0, NON_NEGATIVE)  # younger files wait a run
    follow_external_symlinks: bool = False  # follow symlinks that leave the named folder


@dataclass(frozen=True, slots=True)
class TopicSettings(Section):
    profile: Path | None = None  # None: the packaged profile


@dataclass(frozen=True, slots=True)
class FetchSettings(Section):
    """How pages and feeds are fetched (extractors.sources.fetch.Fetcher)."""

    connect_timeout: float = setting(5.0, POSITIVE)
    read_timeout: float = setting(10.0, POSITIVE)  # per read
    total_timeout: float = setting(30.0, POSITIVE)  # one attempt: every hop, headers and body
    max_redirects: int = setting(5, NON_NEGATIVE)
    retries: int = setting(2, NON_NEGATIVE)  # extra attempts, only for transient failures
    backoff_seconds: float = setting(0.5, NON_NEGATIVE)  # doubled after each attempt
    max_retry_after: float = setting(30.0, NON_NEGATIVE)  # a longer Retry-After gives up at once
    user_agent: str = USER_AGENT
    respect_robots: bool = True
    allow_private_networks: bool = False  # loopback, private, link-local and reserved targets
    # Networks reachable even when allow_private_networks is false (e.g. ["127.0.0.1/32"] for
    # a test server, or one intranet subnet), so trusting one address does not trust them all.
    allowed_networks: tuple[str, ...] = ()
    per_host_concurrency: int = setting(2, POSITIVE)
    per_host_delay: float = setting(0.5, NON_NEGATIVE)  # seconds between two starts on one host
    threads: int = setting(8, POSITIVE)
    max_entries_per_feed: int = setting(500, POSITIVE)
    max_attempts: int = setting(5, POSITIVE)  # runs that retry a page after transient failures
    failing_after: int = setting(5, POSITIVE)  # failed polls in a row before a feed is failing

    def check(self) -> None:
        for network in self.allowed_networks:
            if not _is_network(network):
                raise SettingsError(
                    f'{self.key("allowed_networks")} has {network!r}, not a network (e.g. "10.1.0.0/16")'
                )


@dataclass(frozen=True, slots=True)
class ScheduleSettings(Section):
    interval_seconds: int = setting(900, POSITIVE)
    cron: str | None = None


@dataclass(frozen=True, slots=True)
class WatchSettings(Section):
    folder: Path | None = None  # `veille serve` ingests new files dropped here
    interval_seconds: int = setting(60, POSITIVE)


SECTION_OF: dict[type, str] = {
    StorageSettings: "storage",
    IngestSettings: "ingest",
    TopicSettings: "topic",
    FetchSettings: "fetch",
    ScheduleSettings: "schedule",
    WatchSettings: "watch",
}


@dataclass(frozen=True, slots=True)
class Settings:
    """The whole configuration: one section per TOML table, and the feeds."""

    storage: StorageSettings = field(default_factory=StorageSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    topic: TopicSettings = field(default_factory=TopicSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    feeds: tuple[Feed, ...] = ()

    def replace(self, changes: dict[str, Any], origin: str = "settings") -> Settings:
        """A copy with keys written as in the file ("ingest.workers", "feeds")
        changed; `None` values are ignored (a flag not given). Checked."""
        by_section: dict[str, dict[str, Any]] = {}
        top: dict[str, Any] = {}
        for key, value in changes.items():
            if value is None:
                continue
            section, _, name = key.partition(".")
            if not name:
                top[key] = value
            else:
                by_section.setdefault(section, {})[name] = value
        try:
            sections = {s: dataclasses.replace(getattr(self, s), **v) for s, v in by_section.items()}
        except SettingsError as exc:
            raise SettingsError(f"{origin}: {exc}") from None
        return dataclasses.replace(self, **sections, **top)


_SECTIONS: dict[str, type[Section]] = {name: cls for cls, name in SECTION_OF.items()}
_FEED_KEYS = {"name", "url", "kind", "group", "interval_seconds", "cron"}


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """A TOML value as the field's type, or an error naming the key."""
    kinds = set(typing.get_args(hint)) - {type(None)} if typing.get_origin(hint) is UnionType else {hint}
    (kind,) = kinds
    if typing.get_origin(kind) is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{where}: expected a list of strings, got {value!r}")
        return tuple(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is Path and isinstance(value, str):
        return Path(value)
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
        if section not in _SECTIONS:
            raise SettingsError(f"{origin}: unknown section [{section}]")
        if not isinstance(body, dict):
            raise SettingsError(f"{origin}: [{section}] must be a table")
        hints = typing.get_type_hints(_SECTIONS[section])
        for key, value in body.items():
            if key not in hints:
                raise SettingsError(f"{origin}: unknown key '{section}.{key}'")
            changes[f"{section}.{key}"] = _coerce(value, hints[key], f"{origin}: {section}.{key}")
    return (base or Settings()).replace(changes, origin)


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
        kind = _coerce(entry.get("kind", "feed"), str, f"{where}.kind")  # known? see registry.check
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
        settings = settings.replace({"storage.db": Path(env["VEILLE_DB"])}, "VEILLE_DB")
    if env.get("VEILLE_ALLOW_PRIVATE_NETWORKS", "").strip().lower() in ("1", "true", "yes"):
        settings = settings.replace({"fetch.allow_private_networks": True})
    return settings
