"""One typed settings object: packaged defaults, then the user's TOML file,
then environment variables, then command-line flags (applied by the caller
through `Settings.replace`). Unknown keys are an error naming the file and key,
so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import UnionType
from typing import Any
from urllib.parse import urlsplit

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
DAY = 86_400
YEAR = 365 * DAY
CRON_ALIASES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def _is_cron(value: str | None) -> bool:
    """Five cron fields (what Prefect schedules accept, checked with cronsim, which
    Prefect installs), or one of the @ aliases; None is no cron."""
    if value is None or value in CRON_ALIASES:
        return True
    from cronsim import CronSim, CronSimError

    try:
        CronSim(value, datetime.now())
    except CronSimError:
        return False
    return len(value.split()) == 5 and not any(f.upper() in ("H", "R") for f in value.split())


CRON: Check = (_is_cron, 'must be a cron expression of five fields ("*/15 * * * *") or @hourly, @daily...')


def up_to(most: float) -> Check:
    """Positive and at most `most`: a value past it is a typo, not a wish."""
    return (lambda v: 0 < v <= most, f"must be positive and at most {most:,}")


def zero_to(most: float) -> Check:
    return (lambda v: 0 <= v <= most, f"must be between 0 and {most:,}")


FRACTION: Check = (lambda v: 0 < v <= 1, "must be in (0, 1]")
DUCKDB_VERSION: Check = (
    lambda v: v == "latest" or re.fullmatch(r"v\d+\.\d+\.\d+", v) is not None,
    "must be a DuckDB version such as v1.2.0, or latest",
)


def one_of(*choices: str) -> Check:
    return (lambda v: v in choices, f"must be one of {', '.join(choices)}")


EXECUTORS = ("local", "dask")  # worker processes of this machine, or a Dask cluster
DASK_ADDRESS: Check = (
    lambda v: v is None or re.fullmatch(r"(tcp|tls)://[^\s/:]+:\d{1,5}", v) is not None,
    'must be a Dask scheduler address such as "tcp://scheduler:8786"',
)


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
    lock_timeout_seconds: float = setting(30.0, zero_to(DAY))  # wait for another process's lock
    run_lock_timeout_seconds: float = setting(300.0, zero_to(DAY))  # wait for another run
    publish_snapshot: bool = True  # copy the database for analysts after each run
    # The DuckDB storage format of the files written: v1.2.0 is read by every DuckDB
    # client from 1.2 on (the CLI, DBeaver, R, older Python environments); "latest"
    # is the writing library's own, which older clients cannot open.
    storage_version: str = setting("v1.2.0", DUCKDB_VERSION)

    def check(self) -> None:
        """The database is a file: `~` is expanded here, once, for the file, its
        lock and its snapshot alike; DuckDB's special names are refused."""
        name = str(self.db)
        if name.startswith((":memory:", "md:", "motherduck:")) or name in ("", "."):
            raise SettingsError(f"{self.key('db')} must name a database file, not {name!r}")
        object.__setattr__(self, "db", Path(self.db).expanduser())


@dataclass(frozen=True, slots=True)
class IngestSettings(Section):
    max_bytes: int = setting(5_000_000, up_to(1_000_000_000))  # per input, files and pages alike
    batch_size: int = setting(200, up_to(100_000))
    chunk_size: int = setting(20, up_to(10_000))
    workers: int = setting(check=up_to(256), factory=lambda: os.cpu_count() or 1)
    language: str = "fr"
    language_prefix_chars: int = setting(500, up_to(1_000_000))
    extraction: str = setting("adaptive", one_of(*EXTRACTION_MODES))  # see extractors.text.html
    near_duplicate_threshold: float = setting(0.6, FRACTION)
    max_seconds_per_input: float = setting(60.0, up_to(DAY))  # time budget to judge one input
    min_file_age_seconds: float = setting(5.0, zero_to(DAY))  # younger files wait a run
    follow_external_symlinks: bool = False  # follow symlinks that leave the named folder
    executor: str = setting("local", one_of(*EXECUTORS))  # where inputs are judged: here, or on Dask
    dask_address: str | None = setting(None, DASK_ADDRESS)  # the Dask scheduler, for executor = "dask"

    def check(self) -> None:
        if self.executor == "dask" and self.dask_address is None:
            raise SettingsError(
                f'{self.key("executor")} = "dask" needs {self.key("dask_address")} ("tcp://host:8786")'
            )


@dataclass(frozen=True, slots=True)
class TopicSettings(Section):
    profile: Path | None = None  # None: the packaged profile

    def check(self) -> None:
        if self.profile is not None:
            object.__setattr__(self, "profile", Path(self.profile).expanduser())


@dataclass(frozen=True, slots=True)
class FetchSettings(Section):
    """How pages and feeds are fetched (extractors.sources.fetch.Fetcher)."""

    connect_timeout: float = setting(5.0, up_to(3600))
    read_timeout: float = setting(10.0, up_to(3600))  # per read
    total_timeout: float = setting(30.0, up_to(DAY))  # one attempt: every hop, headers and body
    max_redirects: int = setting(5, zero_to(50))
    retries: int = setting(2, zero_to(20))  # extra attempts, only for transient failures
    backoff_seconds: float = setting(0.5, zero_to(3600))  # doubled after each attempt
    max_retry_after: float = setting(30.0, zero_to(DAY))  # a longer Retry-After gives up at once
    user_agent: str = USER_AGENT
    respect_robots: bool = True
    allow_private_networks: bool = False  # loopback, private, link-local and reserved targets
    # Networks reachable even when allow_private_networks is false (e.g. ["127.0.0.1/32"] for
    # a test server, or one intranet subnet), so trusting one address does not trust them all.
    allowed_networks: tuple[str, ...] = ()
    per_host_concurrency: int = setting(2, up_to(64))
    per_host_delay: float = setting(0.5, zero_to(3600))  # seconds between two starts on one host
    threads: int = setting(8, up_to(256))
    max_entries_per_feed: int = setting(500, up_to(1_000_000))
    max_attempts: int = setting(5, up_to(1000))  # runs that retry a page after transient failures
    failing_after: int = setting(5, up_to(1000))  # failed polls in a row before a feed is failing

    def check(self) -> None:
        for network in self.allowed_networks:
            if not _is_network(network):
                raise SettingsError(
                    f'{self.key("allowed_networks")} has {network!r}, not a network (e.g. "10.1.0.0/16")'
                )


@dataclass(frozen=True, slots=True)
class ScheduleSettings(Section):
    interval_seconds: int = setting(900, up_to(YEAR))
    cron: str | None = setting(None, CRON)  # five fields, or @hourly, @daily...


@dataclass(frozen=True, slots=True)
class WatchSettings(Section):
    folder: Path | None = None  # `veille serve` ingests new files dropped here
    interval_seconds: int = setting(60, up_to(YEAR))

    def check(self) -> None:
        if self.folder is not None:
            object.__setattr__(self, "folder", Path(self.folder).expanduser())


@dataclass(frozen=True, slots=True)
class StoriesSettings(Section):
    """How articles are grouped into stories (extractors/dedup/stories.py)."""

    window_days: int = setting(3, up_to(365))  # a story takes articles within this of one of its own
    threshold: float = setting(0.15, FRACTION)  # similarity to join a story; below it, a new one


SECTION_OF: dict[type, str] = {
    StorageSettings: "storage",
    IngestSettings: "ingest",
    TopicSettings: "topic",
    FetchSettings: "fetch",
    ScheduleSettings: "schedule",
    WatchSettings: "watch",
    StoriesSettings: "stories",
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
    stories: StoriesSettings = field(default_factory=StoriesSettings)
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


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", Path: "a path (a string)"}


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """A TOML value as the field's type, or an error naming the key."""
    kinds = set(typing.get_args(hint)) - {type(None)} if typing.get_origin(hint) is UnionType else {hint}
    (kind,) = kinds
    if typing.get_origin(kind) is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{where} must be a list of strings, not {value!r}")
        return tuple(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is Path and isinstance(value, str):
        return Path(value)
    if kind is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{where} must be true or false, not {value!r}")
        return value
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SettingsError(f"{where} must be {_TYPE_NAMES.get(kind, kind.__name__)}, not {value!r}")
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
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"{where}.url must be an http(s) URL, not {url!r}")
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
        feed = feeds[-1]
        if feed.cron is not None and not CRON[0](feed.cron):
            raise SettingsError(f"{where}.cron {CRON[1]}, not {feed.cron!r}")
        if feed.interval_seconds is not None and not up_to(YEAR)[0](feed.interval_seconds):
            raise SettingsError(f"{where}.interval_seconds {up_to(YEAR)[1]}, not {feed.interval_seconds!r}")
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
