"""A scriptable HTTP server on 127.0.0.1 for tests, with the faults real sites have.

    with LocalServer() as server:
        server.route("/feed.xml", b"<rss .../>", headers={"Content-Type": "application/rss+xml"})
        server.add("/flaky", Reply(status=503), Reply(body=b"ok"))   # 503, then 200 forever
        server.redirect("/old", "/feed.xml")
        fetch(server.url("/flaky"))
        assert server.hits("/flaky") == 2

A path answers its replies in order and repeats the last one. Every request is
logged (method, path, headers) before any delay, so a test can count what was
fetched even when the client gave up. Nothing here runs unbounded: delays and
drips are capped, each connection has a socket timeout, and the whole server
shuts itself down after `lifetime` seconds if a test forgets to.
"""

from __future__ import annotations

import gzip
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_DELAY = 30.0  # seconds: cap on any delay or drip, whatever a test asks


@dataclass(frozen=True)
class Reply:
    """One scripted response."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before the status line
    drip: float | None = None  # send the body at this many bytes per second
    drip_for: float = 10.0  # stop dripping after this many seconds, sent or not
    content_length: int | None = None  # declared length, to lie; the body is sent as is
    gzip: bool = False  # compress `body` and say so
    stream: Callable[[], Iterable[bytes]] | None = None  # body produced lazily, no length
    etag: str | None = None  # answer 304 to a matching If-None-Match
    last_modified: str | None = None  # answer 304 to an equal If-Modified-Since


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # with the query string
    headers: Mapping[str, str]  # lower-case names
    at: float = field(default=0.0)  # time.monotonic() when the request line arrived


class LocalServer:
    def __init__(self, *, lifetime: float = 120.0) -> None:
        self._routes: dict[str, list[Reply]] = {}
        self._served: dict[str, int] = {}
        self._log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._lifetime = lifetime
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._watchdog: threading.Timer | None = None

    # Scripting

    def add(self, path: str, *replies: Reply) -> None:
        """`path` (with its query string, if any) answers `replies` in order, then the last."""
        if not replies:
            raise ValueError("a route needs at least one reply")
        with self._lock:
            self._routes[path] = list(replies)
            self._served[path] = 0

    def route(
        self,
        path: str,
        body: bytes = b"",
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        **options,
    ) -> None:
        self.add(path, Reply(status=status, body=body, headers=headers or {}, **options))

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.add(path, Reply(status=status, headers={"Location": location}))

    # Looking

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return self._httpd.server_address[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    # Life cycle

    def start(self) -> LocalServer:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        httpd.app = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._watchdog = threading.Timer(self._lifetime, self.stop)
        self._watchdog.daemon = True
        self._watchdog.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.cancel()
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _next_reply(self, request: LoggedRequest) -> Reply | None:
        with self._lock:
            self._log.append(request)
            replies = self._routes.get(request.path)
            if replies is None:
                return None
            index = min(self._served[request.path], len(replies) - 1)
            self._served[request.path] += 1
            return replies[index]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 15  # socket timeout: a stuck read or write ends the thread

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.close_connection = True
        app: LocalServer = self.server.app  # type: ignore[attr-defined]
        logged = LoggedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            at=time.monotonic(),
        )
        reply = app._next_reply(logged)
        if reply is None:
            reply = Reply(status=404, body=b"not found")
        try:
            self._answer(reply, logged.headers)
        except (OSError, ValueError):  # the client hung up: that is its right
            pass

    def _answer(self, reply: Reply, request_headers: Mapping[str, str]) -> None:
        if reply.delay:
            time.sleep(min(reply.delay, MAX_DELAY))
        if _not_modified(reply, request_headers):
            self.send_response(304)
            for name, value in _validators(reply):
                self.send_header(name, value)
            self.send_header("Connection", "close")
            self.end_headers()
            return
        body = gzip.compress(reply.body) if reply.gzip else reply.body
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        for name, value in _validators(reply):
            self.send_header(name, value)
        if reply.gzip:
            self.send_header("Content-Encoding", "gzip")
        if reply.content_length is not None:
            self.send_header("Content-Length", str(reply.content_length))
        elif reply.stream is None:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if reply.stream is not None:
            for chunk in reply.stream():
                self.wfile.write(chunk)
        elif reply.drip:
            self._drip(body, reply.drip, min(reply.drip_for, MAX_DELAY))
        else:
            self.wfile.write(body)
        self.wfile.flush()

    def _drip(self, body: bytes, per_second: float, bound: float) -> None:
        step = max(1, int(per_second)) if per_second >= 1 else 1
        pause = step / per_second
        stop = time.monotonic() + bound
        for i in range(0, len(body), step):
            if time.monotonic() >= stop:
                return
            self.wfile.write(body[i : i + step])
            self.wfile.flush()
            time.sleep(pause)


def _validators(reply: Reply) -> Iterator[tuple[str, str]]:
    if reply.etag:
        yield "ETag", reply.etag
    if reply.last_modified:
        yield "Last-Modified", reply.last_modified


def _not_modified(reply: Reply, headers: Mapping[str, str]) -> bool:
    if reply.etag and "if-none-match" in headers:
        tags = {t.strip() for t in headers["if-none-match"].split(",")}
        return reply.etag in tags or "*" in tags
    if reply.last_modified and "if-modified-since" in headers:
        return headers["if-modified-since"] == reply.last_modified
    return False


# Bodies


def repeated(size: int, byte: bytes = b"x", chunk: int = 64 * 1024) -> Callable[[], Iterator[bytes]]:
    """A `Reply.stream` of `size` bytes, produced a chunk at a time."""

    def produce() -> Iterator[bytes]:
        block = byte * chunk
        left = size
        while left > 0:
            yield block[: min(chunk, left)]
            left -= chunk

    return produce


@cache
def gzip_bomb(inflated: int = 1 << 30) -> bytes:
    """A valid gzip stream of `inflated` zero bytes (rounded down to MiB), about 1 KB per MiB.

    Never materialises the inflated data: one MiB of zeros is deflated once with
    a full flush (which resets the compressor, so every later MiB deflates to
    the same bytes), that block is repeated, and the CRC is computed over the
    same MiB repeatedly.
    """
    chunk = bytes(1 << 20)
    count = max(1, inflated >> 20)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9, zlib.Z_RLE)
    block = deflater.compress(chunk) + deflater.flush(zlib.Z_FULL_FLUSH)
    end = deflater.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (count << 20) & 0xFFFFFFFF)
    return header + block * count + end + trailer
