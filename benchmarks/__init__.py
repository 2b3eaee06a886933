"""Benchmarks for `make bench` (see benchmarks/run.py)."""
