"""When each stage of a command was reached, for `benchmarks/fixed_cost.py`.

With `VEILLE_TIMINGS=FILE` in the environment, `mark(stage)` appends one line
`stage<TAB>seconds` to FILE, the seconds read from `time.monotonic()` (one
clock for every process of the machine, so the benchmark compares them with
its own); without it, `mark` does nothing. A debugging aid read by the
benchmark, not a setting: it changes nothing in what the command does.
"""

from __future__ import annotations

import os
import time


def mark(stage: str, at: float | None = None) -> None:
    path = os.environ.get("VEILLE_TIMINGS")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{stage}\t{time.monotonic() if at is None else at:.6f}\n")
