"""Entity declarations in feeds, whatever precedes them and whatever the encoding.

feedparser keeps the entity declarations it finds before the first element when
they look "safe" (a value without "&"), and its fallback parser expands them
without limit: the ~130 KB feed below, where one 64,000-character entity is
referenced 21,000 times, gives a 1.3 GB title (+3.8 GB of memory, ~40 s). The
guard in extractors.sources.feeds used to scan the raw bytes for a DOCTYPE and stop at
anything unexpected; each case below went through it.

A regression here would allocate gigabytes, so every parse runs under an
address-space limit: it then fails in seconds with a MemoryError instead.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

import pytest

from extractors.sources.feeds import NotAFeed, parse_feed

FEED_URL = "https://www.lemonde.fr/international/rss_full.xml"
REPO = Path(__file__).resolve().parents[2]

ENTITY_SIZE = 64_000
REFERENCES = 21_000  # 64,000 × 21,000 = 1.3 GB of title if expanded
LAUGHS = '<!ENTITY lol0 "lol">\n' + "".join(
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10)
)  # lol9 would be 10**9 "lol"s


def doctype(entity_size: int = ENTITY_SIZE) -> str:
    # One declaration a line: feedparser only keeps those that start a line.
    return f'<!DOCTYPE rss [\n{LAUGHS}<!ENTITY a "{"a" * entity_size}">\n]>\n'


def feed_text(
    before: str = "",
    declaration: str = '<?xml version="1.0" encoding="utf-8"?>\n',
    *,
    entity_size: int = ENTITY_SIZE,
    references: int = REFERENCES,
) -> str:
    """A hostile RSS feed: `declaration`, then `before`, then the DOCTYPE."""
    return (
        f"{declaration}{before}{doctype(entity_size)}"
        f'<rss version="2.0"><channel><title>{"&a;" * references}</title>'
        "<item><title>&lol9;</title><link>https://a.fr/1</link>"
        "<description>&a;&lol9;</description></item></channel></rss>"
    )


def utf7(text: str) -> bytes:
    """`text` (ASCII) in UTF-7 with every "<" encoded, as a byte scan cannot see it."""
    declaration, rest = text.split("\n", 1)
    return f"{declaration}\n{rest.replace('<', '+ADw-')}".encode("ascii")


# name: (bytes, Content-Type, charset)
BYPASSES = {
    "junk first line": (("Flux RSS du Monde\n" + feed_text()).encode(), None, None),
    "form feed": (feed_text(before="\f").encode(), None, None),
    "no-break space": (feed_text(before="\u00a0\n").encode(), None, None),
    "BOM, space and form feed": (("\ufeff \f\n" + feed_text(declaration="")).encode(), None, None),
    "utf-7": (utf7(feed_text(declaration='<?xml version="1.0" encoding="utf-7"?>\n')), None, None),
    "cp037 (EBCDIC)": (
        feed_text(declaration='<?xml version="1.0" encoding="cp037"?>\n').encode("cp037"),
        None,
        None,
    ),
    "cp500 from the header": (
        feed_text(declaration="\n").encode("cp500"),
        "application/rss+xml",
        "cp500",
    ),
    "utf-16le without BOM, charset in the header": (
        feed_text(declaration="").encode("utf-16-le"),
        "application/rss+xml",
        "utf-16le",
    ),
    "utf-16 with BOM and a form feed": (
        feed_text(before="\f", declaration='<?xml version="1.0" encoding="utf-16"?>\n').encode("utf-16"),
        "application/octet-stream",
        None,
    ),
    "utf-32 without BOM, charset in the header": (
        feed_text(declaration="\n").encode("utf-32-le"),
        "application/xml",
        "utf-32",
    ),
    "DOCTYPE in a comment": (
        feed_text(before="<!--\n").replace("]>\n<rss", "]>\n-->\n<rss").encode(),
        None,
        None,
    ),
    "DOCTYPE in a CDATA section": (
        feed_text(before="<![CDATA[\n").replace("]>\n<rss", "]>\n]]>\n<rss").encode(),
        None,
        None,
    ),
    # KELVIN SIGN: a case-insensitive Unicode [a-z] matches it, feedparser's bytes "<\\w" does not
    "element with a non-ASCII name first": (feed_text(before="<\u212a>\n").encode(), None, None),
}


def _vm_bytes() -> int | None:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return None


@contextmanager
def address_space_limit(extra: int = 1 << 30):
    """At most `extra` more bytes of address space in the block (Linux; else no limit)."""
    current = _vm_bytes()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if current is None:
        yield
        return
    limit = current + extra
    for existing in (soft, hard):
        if existing != resource.RLIM_INFINITY:
            limit = min(limit, existing)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    except MemoryError:
        pytest.fail(f"parsing took more than {extra >> 20} MiB: entities were expanded")
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _out_of_memory(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, MemoryError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class Bounded:
    """CPU time and Python heap peak of the block, under an address-space limit."""

    def __enter__(self) -> Bounded:
        self._limit = address_space_limit()
        self._limit.__enter__()
        tracemalloc.start()
        self.started = time.process_time()
        return self

    def __exit__(self, *exc_info: object) -> bool | None:
        self.seconds = time.process_time() - self.started
        self.peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        return self._limit.__exit__(*exc_info)


def test_the_hostile_feed_is_about_130_kb():
    data, _, _ = BYPASSES["junk first line"]
    assert 120_000 < len(data) < 140_000


@pytest.mark.parametrize("case", BYPASSES, ids=str)
def test_entities_are_not_expanded_whatever_precedes_the_doctype(case: str):
    data, content_type, charset = BYPASSES[case]
    with Bounded() as bounds:
        try:
            feed = parse_feed(data, FEED_URL, content_type=content_type, charset=charset)
        except NotAFeed as refused:  # refusing is as good as not expanding, unless out of memory
            feed = None
            assert not _out_of_memory(refused), "entities were expanded (MemoryError)"
            assert "aaaa" not in str(refused) and "lol" not in str(refused)
    assert bounds.peak_mb < 50, f"{bounds.peak_mb:.0f} MB for a {len(data) // 1000} KB feed"
    assert bounds.seconds < 5
    if feed is not None:
        assert feed.title is not None and "aaaa" not in feed.title
        assert "aaaa" not in repr(feed) and "lollol" not in repr(feed)
        assert [e.url for e in feed.entries] == ["https://a.fr/1"]
        assert feed.bozo and "entity declarations removed" in feed.bozo


@pytest.mark.parametrize(
    ("data", "content_type", "charset"),
    [
        pytest.param(
            utf7(
                '<?xml version="1.0" encoding="utf-7"?>\n<rss version="2.0">'
                "<channel><title>+AMk-t+AOk- +AOA- Paris</title></channel></rss>"
            ),
            None,
            None,
            id="utf-7",
        ),
        pytest.param(
            '<?xml version="1.0" encoding="cp037"?>\n<rss version="2.0"><channel>'
            "<title>Été à Paris</title></channel></rss>".encode("cp037"),
            None,
            None,
            id="cp037",
        ),
        pytest.param(
            '<rss version="2.0"><channel><title>Été à Paris</title></channel></rss>'.encode("utf-16-le"),
            "application/rss+xml",
            "utf-16le",
            id="utf-16le from the header",
        ),
        pytest.param(
            '\n<rss version="2.0"><channel><title>Été à Paris</title></channel></rss>'.encode("utf-32-le"),
            "application/xml",
            "utf-32",
            id="utf-32 from the header",
        ),
        pytest.param(
            '<?xml version="1.0" encoding="iso-8859-1"?>\n<rss version="2.0"><channel>'
            "<title>Été à Paris</title></channel></rss>".encode("latin-1"),
            "text/xml",
            "iso-8859-1",
            id="latin-1",
        ),
    ],
)
def test_odd_encodings_still_read_right(data: bytes, content_type: str | None, charset: str | None):
    feed = parse_feed(data, FEED_URL, content_type=content_type, charset=charset)
    assert feed.title == "Été à Paris"


@pytest.mark.parametrize(
    ("data", "charset"),
    [
        pytest.param(
            b'<?xml version="1.0" encoding="utf-7"?><rss version="2.0"><channel>'
            b"<title>+2AA-</title></channel></rss>",
            None,
            id="utf-7 lone surrogate",
        ),
        pytest.param(b'<rss version="2.0"/>', "undefined", id="a charset that decodes nothing"),
    ],
)
def test_undecodable_feed_is_refused(data: bytes, charset: str | None):
    with pytest.raises(NotAFeed, match="not text in any encoding") as refused:
        parse_feed(data, FEED_URL, charset=charset)
    assert "rss" not in str(refused.value).replace(FEED_URL, "")


MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time
    from extractors.sources.feeds import parse_feed

    def rss_kib():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    small, hostile = (open(path, "rb").read() for path in sys.argv[1:3])
    parse_feed(small, "https://a.fr/rss")  # imports, caches: what any parse costs once
    before = rss_kib()
    vm = next(int(line.split()[1]) for line in open("/proc/self/status")
              if line.startswith("VmSize:"))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = (vm << 10) + (1 << 30)  # a regression fails at 1 GiB instead of taking 4
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    started = time.process_time()
    try:
        feed = parse_feed(hostile, "https://a.fr/rss")
        outcome = "title of %d characters" % len(feed.title or "")
    except Exception as exc:  # a MemoryError past 1 GiB, or one parse_feed turned into NotAFeed
        outcome = "%s: %s" % (type(exc).__name__, exc)
    print(json.dumps({"added_mib": (rss_kib() - before) / 1024,
                      "seconds": time.process_time() - started, "outcome": outcome}))
    """
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_memory_added_by_a_hostile_feed_is_measured_in_megabytes(tmp_path: Path):
    """ru_maxrss of a fresh interpreter before and after parsing one hostile 130 KB feed:
    unlike tracemalloc it counts every allocation (expat's, lxml's, the C heap), and
    the expansion this guards against took 3.8 GB."""
    small = tmp_path / "small.xml"
    small.write_bytes(
        ("Flux\n" + feed_text(entity_size=10, references=3)).encode()
    )  # same code paths, nothing to expand
    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(BYPASSES["junk first line"][0])
    path = [str(REPO), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path))}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(small), str(hostile)],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["outcome"].startswith("title"), measured
    assert measured["added_mib"] < 50, measured
    assert measured["seconds"] < 5, measured
