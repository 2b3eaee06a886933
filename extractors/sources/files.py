"""Local inputs: find files, read them within a size cap, decode them.

Each file (or each record of a JSON file) becomes a `Document`, or a
`Rejected` that keeps its location so the input can be found again.
Supported: .txt (plain text), .html/.htm, .json (an object or a list of
objects) and .jsonl (one object per line). A record needs `text` or `html`;
`url`, `title`, `published` and `source` are optional.

A drop folder is not trusted the way a path named on the command line is:

- a file found in a folder that was modified in the last `min_age_seconds`
  (still being written, most likely) is left for the next run, with no outcome;
- a symlink found in a folder whose target is outside that folder is not
  followed (unless `follow_external_symlinks`): it is yielded as a `FoundRef`
  and `read` rejects it (`unsupported`, "symlink leaves the folder");
- the walk is iterative (no recursion limit on depth), skips directories it
  cannot list, and never enters a directory twice (symlink loops).

`read` never blocks on a special file (FIFO, socket, device: `unsupported`,
checked with stat before any open, and again with fstat on the descriptor it
opened non-blocking), never raises for one bad input (an unexpected error,
RecursionError and MemoryError included, is that input's `unreadable`
reject), and does not give a final outcome to a file that changed while it
was read: that file gets a retryable `unreadable` reject, and the next run
reads it again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractors.core.records import Document, InputRef, Rejected, RejectReason
from extractors.core.settings import IngestSettings, Settings
from extractors.core.urls import canonical, file_uri
from extractors.text.encoding import DecodeError, decode, html_meta_charset

TEXT_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html"}
RECORD_SUFFIXES = {".json", ".jsonl"}
SUPPORTED = set(TEXT_SUFFIXES) | RECORD_SUFFIXES
RECORD_FIELDS = {"text", "html", "url", "title", "published", "source"}

# The packaged default of [ingest] min_file_age_seconds: what `discover` applies
# when its caller does not say.
DEFAULT_MIN_AGE_SECONDS: float = {f.name: f.default for f in dataclasses.fields(IngestSettings)}[
    "min_file_age_seconds"
]
CHANGED = "changed while being read; taken again by the next run"
LEAVES = "symlink leaves the folder"
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_READ_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class FoundRef(InputRef):
    """A file found inside a folder being walked, not named by the user.
    `root` is the real path of that folder: `read` refuses such a file whose
    real path is outside it (a symlink, perhaps swapped in since the walk)."""

    root: str = ""


def discover(
    paths: Iterable[str | Path],
    *,
    min_age_seconds: float = DEFAULT_MIN_AGE_SECONDS,
    follow_external_symlinks: bool = False,
) -> Iterator[InputRef]:
    """Files under `paths`, recursively, in a stable order.

    A path given explicitly is always yielded as named (symlinks followed),
    so that a missing or unsupported one gets a recorded outcome; inside
    directories, hidden entries and unsupported types are passed over, and so
    are files modified less than `min_age_seconds` ago (taken by a later run).
    A symlink inside a directory that leaves it is yielded for `read` to
    reject, unless `follow_external_symlinks`.
    """
    for raw in paths:
        path = Path(raw)
        if os.path.isdir(path):  # False on any error (Path.is_dir raises some): `read` says why
            yield from _walk(path, min_age_seconds, follow_external_symlinks)
        else:
            yield InputRef(location=file_uri(path), path=str(path))


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _young(mtime: float, min_age_seconds: float, now: float) -> bool:
    """Modified within `min_age_seconds` of now (either side: a clock a little
    ahead on a network share must not make a file being written look old)."""
    return min_age_seconds > 0 and abs(now - mtime) < min_age_seconds


def _walk(top: Path, min_age_seconds: float, follow_external: bool) -> Iterator[FoundRef]:
    """Depth first, each directory's files (sorted) before its subdirectories
    (sorted), as `os.walk` top-down with sorted names; with a stack, not
    recursion, so that depth is not limited by the interpreter's."""
    root = os.path.realpath(top)
    seen: set[tuple[int, int]] = set()  # directories entered: (device, inode)
    stack = [str(top)]
    while stack:
        current = stack.pop()
        try:
            st = os.stat(current)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:  # a symlink loop, or a folder linked twice
            continue
        seen.add((st.st_dev, st.st_ino))
        try:
            with os.scandir(current) as it:
                entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
        except OSError:  # unreadable, removed, name too long: nothing from it
            continue
        now = time.time()
        subdirs: list[str] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                is_dir = False
            try:
                is_link = entry.is_symlink()
            except OSError:
                is_link = False
            external = is_link and not _inside(os.path.realpath(entry.path), root)
            if external and not follow_external:
                # Not followed; yielded so that it gets a recorded outcome when it
                # could be an input (a file of a supported type, or a directory).
                if is_dir or Path(entry.name).suffix.lower() in SUPPORTED:
                    yield FoundRef(location=file_uri(entry.path), path=entry.path, root=root)
                continue
            if is_dir:
                if not (is_link and not external):  # a link inside: its target is walked anyway
                    subdirs.append(entry.path)
                continue
            if Path(entry.name).suffix.lower() not in SUPPORTED:
                continue
            try:
                mtime = entry.stat().st_mtime  # follows symlinks; never opens
            except OSError:
                mtime = None  # dangling link, gone: `read` says why
            if mtime is not None and _young(mtime, min_age_seconds, now):
                continue
            yield FoundRef(location=file_uri(entry.path), path=entry.path, root=root)
        stack.extend(reversed(subdirs))


def read(
    ref: InputRef,
    max_bytes: int,
    *,
    follow_external_symlinks: bool = False,
    min_age_seconds: float = 0.0,
) -> list[Document | Rejected]:
    """Read one file into documents (several for a JSON file of records).

    Never raises for a bad input: an unexpected error (RecursionError and
    MemoryError included) is an `unreadable` reject of that input. A file
    found in a folder (`FoundRef`) modified less than `min_age_seconds` ago,
    or any file that changed while it was read, gets a retryable `unreadable`
    reject, so that the next run reads it again."""
    try:
        return _read(ref, max_bytes, follow_external_symlinks, min_age_seconds)
    except Exception as exc:  # noqa: BLE001 - one bad file must not end the run
        detail = f"reading failed: {type(exc).__name__}: {exc}"[:500]
        return [_reject(ref.location, RejectReason.UNREADABLE, detail)]


def _kind(mode: int) -> str | None:
    """What a non-regular file is; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, name in (
        (stat.S_ISFIFO, "named pipe (FIFO)"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISDIR, "directory"),
    ):
        if test(mode):
            return name
    return "special file"


def _not_regular(ref: InputRef, mode: int) -> Rejected:
    try:
        link = os.path.islink(ref.path or "")
    except OSError:
        link = False
    what = f"symlink to a {_kind(mode)}" if link else f"a {_kind(mode)}"
    return _reject(ref.location, RejectReason.UNSUPPORTED, f"{what}, not a regular file")


def _leaves(ref: InputRef, root: str, real: str) -> Rejected:
    return _reject(ref.location, RejectReason.UNSUPPORTED, f"{LEAVES} {root} (to {real})")


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_dev, b.st_ino, b.st_size, b.st_mtime_ns)


def _read(
    ref: InputRef, max_bytes: int, follow_external: bool, min_age_seconds: float
) -> list[Document | Rejected]:
    path = ref.path or ""
    root = ref.root if isinstance(ref, FoundRef) and ref.root and not follow_external else None
    if root is not None:
        real = os.path.realpath(path)
        if not _inside(real, root):
            return [_leaves(ref, root, real)]
    suffix = Path(path).suffix.lower()
    if suffix not in SUPPORTED:
        return [_reject(ref.location, RejectReason.UNSUPPORTED, f"unsupported file type {suffix!r}")]
    try:
        st = os.stat(path)  # never opens: a FIFO is refused here without blocking
        if not stat.S_ISREG(st.st_mode):
            return [_not_regular(ref, st.st_mode)]
        if st.st_size > max_bytes:
            return [_reject(ref.location, RejectReason.TOO_LARGE, f"{st.st_size} bytes > cap {max_bytes}")]
        fd = os.open(path, _OPEN_FLAGS)  # non-blocking: swapped for a FIFO since, still no wait
        try:
            before = os.fstat(fd)
            if not stat.S_ISREG(before.st_mode):
                return [_not_regular(ref, before.st_mode)]
            if root is not None:  # the file opened is the one inside the folder
                real = os.path.realpath(path)
                inside = os.stat(real) if _inside(real, root) else None
                if inside is None or (inside.st_dev, inside.st_ino) != (before.st_dev, before.st_ino):
                    return [_leaves(ref, root, real)]
            if before.st_size > max_bytes:
                return [
                    _reject(ref.location, RejectReason.TOO_LARGE, f"{before.st_size} bytes > cap {max_bytes}")
                ]
            if isinstance(ref, FoundRef) and _young(before.st_mtime, min_age_seconds, time.time()):
                detail = f"modified less than {min_age_seconds:g} s ago; taken again by the next run"
                return [_reject(ref.location, RejectReason.UNREADABLE, detail)]
            os.set_blocking(fd, True)
            data = _read_fd(fd, max_bytes + 1)
            after = os.fstat(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        return [_reject(ref.location, RejectReason.UNREADABLE, f"{exc.strerror or exc}")]
    try:
        now = os.stat(path)
    except FileNotFoundError:
        now = after  # removed once read: what was read is the whole file
    except OSError:
        now = None
    if not _same_file(before, after) or now is None or not _same_file(before, now):
        return [_reject(ref.location, RejectReason.UNREADABLE, CHANGED)]
    if len(data) > max_bytes:  # more than its size said, unchanged: not a plain file
        return [_reject(ref.location, RejectReason.TOO_LARGE, f"over cap {max_bytes}")]
    kind = TEXT_SUFFIXES.get(suffix)
    try:
        declared = html_meta_charset(data) if kind == "html" else None
        decoded = decode(data, declared)
    except DecodeError as exc:
        return [_reject(ref.location, RejectReason.UNREADABLE, str(exc))]
    if kind is not None:
        return [Document(ref.location, kind, decoded.text, encoding=decoded.encoding)]
    return list(_records(ref.location, decoded.text, suffix))


def _read_fd(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(fd, min(remaining, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _reject(location: str, reason: RejectReason, detail: str) -> Rejected:
    return Rejected(location=location, reason=reason, detail=detail)


def _parse_error(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc}"
    if isinstance(exc, ValueError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"[:500]


def _records(location: str, text: str, suffix: str) -> Iterator[Document | Rejected]:
    if suffix == ".jsonl":
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        for n, line in lines:
            where = f"{location}#{n}"
            try:
                yield _record(where, json.loads(line))
            except Exception as exc:  # noqa: BLE001 - that line's reject, the others go on
                yield _reject(where, RejectReason.UNREADABLE, f"line {n}: {_parse_error(exc)}")
        return
    try:
        data = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - RecursionError for deep nesting, among others
        yield _reject(location, RejectReason.UNREADABLE, _parse_error(exc))
        return
    items = data if isinstance(data, list) else [data]
    for n, item in enumerate(items, 1):
        where = f"{location}#{n}" if isinstance(data, list) else location
        try:
            yield _record(where, item)
        except Exception as exc:  # noqa: BLE001 - that record's reject, the others go on
            yield _reject(where, RejectReason.UNREADABLE, _parse_error(exc))


def _text_field(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"field {name!r} must be a string, got {type(value).__name__}")
    return value


def _record(location: str, record: Any) -> Document:
    if not isinstance(record, dict):
        raise ValueError(f"record must be a JSON object, got {type(record).__name__}")
    html, text = _text_field(record, "html"), _text_field(record, "text")
    if not (html or text):
        raise ValueError("record has neither 'text' nor 'html'")
    url = _text_field(record, "url")
    return Document(
        location=location,
        kind="html" if html else "text",
        content=html or text or "",
        url=canonical(url) if url else None,
        title=_text_field(record, "title"),
        published=_text_field(record, "published"),
        source=_text_field(record, "source"),
    )


def discover_inputs(paths: Iterable[str | Path], settings: Settings) -> Iterator[InputRef]:
    """`discover` with the settings' file age and symlink policy (one call for
    the CLI and the flow, so that both see the same files)."""
    return discover(
        paths,
        min_age_seconds=settings.ingest.min_file_age_seconds,
        follow_external_symlinks=settings.ingest.follow_external_symlinks,
    )


def read_input(ref: InputRef, settings: Settings) -> list[Document | Rejected]:
    """`read` with the settings' cap, file age and symlink policy."""
    return read(
        ref,
        settings.ingest.max_bytes,
        follow_external_symlinks=settings.ingest.follow_external_symlinks,
        min_age_seconds=settings.ingest.min_file_age_seconds,
    )
