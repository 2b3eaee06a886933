"""One HTTP client we control, shared by the worker threads of a run.

Everything a hostile or broken server can do to a crawler is bounded here:
time (connect and read timeouts, and a budget for the whole request, every
redirect hop and the body included, checked while the body streams, so a body
dripping one byte a second cannot hold a worker; time spent queueing for a
host slot is not charged to it), memory (a cap on *decoded* bytes: we undo gzip/deflate ourselves in
bounded pieces, so a gzip bomb stops at the cap instead of inflating a 64 KiB
network read into tens of megabytes), and reach (only http/https, redirects
followed by hand so that every hop is checked: the host is resolved and
loopback, private, link-local, reserved, multicast and unspecified addresses
are refused before any connection is made, unless the policy allows them).

Every failure leaves as a `FetchError` whose `kind` is one of the closed set
`FetchFailure` and whose `transient` flag says whether a later attempt may
succeed. Only transient failures are retried, with exponential backoff, and a
`Retry-After` header is honoured up to `max_retry_after`.

robots.txt is fetched once per origin through the same guarded client and
cached for the life of the `Fetcher`. A 4xx answer (no robots.txt) allows
everything. A 5xx answer, a timeout or any other failure also allows
everything: RFC 9309 would have us treat an unreachable robots.txt as "disallow
all", but one feed polled every few minutes is not the crawl that rule protects
against, and a flaky robots.txt must not silence a news source. The choice is
cached with the rest, so a failing robots.txt is not re-requested before every
page.

The caller decides what is trusted: the environment variable
VEILLE_ALLOW_PRIVATE_NETWORKS is read by the flows, which set
`[fetch] allow_private_networks`; this module never reads the environment (and
httpx is told not to either, so no proxy variable can reroute requests).

Known limit: the address check resolves the host, then httpx resolves it again
to connect. A DNS server that answers differently the second time (DNS
rebinding) could slip past the check; closing that needs a connection layer
that dials the checked address itself.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.robotparser import RobotFileParser

import httpx

from extractors.core.errors import VeilleError
from extractors.core.settings import FetchSettings, IngestSettings
from extractors.sources.inflate import CorruptStream, Inflater

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ROBOTS_MAX_BYTES = 500_000  # Google reads the first 500 KiB of a robots.txt
_MESSAGE_MAX = 300


class FetchFailure(enum.StrEnum):
    """Closed set of reasons a fetch fails."""

    HTTP_ERROR = "http_error"  # a status we do not accept (4xx, 5xx, odd 3xx) or a bad body
    TIMEOUT = "timeout"  # connect, read, or the whole-request deadline
    CONNECTION = "connection"  # refused, reset, DNS failure, TLS failure
    TOO_LARGE = "too_large"  # decoded body over `max_bytes`
    BLOCKED = "blocked"  # private address, or a redirect somewhere we never go
    ROBOTS = "robots"  # robots.txt disallows the URL for our user agent
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    UNSUPPORTED_SCHEME = "unsupported_scheme"  # not http/https (file:, ftp:, gopher:, ...)
    INVALID_URL = "invalid_url"
    TRUNCATED = "truncated"  # body ended before its declared length

    @property
    def transient(self) -> bool:
        """Default answer to "may a later attempt succeed?" (HTTP errors depend on status)."""
        return self in _TRANSIENT


_TRANSIENT = frozenset({FetchFailure.TIMEOUT, FetchFailure.CONNECTION, FetchFailure.TRUNCATED})


class FetchError(VeilleError):
    """A fetch that failed; `str(exc)` is one line naming the URL and the cause.

    Transient or terminal case by case, so `transient` is set on each instance
    (a 503 or a timeout may pass, a 404 will not), overriding the family's
    class attribute."""

    def __init__(
        self,
        kind: FetchFailure | str,
        message: str,
        *,
        url: str,
        status: int | None = None,
        transient: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        message = " ".join(message.split())[:_MESSAGE_MAX]
        super().__init__(message)
        self.kind = FetchFailure(kind)
        self.url = url
        self.status = status
        self.transient = self.kind.transient if transient is None else transient
        self.retry_after = retry_after  # seconds the server asked us to wait, if it did

    # Exceptions pickle as `cls(*self.args)`, here `FetchError(message)`: without
    # `kind` and the keyword-only `url` that call fails, so pickling is by hand.
    def __reduce__(self):
        return _rebuild_error, (
            self.kind.value,
            str(self),
            self.url,
            self.status,
            self.transient,
            self.retry_after,
        )


def _rebuild_error(kind, message, url, status, transient, retry_after) -> FetchError:
    return FetchError(kind, message, url=url, status=status, transient=transient, retry_after=retry_after)


@dataclass(frozen=True, slots=True)
class FetchedPage:
    url: str  # as requested
    final_url: str  # after redirects
    status: int  # 200 (or another 2xx), or 304 for not modified
    content: bytes  # Content-Encoding undone, at most max_bytes
    content_type: str | None  # media type, lower case, without parameters
    charset: str | None  # from the Content-Type header
    etag: str | None
    last_modified: str | None
    not_modified: bool
    elapsed: float  # seconds for the whole `get` call, retries included


class _Budget:
    """Seconds left for one attempt (`total_timeout`), spent only while a hop is on the
    wire: waiting for a host slot or for robots.txt does not count against the page."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    @contextmanager
    def running(self) -> Iterator[float]:
        """The deadline of the hop about to run."""
        started = time.monotonic()
        try:
            yield started + self.left
        finally:
            self.left -= time.monotonic() - started


@dataclass
class _Host:
    slots: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0


class Fetcher:
    """Thread-safe: one instance is meant to be shared by all the workers of a run."""

    def __init__(
        self,
        policy: FetchSettings | None = None,
        max_bytes: int | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """`policy` is the `[fetch]` section of the settings; `max_bytes` caps a
        decoded body (`[ingest] max_bytes`, the same cap as for files)."""
        self.policy = policy = policy or FetchSettings()
        self.max_bytes = IngestSettings().max_bytes if max_bytes is None else max_bytes
        self._allowed = tuple(
            ipaddress.ip_network(network, strict=False) for network in policy.allowed_networks
        )
        self._transport = transport
        self._http: httpx.Client | None = None  # made at the first request: see _client
        self._lock = threading.Lock()
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, RobotFileParser | None] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    @property
    def _client(self) -> httpx.Client:
        """The HTTP client, made when first needed: its TLS context loads the
        system's certificates (about 60 ms), which a run of local files never uses."""
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(
                    transport=self._transport or httpx.HTTPTransport(retries=0),
                    follow_redirects=False,
                    trust_env=False,
                    headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": "gzip, deflate"},
                )
            return self._http

    def close(self) -> None:
        with self._lock:
            http, self._http = self._http, None
        if http is not None:
            http.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchedPage:
        """GET `url`; raise FetchError. With `etag`/`last_modified` the request is
        conditional and an unchanged page comes back with `not_modified=True`."""
        started = time.monotonic()
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        policy = self.policy
        attempt = 0
        while True:
            try:
                page = self._fetch(url, headers, self.max_bytes, robots=policy.respect_robots)
            except FetchError as exc:
                if not exc.transient or attempt >= policy.retries:
                    raise
                wait = policy.backoff_seconds * 2**attempt
                if exc.retry_after is not None:
                    if exc.retry_after > policy.max_retry_after:
                        raise
                    wait = exc.retry_after
                time.sleep(wait)
                attempt += 1
                continue
            if page.not_modified:  # a 304 need not repeat the validators: keep the caller's
                page = dataclasses.replace(
                    page,
                    etag=page.etag or etag,
                    last_modified=page.last_modified or last_modified,
                )
            return dataclasses.replace(page, elapsed=time.monotonic() - started)

    # One attempt: every redirect hop, within one time budget.

    def _fetch(self, url: str, headers: dict[str, str], max_bytes: int, *, robots: bool) -> FetchedPage:
        budget = _Budget(self.policy.total_timeout)
        current = _parse_url(url)
        seen = {str(current)}
        redirects = 0
        while True:
            self._guard(current, url)
            if robots:
                self._check_robots(current, url)
            outcome = self._hop(url, current, headers, budget, max_bytes)
            if isinstance(outcome, FetchedPage):
                return outcome
            target = _redirect_target(current, outcome, url)
            if str(target) in seen:
                raise FetchError(FetchFailure.REDIRECT_LOOP, f"redirect loop at {target} from {url}", url=url)
            redirects += 1
            if redirects > self.policy.max_redirects:
                raise FetchError(
                    FetchFailure.TOO_MANY_REDIRECTS,
                    f"more than {self.policy.max_redirects} redirects from {url}",
                    url=url,
                )
            seen.add(str(target))
            current = target

    def _hop(
        self,
        url: str,
        current: httpx.URL,
        headers: dict[str, str],
        budget: _Budget,
        max_bytes: int,
    ) -> FetchedPage | str:
        """The page, or the Location of a redirect."""
        with self._host_slot(current.host), budget.running() as deadline:
            response = self._send(url, current, headers, deadline)
            try:
                status = response.status_code
                if status in _REDIRECTS and response.headers.get("location"):
                    return response.headers["location"]
                if status == 304:
                    content = b""
                elif 200 <= status < 300:
                    content = _read_body(response, url, deadline, max_bytes)
                else:
                    raise _status_error(response, url)
            finally:
                response.close()
        content_type = response.headers.get("content-type")
        return FetchedPage(
            url=url,
            final_url=str(current),
            status=status,
            content=content,
            content_type=content_type.split(";", 1)[0].strip().lower() or None if content_type else None,
            charset=response.charset_encoding,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            not_modified=status == 304,
            elapsed=0.0,
        )

    def _send(self, url: str, current: httpx.URL, headers: dict[str, str], deadline: float) -> httpx.Response:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(FetchFailure.TIMEOUT, f"deadline passed before {current}", url=url)
        p = self.policy
        read = min(p.read_timeout, remaining)
        timeout = httpx.Timeout(connect=min(p.connect_timeout, remaining), read=read, write=read, pool=read)
        try:
            request = self._client.build_request("GET", current, headers=headers, timeout=timeout)
            return self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise FetchError(FetchFailure.TIMEOUT, _describe(exc, current), url=url) from exc
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(FetchFailure.UNSUPPORTED_SCHEME, _describe(exc, current), url=url) from exc
        except httpx.InvalidURL as exc:
            raise FetchError(FetchFailure.INVALID_URL, _describe(exc, current), url=url) from exc
        except httpx.TransportError as exc:
            raise FetchError(FetchFailure.CONNECTION, _describe(exc, current), url=url) from exc

    # Reach: which addresses we connect to.

    def _guard(self, target: httpx.URL, url: str) -> None:
        if self.policy.allow_private_networks:
            return
        host = target.raw_host.decode("ascii")
        port = target.port or (443 if target.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except UnicodeError as exc:
            raise FetchError(FetchFailure.INVALID_URL, f"bad host name in {url}", url=url) from exc
        except OSError as exc:
            raise FetchError(FetchFailure.CONNECTION, f"cannot resolve {host}: {exc}", url=url) from exc
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if _forbidden(address) and not any(address in net for net in self._allowed):
                raise FetchError(
                    FetchFailure.BLOCKED,
                    f"{host} resolves to non-public address {address} (from {url})",
                    url=url,
                )

    # Politeness: robots.txt, concurrency and spacing per host.

    def _check_robots(self, target: httpx.URL, url: str) -> None:
        origin = str(target.copy_with(path="/", query=None, fragment=None))
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            if origin not in self._robots:
                self._robots[origin] = self._load_robots(origin + "robots.txt")
            rules = self._robots[origin]
        if rules is not None and not rules.can_fetch(self.policy.user_agent, str(target)):
            raise FetchError(FetchFailure.ROBOTS, f"robots.txt of {origin} disallows {target}", url=url)

    def _load_robots(self, robots_url: str) -> RobotFileParser | None:
        """Rules, or None for "allow everything" (see the module docstring for why)."""
        try:
            page = self._fetch(robots_url, {}, _ROBOTS_MAX_BYTES, robots=False)
        except FetchError:
            return None
        rules = RobotFileParser(robots_url)
        rules.parse(page.content.decode("utf-8", "replace").splitlines())
        return rules

    @contextmanager
    def _host_slot(self, host: str) -> Iterator[None]:
        with self._lock:
            state = self._hosts.get(host)
            if state is None:
                slots = threading.BoundedSemaphore(self.policy.per_host_concurrency)
                state = self._hosts[host] = _Host(slots)
        with state.slots:
            delay = self.policy.per_host_delay
            if delay > 0:
                with state.lock:
                    now = time.monotonic()
                    start = max(now, state.next_start)
                    state.next_start = start + delay
                if start > now:
                    time.sleep(start - now)
            yield


def _parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError, UnicodeError) as exc:
        raise FetchError(FetchFailure.INVALID_URL, f"invalid URL {url!r}: {exc}", url=url) from exc
    if not parsed.scheme:
        raise FetchError(FetchFailure.INVALID_URL, f"not an absolute URL: {url!r}", url=url)
    if parsed.scheme not in ("http", "https"):
        raise FetchError(
            FetchFailure.UNSUPPORTED_SCHEME,
            f"scheme {parsed.scheme!r} is not fetched ({url[:100]!r})",
            url=url,
        )
    if not parsed.host:
        raise FetchError(FetchFailure.INVALID_URL, f"no host in URL {url!r}", url=url)
    return parsed.copy_with(fragment=None)


def _redirect_target(current: httpx.URL, location: str, url: str) -> httpx.URL:
    try:
        target = current.join(location.strip())
    except (httpx.InvalidURL, TypeError, ValueError, UnicodeError) as exc:
        raise FetchError(
            FetchFailure.INVALID_URL, f"{current} redirects to invalid {location[:100]!r}", url=url
        ) from exc
    if target.scheme not in ("http", "https"):
        raise FetchError(
            FetchFailure.BLOCKED,
            f"{current} redirects to unsupported scheme {target.scheme!r}: {location[:100]!r}",
            url=url,
        )
    if not target.host:
        raise FetchError(FetchFailure.INVALID_URL, f"{current} redirects to {location[:100]!r}", url=url)
    return target.copy_with(fragment=None)


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is not None and _forbidden(embedded):
            return True
    # is_global is False for private, loopback, link-local, reserved, unspecified,
    # shared (100.64/10) and documentation ranges; multicast can be "global".
    return not address.is_global or address.is_multicast


def _status_error(response: httpx.Response, url: str) -> FetchError:
    status = response.status_code
    transient = status == 429 or 500 <= status <= 599
    retry_after = _retry_after(response.headers.get("retry-after")) if transient else None
    reason = response.reason_phrase or ""
    if status in _REDIRECTS:
        reason = "redirect without Location"
    return FetchError(
        FetchFailure.HTTP_ERROR,
        f"HTTP {status} {reason} for {response.request.url}",
        url=url,
        status=status,
        transient=transient,
        retry_after=retry_after,
    )


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait, from a delay in seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


# The body: streamed, decoded by us in bounded pieces, capped, on a deadline.


def _read_body(response: httpx.Response, url: str, deadline: float, max_bytes: int) -> bytes:
    declared = _content_length(response)
    codings = [
        c.strip().lower()
        for c in response.headers.get("content-encoding", "").split(",")
        if c.strip() and c.strip().lower() != "identity"
    ]
    if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
        raise FetchError(
            FetchFailure.HTTP_ERROR,
            f"unsupported Content-Encoding {', '.join(codings)!r} from {response.request.url}",
            url=url,
            status=response.status_code,
        )
    inflater = Inflater(codings[0]) if codings else None
    if inflater is None and declared is not None and declared > max_bytes:
        raise _too_large(url, f"declares {declared} bytes")
    body = bytearray()
    received = 0
    try:
        for raw in response.iter_raw():
            received += len(raw)
            if time.monotonic() > deadline:
                raise FetchError(
                    FetchFailure.TIMEOUT,
                    f"body of {response.request.url} still arriving when the "
                    f"whole-request deadline passed ({received} bytes)",
                    url=url,
                )
            for piece in inflater.feed(raw) if inflater else (raw,):
                if len(body) + len(piece) > max_bytes:
                    raise _too_large(url, "exceeds the cap while streaming")
                body += piece
    except httpx.TimeoutException as exc:
        raise FetchError(FetchFailure.TIMEOUT, _describe(exc, response.request.url), url=url) from exc
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        raise FetchError(
            FetchFailure.TRUNCATED,
            f"body of {response.request.url} cut after {received} bytes"
            + (f" of {declared}" if declared is not None else "")
            + f": {exc}",
            url=url,
        ) from exc
    except httpx.TransportError as exc:
        raise FetchError(FetchFailure.CONNECTION, _describe(exc, response.request.url), url=url) from exc
    except CorruptStream as exc:
        raise FetchError(
            FetchFailure.HTTP_ERROR,
            f"body of {response.request.url} is not valid {codings[0]}: {exc}",
            url=url,
            status=response.status_code,
        ) from exc
    if (declared is not None and received < declared) or (inflater and not inflater.complete):
        raise FetchError(
            FetchFailure.TRUNCATED,
            f"body of {response.request.url} ended early ({received} bytes received)",
            url=url,
        )
    return bytes(body)


def _too_large(url: str, how: str) -> FetchError:
    return FetchError(FetchFailure.TOO_LARGE, f"body of {url} {how}", url=url)


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


def _describe(exc: Exception, target: httpx.URL | str) -> str:
    return f"{type(exc).__name__} for {target}: {exc or 'no detail'}"
