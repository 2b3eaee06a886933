"""Files as a drop folder holds them once their writer is done.

`extractors.sources.files.discover` leaves a file found in a folder for a later run
while it was modified less than [ingest] min_file_age_seconds ago (5 s by
default): it may still be being written. Tests that write files and ingest
the folder at once backdate them first."""

from __future__ import annotations

import os
import time
from pathlib import Path


def backdate(*paths: str | Path, seconds: float = 3600.0) -> None:
    """Set the access and modification times of each path, and of everything
    under each directory, `seconds` in the past. Symlinks themselves are
    changed, never their targets (which may be outside the test's folder)."""
    when = time.time() - seconds
    stack = [Path(p) for p in paths]
    while stack:
        path = stack.pop()
        if path.is_dir() and not path.is_symlink():
            stack.extend(path.iterdir())
        os.utime(path, (when, when), follow_symlinks=False)


def nest(top: Path, depth: int, name: str = "d") -> Path:
    """`depth` directories nested under `top` (created), made one by one:
    os.makedirs recurses. Returns the deepest one."""
    path = top
    path.mkdir()
    for _ in range(depth):
        path = path / name
        path.mkdir()
    return path


def remove_tree(top: Path) -> None:
    """Remove `top` and everything under it without recursion: shutil.rmtree
    and os.walk (Python 3.11) hit the recursion limit on a very deep tree, as
    pytest's own clean-up of old temporary folders would."""
    dirs, stack = [], [top]
    while stack:
        current = stack.pop()
        dirs.append(current)
        for entry in os.scandir(current):
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            else:
                os.unlink(entry.path)
    for directory in reversed(dirs):
        os.rmdir(directory)
