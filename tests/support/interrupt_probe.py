"""`veille` with a pause at one stage, so that a test can interrupt it right
there: `python interrupt_probe.py ingest ...` with VEILLE_PROBE_STAGE set to

- `extract`: each input takes 0.5 s more to judge (in the workers: spawned
  workers import this file again, as `__mp_main__`, and get the same pause);
- `write`: the first batch's transaction pauses 2 s before it commits;
- `snapshot`: the snapshot copy pauses 2 s.

VEILLE_PROBE_MARK names a file created when the pause starts. Nothing else
is changed: the rest is the real command.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

STAGE = os.environ.get("VEILLE_PROBE_STAGE", "")
MARK = Path(os.environ.get("VEILLE_PROBE_MARK", os.devnull))


def _pause(seconds: float) -> None:
    MARK.touch()
    time.sleep(seconds)


if STAGE == "extract":
    from extractors import pipeline

    _judge = pipeline.judge

    def _slow_judge(*args, **kwargs):
        _pause(0.5)
        return _judge(*args, **kwargs)

    pipeline.judge = _slow_judge
elif STAGE == "write":
    from storage import store

    _run = store._Deduper.run

    def _slow_run(self):
        result = _run(self)
        _pause(2.0)
        return result

    store._Deduper.run = _slow_run
elif STAGE == "snapshot":
    _copy = shutil.copyfile

    def _slow_copy(*args, **kwargs):
        _pause(2.0)
        return _copy(*args, **kwargs)

    shutil.copyfile = _slow_copy


if __name__ == "__main__":
    from flows.cli import main

    main()
