"""One module per source kind, each defining `KIND` (extractors.sources.registry)."""
