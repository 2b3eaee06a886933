import json
import os
import pickle
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from extractors.core.records import Document, InputRef, Rejected, RejectReason
from extractors.core.settings import Settings
from extractors.sources import files
from extractors.sources.files import CHANGED, DEFAULT_MIN_AGE_SECONDS, FoundRef, discover, read
from tests.support.files import backdate, nest, remove_tree


def test_discover_recurses_in_order_and_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ["b/2.html", "a.txt", "b/1.jsonl", "notes.pdf", ".hidden.txt", ".git/x.txt"]:
        (tmp_path / name).write_text("x", encoding="utf-8")
    backdate(tmp_path)
    found = [Path(r.path).relative_to(tmp_path).as_posix() for r in discover([tmp_path])]
    assert found == ["a.txt", "b/1.jsonl", "b/2.html"]


def test_explicit_unsupported_or_missing_path_gets_an_outcome(tmp_path: Path) -> None:
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF")
    (unsupported,) = read(next(discover([pdf])), 1000)
    assert isinstance(unsupported, Rejected) and unsupported.reason is RejectReason.UNSUPPORTED
    (missing,) = read(next(discover([tmp_path / "nope.txt"])), 1000)
    assert isinstance(missing, Rejected) and missing.reason is RejectReason.UNREADABLE
    assert missing.location.endswith("/nope.txt")


def test_size_cap_is_checked_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 101)
    (out,) = read(next(discover([big])), 100)
    assert isinstance(out, Rejected) and out.reason is RejectReason.TOO_LARGE
    assert "101 bytes" in out.detail


def test_jsonl_records_each_get_a_location_and_bad_lines_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    lines = [
        json.dumps({"text": "Bonjour", "url": "https://www.example.fr/a?utm_source=x",
                    "title": "T", "published": "2023-06-01", "source": "Ex"}),
        "{not json",
        json.dumps({"title": "no body"}),
        "",
        json.dumps({"html": "<p>Salut</p>"}),
    ]  # fmt: skip
    path.write_text("\n".join(lines), encoding="utf-8")
    out = read(next(discover([path])), 10_000)
    assert [type(o).__name__ for o in out] == ["Document", "Rejected", "Rejected", "Document"]
    first, bad, nobody, html = out
    assert isinstance(first, Document) and first.url == "https://www.example.fr/a"
    assert (first.title, first.published, first.source) == ("T", "2023-06-01", "Ex")
    assert first.location.endswith("items.jsonl#1") and bad.location.endswith("#2")
    assert "neither 'text' nor 'html'" in nobody.detail
    assert isinstance(html, Document) and html.kind == "html" and html.location.endswith("#5")


def test_json_object_and_list(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"text": "Un"}), encoding="utf-8")
    many = tmp_path / "many.json"
    many.write_text(json.dumps([{"text": "A"}, {"text": 3}]), encoding="utf-8")
    (doc,) = read(next(discover([one])), 1000)
    assert isinstance(doc, Document) and doc.location.endswith("one.json")
    a, b = read(next(discover([many])), 1000)
    assert isinstance(a, Document) and isinstance(b, Rejected) and "must be a string" in b.detail


# -- drop-folder poison: special files, symlinks, depth, parse errors, files being written ----


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """`call()` in a daemon thread; fails the test, instead of hanging it, if it blocks."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"blocked for more than {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def _read_all(paths: list[Path], **read_kw: Any) -> dict[str, list]:
    refs = list(discover(paths, follow_external_symlinks=read_kw.get("follow_external_symlinks", False)))
    return {Path(r.path).name: read(r, 10_000, **read_kw) for r in refs}


def _only_reject(outcomes: list) -> Rejected:
    (out,) = outcomes
    assert isinstance(out, Rejected), out
    return out


def test_default_age_is_the_settings_default() -> None:
    assert DEFAULT_MIN_AGE_SECONDS == Settings().ingest.min_file_age_seconds == 5.0


def test_fifo_socket_and_device_are_rejected_without_blocking(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    os.mkfifo(drop / "fifo.txt")
    (drop / "to_fifo.txt").symlink_to(drop / "fifo.txt")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(drop / "sock.txt"))
    (drop / "ok.txt").write_text("Bonjour", encoding="utf-8")
    backdate(drop)
    try:
        out = _within(10, lambda: _read_all([drop]))
    finally:
        sock.close()
    assert sorted(out) == ["fifo.txt", "ok.txt", "sock.txt", "to_fifo.txt"]
    details = {name: _only_reject(o).detail for name, o in out.items() if name != "ok.txt"}
    assert details == {
        "fifo.txt": "a named pipe (FIFO), not a regular file",
        "sock.txt": "a socket, not a regular file",
        "to_fifo.txt": "symlink to a named pipe (FIFO), not a regular file",
    }
    assert all(_only_reject(out[n]).reason is RejectReason.UNSUPPORTED for n in details)
    assert isinstance(out["ok.txt"][0], Document)
    # named on the command line: a FIFO and a symlink to a device are refused just the same
    null = tmp_path / "null.txt"
    null.symlink_to("/dev/null")
    named = _within(10, lambda: [read(r, 100) for r in discover([drop / "fifo.txt", null])])
    assert [_only_reject(o).detail for o in named] == [
        "a named pipe (FIFO), not a regular file",
        "symlink to a character device, not a regular file",
    ]
    # in a folder, a symlink to a device leaves it; followed on request, it is still refused
    (drop / "null.txt").symlink_to("/dev/null")
    followed = _within(10, lambda: _read_all([drop], follow_external_symlinks=True))
    assert _only_reject(followed["null.txt"]).detail == ("symlink to a character device, not a regular file")


def test_a_regular_file_swapped_for_a_fifo_after_the_stat_is_refused_after_the_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "swap.txt"
    path.write_text("Bonjour", encoding="utf-8")

    class SwappingOs:
        """`os` for extractors.sources.files, whose stat swaps the file for a FIFO once it has looked."""

        def __getattr__(self, name: str) -> Any:
            return getattr(os, name)

        @staticmethod
        def stat(p: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            result = os.stat(p, *args, **kwargs)
            if Path(p) == path and not path.is_fifo():
                path.unlink()
                os.mkfifo(path)
            return result

    monkeypatch.setattr(files, "os", SwappingOs())
    (out,) = _within(10, lambda: read(InputRef(location=path.as_uri(), path=str(path)), 1000))
    assert isinstance(out, Rejected) and out.reason is RejectReason.UNSUPPORTED
    assert out.detail == "a named pipe (FIFO), not a regular file"


def test_symlinks_leaving_the_folder_are_rejected_unless_allowed(tmp_path: Path) -> None:
    drop, outside = tmp_path / "drop", tmp_path / "outside"
    (drop / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("secret du dehors", encoding="utf-8")
    (drop / "sub" / "real.txt").write_text("texte du dedans", encoding="utf-8")
    (drop / "passwd.txt").symlink_to("/etc/passwd")
    (drop / "secret.txt").symlink_to(outside / "secret.txt")
    (drop / "dehors").symlink_to(outside, target_is_directory=True)
    (drop / "inside.txt").symlink_to(drop / "sub" / "real.txt")  # stays in the folder: followed
    (drop / "sub" / "up").symlink_to(drop, target_is_directory=True)  # a loop, inside: not walked
    backdate(drop, outside)
    out = _read_all([drop])
    assert sorted(out) == ["dehors", "inside.txt", "passwd.txt", "real.txt", "secret.txt"]
    for name in ("dehors", "passwd.txt", "secret.txt"):
        reject = _only_reject(out[name])
        assert reject.reason is RejectReason.UNSUPPORTED
        assert reject.detail.startswith(f"symlink leaves the folder {os.path.realpath(drop)}")
    assert "root:" not in repr(out) and "secret du dehors" not in repr(out)
    assert out["inside.txt"][0].content == out["real.txt"][0].content == "texte du dedans"
    # allowed: the links are followed, the linked folder walked
    refs = list(discover([drop], follow_external_symlinks=True))
    assert [Path(r.path).relative_to(drop).as_posix() for r in refs] == [
        "inside.txt", "passwd.txt", "secret.txt", "dehors/secret.txt", "sub/real.txt"
    ]  # fmt: skip
    assert all(isinstance(read(r, 10_000, follow_external_symlinks=True)[0], Document) for r in refs)
    # read alone refuses what discover was told to follow, when it is not told so too
    assert _only_reject(read(refs[2], 10_000)).detail.startswith("symlink leaves the folder")
    # a path the user names is trusted as named
    (named,) = read(next(discover([drop / "secret.txt"])), 10_000)
    assert isinstance(named, Document) and named.content == "secret du dehors"


def test_a_link_repointed_outside_after_discovery_is_refused_at_read(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "real.txt").write_text("dedans", encoding="utf-8")
    (tmp_path / "outside.txt").write_text("dehors", encoding="utf-8")
    (drop / "link.txt").symlink_to(drop / "real.txt")
    backdate(drop)
    refs = {Path(r.path).name: r for r in discover([drop])}
    assert isinstance(refs["link.txt"], FoundRef)
    (drop / "link.txt").unlink()
    (drop / "link.txt").symlink_to(tmp_path / "outside.txt")
    assert _only_reject(read(refs["link.txt"], 1000)).detail.startswith("symlink leaves the folder")


def test_external_symlink_loops_end_when_followed(tmp_path: Path) -> None:
    drop, outside = tmp_path / "drop", tmp_path / "outside"
    drop.mkdir()
    (outside / "deeper").mkdir(parents=True)
    (outside / "deeper" / "a.txt").write_text("x", encoding="utf-8")
    (outside / "deeper" / "again").symlink_to(outside, target_is_directory=True)
    (drop / "out").symlink_to(outside, target_is_directory=True)
    (drop / "out2").symlink_to(outside / "deeper", target_is_directory=True)
    backdate(drop, outside)
    found = [Path(r.path).relative_to(drop).as_posix() for r in discover(
        [drop], follow_external_symlinks=True)]  # fmt: skip
    assert found == ["out/deeper/a.txt"]


def test_found_refs_pickle_for_the_worker_processes(tmp_path: Path) -> None:
    ref = FoundRef(location="file:///x/a.txt", path="/x/a.txt", root="/x")
    assert pickle.loads(pickle.dumps(ref)) == ref and isinstance(ref, InputRef)


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deeply_nested_json_is_one_unreadable_input_not_a_crash(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(_deep(100_000), encoding="utf-8")
    lines = tmp_path / "deep.jsonl"
    lines.write_text("\n".join([json.dumps({"text": "Un"}), _deep(100_000),
                                '{"text": ' + _deep(100_000) + "}", json.dumps({"text": "Deux"})]),
                     encoding="utf-8")  # fmt: skip
    record = tmp_path / "record.json"
    record.write_text('[{"text": "Bon"}, {"text": "x", "extra": ' + _deep(100_000) + "}]")
    (out,) = read(next(discover([deep])), 1_000_000)
    assert isinstance(out, Rejected) and out.reason is RejectReason.UNREADABLE
    assert out.detail == "JSON nested too deeply"
    one, bad, bad_too, two = read(next(discover([lines])), 1_000_000)
    assert isinstance(one, Document) and isinstance(two, Document) and two.content == "Deux"
    assert (bad.detail, bad_too.detail) == ("line 2: JSON nested too deeply",
                                           "line 3: JSON nested too deeply")  # fmt: skip
    assert bad.location.endswith("deep.jsonl#2") and bad.reason is RejectReason.UNREADABLE
    (whole,) = read(next(discover([record])), 1_000_000)  # the file is one JSON value
    assert isinstance(whole, Rejected) and whole.detail == "JSON nested too deeply"


def test_read_never_raises_for_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Bonjour", encoding="utf-8")
    ref = next(discover([path]))
    for error in (RuntimeError("boom"), MemoryError(), RecursionError("deep")):

        def fail(*args: Any, error: BaseException = error, **kwargs: Any) -> Any:
            raise error

        monkeypatch.setattr(files, "decode", fail)
        (out,) = read(ref, 1000)
        assert isinstance(out, Rejected) and out.reason is RejectReason.UNREADABLE
        assert out.detail.startswith(f"reading failed: {type(error).__name__}")
    monkeypatch.undo()
    monkeypatch.setattr(files, "_record", lambda *a: (_ for _ in ()).throw(KeyError("k")))
    (tmp_path / "r.jsonl").write_text('{"text": "a"}\n{"text": "b"}\n', encoding="utf-8")
    first, second = read(next(discover([tmp_path / "r.jsonl"])), 1000)
    assert first.detail == "line 1: KeyError: 'k'" and second.location.endswith("#2")


def test_1200_nested_directories_are_walked_without_recursion(tmp_path: Path) -> None:
    bottom = nest(tmp_path / "deep", 1200)
    try:
        (bottom / "fond.txt").write_text("Tout au fond", encoding="utf-8")
        (tmp_path / "deep" / "haut.txt").write_text("En haut", encoding="utf-8")
        backdate(bottom / "fond.txt", tmp_path / "deep" / "haut.txt")
        refs = list(discover([tmp_path / "deep"]))
        assert [Path(r.path).name for r in refs] == ["haut.txt", "fond.txt"]
        assert Path(refs[1].path).relative_to(tmp_path / "deep").parts.count("d") == 1200
        (doc,) = read(refs[1], 1000)
        assert isinstance(doc, Document) and doc.content == "Tout au fond"
    finally:
        remove_tree(tmp_path / "deep")  # pytest's clean-up of old tmp dirs would recurse


def test_walk_order_is_that_of_sorted_os_walk(tmp_path: Path) -> None:
    for rel in [
        "b/z.txt",
        "b/a/y.txt",
        "a.txt",
        "c.html",
        "b/a/c/x.json",
        "b/b.jsonl",
        "B/k.txt",
        "b/a/c/.h/x.txt",
        "_/u.txt",
        "b/a/c/n.txt",
        "b/m.txt",
        "b/0/t.htm",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    backdate(tmp_path)
    expected = []
    for root, dirs, names in os.walk(tmp_path):  # what discover did before
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        expected += [str(Path(root) / n) for n in sorted(names)
                     if not n.startswith(".") and Path(n).suffix in files.SUPPORTED]  # fmt: skip
    assert [r.path for r in discover([tmp_path])] == expected


def test_an_unlistable_directory_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a" / "locked").mkdir(parents=True)
    (tmp_path / "a" / "locked" / "x.txt").write_text("x", encoding="utf-8")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "y.txt").write_text("y", encoding="utf-8")
    backdate(tmp_path)
    locked = str(tmp_path / "a" / "locked")

    class LockedOs:
        def __getattr__(self, name: str) -> Any:
            return getattr(os, name)

        @staticmethod
        def scandir(p: Any) -> Any:
            if str(p) == locked:
                raise PermissionError(13, "Permission denied", locked)
            return os.scandir(p)

    monkeypatch.setattr(files, "os", LockedOs())
    assert [Path(r.path).name for r in discover([tmp_path])] == ["y.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_an_unreadable_directory_is_skipped_for_real(tmp_path: Path) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "x.txt").write_text("x", encoding="utf-8")
    (tmp_path / "y.txt").write_text("y", encoding="utf-8")
    backdate(tmp_path)
    (tmp_path / "locked").chmod(0)
    try:
        assert [Path(r.path).name for r in discover([tmp_path])] == ["y.txt"]
    finally:
        (tmp_path / "locked").chmod(0o755)


def test_young_files_in_a_folder_wait_for_a_later_run(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("vieux", encoding="utf-8")
    backdate(tmp_path / "old.txt")
    (tmp_path / "young.txt").write_text("jeune", encoding="utf-8")
    assert [Path(r.path).name for r in discover([tmp_path])] == ["old.txt"]
    assert [Path(r.path).name for r in discover([tmp_path], min_age_seconds=0)] == ["old.txt",
                                                                                 "young.txt"]  # fmt: skip
    # named explicitly, it is taken as named
    assert [Path(r.path).name for r in discover([tmp_path / "young.txt"])] == ["young.txt"]
    # a file the writer touched again after the walk waits at read time too (retryable)
    ref = next(r for r in discover([tmp_path]) if r.path.endswith("old.txt"))
    os.utime(tmp_path / "old.txt")
    out = _only_reject(read(ref, 1000, min_age_seconds=5))
    assert out.reason is RejectReason.UNREADABLE and out.reason.retryable
    assert out.detail == "modified less than 5 s ago; taken again by the next run"
    assert isinstance(read(ref, 1000)[0], Document)  # read's own default: no age rule


def test_a_file_that_changes_while_it_is_read_gets_no_final_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "grow.txt"
    path.write_text("début", encoding="utf-8")
    real_read = files._read_fd

    def read_then_append(fd: int, limit: int) -> bytes:
        data = real_read(fd, limit)
        with path.open("a", encoding="utf-8") as writer:  # the writer goes on meanwhile
            writer.write(" et la suite")
        return data

    monkeypatch.setattr(files, "_read_fd", read_then_append)
    out = _only_reject(read(next(discover([path])), 1000))
    assert out.reason is RejectReason.UNREADABLE and out.reason.retryable and out.detail == CHANGED
    monkeypatch.undo()
    (doc,) = read(next(discover([path])), 1000)
    assert isinstance(doc, Document) and doc.content == "début et la suite"


def test_a_file_replaced_while_it_is_read_gets_no_final_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "swap.txt"
    path.write_text("ancien", encoding="utf-8")
    real_read = files._read_fd

    def read_then_replace(fd: int, limit: int) -> bytes:
        data = real_read(fd, limit)
        (tmp_path / "tmp").write_text("nouveau", encoding="utf-8")
        os.replace(tmp_path / "tmp", path)  # an atomic rename by the writer
        return data

    monkeypatch.setattr(files, "_read_fd", read_then_replace)
    assert _only_reject(read(next(discover([path])), 1000)).detail == CHANGED


def test_a_real_writer_appending_during_reads_never_gives_a_truncated_document(
    tmp_path: Path,
) -> None:
    """A writer thread appends while a large file is read again and again: each
    read is a consistent snapshot (all the bytes the file had, unchanged since)
    or a retryable reject; and the reads that overlap an append are caught."""
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 8_000_000)
    stop = threading.Event()

    def writer() -> None:
        with path.open("ab") as handle:
            while not stop.is_set():
                handle.write(b"b" * 100)
                handle.flush()
                time.sleep(0.0002)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        outcomes = [read(InputRef(path.as_uri(), str(path)), 50_000_000)[0] for _ in range(10)]
    finally:
        stop.set()
        thread.join(10)
    changed = [o for o in outcomes if isinstance(o, Rejected)]
    assert all(o.detail == CHANGED and o.reason.retryable for o in changed)
    assert changed, "no read overlapped an append"
    for doc in outcomes:
        if isinstance(doc, Document):
            assert doc.content.startswith("a" * 8_000_000) and set(doc.content[8_000_000:]) <= {"b"}
    (final,) = read(InputRef(path.as_uri(), str(path)), 50_000_000)
    assert isinstance(final, Document) and len(final.content) == path.stat().st_size
