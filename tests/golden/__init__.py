"""Golden pages: what the pipeline keeps from real French inputs, one
expectation per input in `tests/golden/<name>.json` (see `cases.py`).
Checked by `test_golden.py`; regenerated with `make golden`
(`python -m tests.golden.regenerate`)."""
