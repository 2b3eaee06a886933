"""`veille` with a pause at one stage, so that a test can interrupt it right
there: `python interrupt_probe.py ingest ...` with VEILLE_PROBE_STAGE set to

- `extract`: each input takes 0.5 s more to judge (in the workers: spawned
  workers import this file again, as `__mp_main__`, and get the same pause);
- `write`: the first batch's transaction pauses 2 s before it commits;
- `snapshot`: the snapshot copy pauses 2 s;
- `task-run:<name>`: SIGTERM is sent to this process while Prefect creates
  the first task run of that name (a race a test cannot hit on demand).

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
    from extractors.judge import pipeline

    _judge = pipeline.judge

    def _slow_judge(*args, **kwargs):
        _pause(0.5)
        return _judge(*args, **kwargs)

    pipeline.judge = _slow_judge
elif STAGE == "write":
    from storage import store

    _decide = store.decide

    def _slow_decide(*args, **kwargs):
        result = _decide(*args, **kwargs)
        _pause(2.0)
        return result

    store.decide = _slow_decide
elif STAGE == "snapshot":
    _copy = shutil.copyfile

    def _slow_copy(*args, **kwargs):
        _pause(2.0)
        return _copy(*args, **kwargs)

    shutil.copyfile = _slow_copy
elif STAGE.startswith("task-run:"):
    import signal

    from prefect import task_engine

    _create = task_engine._create_task_run_locally

    def _terminated_while_creating(*args, **kwargs):
        if kwargs["task"].name == STAGE.removeprefix("task-run:") and not MARK.exists():
            MARK.touch()
            os.kill(os.getpid(), signal.SIGTERM)
        return _create(*args, **kwargs)

    task_engine._create_task_run_locally = _terminated_while_creating


if __name__ == "__main__":
    from flows.cli import main

    main()
