"""The HTTP client against a real server on 127.0.0.1 that misbehaves on purpose.

No mock of httpx: every fault (slow headers, dripping bodies, gzip bombs, lying
Content-Length, redirect tricks) goes over a real loopback socket.
"""

from __future__ import annotations

import gzip
import pickle
import socket
import threading
import time
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from extractors.core.settings import FetchSettings, IngestSettings, SettingsError
from extractors.sources.fetch import FetchedPage, Fetcher, FetchError, FetchFailure
from tests.support.processes import free_port
from tests.support.server import LocalServer, Reply, gzip_bomb, repeated

# Loopback is private: tests trust it explicitly, and only it.
LOCAL = FetchSettings(
    per_host_delay=0.0,
    allowed_networks=("127.0.0.0/8",),
    respect_robots=False,
    backoff_seconds=0.05,
    connect_timeout=2.0,
    read_timeout=2.0,
    total_timeout=5.0,
)
ONE_SHOT = FetchSettings(
    per_host_delay=0.0,
    allowed_networks=("127.0.0.0/8",),
    respect_robots=False,
    retries=0,
    connect_timeout=2.0,
    read_timeout=2.0,
    total_timeout=5.0,
)


def fetch(url: str, policy: FetchSettings = LOCAL, **kwargs) -> FetchedPage:
    with Fetcher(policy) as fetcher:
        return fetcher.get(url, **kwargs)


def concurrently(count: int, task) -> list:
    """Run `task` in `count` threads at once; their results (None for a thread that failed)."""
    results: list = [None] * count

    def run(i: int) -> None:
        results[i] = task()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


def failure(url: str, policy: FetchSettings = ONE_SHOT) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, policy)
    return caught.value


def vm_kib(field: str) -> int | None:
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# Success


def test_plain_200(local_server: LocalServer):
    local_server.route("/page", b"Bonjour", headers={"Content-Type": "text/html; charset=ISO-8859-1"})
    page = fetch(local_server.url("/page"))
    assert page.status == 200
    assert page.content == b"Bonjour"
    assert page.content_type == "text/html"
    assert page.charset == "iso-8859-1"
    assert page.final_url == page.url == local_server.url("/page")
    assert not page.not_modified
    assert page.elapsed > 0


def test_identifies_itself(local_server: LocalServer):
    local_server.route("/ua", b"ok")
    fetch(local_server.url("/ua"))
    (request,) = local_server.requests
    assert request.headers["user-agent"] == LOCAL.user_agent
    assert "gzip" in request.headers["accept-encoding"]
    assert "br" not in request.headers["accept-encoding"]  # we only advertise what we decode


@pytest.mark.parametrize("encoding", ["gzip", "deflate-zlib", "deflate-raw"])
def test_compressed_bodies_are_decoded(local_server: LocalServer, encoding: str):
    text = "Le gouvernement a présenté son budget. " * 200
    raw = text.encode()
    if encoding == "gzip":
        body, header = gzip.compress(raw), "gzip"
    elif encoding == "deflate-zlib":
        body, header = zlib.compress(raw), "deflate"
    else:
        squeezer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body, header = squeezer.compress(raw) + squeezer.flush(), "deflate"
    local_server.route("/z", body, headers={"Content-Encoding": header})
    assert fetch(local_server.url("/z")).content == raw


def test_redirects_are_followed_and_reported(local_server: LocalServer):
    local_server.redirect("/old", "/new", status=301)
    local_server.route("/new", b"moved here")
    page = fetch(local_server.url("/old"))
    assert page.content == b"moved here"
    assert page.url == local_server.url("/old")
    assert page.final_url == local_server.url("/new")


def test_five_redirects_are_allowed(local_server: LocalServer):
    for i in range(5):
        local_server.redirect(f"/r{i}", f"/r{i + 1}")
    local_server.route("/r5", b"end")
    assert fetch(local_server.url("/r0")).content == b"end"


# Retries: transient only


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_then_success_is_retried(local_server: LocalServer, status: int):
    local_server.add("/flaky", Reply(status=status), Reply(body=b"ok"))
    page = fetch(local_server.url("/flaky"))
    assert page.content == b"ok"
    assert local_server.hits("/flaky") == 2


def test_persistent_server_error_gives_up_after_the_retries(local_server: LocalServer):
    local_server.add("/down", Reply(status=502))
    error = failure(local_server.url("/down"), LOCAL)
    assert (error.kind, error.status, error.transient) == (FetchFailure.HTTP_ERROR, 502, True)
    assert local_server.hits("/down") == 1 + LOCAL.retries
    assert "502" in str(error) and "\n" not in str(error)


def test_404_is_not_retried(local_server: LocalServer):
    error = failure(local_server.url("/missing"), LOCAL)
    assert (error.kind, error.status, error.transient) == (FetchFailure.HTTP_ERROR, 404, False)
    assert local_server.hits("/missing") == 1


def test_429_waits_for_retry_after(local_server: LocalServer):
    local_server.add("/busy", Reply(status=429, headers={"Retry-After": "1"}), Reply(body=b"ok"))
    started = time.monotonic()
    page = fetch(local_server.url("/busy"))
    waited = time.monotonic() - started
    assert page.content == b"ok"
    assert 0.9 <= waited < 3
    first, second = [r for r in local_server.requests if r.path == "/busy"]
    assert second.at - first.at >= 0.9


def test_retry_after_beyond_the_cap_gives_up_at_once(local_server: LocalServer):
    local_server.add("/later", Reply(status=503, headers={"Retry-After": "3600"}))
    started = time.monotonic()
    error = failure(local_server.url("/later"), LOCAL)
    assert time.monotonic() - started < 1
    assert (error.kind, error.transient, error.retry_after) == ("http_error", True, 3600)
    assert local_server.hits("/later") == 1


def test_retry_after_as_http_date(local_server: LocalServer):
    local_server.add(
        "/dated",
        Reply(status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        Reply(body=b"ok"),
    )
    assert fetch(local_server.url("/dated")).content == b"ok"  # a past date: retry now


# Connections and time


def test_connection_refused_is_transient():
    error = failure(f"http://127.0.0.1:{free_port()}/")
    assert (error.kind, error.transient, error.status) == (FetchFailure.CONNECTION, True, None)


def test_headers_slower_than_the_read_timeout(local_server: LocalServer):
    local_server.add("/sleepy", Reply(delay=3, body=b"late"))
    policy = replace(ONE_SHOT, read_timeout=0.5)
    started = time.monotonic()
    error = failure(local_server.url("/sleepy"), policy)
    assert time.monotonic() - started < 2
    assert (error.kind, error.transient) == (FetchFailure.TIMEOUT, True)


def test_dripping_body_dies_at_the_total_deadline(local_server: LocalServer):
    local_server.add("/drip", Reply(body=b"x" * 10, drip=1, drip_for=10))
    policy = replace(ONE_SHOT, total_timeout=2.0, read_timeout=5.0)
    started = time.monotonic()
    error = failure(local_server.url("/drip"), policy)
    assert time.monotonic() - started < 4
    assert (error.kind, error.transient) == (FetchFailure.TIMEOUT, True)


def test_false_content_length_is_truncated(local_server: LocalServer):
    local_server.add("/short", Reply(body=b"0123456789", content_length=100))
    error = failure(local_server.url("/short"))
    assert (error.kind, error.transient) == (FetchFailure.TRUNCATED, True)


# Size


def test_gzip_bomb_stops_at_the_cap_with_little_memory(local_server: LocalServer):
    bomb = gzip_bomb()  # ~1 MB that inflates to 1 GiB, built before measuring
    assert len(bomb) < 2_000_000
    local_server.route("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    peak_resettable = reset_peak_rss()
    before = vm_kib("VmRSS")
    started = time.monotonic()
    error = failure(local_server.url("/bomb"))
    assert time.monotonic() - started < 5
    assert error.kind == FetchFailure.TOO_LARGE and not error.transient
    if before is not None:
        after = vm_kib("VmHWM" if peak_resettable else "VmRSS")
        assert after is not None and after - before < 100 * 1024  # KiB: under 100 MB


def test_content_length_over_the_cap_fails_before_reading(local_server: LocalServer):
    size = 60_000_000
    local_server.add("/huge", Reply(stream=repeated(size), content_length=size))
    started = time.monotonic()
    error = failure(local_server.url("/huge"))
    assert time.monotonic() - started < 2
    assert error.kind == FetchFailure.TOO_LARGE


def test_body_over_the_cap_without_length_stops_while_streaming(local_server: LocalServer):
    local_server.add("/huge", Reply(stream=repeated(60_000_000)))  # no Content-Length
    started = time.monotonic()
    error = failure(local_server.url("/huge"))
    assert time.monotonic() - started < 3
    assert error.kind == FetchFailure.TOO_LARGE


def test_content_length_understating_the_body_is_not_trusted(local_server: LocalServer):
    local_server.add("/liar", Reply(body=b"y" * 6_000_000, content_length=10))
    page = fetch(local_server.url("/liar"), ONE_SHOT)
    assert page.content == b"y" * 10  # the declared length frames the body; never beyond it


# Redirect tricks


def test_redirect_loop(local_server: LocalServer):
    local_server.redirect("/a", "/b")
    local_server.redirect("/b", "/a")
    error = failure(local_server.url("/a"))
    assert (error.kind, error.transient) == (FetchFailure.REDIRECT_LOOP, False)
    assert local_server.hits("/a") == 1 and local_server.hits("/b") == 1


def test_too_many_redirects(local_server: LocalServer):
    for i in range(7):
        local_server.redirect(f"/r{i}", f"/r{i + 1}")
    local_server.route("/r7", b"never")
    error = failure(local_server.url("/r0"))
    assert error.kind == FetchFailure.TOO_MANY_REDIRECTS
    assert local_server.hits("/r6") == 0


def test_redirect_to_a_file_is_blocked(local_server: LocalServer):
    local_server.redirect("/passwd", "file:///etc/passwd")
    error = failure(local_server.url("/passwd"))
    assert (error.kind, error.transient) == (FetchFailure.BLOCKED, False)
    assert "root:" not in str(error)


def test_redirect_to_a_private_address_is_blocked_before_connecting(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
):
    dialled: list[tuple] = []
    real = socket.create_connection

    def spy(address, *args, **kwargs):
        dialled.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", spy)
    local_server.redirect("/intranet", "http://10.0.0.1/admin")
    error = failure(local_server.url("/intranet"))
    assert (error.kind, error.transient) == (FetchFailure.BLOCKED, False)
    assert "10.0.0.1" in str(error)
    assert [host for host, _ in dialled] == ["127.0.0.1"]


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/", "javascript:alert(1)"],
)
def test_only_http_and_https_are_fetched(url: str):
    error = failure(url)
    assert (error.kind, error.transient) == (FetchFailure.UNSUPPORTED_SCHEME, False)


@pytest.mark.parametrize("url", ["", "not a url", "/relative/path", "http://", "http:///x"])
def test_invalid_urls(url: str):
    assert failure(url).kind == FetchFailure.INVALID_URL


# Reach: private addresses


def test_default_policy_refuses_loopback(local_server: LocalServer):
    local_server.route("/page", b"secret")
    error = failure(local_server.url("/page"), FetchSettings(retries=0, per_host_delay=0.0))
    assert (error.kind, error.transient) == (FetchFailure.BLOCKED, False)
    assert local_server.requests == []  # not even robots.txt


@pytest.mark.parametrize(
    "host", ["localhost", "0.0.0.0", "[::1]", "169.254.169.254", "[::ffff:127.0.0.1]", "2130706433"]
)
def test_default_policy_refuses_private_hosts(host: str, monkeypatch: pytest.MonkeyPatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("connected")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    error = failure(f"http://{host}:{free_port()}/", FetchSettings(retries=0, per_host_delay=0.0))
    assert error.kind == FetchFailure.BLOCKED


def test_allow_private_allows_loopback(local_server: LocalServer):
    local_server.route("/page", b"ok")
    policy = FetchSettings(allow_private_networks=True, respect_robots=False)
    assert fetch(local_server.url("/page"), policy).content == b"ok"


# Politeness


ROBOTS = b"User-agent: *\nDisallow: /private\n"
# A group naming us replaces the "*" group for us (RFC 9309, section 2.2.1).
ROBOTS_FOR_US = b"User-agent: *\nDisallow: /\n\nUser-agent: veille\nDisallow: /no-veille\n"


@pytest.mark.parametrize(
    ("robots", "refused", "allowed"),
    [(ROBOTS, "/private/page", "/page"), (ROBOTS_FOR_US, "/no-veille", "/private/page")],
)
def test_robots_disallow(local_server: LocalServer, robots: bytes, refused: str, allowed: str):
    local_server.route("/robots.txt", robots)
    for path in (refused, allowed):
        local_server.route(path, b"page")
    policy = replace(ONE_SHOT, respect_robots=True)
    with Fetcher(policy) as fetcher:
        with pytest.raises(FetchError) as caught:
            fetcher.get(local_server.url(refused))
        assert fetcher.get(local_server.url(allowed)).content == b"page"
    assert (caught.value.kind, caught.value.transient) == (FetchFailure.ROBOTS, False)
    assert local_server.hits(refused) == 0
    assert local_server.hits("/robots.txt") == 1


def test_robots_ignored_when_told(local_server: LocalServer):
    local_server.route("/robots.txt", ROBOTS)
    local_server.route("/private/page", b"hidden")
    assert fetch(local_server.url("/private/page"), ONE_SHOT).content == b"hidden"
    assert local_server.hits("/robots.txt") == 0


@pytest.mark.parametrize("robots", [Reply(status=404), Reply(status=500), Reply(delay=3)])
def test_unavailable_robots_allows(local_server: LocalServer, robots: Reply):
    local_server.add("/robots.txt", robots)
    local_server.route("/page", b"ok")
    policy = replace(ONE_SHOT, respect_robots=True, read_timeout=0.5)
    with Fetcher(policy) as fetcher:
        assert fetcher.get(local_server.url("/page")).content == b"ok"
        assert fetcher.get(local_server.url("/page")).content == b"ok"
    assert local_server.hits("/robots.txt") == 1


def test_robots_fetched_once_by_concurrent_workers(local_server: LocalServer):
    local_server.add("/robots.txt", Reply(body=ROBOTS, delay=0.3))
    local_server.route("/page", b"ok")
    policy = replace(LOCAL, respect_robots=True, per_host_concurrency=4)
    with Fetcher(policy) as fetcher:
        results = concurrently(4, lambda: fetcher.get(local_server.url("/page")).content)
    assert results == [b"ok"] * 4
    assert local_server.hits("/robots.txt") == 1


def test_per_host_concurrency_and_delay(local_server: LocalServer):
    local_server.add("/slow", Reply(body=b"ok", delay=0.2))
    policy = replace(LOCAL, per_host_concurrency=1, per_host_delay=0.1)
    with Fetcher(policy) as fetcher:
        concurrently(3, lambda: fetcher.get(local_server.url("/slow")))
    times = sorted(r.at for r in local_server.requests)
    assert len(times) == 3
    # One at a time: each request starts after the previous answer (0.2 s) was read.
    assert all(b - a >= 0.2 for a, b in zip(times, times[1:], strict=False))


def test_waiting_for_a_host_slot_does_not_use_the_time_budget(local_server: LocalServer):
    local_server.add("/slow", Reply(body=b"ok", delay=0.5))
    policy = replace(ONE_SHOT, per_host_concurrency=1, total_timeout=1.5, read_timeout=1.0)
    with Fetcher(policy) as fetcher:
        results = concurrently(4, lambda: fetcher.get(local_server.url("/slow")).content)
    assert results == [b"ok"] * 4  # the last one queued ~1.5 s before its turn


# Conditional GET


def test_etag_revalidation_gives_not_modified(local_server: LocalServer):
    local_server.route("/feed", b"<rss/>", etag='"v1"')
    with Fetcher(LOCAL) as fetcher:
        first = fetcher.get(local_server.url("/feed"))
        again = fetcher.get(local_server.url("/feed"), etag=first.etag)
    assert (first.status, first.etag, first.content) == (200, '"v1"', b"<rss/>")
    assert (again.status, again.not_modified, again.content, again.etag) == (304, True, b"", '"v1"')
    assert local_server.requests[-1].headers["if-none-match"] == '"v1"'


def test_last_modified_revalidation_gives_not_modified(local_server: LocalServer):
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    local_server.route("/feed", b"<rss/>", last_modified=stamp)
    first = fetch(local_server.url("/feed"))
    again = fetch(local_server.url("/feed"), last_modified=first.last_modified)
    assert first.last_modified == stamp
    assert again.not_modified and again.last_modified == stamp
    assert local_server.requests[-1].headers["if-modified-since"] == stamp


# The error itself


def test_fetch_error_survives_pickling():
    error = FetchError(FetchFailure.HTTP_ERROR, "HTTP 503", url="https://a.fr/", status=503,
                       transient=True, retry_after=2.0)  # fmt: skip
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.kind, copy.url, copy.status, copy.transient, copy.retry_after, str(copy)) == (
        FetchFailure.HTTP_ERROR, "https://a.fr/", 503, True, 2.0, "HTTP 503"
    )  # fmt: skip


def test_policy_rejects_nonsense():
    with pytest.raises(
        SettingsError, match="ingest.max_bytes must be positive and at most 1,000,000,000, not 0"
    ):
        IngestSettings(max_bytes=0)
    with pytest.raises(SettingsError, match="fetch.allowed_networks has 'not a network'"):
        FetchSettings(allowed_networks=("not a network",))
