"""Local inputs: find files, read them within a size cap, decode them.

Each file (or each record of a JSON file) becomes a `Document`, or a
`Rejected` that keeps its location so the input can be found again.
Supported: .txt (plain text), .html/.htm, .json (an object or a list of
objects) and .jsonl (one object per line). A record needs `text` or `html`;
`url`, `title`, `published` and `source` are optional.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from extractors.encoding import DecodeError, decode, html_meta_charset
from extractors.records import Document, InputRef, Rejected, RejectReason
from extractors.urls import canonical, file_uri

TEXT_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html"}
RECORD_SUFFIXES = {".json", ".jsonl"}
SUPPORTED = set(TEXT_SUFFIXES) | RECORD_SUFFIXES
RECORD_FIELDS = {"text", "html", "url", "title", "published", "source"}


def discover(paths: Iterable[str | Path]) -> Iterator[InputRef]:
    """Files under `paths`, recursively, in a stable order.

    A path given explicitly is always yielded, so that a missing or
    unsupported one gets a recorded outcome; inside directories, hidden files
    and unsupported types are passed over.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    child = Path(root) / name
                    if not name.startswith(".") and child.suffix.lower() in SUPPORTED:
                        yield InputRef(location=file_uri(child), path=str(child))
        else:
            yield InputRef(location=file_uri(path), path=str(path))


def read(ref: InputRef, max_bytes: int) -> list[Document | Rejected]:
    """Read one file into documents (several for a JSON file of records)."""
    path = Path(ref.path or "")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        return [_reject(ref.location, RejectReason.UNSUPPORTED, f"unsupported file type {suffix!r}")]
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return [_reject(ref.location, RejectReason.TOO_LARGE, f"{size} bytes > cap {max_bytes}")]
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return [_reject(ref.location, RejectReason.UNREADABLE, f"{exc.strerror or exc}")]
    if len(data) > max_bytes:  # grew since stat
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


def _reject(location: str, reason: RejectReason, detail: str) -> Rejected:
    return Rejected(location=location, reason=reason, detail=detail)


def _records(location: str, text: str, suffix: str) -> Iterator[Document | Rejected]:
    if suffix == ".jsonl":
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        for n, line in lines:
            where = f"{location}#{n}"
            try:
                yield _record(where, json.loads(line))
            except (json.JSONDecodeError, ValueError) as exc:
                yield _reject(where, RejectReason.UNREADABLE, f"line {n}: {exc}")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield _reject(location, RejectReason.UNREADABLE, f"invalid JSON: {exc}")
        return
    items = data if isinstance(data, list) else [data]
    for n, item in enumerate(items, 1):
        where = f"{location}#{n}" if isinstance(data, list) else location
        try:
            yield _record(where, item)
        except ValueError as exc:
            yield _reject(where, RejectReason.UNREADABLE, str(exc))


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
