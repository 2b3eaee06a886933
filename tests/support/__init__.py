"""Test helpers: a local HTTP server with scripted faults, and its pytest fixture."""
