"""Golden pages: the current output for each real French input equals its
stored expectation (`tests/golden/<name>.json`, see `cases.py`). A mismatch
fails with the unified diff, expected -> current; `make golden NAMES=<name>`
shows the same diff and writes the new expectation when asked."""

from __future__ import annotations

import pytest

from tests.golden import cases as golden

CASES = golden.cases()


@pytest.mark.parametrize("name", golden.all_names())
def test_golden(name: str) -> None:
    case = CASES.get(name)
    if case is None:
        pytest.fail(f"tests/golden/{name}.json has no case any more: remove it", pytrace=False)
    if not case.available:
        pytest.skip(f"input absent: {case.input} (the shared corpus is not beside the repository)")
    expected = golden.load(name)
    if expected is None:
        pytest.fail(
            f"no expectation for {name} ({case.input}): run `make golden NAMES={name}`", pytrace=False
        )
    actual = golden.render(golden.compute(case))
    if actual != expected:
        pytest.fail(
            f"{name}: the output for {case.input} changed.\n"
            f"{golden.diff(name, expected, actual)}"
            f"If the change is intended: make golden NAMES={name}  (shows this diff, then asks to write)",
            pytrace=False,
        )
