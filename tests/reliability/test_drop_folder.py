"""A drop folder with poison in it, through the real commands: a FIFO and a
socket named like articles, symlinks out of the folder (to /etc/passwd, to
/etc), a 100,000-deep JSON file, 1,200 nested directories, a file still being
written, a file that changes while it is read. Every poison gets its own
recorded outcome (or, for a file being written, none yet), the good files of
the same run are stored, and nothing blocks, crashes or leaks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from typer.testing import CliRunner

from extractors.sources import files
from storage.store import Store
from tests.support.files import backdate, nest, remove_tree
from tests.support.paths import SEEDS

VEILLE = Path(sys.executable).with_name("veille")
runner = CliRunner()


def _seed(n: int) -> str:
    return sorted(SEEDS.glob("*.txt"))[n].read_text(encoding="utf-8")


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def drop(tmp_path: Path) -> Iterator[Path]:
    """The poisoned folder, everything in it old enough to be taken but `young.txt`."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "article.txt").write_text(_seed(1), encoding="utf-8")
    os.mkfifo(folder / "fifo.txt")
    (folder / "to_fifo.txt").symlink_to(folder / "fifo.txt")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(folder / "sock.txt"))
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "etc").symlink_to("/etc", target_is_directory=True)
    (folder / "deep.json").write_text(_deep(100_000), encoding="utf-8")
    (folder / "records.jsonl").write_text(
        _deep(100_000) + "\n" + json.dumps({"text": _seed(2)}) + "\n", encoding="utf-8"
    )
    bottom = nest(folder / "nid", 1200)
    (bottom / "fond.txt").write_text(_seed(4), encoding="utf-8")
    backdate(folder)
    (folder / "young.txt").write_text(_seed(3), encoding="utf-8")  # still being written
    try:
        yield folder
    finally:
        remove_tree(folder)  # 1,200 levels: pytest's own clean-up would recurse


def _name(location: str) -> str:
    path = unquote(urlsplit(location).path)
    return Path(path).name + (f"#{urlsplit(location).fragment}" if "#" in location else "")


EXPECTED_REJECTS = {
    "fifo.txt": ("unsupported", "a named pipe (FIFO), not a regular file"),
    "to_fifo.txt": ("unsupported", "symlink to a named pipe (FIFO), not a regular file"),
    "sock.txt": ("unsupported", "a socket, not a regular file"),
    "passwd.txt": ("unsupported", "symlink leaves the folder"),
    "etc": ("unsupported", "symlink leaves the folder"),
    "deep.json": ("unreadable", "JSON nested too deeply"),
    "records.jsonl#1": ("unreadable", "line 1: JSON nested too deeply"),
}


def test_veille_extract_on_a_poisoned_folder(drop: Path, tmp_path: Path) -> None:
    """The real command, in its own process: before, it blocked for ever on
    the FIFO, printed /etc/passwd, and died of RecursionError."""
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    done = subprocess.run([VEILLE, "extract", drop, "--format", "jsonl"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "root:x:0:0" not in done.stdout
    records = {_name(r["location"]): r for r in map(json.loads, done.stdout.splitlines())}
    assert sorted(records) == sorted(
        [*EXPECTED_REJECTS, "article.txt", "records.jsonl#2", "fond.txt"]
    )  # young.txt: left for later
    for name, (reason, detail) in EXPECTED_REJECTS.items():
        assert records[name]["verdict"] == f"rejected: {reason}", name
        assert records[name]["detail"].startswith(detail), name
    assert all(records[n]["verdict"] == "kept" for n in ("article.txt", "records.jsonl#2", "fond.txt"))


def _outcomes(db: Path) -> tuple[list[str], dict[str, tuple[str, str]]]:
    store = Store(db)
    stored = sorted(_name(loc) for (loc,) in store.query("SELECT location FROM articles")[1])
    rows = store.query("SELECT location, reason, detail FROM rejects")[1]
    rejects = {_name(loc): (reason, detail) for loc, reason, detail in rows}
    return stored, rejects


def test_veille_ingest_records_every_poison_and_stores_the_rest(
    drop: Path, db_path: Path, prefect_harness
) -> None:
    from flows.cli import app

    first = runner.invoke(app, ["ingest", str(drop), "--db", str(db_path), "--workers", "1"])
    assert first.exit_code == 0, first.output
    stored, rejects = _outcomes(db_path)
    assert stored == ["article.txt", "fond.txt", "records.jsonl#2"]
    assert {n: r for n, (r, _) in rejects.items()} == {n: r for n, (r, _) in EXPECTED_REJECTS.items()}
    assert all(rejects[n][1].startswith(d) for n, (_, d) in EXPECTED_REJECTS.items())
    assert "young.txt" not in stored and "young.txt" not in rejects  # no outcome: not judged yet
    backdate(drop / "young.txt")  # its writer is done
    second = runner.invoke(app, ["ingest", str(drop), "--db", str(db_path), "--workers", "1"])
    assert second.exit_code == 0, second.output
    stored, _ = _outcomes(db_path)
    assert stored == ["article.txt", "fond.txt", "records.jsonl#2", "young.txt"]


def _grow_while_read(items: list, settings: Any) -> Any:
    """Worker-side `work` for the CLI's pool (pickled by name): judges the
    inputs as the real pipeline does, but while each file is read its writer
    appends to it the text waiting in the hidden `.more` beside it (once)."""
    from extractors.judge.pipeline import process_items

    real_read = files._read_fd

    def read_while_written(fd: int, limit: int) -> bytes:
        data = real_read(fd, limit)
        for item in items:
            more = Path(item.path).with_name(".more")
            if more.exists():
                with open(item.path, "a", encoding="utf-8") as writer:
                    writer.write(more.read_text(encoding="utf-8"))
                more.unlink()
        return data

    files._read_fd = read_while_written
    try:
        return process_items(items, settings)
    finally:
        files._read_fd = real_read


def test_a_file_changed_while_read_is_stored_whole_by_the_next_run(
    tmp_path: Path, db_path: Path, prefect_harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer appends while the run reads the file (in the worker process
    that judges it): that run gives it a retryable reject, not an outcome for
    good; the run after the writer is done stores the whole text. Before, the
    truncated text was stored, and the finished file was "nothing new"."""
    import flows.cli
    from extractors.judge.parallel import WorkerPool
    from flows.cli import app

    text = _seed(1)
    lines = text.splitlines(keepends=True)
    head, middle, tail = "".join(lines[:3]), "".join(lines[3:6]), "".join(lines[6:])
    folder = tmp_path / "drop"
    folder.mkdir()
    path = folder / "grow.txt"
    path.write_text(head, encoding="utf-8")
    (folder / ".more").write_text(middle, encoding="utf-8")
    backdate(folder)

    def pool(workers: int, topic: Any = None) -> WorkerPool:
        return WorkerPool(workers, topic, work=_grow_while_read)

    monkeypatch.setattr(flows.cli, "WorkerPool", pool)
    first = runner.invoke(app, ["ingest", str(folder), "--db", str(db_path), "--workers", "1"])
    assert first.exit_code == 0, first.output
    monkeypatch.undo()
    assert not (folder / ".more").exists(), "the writer did not run during the read"
    stored, rejects = _outcomes(db_path)
    assert stored == [] and rejects == {"grow.txt": ("unreadable", files.CHANGED)}
    with path.open("a", encoding="utf-8") as writer:  # the writer finishes
        writer.write(tail)
    second = runner.invoke(app, ["ingest", str(folder), "--db", str(db_path), "--workers", "1"])
    assert second.exit_code == 0, second.output
    stored, rejects = _outcomes(db_path)
    assert stored == [] and rejects == {"grow.txt": ("unreadable", files.CHANGED)}  # young: waits
    backdate(path)
    third = runner.invoke(app, ["ingest", str(folder), "--db", str(db_path), "--workers", "1"])
    assert third.exit_code == 0, third.output
    assert "nothing new" not in third.stderr
    stored, rejects = _outcomes(db_path)
    assert stored == ["grow.txt"] and rejects == {}
    (body,) = Store(db_path).query("SELECT body FROM articles")[1][0]
    last = next(line for line in reversed(tail.splitlines()) if line.strip())
    assert last.strip()[:60] in body and path.read_text(encoding="utf-8") == text
    fourth = runner.invoke(app, ["ingest", str(folder), "--db", str(db_path), "--workers", "1"])
    assert fourth.exit_code == 0 and "nothing new in 1 inputs" in fourth.stderr
