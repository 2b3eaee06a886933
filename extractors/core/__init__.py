"""Settings, records, errors and URL identity: what every other part shares."""
