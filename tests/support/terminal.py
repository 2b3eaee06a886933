"""A command in a pseudo-terminal, as a person runs it: Ctrl-C typed there
reaches the command's whole process group through the terminal driver, and
the command sees a terminal (progress bars and all)."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import termios
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from tests.support.processes import stop_group

_TOKEN = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b.|\r|\n|[^\x1b\r\n]+")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\r")


def _take_terminal() -> None:
    """In the child: the pseudo-terminal on fd 0 becomes the controlling
    terminal of its new session, so its process group is the foreground one."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    def __init__(self, argv: Sequence[str | Path], env: dict[str, str], cwd: Path | None = None) -> None:
        master, slave = os.openpty()
        self._master = master
        self._chunks: list[bytes] = []
        self.proc = subprocess.Popen(
            [str(a) for a in argv], stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
            start_new_session=True, preexec_fn=_take_terminal,
        )  # fmt: skip
        os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._master, 4096)
            except OSError:  # EIO: the other side is closed
                return
            if not data:
                return
            self._chunks.append(data)

    @property
    def output(self) -> str:
        """What the terminal showed, without colours and cursor movements."""
        return _ANSI.sub("", b"".join(self._chunks).decode("utf-8", "replace"))

    @property
    def screen(self) -> list[str]:
        """The lines as a terminal would show them at the end: carriage returns,
        erased lines and cursor moves up applied (what Rich's live display
        uses), colours dropped. A line written over is gone; text written
        after a line that was never ended stays glued to it, as a user sees."""
        raw = b"".join(self._chunks).decode("utf-8", "replace")
        lines: list[list[str]] = [[]]
        row = col = 0
        for token in _TOKEN.findall(raw):
            if token == "\n":
                row, col = row + 1, 0
                if row == len(lines):
                    lines.append([])
            elif token == "\r":
                col = 0
            elif token.startswith("\x1b["):
                if token.endswith("K"):
                    del lines[row][col:]
                elif token.endswith("A"):
                    row = max(0, row - int(token[2:-1] or 1))
            elif not token.startswith("\x1b"):
                line = lines[row]
                line[col : col + len(token)] = token
                col += len(token)
        return ["".join(line).rstrip() for line in lines]

    def wait_for(self, pattern: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.output):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                shown = f"{self.output[:1500]}\n...\n{self.output[-2000:]}"
                raise AssertionError(f"never saw {pattern!r}; the terminal showed:\n{shown}")
            time.sleep(0.05)

    def ctrl_c(self) -> float:
        """Type Ctrl-C; returns when it was typed (monotonic)."""
        os.write(self._master, b"\x03")
        return time.monotonic()

    def wait(self, timeout: float) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(5)
        return code

    def close(self) -> None:
        stop_group(self.proc, grace=0)
        os.close(self._master)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
